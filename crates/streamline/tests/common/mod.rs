//! Helpers the integration tests share: whole-buffer conversions built on the streaming API.
#![allow(dead_code)]

use bytes::BytesMut;
use streamline::{http1, Decoder, Encoder, Error, Limits, Lookahead, Request, Window};

/// Plain bytes to compact bytes, the way the CLI does it (lookahead window, finish at EOF).
pub fn encode(plain: &[u8]) -> Result<Vec<u8>, Error> {
    encode_with(plain, Limits::default(), Window::default())
}

pub fn encode_with(plain: &[u8], limits: Limits, window: Window) -> Result<Vec<u8>, Error> {
    encode_by(plain, limits, Encoder::with_limits(limits), window)
}

/// Plain bytes, read with `limits`, to compact bytes by `encoder`.
pub fn encode_by(plain: &[u8], limits: Limits, encoder: Encoder, window: Window) -> Result<Vec<u8>, Error> {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::with_limits(limits);
    let mut enc = Lookahead::new(encoder, window);
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
    decode_requests_with(compact, Limits::default())
}

/// Compact bytes to requests, read with `limits`.
pub fn decode_requests_with(compact: &[u8], limits: Limits) -> Result<Vec<Request>, Error> {
    let mut src = BytesMut::from(compact);
    let mut decoder = Decoder::with_limits(limits);
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

/// A random compact program that exercises every opcode, header editing included (SPEC.md
/// §4.10): mostly valid, so it issues requests, with arguments that sometimes name lines,
/// entries or spans that do not exist.
pub fn editing_program() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    editing_ops().prop_map(|ops| {
        let mut out = EDITING_START.to_vec();
        for op in ops {
            out.extend_from_slice(op.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    })
}

/// What every editing program starts with.
pub const EDITING_START: &[u8] =
    b"V:HTTP/1.1\r\nM:GET\r\nB:/p/7/x\r\nH:Host: a\r\nH:X-Id: 12\r\nH:Cookie: id=9; t=dark\r\n-:\r\n";

/// The opcodes of [`editing_program`] after its start: each an opcode line without its CRLF,
/// then (for `+:` and `*:`) CRLF and the body without the CRLF the program adds.
pub fn editing_ops() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
    use proptest::prelude::*;
    let name = prop::sample::select(vec!["Host", "Accept", "X-Id", "Cookie", "Referer", "a"]);
    let value = prop::sample::select(vec!["1", "12", "abc", "a-b c", "/p/7/x", "", "id=9; t=dark"]);
    let line = (name.clone(), value.clone()).prop_map(|(n, v)| format!("{n}: {v}"));
    let source = prop_oneof![3 => line.clone(), 1 => (0usize..6).prop_map(|i| format!("={i}"))];
    let selector = prop_oneof![(0usize..5).prop_map(|p| p.to_string()), name.prop_map(str::to_string)];
    let text = prop::sample::select(vec!["", " 9", " xy", " a b", " 7/y"]);
    let op = prop_oneof![
        2 => line.prop_map(|l| format!("H:{l}")),
        1 => (0usize..6).prop_map(|i| format!("H:={i}")),
        2 => source.clone().prop_map(|s| format!("S:{s}")),
        1 => (selector.clone(), source.clone()).prop_map(|(p, s)| format!("R:{p} {s}")),
        1 => (selector.clone(), source).prop_map(|(p, s)| format!("I:{p} {s}")),
        1 => (selector.clone(), 0usize..3).prop_map(|(p, c)| if c == 1 { format!("D:{p}") } else { format!("D:{p} {c}") }),
        2 => (selector, 0usize..14, 0usize..4, text.clone()).prop_map(|(p, a, l, t)| format!("E:{p} {a} {l}{t}")),
        1 => (0usize..8, 0usize..4, text).prop_map(|(a, l, t)| format!("U:{a} {l}{}", t.replace(' ', "/").replacen('/', " ", 1))),
        1 => prop::sample::select(vec!["B:/p/7/x", "B:/", "M:GET", "M:POST", "V:HTTP/1.0", ">:0", ">:1", "<:0", "<:1"])
            .prop_map(str::to_string),
        3 => prop::sample::select(vec!["-:", "-:q", "+: 4\r\nhi", "*:\r\n1\r\nz\r\n0\r\n"]).prop_map(str::to_string),
    ];
    proptest::collection::vec(op, 1..40)
}

/// The static lines of SPEC.md §4.12, read from the table there (the format's one source),
/// by index.
pub fn spec_static_lines() -> Vec<Vec<u8>> {
    let spec = std::fs::read_to_string(format!("{}/../../SPEC.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let section = spec.split("### 4.12 Static lines").nth(1).unwrap().split("\n### ").next().unwrap();
    let mut entries: Vec<(usize, Vec<u8>)> = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| ") && l.contains('`')) {
        let cells: Vec<&str> = row.split(" | ").map(|c| c.trim_matches(|c| c == '|' || c == ' ')).collect();
        for pair in cells.chunks(2) {
            if let [n, line] = pair {
                if let (Ok(n), Some(line)) = (n.parse(), line.strip_prefix('`').and_then(|l| l.strip_suffix('`'))) {
                    entries.push((n, line.as_bytes().to_vec()));
                }
            }
        }
    }
    entries.sort();
    assert!(entries.iter().enumerate().all(|(i, (n, _))| i == *n), "SPEC.md §4.12 lists every index once");
    entries.into_iter().map(|(_, line)| line).collect()
}

/// `line` (without its CRLF) as the shortest static line (SPEC.md §4.12) that says it, if one
/// is shorter than the line: every entry of `list` tried.
pub fn static_form(line: &[u8], list: &[Vec<u8>]) -> Option<Vec<u8>> {
    list.iter()
        .enumerate()
        .filter(|(_, e)| line.starts_with(e))
        .map(|(i, e)| {
            let rest = &line[e.len()..];
            let mut out = format!("~{i}").into_bytes();
            if !rest.is_empty() {
                out.push(b' ');
                out.extend_from_slice(rest);
            }
            (out, e.len())
        })
        // The shortest; of two as short, the one with the longer entry (as the encoder picks).
        .min_by_key(|(form, entry)| (form.len(), std::cmp::Reverse(*entry)))
        .map(|(form, _)| form)
        .filter(|form| form.len() < line.len())
}
