//! Same result at every split point (SPEC.md §2): feeding input whole, one byte at a time, or
//! in random pieces gives the same requests and the same error at the same position.

mod common;

use bytes::BytesMut;
use proptest::prelude::*;
use streamline::{http1, Decoder, Error, ErrorKind, Event, Grammar, Request};

/// What a reader produced: its requests (rebuilt from events) and how it ended.
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<Vec<u8>>,
    error: Option<Error>,
}

trait Reader {
    fn event(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Event>, Error>;
    fn request(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Request>, Error>;
    /// `decode_slice`: bytes consumed and the request, written out in plain form.
    fn slice(&mut self, src: &[u8]) -> Result<(usize, Option<Vec<u8>>), Error>;
    fn finish(&mut self, rest: &[u8]) -> Result<(), Error>;
}

impl<G: Grammar<Direction = streamline::Requests>> Reader for streamline::Reader<G> {
    fn event(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Event>, Error> {
        if eof {
            self.next_event_eof(src)
        } else {
            self.next_event(src)
        }
    }
    fn request(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Request>, Error> {
        if eof {
            self.decode_eof(src)
        } else {
            self.decode(src)
        }
    }
    fn slice(&mut self, src: &[u8]) -> Result<(usize, Option<Vec<u8>>), Error> {
        let (used, req) = self.decode_slice(src)?;
        Ok((
            used,
            req.map(|r| {
                let mut out = Vec::new();
                r.write_http1(&mut out);
                out
            }),
        ))
    }
    fn finish(&mut self, rest: &[u8]) -> Result<(), Error> {
        self.finish_slice(rest)
    }
}

/// Feeds `input` in pieces ending at `cuts`, through the event API.
fn by_events(mut reader: impl Reader, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut src = BytesMut::new();
    let mut requests = Vec::new();
    let mut current = Vec::new();
    let mut fed = 0;
    let ends: Vec<usize> = cuts.iter().copied().chain([input.len()]).collect();
    for (i, &end) in ends.iter().enumerate() {
        src.extend_from_slice(&input[fed..end.max(fed)]);
        fed = end.max(fed);
        let eof = i == ends.len() - 1;
        loop {
            match reader.event(&mut src, eof) {
                Ok(Some(Event::Head(h))) => h.write_http1(&mut current),
                Ok(Some(Event::Data(d))) => current.extend_from_slice(&d),
                Ok(Some(Event::End)) => requests.push(std::mem::take(&mut current)),
                Ok(None) => break,
                Err(e) => return Outcome { requests, error: Some(e) },
            }
        }
    }
    Outcome { requests, error: None }
}

/// Feeds `input` in pieces ending at `cuts`, through the whole-request API.
fn by_requests(mut reader: impl Reader, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut src = BytesMut::new();
    let mut requests = Vec::new();
    let mut fed = 0;
    let ends: Vec<usize> = cuts.iter().copied().chain([input.len()]).collect();
    for (i, &end) in ends.iter().enumerate() {
        src.extend_from_slice(&input[fed..end.max(fed)]);
        fed = end.max(fed);
        loop {
            match reader.request(&mut src, i == ends.len() - 1) {
                Ok(Some(r)) => {
                    let mut out = Vec::new();
                    r.write_http1(&mut out);
                    requests.push(out);
                }
                Ok(None) => break,
                Err(e) => return Outcome { requests, error: Some(e) },
            }
        }
    }
    Outcome { requests, error: None }
}

/// Feeds `input` in pieces ending at `cuts`, through the borrowed-slice API.
fn by_slices(mut reader: impl Reader, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut buf = Vec::new();
    let mut requests = Vec::new();
    let mut fed = 0;
    let ends: Vec<usize> = cuts.iter().copied().chain([input.len()]).collect();
    for &end in &ends {
        buf.extend_from_slice(&input[fed..end.max(fed)]);
        fed = end.max(fed);
        loop {
            match reader.slice(&buf) {
                Ok((used, req)) => {
                    buf.drain(..used);
                    match req {
                        Some(r) => requests.push(r),
                        None => break,
                    }
                }
                Err(e) => return Outcome { requests, error: Some(e) },
            }
        }
    }
    let error = reader.finish(&buf).err();
    Outcome { requests, error }
}

fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

fn check_all_splits(compact: bool, input: &[u8], random_cuts: &[usize]) {
    let mut cuts: Vec<usize> = random_cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let run = |cuts: &[usize], events: bool| match (compact, events) {
        (true, true) => by_events(Decoder::new(), input, cuts),
        (true, false) => by_requests(Decoder::new(), input, cuts),
        (false, true) => by_events(http1::Parser::new(), input, cuts),
        (false, false) => by_requests(http1::Parser::new(), input, cuts),
    };
    let slices = |cuts: &[usize]| match compact {
        true => by_slices(Decoder::new(), input, cuts),
        false => by_slices(http1::Parser::new(), input, cuts),
    };
    let whole = run(&[], false);
    let events = run(&[], true);
    // Only the whole-request calls hold a body, so only they refuse one over max_body (a
    // damaged length can ask for one): then the events stream it and go on.
    let over = whole.error.as_ref().is_some_and(|e| matches!(e.kind(), ErrorKind::BodyTooLarge { .. }));
    if !over {
        assert_eq!(events, whole, "events vs requests, whole input");
    }
    assert_eq!(run(&every_byte(input.len()), true), events, "events, one byte at a time");
    assert_eq!(run(&every_byte(input.len()), false), whole, "requests, one byte at a time");
    assert_eq!(run(&cuts, true), events, "events, cuts {cuts:?}");
    assert_eq!(run(&cuts, false), whole, "requests, cuts {cuts:?}");
    assert_eq!(slices(&[]), whole, "slices, whole input");
    assert_eq!(slices(&every_byte(input.len())), whole, "slices, one byte at a time");
    assert_eq!(slices(&cuts), whole, "slices, cuts {cuts:?}");
}

#[test]
fn samples_one_byte_at_a_time() {
    for name in ["get-pair", "post-someurl-x100", "opra-quote", "chunked-upload", "browse-session"] {
        for ext in ["http", "shttp"] {
            let path = format!("{}/../../samples/{name}.{ext}", env!("CARGO_MANIFEST_DIR"));
            let Ok(input) = std::fs::read(&path) else { continue };
            let input = &input[..input.len().min(20_000)];
            check_all_splits(ext == "shttp", input, &[7, 100, 1000]);
        }
    }
}

/// Valid-ish inputs with damage: truncations, flipped bytes, inserted CR/LF/NUL.
fn damaged(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), any::<usize>(), 0u8..6, any::<u8>()).prop_map(move |(at, len, how, byte)| {
        let mut v = base.to_vec();
        let at = at % (v.len() + 1);
        match how {
            0 => v.truncate(at),
            1 if at < v.len() => v[at] = byte,
            2 => v.insert(at, b'\n'),
            3 => v.insert(at, b'\r'),
            4 => v.insert(at, 0),
            _ => v.splice(at..at, std::iter::repeat_n(byte, len % 8)).for_each(drop),
        }
        v
    })
}

const COMPACT: &[u8] = b"V:HTTP/1.1\r\nB:/r\r\nM:POST\r\nH:Host: a\r\n>:0\r\nH:X: 1\r\n+: 5\r\nab\r\nc-:x\r\n<:0\r\n*:y\r\n3;e\r\nabc\r\n0\r\nT: 1\r\n\r\n+:z 0\r\n";
const PLAIN: &[u8] = b"POST /r HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab\r\nc\r\nGET /x HTTP/1.0\r\n\r\nPUT /y HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n0\r\nT: 1\r\n\r\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn compact_splits(input in damaged(COMPACT), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        check_all_splits(true, &input, &cuts);
    }

    #[test]
    fn plain_splits(input in damaged(PLAIN), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        check_all_splits(false, &input, &cuts);
    }
}

/// A chunked body over `max_body` is refused at its first byte, however the input is split.
#[test]
fn body_limit_does_not_depend_on_splits() {
    let mut input = b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n".to_vec();
    input.extend_from_slice(&[b'a'; 20]);
    input.extend_from_slice(b"\r\n0\r\n\r\n");
    let limits = streamline::Limits::default().max_body(10);
    let whole = by_requests(http1::Parser::with_limits(limits), &input, &[]);
    let err = whole.error.as_ref().expect("over the limit");
    assert_eq!((err.offset(), err.line()), (Some(46), Some(4)), "{err}");
    for cuts in [every_byte(input.len()), vec![7, 60], vec![57]] {
        assert_eq!(by_requests(http1::Parser::with_limits(limits), &input, &cuts), whole, "cuts {cuts:?}");
        assert_eq!(by_slices(http1::Parser::with_limits(limits), &input, &cuts), whole, "slices, cuts {cuts:?}");
    }
}

/// A damaged length asks for a body over max_body: the whole-request calls refuse it, the
/// events stream it to the end of the input; each gives the same at every split.
#[test]
fn body_over_max_body_splits() {
    let input =
        b"V:HTTP/1.1\r\nB:/r\r\nM:POST\r\nH:Host: a\r\n>:0\r\nH:X: 1\r\n+: 77777775\r\nab\r\nc-:x\r\n<:0\r\n*:y\r\n";
    check_all_splits(true, input, &[3, 40, 70]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// SPEC.md §4.10: programs with every editing opcode give the same requests and the same
    /// error at the same place, however the input is split.
    #[test]
    fn editing_splits(program in common::editing_program(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        check_all_splits(true, &program, &cuts);
    }
}

/// `pending_head`: the head whose body `decode` is gathering, from when the head is whole to
/// when the body is (what a server answers `Expect: 100-continue` by), in both syntaxes.
#[test]
fn the_head_waiting_for_its_body_is_told() {
    let plain = &b"POST /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"[..];
    let compact = &b"V:HTTP/1.1\r\nM:POST\r\nB:/u\r\n+: 5\r\nhello"[..];
    check_pending(http1::Parser::new(), plain);
    check_pending(Decoder::new(), compact);
}

/// Feeds `input` (one request whose body is its last 5 bytes) a byte at a time.
fn check_pending<G: Grammar<Direction = streamline::Requests>>(mut reader: streamline::Reader<G>, input: &[u8]) {
    let head_len = input.len() - 5;
    let mut src = BytesMut::new();
    for (i, &b) in input.iter().enumerate() {
        src.extend_from_slice(&[b]);
        let request = reader.decode(&mut src).unwrap();
        let pending = reader.pending_head().map(|h| h.target().to_vec());
        match i + 1 {
            n if n < head_len => assert!(request.is_none() && pending.is_none(), "at {n}"),
            n if n < input.len() => assert_eq!((request, pending), (None, Some(b"/u".to_vec())), "at {n}"),
            _ => {
                assert_eq!(request.unwrap().body(), "hello");
                assert!(pending.is_none());
            }
        }
    }
}

/// `Head::expects_continue` (RFC 9110 §10.1.1): the field in any case, with a body to send,
/// not from HTTP/1.0.
#[test]
fn an_expectation_is_read_as_rfc_9110_says() {
    for (plain, expects) in [
        ("POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", true),
        ("PUT / HTTP/1.1\r\nEXPECT:  100-Continue \r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true),
        ("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", false),
        ("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", false),
        ("POST / HTTP/1.1\r\nExpect: 100-continued\r\nContent-Length: 1\r\n\r\nx", false),
        ("POST / HTTP/1.1\r\nExpected: 100-continue\r\nContent-Length: 1\r\n\r\nx", false),
    ] {
        let request = http1::Parser::new().decode_eof(&mut BytesMut::from(plain)).unwrap().unwrap();
        assert_eq!(request.head().expects_continue(), expects, "{plain:?}");
    }
}
