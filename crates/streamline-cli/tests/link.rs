//! `streamline bench --link`: a short run of the streamline peers over loopback TCP, its table
//! and its JSON, every request acknowledged and the bytes on the wire what the codec writes.
//! (Speed is never checked: only the shape of the output and the counts.)

mod common;

use bytes::BytesMut;
use common::{fails, num, ok};
use serde_json::Value;
use streamline::{http1, Encoder};

/// Messages each peer sends in these tests.
const COUNT: u64 = 2000;

/// The bytes the compact encoder writes for the first `n` quotes of the built-in feed: the
/// link's quotes differ only in their sequence digits, so they encode to as many bytes.
fn compact_bytes(n: u64) -> u64 {
    let mut src = BytesMut::from(&streamline_traffic::opra(n, 1, 66)[..]);
    let mut parser = http1::Parser::new();
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    while let Some(request) = parser.decode_eof(&mut src).unwrap() {
        encoder.encode(&request, &mut out).unwrap();
    }
    out.len() as u64
}

/// The table's rows: a peer's name, then its message count.
fn table(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() > 2 && w[1].bytes().all(|b| b.is_ascii_digit() || b == b','))
        .collect()
}

fn run<'a>(bench: &'a Value, id: &str) -> &'a Value {
    bench["runs"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id} run"))
}

#[test]
fn every_request_is_acknowledged_and_counted_on_the_wire() {
    let count = COUNT.to_string();
    let out = ok(&["bench", "--link", "--count", &count, "--peers", "compact,plain", "--format", "json"], b"");
    let bench: Value = serde_json::from_slice(&out).expect("bench --link --format json prints JSON");
    assert_eq!(bench["schema"], "streamline-bench-link/1");
    assert_eq!((bench["count"].as_u64(), bench["rate"].as_f64()), (Some(COUNT), None));
    assert_eq!((bench["request_body_bytes"].as_u64(), bench["ack_body_bytes"].as_u64()), (Some(66), Some(3)));
    let runs = bench["runs"].as_array().unwrap();
    assert_eq!(runs.iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), ["compact", "plain"]);
    for r in runs {
        let id = &r["id"];
        for key in ["messages", "requests_read", "acks_read"] {
            assert_eq!(r[key].as_u64(), Some(COUNT), "{id} {key}");
        }
        for key in ["seconds", "requests_per_second", "acks_per_second"] {
            assert!(num(&r[key]) > 0.0, "{id} {key}");
        }
        let latency = &r["latency_us"];
        let quantiles: Vec<f64> = ["p50", "p99", "p99_9", "max"].iter().map(|q| num(&latency[q])).collect();
        assert!(quantiles.windows(2).all(|w| w[0] <= w[1]), "{id}: {quantiles:?}");
        for key in ["process", "client_thread", "server_thread"] {
            assert!(num(&r["cpu_us_per_message"][key]) >= 0.0, "{id} cpu {key}");
        }
        for key in ["client_thread", "server_thread"] {
            let waited = &r["waited_for_cpu_ms"][key];
            assert!(waited.is_null() || num(waited) >= 0.0, "{id} waited {key}");
            #[cfg(target_os = "linux")]
            assert!(num(waited) >= 0.0, "{id}: Linux tells how long a thread waited");
        }
        for key in ["kept_up", "backlog_max", "latency_from_due_us"] {
            assert!(r[key].is_null(), "{id} {key}: not paced");
        }
    }
    // What the client wrote is what the encoder writes for these quotes: 7 bytes of head each
    // once the state is set, the first message setting it.
    let compact = &run(&bench, "compact")["wire_bytes"];
    assert_eq!(compact["requests"].as_u64(), Some(compact_bytes(COUNT)));
    assert_eq!(compact_bytes(COUNT) - compact_bytes(COUNT - 1), 7 + 66);
    // Acknowledgements: 145 bytes of lines for the first, `+:` (4 bytes) for the next, 13 more
    // when the Date's second changes (an `E:` line, SPEC.md §13.8).
    let acks = compact["acks"].as_u64().unwrap();
    let steady = 145 + 3 + (COUNT - 1) * (4 + 3);
    let seconds = num(&run(&bench, "compact")["seconds"]).ceil() as u64 + 1;
    assert!((steady..=steady + 13 * seconds).contains(&acks), "{acks} bytes of compact acks");
    // Plain HTTP/1.1: the canonical quote (147 bytes of head) and nginx's 150-byte ack.
    let plain = &run(&bench, "plain")["wire_bytes"];
    assert_eq!(plain["requests"].as_u64(), Some(COUNT * (147 + 66)));
    assert_eq!(plain["acks"].as_u64(), Some(COUNT * 150));
    assert_eq!((num(&plain["request_head"]), num(&plain["ack_head"])), (147.0, 147.0));
}

#[test]
fn the_table_has_a_row_per_peer() {
    let out = ok(&["bench", "--link", "--count", "500", "--peers", "plain,compact"], b"");
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("live link: TCP over 127.0.0.1"), "{text}");
    let rows = table(&text);
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!((rows[0][0], rows[1][0]), ("plain", "compact"), "in the order of --peers");
    let header = text.lines().find(|l| l.starts_with("peer ")).expect("a header line");
    assert_eq!(header.split_whitespace().count(), rows[0].len(), "{header}");
    for row in &rows {
        assert_eq!(row[1], "500", "{row:?}");
        let (request, head): (f64, f64) = (row[8].parse().unwrap(), row[9].parse().unwrap());
        assert!((request - 66.0 - head).abs() < 0.11, "wire bytes per request, and its head: {row:?}");
    }
    assert!(text.contains("compact requests/s: ") && text.contains("x plain"), "{text}");
    // Paced: two more columns.
    let out = ok(&["bench", "--link", "--count", "300", "--peers", "compact", "--rate", "100000"], b"");
    let text = String::from_utf8(out).unwrap();
    let rows = table(&text);
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(rows[0].len(), 18, "{text}");
    assert!(text.contains("paced at 100,000 msg/s"), "{text}");
}

#[test]
fn link_options_are_checked() {
    for (args, says) in [
        (&["bench", "--peers", "compact"][..], "--link"),
        (&["bench", "--in-flight", "8"], "--link"),
        (&["bench", "--link", "feed.http"], "cannot be used with"),
        (&["bench", "--link", "--window-requests", "0"], "cannot be used with"),
        (&["bench", "--link", "--peers", "grpc"], "grpc"),
        (&["bench", "--link", "--in-flight", "0"], "from 1"),
        (&["bench", "--link", "--hyper1-connections", "0"], "from 1"),
    ] {
        let (_, stderr) = fails(args, b"", 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let (_, stderr) = fails(&["bench", "--link", "--count", "0"], b"", 2);
    assert!(stderr.contains("--count 0"), "{stderr}");
}

#[test]
fn paced_runs_say_whether_they_kept_up() {
    let out =
        ok(&["bench", "--link", "--count", "300", "--peers", "compact", "--rate", "50000", "--format", "json"], b"");
    let bench: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(bench["rate"].as_f64(), Some(50_000.0));
    let compact = run(&bench, "compact");
    assert_eq!(compact["acks_read"].as_u64(), Some(300));
    assert!(compact["kept_up"].is_boolean() && compact["backlog_max"].as_u64().unwrap() >= 1);
    let from_due = &compact["latency_from_due_us"];
    assert!(num(&from_due["p99_9"]) <= num(&from_due["max"]));
}
