//! The codec beside its peers, on the same bytes, so every ratio comes from one run.
//!
//! Groups (BENCHMARKS.md has the figures and what bounds them):
//! - `opra_decode`: compact → requests for an OPRA-style feed (`next_event`, `decode`,
//!   `try_decode`, `decode_slice`), against httparse on the equivalent plain stream and a bare
//!   memchr walk over the compact lines (messages/s); `opra_decode_bytes`: the same runs counted
//!   in input bytes.
//! - `opra_encode`: plain → compact, against httparse parse-only (messages/s): `Lookahead`
//!   fed whole requests (as the CLI does) or events, `Encoder::encode` per request (for OPRA
//!   also with a fresh `Head` built per message, as a handler that makes its own heads: the
//!   encoder must see it equals the last), and the borrowed path (`decode_slice` +
//!   `encode_head`); with the plain parse alone beside them, the part of the encoder's time
//!   that is reading the plain form.
//! - `opra_decode_plain`: compact → plain bytes (each path writing through an
//!   `http1::Writer`, as the CLI does), counted in output bytes, against a memcpy of the
//!   output's size.
//! - `browse_encode`, `browse_decode`, `browse_decode_plain`: the same three for a
//!   browser-like session, with httparse on its plain form.
//!
//! `cargo bench --bench codec` measures; `cargo test --benches` runs each routine once and
//! checks that every routine reads the whole input and gets the expected counts.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput};
use streamline::http1;
use streamline_traffic as gen;

mod paths;
use paths::*;

/// Quotes in the OPRA feed.
const OPRA_COUNT: u64 = 10_000;
/// Bytes of each quote's body.
const OPRA_PAYLOAD: usize = 66;
/// Requests in the browse session.
const BROWSE_COUNT: u64 = 2_000;
/// Seed for both generators.
const SEED: u64 = 1;

/// One workload in both forms.
struct Input {
    plain: Vec<u8>,
    compact: Vec<u8>,
    messages: u64,
}

impl Input {
    fn new(plain: Vec<u8>, messages: u64) -> Input {
        let mut compact = Vec::new();
        encode_window(&mut BytesMut::from(&plain[..]), &mut compact);
        // Whole requests or events, the window plans the same heads.
        let mut by_events = Vec::new();
        encode_window_events(&mut BytesMut::from(&plain[..]), &mut by_events);
        assert_eq!(by_events, compact);
        let input = Input { plain, compact, messages };
        // Every routine must see every message, or its rate means nothing.
        assert_eq!(httparse_walk(&input.plain), (messages, input.plain.len()));
        assert_eq!(memchr_walk(&input.compact), messages);
        assert_eq!(decode_events(&mut input.compact_buf()), 3 * messages - bodyless(&input.plain));
        assert_eq!(decode_requests(&mut input.compact_buf()), messages);
        assert_eq!(try_decode_requests(&mut input.compact_buf()), messages);
        assert_eq!(decode_plain(&mut input.compact_buf(), &mut Vec::new()), input.plain.len());
        assert_eq!(decode_plain_events(&mut input.compact_buf(), &mut Vec::new()), input.plain.len());
        let mut out = Vec::new();
        assert_eq!(decode_slice(&input.compact, |req| req.write_http1(&mut out)), messages);
        assert_eq!(out, input.plain);
        let mut compact = Vec::new();
        assert_eq!(encode_alone(&mut input.plain_buf(), &mut compact), messages);
        assert_eq!(decode_plain(&mut BytesMut::from(&compact[..]), &mut Vec::new()), input.plain.len());
        let mut sliced = Vec::new();
        assert_eq!(encode_slice(&input.plain, &mut sliced), messages);
        assert_eq!(sliced, compact, "borrowed and owned encoding write the same bytes");
        assert_eq!(parse_slice(&input.plain), (messages, input.plain.len()));
        input
    }

    fn opra() -> Input {
        let input = Input::new(gen::opra(OPRA_COUNT, SEED, OPRA_PAYLOAD), OPRA_COUNT);
        let (mut alone, mut fresh) = (Vec::new(), Vec::new());
        encode_alone(&mut input.plain_buf(), &mut alone);
        assert_eq!(encode_fresh_heads(&mut input.plain_buf(), &mut fresh), OPRA_COUNT);
        assert_eq!(fresh, alone, "fresh heads and the parser's shared heads encode alike");
        input
    }

    fn browse() -> Input {
        Input::new(gen::browse(BROWSE_COUNT, SEED), BROWSE_COUNT)
    }

    fn plain_buf(&self) -> BytesMut {
        BytesMut::from(&self.plain[..])
    }

    fn compact_buf(&self) -> BytesMut {
        BytesMut::from(&self.compact[..])
    }
}

/// Requests without a body in a plain stream (they yield no `Data` event).
fn bodyless(plain: &[u8]) -> u64 {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::new();
    let mut n = 0;
    while let Some(req) = parser.decode_eof(&mut src).expect("generated input is valid") {
        n += u64::from(req.body().is_empty());
    }
    n
}

/// Short runs: the whole set takes a few minutes on two cores.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .nresamples(20_000)
        .without_plots()
}

/// Benches a routine that consumes a fresh copy of `input` each iteration (the copy is not
/// timed).
fn bench_consuming<R>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    input: &[u8],
    mut routine: impl FnMut(&mut BytesMut) -> R,
) {
    group.bench_function(name, |b| {
        b.iter_batched_ref(|| BytesMut::from(input), |src| black_box(routine(src)), BatchSize::LargeInput)
    });
}

fn decode_group(c: &mut Criterion, name: &str, input: &Input) {
    let mut group = c.benchmark_group(format!("{name}_decode"));
    group.throughput(Throughput::Elements(input.messages));
    bench_consuming(&mut group, "streamline_next_event", &input.compact, decode_events);
    bench_consuming(&mut group, "streamline_decode", &input.compact, decode_requests);
    bench_consuming(&mut group, "streamline_try_decode", &input.compact, try_decode_requests);
    group.bench_function("streamline_decode_slice", |b| {
        b.iter(|| {
            decode_slice(black_box(&input.compact), |req| {
                black_box(req);
            })
        })
    });
    group.bench_function("httparse_plain", |b| b.iter(|| httparse_walk(black_box(&input.plain))));
    group.bench_function("memchr_walk_compact", |b| b.iter(|| memchr_walk(black_box(&input.compact))));
    group.finish();
}

fn decode_bytes_group(c: &mut Criterion, name: &str, input: &Input) {
    let mut group = c.benchmark_group(format!("{name}_decode_bytes"));
    group.throughput(Throughput::Bytes(input.compact.len() as u64));
    bench_consuming(&mut group, "streamline_next_event", &input.compact, decode_events);
    group.bench_function("memchr_walk_compact", |b| b.iter(|| memchr_walk(black_box(&input.compact))));
    group.throughput(Throughput::Bytes(input.plain.len() as u64));
    group.bench_function("httparse_plain", |b| b.iter(|| httparse_walk(black_box(&input.plain))));
    group.finish();
}

/// `fresh`: the feed has one head, so a handler's fresh heads can be timed too.
fn encode_group(c: &mut Criterion, name: &str, input: &Input, fresh: bool) {
    let mut group = c.benchmark_group(format!("{name}_encode"));
    group.throughput(Throughput::Elements(input.messages));
    let mut out = Vec::with_capacity(input.compact.len());
    bench_consuming(&mut group, "streamline_lookahead_requests", &input.plain, |src| encode_window(src, &mut out));
    bench_consuming(&mut group, "streamline_lookahead_events", &input.plain, |src| encode_window_events(src, &mut out));
    bench_consuming(&mut group, "streamline_encode", &input.plain, |src| encode_alone(src, &mut out));
    if fresh {
        bench_consuming(&mut group, "streamline_encode_fresh_head", &input.plain, |src| {
            encode_fresh_heads(src, &mut out)
        });
    }
    group.bench_function("streamline_encode_slice", |b| b.iter(|| encode_slice(black_box(&input.plain), &mut out)));
    group.bench_function("streamline_parse_only", |b| b.iter(|| parse_slice(black_box(&input.plain))));
    group.bench_function("httparse_parse_only", |b| b.iter(|| httparse_walk(black_box(&input.plain))));
    group.finish();
}

fn decode_plain_group(c: &mut Criterion, name: &str, input: &Input) {
    let mut group = c.benchmark_group(format!("{name}_decode_plain"));
    // Counted in output bytes: the plain stream written.
    group.throughput(Throughput::Bytes(input.plain.len() as u64));
    let mut out = Vec::with_capacity(input.plain.len());
    bench_consuming(&mut group, "streamline_decode", &input.compact, |src| decode_plain(src, &mut out));
    bench_consuming(&mut group, "streamline_next_event", &input.compact, |src| decode_plain_events(src, &mut out));
    group.bench_function("streamline_decode_slice", |b| {
        b.iter(|| {
            out.clear();
            let mut writer = http1::Writer::new();
            decode_slice(black_box(&input.compact), |req| writer.write(req.head(), req.body(), &mut out));
            black_box(&out);
        })
    });
    let mut copy = vec![0u8; input.plain.len()];
    group.bench_function("memcpy_output", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&input.plain));
            black_box(&copy);
        })
    });
    group.bench_function("httparse_plain", |b| b.iter(|| httparse_walk(black_box(&input.plain))));
    group.finish();
}

fn opra(c: &mut Criterion) {
    let input = Input::opra();
    decode_group(c, "opra", &input);
    decode_bytes_group(c, "opra", &input);
    encode_group(c, "opra", &input, true);
    decode_plain_group(c, "opra", &input);
}

fn browse(c: &mut Criterion) {
    let input = Input::browse();
    encode_group(c, "browse", &input, false);
    decode_group(c, "browse", &input);
    decode_plain_group(c, "browse", &input);
}

criterion_group! {
    name = benches;
    config = config();
    targets = opra, browse
}
criterion_main!(benches);
