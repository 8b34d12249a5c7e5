//! One codec path run over a generated input: the driver behind the per-message instruction
//! counts in BENCHMARKS.md ("Profile notes"). Criterion gives rates; this gives a count that
//! does not move with the machine's load, for comparing two versions of the code.
//!
//! ```sh
//! cargo build --release --example paths
//! # The baseline: generating the input and preparing its compact form, nothing else.
//! valgrind --tool=callgrind --callgrind-out-file=base.out target/release/examples/paths browse none
//! valgrind --tool=callgrind --callgrind-out-file=path.out target/release/examples/paths browse encode_slice
//! # Instructions per message: (path total - base total) / 2,000 (20,000 for opra).
//! callgrind_annotate --inclusive=yes path.out | head -40
//! # Under perf, loop the path: the third argument is how many times (default 1).
//! perf record -F 20000 target/release/examples/paths browse lookahead 300
//! ```
//!
//! Inputs, from `streamline::gen` with seed 1: `opra`, 20,000 quotes with 66-byte bodies;
//! `browse`, the benches' 2,000-request browsing session. The compact form is what the
//! encoder writes with the default lookahead window, as the CLI makes it. Paths that read a
//! `BytesMut` count copying the input into it (the benches do not time that copy). The routines
//! are the benches' own (`benches/paths/mod.rs`).

use std::hint::black_box;
use std::process::ExitCode;

use bytes::BytesMut;
use streamline_traffic as gen;

/// The routines themselves, shared with the criterion benches.
#[path = "../benches/paths/mod.rs"]
mod paths;

/// Each path: its name and what it runs.
const PATHS: &[(&str, &str)] = &[
    ("none", "nothing: the baseline to subtract"),
    ("decode_slice", "compact -> borrowed requests (Decoder::decode_slice)"),
    ("try_decode", "compact -> owned requests (Decoder::try_decode)"),
    ("decode", "compact -> owned requests (Decoder::decode_eof)"),
    ("next_event", "compact -> events (Decoder::next_event_eof)"),
    ("decode_slice_plain", "compact -> plain bytes (decode_slice + RequestRef::write_http1)"),
    ("decode_plain", "compact -> plain bytes (decode_eof + Request::write_http1)"),
    ("next_event_plain", "compact -> plain bytes (next_event_eof + Head::write_http1 + bodies)"),
    ("parse_slice", "plain -> borrowed requests, nothing encoded (http1::Parser::decode_slice)"),
    ("encode_slice", "plain -> compact, borrowed, planned alone (decode_slice + Encoder::encode_head)"),
    ("encode", "plain -> compact, planned alone (Parser::decode_eof + Encoder::encode)"),
    ("encode_fresh", "as encode, a fresh Head per message (Head::new + Encoder::encode_head; opra only)"),
    ("lookahead", "plain -> compact as the CLI (Parser::try_decode + Lookahead, default window)"),
    ("lookahead_events", "plain -> compact by events (Parser::next_event_eof + Lookahead::push)"),
    ("httparse", "the peer: httparse on the plain form, Content-Length bodies skipped"),
    ("memchr", "the machine: find each compact line with memchr, skip the bodies"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, path) = match (args.first(), args.get(1)) {
        (Some(input), Some(path)) => (input.as_str(), path.as_str()),
        _ => return usage("expected INPUT and PATH"),
    };
    let reps: usize = match args.get(2).map(|r| r.parse()) {
        None => 1,
        Some(Ok(reps)) => reps,
        Some(Err(_)) => return usage("REPS must be a whole number"),
    };
    let plain = match input {
        "opra" => gen::opra(20_000, 1, 66),
        "browse" => gen::browse(2_000, 1),
        _ => return usage("INPUT must be opra or browse"),
    };
    let mut compact = Vec::new();
    paths::encode_window(&mut BytesMut::from(&plain[..]), &mut compact);
    if !PATHS.iter().any(|&(name, _)| name == path) {
        return usage("unknown PATH");
    }
    let mut out = Vec::with_capacity(plain.len());
    for _ in 0..reps {
        black_box(run(path, &plain, &compact, &mut out));
    }
    ExitCode::SUCCESS
}

fn usage(why: &str) -> ExitCode {
    eprintln!("paths: {why}\nusage: paths opra|browse PATH [REPS]\n\nPATH:");
    for (name, what) in PATHS {
        eprintln!("  {name:<20} {what}");
    }
    ExitCode::from(2)
}

/// Runs one path; returns what it counted (messages, or output bytes for the write paths).
fn run(path: &str, plain: &[u8], compact: &[u8], out: &mut Vec<u8>) -> u64 {
    let plain_buf = || BytesMut::from(plain);
    let compact_buf = || BytesMut::from(compact);
    let size = |n: usize| n as u64;
    match path {
        "decode_slice" => paths::decode_slice(compact, |req| {
            black_box(req.body().len());
        }),
        "try_decode" => paths::try_decode_requests(&mut compact_buf()),
        "decode" => paths::decode_requests(&mut compact_buf()),
        "next_event" => paths::decode_events(&mut compact_buf()),
        "decode_slice_plain" => {
            out.clear();
            let mut writer = streamline::http1::Writer::new();
            paths::decode_slice(compact, |req| writer.write(req.head(), req.body(), out))
        }
        "decode_plain" => size(paths::decode_plain(&mut compact_buf(), out)),
        "next_event_plain" => size(paths::decode_plain_events(&mut compact_buf(), out)),
        "parse_slice" => paths::parse_slice(plain).0,
        "encode_slice" => paths::encode_slice(plain, out),
        "encode" => paths::encode_alone(&mut plain_buf(), out),
        "encode_fresh" => paths::encode_fresh_heads(&mut plain_buf(), out),
        "lookahead" => size(paths::encode_window(&mut plain_buf(), out)),
        "lookahead_events" => size(paths::encode_window_events(&mut plain_buf(), out)),
        "httparse" => paths::httparse_walk(plain).0,
        "memchr" => paths::memchr_walk(compact),
        _ => 0, // "none"
    }
}
