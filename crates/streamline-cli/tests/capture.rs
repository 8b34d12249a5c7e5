//! Captures through the command: `report` on a capture gives the figures of `report` on its
//! flows extracted as files; `encode -o DIR` writes one compact file per HTTP flow, each what
//! `encode` makes of the flow alone; `decode` refuses a capture; the plots; the bounds.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::scratch;
use serde_json::Value;
use streamline_capture::craft::{self, Connection, Link, Writer};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamline"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Runs and expects `code`; returns standard output and standard error.
fn expect(args: &[&str], code: i32) -> (Vec<u8>, String) {
    let out = run(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    (out.stdout, stderr)
}

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/captures")
}

fn path_str(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The report's figures without the names of the inputs.
fn figures(args: &[&str]) -> Value {
    let (out, _) = expect(args, 0);
    let mut v: Value = serde_json::from_slice(&out).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("input");
    o.remove("files");
    v
}

/// The `.http` files of a sample capture's ground truth, sorted.
fn flow_files(capture: &str) -> Vec<String> {
    let dir = captures().join(capture);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| path_str(&e.unwrap().path()))
        .filter(|p| !p.contains("_22.http"))
        .collect();
    files.sort();
    files
}

#[test]
fn report_on_a_capture_equals_report_on_its_flows() {
    for (capture, flows) in [
        ("crafted-ethernet-interleaved.pcap", "crafted-ethernet-interleaved.flows"),
        ("crafted-two-interfaces.pcapng", "crafted-two-interfaces.flows"),
        ("crafted-reorder-retransmit.pcap", "crafted-reorder-retransmit.flows"),
        // Recorded with tcpdump and dumpcap (scripts/record-captures.sh): curl and Python.
        ("recorded-lo.pcap", "recorded-lo.flows"),
        ("recorded-any-ns.pcap", "recorded-any-ns.flows"),
        ("recorded-dumpcap.pcapng", "recorded-dumpcap.flows"),
    ] {
        let files = flow_files(flows);
        let mut args: Vec<&str> = vec!["report", "--format", "json", "-q"];
        args.extend(files.iter().map(String::as_str));
        let capture = path_str(&captures().join(capture));
        assert_eq!(figures(&["report", &capture, "--format", "json", "-q"]), figures(&args), "{capture}");
    }
}

#[test]
fn report_on_a_large_interleaved_capture_equals_report_on_its_flows() {
    let dir = scratch("large");
    let gen = |args: &[&str]| expect(args, 0).0;
    let streams = [
        gen(&["gen", "browse", "--count", "400", "--seed", "4"]),
        gen(&["gen", "upload", "--count", "30", "--seed", "5"]),
        gen(&["gen", "opra", "--count", "3000"]),
    ];
    let mut w = Writer::pcap(Link::Ethernet);
    let mut conns: Vec<(Connection, &[u8])> = streams
        .iter()
        .enumerate()
        .map(|(i, s)| (Connection::ipv4([10, 0, 0, 1], 50_000 + i as u16, [10, 0, 0, 2], 80, i as u32 * 77), &s[..]))
        .collect();
    craft::interleaved(&mut w, &mut conns, 1448);
    let pcap = dir.join("large.pcap");
    std::fs::write(&pcap, w.bytes()).unwrap();
    let mut files = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let f = dir.join(format!("{i}.http"));
        std::fs::write(&f, s).unwrap();
        files.push(path_str(&f));
    }
    let mut args: Vec<&str> = vec!["report", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let from_files = figures(&args);
    assert_eq!(figures(&["report", &path_str(&pcap), "--format", "json"]), from_files);
    assert_eq!(from_files["connections"], 3);
    // A window of 0 and a small out-of-order budget change nothing on an orderly capture.
    let opts = ["--window-requests", "0", "--window-bytes", "0"];
    let mut args: Vec<&str> = vec!["report", "--format", "json"];
    args.extend(opts);
    args.extend(files.iter().map(String::as_str));
    let pcap = path_str(&pcap);
    let mut capture_args = vec!["report", &pcap, "--format", "json", "--max-out-of-order", "0"];
    capture_args.extend(opts);
    assert_eq!(figures(&capture_args), figures(&args));
}

#[test]
fn the_json_report_has_a_binary_http_row() {
    let capture = path_str(&captures().join("crafted-two-interfaces.pcapng"));
    let report = figures(&["report", &capture, "--format", "json"]);
    let ids: Vec<&str> = report["encodings"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    // The schema's first five in their places (README), `packed`, added since, after them.
    assert_eq!(ids, ["plain", "compact", "http2", "amqp", "bhttp", "packed"]);
    let bhttp = &report["encodings"][4];
    assert_eq!(bhttp["name"], "Binary HTTP");
    // Stateless: the steady state pays as much as the first message of the x100 flow.
    assert!(bhttp["overhead"]["steady_median"].as_u64().unwrap() > 100, "{bhttp}");
}

#[test]
fn encode_a_capture_writes_one_file_per_http_flow() {
    let dir = scratch("encode");
    let out = dir.join("flows");
    let capture = path_str(&captures().join("crafted-ethernet-interleaved.pcap"));
    let (stdout, stderr) = expect(&["encode", &capture, "-o", &path_str(&out)], 0);
    assert!(stdout.is_empty());
    assert!(stderr.contains("127.0.0.1:41004 -> 127.0.0.1:22: not HTTP"), "{stderr}");
    let mut written: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(
        written,
        [
            "127.0.0.1_41001-127.0.0.1_8080.shttp",
            "127.0.0.1_41002-127.0.0.1_8080.shttp",
            "127.0.0.1_41003-127.0.0.1_8080.shttp"
        ]
    );
    for name in written {
        let flow = captures().join("crafted-ethernet-interleaved.flows").join(name.replace(".shttp", ".http"));
        let (alone, _) = expect(&["encode", &path_str(&flow)], 0);
        assert!(std::fs::read(out.join(&name)).unwrap() == alone, "{name}");
    }
}

#[test]
fn encode_a_capture_keeps_the_requests_before_a_gap() {
    let dir = scratch("gap");
    let capture = path_str(&captures().join("crafted-lost-segment.pcap"));
    let (_, stderr) = expect(&["encode", &capture, "-o", &path_str(&dir)], 0);
    assert!(stderr.contains("64 bytes lost at byte 192 of the stream (packet 6)"), "{stderr}");
    let file = dir.join("127.0.0.1_46000-127.0.0.1_8080.shttp");
    let (decoded, _) = expect(&["decode", &path_str(&file)], 0);
    // get-pair's first request ends before byte 192; the second is cut by the gap.
    let pair = std::fs::read(captures().join("../get-pair.http")).unwrap();
    let first_end = pair.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(first_end <= 192);
    assert_eq!(String::from_utf8_lossy(&decoded), String::from_utf8_lossy(&pair[..first_end]));
}

/// A flow whose first bytes were never captured (its SYN seen, the segment after it lost):
/// where its requests begin is unknown, so it is skipped, and the note says it was a loss,
/// not a flow without client data.
#[test]
fn a_flow_that_lost_its_first_bytes_is_said_to() {
    let dir = scratch("first-lost");
    let mut w = Writer::pcap(Link::Ethernet);
    let mut conn = Connection::ipv4([10, 0, 0, 1], 50_000, [10, 0, 0, 2], 80, 7);
    w.packet(&conn.syn());
    w.packet(&conn.syn_ack());
    conn.skip(50);
    w.packet(&conn.data(b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n"));
    w.packet(&conn.fin());
    let pcap = dir.join("first-lost.pcap");
    std::fs::write(&pcap, w.bytes()).unwrap();
    let (_, stderr) = expect(&["report", &path_str(&pcap)], 0);
    assert!(stderr.contains("50 bytes lost at byte 0 of the stream"), "{stderr}");
    assert!(stderr.contains("before any byte of it: the flow skipped"), "{stderr}");
    assert!(stderr.contains("1 TCP flow: 0 read as HTTP, 1 stopped at a fault"), "{stderr}");
}

#[test]
fn encode_a_capture_needs_a_directory() {
    let capture = path_str(&captures().join("crafted-raw-ipv6.pcap"));
    let (_, stderr) = expect(&["encode", &capture], 2);
    assert!(stderr.contains("is a capture, which holds many connections: give -o DIR"), "{stderr}");
    let dir = scratch("not-a-dir");
    let file = dir.join("f");
    std::fs::write(&file, b"x").unwrap();
    let (_, stderr) = expect(&["encode", &capture, "-o", &path_str(&file)], 2);
    assert!(stderr.contains("must be a directory"), "{stderr}");
}

#[test]
fn decode_refuses_a_capture() {
    for name in ["crafted-raw-ipv6.pcap", "crafted-two-interfaces.pcapng", "crafted-big-endian-ns.pcap"] {
        let capture = path_str(&captures().join(name));
        let (stdout, stderr) = expect(&["decode", &capture], 1);
        assert!(stdout.is_empty());
        assert!(stderr.contains("a pcap or pcapng capture, not a compact stream"), "{stderr}");
        assert!(stderr.contains("streamline encode FILE -o DIR"), "{stderr}");
    }
}

#[test]
fn a_capture_cut_short_is_reported_up_to_the_cut_then_refused() {
    let dir = scratch("cut");
    let bytes = std::fs::read(captures().join("crafted-ethernet-interleaved.pcap")).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..20_000]).unwrap();
    let (stdout, stderr) = expect(&["report", &path_str(&cut)], 1);
    let table = String::from_utf8(stdout).unwrap();
    assert!(table.contains("3 connections, 69 requests"), "{table}");
    assert!(stderr.contains("packet 50 (byte 19740): the capture ends inside a record"), "{stderr}");
    assert!(stderr.contains("the flow ends inside a request"), "{stderr}");
    let (_, stderr) = expect(&["encode", &path_str(&cut), "-o", &path_str(&dir.join("out"))], 1);
    assert!(stderr.contains("packet 50 (byte 19740)"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.join("out")).unwrap().count(), 3, "the flows read so far are written");
}

#[test]
fn max_flows_evicts_with_a_note() {
    let capture = path_str(&captures().join("crafted-ethernet-interleaved.pcap"));
    let (_, stderr) = expect(&["report", &capture, "--max-flows", "1"], 0);
    assert!(stderr.contains("closed early: more flows were open at once than --max-flows"), "{stderr}");
}

#[test]
fn the_plots_as_svg() {
    let dir = scratch("plot");
    let svg = dir.join("report.svg");
    let capture = path_str(&captures().join("crafted-ethernet-interleaved.pcap"));
    let (table, _) = expect(&["report", &capture, "--plot", &path_str(&svg)], 0);
    assert!(String::from_utf8(table).unwrap().contains("Binary HTTP"));
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.starts_with("<svg"), "{}", &drawn[..100]);
    assert!(drawn.trim_end().ends_with("</svg>"));
    for text in ["(a) overhead bytes per message", "(b) cumulative bytes", "plain HTTP/1.1", "compact", "Binary HTTP"] {
        assert!(drawn.contains(text), "{text}");
    }
    let (printed, _) = expect(&["report", &capture, "--format", "svg"], 0);
    assert!(printed == drawn.as_bytes(), "--format svg prints what --plot writes");
}

#[test]
fn max_held_stops_the_flow_that_holds_the_most() {
    // A head of 200 lines of 1,000 bytes that never ends, beside a whole request.
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..200 {
        head.extend_from_slice(format!("X-{i:03}: {}\r\n", "a".repeat(992)).as_bytes());
    }
    let whole = b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
    let mut w = Writer::pcap(Link::Ethernet);
    let big = Connection::ipv4([10, 0, 0, 1], 40_001, [10, 0, 0, 2], 80, 1);
    let small = Connection::ipv4([10, 0, 0, 1], 40_002, [10, 0, 0, 2], 80, 2);
    craft::interleaved(&mut w, &mut [(big, &head[..]), (small, &whole[..])], 1448);
    let dir = scratch("held");
    let pcap = dir.join("held.pcap");
    std::fs::write(&pcap, w.bytes()).unwrap();
    let pcap = path_str(&pcap);
    let (out, stderr) = expect(&["report", &pcap, "--format", "json", "--max-held", "100KiB"], 0);
    assert!(
        stderr.contains("10.0.0.1:40001 -> 10.0.0.2:80: stopped: the flows held more than --max-held (102,400 bytes)"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["requests"], 1, "the other flow is read");
    // Under the default the head is read to its end, where the flow ends inside it.
    let (_, stderr) = expect(&["report", &pcap], 0);
    assert!(stderr.contains("the flow ends inside a request"), "{stderr}");
}
