//! The report and its formats: a table for people, JSON and CSV for scripts.
//!
//! The JSON layout (`streamline-report/1`) is documented in the README; change it only with a
//! new schema name.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::cli::args::Format;
use crate::cli::stats::Overhead;

/// What `streamline report` measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was read, in words.
    pub input: String,
    /// The files, one connection each (empty for the built-in feed).
    pub files: Vec<String>,
    /// Connections measured.
    pub connections: u64,
    /// Messages per second for the bandwidth figures.
    pub rate: f64,
    /// Requests measured.
    pub requests: u64,
    /// Body bytes (chunk data for chunked bodies) of all requests.
    pub body_bytes: u64,
    /// One row per encoding.
    pub rows: Vec<Row>,
}

/// One encoding's figures.
#[derive(Debug, Clone)]
pub struct Row {
    /// Short stable name: `plain`, `compact`, `http2`, `amqp`.
    pub id: &'static str,
    /// Name for people.
    pub name: &'static str,
    /// Bytes beyond the bodies.
    pub overhead: Overhead,
}

impl Report {
    /// Mean body bytes per request.
    pub fn mean_body(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.body_bytes as f64 / self.requests as f64)
    }
}

impl Row {
    /// All bytes of this encoding.
    pub fn total_bytes(&self, report: &Report) -> u64 {
        report.body_bytes + self.overhead.total
    }

    /// Overhead as a percentage of the body bytes.
    pub fn increase_percent(&self, report: &Report) -> Option<f64> {
        (report.body_bytes > 0).then(|| 100.0 * self.overhead.total as f64 / report.body_bytes as f64)
    }

    /// MiB (2^20 bytes) per second at the report's rate, with the mean message size.
    pub fn mib_per_second(&self, report: &Report) -> Option<f64> {
        (report.requests > 0)
            .then(|| self.total_bytes(report) as f64 / report.requests as f64 * report.rate / (1u64 << 20) as f64)
    }
}

/// A way to print a report.
pub trait Render {
    /// Writes `report` to `out`.
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// The renderer for a format.
pub fn renderer(format: Format) -> Box<dyn Render> {
    match format {
        // The SVG picture is drawn from the measurements themselves (`plot`), not from a
        // report; asked for a report renderer, it gets the table.
        Format::Table | Format::Svg => Box::new(Table),
        Format::Json => Box::new(Json),
        Format::Csv => Box::new(Csv),
    }
}

/// Aligned columns.
pub struct Table;

impl Render for Table {
    fn render(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "input: {}", r.input)?;
        let mean_body = r.mean_body().map_or("-".into(), |m| format!("{m:.1}"));
        writeln!(
            out,
            "{} connection{}, {} requests, mean body {mean_body} bytes; bandwidth at {} msg/s",
            group(r.connections),
            if r.connections == 1 { "" } else { "s" },
            group(r.requests),
            group_f(r.rate),
        )?;
        writeln!(out)?;
        writeln!(out, "{:<16} {:>37}", "", "overhead bytes per message")?;
        writeln!(
            out,
            "{:<16} {:>7} {:>7} {:>6} {:>6} {:>8} {:>15} {:>11} {:>9}",
            "encoding", "first", "median", "p99", "max", "mean", "total bytes", "increase", "MiB/s"
        )?;
        for row in &r.rows {
            let o = &row.overhead;
            writeln!(
                out,
                "{:<16} {:>7} {:>7} {:>6} {:>6} {:>8} {:>15} {:>11} {:>9}",
                row.name,
                o.first.map_or("-".into(), |v| format!("{v:.0}")),
                opt(o.steady_median),
                opt(o.steady_p99),
                opt(o.steady_max),
                o.mean.map_or("-".into(), |v| format!("{v:.1}")),
                group(row.total_bytes(r)),
                row.increase_percent(r).map_or("-".into(), |v| format!("{v:.1} %")),
                row.mib_per_second(r).map_or("-".into(), |v| format!("{v:.1}")),
            )?;
        }
        writeln!(out)?;
        writeln!(out, "first: a connection's first message, set-up included; median, p99, max: the messages")?;
        writeln!(out, "after it; mean: all overhead over all messages. increase: overhead over body bytes.")?;
        writeln!(out, "HTTP/2: as Chrome's encoder sends it; AMQP: frames only, no properties, no handshake.")
    }
}

/// One JSON object, schema `streamline-report/1`.
pub struct Json;

impl Json {
    /// The report as a JSON value.
    pub fn value(r: &Report) -> Value {
        let encodings: Vec<Value> = r
            .rows
            .iter()
            .map(|row| {
                let o = &row.overhead;
                json!({
                    "id": row.id,
                    "name": row.name,
                    "total_bytes": row.total_bytes(r),
                    "overhead": {
                        "first": o.first,
                        "steady_median": o.steady_median,
                        "steady_p99": o.steady_p99,
                        "steady_max": o.steady_max,
                        "mean": o.mean,
                        "total": o.total,
                    },
                    "increase_percent": row.increase_percent(r),
                    "mib_per_second": row.mib_per_second(r),
                })
            })
            .collect();
        json!({
            "schema": "streamline-report/1",
            "input": r.input,
            "files": r.files,
            "connections": r.connections,
            "rate": r.rate,
            "requests": r.requests,
            "body_bytes": r.body_bytes,
            "mean_body_bytes": r.mean_body(),
            "encodings": encodings,
        })
    }
}

impl Render for Json {
    fn render(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Json::value(r))?;
        writeln!(out)
    }
}

/// A header line, then one line per encoding.
pub struct Csv;

impl Render for Csv {
    fn render(&self, r: &Report, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "id,name,requests,mean_body_bytes,overhead_first,overhead_steady_median,overhead_steady_p99,\
overhead_steady_max,overhead_mean,overhead_total,total_bytes,increase_percent,mib_per_second"
        )?;
        let f = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        for row in &r.rows {
            let o = &row.overhead;
            let u = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                row.id,
                row.name,
                r.requests,
                f(r.mean_body()),
                f(o.first),
                u(o.steady_median),
                u(o.steady_p99),
                u(o.steady_max),
                f(o.mean),
                o.total,
                row.total_bytes(r),
                f(row.increase_percent(r)),
                f(row.mib_per_second(r)),
            )?;
        }
        Ok(())
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate, grouped when whole.
fn group_f(v: f64) -> String {
    if v.fract() == 0.0 && v < 1e18 {
        group(v as u64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let overhead = Overhead {
            first: Some(137.0),
            steady_median: Some(7),
            steady_p99: Some(7),
            steady_max: Some(7),
            mean: Some(8.3),
            total: 830,
        };
        Report {
            input: "test".into(),
            files: vec!["a.http".into()],
            connections: 1,
            rate: 1e6,
            requests: 100,
            body_bytes: 1300,
            rows: vec![Row { id: "compact", name: "compact", overhead }],
        }
    }

    #[test]
    fn derived_figures() {
        let r = report();
        let row = &r.rows[0];
        assert_eq!(row.total_bytes(&r), 2130);
        assert!((row.increase_percent(&r).unwrap() - 830.0 / 13.0).abs() < 1e-9);
        assert!((row.mib_per_second(&r).unwrap() - 21.3e6 / 1048576.0).abs() < 1e-9);
    }

    #[test]
    fn formats() {
        let r = report();
        let mut json = Vec::new();
        Json.render(&r, &mut json).unwrap();
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["schema"], "streamline-report/1");
        assert_eq!(v["encodings"][0]["overhead"]["steady_median"], 7);
        assert_eq!(v["encodings"][0]["total_bytes"], 2130);
        let mut csv = Vec::new();
        Csv.render(&r, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].split(',').count(), lines[1].split(',').count());
        assert!(lines[1].starts_with("compact,compact,100,13,137,7,7,7,8.3,830,2130,"));
        let mut table = Vec::new();
        Table.render(&r, &mut table).unwrap();
        assert!(String::from_utf8(table).unwrap().contains("2,130"));
    }

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(213_000_000), "213,000,000");
        assert_eq!(group_f(1e6), "1,000,000");
        assert_eq!(group_f(2.5), "2.5");
    }
}
