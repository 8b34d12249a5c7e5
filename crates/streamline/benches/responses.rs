//! Responses beside httparse's response parser, on the same bytes, so every ratio comes from
//! one run: the acknowledgements nginx sent for the OPRA feed (`samples/responses/opra-acks.http`,
//! 1,000 responses, 150 bytes each, Date changing once a second), ten times over.
//!
//! Groups (BENCHMARKS.md has the figures):
//! - `acks_decode`: compact → responses (`decode_slice`, `decode`), against httparse parsing
//!   the plain stream (head, Content-Length, skip the body) and a bare memchr walk over the
//!   compact lines (messages/s);
//! - `acks_encode`: plain → compact (`decode_slice` + `encode_head`, and `decode` +
//!   `Encoder::encode`), with the plain parse alone beside them, against httparse parse-only;
//! - `acks_decode_plain`: compact → plain bytes (`decode_slice` + an `http1::Writer`, as the
//!   CLI writes).
//!
//! `cargo bench --bench responses` measures; `cargo test --benches` runs each routine once and
//! checks that every routine reads the whole input.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use streamline::http1::{self, ResponseParser};
use streamline::{Encoder, ResponseDecoder, ResponseRef};

/// Copies of the recorded stream in the input.
const COPIES: usize = 10;

struct Input {
    plain: Vec<u8>,
    compact: Vec<u8>,
    messages: u64,
}

impl Input {
    fn acks() -> Input {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/responses/opra-acks.http");
        let one = std::fs::read(path).expect("the recorded acknowledgements");
        let plain = one.repeat(COPIES);
        let mut compact = Vec::new();
        let messages = encode_slice(&plain, &mut compact);
        let input = Input { plain, compact, messages };
        // Every routine must see every message, or its rate means nothing.
        assert_eq!(messages, 1000 * COPIES as u64);
        assert_eq!(httparse_walk(&input.plain), (messages, input.plain.len()));
        assert_eq!(parse_slice(&input.plain), messages);
        assert_eq!(memchr_walk(&input.compact), messages);
        assert_eq!(decode(&mut BytesMut::from(&input.compact[..])), messages);
        let mut again = Vec::new();
        assert_eq!(encode_owned(&mut BytesMut::from(&input.plain[..]), &mut again), messages);
        assert_eq!(again, input.compact, "borrowed and owned encoding write the same bytes");
        let (mut out, mut writer) = (Vec::new(), http1::Writer::new());
        assert_eq!(decode_slice(&input.compact, |r| writer.write(r.head(), r.body(), &mut out)), messages);
        let mut canonical = Vec::new();
        decode_slice_plain(&input.plain, |r| r.write_http1(&mut canonical));
        assert_eq!(out, canonical, "decoding gives the canonical form");
        input
    }
}

/// httparse on the plain stream: each head parsed, its Content-Length found, its body skipped.
fn httparse_walk(plain: &[u8]) -> (u64, usize) {
    let (mut pos, mut n) = (0, 0);
    let mut headers = [httparse::EMPTY_HEADER; 16];
    while pos < plain.len() {
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(len) = resp.parse(&plain[pos..]).expect("valid") else {
            panic!("truncated response at byte {pos}");
        };
        black_box((resp.code, resp.reason));
        let body =
            resp.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length")).map_or(0, |h| {
                std::str::from_utf8(h.value).ok().and_then(|v| v.parse::<usize>().ok()).expect("length")
            });
        pos += len + body;
        n += 1;
    }
    (n, pos)
}

/// The machine's reference: each compact line found with memchr; after `+: LEN` (or `+:`,
/// the last length again) that many body bytes skipped. No checks, no state.
fn memchr_walk(compact: &[u8]) -> u64 {
    let (mut pos, mut n, mut last) = (0, 0, 0);
    while let Some(lf) = memchr::memchr(b'\n', &compact[pos..]) {
        let line = &compact[pos..pos + lf - 1];
        pos += lf + 1;
        if line.first() == Some(&b'+') {
            if line.len() > 2 {
                last = line[3..].iter().fold(0usize, |acc, &d| acc * 10 + usize::from(d - b'0'));
            }
            pos += last;
            n += 1;
        }
    }
    black_box(pos);
    n
}

/// Plain responses borrowed with `decode_slice`, each handed to `each`.
fn decode_slice_plain(mut src: &[u8], mut each: impl FnMut(ResponseRef<'_, '_>)) -> u64 {
    let mut parser = ResponseParser::new();
    let mut n = 0;
    while let (used, Some(resp)) = parser.decode_slice(src).expect("valid") {
        each(resp);
        n += 1;
        src = &src[used..];
    }
    parser.finish_slice(src).expect("whole input");
    n
}

/// The encoder's first step alone: plain responses read and checked, nothing encoded; the
/// like-for-like peer of httparse.
fn parse_slice(plain: &[u8]) -> u64 {
    decode_slice_plain(plain, |r| {
        black_box((r.status(), r.body().len()));
    })
}

/// Plain → compact, borrowed: `decode_slice` and `encode_head`, each response planned alone.
fn encode_slice(plain: &[u8], out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut enc = Encoder::new().responses();
    decode_slice_plain(plain, |r| {
        enc.encode_head(r.head(), &[], false, out).expect("encodable");
        out.extend_from_slice(r.body());
    })
}

/// Plain → compact, owned: `decode` and `Encoder::encode`.
fn encode_owned(src: &mut BytesMut, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut parser = ResponseParser::new();
    let mut enc = Encoder::new().responses();
    let mut n = 0;
    while let Some(resp) = parser.decode_eof(src).expect("valid") {
        enc.encode(&resp, out).expect("encodable");
        n += 1;
    }
    n
}

/// Compact responses borrowed with `decode_slice`.
fn decode_slice(mut src: &[u8], mut each: impl FnMut(ResponseRef<'_, '_>)) -> u64 {
    let mut decoder = ResponseDecoder::new();
    let mut n = 0;
    while let (used, Some(resp)) = decoder.decode_slice(src).expect("valid") {
        each(resp);
        n += 1;
        src = &src[used..];
    }
    decoder.finish_slice(src).expect("whole input");
    n
}

/// Compact responses as owned values (`decode`).
fn decode(src: &mut BytesMut) -> u64 {
    let mut decoder = ResponseDecoder::new();
    let mut n = 0;
    while let Some(resp) = decoder.decode_eof(src).expect("valid") {
        black_box(resp.status());
        n += 1;
    }
    n
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .nresamples(20_000)
        .without_plots()
}

fn acks(c: &mut Criterion) {
    let input = Input::acks();
    let mut group = c.benchmark_group("acks_decode");
    group.throughput(Throughput::Elements(input.messages));
    group.bench_function("streamline_decode_slice", |b| {
        b.iter(|| {
            decode_slice(black_box(&input.compact), |r| {
                black_box(r.status());
            })
        })
    });
    group.bench_function("streamline_decode", |b| {
        b.iter_batched_ref(|| BytesMut::from(&input.compact[..]), decode, BatchSize::LargeInput)
    });
    group.bench_function("httparse_plain", |b| b.iter(|| httparse_walk(black_box(&input.plain))));
    group.bench_function("memchr_walk_compact", |b| b.iter(|| memchr_walk(black_box(&input.compact))));
    group.finish();

    let mut group = c.benchmark_group("acks_encode");
    group.throughput(Throughput::Elements(input.messages));
    let mut out = Vec::with_capacity(input.compact.len());
    group.bench_function("streamline_encode_slice", |b| b.iter(|| encode_slice(black_box(&input.plain), &mut out)));
    group.bench_function("streamline_encode", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&input.plain[..]),
            |src| encode_owned(src, &mut out),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("streamline_parse_only", |b| b.iter(|| parse_slice(black_box(&input.plain))));
    group.bench_function("httparse_parse_only", |b| b.iter(|| httparse_walk(black_box(&input.plain))));
    group.finish();

    let mut group = c.benchmark_group("acks_decode_plain");
    group.throughput(Throughput::Elements(input.messages));
    let mut plain = Vec::with_capacity(input.plain.len());
    group.bench_function("streamline_decode_slice", |b| {
        b.iter(|| {
            plain.clear();
            let mut writer = http1::Writer::new();
            decode_slice(black_box(&input.compact), |r| writer.write(r.head(), r.body(), &mut plain));
            black_box(&plain);
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = acks
}
criterion_main!(benches);
