//! The `http` conversions per OPRA message, each way, beside building the same
//! `http::Request` with its builder (the peer: what a handler pays for the `http` type
//! alone): the free functions (each head converted), and a `Converter` (a feed's repeated
//! head converted once; `_recycled`: each request given back to it once handled, as a
//! handler that takes one at a time can). Target (issue): at most 150 ns a message each way.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use streamline::http1;
use streamline_tokio::convert::{from_http_request, to_http_request, Converter};

fn opra() -> Vec<streamline::Request> {
    let plain = streamline_traffic::opra(1000, 1, 66);
    let mut src = BytesMut::from(&plain[..]);
    let mut parser = http1::Parser::new();
    let mut out = Vec::new();
    while let Some(r) = parser.decode_eof(&mut src).expect("valid") {
        out.push(r);
    }
    out
}

fn convert(c: &mut Criterion) {
    let requests = opra();
    let converted: Vec<_> = requests.iter().map(|r| to_http_request(r).expect("converts")).collect();
    assert_eq!(from_http_request(&converted[0]).expect("converts").body(), requests[0].body());
    let mut group = c.benchmark_group("convert_opra");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("to_http_request", |b| {
        b.iter(|| {
            for r in &requests {
                black_box(to_http_request(black_box(r)).expect("converts"));
            }
        })
    });
    group.bench_function("from_http_request", |b| {
        b.iter(|| {
            for r in &converted {
                black_box(from_http_request(black_box(r)).expect("converts"));
            }
        })
    });
    group.bench_function("converter_to_http", |b| {
        b.iter(|| {
            let mut converter = Converter::new();
            for r in &requests {
                black_box(converter.to_http_request(black_box(r)).expect("converts"));
            }
        })
    });
    group.bench_function("converter_to_http_recycled", |b| {
        b.iter(|| {
            let mut converter = Converter::new();
            for r in &requests {
                let converted = converter.to_http_request(black_box(r)).expect("converts");
                converter.recycle(black_box(converted));
            }
        })
    });
    group.bench_function("converter_from_http", |b| {
        b.iter(|| {
            let mut converter = Converter::new();
            for r in &converted {
                black_box(converter.from_http_request(black_box(r)).expect("converts"));
            }
        })
    });
    group.bench_function("http_builder_peer", |b| {
        b.iter(|| {
            for r in &requests {
                let req = http::Request::builder()
                    .method(http::Method::POST)
                    .uri("/receiver")
                    .header("host", "opra-receiver.example.com")
                    .header("content-type", "application/x-opra-quote")
                    .header("accept-encoding", "identity")
                    .body(r.body().clone())
                    .expect("valid");
                black_box(req);
            }
        })
    });
    group.finish();
    black_box(Bytes::new());
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = convert
}
criterion_main!(benches);
