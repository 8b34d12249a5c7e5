//! The report and its formats: a table for people, JSON and CSV for scripts.
//!
//! The JSON layouts (`streamline-report/1` for requests alone, `streamline-report/2` once
//! responses are measured) are documented in the README; change one only with a new schema
//! name. A report of requests alone prints exactly what it printed before responses were
//! measured.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::cli::args::Format;
use crate::cli::stats::Overhead;

/// What `streamline report` measured of one direction: requests or responses.
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
    /// Messages measured.
    pub messages: u64,
    /// Body bytes (chunk data for chunked bodies) of all messages.
    pub body_bytes: u64,
    /// One row per encoding.
    pub rows: Vec<Row>,
    /// What the messages are: `request` or `response`.
    pub noun: &'static str,
}

/// What `streamline report` measured: the requests, the responses, or both.
#[derive(Debug, Clone)]
pub struct Reports {
    /// The requests' figures, if any were measured (the built-in feed is requests).
    pub requests: Option<Report>,
    /// The responses' figures, if any were measured.
    pub responses: Option<Report>,
}

/// One encoding measured both ways: the bytes each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BothWays {
    /// The row's id.
    pub id: &'static str,
    /// The row's name.
    pub name: &'static str,
    /// All bytes of the requests.
    pub to_server: u64,
    /// All bytes of the responses.
    pub to_client: u64,
}

impl BothWays {
    /// Bytes both ways.
    pub fn total(&self) -> u64 {
        self.to_server + self.to_client
    }
}

impl Reports {
    /// The report of one direction, or of the first of two.
    pub fn first(&self) -> Option<&Report> {
        self.requests.as_ref().or(self.responses.as_ref())
    }

    /// [`Reports::both_ways`] in the order of `--format json` and `csv` (see
    /// [`Report::machine_rows`]).
    pub fn machine_both_ways(&self) -> Vec<BothWays> {
        let mut ways = self.both_ways();
        ways.sort_by_key(|way| way.id == "packed");
        ways
    }

    /// The encodings measured both ways, in the order of the rows; empty unless both
    /// directions were measured.
    pub fn both_ways(&self) -> Vec<BothWays> {
        let (Some(requests), Some(responses)) = (&self.requests, &self.responses) else { return Vec::new() };
        requests
            .rows
            .iter()
            .filter_map(|up| {
                let down = responses.rows.iter().find(|row| row.id == up.id)?;
                Some(BothWays {
                    id: up.id,
                    name: up.name,
                    to_server: up.total_bytes(requests),
                    to_client: down.total_bytes(responses),
                })
            })
            .collect()
    }
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
    /// The rows in the order of `--format json` and `csv` (README): the encodings the schema
    /// began with, then those added since (`packed`), so that each keeps its index. The table
    /// shows `packed` beside `compact` instead.
    pub fn machine_rows(&self) -> impl Iterator<Item = &Row> {
        let added = |row: &&Row| row.id == "packed";
        self.rows.iter().filter(move |row| !added(row)).chain(self.rows.iter().filter(added))
    }

    /// Mean body bytes per message.
    pub fn mean_body(&self) -> Option<f64> {
        (self.messages > 0).then(|| self.body_bytes as f64 / self.messages as f64)
    }

    /// Is this the response direction?
    fn responses(&self) -> bool {
        self.noun == "response"
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
        (report.messages > 0)
            .then(|| self.total_bytes(report) as f64 / report.messages as f64 * report.rate / (1u64 << 20) as f64)
    }
}

/// A way to print a report.
pub trait Render {
    /// Writes `reports` to `out`.
    fn render(&self, reports: &Reports, out: &mut dyn Write) -> io::Result<()>;
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
    fn render(&self, reports: &Reports, out: &mut dyn Write) -> io::Result<()> {
        let Some(first) = reports.first() else { return Ok(()) };
        writeln!(out, "input: {}", first.input)?;
        let both = reports.requests.is_some() && reports.responses.is_some();
        for r in [&reports.requests, &reports.responses].into_iter().flatten() {
            if both {
                writeln!(out)?;
                write!(out, "{}s: ", r.noun)?;
            }
            Table::direction(r, out)?;
        }
        let ways = reports.both_ways();
        if !ways.is_empty() {
            writeln!(out)?;
            writeln!(out, "{:<16} {:>15} {:>15} {:>15}", "both directions", "to server", "to client", "total bytes")?;
            for way in &ways {
                writeln!(
                    out,
                    "{:<16} {:>15} {:>15} {:>15}",
                    way.name,
                    group(way.to_server),
                    group(way.to_client),
                    group(way.total())
                )?;
            }
        }
        writeln!(out)?;
        writeln!(out, "first: a connection's first message, set-up included; median, p99, max: the messages")?;
        writeln!(out, "after it; mean: all overhead over all messages. increase: overhead over body bytes.")?;
        if reports.requests.is_some() {
            writeln!(out, "HTTP/2: as Chrome's encoder sends it; AMQP: frames only, no properties, no handshake.")?;
        }
        if reports.responses.is_some() {
            writeln!(out, "HTTP/2 responses: as a server with Chrome's encoder policy sends them. AMQP is not")?;
            writeln!(out, "measured for responses: a basic.publish has no reply.")?;
        }
        Ok(())
    }
}

impl Table {
    /// The summary line and the table of one direction.
    fn direction(r: &Report, out: &mut dyn Write) -> io::Result<()> {
        let mean_body = r.mean_body().map_or("-".into(), |m| format!("{m:.1}"));
        writeln!(
            out,
            "{} connection{}, {} {}{}, mean body {mean_body} bytes; bandwidth at {} msg/s",
            group(r.connections),
            if r.connections == 1 { "" } else { "s" },
            group(r.messages),
            r.noun,
            if r.messages == 1 { "" } else { "s" },
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
        Ok(())
    }
}

/// One JSON object: schema `streamline-report/1` for requests alone, `streamline-report/2`
/// once responses are measured.
pub struct Json;

impl Json {
    /// The reports as a JSON value.
    pub fn value(reports: &Reports) -> Value {
        match reports {
            Reports { requests: Some(r), responses: None } => Json::requests(r),
            _ => Json::directions(reports),
        }
    }

    /// `streamline-report/1`: the requests alone.
    fn requests(r: &Report) -> Value {
        let mut value = Json::section(r);
        for (key, v) in [
            ("schema", json!("streamline-report/1")),
            ("input", json!(r.input)),
            ("files", json!(r.files)),
            ("rate", json!(r.rate)),
            ("requests", json!(r.messages)),
        ] {
            value[key] = v;
        }
        if let Some(map) = value.as_object_mut() {
            map.remove("messages");
        }
        value
    }

    /// `streamline-report/2`: a section per direction (null where none was measured) and the
    /// bytes each way of the encodings measured both ways (null unless both were).
    fn directions(reports: &Reports) -> Value {
        let Some(first) = reports.first() else { return Value::Null };
        let ways = reports.machine_both_ways();
        let both = (!ways.is_empty()).then(|| {
            ways.iter()
                .map(|w| {
                    json!({
                        "id": w.id,
                        "name": w.name,
                        "to_server_bytes": w.to_server,
                        "to_client_bytes": w.to_client,
                        "total_bytes": w.total(),
                    })
                })
                .collect::<Vec<Value>>()
        });
        json!({
            "schema": "streamline-report/2",
            "input": first.input,
            "files": first.files,
            "rate": first.rate,
            "requests": reports.requests.as_ref().map(Json::section),
            "responses": reports.responses.as_ref().map(Json::section),
            "both_directions": both,
        })
    }

    /// One direction's figures.
    fn section(r: &Report) -> Value {
        let encodings: Vec<Value> = r
            .machine_rows()
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
            "connections": r.connections,
            "messages": r.messages,
            "body_bytes": r.body_bytes,
            "mean_body_bytes": r.mean_body(),
            "encodings": encodings,
        })
    }
}

impl Render for Json {
    fn render(&self, reports: &Reports, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Json::value(reports))?;
        writeln!(out)
    }
}

/// A header line, then one line per encoding. Once responses are measured, each line starts
/// with its direction (`requests`, `responses`), the third column counts `messages`, and the
/// encodings measured both ways follow as `both` lines with the bytes of both directions in
/// `total_bytes` (their other columns empty).
pub struct Csv;

/// The columns after the first three.
const CSV_FIGURES: &str = "mean_body_bytes,overhead_first,overhead_steady_median,overhead_steady_p99,\
overhead_steady_max,overhead_mean,overhead_total,total_bytes,increase_percent,mib_per_second";

impl Render for Csv {
    fn render(&self, reports: &Reports, out: &mut dyn Write) -> io::Result<()> {
        if let Reports { requests: Some(r), responses: None } = reports {
            writeln!(out, "id,name,requests,{CSV_FIGURES}")?;
            return Csv::rows(r, "", out);
        }
        writeln!(out, "direction,id,name,messages,{CSV_FIGURES}")?;
        for r in [&reports.requests, &reports.responses].into_iter().flatten() {
            Csv::rows(r, if r.responses() { "responses," } else { "requests," }, out)?;
        }
        for way in reports.machine_both_ways() {
            writeln!(out, "both,{},{},,,,,,,,,{},,", way.id, way.name, way.total())?;
        }
        Ok(())
    }
}

impl Csv {
    /// One line per encoding of `r`, each starting with `prefix`.
    fn rows(r: &Report, prefix: &str, out: &mut dyn Write) -> io::Result<()> {
        let f = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        for row in r.machine_rows() {
            let o = &row.overhead;
            let u = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
            writeln!(
                out,
                "{prefix}{},{},{},{},{},{},{},{},{},{},{},{},{}",
                row.id,
                row.name,
                r.messages,
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
            messages: 100,
            body_bytes: 1300,
            rows: vec![Row { id: "compact", name: "compact", overhead }],
            noun: "request",
        }
    }

    fn requests() -> Reports {
        Reports { requests: Some(report()), responses: None }
    }

    /// The same figures for requests and for responses.
    fn both() -> Reports {
        Reports { requests: Some(report()), responses: Some(Report { noun: "response", ..report() }) }
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
        let r = requests();
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
    fn formats_of_both_directions() {
        let r = both();
        assert_eq!(
            r.both_ways(),
            [BothWays { id: "compact", name: "compact", to_server: 2130, to_client: 2130 }],
            "the rows measured both ways"
        );
        let mut json = Vec::new();
        Json.render(&r, &mut json).unwrap();
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["schema"], "streamline-report/2");
        assert_eq!((&v["requests"]["messages"], &v["responses"]["messages"]), (&json!(100), &json!(100)));
        assert_eq!(v["responses"]["encodings"][0]["total_bytes"], 2130);
        assert_eq!(v["both_directions"][0]["total_bytes"], 4260);
        let alone = Reports { requests: None, responses: Some(Report { noun: "response", ..report() }) };
        let v = Json::value(&alone);
        assert_eq!((&v["requests"], &v["both_directions"]), (&Value::Null, &Value::Null));
        let mut csv = Vec::new();
        Csv.render(&r, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines.iter().all(|line| line.split(',').count() == 14), "{csv}");
        assert!(lines[2].starts_with("responses,compact,compact,100,13,137,"), "{csv}");
        assert_eq!(lines[3], "both,compact,compact,,,,,,,,,4260,,");
        let mut table = Vec::new();
        Table.render(&r, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("\nrequests: 1 connection, 100 requests,"), "{table}");
        assert!(table.contains("\nresponses: 1 connection, 100 responses,"), "{table}");
        assert!(table.contains("\ncompact                    2,130           2,130           4,260\n"), "{table}");
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
