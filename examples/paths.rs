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
//! `BytesMut` count copying the input into it (the benches do not time that copy).

use std::hint::black_box;
use std::process::ExitCode;

use bytes::BytesMut;
use streamline::{gen, http1, Decoder, Encoder, Lookahead, Window};

/// Each path: its name and what it runs.
const PATHS: &[(&str, &str)] = &[
    ("none", "nothing: the baseline to subtract"),
    ("decode_slice", "compact -> borrowed requests (Decoder::decode_slice)"),
    ("try_decode", "compact -> owned requests (Decoder::try_decode)"),
    ("decode", "compact -> owned requests (Decoder::decode_eof)"),
    ("next_event", "compact -> events (Decoder::next_event_eof)"),
    ("decode_slice_plain", "compact -> plain bytes (decode_slice + RequestRef::write_http1)"),
    ("decode_plain", "compact -> plain bytes (decode_eof + Request::write_http1)"),
    ("parse_slice", "plain -> borrowed requests, nothing encoded (http1::Parser::decode_slice)"),
    ("encode_slice", "plain -> compact, borrowed, planned alone (decode_slice + Encoder::encode_head)"),
    ("encode", "plain -> compact, planned alone (Parser::decode_eof + Encoder::encode)"),
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
    let compact = encode_lookahead(&mut BytesMut::from(&plain[..]));
    if !PATHS.iter().any(|&(name, _)| name == path) {
        return usage("unknown PATH");
    }
    for _ in 0..reps {
        run(path, &plain, &compact);
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

fn run(path: &str, plain: &[u8], compact: &[u8]) {
    match path {
        "decode_slice" => decode_slice(compact, |req| {
            black_box(req.body().len());
        }),
        "try_decode" => {
            let (mut src, mut decoder) = (BytesMut::from(compact), Decoder::new());
            while let Some(req) = decoder.try_decode(&mut src).expect("valid") {
                black_box(req.body().len());
            }
            assert!(src.is_empty(), "every request was whole in the buffer");
        }
        "decode" => {
            let (mut src, mut decoder) = (BytesMut::from(compact), Decoder::new());
            while let Some(req) = decoder.decode_eof(&mut src).expect("valid") {
                black_box(req.body().len());
            }
        }
        "next_event" => {
            let (mut src, mut decoder) = (BytesMut::from(compact), Decoder::new());
            while let Some(event) = decoder.next_event_eof(&mut src).expect("valid") {
                black_box(&event);
            }
        }
        "decode_slice_plain" => {
            let mut out = Vec::with_capacity(plain.len());
            decode_slice(compact, |req| req.write_http1(&mut out));
            assert_eq!(out, plain);
        }
        "decode_plain" => {
            let (mut src, mut decoder) = (BytesMut::from(compact), Decoder::new());
            let mut out = Vec::with_capacity(plain.len());
            while let Some(req) = decoder.decode_eof(&mut src).expect("valid") {
                req.write_http1(&mut out);
            }
            assert_eq!(out, plain);
        }
        "parse_slice" => {
            let (mut parser, mut rest) = (http1::Parser::new(), plain);
            while let (used, Some(req)) = parser.decode_slice(rest).expect("valid") {
                black_box(req.body().len());
                rest = &rest[used..];
            }
            assert!(rest.is_empty(), "every request was whole in the input");
        }
        "encode_slice" => {
            let (mut parser, mut encoder, mut rest) = (http1::Parser::new(), Encoder::new(), plain);
            let mut out = Vec::with_capacity(compact.len());
            while let (used, Some(req)) = parser.decode_slice(rest).expect("valid") {
                encoder.encode_head(req.head(), &[], false, &mut out).expect("encodable");
                out.extend_from_slice(req.body());
                rest = &rest[used..];
            }
            black_box(&out);
        }
        "encode" => {
            let (mut src, mut parser, mut encoder) = (BytesMut::from(plain), http1::Parser::new(), Encoder::new());
            let mut out = Vec::with_capacity(compact.len());
            while let Some(req) = parser.decode_eof(&mut src).expect("valid") {
                encoder.encode(&req, &mut out).expect("encodable");
            }
            black_box(&out);
        }
        "lookahead" => {
            assert_eq!(encode_lookahead(&mut BytesMut::from(plain)), compact);
        }
        "lookahead_events" => {
            let (mut src, mut parser) = (BytesMut::from(plain), http1::Parser::new());
            let mut encoder = Lookahead::new(Encoder::new(), Window::default());
            let mut out = Vec::with_capacity(compact.len());
            while let Some(event) = parser.next_event_eof(&mut src).expect("valid") {
                encoder.push(event);
                while encoder.emit(&mut out).expect("encodable").is_some() {}
            }
            encoder.finish();
            while encoder.emit(&mut out).expect("encodable").is_some() {}
            assert_eq!(out, compact);
        }
        "httparse" => httparse_walk(plain),
        "memchr" => memchr_walk(compact),
        _ => {} // "none"
    }
}

/// Plain → compact as the CLI does it.
fn encode_lookahead(src: &mut BytesMut) -> Vec<u8> {
    let mut parser = http1::Parser::new();
    let mut encoder = Lookahead::new(Encoder::new(), Window::default());
    let mut out = Vec::new();
    while let Some(req) = parser.try_decode(src).expect("valid") {
        encoder.push_request(req);
        while encoder.emit(&mut out).expect("encodable").is_some() {}
    }
    assert!(src.is_empty(), "every request was whole in the buffer");
    encoder.finish();
    while encoder.emit(&mut out).expect("encodable").is_some() {}
    out
}

fn decode_slice(mut src: &[u8], mut each: impl FnMut(streamline::RequestRef<'_, '_>)) {
    let mut decoder = Decoder::new();
    while let (used, Some(req)) = decoder.decode_slice(src).expect("valid") {
        each(req);
        src = &src[used..];
    }
    decoder.finish_slice(src).expect("whole");
}

/// httparse reading the plain stream as the benches' peer does.
fn httparse_walk(plain: &[u8]) {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut rest = plain;
    while !rest.is_empty() {
        let mut req = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(len) = req.parse(rest).expect("valid") else { panic!("truncated") };
        black_box((req.method, req.path));
        let body =
            req.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length")).map_or(0, |h| {
                std::str::from_utf8(h.value).ok().and_then(|v| v.parse::<usize>().ok()).expect("length")
            });
        rest = &rest[len + body..];
    }
}

/// The bare memchr walk over the compact lines, as in the benches.
fn memchr_walk(compact: &[u8]) {
    let mut pos = 0;
    while let Some(lf) = memchr::memchr(b'\n', &compact[pos..]) {
        let line = &compact[pos..pos + lf - 1];
        pos += lf + 1;
        if line.first() == Some(&b'+') {
            let digits = memchr::memrchr(b' ', line).map_or(line, |sp| &line[sp + 1..]);
            pos += digits.iter().fold(0usize, |acc, &d| acc * 10 + usize::from(d - b'0'));
        }
    }
    black_box(pos);
}
