//! The `streamline` binary on response streams: the recorded samples encoded and decoded
//! byte for byte, `report` on responses and on both directions of a connection, `gen
//! --responses`, and the errors (direction, truncation, protocol switch, a request stream
//! that runs out).

mod common;

use common::{canonical_responses, encoding, fails, num, ok, read, report_json, run, sample, sample_str, scratch};
use serde_json::Value;

/// The recorded samples: name, and the request stream needed to frame them (browse has HEADs).
const SAMPLES: [(&str, Option<&str>); 2] = [("opra-acks", None), ("browse", Some("responses/browse.requests.http"))];

fn responses(name: &str) -> String {
    sample_str(&format!("responses/{name}"))
}

/// `encode` (with the request stream where framing needs it) and the command line it takes.
fn encode_args(name: &str, requests: Option<&str>) -> Vec<String> {
    let mut args = vec!["encode".to_string(), responses(&format!("{name}.http"))];
    if let Some(requests) = requests {
        args.extend(["--requests".to_string(), sample_str(requests)]);
    }
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn encode_the_response_samples_like_their_compact_files() {
    for (name, requests) in SAMPLES {
        let compact = ok(&strs(&encode_args(name, requests)), b"");
        assert!(compact.starts_with(b"C:200 OK\r\nV:HTTP/1.1\r\n"), "{name}");
        assert!(compact == read(sample(&format!("responses/{name}.shttp"))), "{name}: differs from its .shttp");
    }
    // Standard input, and -o FILE, write the same.
    let plain = read(sample("responses/opra-acks.http"));
    assert_eq!(ok(&["encode", "-"], &plain), read(sample("responses/opra-acks.shttp")));
    let dir = scratch("responses-encode");
    let out = dir.join("browse.shttp");
    let mut args = encode_args("browse", Some("responses/browse.requests.http"));
    args.extend(["-o".to_string(), out.to_str().unwrap().to_string()]);
    assert!(ok(&strs(&args), b"").is_empty());
    assert_eq!(read(&out), read(sample("responses/browse.shttp")));
    // The requests may be compact too.
    let compact_requests = dir.join("browse.requests.shttp");
    ok(&["encode", &sample_str("responses/browse.requests.http"), "-o", compact_requests.to_str().unwrap()], b"");
    let args = ["encode", &responses("browse.http"), "--requests", compact_requests.to_str().unwrap()];
    assert_eq!(ok(&args, b""), read(sample("responses/browse.shttp")));
}

#[test]
fn decode_the_compact_samples_to_canonical_plain() {
    for (name, requests) in SAMPLES {
        let plain = ok(&["decode", &responses(&format!("{name}.shttp"))], b"");
        let requests = requests.map(|r| read(sample(r)));
        let canonical = canonical_responses(&read(sample(&format!("responses/{name}.http"))), requests.as_deref());
        assert!(plain == canonical, "{name}: not the canonical form");
    }
    // The canonical form of the acknowledgements has its Content-Length last.
    let plain = ok(&["decode", "-"], &read(sample("responses/opra-acks.shttp")));
    assert!(plain.starts_with(
        b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 05 Dec 2026 08:35:18 GMT\r\n\
Content-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nOK\n"
    ));
    assert_eq!(plain.len(), 150_000);
}

/// The figures of one direction of a `streamline-report/2` report.
fn section<'a>(report: &'a Value, direction: &str) -> &'a Value {
    assert_eq!(report["schema"], "streamline-report/2");
    &report[direction]
}

#[test]
fn report_prices_the_acknowledgements() {
    let acks = responses("opra-acks.http");
    let report = report_json(&[&acks]);
    assert_eq!(report["requests"], Value::Null);
    assert_eq!(report["both_directions"], Value::Null);
    let r = section(&report, "responses");
    assert_eq!((r["messages"].as_u64(), r["body_bytes"].as_u64()), (Some(1000), Some(3000)));
    let ids: Vec<&str> = r["encodings"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["plain", "compact", "http2", "bhttp", "packed"], "no AMQP row for responses");
    let plain = encoding(r, "plain");
    assert_eq!(
        (plain["total_bytes"].as_u64(), plain["overhead"]["steady_median"].as_u64()),
        (Some(150_000), Some(147))
    );
    // A steady acknowledgement is `+:` CRLF; a new Date one E: line more.
    let compact = encoding(r, "compact");
    let o = &compact["overhead"];
    assert_eq!((o["steady_median"].as_u64(), o["steady_p99"].as_u64()), (Some(4), Some(4)));
    assert_eq!(compact["total_bytes"].as_u64(), Some(read(sample("responses/opra-acks.shttp")).len() as u64));
    let http2 = &encoding(r, "http2")["overhead"];
    assert!(num(&http2["first"]) > num(&http2["mean"]) && num(&http2["mean"]) > 4.0, "{http2}");
    assert!(encoding(r, "bhttp")["overhead"]["steady_median"].as_u64().unwrap() > 4);
    // The table says it in words.
    let table = String::from_utf8(ok(&["report", &acks], b"")).unwrap();
    assert!(table.contains("1 connection, 1,000 responses, mean body 3.0 bytes"), "{table}");
    let row = |name: &str| table.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{table}"));
    let compact: Vec<&str> = row("compact ").split_whitespace().collect();
    assert_eq!(&compact[1..4], ["145", "4", "4"], "first, median, p99: {table}");
    let http2: Vec<&str> = row("HTTP/2 ").split_whitespace().collect();
    assert_eq!(&http2[1..3], ["75", "23"], "first, median: {table}");
    assert!(!table.contains("AMQP 0-9-1  "), "{table}");
    assert!(table.contains("AMQP is not\nmeasured for responses"), "{table}");
    // The compact stream measures alike.
    let compact = report_json(&[&responses("opra-acks.shttp")]);
    assert_eq!(section(&compact, "responses")["encodings"], report["responses"]["encodings"]);
}

#[test]
fn report_both_directions_of_the_opra_connection() {
    let (requests, acks) = (responses("opra-acks.requests.http"), responses("opra-acks.http"));
    let both = report_json(&[&acks, "--requests", &requests]);
    assert_eq!(both["files"], serde_json::json!([requests, acks]));
    assert_eq!(both["input"], format!("{acks} answering {requests}: one connection, both directions"));
    // Each direction measures as it does alone.
    let alone = report_json(&[&requests]);
    assert_eq!(alone["schema"], "streamline-report/1");
    assert_eq!(section(&both, "requests")["encodings"], alone["encodings"]);
    assert_eq!(section(&both, "requests")["messages"], 1000);
    assert_eq!(section(&both, "responses")["encodings"], report_json(&[&acks])["responses"]["encodings"]);
    // The bytes each way, per encoding measured both ways.
    let ways = both["both_directions"].as_array().unwrap();
    let ids: Vec<&str> = ways.iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["plain", "compact", "http2", "bhttp", "packed"]);
    let plain = &ways[0];
    assert_eq!((plain["to_server_bytes"].as_u64(), plain["to_client_bytes"].as_u64()), (Some(213_000), Some(150_000)));
    assert_eq!(plain["total_bytes"], 363_000);
    let compact = &ways[1];
    let encoded = ok(&["encode", &requests], b"").len() + read(sample("responses/opra-acks.shttp")).len();
    assert_eq!(compact["total_bytes"].as_u64(), Some(encoded as u64), "what encode writes both ways");
    // The two files side by side, without --requests: two connections, a table each.
    let side_by_side = report_json(&[&requests, &acks]);
    assert_eq!(side_by_side["both_directions"], both["both_directions"]);
    assert_eq!(side_by_side["input"], "2 files, one connection each");
    let table = String::from_utf8(ok(&["report", &acks, "--requests", &requests], b"")).unwrap();
    for line in [
        "\nrequests: 1 connection, 1,000 requests, mean body 66.0 bytes",
        "\nresponses: 1 connection, 1,000 responses, mean body 3.0 bytes",
        "\nboth directions        to server       to client     total bytes\n",
        "\nplain HTTP/1.1           213,000         150,000         363,000\n",
    ] {
        assert!(table.contains(line), "{line:?} missing:\n{table}");
    }
    let csv = String::from_utf8(ok(&["report", &acks, "--requests", &requests, "--format", "csv"], b"")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 6 + 5 + 5, "{csv}");
    assert!(lines[0].starts_with("direction,id,name,messages,"), "{csv}");
    assert!(lines[15].starts_with("both,bhttp,Binary HTTP,"), "{csv}");
    assert!(lines[16].starts_with("both,packed,compact (packed),"), "{csv}");
}

#[test]
fn report_frames_the_browsing_responses_with_their_requests() {
    let (requests, browse) = (responses("browse.requests.http"), responses("browse.http"));
    let report = report_json(&[&browse, "--requests", &requests]);
    let r = section(&report, "responses");
    assert_eq!(r["messages"], 30);
    assert_eq!(encoding(r, "plain")["total_bytes"].as_u64(), Some(read(sample("responses/browse.http")).len() as u64));
    assert_eq!(
        encoding(r, "compact")["total_bytes"].as_u64(),
        Some(read(sample("responses/browse.shttp")).len() as u64)
    );
    assert_eq!(section(&report, "requests")["messages"], 30);
    // Without the requests, the answer to a HEAD is read as carrying its body, and the
    // message says what was assumed.
    let (stdout, stderr) = fails(&["report", &browse], b"", 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("input ends inside a body"), "{stderr}");
    assert!(stderr.contains("; the responses were read as answers to methods other than HEAD and CONNECT"), "{stderr}");
}

#[test]
fn compact_streams_of_the_two_directions_are_never_confused() {
    // Each compact sample decodes in its own direction.
    assert!(ok(&["decode", &responses("opra-acks.shttp")], b"").starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(ok(&["decode", &sample_str("opra-feed-1000.shttp")], b"").starts_with(b"POST /receiver HTTP/1.1\r\n"));
    // A response opcode in a request stream, a request opcode in a response stream: refused
    // at that line, everything before written.
    let (stdout, stderr) = fails(&["decode"], b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n-:\r\nC:200 OK\r\n-:\r\n", 1);
    assert_eq!(stdout, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 5 (byte 28): wrong direction: 'C:' and '$:' are response opcodes; this \
is a request stream (1 request written)\n"
    );
    let (stdout, stderr) = fails(&["decode"], b"C:204 No Content\r\nV:HTTP/1.1\r\n-:\r\nM:GET\r\n-:\r\n", 1);
    assert_eq!(stdout, b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 4 (byte 34): wrong direction: 'B:', 'M:' and 'U:' are request opcodes; \
this is a response stream (1 response written)\n"
    );
    // A compact response stream is not encoded again, and plain responses are not decoded.
    let (stdout, stderr) = fails(&["encode"], &read(sample("responses/opra-acks.shttp")), 1);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 1 (byte 0): a compact response stream (it starts with 'C:'), encoded \
already: use `streamline decode` (0 responses written)\n"
    );
    let (_, stderr) = fails(&["decode"], &read(sample("responses/opra-acks.http")), 1);
    assert!(stderr.contains("; the input looks like plain HTTP/1.1 responses: use `streamline encode`"), "{stderr}");
    // bench measures requests only.
    let (_, stderr) = fails(&["bench", &responses("opra-acks.shttp"), "--duration", "0.05"], b"", 1);
    assert!(stderr.contains("a compact response stream: bench measures request streams"), "{stderr}");
}

#[test]
fn rejected_responses_are_placed_as_requests_are() {
    let plain = read(sample("responses/opra-acks.http"));
    // Cut one byte into the body of the 11th acknowledgement (150 bytes and 8 LFs each).
    let cut = &plain[..10 * 150 + 148];
    let (stdout, stderr) = fails(&["encode"], cut, 1);
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 88 (byte 1648): input ends inside a body (2 bytes missing); the responses \
were read as answers to methods other than HEAD and CONNECT (--requests gives the requests they answer) \
(10 responses written)\n"
    );
    assert_eq!(ok(&["decode"], &stdout), canonical_responses(&plain[..1500], None), "the whole ones");
    // With the requests given, nothing was assumed.
    let (_, stderr) = fails(&["encode", "-", "--requests", &responses("opra-acks.requests.http")], cut, 1);
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 88 (byte 1648): input ends inside a body (2 bytes missing) \
(10 responses written)\n"
    );
    // A bad status line, and the compact decoder's errors, at their line.
    let mut bad = plain[..300].to_vec();
    bad.extend_from_slice(b"HTTP/1.1 2x0 OK\r\n\r\n");
    let (_, stderr) = fails(&["encode", "--requests", &responses("opra-acks.requests.http")], &bad, 1);
    assert!(stderr.starts_with("streamline: error: <stdin>: line 17 (byte 300): invalid status line 'HTTP/1.1 2x0 OK'"));
    assert!(stderr.ends_with(" (2 responses written)\n"), "{stderr}");
    let compact = read(sample("responses/opra-acks.shttp"));
    let (_, stderr) = fails(&["decode"], &compact[..compact.len() - 2], 1);
    assert!(stderr.contains("input ends inside a body (2 bytes missing) (999 responses written)"), "{stderr}");
    let (_, stderr) = fails(&["report", "-"], &compact[..compact.len() - 2], 1);
    assert!(stderr.contains("input ends inside a body (2 bytes missing)"), "{stderr}");
}

#[test]
fn a_request_stream_that_runs_out_is_an_error_of_that_file() {
    let dir = scratch("responses-run-out");
    let ten = dir.join("ten.http");
    std::fs::write(&ten, &read(sample("responses/opra-acks.requests.http"))[..10 * 213]).unwrap();
    let (stdout, stderr) =
        fails(&["encode", &responses("opra-acks.http"), "--requests", ten.to_str().unwrap()], b"", 1);
    assert_eq!(
        stderr,
        format!(
            "streamline: error: {}: holds 10 requests, and response 11 of the response stream answers none of them \
(10 responses written)\n",
            ten.display()
        )
    );
    let ten_acks = canonical_responses(&read(sample("responses/opra-acks.http"))[..1500], None);
    assert_eq!(ok(&["decode"], &stdout), ten_acks, "the responses it answers are written");
    let (_, stderr) = fails(&["report", &responses("opra-acks.http"), "--requests", ten.to_str().unwrap()], b"", 1);
    assert!(stderr.contains("holds 10 requests, and response 11"), "{stderr}");
    // A rejected request stream names its file and place.
    let bad = dir.join("bad.http");
    std::fs::write(&bad, b"GET / HTTP/1.1\r\n\r\nGET  / HTTP/1.1\r\n\r\n").unwrap();
    let (_, stderr) = fails(&["encode", &responses("opra-acks.http"), "--requests", bad.to_str().unwrap()], b"", 1);
    assert!(
        stderr.starts_with(&format!("streamline: error: {}: line 3 (byte 18): invalid request line", bad.display()))
    );
}

#[test]
fn requests_is_for_a_response_stream_and_names_requests() {
    let requests = responses("opra-acks.requests.http");
    let (_, stderr) = fails(&["encode", &requests, "--requests", &requests], b"", 2);
    assert!(stderr.contains("holds requests, not responses"), "{stderr}");
    let (_, stderr) = fails(&["encode", &responses("opra-acks.http"), "--requests", &responses("browse.http")], b"", 2);
    assert!(stderr.contains("holds responses: --requests takes the request stream the responses answer"), "{stderr}");
    let (_, stderr) = fails(&["report", &responses("opra-acks.http"), &requests, "--requests", &requests], b"", 2);
    assert!(stderr.contains("give that one response FILE beside it (2 FILEs given)"), "{stderr}");
    for args in [&["encode", "--requests", "-"][..], &["report", "-", "--requests", "-"]] {
        let (_, stderr) = fails(args, b"", 2);
        assert!(stderr.contains("cannot both be standard input"), "{stderr}");
    }
    // An empty response stream answers nothing: the connection's requests are all there is.
    assert!(ok(&["encode", "-", "--requests", &requests], b"").is_empty());
    let report = report_json(&["-", "--requests", &requests]);
    let answered = &section(&report, "responses");
    assert_eq!((&answered["connections"], &answered["messages"]), (&1.into(), &0.into()));
    assert_eq!(section(&report, "requests")["messages"], 1000);
    // The requests on standard input.
    let compact =
        ok(&["encode", &responses("browse.http"), "--requests", "-"], &read(sample("responses/browse.requests.http")));
    assert_eq!(compact, read(sample("responses/browse.shttp")));
}

#[test]
fn a_close_delimited_last_response_comes_out_whole() {
    let plain =
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.0 200 OK\r\nServer: old\r\n\r\nthe rest\r\n\r\nof it";
    let compact = ok(&["encode"], plain);
    assert!(compact.ends_with(b"$:\r\nthe rest\r\n\r\nof it"), "{}", compact.escape_ascii());
    assert_eq!(ok(&["decode"], &compact), plain);
    let out = ok(&["report", "-", "--format", "json"], plain);
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(section(&report, "responses")["body_bytes"], 2 + 17);
}

#[test]
fn a_switch_of_protocols_stops_the_stream_naming_the_bytes_after_it() {
    let mut plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        .to_vec();
    let switched = plain.len();
    plain.extend_from_slice(&[0x81, 0x05, b'h', b'e', b'l', b'l', b'o']);
    plain.extend_from_slice(&vec![b'x'; 200_000]);
    let (stdout, stderr) = fails(&["encode"], &plain, 1);
    assert_eq!(
        stderr,
        format!(
            "streamline: error: <stdin>: line 8 (byte {switched}): 200007 bytes follow the response that switched \
protocols (status 101); the rest of the connection is not HTTP/1.1 (2 responses written)\n"
        )
    );
    assert_eq!(ok(&["decode"], &stdout), &plain[..switched]);
    // Nothing after it: the stream just ends.
    ok(&["encode"], &plain[..switched]);
    // A 2xx to CONNECT makes a tunnel, which only the requests tell.
    let dir = scratch("responses-connect");
    let requests = dir.join("connect.http");
    std::fs::write(&requests, b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n").unwrap();
    let tunnel = b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01 tls".to_vec();
    let (_, stderr) = fails(&["encode", "-", "--requests", requests.to_str().unwrap()], &tunnel, 1);
    assert!(stderr.contains("7 bytes follow the response that switched protocols (status 200)"), "{stderr}");
    // Without them it is a response whose body runs to the end.
    let compact = ok(&["encode"], &tunnel);
    assert!(compact.ends_with(b"$:\r\n\x16\x03\x01 tls"), "{}", compact.escape_ascii());
}

#[test]
fn gen_writes_the_responses_to_its_requests() {
    // The acknowledgements of the OPRA feed: nginx's, at the sample's pace.
    let acks = ok(&["gen", "opra", "-n", "1000", "--responses", "--rate", "250"], b"");
    assert_eq!(acks, streamline_traffic::acks(1000, 1, 250));
    assert_eq!(acks.len(), 150_000);
    let recorded = read(sample("responses/opra-acks.http"));
    assert_eq!(&acks[..53], &recorded[..53], "the same head up to the Date's second");
    let dir = scratch("responses-gen");
    let (feed, answers) = (dir.join("feed.http"), dir.join("acks.http"));
    ok(&["gen", "opra", "-n", "1000", "-o", feed.to_str().unwrap()], b"");
    ok(&["gen", "opra", "-n", "1000", "--responses", "--rate", "250", "-o", answers.to_str().unwrap()], b"");
    let report = report_json(&[answers.to_str().unwrap(), "--requests", feed.to_str().unwrap()]);
    let compact = &encoding(section(&report, "responses"), "compact")["overhead"];
    assert_eq!((compact["steady_median"].as_u64(), compact["steady_p99"].as_u64()), (Some(4), Some(4)));
    // A browsing session with a cache: 200s with bodies, 304s, HEADs; framed by its requests.
    let (session, pages) = (dir.join("browse.http"), dir.join("browse.responses.http"));
    ok(&["gen", "browse", "-n", "300", "--revalidate", "-o", session.to_str().unwrap()], b"");
    ok(&["gen", "browse", "-n", "300", "--revalidate", "--responses", "-o", pages.to_str().unwrap()], b"");
    let requests = read(&session);
    let text = String::from_utf8_lossy(&requests);
    assert!(text.matches("\r\nIf-None-Match: ").count() > 100, "revalidations");
    assert!(text.starts_with("GET ") && text.contains("\nHEAD /static/"), "a HEAD");
    let plain = read(&pages);
    let canonical = canonical_responses(&plain, Some(&requests));
    let compact = ok(&["encode", pages.to_str().unwrap(), "--requests", session.to_str().unwrap()], b"");
    assert_eq!(ok(&["decode"], &compact), canonical);
    let report = report_json(&[pages.to_str().unwrap(), "--requests", session.to_str().unwrap()]);
    assert_eq!(section(&report, "responses")["messages"], 300);
    // Without --revalidate the requests are `gen browse`'s, byte for byte.
    assert_eq!(ok(&["gen", "browse", "-n", "50"], b""), streamline_traffic::browse(50, 1));
    let plain = ok(&["gen", "browse", "-n", "50", "--responses"], b"");
    assert_eq!(String::from_utf8_lossy(&plain).matches("HTTP/1.1 200 OK\r\n").count(), 50);
    let out = run(&["gen", "opra", "-n", "5", "--revalidate"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--revalidate is for gen browse"));
}

#[test]
fn help_speaks_of_responses() {
    for (cmd, words) in [
        ("encode", &["response stream", "--requests <REQUESTS>", "HEAD", "CONNECT"][..]),
        ("decode", &["compact response stream"]),
        ("report", &["--requests", "AMQP is left", "the two directions of one connection"]),
        ("gen", &["--responses", "--revalidate", "nginx"]),
    ] {
        let help = String::from_utf8(ok(&[cmd, "--help"], b"")).unwrap();
        for word in words {
            assert!(help.contains(word), "{cmd} --help lacks {word:?}:\n{help}");
        }
    }
}

/// Runs the binary with `input` written to its standard input in pieces of growing, uneven
/// sizes, with pauses, so its reads see them apart.
fn run_in_pieces(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = common::spawn(args);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let (mut rest, mut size) = (&input[..], 1usize);
        while !rest.is_empty() {
            size = (size * 7 + 3) % 9000 + 1;
            let (piece, tail) = rest.split_at(size.min(rest.len()));
            if stdin.write_all(piece).and_then(|()| stdin.flush()).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
            rest = tail;
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn results_do_not_depend_on_how_reads_split() {
    let requests = responses("browse.requests.http");
    let plain = read(sample("responses/browse.http"));
    let compact = read(sample("responses/browse.shttp"));
    let out = run_in_pieces(&["encode", "--requests", &requests], &plain);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == compact, "encode in pieces");
    let out = run_in_pieces(&["decode"], &compact);
    assert!(out.stdout == ok(&["decode", &responses("browse.shttp")], b""), "decode in pieces");
    // A close-delimited last response (to one more request), and a cut one, in pieces.
    let dir = scratch("responses-pieces");
    let more = dir.join("more.http");
    let mut asked = read(sample("responses/browse.requests.http"));
    asked.extend_from_slice(b"GET /stream HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
    std::fs::write(&more, asked).unwrap();
    let more = more.to_str().unwrap();
    let mut close = plain.clone();
    close.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
    close.extend_from_slice(&plain[..40_000]);
    let out = run_in_pieces(&["encode", "--requests", more], &close);
    let whole = ok(&["encode", "-", "--requests", more], &close);
    assert!(out.stdout == whole && whole.ends_with(&plain[..40_000]), "close-delimited in pieces");
    let cut = &plain[..60_000];
    let (stdout, stderr) = fails(&["encode", "-", "--requests", &requests], cut, 1);
    let out = run_in_pieces(&["encode", "--requests", &requests], cut);
    assert_eq!(String::from_utf8_lossy(&out.stderr), stderr);
    assert!(out.stdout == stdout, "cut short in pieces");
}
