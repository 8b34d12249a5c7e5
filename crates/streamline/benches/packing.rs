//! Packed lines (SPEC.md §4.11) against the same streams written as text: what packing costs
//! the encoder and the decoder, on the traffic it is for (the recorded API session: a fresh
//! id on every request, a new token now and then) and on a browser-like session.
//!
//! Group `packing`: `{api,browse}_encode_{text,packed}` (plain → compact through the default
//! window), `{api,browse}_decode_slice_{text,packed}` (`decode_slice` of each output), in
//! requests/s. A bench binary of its own, so the codec's binary (`benches/codec.rs`) keeps
//! its code and its layout.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use streamline::{http1, Encoder, Lookahead, Window};
use streamline_traffic as gen;

#[allow(dead_code)] // (it holds the paths of benches/codec.rs too)
mod paths;
use paths::decode_slice;

/// Plain → compact through the default window (as `streamline encode`), packed or not (the
/// copy of `plain` it reads from is timed too, alike for both).
fn encode(plain: &[u8], packing: bool, out: &mut Vec<u8>) -> usize {
    out.clear();
    let (mut parser, mut src) = (http1::Parser::new(), BytesMut::from(plain));
    let mut window = Lookahead::new(Encoder::new().packing(packing), Window::default());
    while let Some(request) = parser.decode(&mut src).expect("valid") {
        window.encode_request(request, out).expect("encodable");
    }
    window.finish(out).expect("encodable");
    out.len()
}

fn packing(c: &mut Criterion) {
    let api = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/sessions/api-requests.http"))
        .expect("the recorded API session");
    let browse = gen::browse(2_000, 1);
    let mut group = c.benchmark_group("packing");
    for (name, plain) in [("api", api), ("browse", browse)] {
        let (mut text, mut packed) = (Vec::new(), Vec::new());
        encode(&plain, false, &mut text);
        encode(&plain, true, &mut packed);
        let messages = decode_slice(&text, |_| ());
        assert_eq!(decode_slice(&packed, |_| ()), messages);
        assert!(packed.len() < text.len());
        group.throughput(Throughput::Elements(messages));
        let mut out = Vec::with_capacity(text.len());
        for (form, pack) in [("text", false), ("packed", true)] {
            group.bench_function(format!("{name}_encode_{form}"), |b| {
                b.iter(|| encode(black_box(&plain), pack, &mut out))
            });
        }
        for (form, compact) in [("text", &text), ("packed", &packed)] {
            group.bench_function(format!("{name}_decode_slice_{form}"), |b| {
                b.iter(|| {
                    decode_slice(black_box(compact), |req| {
                        black_box(req);
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).without_plots();
    targets = packing
}
criterion_main!(benches);
