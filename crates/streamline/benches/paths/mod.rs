//! The codec paths and peers that the criterion benches time (`benches/codec.rs`) and the
//! instruction-count driver runs one at a time (`examples/paths.rs`, which includes this file):
//! one definition of each, so a count and a rate describe the same code.
//!
//! Each reads a whole generated input, must see every message, and returns what it counted
//! for the callers' checks.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use streamline::{http1, Decoder, Encoder, Event, Head, Headers, Lookahead, Window};

/// Plain → compact the way the CLI does it: whole requests taken with `try_decode` into a
/// lookahead window, finished at the end.
pub fn encode_window(src: &mut BytesMut, out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut parser = http1::Parser::new();
    let mut enc = Lookahead::new(Encoder::new(), Window::default());
    while let Some(request) = parser.try_decode(src).expect("valid") {
        enc.encode_request(request, out).expect("encodable");
    }
    assert!(src.is_empty(), "every request was whole in the buffer");
    enc.finish(out).expect("encodable");
    out.len()
}

/// Plain → compact through a lookahead window fed events (the streaming form, for bodies
/// larger than the buffer).
pub fn encode_window_events(src: &mut BytesMut, out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut parser = http1::Parser::new();
    let mut enc = Lookahead::new(Encoder::new(), Window::default());
    while let Some(event) = parser.next_event_eof(src).expect("valid") {
        enc.encode(event, out).expect("encodable");
    }
    enc.finish(out).expect("encodable");
    out.len()
}

/// Plain → compact, each request planned alone ([`Encoder::encode`]).
pub fn encode_alone(src: &mut BytesMut, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut parser = http1::Parser::new();
    let mut enc = Encoder::new();
    let mut n = 0;
    while let Some(req) = parser.decode_eof(src).expect("valid") {
        enc.encode(&req, out).expect("encodable");
        n += 1;
    }
    n
}

/// Plain → compact as [`encode_alone`] for a feed whose requests share one head but for
/// their framing (OPRA), with each head handed to the encoder built afresh with [`Head::new`],
/// as a feed handler that makes its own heads does: it keeps the parts (taken from the first
/// request here, as it would have them from its configuration; the header lines built with
/// `Headers::push`, so each clone is a copy of the block) and builds a new head for every
/// message, equal in content to the last, not the same object. The plain parse gives the
/// bodies and framings, as in [`encode_alone`].
pub fn encode_fresh_heads(src: &mut BytesMut, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut parser = http1::Parser::new();
    let mut enc = Encoder::new();
    let mut parts = None;
    let mut n = 0;
    while let Some(req) = parser.decode_eof(src).expect("valid") {
        let parsed = req.head();
        let (method, target, version, headers) = parts.get_or_insert_with(|| {
            let mut headers = Headers::new();
            for line in parsed.headers() {
                headers.push(line).expect("valid");
            }
            let (method, target) = (Bytes::copy_from_slice(parsed.method()), Bytes::copy_from_slice(parsed.target()));
            (method, target, parsed.version(), headers)
        });
        let head =
            Head::new(method.clone(), target.clone(), *version, headers.clone(), parsed.framing()).expect("valid");
        enc.encode_head(&head, &[], false, out).expect("encodable");
        out.extend_from_slice(req.body());
        n += 1;
    }
    n
}

/// Plain → compact with no copy of the input and no reference count: requests borrowed with
/// `http1::Parser::decode_slice`, each planned alone with `Encoder::encode_head`, the body
/// copied after it (a gateway that encodes as it reads, with no lookahead).
pub fn encode_slice(input: &[u8], out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut parser = http1::Parser::new();
    let mut enc = Encoder::new();
    let (mut rest, mut n) = (input, 0);
    loop {
        let (used, req) = parser.decode_slice(rest).expect("valid");
        let Some(req) = req else { break };
        enc.encode_head(req.head(), &[], false, out).expect("encodable");
        out.extend_from_slice(req.body());
        rest = &rest[used..];
        n += 1;
    }
    assert!(rest.is_empty(), "every request was whole in the input");
    n
}

/// The encoder's first step alone: plain requests borrowed with `http1::Parser::decode_slice`,
/// each head read and checked, nothing encoded; the
/// like-for-like peer of httparse parse-only. Returns requests and bytes read.
pub fn parse_slice(input: &[u8]) -> (u64, usize) {
    let mut parser = http1::Parser::new();
    let (mut rest, mut n) = (input, 0);
    loop {
        let (used, req) = parser.decode_slice(rest).expect("valid");
        let Some(req) = req else { break };
        black_box((req.head().method(), req.head().target()));
        rest = &rest[used..];
        n += 1;
    }
    (n, input.len() - rest.len())
}

/// Compact → events; returns how many.
pub fn decode_events(src: &mut BytesMut) -> u64 {
    let mut decoder = Decoder::new();
    let mut n = 0;
    while let Some(event) = decoder.next_event_eof(src).expect("valid") {
        black_box(&event);
        n += 1;
    }
    n
}

/// Compact → whole requests; returns how many.
pub fn decode_requests(src: &mut BytesMut) -> u64 {
    let mut decoder = Decoder::new();
    let mut n = 0;
    while let Some(req) = decoder.decode_eof(src).expect("valid") {
        black_box(&req);
        n += 1;
    }
    n
}

/// Compact → whole requests with `try_decode` (the streaming caller's whole-request path);
/// returns how many.
pub fn try_decode_requests(src: &mut BytesMut) -> u64 {
    let mut decoder = Decoder::new();
    let mut n = 0;
    while let Some(req) = decoder.try_decode(src).expect("valid") {
        black_box(&req);
        n += 1;
    }
    assert!(src.is_empty(), "every request was whole in the buffer");
    n
}

/// Compact → whole requests borrowed from the input ([`Decoder::decode_slice`]); calls `each`
/// on every request and returns how many.
pub fn decode_slice(mut src: &[u8], mut each: impl FnMut(streamline::RequestRef<'_, '_>)) -> u64 {
    let mut decoder = Decoder::new();
    let mut n = 0;
    loop {
        let (used, req) = decoder.decode_slice(src).expect("valid");
        let done = req.is_none();
        if let Some(req) = req {
            each(req);
            n += 1;
        }
        src = &src[used..];
        if done {
            break;
        }
    }
    decoder.finish_slice(src).expect("whole input");
    n
}

/// Compact → plain bytes through whole requests, written by an `http1::Writer` (as a
/// caller writing a stream keeps one); returns the output size.
pub fn decode_plain(src: &mut BytesMut, out: &mut Vec<u8>) -> usize {
    out.clear();
    let (mut decoder, mut writer) = (Decoder::new(), http1::Writer::new());
    while let Some(req) = decoder.decode_eof(src).expect("valid") {
        writer.write(req.head(), req.body(), out);
    }
    out.len()
}

/// Compact → plain bytes through events (the streaming form), heads written by an
/// `http1::Writer`; returns the output size.
pub fn decode_plain_events(src: &mut BytesMut, out: &mut Vec<u8>) -> usize {
    out.clear();
    let (mut decoder, mut writer) = (Decoder::new(), http1::Writer::new());
    while let Some(event) = decoder.next_event_eof(src).expect("valid") {
        match event {
            Event::Head(head) => writer.write_head(&head, out),
            Event::Data(data) => out.extend_from_slice(&data),
            Event::End => {}
        }
    }
    out.len()
}

/// The peer: httparse reading a plain stream, each head parsed, then its Content-Length body
/// skipped. Returns requests and bytes walked.
pub fn httparse_walk(plain: &[u8]) -> (u64, usize) {
    let mut pos = 0;
    let mut n = 0;
    // One array for every request, as a server reusing its buffers would: httparse overwrites it.
    let mut headers = [httparse::EMPTY_HEADER; 16];
    while pos < plain.len() {
        let mut req = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(len) = req.parse(&plain[pos..]).expect("valid") else {
            panic!("truncated request at byte {pos}");
        };
        black_box((req.method, req.path));
        let body =
            req.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length")).map_or(0, |h| {
                std::str::from_utf8(h.value).ok().and_then(|v| v.parse::<usize>().ok()).expect("length")
            });
        pos += len + body;
        n += 1;
    }
    (n, pos)
}

/// The machine's reference: find each compact line with memchr, and after a `+:` line read
/// its length and skip that many body bytes. No checks, no state. Returns issued requests.
pub fn memchr_walk(compact: &[u8]) -> u64 {
    let mut pos = 0;
    let mut n = 0;
    while let Some(lf) = memchr::memchr(b'\n', &compact[pos..]) {
        let line = &compact[pos..pos + lf - 1];
        pos += lf + 1;
        match line.first() {
            Some(b'+') => {
                let digits = memchr::memrchr(b' ', line).map_or(line, |sp| &line[sp + 1..]);
                let len = digits.iter().fold(0usize, |acc, &d| acc * 10 + usize::from(d - b'0'));
                pos += len;
                n += 1;
            }
            Some(b'-') => n += 1,
            _ => {}
        }
    }
    black_box(pos);
    n
}
