//! The report as a picture: (a) overhead bytes per message and (b) cumulative bytes over the
//! messages, one line per encoding, both on a logarithmic message axis so the first message
//! (the set-up) and the steady state after it show side by side. Drawn by plotters as SVG,
//! text as SVG text (the browser picks the font), so no font is needed to draw it.
//!
//! Each line is a [`Series`]: the first 100 messages one point each, then buckets that grow
//! by 1/32 of where they start (the mean of the messages in each), about 620 points for a
//! billion messages: memory does not grow with the input.

use std::io;

use plotters::prelude::*;

use crate::cli::output::Report;

/// Messages drawn one point each before buckets start.
const EXACT: u64 = 100;

/// A per-message value (overhead, body bytes) over the messages, in buckets of growing width.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// (messages, sum of their values) per bucket.
    buckets: Vec<(u64, u64)>,
    messages: u64,
    /// The message that starts the next bucket.
    next_edge: u64,
}

impl Series {
    /// Adds the next message's value.
    #[inline]
    pub fn push(&mut self, value: u64) {
        if self.messages == self.next_edge || self.buckets.is_empty() {
            self.buckets.push((0, 0));
            let width = if self.messages < EXACT { 1 } else { self.messages / 32 };
            self.next_edge = self.messages + width;
        }
        let last = self.buckets.last_mut().expect("pushed above");
        last.0 += 1;
        last.1 += value;
        self.messages += 1;
    }

    /// Messages added.
    pub fn len(&self) -> u64 {
        self.messages
    }

    /// (message number of the bucket's middle, from 1; mean value; running total at its end).
    fn points(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        let mut start = 0u64;
        let mut total = 0u64;
        self.buckets.iter().map(move |&(count, sum)| {
            let middle = start as f64 + 1.0 + (count.saturating_sub(1)) as f64 / 2.0;
            start += count;
            total += sum;
            (middle, sum as f64 / count.max(1) as f64, total)
        })
    }
}

/// One encoding's line: its name and overheads, drawn over the messages' bodies.
pub struct Line<'a> {
    /// The row's name.
    pub name: &'a str,
    /// Overhead per message.
    pub overhead: &'a Series,
}

/// The colours of the lines, in the report's row order.
const COLOURS: [RGBColor; 6] = [
    RGBColor(0x44, 0x44, 0x44),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
];

/// Draws the two plots as an SVG document into `out`.
pub fn svg(report: &Report, bodies: &Series, lines: &[Line<'_>], out: &mut dyn io::Write) -> io::Result<()> {
    let mut text = String::new();
    draw(report, bodies, lines, &mut text).map_err(|err| io::Error::other(format!("cannot draw the plot: {err}")))?;
    out.write_all(text.as_bytes())
}

fn draw(
    report: &Report,
    bodies: &Series,
    lines: &[Line<'_>],
    text: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(text, (960, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, rest) = root.split_vertically(50);
    let mean_body = report.mean_body().map_or("-".into(), |m| format!("{m:.1}"));
    title.draw(&Text::new(
        format!(
            "{}: {} {}s, {} connection{}, mean body {mean_body} bytes",
            report.input,
            crate::cli::output::group(report.messages),
            report.noun,
            crate::cli::output::group(report.connections),
            if report.connections == 1 { "" } else { "s" }
        ),
        (20, 18),
        ("sans-serif", 18).into_font(),
    ))?;
    let (top, bottom) = rest.split_vertically(425);
    let messages = bodies.len().max(2) as f64;

    // (a) overhead per message.
    let max_overhead = lines.iter().flat_map(|l| l.overhead.points().map(|p| p.1)).fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&top)
        .caption("(a) overhead bytes per message", ("sans-serif", 18))
        .margin(12)
        .margin_right(40)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((1f64..messages).log_scale(), (0.5f64..max_overhead * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("message (1 = a connection's first, set-up included)")
        .y_desc("overhead bytes")
        .label_style(("sans-serif", 13))
        .x_label_formatter(&|v| count_label(*v))
        .y_label_formatter(&|v| count_label(*v))
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                line.overhead.points().map(|(x, y, _)| (x, y.max(0.5))),
                colour.stroke_width(2),
            ))?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;

    // (b) cumulative bytes, bodies included.
    let body_totals: Vec<u64> = bodies.points().map(|p| p.2).collect();
    let cumulative = |line: &Line<'_>| -> Vec<(f64, f64)> {
        line.overhead
            .points()
            .zip(&body_totals)
            .map(|((x, _, overhead), body)| (x, (overhead + body).max(1) as f64))
            .collect()
    };
    let max_total = lines.iter().flat_map(|l| cumulative(l).into_iter().map(|p| p.1)).fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&bottom)
        .caption("(b) cumulative bytes on the wire (bodies + overhead)", ("sans-serif", 18))
        .margin(12)
        .margin_right(40)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((1f64..messages).log_scale(), (10f64..max_total * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("messages sent")
        .y_desc("bytes")
        .label_style(("sans-serif", 13))
        .x_label_formatter(&|v| count_label(*v))
        .y_label_formatter(&|v| bytes_label(*v))
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(cumulative(line), colour.stroke_width(2)))?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// `1`, `1,000`, `0.5`: whole numbers grouped.
fn count_label(v: f64) -> String {
    if v.fract() == 0.0 && (0.0..1e18).contains(&v) {
        crate::cli::output::group(v as u64)
    } else {
        format!("{v}")
    }
}

/// `1.5 MB`, `20 kB`, `300 B`: decimal units.
fn bytes_label(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{} GB", v / 1e9),
        v if v >= 1e6 => format!("{} MB", v / 1e6),
        v if v >= 1e3 => format!("{} kB", v / 1e3),
        v => format!("{v} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_grow_and_keep_totals() {
        let mut s = Series::default();
        for i in 0..1_000_000u64 {
            s.push(if i == 0 { 150 } else { 7 });
        }
        let points: Vec<_> = s.points().collect();
        assert!(points.len() < 450, "{}", points.len());
        assert_eq!(points[0], (1.0, 150.0, 150));
        assert_eq!(points[1], (2.0, 7.0, 157));
        assert_eq!(points.last().unwrap().2, 150 + 999_999 * 7);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
