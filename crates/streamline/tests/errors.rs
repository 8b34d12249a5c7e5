//! One case per error class of SPEC.md §8: the kind, its position (byte offset and line), the
//! message, and how many requests were delivered before it.

use bytes::BytesMut;
use streamline::{http1, Decoder, Encoder, ErrorKind, Framing, Head, Headers, Limits, Request, Version};

/// Reads `input` to the end and returns (requests before the error, the error).
fn fail_compact(input: &[u8], limits: Limits) -> (usize, streamline::Error) {
    let mut src = BytesMut::from(input);
    let mut decoder = Decoder::with_limits(limits);
    let mut n = 0;
    loop {
        match decoder.decode_eof(&mut src) {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("no error in {:?}", String::from_utf8_lossy(input)),
            Err(e) => return (n, e),
        }
    }
}

fn fail_plain(input: &[u8], limits: Limits) -> (usize, streamline::Error) {
    let mut src = BytesMut::from(input);
    let mut parser = http1::Parser::with_limits(limits);
    let mut n = 0;
    loop {
        match parser.decode_eof(&mut src) {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("no error in {:?}", String::from_utf8_lossy(input)),
            Err(e) => return (n, e),
        }
    }
}

/// `case!(reader, input, limits, requests_before, offset, line, message)`
macro_rules! case {
    ($name:ident, $read:ident, $input:expr, $limits:expr, $before:expr, $offset:expr, $line:expr, $msg:expr) => {
        #[test]
        fn $name() {
            let (before, err) = $read($input, $limits);
            assert_eq!(err.to_string(), format!("line {} (byte {}): {}", $line, $offset, $msg));
            assert_eq!((before, err.offset(), err.line()), ($before, Some($offset), Some($line)));
        }
    };
}

const HEAD: &str = "V:HTTP/1.1\r\nM:GET\r\nB:/\r\n";
fn d() -> Limits {
    Limits::default()
}

// §8.1 line structure
case!(bare_lf, fail_compact, b"V:HTTP/1.1\r\nM:GET\n", d(), 0, 12, 2, "bare LF (line feed without carriage return)");
case!(stray_cr, fail_compact, b"M:G\rET\r\n", d(), 0, 0, 1, "stray CR (carriage return not followed by line feed)");
case!(nul, fail_compact, b"H:A: \0\r\n", d(), 0, 0, 1, "NUL byte inside a line");
case!(
    line_too_long,
    fail_compact,
    b"H:A: 123456789\r\n",
    d().max_line(10),
    0,
    0,
    1,
    "line longer than the limit of 10 bytes"
);
case!(
    eof_in_line,
    fail_compact,
    format!("{HEAD}-:\r\n-:x").as_bytes(),
    d(),
    1,
    28,
    5,
    "input ends inside a line (no CRLF at the end)"
);
case!(
    eof_in_body,
    fail_compact,
    format!("{HEAD}+: 5\r\nab\r\n").as_bytes(),
    d(),
    0,
    34,
    6,
    "input ends inside a body (1 bytes missing)"
);

// §8.2 compact syntax
case!(
    empty_line,
    fail_compact,
    b"V:HTTP/1.1\r\n\r\n",
    d(),
    0,
    12,
    2,
    "empty line (expected an opcode line such as 'H:...')"
);
case!(
    unknown_opcode,
    fail_compact,
    b"GET / HTTP/1.1\r\n",
    d(),
    0,
    0,
    1,
    "unknown opcode 'G' (expected one of V B M H > < - + * S R I D E U ~)"
);
case!(missing_colon, fail_compact, b"H Host: a\r\n", d(), 0, 0, 1, "missing ':' after opcode 'H'");
case!(
    invalid_version,
    fail_compact,
    b"V:HTTP/1.10\r\n",
    d(),
    0,
    0,
    1,
    "invalid version 'HTTP/1.10' (expected HTTP/DIGIT.DIGIT)"
);
case!(invalid_method, fail_compact, b"M:G T\r\n", d(), 0, 0, 1, "invalid method 'G T' (expected a token)");
case!(
    invalid_base,
    fail_compact,
    b"B:/a\tb\r\n",
    d(),
    0,
    0,
    1,
    "invalid base '/a\\tb' (only visible ASCII 0x21-0x7E allowed)"
);
case!(
    invalid_suffix,
    fail_compact,
    format!("{HEAD}+:a\u{e9} 1\r\n").as_bytes(),
    d(),
    0,
    24,
    4,
    "invalid suffix 'a\\xc3\\xa9' (only visible ASCII 0x21-0x7E allowed)"
);
case!(
    invalid_header,
    fail_compact,
    b"H:Host\r\n",
    d(),
    0,
    0,
    1,
    "invalid header line 'Host': no ':' after the field name"
);
case!(
    framing_header,
    fail_compact,
    b"H:Content-Length: 5\r\n",
    d(),
    0,
    0,
    1,
    "header 'Content-Length: 5' is framing and may not appear in H: (use +: or *:)"
);
case!(
    invalid_register,
    fail_compact,
    b">:a b\r\n",
    d(),
    0,
    0,
    1,
    "invalid register name 'a b' (expected 1-64 visible ASCII bytes)"
);
case!(
    unknown_register,
    fail_compact,
    format!("{HEAD}-:\r\n<:r9\r\n").as_bytes(),
    d(),
    1,
    28,
    5,
    "unknown register 'r9'"
);
case!(
    invalid_length,
    fail_compact,
    format!("{HEAD}+: 007\r\n").as_bytes(),
    d(),
    0,
    24,
    4,
    "invalid body length in '+: 007' (expected '+:SUFFIX LEN', LEN decimal without leading zeros)"
);
case!(
    no_method,
    fail_compact,
    b"V:HTTP/1.1\r\n-:/\r\n",
    d(),
    0,
    12,
    2,
    "request issued with no method set (use M: first)"
);
case!(no_version, fail_compact, b"M:GET\r\n-:/\r\n", d(), 0, 7, 2, "request issued with no version set (use V: first)");
case!(
    empty_target,
    fail_compact,
    b"V:HTTP/1.1\r\nM:GET\r\n-:\r\n",
    d(),
    0,
    19,
    3,
    "request issued with an empty target (base + suffix)"
);
case!(
    too_many_registers,
    fail_compact,
    b">:a\r\n>:b\r\n",
    d().max_registers(1),
    0,
    5,
    2,
    "too many registers (limit 1)"
);
case!(
    too_many_headers,
    fail_compact,
    b"H:A: 1\r\nH:B: 2\r\n",
    d().max_headers(1),
    0,
    8,
    2,
    "too many header lines (limit 1)"
);
case!(
    state_too_large,
    fail_compact,
    b"H:A: 12345\r\n>:r\r\n",
    d().max_state_bytes(10),
    0,
    12,
    2,
    "state and registers exceed the limit of 10 bytes"
);
// SPEC.md §7.2's example: a register counts 256 besides its name and its copy, so `>:r` after
// a 6-byte line makes 6 + 256 + 1 + 6 = 269.
case!(
    state_too_large_by_register_overhead,
    fail_compact,
    b"H:A: 123\r\n>:r\r\n",
    d().max_state_bytes(268),
    0,
    10,
    2,
    "state and registers exceed the limit of 268 bytes"
);
case!(
    state_too_large_second_register,
    fail_compact,
    b"H:A: 123\r\n>:r\r\n>:s\r\n",
    d().max_state_bytes(269),
    0,
    15,
    3,
    "state and registers exceed the limit of 269 bytes"
);

// §8.3 plain HTTP/1.1
case!(
    invalid_request_line,
    fail_plain,
    b"GET / HTTP/1.1\r\n\r\nGET  / HTTP/1.1\r\n\r\n",
    d(),
    1,
    18,
    3,
    "invalid request line 'GET  / HTTP/1.1': empty request target or double space"
);
case!(
    obs_fold,
    fail_plain,
    b"GET / HTTP/1.1\r\nA: 1\r\n  2\r\n\r\n",
    d(),
    0,
    22,
    3,
    "obsolete line folding (field line starts with whitespace)"
);
case!(
    whitespace_before_colon,
    fail_plain,
    b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    d(),
    0,
    16,
    2,
    "whitespace between field name and colon in 'Host : a'"
);
case!(
    both_framings,
    fail_plain,
    b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    d(),
    0,
    36,
    3,
    "both Content-Length and Transfer-Encoding present"
);
case!(
    repeated_content_length,
    fail_plain,
    b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
    d(),
    0,
    36,
    3,
    "repeated Content-Length"
);
case!(
    invalid_content_length,
    fail_plain,
    b"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
    d(),
    0,
    17,
    2,
    "invalid Content-Length '0x10'"
);
case!(
    unsupported_transfer_coding,
    fail_plain,
    b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    d(),
    0,
    17,
    2,
    "unsupported Transfer-Encoding 'gzip' (only a single 'chunked' is accepted)"
);
case!(
    plain_bare_lf,
    fail_plain,
    b"GET / HTTP/1.1\r\nA: 1\n\r\n",
    d(),
    0,
    16,
    2,
    "bare LF (line feed without carriage return)"
);

// §8.4 chunked bodies
const CHUNKED: &str = "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
case!(
    invalid_chunk_size,
    fail_plain,
    format!("{CHUNKED}5 x\r\n").as_bytes(),
    d(),
    0,
    46,
    4,
    "invalid chunk size line '5 x'"
);
case!(
    chunk_size_overflow,
    fail_plain,
    format!("{CHUNKED}1ffffffffffffffff\r\n").as_bytes(),
    d(),
    0,
    46,
    4,
    "chunk size '1ffffffffffffffff' overflows 64 bits"
);
case!(
    missing_chunk_crlf,
    fail_compact,
    format!("{HEAD}*:\r\n1\r\nab").as_bytes(),
    d(),
    0,
    32,
    6,
    "chunk data not followed by CRLF"
);
case!(
    too_many_trailers,
    fail_plain,
    format!("{CHUNKED}0\r\nA: 1\r\nB: 2\r\n\r\n").as_bytes(),
    d().max_headers(1),
    0,
    55,
    6,
    "too many trailer lines (limit 1)"
);
case!(
    body_too_large,
    fail_compact,
    format!("{HEAD}+: 11\r\nhello world").as_bytes(),
    d().max_body(10),
    0,
    31,
    5,
    "body of 11 bytes or more exceeds the limit of 10 bytes for a whole message"
);

/// The encoder refuses what a decoder with its limits would reject.
#[test]
fn unencodable() {
    let mut headers = Headers::new();
    headers.push(b"A: 1").unwrap();
    headers.push(b"B: 2").unwrap();
    let head = Head::new("GET".into(), "/".into(), Version::HTTP_11, headers, Framing::None).unwrap();
    let req = Request::new(head, Default::default()).unwrap();
    let err = Encoder::with_limits(Limits::default().max_headers(1)).encode(&req, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unencodable("more header lines than the max_headers limit"));
    assert_eq!((err.offset(), err.line(), err.request()), (None, None, Some(1)));
    assert_eq!(err.to_string(), "request 1: cannot encode request: more header lines than the max_headers limit");
}

/// An encoder refusal names the refused request, counting from 1: one more than the requests
/// the encoder has written. A refused request is not written, so the next one takes the same
/// number if it is refused too, and the one after a written one the next. A Lookahead numbers
/// as its encoder does.
#[test]
fn encoder_refusals_number_the_request() {
    let limits = Limits::default().max_line(40);
    let head = |target: &str| {
        Head::new("GET".into(), target.to_string().into(), Version::HTTP_11, Headers::new(), Framing::None).unwrap()
    };
    let (short, long) = (Request::new(head("/a"), Default::default()).unwrap(), head(&format!("/{}", "b".repeat(40))));
    let mut encoder = Encoder::with_limits(limits);
    let mut out = Vec::new();
    encoder.encode(&short, &mut out).unwrap();
    encoder.encode(&short, &mut out).unwrap();
    let refused = Request::new(long.clone(), Default::default()).unwrap();
    let err = encoder.encode(&refused, &mut out).unwrap_err();
    assert_eq!(err.request(), Some(3));
    assert_eq!(err.to_string(), "request 3: cannot encode request: a line would pass the max_line limit");
    assert_eq!(encoder.plan(&long, &[], true).unwrap_err().request(), Some(3), "plan names the next request");
    encoder.encode(&short, &mut out).unwrap();
    assert_eq!(encoder.encode(&refused, &mut out).unwrap_err().request(), Some(4));
    assert_eq!(encoder.encode(&refused, &mut out).unwrap_err().request(), Some(4));

    let mut enc = streamline::Lookahead::new(Encoder::with_limits(limits), streamline::Window::default());
    for req in [&short, &short, &refused, &short] {
        enc.push_request(req.clone()).unwrap();
    }
    let mut out = Vec::new();
    let err = enc.finish(&mut out).unwrap_err();
    assert_eq!(err.request(), Some(3));
    assert_eq!(enc.written(), 2, "the two requests before it are written whole");
    assert_eq!(enc.emit(&mut out), Err(err), "the refusal is final");
}

/// Building a request by hand: the head and header lines refuse what a reader would refuse,
/// with the same kinds, and a body its framing does not describe is a kind of its own. None
/// of these errors has a position or a request number.
#[test]
fn constructors() {
    let v = Version::HTTP_11;
    let head = |method: &'static str, target: &'static str, version, framing| {
        Head::new(method.into(), target.into(), version, Headers::new(), framing)
    };
    let cases = [
        (head("G T", "/", v, Framing::None).unwrap_err(), "invalid method 'G T' (expected a token)"),
        (
            head("GET", "/a b", v, Framing::None).unwrap_err(),
            "invalid request target '/a b' (only visible ASCII 0x21-0x7E allowed)",
        ),
        (head("GET", "", v, Framing::None).unwrap_err(), "request issued with an empty target (base + suffix)"),
        (
            head("PUT", "/", Version::HTTP_10, Framing::Chunked).unwrap_err(),
            "chunked transfer coding in an HTTP/1.0 message (needs HTTP/1.1 or later)",
        ),
        (Headers::new().push(b"Host").unwrap_err(), "invalid header line 'Host': no ':' after the field name"),
        (
            Headers::new().push(b"Transfer-Encoding: chunked").unwrap_err(),
            "header 'Transfer-Encoding: chunked' is framing and may not appear in H: (use +: or *:)",
        ),
    ];
    for (err, msg) in cases {
        assert_eq!(err.to_string(), msg);
        assert_eq!((err.offset(), err.line(), err.request()), (None, None, None), "{err}");
    }

    let bodyless = head("GET", "/", v, Framing::None).unwrap();
    let sized = head("POST", "/", v, Framing::Length(5)).unwrap();
    let chunked = head("PUT", "/", v, Framing::Chunked).unwrap();
    let mismatches = [
        (bodyless, "x", "the head has neither Content-Length nor chunked framing"),
        (sized.clone(), "hi", "length differs from Content-Length"),
        (sized, "hello!", "length differs from Content-Length"),
        (chunked.clone(), "1\r\na\r\n", "chunked body cut short or followed by other bytes"),
        (chunked.clone(), "0\r\n\r\nGET / HTTP/1.1\r\n\r\n", "chunked body cut short or followed by other bytes"),
    ];
    for (head, body, why) in mismatches {
        let err = Request::new(head, body.into()).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::BodyMismatch(why));
        assert_eq!(err.to_string(), format!("body does not match the head's framing: {why}"));
        assert_eq!((err.offset(), err.line(), err.request()), (None, None, None), "{err}");
    }
    // A chunked body that breaks the chunked syntax gets that fault's kind.
    let err = Request::new(chunked, "5 x\r\n".into()).unwrap_err();
    assert_eq!(err.to_string(), "invalid chunk size line '5 x'");
}

/// After an error a reader keeps returning it.
#[test]
fn errors_are_sticky() {
    let mut src = BytesMut::from(&b"X:\r\nV:HTTP/1.1\r\n"[..]);
    let mut decoder = Decoder::new();
    let first = decoder.decode(&mut src).unwrap_err();
    assert_eq!(decoder.decode(&mut src).unwrap_err(), first);
}

// §8.3/§8.2: chunked needs HTTP/1.1 or later (RFC 9112 §6.1), on both sides.
case!(
    chunked_http10_plain,
    fail_plain,
    b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    d(),
    0,
    0,
    1,
    "chunked transfer coding in an HTTP/1.0 message (needs HTTP/1.1 or later)"
);
case!(
    chunked_http10_compact,
    fail_compact,
    b"V:HTTP/1.0\r\nM:POST\r\nB:/\r\n-:\r\n*:\r\n0\r\n\r\n",
    d(),
    1,
    29,
    5,
    "chunked transfer coding in an HTTP/1.0 message (needs HTTP/1.1 or later)"
);
// §8.2: a decoded request-line must fit max_line, as the plain reader requires.
case!(
    issued_line_too_long,
    fail_compact,
    b"V:HTTP/1.1\r\nM:GET\r\nB:/aaaaaaaaaa\r\n-:bbbbbbbbbb\r\n",
    d().max_line(20),
    0,
    34,
    4,
    "line longer than the limit of 20 bytes"
);
// §8.2: H: has no line folding; a leading space is an invalid header line.
case!(
    header_leading_space,
    fail_compact,
    b"H: Host: a\r\n",
    d(),
    0,
    0,
    1,
    "invalid header line ' Host: a': starts with whitespace"
);
// §8.1: a plain head cut short says so.
case!(
    eof_in_plain_head,
    fail_plain,
    b"GET / HTTP/1.1\r\nHost: a\r\n",
    d(),
    0,
    0,
    1,
    "input ends inside a request head (no empty line at its end)"
);

/// SPEC.md §2.4: an error inside an unfinished plain head is reported once the head ends (or
/// a limit passes, or input ends), not as soon as its line arrives, whether the bytes came in
/// one piece or several.
#[test]
fn plain_head_errors_wait_for_the_head_to_end() {
    let unfinished = b"GET  / HTTP/1.1\r\nHost: a\r\n";
    for split in [unfinished.len(), 2, 17] {
        let mut parser = http1::Parser::new();
        let mut src = BytesMut::from(&unfinished[..split]);
        assert_eq!(parser.next_event(&mut src), Ok(None), "split at {split}");
        src.extend_from_slice(&unfinished[split..]);
        assert_eq!(parser.next_event(&mut src), Ok(None), "split at {split}");
        src.extend_from_slice(b"\r\n");
        let err = parser.next_event(&mut src).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidRequestLine { .. }), "{err}");
        assert_eq!((err.offset(), err.line()), (Some(0), Some(1)));
    }
}

/// The plain reader compares a head with those it read lately instead of parsing it again
/// (`http1` module): what it gives, and where it reports an error later, must be as if each
/// head were parsed on its own.
#[test]
fn heads_read_again_are_the_same_heads_at_the_same_positions() {
    let plain = streamline_traffic::browse(300, 5);
    let mut src = BytesMut::from(&plain[..]);
    let mut parser = http1::Parser::new();
    let mut at = 0;
    while let Some(req) = parser.decode_eof(&mut src).unwrap() {
        let (alone, len) = http1::parse_head(&plain[at..], &Limits::default()).unwrap().unwrap();
        assert_eq!(req.head(), &alone);
        at += len + req.body().len();
        assert_eq!(parser.offset(), at as u64);
    }
    assert_eq!(at, plain.len());
    // Two heads in turn, then a bad one: its line and byte count every head before it.
    let a = "GET /a HTTP/1.1\r\nA: 1\r\n\r\n";
    let b = "GET /b HTTP/1.1\r\n\r\n";
    let input = format!("{a}{b}{a}{b}{a}GET /c HTTP/1.1\r\nA : 1\r\n\r\n");
    let (before, err) = fail_plain(input.as_bytes(), d());
    assert_eq!((before, err.offset(), err.line()), (5, Some(3 * 25 + 2 * 19 + 17), Some(3 * 3 + 2 * 2 + 2)));
}

/// `http1::parse_head` places its error in the buffer it was given, as a parser reading that
/// buffer from its start places it in the stream.
#[test]
fn parse_head_errors_are_placed_in_the_buffer() {
    for bad in [
        &b"GET / HTTP/1.1\r\nA: 1\r\nB : 2\r\n\r\n"[..],
        b"GET  / HTTP/1.1\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: 1\nB: 2\r\n\r\n",
    ] {
        let alone = http1::parse_head(bad, &d()).unwrap_err();
        let (_, read) = fail_plain(bad, d());
        assert_eq!(alone, read, "{:?}", bad.escape_ascii().to_string());
        assert_eq!(alone.request(), None);
    }
    let err = http1::parse_head(b"GET / HTTP/1.1\r\nA: 1\r\nB : 2\r\n\r\n", &d()).unwrap_err();
    assert_eq!((err.offset(), err.line()), (Some(22), Some(3)));
}

/// The plain reader takes the header lines a head shares with the one before without
/// checking them again: a head sharing some lines, then parting mid-line, in a framing line
/// or in a bad line, reads as if parsed alone, and an error after shared lines is placed by
/// the whole head.
#[test]
fn lines_shared_with_the_head_before_read_the_same() {
    let first = "GET /a HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    let heads = [
        "GET /b HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 3\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: h\r\nA: 1\r\nContent-Length: 2\r\nB: 3\r\n\r\nok",
        "GET /d HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 3\r\nC: 4\r\n\r\n",
        "GET /e HTTP/1.1\r\nHost: h\r\nA: 12\r\n\r\n",
        "GET /f HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /g HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 3\r\nC: 4\r\nD: 5\r\n\r\n",
    ];
    let input = format!("{first}{}", heads.concat());
    let mut src = BytesMut::from(input.as_bytes());
    let mut parser = http1::Parser::new();
    let mut at = 0;
    while let Some(req) = parser.decode_eof(&mut src).unwrap() {
        let (alone, len) = http1::parse_head(&input.as_bytes()[at..], &Limits::default()).unwrap().unwrap();
        assert_eq!(req.head(), &alone);
        assert_eq!(req.head().headers().iter().count(), alone.headers().len());
        at += len + req.body().len();
    }
    assert_eq!(at, input.len());
    // Shared lines, then a bad one.
    let bad = format!("{first}GET /b HTTP/1.1\r\nHost: h\r\nA: 1\r\nB : 2\r\n\r\n");
    let (before, err) = fail_plain(bad.as_bytes(), d());
    assert!(matches!(err.kind(), ErrorKind::WhitespaceBeforeColon(_)), "{err}");
    assert_eq!((before, err.offset(), err.line()), (1, Some(first.len() as u64 + 32), Some(9)));
    // Shared lines, then one too many for max_headers.
    let many = format!("{first}GET /b HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    let (before, err) = fail_plain(many.as_bytes(), d().max_headers(3));
    assert_eq!(err.kind(), &ErrorKind::TooManyHeaders { limit: 3 });
    assert_eq!((before, err.offset()), (1, Some(first.len() as u64 + 38)));
}

/// One error type for the whole library: it crosses threads, and converts into an
/// `io::Error` (InvalidData, the same message, the error inside) so code that reads sockets
/// can use `?` on both.
#[test]
fn error_is_send_sync_and_converts_into_io_error() {
    fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
    assert_bounds::<streamline::Error>();

    let (_, err) = fail_compact(b"V:HTTP/1.1\r\nM:G T\r\n", d());
    let io: std::io::Error = err.clone().into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(io.to_string(), "line 2 (byte 12): invalid method 'G T' (expected a token)");
    assert_eq!(io.get_ref().and_then(|e| e.downcast_ref::<streamline::Error>()), Some(&err));
    assert_eq!(io.downcast::<streamline::Error>().ok(), Some(err));

    // `?` on a reader's error and on an I/O error, in one function.
    fn count(mut input: &[u8]) -> std::io::Result<usize> {
        use std::io::Read;
        let mut src = BytesMut::new();
        let mut buf = [0; 7];
        let mut decoder = Decoder::new();
        let mut n = 0;
        loop {
            let got = input.read(&mut buf)?;
            src.extend_from_slice(&buf[..got]);
            let next = if got == 0 { decoder.decode_eof(&mut src)? } else { decoder.decode(&mut src)? };
            match next {
                Some(_) => n += 1,
                None if got == 0 => return Ok(n),
                None => {}
            }
        }
    }
    assert_eq!(count(format!("{HEAD}-:\r\n-:a\r\n").as_bytes()).unwrap(), 2);
    let err = count(format!("{HEAD}-:\r\nX:\r\n").as_bytes()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    let inner = err.into_inner().and_then(|e| e.downcast::<streamline::Error>().ok()).expect("a streamline error");
    assert_eq!((inner.offset(), inner.line()), (Some(28), Some(5)));
}

/// Where an error is, in its three forms: a position, an encoder's request, or nowhere.
#[test]
fn error_places_and_their_messages() {
    use streamline::Error;
    let kind = ErrorKind::NoMethod;
    let at = Error::new(kind.clone(), 40, 12);
    assert_eq!((at.offset(), at.line(), at.request()), (Some(40), Some(12), None));
    assert_eq!(at.to_string(), "line 12 (byte 40): request issued with no method set (use M: first)");
    let refused = Error::for_request(kind.clone(), 3);
    assert_eq!((refused.offset(), refused.line(), refused.request()), (None, None, Some(3)));
    assert_eq!(refused.to_string(), "request 3: request issued with no method set (use M: first)");
    let alone = Error::from_kind(kind.clone());
    assert_eq!((alone.offset(), alone.line(), alone.request()), (None, None, None));
    assert_eq!(alone.to_string(), "request issued with no method set (use M: first)");
    assert_eq!(alone.into_kind(), kind);
    assert_eq!(format!("{at:?}"), "Error { kind: NoMethod, offset: 40, line: 12 }");
    assert_eq!(format!("{refused:?}"), "Error { kind: NoMethod, request: 3 }");
}

/// The readers return `Result<Option<Request>, Error>` on their hot path: the error is no
/// bigger than its kind and a position, and does not make that result bigger than a request
/// would need (64 bytes on 64-bit targets, as before the error had places other than
/// positions).
#[test]
fn error_stays_small() {
    use std::mem::size_of;
    assert!(size_of::<streamline::Error>() <= size_of::<ErrorKind>() + 16);
    if size_of::<usize>() == 8 {
        assert_eq!(size_of::<streamline::Error>(), 64);
        assert_eq!(size_of::<Result<Option<Request>, streamline::Error>>(), 64);
    }
}

// §8.6 telling the syntax
fn fail_detect(input: &[u8], _: Limits) -> (usize, streamline::Error) {
    (0, streamline::Syntax::detect(input).expect_err("neither syntax"))
}
case!(
    unknown_syntax,
    fail_detect,
    b"{\"json\": 1}",
    d(),
    0,
    0,
    1,
    "cannot tell the syntax from '{' (expected an opcode and ':', such as 'V:' or 'C:', a method and ' ', such as \
'GET ', or 'HTTP/')"
);
case!(
    unknown_syntax_after_a_token,
    fail_detect,
    b"Host: example.com\r\n",
    d(),
    0,
    4,
    1,
    "cannot tell the syntax from 'Host:' (expected an opcode and ':', such as 'V:' or 'C:', a method and ' ', such \
as 'GET ', or 'HTTP/')"
);
