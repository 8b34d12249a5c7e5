//! Hostile input: floods, giant lines, huge lengths, deep chunk chains, one byte at a time.
//!
//! Every case must end in the exact error its limit or rule names, and memory must stay within
//! what the limits allow. The decoder's memory is three things, each checked here:
//!
//! - the unconsumed input the caller keeps for it: while no line ends, under `max_line`
//!   (bodies are handed out as they arrive, so they never pile up in the input);
//! - the state and registers: `Decoder::state().bytes()`, never over `max_state_bytes`;
//! - a body gathered by the whole-request calls: never over `max_body`.

use bytes::BytesMut;
use streamline::{http1, Decoder, Error, ErrorKind, Event, Framing, Limits, Request};

/// Feeds `input` in `piece`-byte pieces to a decoder's whole-request call, checking after every
/// call that the unconsumed input and the state stay within `limits`. Returns the requests and
/// the error that ended the stream, if any (end of input is checked with `decode_eof`).
fn decode_bounded(input: &[u8], piece: usize, limits: Limits) -> (Vec<Request>, Option<Error>) {
    let mut decoder = Decoder::with_limits(limits);
    let mut src = BytesMut::new();
    let mut out = Vec::new();
    let mut peak_state = 0;
    for chunk in input.chunks(piece) {
        src.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut src) {
                Ok(Some(req)) => {
                    assert!(req.body().len() as u64 <= limits.get_max_body());
                    out.push(req);
                }
                Ok(None) => break,
                Err(err) => return (out, Some(err)),
            }
        }
        peak_state = peak_state.max(decoder.state().bytes());
        assert!(decoder.state().bytes() <= limits.get_max_state_bytes(), "state over its limit");
        assert!(src.len() < limits.get_max_line(), "{} bytes buffered while no line ends", src.len());
    }
    loop {
        match decoder.decode_eof(&mut src) {
            Ok(Some(req)) => out.push(req),
            Ok(None) => return (out, None),
            Err(err) => return (out, Some(err)),
        }
    }
}

/// The error that ends a compact stream fed whole.
fn decode_error(input: &[u8], limits: Limits) -> Error {
    let (_, err) = decode_bounded(input, input.len().max(1), limits);
    err.expect("the stream must be rejected")
}

/// The error that ends a plain stream fed whole.
fn parse_error(input: &[u8], limits: Limits) -> Error {
    let mut parser = http1::Parser::with_limits(limits);
    let mut src = BytesMut::from(input);
    loop {
        match parser.decode_eof(&mut src) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream must be rejected"),
            Err(err) => return err,
        }
    }
}

fn lines(list: impl IntoIterator<Item = String>) -> Vec<u8> {
    list.into_iter().flat_map(|l| (l + "\r\n").into_bytes()).collect()
}

const SETUP: &str = "V:HTTP/1.1\r\nM:GET\r\nB:/\r\n";

#[test]
fn register_flood_stops_at_max_registers() {
    let limits = Limits::default().max_registers(64);
    let mut input = SETUP.as_bytes().to_vec();
    input.extend(lines((0..10_000).map(|i| format!(">:r{i}"))));
    let err = decode_error(&input, limits);
    assert_eq!(err.kind(), &ErrorKind::TooManyRegisters { limit: 64 });
    assert_eq!(err.line(), Some(4 + 64), "the 65th store is the one refused");
}

/// With `max_registers` raised, registers holding next to nothing must still run out of state
/// bytes: each counts `REGISTER_OVERHEAD` besides its name and its copy (SPEC.md §7.2), what
/// it occupies in memory whatever it holds. Counting only names and copies, these 10,000
/// registers would count 168,902 bytes and all fit the default 1 MiB.
#[test]
fn tiny_register_flood_runs_out_of_state_bytes() {
    let limits = Limits::default().max_registers(1_000_000);
    let mut input = SETUP.as_bytes().to_vec();
    input.extend(lines((0..10_000).map(|i| format!(">:r{i}"))));
    // SETUP holds 12 state bytes (`HTTP/1.1`, `GET`, `/`); each register adds its overhead,
    // its name and those 12.
    let mut total = 12;
    let refused = (0..10_000)
        .position(|i| {
            total += Limits::REGISTER_OVERHEAD + format!("r{i}").len() + 12;
            total > limits.get_max_state_bytes()
        })
        .expect("the flood must pass the limit");
    assert_eq!(refused, 3_844);
    let err = decode_error(&input, limits);
    assert_eq!(err.kind(), &ErrorKind::StateTooLarge { limit: 1 << 20 });
    assert_eq!(err.line(), Some(4 + refused as u64), "the store that would pass the limit is the one refused");
}

#[test]
fn overwriting_one_register_does_not_grow_the_state() {
    let limits = Limits::default().max_registers(1).max_state_bytes(64 + Limits::REGISTER_OVERHEAD);
    let mut input = SETUP.as_bytes().to_vec();
    input.extend(lines((0..5_000).map(|_| ">:r".to_string())));
    input.extend_from_slice(b"<:r\r\n-:\r\n");
    let (reqs, err) = decode_bounded(&input, 7, limits);
    assert_eq!((reqs.len(), err), (1, None));
}

#[test]
fn header_flood_stops_at_max_headers() {
    let limits = Limits::default().max_headers(100);
    let mut input = SETUP.as_bytes().to_vec();
    input.extend(lines((0..10_000).map(|i| format!("H:X-{i}: v"))));
    let err = decode_error(&input, limits);
    assert_eq!(err.kind(), &ErrorKind::TooManyHeaders { limit: 100 });

    let mut plain = b"GET / HTTP/1.1\r\n".to_vec();
    plain.extend(lines((0..10_000).map(|i| format!("X-{i}: v"))));
    plain.extend_from_slice(b"\r\n");
    let err = parse_error(&plain, limits);
    assert_eq!(err.kind(), &ErrorKind::TooManyHeaders { limit: 100 });
    assert_eq!(err.line(), Some(2 + 100), "the 101st field line is the one refused");
}

#[test]
fn trailer_flood_stops_at_max_headers() {
    let limits = Limits::default().max_headers(8);
    let mut input = format!("{SETUP}*:\r\n0\r\n").into_bytes();
    input.extend(lines((0..1_000).map(|i| format!("T-{i}: v"))));
    input.extend_from_slice(b"\r\n");
    assert_eq!(decode_error(&input, limits).kind(), &ErrorKind::TooManyTrailers { limit: 8 });
}

#[test]
fn state_bytes_exhaustion_is_refused_and_accounted() {
    let limits = Limits::default().max_state_bytes(4096);
    // Long header lines, then registers copying them, then a long base: every way to grow the
    // state, each checked against the limit after every piece.
    let value = "v".repeat(200);
    let mut input = SETUP.as_bytes().to_vec();
    input.extend(lines((0..5).map(|i| format!("H:X-{i}: {value}"))));
    input.extend(lines((0..100).map(|i| format!(">:r{i}"))));
    let err = decode_bounded(&input, 64, limits).1.expect("registers must run out of bytes");
    assert_eq!(err.kind(), &ErrorKind::StateTooLarge { limit: 4096 });

    let mut input = SETUP.as_bytes().to_vec();
    input.extend(lines((0..100).map(|i| format!("H:X-{i}: {value}"))));
    let err = decode_bounded(&input, 64, limits).1.expect("header lines must run out of bytes");
    assert_eq!(err.kind(), &ErrorKind::StateTooLarge { limit: 4096 });

    let input = format!("{SETUP}B:/{}\r\n", "b".repeat(5000));
    let err = decode_error(input.as_bytes(), limits.max_line(8192));
    assert_eq!(err.kind(), &ErrorKind::StateTooLarge { limit: 4096 });
}

#[test]
fn loading_a_register_cannot_pass_the_state_limit() {
    // Loading replaces the current state with a register's copy, so it can grow the total:
    // `e` holds the empty state (12 bytes), `a` a 1,015-byte one; after loading `e` back, five
    // small registers bring the registers to 1,099 bytes and seven overheads, and loading `a`
    // would make 2,114 and seven overheads.
    let value = "v".repeat(1000);
    let small = (1..=5).map(|i| format!(">:c{i}\r\n")).collect::<String>();
    let input = format!("{SETUP}>:e\r\nH:A: {value}\r\n>:a\r\n<:e\r\n{small}<:a\r\n-:\r\n");
    let limit = 2114 + 7 * Limits::REGISTER_OVERHEAD;
    let (reqs, err) = decode_bounded(input.as_bytes(), 3, Limits::default().max_state_bytes(limit));
    assert_eq!((reqs.len(), err), (1, None));
    let (_, err) = decode_bounded(input.as_bytes(), 3, Limits::default().max_state_bytes(limit - 1));
    assert_eq!(err.map(|e| e.kind().clone()), Some(ErrorKind::StateTooLarge { limit: limit - 1 }));
}

#[test]
fn giant_compact_line_is_refused_at_max_line_without_buffering_more() {
    let limits = Limits::default().max_line(1024);
    // No line end at all: the buffer stays under the limit until the limit is reached.
    let input = [b"H:X: ".as_slice(), &[b'a'; 100_000]].concat();
    let (_, err) = decode_bounded(&input, 100, limits);
    let err = err.expect("an endless line must be refused");
    assert_eq!(err.kind(), &ErrorKind::LineTooLong { limit: 1024 });
    assert_eq!(err.offset(), Some(0), "the error points at the start of the line");
    // A long line that does end is refused the same way.
    let input = format!("{SETUP}B:/{}\r\n", "b".repeat(2000));
    assert_eq!(decode_error(input.as_bytes(), limits).kind(), &ErrorKind::LineTooLong { limit: 1024 });
    // The limit counts CRLF: a line of exactly max_line bytes passes, one more does not.
    let fits = format!("{SETUP}H:X: {}\r\n-:\r\n", "v".repeat(1024 - 7));
    assert_eq!(decode_bounded(fits.as_bytes(), 1, limits).1, None);
    let over = format!("{SETUP}H:X: {}\r\n-:\r\n", "v".repeat(1024 - 6));
    assert_eq!(decode_error(over.as_bytes(), limits).kind(), &ErrorKind::LineTooLong { limit: 1024 });
}

#[test]
fn giant_plain_lines_are_refused_at_max_line() {
    let limits = Limits::default().max_line(1024);
    let long = "a".repeat(5000);
    for input in [
        format!("GET /{long} HTTP/1.1\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nX: {long}\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nX: {long}"),
        format!("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;{long}\r\nhello\r\n0\r\n\r\n"),
        format!("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: {long}\r\n\r\n"),
    ] {
        assert_eq!(
            parse_error(input.as_bytes(), limits).kind(),
            &ErrorKind::LineTooLong { limit: 1024 },
            "{input:.40}"
        );
    }
}

#[test]
fn plain_head_buffer_is_bounded_by_lines_times_line_limit() {
    // A plain head cannot be used before its empty line, so the parser leaves it in the input;
    // it can hold at most max_headers field lines (plus request-line, one framing field and the
    // empty line), each under max_line, before a limit refuses it.
    let limits = Limits::default().max_line(256).max_headers(16);
    let bound = (16 + 3) * 256;
    let mut plain = b"GET / HTTP/1.1\r\n".to_vec();
    plain.extend(lines((0..1_000).map(|i| format!("X-{i}: {}", "v".repeat(200)))));
    let mut parser = http1::Parser::with_limits(limits);
    let mut src = BytesMut::new();
    let mut refused = None;
    for chunk in plain.chunks(100) {
        src.extend_from_slice(chunk);
        match parser.next_event(&mut src) {
            Ok(None) => assert!(src.len() <= bound, "{} bytes of head buffered", src.len()),
            Ok(Some(event)) => panic!("unexpected {event:?}"),
            Err(err) => {
                refused = Some(err);
                break;
            }
        }
    }
    assert_eq!(refused.map(|e| e.kind().clone()), Some(ErrorKind::TooManyHeaders { limit: 16 }));
}

#[test]
fn overflowing_lengths_are_invalid() {
    let limits = Limits::default();
    for line in ["+: 99999999999999999999", "+: 18446744073709551616", "+:x 00", "+: -1", "+: 1e3", "+: 0x10"] {
        let input = format!("{SETUP}{line}\r\n");
        assert!(matches!(decode_error(input.as_bytes(), limits).kind(), ErrorKind::InvalidLength(_)), "{line}");
    }
    for value in ["99999999999999999999", "18446744073709551616", "-1", "+5", "0x10", "1e3", "5 5", "5,5", ""] {
        let input = format!("POST / HTTP/1.1\r\nContent-Length: {value}\r\n\r\n");
        let err = parse_error(input.as_bytes(), limits);
        assert!(matches!(err.kind(), ErrorKind::InvalidContentLength(_)), "{value}: {err}");
    }
}

#[test]
fn huge_lengths_that_fit_are_refused_by_max_body_or_streamed() {
    let limits = Limits::default().max_body(1 << 20);
    let huge = u64::MAX / 2;
    // Whole-request calls refuse the body before reading a byte of it.
    let input = format!("{SETUP}+: 9999999999999999999\r\nabc");
    let err = decode_error(input.as_bytes(), limits);
    assert_eq!(err.kind(), &ErrorKind::BodyTooLarge { len: 9_999_999_999_999_999_999, limit: 1 << 20 });
    let input = format!("POST / HTTP/1.1\r\nContent-Length: {huge}\r\n\r\nabc");
    let err = parse_error(input.as_bytes(), limits);
    assert_eq!(err.kind(), &ErrorKind::BodyTooLarge { len: huge, limit: 1 << 20 });

    // The event calls stream it, holding nothing, and at the end of input say what is missing.
    let mut decoder = Decoder::with_limits(limits);
    let mut src = BytesMut::from(format!("{SETUP}+: 9999999999999999999\r\nabc").as_bytes());
    let mut events = Vec::new();
    let err = loop {
        match decoder.next_event_eof(&mut src) {
            Ok(Some(event)) => events.push(event),
            Ok(None) => panic!("a cut body must be an error at the end of input"),
            Err(err) => break err,
        }
    };
    assert!(
        matches!(&events[..], [Event::Head(h), Event::Data(d)] if h.framing() == Framing::Length(9_999_999_999_999_999_999) && d == "abc")
    );
    assert!(src.is_empty(), "body bytes are handed out, not kept");
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof { what: "a body (9999999999999999996 bytes missing)".into() });
}

#[test]
fn body_length_beyond_the_input_is_unexpected_eof() {
    let input = format!("{SETUP}+: 100\r\nonly these bytes");
    for piece in [1, 5, input.len()] {
        let (reqs, err) = decode_bounded(input.as_bytes(), piece, Limits::default());
        assert!(reqs.is_empty());
        let err = err.expect("a cut body must be an error at the end of input");
        assert_eq!(err.kind(), &ErrorKind::UnexpectedEof { what: "a body (84 bytes missing)".into() }, "piece {piece}");
    }
    let err = parse_error(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort", Limits::default());
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof { what: "a body (95 bytes missing)".into() });
}

#[test]
fn one_byte_at_a_time_equals_whole() {
    let mut input = format!("{SETUP}H:Host: a\r\n>:r\r\nH:X: 1\r\n+:q 5\r\nhello<:r\r\n*:c\r\n").into_bytes();
    input.extend_from_slice(b"3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n-:x\r\n");
    let whole = decode_bounded(&input, input.len(), Limits::default());
    let bytewise = decode_bounded(&input, 1, Limits::default());
    assert_eq!(whole, bytewise);
    assert_eq!(whole.0.len(), 3);
    assert_eq!(whole.1, None);

    // And an error found byte by byte is the same error, at the same place.
    let bad = [input.as_slice(), b"H:Bad Name: 1\r\n"].concat();
    let whole = decode_bounded(&bad, bad.len(), Limits::default());
    assert_eq!(decode_bounded(&bad, 1, Limits::default()), whole);
    assert_eq!(whole.1.and_then(|e| e.offset()), Some(input.len() as u64));
}

#[test]
fn deep_chunk_chains_stream_in_bounded_memory() {
    // 100,000 one-byte chunks: linear work, and the input never holds more than a line.
    let mut body = Vec::new();
    for _ in 0..100_000 {
        body.extend_from_slice(b"1\r\nx\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let input = [format!("{SETUP}*:up\r\n").as_bytes(), &body].concat();
    let limits = Limits::default().max_line(64);
    let mut decoder = Decoder::with_limits(limits);
    let mut src = BytesMut::new();
    let mut streamed = 0;
    for chunk in input.chunks(1000) {
        src.extend_from_slice(chunk);
        while let Some(event) = decoder.next_event(&mut src).expect("valid chunked body") {
            if let Event::Data(data) = event {
                streamed += data.len();
            }
        }
        assert!(src.len() < 64, "{} bytes buffered", src.len());
    }
    assert_eq!(streamed, body.len());

    // Held whole, the same chain is refused once it passes max_body.
    let err = decode_bounded(&input, 1000, limits.max_body(100_000)).1.expect("over max_body");
    assert!(matches!(err.kind(), ErrorKind::BodyTooLarge { limit: 100_000, .. }), "{err}");
}

#[test]
fn chunk_size_overflow_is_refused() {
    for size in ["10000000000000000", "fffffffffffffffff", "00000000000000000000000000000000010000000000000000"] {
        let input = format!("{SETUP}*:\r\n{size}\r\n");
        let err = decode_error(input.as_bytes(), Limits::default());
        assert!(matches!(err.kind(), ErrorKind::ChunkSizeOverflow(_)), "{size}: {err}");
        let input = format!("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n");
        let err = parse_error(input.as_bytes(), Limits::default());
        assert!(matches!(err.kind(), ErrorKind::ChunkSizeOverflow(_)), "{size}: {err}");
    }
    // The largest size that fits is a size, not an overflow: the body is then cut short.
    let input = format!("{SETUP}*:\r\nffffffffffffffff\r\nabc");
    let err = decode_error(input.as_bytes(), Limits::default().max_body(u64::MAX));
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof { what: "a chunked body".into() });
}

/// A caller that hands the plain reader a shorter buffer than last time (against the API's
/// rules: it should only append) gets answers, not a panic.
#[test]
fn shorter_buffer_after_partial_head_does_not_panic() {
    let mut parser = streamline::http1::Parser::new();
    let mut long = bytes::BytesMut::from(&b"GET / HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaa"[..]);
    assert!(parser.next_event(&mut long).unwrap().is_none());
    let mut short = bytes::BytesMut::from(&b"GET"[..]);
    assert!(parser.next_event(&mut short).unwrap().is_none());
    let (used, request) = parser.decode_slice(b"GE").unwrap();
    assert_eq!((used, request.is_none()), (0, true));
}
