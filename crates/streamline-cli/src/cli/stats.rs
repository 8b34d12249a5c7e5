//! Per-message overhead of one encoding: the first message of each connection apart, the
//! steady state after it in an hdrhistogram.

use hdrhistogram::Histogram;

use crate::cli::plot::Series;

/// Overheads recorded for one encoding.
#[derive(Debug, Clone)]
pub struct Tally {
    firsts: u64,
    first_total: u64,
    steady: Histogram<u64>,
    steady_max: u64,
    total: u64,
    /// Every message's overhead, bucketed, for the plot.
    series: Series,
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        // Three significant digits: values below 2,048 are kept exactly.
        let steady = Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are valid"));
        Tally { firsts: 0, first_total: 0, steady, steady_max: 0, total: 0, series: Series::default() }
    }

    /// Records one message's overhead; `first`: it is the first of its connection.
    #[inline]
    pub fn record(&mut self, overhead: u64, first: bool) {
        self.total += overhead;
        self.series.push(overhead);
        if first {
            self.firsts += 1;
            self.first_total += overhead;
        } else {
            record(&mut self.steady, overhead, 1);
            self.steady_max = self.steady_max.max(overhead);
        }
    }

    /// Every message's overhead in recording order, bucketed.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// The figures. `messages` is the number recorded.
    pub fn summary(&self) -> Overhead {
        let messages = self.firsts + self.steady.len();
        let steady = |q: f64| (!self.steady.is_empty()).then(|| self.steady.value_at_quantile(q));
        Overhead {
            first: (self.firsts > 0).then(|| self.first_total as f64 / self.firsts as f64),
            steady_median: steady(0.5),
            steady_p99: steady(0.99),
            steady_max: (!self.steady.is_empty()).then_some(self.steady_max),
            mean: (messages > 0).then(|| self.total as f64 / messages as f64),
            total: self.total,
        }
    }
}

/// Records `count` times `value`, growing the histogram as needed (its `saturating_record`
/// would clamp instead of growing).
#[inline]
pub fn record(histogram: &mut Histogram<u64>, value: u64, count: u64) {
    if histogram.record_n(value, count).is_err() {
        histogram.saturating_record_n(value, count);
    }
}

/// Overhead figures, in bytes. `None` where there is nothing to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overhead {
    /// The first message of a connection (mean over connections): set-up included.
    pub first: Option<f64>,
    /// Median of the messages after the first of each connection.
    pub steady_median: Option<u64>,
    /// 99th percentile of the same.
    pub steady_p99: Option<u64>,
    /// Maximum of the same.
    pub steady_max: Option<u64>,
    /// Amortised: all overhead over all messages.
    pub mean: Option<f64>,
    /// All overhead.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_apart_from_steady_state() {
        let mut tally = Tally::new();
        tally.record(137, true);
        for i in 0..199 {
            tally.record(if i == 50 { 40 } else { 7 }, false);
        }
        let s = tally.summary();
        assert_eq!(s.first, Some(137.0));
        assert_eq!((s.steady_median, s.steady_p99, s.steady_max), (Some(7), Some(7), Some(40)));
        assert_eq!(s.total, 137 + 198 * 7 + 40);
        assert_eq!(s.mean, Some(s.total as f64 / 200.0));
        let empty = Tally::new().summary();
        assert_eq!((empty.first, empty.steady_median, empty.mean, empty.total), (None, None, None, 0));
    }

    #[test]
    fn percentile_is_exact_for_small_values() {
        let mut tally = Tally::new();
        tally.record(0, true);
        for v in 1..=1000 {
            tally.record(v, false);
        }
        let s = tally.summary();
        assert_eq!((s.steady_median, s.steady_p99, s.steady_max), (Some(500), Some(990), Some(1000)));
        let mut large = Tally::new();
        for v in [1, 1_000_000, 1_000_000] {
            large.record(v, false);
        }
        let median = large.summary().steady_median.unwrap();
        assert!((999_000..=1_001_000).contains(&median), "grown, not clamped: {median}");
    }
}
