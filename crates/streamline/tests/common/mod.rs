//! Helpers the integration tests share: whole-buffer conversions built on the streaming API.
#![allow(dead_code)]

use bytes::BytesMut;
use streamline::{http1, Decoder, Encoder, Error, Limits, Lookahead, Request, Window};

/// Plain bytes to compact bytes, the way the CLI does it (lookahead window, finish at EOF).
pub fn encode(plain: &[u8]) -> Result<Vec<u8>, Error> {
    encode_with(plain, Limits::default(), Window::default())
}

pub fn encode_with(plain: &[u8], limits: Limits, window: Window) -> Result<Vec<u8>, Error> {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::with_limits(limits);
    let mut enc = Lookahead::new(Encoder::with_limits(limits), window);
    let mut out = Vec::new();
    while let Some(event) = parser.next_event_eof(&mut src)? {
        enc.encode(event, &mut out)?;
    }
    enc.finish(&mut out)?;
    Ok(out)
}

/// Compact bytes to canonical plain bytes.
pub fn decode(compact: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for req in decode_requests(compact)? {
        req.write_http1(&mut out);
    }
    Ok(out)
}

pub fn decode_requests(compact: &[u8]) -> Result<Vec<Request>, Error> {
    let mut src = BytesMut::from(compact);
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    while let Some(req) = decoder.decode_eof(&mut src)? {
        out.push(req);
    }
    Ok(out)
}

/// Plain bytes to requests.
pub fn parse_plain(plain: &[u8]) -> Result<Vec<Request>, Error> {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::new();
    let mut out = Vec::new();
    while let Some(req) = parser.decode_eof(&mut src)? {
        out.push(req);
    }
    Ok(out)
}

/// Canonical form of a plain stream.
pub fn canonical(plain: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for req in parse_plain(plain)? {
        req.write_http1(&mut out);
    }
    Ok(out)
}

pub fn read_sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
