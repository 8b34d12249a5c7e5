//! What the encoder writes when it refuses a request, and what the commands hold in memory,
//! however their input is split or paced (SECURITY.md, "What the encoder guarantees on
//! refusal" and "Peak memory of each command").

mod common;

use std::io::{Read, Write};
use std::process::{Child, Command, Output};

use common::{bin, spawn};
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;

#[allow(dead_code)]
#[path = "../../../fuzz/src/checks.rs"]
mod checks;

/// Runs the binary with `pieces` written to its standard input one after another (each
/// written and flushed alone, with a pause after every `pause_every`-th, so the command's
/// reads see them apart).
fn run_pieces(args: &[&str], pieces: Vec<Vec<u8>>, pause_every: usize) -> Output {
    let mut child = spawn(args);
    let mut input = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        for (i, piece) in pieces.iter().enumerate() {
            if input.write_all(piece).and_then(|()| input.flush()).is_err() {
                return;
            }
            if pause_every > 0 && i % pause_every == pause_every - 1 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    let out = child.wait_with_output().expect("the binary ends");
    writer.join().expect("the writer ends");
    out
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_pieces(args, vec![stdin.to_vec()], 0)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temporary file that is removed when dropped.
struct Temp(std::path::PathBuf);

impl Temp {
    fn new(name: &str, bytes: &[u8]) -> Temp {
        let path = std::env::temp_dir().join(format!("streamline-reliability-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("temp file written");
        Temp(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Compact lines that would run as requests if the refused request's body leaked into the
/// output.
const INJECTED: &[u8] = b"M:DELETE\r\nB:/admin\r\nH:X-Injected: 1\r\n-:\r\n";

fn injection_input(pad: usize) -> Vec<u8> {
    let mut input = b"POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello".to_vec();
    input.extend_from_slice(b"POST /refused HTTP/1.1\r\nHost: a\r\nX-Pad: ");
    input.resize(input.len() + pad, b'p');
    input.extend_from_slice(format!("\r\nContent-Length: {}\r\n\r\n", INJECTED.len()).as_bytes());
    input.extend_from_slice(INJECTED);
    input.extend_from_slice(b"POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nzzz");
    input
}

const FIRST: &[u8] = b"POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";

/// SECURITY.md "What the encoder guarantees on refusal": the refused request's body never
/// reaches the compact stream, and the count in the message is what was written.
#[test]
fn refused_request_leaks_nothing_into_the_compact_stream() {
    // A header line over max_line (the default), and one over a small max_state_bytes with
    // the window at 0.
    let cases: [(Vec<u8>, &[&str], &[&str]); 2] = [
        (injection_input(65527), &["encode"], &["decode"]),
        (
            injection_input(300),
            // The first request fits (with header editing it needs no register), the second,
            // with its 300-byte line, is refused.
            &["encode", "--window-requests", "0", "--window-bytes", "0", "--max-state-bytes", "200"],
            &["decode", "--max-state-bytes", "200"],
        ),
    ];
    for (input, encode, decode) in cases {
        let encoded = run(encode, &input);
        assert_eq!(encoded.status.code(), Some(1), "{}", stderr(&encoded));
        let message = stderr(&encoded);
        assert!(message.contains("request 2: cannot encode request"), "{message}");
        assert!(message.contains("(1 request written)"), "{message}");
        let decoded = run(decode, &encoded.stdout);
        assert_eq!(decoded.status.code(), Some(0), "{}", stderr(&decoded));
        assert_eq!(decoded.stdout, FIRST, "the output decodes to exactly the first request");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Random valid streams under random small limits and windows (0..8 requests), with
    /// flushes: the output decodes, under the same limits, to exactly the requests the
    /// encoder counted as written, and nothing follows a refusal (the `refusal` fuzz check).
    #[test]
    fn output_is_exactly_the_written_prefix(control in any::<[u8; 5]>(), choices in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut input = control.to_vec();
        input.extend(checks::plain_stream(&choices));
        checks::refusal(&input);
    }
}

/// A compact stream whose 4-byte lines each issue a head of about 64 KiB again.
fn amplifying(repeats: usize) -> Vec<u8> {
    let mut compact = b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\nH:X: ".to_vec();
    compact.resize(compact.len() + 65000, b'v');
    compact.extend_from_slice(b"\r\n");
    for _ in 0..repeats {
        compact.extend_from_slice(b"-:\r\n");
    }
    compact
}

/// Peak RSS in KiB, as the binary reports it with `STREAMLINE_PEAK_RSS` set.
fn peak_rss_kib(out: &Output) -> u64 {
    let text = stderr(out);
    let line = text.lines().find_map(|l| l.strip_prefix("streamline: peak RSS ")).expect("a peak RSS line");
    line.trim_end_matches(" kB").trim().parse().expect("a number of kB")
}

/// SECURITY.md "Peak memory of each command": `decode` writes out as it renders, so a small
/// input that amplifies to 1 GB of output runs in memory bounded by the limits plus fixed
/// buffers (before: about 1 GB).
#[test]
fn decode_memory_is_bounded_by_the_limits_not_the_output() {
    let input = Temp::new("amp.shttp", &amplifying(16_000));
    let out = bin()
        .args(["decode", input.path(), "-o", "/dev/null"])
        .env("STREAMLINE_PEAK_RSS", "1")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let peak = peak_rss_kib(&out);
    // The bound of SECURITY.md for the default limits: 64 MiB.
    assert!(peak < 64 * 1024, "decode peaked at {peak} KiB on an amplifying input");
}

/// Every command gives the same output, status and message for the same bytes, however the
/// reads split: a file, one write to a pipe, and many small writes with pauses.
#[test]
fn results_do_not_depend_on_how_reads_split() {
    let big = 17 * 1024 * 1024; // over the library's default max_body of 16 MiB
    let mut two = b"GET /first HTTP/1.1\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: ".to_vec();
    two.extend_from_slice(format!("{big}\r\n\r\n").as_bytes());
    two.resize(two.len() + big, b'b');
    let mut truncated = two.clone();
    truncated.truncate(two.len() - 1000);
    let mut chunked = b"GET /first HTTP/1.1\r\n\r\nPOST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(format!("{:x}\r\n", 6 * 1024 * 1024).as_bytes());
        chunked.resize(chunked.len() + 6 * 1024 * 1024, b'c');
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\nGET /last HTTP/1.1\r\n\r\n");
    let mut bad_chunk = chunked.clone();
    bad_chunk.truncate(chunked.len() - 28);
    bad_chunk.extend_from_slice(b"zz\r\n\r\n");
    let short = b"GET /first HTTP/1.1\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly fifty".to_vec();
    let sample =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/browse-session.http")).expect("sample");
    let plain_cases = [
        ("two", two),
        ("truncated", truncated),
        ("chunked", chunked),
        ("bad-chunk", bad_chunk),
        ("short", short),
        ("browse", sample),
    ];
    let mut cases = Vec::new();
    for (name, plain) in &plain_cases {
        let compact = run(&["encode"], plain).stdout;
        if *name == "short" {
            // Cut short before 64 KiB of it: nothing of the second request is written.
            assert_eq!(compact, b"V:HTTP/1.1\r\nB:/\r\nM:GET\r\n-:first\r\n");
        }
        cases.push((*name, "encode", plain.clone()));
        cases.push((*name, "decode", compact));
    }
    cases.push(("injection", "encode", injection_input(65527)));
    for (name, command, input) in &cases {
        let file = Temp::new(&format!("{name}-{command}"), input);
        let whole = bin().args([command, file.path()]).output().expect("the binary runs");
        let message = |out: &Output| stderr(out).replace(file.path(), "<stdin>");
        let mut pieces = Vec::new();
        let mut rest = &input[..];
        let mut size = 1usize;
        while !rest.is_empty() {
            // Sizes that cross every boundary: 1, 3, 7, ... bytes, then up to 300 KiB.
            size = (size * 7 + 3) % (300 * 1024) + 1;
            let (piece, tail) = rest.split_at(size.min(rest.len()));
            pieces.push(piece.to_vec());
            rest = tail;
        }
        for out in [run(&[command], input), run_pieces(&[command], pieces, 8)] {
            assert_eq!(out.status.code(), whole.status.code(), "{name} {command}: {}", stderr(&out));
            assert_eq!(stderr(&out), message(&whole), "{name} {command}");
            assert!(out.stdout == whole.stdout, "{name} {command}: outputs differ");
        }
        // What `encode` refuses, and what it leaves cut short (past 64 KiB of the request, the
        // output ends inside it, so `decode` reports it unfinished).
        let fails = match *command {
            "encode" => &["truncated", "bad-chunk", "short", "injection"][..],
            _ => &["truncated", "bad-chunk"][..],
        };
        let expected = if fails.contains(name) { 1 } else { 0 };
        assert_eq!(whole.status.code(), Some(expected), "{name} {command}: {}", stderr(&whole));
    }
}

/// A signal while `encode` waits on a live input writes out the requests its lookahead
/// window holds too (README, "A live input"): every whole request read, none of the one cut
/// short. The window of one request lets the first out when the second arrives, so the first
/// one's output shows that the second was read before the signal is sent.
#[test]
fn a_signal_writes_out_what_the_window_holds() {
    for signal in ["-INT", "-TERM"] {
        let mut child = spawn(&["encode", "--window-requests", "1"]);
        let mut input = child.stdin.take().expect("piped stdin");
        let rx = lines_of(&mut child);
        let mut got = Vec::new();
        input
            .write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c")
            .expect("written");
        input.flush().expect("flushed");
        wait_for(&rx, &mut got, b"-:a\r\n");
        interrupt(&mut child, signal, input, &rx, &mut got);
        assert_eq!(
            got.escape_ascii().to_string(),
            "V:HTTP/1.1\\r\\nB:/\\r\\nM:GET\\r\\nH:Host: x\\r\\n-:a\\r\\nB:/b\\r\\n-:\\r\\n",
            "{signal}: both whole requests, nothing of the third"
        );
    }
}

/// Sends `signal` to the child while its `input` is still open, checks that it exits 130, and
/// adds what it wrote from then on to `got`.
fn interrupt(child: &mut Child, signal: &str, input: impl Write, rx: &mpsc::Receiver<Vec<u8>>, got: &mut Vec<u8>) {
    let kill = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill runs");
    assert!(kill.success());
    let status = child.wait().expect("the binary ends");
    assert_eq!(status.code(), Some(130), "{signal}");
    drop(input);
    while let Ok(piece) = rx.recv_timeout(Duration::from_secs(10)) {
        got.extend_from_slice(&piece);
    }
}

/// Reads the child's standard output on a thread, line by line.
fn lines_of(child: &mut Child) -> mpsc::Receiver<Vec<u8>> {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits (at most a generous minute, so a slow machine does not fail it) until `want` has
/// arrived; panics if the output ends or stalls without it.
fn wait_for(rx: &mpsc::Receiver<Vec<u8>>, got: &mut Vec<u8>, want: &[u8]) {
    while !got.ends_with(want) {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(piece) => got.extend_from_slice(&piece),
            Err(_) => {
                panic!("waited for {:?}, got {:?}", want.escape_ascii().to_string(), got.escape_ascii().to_string())
            }
        }
    }
}

/// A live feed: each request appears while the input stays open, not when 64 KiB have
/// gathered or the input ends; a signal then writes out what is whole and exits 130.
#[test]
fn live_input_is_written_as_it_arrives() {
    // Arguments, first input, second input, and the output the second one must bring.
    type Case<'a> = (&'a [&'a str], &'a [u8], &'a [u8], &'a [u8]);
    let cases: [Case; 2] = [
        (&["decode"], b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n-:a\r\n", b"-:b\r\n-:", b"GET /b HTTP/1.1\r\n\r\n"),
        (
            &["encode", "--window-requests", "0", "--window-bytes", "0"],
            b"GET /a HTTP/1.1\r\n\r\n",
            b"GET /b HTTP/1.1\r\n\r\nGET /c",
            b"B:/b\r\n-:\r\n",
        ),
    ];
    for (args, first, second, second_out) in cases {
        let mut child = spawn(args);
        let mut input = child.stdin.take().expect("piped stdin");
        let rx = lines_of(&mut child);
        let mut got = Vec::new();
        input.write_all(first).expect("written");
        input.flush().expect("flushed");
        let first_out: &[u8] = if args[0] == "decode" { b"GET /a HTTP/1.1\r\n\r\n" } else { b"M:GET\r\n-:\r\n" };
        wait_for(&rx, &mut got, first_out);
        input.write_all(second).expect("written");
        input.flush().expect("flushed");
        wait_for(&rx, &mut got, second_out);
        // The input is still open, with half a request in it.
        interrupt(&mut child, "-INT", input, &rx, &mut got);
        assert!(
            got.ends_with(second_out),
            "{args:?}: nothing of the unfinished request: {:?}",
            got.escape_ascii().to_string()
        );
    }
}
