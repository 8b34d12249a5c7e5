//! The `streamline` binary end to end: every subcommand's success path, exit codes and error
//! messages, flush before an error, standard input and output, a closed pipe, the JSON
//! report, and generator determinism.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{bin, canonical, encoding, fails, num, ok, read, report_json, sample, sample_str, scratch, spawn};
use serde_json::Value;

/// Runs the binary with `stdin` on standard input and the pipe left open after it, and
/// expects it to end by itself within `limit` (else kills it and fails): for commands that must
/// decide without reading their input to the end.
fn run_with_open_stdin(args: &[&str], stdin: &[u8], limit: std::time::Duration) -> Output {
    let mut child = spawn(args);
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
        // Hold the pipe open until the child has ended.
        let _ = wait.recv();
    });
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after {limit:?}: it waits for the rest of its input");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(done);
    writer.join().unwrap();
    child.wait_with_output().unwrap()
}

const SAMPLES: [&str; 4] = ["post-someurl", "post-someurl-x100", "opra-quote", "get-pair"];

#[test]
fn encode_files_like_the_golden_samples() {
    let dir = scratch("encode");
    for name in &SAMPLES[..3] {
        let out = dir.join(format!("{name}.shttp"));
        let printed = ok(&["encode", &sample_str(&format!("{name}.http")), "-o", out.to_str().unwrap()], b"");
        assert!(printed.is_empty());
        assert_eq!(read(&out), read(sample(&format!("{name}.shttp"))), "{name}");
    }
}

#[test]
fn decode_files_to_canonical_plain() {
    for name in SAMPLES {
        let plain = ok(&["decode", &sample_str(&format!("{name}.shttp"))], b"");
        assert_eq!(plain, canonical(&read(sample(&format!("{name}.http")))), "{name}");
    }
}

#[test]
fn standard_input_and_output() {
    let plain = read(sample("post-someurl-x100.http"));
    let compact = ok(&["encode"], &plain);
    assert_eq!(compact, read(sample("post-someurl-x100.shttp")));
    assert_eq!(ok(&["encode", "-", "-o", "-"], &plain), compact);
    assert_eq!(ok(&["decode", "-"], &compact), plain);
    assert_eq!(ok(&["decode", "-o", "-"], &compact), plain);
}

#[test]
fn round_trip_of_generated_traffic() {
    for kind in [
        &["opra", "--count", "500"][..],
        &["browse", "--count", "300"],
        &["upload", "--count", "50"],
        // Bodies larger than an input piece, the output buffer and the window.
        &["opra", "--count", "8", "--payload-size", "1500000"],
        &["upload", "--count", "4", "--payload-size", "300000"],
    ] {
        let plain = ok(&[&["gen"][..], kind].concat(), b"");
        let compact = ok(&["encode"], &plain);
        assert!(compact.len() < plain.len(), "{kind:?}");
        assert_eq!(ok(&["decode"], &compact), canonical(&plain), "{kind:?}");
        let tiny_window = ok(&["encode", "--window-requests", "0", "--window-bytes", "0"], &plain);
        assert_eq!(ok(&["decode"], &tiny_window), canonical(&plain), "{kind:?}");
    }
}

#[test]
fn packed_lines_round_trip_and_cost_less() {
    let session = read(sample("sessions/api-requests.http"));
    let text = ok(&["encode"], &session);
    let packed = ok(&["encode", "--pack"], &session);
    assert!(packed.len() * 10 < text.len() * 9, "{} packed, {} as text", packed.len(), text.len());
    assert_eq!(ok(&["decode"], &packed), canonical(&session));
    // Large bodies through the same path, and a feed's steady lines stay 7 bytes.
    let plain = ok(&["gen", "opra", "--count", "500"], b"");
    let (text, packed) = (ok(&["encode"], &plain), ok(&["encode", "--pack"], &plain));
    assert_eq!(text.len() - packed.len(), 58, "only the set-up lines pack or are static");
    assert_eq!(ok(&["decode"], &packed), canonical(&plain));
    // A packed line that does not decode: what came before it is written.
    let mut bad = b"V:HTTP/1.1\r\nB:/q\r\nM:GET\r\n-:\r\n~:2\r\n".to_vec();
    bad.extend_from_slice(&[0xff, 0xff]);
    let (stdout, stderr) = fails(&["decode"], &bad, 1);
    assert_eq!(String::from_utf8(stdout).unwrap(), "GET /q HTTP/1.1\r\n\r\n");
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 5 (byte 29): invalid packed line '~:2': the code ends in bits that are not \
EOS's first seven or fewer (1 request written)\n"
    );
}

#[test]
fn decode_error_flushes_what_came_before() {
    let compact = b"V:HTTP/1.1\r\nB:/q\r\nM:POST\r\n+: 2\r\nhi-:\r\nX:nope\r\n-:\r\n";
    let (stdout, stderr) = fails(&["decode"], compact, 1);
    assert_eq!(
        String::from_utf8(stdout).unwrap(),
        "POST /q HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiPOST /q HTTP/1.1\r\n\r\n"
    );
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 6 (byte 38): unknown opcode 'X' (expected one of V B M H > < - + * S R I D E U ~) \
(2 requests written)\n"
    );
}

#[test]
fn decode_error_in_a_file_names_it_and_drops_a_cut_request() {
    let dir = scratch("decode-error");
    let path = dir.join("cut.shttp");
    std::fs::write(&path, b"V:HTTP/1.1\r\nB:/\r\nM:PUT\r\n+: 2\r\nok+: 10\r\nshort").unwrap();
    let out = dir.join("out.http");
    let (_, stderr) = fails(&["decode", path.to_str().unwrap(), "-o", out.to_str().unwrap()], b"", 1);
    assert_eq!(
        stderr,
        format!(
            "streamline: error: {}: line 6 (byte 44): input ends inside a body (5 bytes missing) (1 request written)\n",
            path.display()
        )
    );
    assert_eq!(read(&out), b"PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok", "only the whole request");
}

#[test]
fn encode_error_flushes_the_requests_before_it() {
    let mut plain = read(sample("post-someurl.http"));
    plain.extend_from_slice(&read(sample("post-someurl.http")));
    let good = plain.len();
    plain.extend_from_slice(b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
    let (stdout, stderr) = fails(&["encode"], &plain, 1);
    assert_eq!(ok(&["decode"], &stdout), canonical(&plain[..good]));
    assert_eq!(
        stderr,
        format!(
            "streamline: error: <stdin>: line 17 (byte {}): repeated Content-Length (2 requests written)\n",
            good + 37
        )
    );
}

#[test]
fn encoder_limits_are_data_errors() {
    let plain = read(sample("post-someurl-x100.http"));
    let (stdout, stderr) = fails(&["encode", "--max-state-bytes", "64"], &plain, 1);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 1 (byte 0): request 1: cannot encode request: head too large for \
the max_state_bytes limit (0 requests written)\n"
    );
    let (_, stderr) = fails(&["decode", "--max-line", "8"], &read(sample("post-someurl.shttp")), 1);
    assert!(stderr.contains("line 1 (byte 0): line longer than the limit of 8 bytes"), "{stderr}");
}

#[test]
fn wrong_direction_gets_a_hint() {
    let (_, stderr) = fails(&["encode"], &read(sample("post-someurl.shttp")), 1);
    assert!(stderr.ends_with("the input looks compact: use `streamline decode` (0 requests written)\n"), "{stderr}");
    let (_, stderr) = fails(&["decode"], &read(sample("post-someurl.http")), 1);
    assert!(stderr.contains("use `streamline encode`"), "{stderr}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let (_, stderr) = fails(&["decode", "/nonexistent/in.shttp"], b"", 2);
    assert!(stderr.starts_with("streamline: error: cannot open /nonexistent/in.shttp: "), "{stderr}");
    let (_, stderr) = fails(&["encode", "-o", "/nonexistent/dir/out"], b"", 2);
    assert!(stderr.starts_with("streamline: error: cannot create /nonexistent/dir/out: "), "{stderr}");
    let (_, stderr) = fails(&["report", "/nonexistent.http"], b"", 2);
    assert!(stderr.starts_with("streamline: error: cannot open /nonexistent.http"), "{stderr}");
    fails(&["encode", "--no-such-flag"], b"", 2);
    fails(&["report", "--rate", "0"], b"", 2);
    fails(&["report", "--rate", "1e300"], b"", 2);
    // The built-in feed's settings beside a FILE would be ignored: refused.
    let (_, stderr) = fails(&["report", &sample_str("get-pair.http"), "--count", "5"], b"", 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    fails(&["report", &sample_str("get-pair.http"), "--seed", "3"], b"", 2);
    // A field name that can match no field.
    for name in ["a b", "X:"] {
        let (_, stderr) = fails(&["encode", "--sensitive", name], b"", 2);
        assert!(stderr.contains("is not a field name"), "{stderr}");
    }
    fails(&[], b"", 2);
    let (_, stderr) = fails(&["gen", "browse", "--count", "3", "--payload-size", "9"], b"", 2);
    assert!(stderr.contains("--payload-size does not apply"), "{stderr}");
}

/// The names in `dir`, sorted: to see that no temporary file is left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn output_that_is_the_input_is_refused() {
    let dir = scratch("same-file");
    let plain = dir.join("x.http");
    let compact = dir.join("x.shttp");
    std::fs::copy(sample("post-someurl-x100.http"), &plain).unwrap();
    std::fs::copy(sample("post-someurl-x100.shttp"), &compact).unwrap();
    let hard = dir.join("hard.http");
    std::fs::hard_link(&plain, &hard).unwrap();
    let soft = dir.join("soft.http");
    std::os::unix::fs::symlink(&plain, &soft).unwrap();
    let [plain_s, compact_s, hard_s, soft_s] =
        [&plain, &compact, &hard, &soft].map(|p| p.to_str().unwrap().to_string());
    for (args, input, output) in [
        (["encode", &plain_s, "-o", &plain_s], &plain_s, &plain_s),
        (["decode", &compact_s, "-o", &compact_s], &compact_s, &compact_s),
        (["encode", &plain_s, "-o", &hard_s], &plain_s, &hard_s),
        (["encode", &soft_s, "-o", &plain_s], &soft_s, &plain_s),
        (["encode", &plain_s, "-o", &soft_s], &plain_s, &soft_s),
    ] {
        let (stdout, stderr) = fails(&args, b"", 2);
        assert!(stdout.is_empty());
        assert_eq!(
            stderr,
            format!(
                "streamline: error: the output {output} is the input {input} (the same file): writing it would \
destroy the input; write to another file\n"
            ),
            "{args:?}"
        );
    }
    // Standard input that is the file.
    let out = bin()
        .args(["encode", "-o", &plain_s])
        .stdin(std::fs::File::open(&plain).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains(&format!("the output {plain_s} is the input <stdin>")));
    assert_eq!(read(&plain), read(sample("post-someurl-x100.http")), "the input is untouched");
    assert_eq!(read(&compact), read(sample("post-someurl-x100.shttp")), "the input is untouched");
    assert_eq!(names(&dir), ["hard.http", "soft.http", "x.http", "x.shttp"]);
    // The other inputs: the requests a response stream answers, and every input of a report
    // whose plot is written to a file.
    let responses = sample_str("responses/browse.http");
    let requests = dir.join("requests.http");
    std::fs::copy(sample("responses/browse.requests.http"), &requests).unwrap();
    let requests_s = requests.to_str().unwrap().to_string();
    for args in [
        vec!["encode", &responses, "--requests", &requests_s, "-o", &requests_s],
        vec!["report", &responses, "--requests", &requests_s, "--plot", &requests_s],
        vec!["report", &plain_s, &compact_s, "--plot", &compact_s],
    ] {
        let (_, stderr) = fails(&args, b"", 2);
        assert!(stderr.contains("writing it would destroy the input"), "{args:?}: {stderr}");
    }
    assert_eq!(read(&requests), read(sample("responses/browse.requests.http")), "the input is untouched");
    assert_eq!(read(&compact), read(sample("post-someurl-x100.shttp")), "the input is untouched");
}

#[test]
fn output_file_is_replaced_only_when_written() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("replace");
    let out = dir.join("out.shttp");
    let out_s = out.to_str().unwrap().to_string();
    let plain = sample_str("post-someurl-x100.http");
    // Success: the file is replaced, its permission bits kept, no temporary file left.
    std::fs::write(&out, b"old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    ok(&["encode", &plain, "-o", &out_s], b"");
    assert_eq!(read(&out), read(sample("post-someurl-x100.shttp")));
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o640);
    // Through a symbolic link: the file it names is replaced, the link stays.
    let (target, link) = (dir.join("target.http"), dir.join("link.http"));
    std::fs::write(&target, b"old").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    ok(&["decode", &out_s, "-o", link.to_str().unwrap()], b"");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(read(&target), canonical(&read(sample("post-someurl-x100.http"))));
    std::fs::remove_file(&link).unwrap();
    std::fs::remove_file(&target).unwrap();
    // Rejected input (exit 1): everything before the fault is the documented result.
    std::fs::write(&out, b"old").unwrap();
    fails(&["decode", "-o", &out_s], b"V:HTTP/1.1\r\nB:/q\r\nM:GET\r\n-:\r\nX:nope\r\n", 1);
    assert_eq!(read(&out), b"GET /q HTTP/1.1\r\n\r\n");
    // An input that cannot be read (a directory): exit 2 and the file as it was.
    std::fs::write(&out, b"old").unwrap();
    let (_, stderr) = fails(&["encode", dir.to_str().unwrap(), "-o", &out_s], b"", 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert_eq!(read(&out), b"old");
    // A write error (the file size limit, its signal ignored): exit 2 and the file as it was.
    let limited = format!(
        "trap '' XFSZ; ulimit -f 1; exec {} gen opra --count 100000 -o {out_s}",
        env!("CARGO_BIN_EXE_streamline")
    );
    let run = Command::new("sh").args(["-c", &limited]).output().unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with(&format!("streamline: error: cannot write {out_s}: ")), "{stderr}");
    assert_eq!(read(&out), b"old");
    assert_eq!(names(&dir), ["out.shttp"], "no temporary file left");
    // A device is written in place.
    ok(&["encode", &plain, "-o", "/dev/null"], b"");
}

#[test]
fn interrupted_output_leaves_the_file_as_it_was() {
    let dir = scratch("interrupt");
    let out = dir.join("big.http");
    std::fs::write(&out, b"old").unwrap();
    // An encoder that writes each request at once and then waits on its input, which stays
    // open: the interrupt comes while the output is half made, whatever the machine's speed,
    // and the scratch file holds a few bytes, not gigabytes.
    let mut child = bin()
        .args(["encode", "-", "--window-requests", "0", "--window-bytes", "0", "-o", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi").unwrap();
    let start = std::time::Instant::now();
    let temporary = format!(".big.http.streamline-{}.tmp", child.id());
    // Wait until the output has begun, then interrupt.
    while std::fs::metadata(dir.join(&temporary)).map_or(true, |m| m.len() == 0)
        && start.elapsed() < std::time::Duration::from_secs(20)
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(std::fs::metadata(dir.join(&temporary)).is_ok_and(|m| m.len() > 0), "the output began");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert_eq!(read(&out), b"old");
    assert_eq!(names(&dir), ["big.http"], "the temporary file is removed");
}

#[test]
fn help_teaches() {
    let help = String::from_utf8(ok(&["--help"], b"")).unwrap();
    for word in ["encode", "decode", "report", "gen", "bench", "Examples:", "Exit status"] {
        assert!(help.contains(word), "{word} missing from --help");
    }
    for cmd in ["encode", "decode", "report", "gen", "bench"] {
        let help = String::from_utf8(ok(&[cmd, "--help"], b"")).unwrap();
        assert!(help.contains("Examples:"), "{cmd} --help has no examples");
    }
    let help = String::from_utf8(ok(&["bench", "--help"], b"")).unwrap();
    assert!(help.contains("once per batch"), "bench --help says how it times");
    assert!(String::from_utf8(ok(&["--version"], b"")).unwrap().starts_with("streamline "));
}

/// Spawns the binary, reads `read` bytes of its output, closes the pipe: it must end quietly
/// with status 0.
fn closed_pipe_after(args: &[&str], read: usize) {
    let mut child =
        bin().args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; read];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    assert_eq!(stderr, "", "{args:?}");
}

fn closed_pipe(args: &[&str]) {
    closed_pipe_after(args, 10);
}

#[test]
fn closed_pipe_ends_quietly() {
    let dir = scratch("pipe");
    let plain = dir.join("feed.http");
    ok(&["gen", "opra", "--count", "200000", "-o", plain.to_str().unwrap()], b"");
    let compact = dir.join("feed.shttp");
    ok(&["encode", plain.to_str().unwrap(), "-o", compact.to_str().unwrap()], b"");
    closed_pipe(&["gen", "opra", "--count", "5000000"]);
    closed_pipe(&["encode", plain.to_str().unwrap()]);
    closed_pipe(&["decode", compact.to_str().unwrap()]);
    // Closed before anything is written.
    closed_pipe_after(&["report", "--count", "1000"], 0);
    closed_pipe_after(&["report", "--count", "1000", "--format", "json"], 0);
    closed_pipe_after(&["bench", "--count", "100", "--duration", "0.05"], 0);
}

#[test]
fn report_json_on_the_x100_sample() {
    let report = report_json(&[&sample_str("post-someurl-x100.http")]);
    assert_eq!(report["schema"], "streamline-report/1");
    assert_eq!((report["requests"].as_u64(), report["connections"].as_u64()), (Some(100), Some(1)));
    assert_eq!((report["body_bytes"].as_u64(), num(&report["mean_body_bytes"])), (Some(1300), 13.0));
    let plain = encoding(&report, "plain");
    assert_eq!(plain["total_bytes"], 15_100);
    assert_eq!((num(&plain["overhead"]["first"]), plain["overhead"]["steady_median"].as_u64()), (138.0, Some(138)));
    // 130 bytes of set-up, then 20 per request (7 of them overhead): 2,130 in all.
    let compact = encoding(&report, "compact");
    assert_eq!(compact["total_bytes"], 2_130);
    assert_eq!(num(&compact["overhead"]["first"]), 130.0 + 7.0);
    assert_eq!(compact["overhead"]["steady_median"], 7);
    assert_eq!(compact["overhead"]["steady_max"], 7);
    assert_eq!(num(&compact["overhead"]["mean"]), 8.3);
    assert_eq!(compact["overhead"]["total"], 830);
    let mib = num(&compact["mib_per_second"]);
    assert!((mib - 21.3e6 / 1048576.0).abs() < 1e-9, "{mib}");
    // The other rows are there and cost something.
    for id in ["http2", "amqp"] {
        assert!(num(&encoding(&report, id)["overhead"]["mean"]) > 7.0, "{id}");
    }
    // AMQP: method frame with routing key "/someurl" (25), header frame (22), body frame (8).
    assert_eq!(encoding(&report, "amqp")["overhead"]["steady_median"], 25 + 22 + 8);
}

#[test]
fn report_reads_either_syntax_alike() {
    let plain = report_json(&[&sample_str("post-someurl-x100.http")]);
    let compact = report_json(&[&sample_str("post-someurl-x100.shttp")]);
    assert_eq!(plain["encodings"], compact["encodings"]);
}

#[test]
fn report_built_in_feed_matches_the_article() {
    let report = report_json(&["--count", "100000"]);
    assert_eq!(report["requests"], 100_000);
    assert_eq!(report["files"], serde_json::json!([]));
    let plain = encoding(&report, "plain");
    assert_eq!((plain["overhead"]["steady_median"].as_u64(), num(&plain["overhead"]["mean"])), (Some(147), 147.0));
    assert_eq!(format!("{:.1}", num(&plain["increase_percent"])), "222.7");
    assert_eq!(format!("{:.1}", num(&plain["mib_per_second"])), "203.1");
    let compact = encoding(&report, "compact");
    assert_eq!(
        (compact["overhead"]["steady_median"].as_u64(), compact["overhead"]["steady_p99"].as_u64()),
        (Some(7), Some(7))
    );
    assert_eq!(format!("{:.1}", num(&compact["increase_percent"])), "10.6");
    assert_eq!(format!("{:.1}", num(&compact["mib_per_second"])), "69.6");
    // The compact row counts exactly what `encode` writes.
    let feed = ok(&["gen", "opra", "--count", "100000"], b"");
    let encoded = ok(&["encode"], &feed);
    assert_eq!(compact["total_bytes"].as_u64(), Some(encoded.len() as u64));
    assert_eq!(plain["total_bytes"].as_u64(), Some(feed.len() as u64));
}

#[test]
fn report_table_and_csv() {
    let table = String::from_utf8(ok(&["report", "--count", "1000"], b"")).unwrap();
    for row in
        ["plain HTTP/1.1", "compact", "compact (packed)", "HTTP/2", "AMQP 0-9-1", "Binary HTTP", "222.7 %", "10."]
    {
        assert!(table.contains(row), "{row} missing:\n{table}");
    }
    let csv = String::from_utf8(ok(&["report", &sample_str("get-pair.http"), "--format", "csv"], b"")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(lines[0].starts_with("id,name,requests,"));
    assert!(lines[1].starts_with("plain,plain HTTP/1.1,2,"));
}

#[test]
fn report_several_connections_and_chunked_bodies() {
    let dir = scratch("report");
    let upload = dir.join("upload.http");
    ok(&["gen", "upload", "--count", "40", "--seed", "3", "-o", upload.to_str().unwrap()], b"");
    let report = report_json(&[upload.to_str().unwrap(), &sample_str("post-someurl-x100.shttp")]);
    assert_eq!((report["connections"].as_u64(), report["requests"].as_u64()), (Some(2), Some(140)));
    let plain = encoding(&report, "plain");
    let total = plain["total_bytes"].as_u64().unwrap();
    assert_eq!(total, read(&upload).len() as u64 + 15_100, "plain counts every byte");
    // Chunk framing is overhead, not body: the body bytes are less than the chunked bodies.
    assert!(report["body_bytes"].as_u64().unwrap() < total - 40 * 100);
}

/// `report --format json` on samples/chunked-upload.http, byte for byte: the chunk data is the
/// body, the chunk framing overhead, and the trailers go in a second HTTP/2 HEADERS frame.
const CHUNKED_UPLOAD_REPORT: &str = r#"{
  "body_bytes": 7051,
  "connections": 1,
  "encodings": [
    {
      "id": "plain",
      "increase_percent": 46.135299957452844,
      "mib_per_second": 491.33300781250006,
      "name": "plain HTTP/1.1",
      "overhead": {
        "first": 183.0,
        "mean": 162.65,
        "steady_max": 197,
        "steady_median": 156,
        "steady_p99": 197,
        "total": 3253
      },
      "total_bytes": 10304
    },
    {
      "id": "compact",
      "increase_percent": 15.331158700893491,
      "mib_per_second": 387.76397705078125,
      "name": "compact",
      "overhead": {
        "first": 169.0,
        "mean": 54.05,
        "steady_max": 82,
        "steady_median": 43,
        "steady_p99": 82,
        "total": 1081
      },
      "total_bytes": 8132
    },
    {
      "id": "http2",
      "increase_percent": 15.246064388030067,
      "mib_per_second": 387.4778747558594,
      "name": "HTTP/2",
      "overhead": {
        "first": 134.0,
        "mean": 53.75,
        "steady_max": 66,
        "steady_median": 36,
        "steady_p99": 66,
        "total": 1075
      },
      "total_bytes": 8126
    },
    {
      "id": "amqp",
      "increase_percent": 16.026095589278118,
      "mib_per_second": 390.10047912597656,
      "name": "AMQP 0-9-1",
      "overhead": {
        "first": 56.0,
        "mean": 56.5,
        "steady_max": 57,
        "steady_median": 57,
        "steady_p99": 57,
        "total": 1130
      },
      "total_bytes": 8181
    },
    {
      "id": "bhttp",
      "increase_percent": 27.939299390157423,
      "mib_per_second": 430.15480041503906,
      "name": "Binary HTTP",
      "overhead": {
        "first": 115.0,
        "mean": 98.5,
        "steady_max": 116,
        "steady_median": 82,
        "steady_p99": 116,
        "total": 1970
      },
      "total_bytes": 9021
    },
    {
      "id": "packed",
      "increase_percent": 14.579492270599914,
      "mib_per_second": 385.2367401123047,
      "name": "compact (packed)",
      "overhead": {
        "first": 116.0,
        "mean": 51.4,
        "steady_max": 82,
        "steady_median": 43,
        "steady_p99": 82,
        "total": 1028
      },
      "total_bytes": 8079
    }
  ],
  "files": [
    "samples/chunked-upload.http"
  ],
  "input": "samples/chunked-upload.http",
  "mean_body_bytes": 352.55,
  "rate": 1000000.0,
  "requests": 20,
  "schema": "streamline-report/1"
}
"#;

#[test]
fn report_json_on_the_chunked_upload_sample_is_pinned() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for name in ["samples/chunked-upload.http", "samples/chunked-upload.shttp"] {
        let out = bin().current_dir(&root).args(["report", name, "--format", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let expected = CHUNKED_UPLOAD_REPORT.replace("samples/chunked-upload.http", name);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{name}");
    }
}

#[test]
fn report_counts_chunk_data_of_bodies_larger_than_a_read() {
    // Chunks of up to 200,000 bytes: their data spans several 64 KiB reads.
    let upload = ok(&["gen", "upload", "--count", "6", "--seed", "5", "--payload-size", "200000"], b"");
    let out = ok(&["report", "-", "--format", "json"], &upload);
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!((report["requests"].as_u64(), report["body_bytes"].as_u64()), (Some(6), Some(1_163_387)));
    let totals: Vec<u64> =
        report["encodings"].as_array().unwrap().iter().map(|e| e["total_bytes"].as_u64().unwrap()).collect();
    assert_eq!(
        totals,
        [1_164_380, 1_163_804, 1_164_367, 1_163_771, 1_163_987, 1_163_751],
        "plain, compact, HTTP/2, AMQP, Binary HTTP, compact (packed)"
    );
    assert_eq!(totals[0], upload.len() as u64);
}

#[test]
fn report_rejects_unknown_syntax() {
    let dir = scratch("syntax");
    let path = dir.join("data.json");
    std::fs::write(&path, b"{\"not\": \"http\"}").unwrap();
    let (stdout, stderr) = fails(&["report", path.to_str().unwrap()], b"", 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("cannot tell the syntax"), "{stderr}");
    let (_, stderr) = fails(&["report", "-"], b"V:HTTP/1.1\r\nQ:x\r\n", 1);
    assert_eq!(
        stderr,
        "streamline: error: <stdin>: line 2 (byte 12): unknown opcode 'Q' (expected one of V B M H > < - + * S R I D E U ~)\n"
    );
}

#[test]
fn report_tells_the_syntax_within_the_first_line() {
    // A first line longer than --max-line cannot be a request line or an opcode line: the
    // verdict comes after a bounded prefix, not at the end of the input (here it never ends).
    let tokens = vec![b'A'; 1 << 20];
    let out = run_with_open_stdin(&["report", "-"], &tokens, std::time::Duration::from_secs(60));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let seen = "streamline: error: <stdin>: line 1 (byte 0): cannot tell the syntax from 'AAAAAAAAAAAAAAAAAAAAAAAA': \
the first ";
    assert!(stderr.starts_with(seen), "{stderr}");
    assert!(
        stderr.contains(
            " bytes hold no space or colon, and the first line may hold at most 65,536 (--max-line) \
(expected an opcode line such as 'V:HTTP/1.1' or 'C:200 OK', a request line such as 'GET / HTTP/1.1', or a status \
line such as 'HTTP/1.1 200 OK')\n"
        ),
        "{stderr}"
    );
    // A file is read in 64 KiB pieces: the verdict comes at the first piece past the limit.
    let dir = scratch("long-token");
    let path = dir.join("tok.bin");
    std::fs::write(&path, &tokens).unwrap();
    let (_, stderr) = fails(&["report", path.to_str().unwrap(), "--max-line", "1000"], b"", 1);
    assert!(
        stderr.contains(
            "'AAAAAAAAAAAAAAAAAAAAAAAA': the first 65,536 bytes hold no space or colon, and the first \
line may hold at most 1,000 (--max-line)"
        ),
        "{stderr}"
    );
    // Within the limit, a method token spanning several pieces still tells plain HTTP/1.1, and
    // anything else after it is refused.
    let mut long = vec![b'M'; 100_000];
    long.extend_from_slice(b" / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
    std::fs::write(&path, &long).unwrap();
    let report = report_json(&[path.to_str().unwrap(), "--max-line", "200000"]);
    assert_eq!(report["requests"], 1);
    long[100_000] = b':';
    std::fs::write(&path, &long).unwrap();
    let (_, stderr) = fails(&["report", path.to_str().unwrap(), "--max-line", "200000"], b"", 1);
    assert!(stderr.contains("cannot tell the syntax from 'MMMMMMMMMMMMMMMMMMMMMMMM' (expected"), "{stderr}");
}

#[test]
fn report_http2_drops_the_fields_connection_names_in_a_big_head() {
    // One head with 3,000 fields and a Connection field of 6,000 tokens (in two lines, mixed
    // case) naming every other field and 3,000 names that are not there: HTTP/2 sends what
    // the same head sends without Connection and the fields it names.
    let n = 3_000;
    let mut named = String::from("POST /q HTTP/1.1\r\nHost: h.example\r\n");
    let mut kept = named.clone();
    for half in [0, 1] {
        let tokens: Vec<String> = (half * n..(half + 1) * n)
            .map(|i| if i % 2 == 0 { format!("X-F{i}") } else { format!("x-absent{i}") })
            .collect();
        named.push_str(&format!("Connection: {}\r\n", tokens.join(" , ")));
    }
    for i in 0..2 * n {
        named.push_str(&format!("x-f{i}: {i}\r\n"));
        if i % 2 == 1 {
            kept.push_str(&format!("x-f{i}: {i}\r\n"));
        }
    }
    for head in [&mut named, &mut kept] {
        head.push_str("Content-Length: 2\r\n\r\nok");
    }
    let dir = scratch("connection");
    let limits = ["--max-line", "200000", "--max-headers", "10000", "--max-state-bytes", "10000000"];
    let [named, kept] = [("named.http", named), ("kept.http", kept)].map(|(name, head)| {
        let path = dir.join(name);
        std::fs::write(&path, head).unwrap();
        report_json(&[&[path.to_str().unwrap()][..], &limits].concat())
    });
    let (named, kept) = (encoding(&named, "http2"), encoding(&kept, "http2"));
    assert_eq!(named["overhead"], kept["overhead"]);
    // Every kept field is a literal of at least its name and value: nothing was dropped wrongly.
    assert!(num(&named["overhead"]["first"]) > (n * 8) as f64, "{named}");
}

#[test]
fn gen_is_deterministic() {
    let dir = scratch("gen");
    for (kind, count, library) in [
        ("opra", "3000", streamline_traffic::opra(3000, 42, 66)),
        ("browse", "300", streamline_traffic::browse(300, 42)),
        ("upload", "30", streamline_traffic::upload(30, 42, 1024)),
    ] {
        let printed = ok(&["gen", kind, "--count", count, "--seed", "42"], b"");
        assert_eq!(printed, library, "{kind}: the library's bytes");
        let path = dir.join(kind);
        ok(&["gen", kind, "-n", count, "--seed", "42", "-o", path.to_str().unwrap()], b"");
        assert_eq!(read(&path), printed, "{kind}: same seed, same bytes");
        assert_ne!(ok(&["gen", kind, "-n", count, "--seed", "43"], b""), printed, "{kind}: another seed");
    }
    let small = ok(&["gen", "opra", "--count", "2", "--payload-size", "10"], b"");
    assert_eq!(small, streamline_traffic::opra(2, 1, 10), "default seed 1");
}

/// Whether `s` is a figure to a tenth with its thousands grouped: `97.3`, `5,091.3`.
fn grouped_tenths(s: &str) -> bool {
    let Some((whole, tenth)) = s.split_once('.') else { return false };
    let groups: Vec<&str> = whole.split(',').collect();
    tenth.len() == 1
        && tenth.bytes().all(|b| b.is_ascii_digit())
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

/// Every duration and MB/s figure of bench's text output: grouped, in ns, µs or ms.
fn assert_bench_units(out: &str) {
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut durations = 0;
    for pair in words.windows(2) {
        if ["ns", "µs", "ms", "MB/s"].contains(&pair[1]) {
            assert!(grouped_tenths(pair[0]), "'{} {}' in:\n{out}", pair[0], pair[1]);
            durations += usize::from(pair[1] != "MB/s");
        }
    }
    assert_eq!(durations, 8, "p50, p99, p99.9, max, twice:\n{out}");
}

#[test]
fn bench_flat_out_and_paced() {
    let out = String::from_utf8(ok(&["bench", "--count", "2000", "--duration", "0.2"], b"")).unwrap();
    assert!(out.contains("2,000 requests"), "{out}");
    for part in ["encode (plain -> compact", "decode (compact -> plain)", "msg/s", "MB/s", "p50", "p99.9", "max"] {
        assert!(out.contains(part), "{part} missing:\n{out}");
    }
    assert!(out.contains("encode (plain -> compact, window 1,024 requests / 1,048,576 bytes), flat out for"), "{out}");
    assert_bench_units(&out);
    let out = String::from_utf8(ok(
        &["bench", &sample_str("post-someurl-x100.shttp"), "--duration", "0.2", "--rate", "20000"],
        b"",
    ))
    .unwrap();
    assert!(out.contains("100 requests"), "{out}");
    assert_eq!(out.matches("paced at 20,000 msg/s").count(), 2, "{out}");
    assert_bench_units(&out);
    assert!(out.contains("kept up") || out.contains("fell behind"), "{out}");
    let (_, stderr) = fails(&["bench", "-"], b"V:HTTP/1.1\r\n-:\r\n", 1);
    assert!(stderr.contains("request issued with no method set"), "{stderr}");
    // A rate far past the codec's: each run still stops at its duration, behind, with the
    // messages it did; it does not go on through a backlog of a billion (minutes of it).
    let out = ok(&["bench", "--count", "100", "--duration", "0.2", "--rate", "1000000000", "--format", "json"], b"");
    let bench: Value = serde_json::from_slice(&out).unwrap();
    for run in bench["runs"].as_array().unwrap() {
        assert!(num(&run["seconds"]) < 60.0, "{run}");
        assert_eq!(run["kept_up"], Value::Bool(false), "{run}");
        assert!(run["messages"].as_u64().unwrap() < 200_000_000, "{run}");
    }
}

#[test]
fn bench_json_is_one_object_with_every_figure() {
    let out = ok(&["bench", "--count", "2000", "--duration", "0.1", "--format", "json"], b"");
    let bench: Value = serde_json::from_slice(&out).expect("bench --format json prints JSON");
    assert_eq!(bench["schema"], "streamline-bench/1");
    assert_eq!(bench["input"], "built-in OPRA-style feed: 2,000 quotes, 66-byte bodies, seed 1");
    assert_eq!((bench["requests"].as_u64(), bench["plain_bytes"].as_u64()), (Some(2000), Some(2000 * 213)));
    assert!(bench["compact_bytes"].as_u64().unwrap() < 2000 * 213);
    assert_eq!(bench["rate"], Value::Null);
    assert_eq!(bench["window"], serde_json::json!({"requests": 1024, "bytes": 1_048_576}));
    let runs = bench["runs"].as_array().unwrap();
    let ids: Vec<&str> = runs.iter().map(|run| run["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["encode", "decode"]);
    assert_eq!(runs[0]["name"], "encode (plain -> compact)");
    assert_eq!(runs[1]["name"], "decode (compact -> plain)");
    for run in runs {
        let seconds = num(&run["seconds"]);
        assert!(seconds >= 0.1, "{run}");
        let messages = run["messages"].as_u64().unwrap();
        assert!(messages > 0 && messages % 64 == 0, "flat out counts whole batches: {run}");
        // (serde_json reads a float back to within an ulp, not always exactly.)
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(close(num(&run["messages_per_second"]), messages as f64 / seconds), "{run}");
        let bytes = run["input_bytes"].as_u64().unwrap();
        assert!(close(num(&run["mb_per_second"]), bytes as f64 / seconds / 1e6), "{run}");
        let latency = &run["latency_ns"];
        let [p50, p99, p999, max] = ["p50", "p99", "p99_9", "max"].map(|q| num(&latency[q]));
        assert!(0.0 < p50 && p50 <= p99 && p99 <= p999 && p999 <= max, "{run}");
        assert_eq!((&run["kept_up"], &run["backlog_max"]), (&Value::Null, &Value::Null), "flat out: {run}");
    }
    // Paced: whether each run kept up, and its largest backlog.
    let out = ok(&["bench", "--count", "100", "--duration", "0.1", "--rate", "10000", "--format", "json"], b"");
    let bench: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(num(&bench["rate"]), 10_000.0);
    for run in bench["runs"].as_array().unwrap() {
        assert_eq!(run["messages"].as_u64(), Some(1000), "0.1 s at 10,000 a second: {run}");
        assert!(run["kept_up"].is_boolean() && run["backlog_max"].as_u64().unwrap() >= 1, "{run}");
    }
    // Errors go to standard error alone, as in text.
    let (stdout, stderr) = fails(&["bench", "-", "--format", "json"], b"", 1);
    assert!(stdout.is_empty());
    assert_eq!(stderr, "streamline: error: -: holds no request to measure\n");
}

#[test]
fn bench_on_an_empty_input_exits_1() {
    // Input with no request is rejected input (exit 1), as anything else bench cannot measure.
    let dir = scratch("bench-empty");
    let empty = dir.join("empty.http");
    std::fs::write(&empty, b"").unwrap();
    let name = empty.to_str().unwrap();
    let (_, stderr) = fails(&["bench", name], b"", 1);
    assert_eq!(stderr, format!("streamline: error: {name}: holds no request to measure\n"));
    let (_, stderr) = fails(&["bench", "-"], b"", 1);
    assert_eq!(stderr, "streamline: error: -: holds no request to measure\n");
    fails(&["bench", "-"], b"\r\n\r\n", 1);
    // No quotes in the built-in feed: the options asked for nothing, a usage error.
    let (_, stderr) = fails(&["bench", "--count", "0"], b"", 2);
    assert_eq!(stderr, "streamline: error: --count 0 makes a built-in feed with no request to measure\n");
}

#[test]
fn bench_refuses_inputs_past_max_input() {
    // bench holds its input in memory in both forms: past --max-input it refuses, exit 2,
    // before loading more.
    let (stdout, stderr) = fails(&["bench", "--count", "10000000000"], b"", 2);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "streamline: error: --count 10,000,000,000 makes a built-in feed of more than the --max-input limit of \
1,073,741,824 bytes (213 bytes a quote): bench holds its input in memory; lower --count or raise --max-input\n"
    );
    let (_, stderr) = fails(&["bench", "--count", "1000000", "--max-input", "100000000"], b"", 2);
    assert!(stderr.contains("--count 1,000,000 makes a built-in feed of more than the --max-input limit"), "{stderr}");
    let plain = sample_str("post-someurl-x100.http");
    let (_, stderr) = fails(&["bench", &plain, "--max-input", "15099"], b"", 2);
    assert_eq!(
        stderr,
        format!(
            "streamline: error: {plain} is larger than the --max-input limit of 15,099 bytes: bench holds its input \
in memory; measure a shorter capture or raise --max-input\n"
        )
    );
    let (_, stderr) = fails(&["bench", "-", "--max-input", "15099"], &read(&plain), 2);
    assert!(stderr.contains("error: - is larger than the --max-input limit of 15,099 bytes"), "{stderr}");
    // 2,130 compact bytes decode to 15,100 plain ones.
    let compact = sample_str("post-someurl-x100.shttp");
    let (_, stderr) = fails(&["bench", &compact, "--max-input", "15099"], b"", 2);
    assert!(
        stderr.contains(&format!(
            "{compact} makes more than the --max-input limit of 15,099 bytes in its other form: bench holds its \
input in memory in both forms"
        )),
        "{stderr}"
    );
    // At the limit, it runs.
    let out = String::from_utf8(ok(&["bench", &compact, "--max-input", "15100", "--duration", "0.05"], b"")).unwrap();
    assert!(out.contains("100 requests"), "{out}");
}

#[test]
#[cfg(target_os = "linux")]
fn gen_writes_bodies_of_any_size_in_bounded_memory() {
    // 100 GB bodies within 1 GB of address space: they go out in pieces, and the command
    // ends quietly when the reader has had enough.
    for kind in ["opra", "upload"] {
        let script = format!(
            "ulimit -v 1000000; exec {} gen {kind} --count 3 --payload-size 100000000000",
            env!("CARGO_BIN_EXE_streamline")
        );
        let mut child =
            Command::new("sh").args(["-c", &script]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = vec![0u8; 32 << 20];
        let read = stdout.read_exact(&mut first);
        drop(stdout);
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let status = child.wait().unwrap();
        assert!(read.is_ok(), "{kind}: {read:?} {status:?} {stderr}");
        assert_eq!((status.code(), stderr.as_str()), (Some(0), ""), "{kind}");
        let head = if kind == "opra" { &b"POST /receiver "[..] } else { b"PUT /upload/0 " };
        assert!(first.starts_with(head), "{kind}");
    }
}

#[test]
fn byte_sizes_take_units() {
    let plain = ok(&["gen", "upload", "--count", "30", "--payload-size", "100KiB"], b"");
    assert_eq!(plain, ok(&["gen", "upload", "--count", "30", "--payload-size", "102400"], b""));
    let by_bytes = ok(&["encode", "--window-bytes", "65536"], &plain);
    assert_eq!(ok(&["encode", "--window-bytes", "64KiB"], &plain), by_bytes);
    // A request line of 1,006 bytes with its CRLF: within 1KiB (1,024), past 1kB (1,000).
    let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(990));
    let compact = ok(&["encode", "--max-line", "1006"], long.as_bytes());
    assert_eq!(ok(&["encode", "--max-line", "1KiB"], long.as_bytes()), compact);
    let (_, stderr) = fails(&["encode", "--max-line", "1kB"], long.as_bytes(), 1);
    assert!(stderr.contains("line longer than the limit of 1000 bytes"), "{stderr}");
    let (_, stderr) = fails(&["encode", "--window-bytes", "1M"], b"", 2);
    assert!(
        stderr.contains(
            "invalid value '1M' for '--window-bytes <BYTES>': '1M' is not a size in bytes: give a whole number, \
or one with a unit, as in 65536, 64KiB, 1MiB or 1MB (KiB MiB GiB TiB are powers of 1,024; kB MB GB TB of 1,000)"
        ),
        "{stderr}"
    );
    // 2,130 compact bytes decode to 15,100 plain ones: 14KiB (14,336) is too little, 15kB enough.
    let compact = sample_str("post-someurl-x100.shttp");
    let (_, stderr) = fails(&["bench", &compact, "--max-input", "14KiB"], b"", 2);
    assert!(stderr.contains("more than the --max-input limit of 14,336 bytes in its other form"), "{stderr}");
    let (_, stderr) = fails(&["bench", &compact, "--max-input", "15kB"], b"", 2);
    assert!(stderr.contains("limit of 15,000 bytes"), "{stderr}");
    ok(&["bench", &compact, "--max-input", "15100B", "--duration", "0.05"], b"");
    let help = String::from_utf8(ok(&["encode", "--help"], b"")).unwrap();
    assert!(help.contains("KiB, MiB, GiB (powers of 1,024) or kB, MB, GB (of 1,000), as in 64KiB"), "{help}");
}

#[test]
fn bench_refuses_a_duration_of_0_without_contradicting_itself() {
    for (duration, shown) in [("0", "'0'"), ("-1", "'-1'"), ("86401", "'86401'"), ("nan", "'nan'")] {
        let (stdout, stderr) = fails(&["bench", "--count", "10", &format!("--duration={duration}")], b"", 2);
        assert!(stdout.is_empty());
        assert!(
            stderr.contains(&format!("{shown} is not a number of seconds greater than 0 and at most 86,400 (a day)")),
            "{stderr}"
        );
    }
    ok(&["bench", "--count", "10", "--duration", "0.05"], b"");
}

#[test]
fn bench_refuses_a_rate_the_clock_cannot_pace() {
    // 1e20 per second once made the pacing arithmetic wrap and the loop spin forever.
    for rate in ["1e20", "1000000001", "inf", "NaN", "0", "-1"] {
        let rate_arg = format!("--rate={rate}");
        let args = ["bench", "--count", "10", "--duration", "0.05", &rate_arg];
        let out = run_with_open_stdin(&args, b"", std::time::Duration::from_secs(60));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{rate}: {stderr}");
        assert!(out.stdout.is_empty(), "{rate}");
        assert!(stderr.contains(&format!("invalid value '{rate}' for '--rate <R>'")), "{rate}: {stderr}");
    }
    let (_, stderr) = fails(&["bench", "--rate", "1e20"], b"", 2);
    assert!(stderr.contains("at most 1,000,000,000 (one per nanosecond)"), "{stderr}");
}

/// SPEC.md §9.5: `--no-editing` writes the format's first version only; both decode to the
/// same requests, and the editing stream is several times shorter on a browsing session.
#[test]
fn encode_with_and_without_header_editing() {
    let plain = std::fs::read(sample("browse-session.http")).unwrap();
    let v1 = ok(&["encode", "--no-editing"], &plain);
    let v2 = ok(&["encode"], &plain);
    for line in v1.split(|&b| b == b'\n').filter(|l| l.len() > 2 && l[1] == b':') {
        assert!(b"VBMH><-+*".contains(&line[0]) && !line.starts_with(b"H:="), "{}", String::from_utf8_lossy(line));
    }
    assert_eq!(ok(&["decode"], &v1), plain);
    assert_eq!(ok(&["decode"], &v2), plain);
    assert!(v2.len() * 4 < v1.len(), "{} against {}", v2.len(), v1.len());
    // The table size is agreed by both ends: a decoder with none refuses a table reference,
    // and says where.
    let (out, err) = fails(&["decode", "--table-bytes", "0"], &v2, 1);
    assert!(err.contains("no table entry"), "{err}");
    assert!(err.contains("line "), "{err}");
    assert!(!out.is_empty(), "the requests before the fault are written");
    let small = ok(&["encode", "--table-bytes", "0"], &plain);
    assert_eq!(ok(&["decode", "--table-bytes", "0"], &small), plain);
}

/// SECURITY.md "Sizes that leak secrets": `--sensitive` names the fields never edited in part.
#[test]
fn sensitive_fields_from_the_command_line() {
    let mut plain = Vec::new();
    for i in 0..10 {
        plain.extend_from_slice(
            format!("GET / HTTP/1.1\r\nHost: a\r\nCookie: sid=s3cr3t{i}; theme=dark\r\n\r\n").as_bytes(),
        );
    }
    let edits = |out: &[u8]| out.windows(3).filter(|w| w == b"\nE:").count();
    assert!(edits(&ok(&["encode"], &plain)) > 0);
    assert_eq!(edits(&ok(&["encode", "--sensitive", "authorization,cookie"], &plain)), 0);
}

/// `bench` prints, beside its speeds, what the same requests take in each encoding `report`
/// measures, and the figures are the report's.
#[test]
fn bench_shows_the_bytes_of_every_encoding() {
    let file = sample_str("post-someurl-x100.http");
    let bench: Value =
        serde_json::from_slice(&ok(&["bench", &file, "--duration", "0.05", "--format", "json"], b"")).unwrap();
    let report: Value = serde_json::from_slice(&ok(&["report", &file, "--format", "json"], b"")).unwrap();
    let wire: Vec<(String, u64)> = bench["wire_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e["bytes"].as_u64().unwrap()))
        .collect();
    let reported: Vec<(String, u64)> = report["encodings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e["total_bytes"].as_u64().unwrap()))
        .collect();
    assert_eq!(wire, reported);
    assert_eq!(wire[1], ("compact".to_string(), bench["compact_bytes"].as_u64().unwrap()));
    let text = String::from_utf8(ok(&["bench", &file, "--duration", "0.05"], b"")).unwrap();
    assert!(
        text.contains("  on the wire: plain HTTP/1.1 15,100, compact 2,130, compact (packed) 2,062, HTTP/2 "),
        "{text}"
    );
}
