//! Request smuggling and injection: every input another HTTP parser could read differently is
//! refused, each with its own error, so removing any one rule fails its test.
//!
//! Plain side: the framing of a request must be unambiguous (one Content-Length or exactly
//! `Transfer-Encoding: chunked`, never both), lines end in CRLF only, and method, target and
//! field names hold only the bytes their grammar allows. Compact side: no argument can carry a
//! line break or NUL into the plain output, and framing is never a header line.

use bytes::BytesMut;
use streamline::{
    http1, Decoder, Encoder, Error, ErrorKind, Framing, Head, Headers, Limits, Lookahead, Op, Request, State, Version,
    Window,
};

/// `$err(input)`: the error a stream ends with (panics if it is accepted); `$ok(input)`: the
/// requests of a stream that must be accepted. For one reader type.
macro_rules! readers {
    ($err:ident, $ok:ident, $reader:ty) => {
        fn $err(input: &[u8]) -> Error {
            let mut reader = <$reader>::new();
            let mut src = BytesMut::from(input);
            loop {
                match reader.decode_eof(&mut src) {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("accepted: {:?}", input.escape_ascii().to_string()),
                    Err(err) => return err,
                }
            }
        }

        fn $ok(input: &[u8]) -> Vec<Request> {
            let mut reader = <$reader>::new();
            let mut src = BytesMut::from(input);
            let mut out = Vec::new();
            loop {
                match reader.decode_eof(&mut src) {
                    Ok(Some(req)) => out.push(req),
                    Ok(None) => return out,
                    Err(err) => panic!("{err}: {:?}", input.escape_ascii().to_string()),
                }
            }
        }
    };
}

readers!(plain_err, plain_ok, http1::Parser);
readers!(compact_err, compact_ok, Decoder);

fn head(fields: &str) -> Vec<u8> {
    format!("POST /x HTTP/1.1\r\nHost: a\r\n{fields}\r\n").into_bytes()
}

// ---- plain side: framing ----

#[test]
fn both_framing_fields_are_refused() {
    for (fields, line) in [
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 4),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 4),
        ("transfer-encoding: chunked\r\nX: 1\r\ncontent-length: 0\r\n", 5),
    ] {
        let err = plain_err(&head(fields));
        assert_eq!(err.kind(), &ErrorKind::BothFramings, "{fields:?}");
        assert_eq!(err.line(), Some(line), "the second framing field is the one at fault: {fields:?}");
    }
}

#[test]
fn repeated_content_length_is_refused_even_when_equal() {
    for fields in [
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\ncontent-length: 6\r\n",
        "CONTENT-LENGTH: 0\r\nX: 1\r\nContent-Length: 0\r\n",
    ] {
        assert_eq!(plain_err(&head(fields)).kind(), &ErrorKind::RepeatedContentLength, "{fields:?}");
    }
    // A list in one field is not a number either.
    assert!(matches!(plain_err(&head("Content-Length: 5, 5\r\n")).kind(), ErrorKind::InvalidContentLength(_)));
}

#[test]
fn transfer_coding_other_than_exactly_chunked_is_refused() {
    for value in [
        "gzip, chunked",
        "chunked, gzip",
        "chunked,chunked",
        "identity",
        "gzip",
        "",
        "chunk",
        "xchunked",
        "chunked;q=1",
        "\"chunked\"",
        "chunked\x0bx",
    ] {
        let err = plain_err(&head(&format!("Transfer-Encoding: {value}\r\n")));
        assert!(
            matches!(err.kind(), ErrorKind::UnsupportedTransferCoding(_) | ErrorKind::InvalidHeader { .. }),
            "{value:?}: {err}"
        );
        if !value.contains('\x0b') {
            assert!(matches!(err.kind(), ErrorKind::UnsupportedTransferCoding(_)), "{value:?}: {err}");
        }
    }
    // Given twice, even as `chunked` both times.
    let err = plain_err(&head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"));
    assert!(matches!(err.kind(), ErrorKind::UnsupportedTransferCoding(_)), "{err}");
    // Exactly `chunked`, in any case and with optional whitespace around it, is accepted.
    for value in ["chunked", "Chunked", "CHUNKED", " chunked ", "\tchunked"] {
        let input = [head(&format!("Transfer-Encoding:{value}\r\n")), b"0\r\n\r\n".to_vec()].concat();
        assert_eq!(plain_ok(&input)[0].head().framing(), Framing::Chunked, "{value:?}");
    }
}

#[test]
fn obs_fold_is_refused() {
    for fields in ["X: a\r\n b\r\n", "X: a\r\n\tb\r\n", " X: a\r\n", "Content-Length: 5\r\n 6\r\n"] {
        assert_eq!(plain_err(&head(fields)).kind(), &ErrorKind::ObsFold, "{fields:?}");
    }
    // Whitespace before the first field line: the classic way to hide a field.
    let err = plain_err(b"POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(err.kind(), &ErrorKind::ObsFold);
}

#[test]
fn whitespace_before_colon_is_refused() {
    for fields in ["Content-Length : 5\r\n", "Transfer-Encoding\t: chunked\r\n", "X  : 1\r\n"] {
        let err = plain_err(&head(fields));
        assert!(matches!(err.kind(), ErrorKind::WhitespaceBeforeColon(_)), "{fields:?}: {err}");
    }
}

#[test]
fn bare_lf_is_refused_everywhere() {
    for input in [
        &b"GET / HTTP/1.1\nHost: a\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: a\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n\n",
        b"\nGET / HTTP/1.1\r\n\r\n",
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\n\r\n",
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
    ] {
        assert_eq!(plain_err(input).kind(), &ErrorKind::BareLf, "{:?}", input.escape_ascii().to_string());
    }
    // After chunk data, anything but CRLF is refused.
    let err = plain_err(b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n");
    assert_eq!(err.kind(), &ErrorKind::MissingChunkCrlf);
}

#[test]
fn stray_cr_is_refused_everywhere() {
    for input in [
        &b"GET / HTTP/1.1\rHost: a\r\n\r\n"[..],
        b"GET /a\rb HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\r\nhello\r\n0\r\n\r\n",
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\r\n\r\n",
    ] {
        assert_eq!(plain_err(input).kind(), &ErrorKind::StrayCr, "{:?}", input.escape_ascii().to_string());
    }
}

#[test]
fn nul_is_refused_in_the_head() {
    for input in [&b"GET /\0 HTTP/1.1\r\n\r\n"[..], b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", b"G\0T / HTTP/1.1\r\n\r\n"] {
        assert_eq!(plain_err(input).kind(), &ErrorKind::Nul, "{:?}", input.escape_ascii().to_string());
    }
}

#[test]
fn invalid_and_overflowing_chunk_sizes_are_refused() {
    let chunked = |body: &str| format!("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{body}").into_bytes();
    for body in
        ["\r\nx\r\n0\r\n\r\n", "0x5\r\n", "-5\r\n", "+5\r\n", "5 x\r\n", "g\r\n", " 5\r\n", "5;\x01\r\n", ";x\r\n"]
    {
        let err = plain_err(&chunked(body));
        assert!(matches!(err.kind(), ErrorKind::InvalidChunkSize(_)), "{body:?}: {err}");
    }
    for body in ["10000000000000000\r\n", "FFFFFFFFFFFFFFFFF\r\n"] {
        let err = plain_err(&chunked(body));
        assert!(matches!(err.kind(), ErrorKind::ChunkSizeOverflow(_)), "{body:?}: {err}");
    }
    // Extensions (with optional whitespace before the semicolon) are chunk-size syntax, not an error.
    let ok = plain_ok(&chunked("5 ;a=b\r\nhello\r\n0;last\r\n\r\n"));
    assert_eq!(ok[0].body(), "5 ;a=b\r\nhello\r\n0;last\r\n\r\n");
}

#[test]
fn invalid_bytes_in_method_target_and_field_names_are_refused() {
    for method in ["G@T", "GET(", "GE\"T", "G{T", "GÉT", "G\x7fT", "G,T"] {
        let err = plain_err(format!("{method} / HTTP/1.1\r\n\r\n").as_bytes());
        assert!(matches!(err.kind(), ErrorKind::InvalidMethod(_)), "{method:?}: {err}");
    }
    for target in [&b"/a\x7f"[..], b"/\x80", b"/caf\xc3\xa9", b"/a\tb", b"/a\x01"] {
        let input = [b"GET ".as_slice(), target, b" HTTP/1.1\r\n\r\n"].concat();
        let err = plain_err(&input);
        assert!(
            matches!(err.kind(), ErrorKind::InvalidTarget { .. }),
            "{:?}: {err}",
            target.escape_ascii().to_string()
        );
    }
    // A space splits the request-line: the rest is not a version.
    let err = plain_err(b"GET /a b HTTP/1.1\r\n\r\n");
    assert!(matches!(err.kind(), ErrorKind::InvalidRequestLine { .. }), "{err}");
    for name in ["X@Y", "X Y", "X(Y)", "X/Y", "X\x01Y", "\u{e9}", "X\"", "X[", ""] {
        let err = plain_err(&head(&format!("{name}: 1\r\n")));
        assert!(matches!(err.kind(), ErrorKind::InvalidHeader { .. }), "{name:?}: {err}");
    }
    // A control byte in a field value is refused too (HTAB and obs-text are allowed).
    let err = plain_err(&head("X: a\x0bb\r\n"));
    assert!(matches!(err.kind(), ErrorKind::InvalidHeader { .. }), "{err}");
    let input = b"GET / HTTP/1.1\r\nX: a\tb\xff\r\n\r\n";
    assert_eq!(plain_ok(input)[0].head().headers().get(0), Some(&b"X: a\tb\xff"[..]));
}

// ---- compact side ----

const SETUP: &str = "V:HTTP/1.1\r\nM:GET\r\nB:/\r\n";

/// Every opcode line with an argument, and where an injected byte can go in it.
const LINES: [&str; 9] = ["V:HTTP/1.1", "B:/a", "M:GET", "H:X: a", ">:r", "<:r", "-:a", "+:a 1", "*:a"];

#[test]
fn cr_lf_nul_inside_any_argument_are_refused() {
    for line in LINES {
        for at in 2..=line.len() {
            for (byte, kind) in [(b'\r', ErrorKind::StrayCr), (b'\0', ErrorKind::Nul), (b'\n', ErrorKind::BareLf)] {
                let mut bad = line.as_bytes().to_vec();
                bad.insert(at, byte);
                // A CR right before the CRLF would make CR CR LF: still a stray CR.
                let input = [format!("{SETUP}H:Y: 1\r\n>:r\r\n").as_bytes(), &bad, b"\r\n"].concat();
                let err = compact_err(&input);
                assert_eq!(err.kind(), &kind, "{:?}", bad.escape_ascii().to_string());
                assert_eq!(err.line(), Some(6), "{:?}", bad.escape_ascii().to_string());
            }
        }
    }
}

#[test]
fn framing_fields_in_h_are_refused() {
    for line in [
        "H:Content-Length: 5",
        "H:content-length:5",
        "H:CONTENT-LENGTH: 0",
        "H:Transfer-Encoding: chunked",
        "H:transfer-encoding: gzip",
        "H:TRANSFER-ENCODING:",
    ] {
        let err = compact_err(format!("{SETUP}{line}\r\n-:\r\n").as_bytes());
        assert!(matches!(err.kind(), ErrorKind::FramingHeader(_)), "{line}: {err}");
    }
    // The same names with whitespace before the colon are refused by that rule instead.
    let err = compact_err(format!("{SETUP}H:Content-Length : 5\r\n").as_bytes());
    assert!(matches!(err.kind(), ErrorKind::WhitespaceBeforeColon(_)), "{err}");
    // And the API cannot build such a header list either.
    let err = Headers::new().push(b"Content-Length: 5").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::FramingHeader(_)), "{err}");
}

#[test]
fn compact_arguments_hold_only_their_grammar() {
    for (line, want) in
        [("B:/a b", "base"), ("-:a b", "suffix"), ("*:a\tb", "suffix"), ("-:\x7f", "suffix"), ("B:/\u{e9}", "base")]
    {
        let err = compact_err(format!("{SETUP}{line}\r\n").as_bytes());
        assert!(matches!(err.kind(), ErrorKind::InvalidTarget { what, .. } if *what == want), "{line:?}: {err}");
    }
    for line in ["M:G T", "M:G@T", "M:"] {
        let err = compact_err(format!("{SETUP}{line}\r\n").as_bytes());
        assert!(matches!(err.kind(), ErrorKind::InvalidMethod(_)), "{line:?}: {err}");
    }
    for line in ["H:X Y: 1", "H: X: 1", "H:X", "H:X: a\x01"] {
        let err = compact_err(format!("{SETUP}{line}\r\n").as_bytes());
        assert!(matches!(err.kind(), ErrorKind::InvalidHeader { .. } | ErrorKind::ObsFold), "{line:?}: {err}");
    }
}

#[test]
fn the_api_cannot_build_an_injecting_request() {
    assert!(Headers::new().push(b"X: a\r\nContent-Length: 5").is_err());
    assert!(Headers::new().push(b"X: a\nY: b").is_err());
    let v = Version::HTTP_11;
    assert!(Head::new("GET".into(), "/a\r\nX: 1".into(), v, Headers::new(), Framing::None).is_err());
    assert!(Head::new("GET /x".into(), "/".into(), v, Headers::new(), Framing::None).is_err());
    let chunked = Head::new("PUT".into(), "/".into(), v, Headers::new(), Framing::Chunked).expect("valid head");
    // A chunked body must end exactly where its encoding ends: no request may ride behind it.
    let err = Request::new(chunked.clone(), "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n".into()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BodyMismatch(_)), "{err}");
    assert!(Request::new(chunked, "0\r\n\r\n".into()).is_ok());
    let sized = Head::new("POST".into(), "/".into(), v, Headers::new(), Framing::Length(2)).expect("valid head");
    assert!(Request::new(sized, "abc".into()).is_err());
    // Opcodes built by hand are checked as the decoder checks what it reads.
    let mut state = State::new(Limits::default());
    for op in [Op::Version(v), Op::Method(b"GET"), Op::Base(b"/")] {
        assert_eq!(state.apply(&op), Ok(None));
    }
    let bad: [Op<'_>; 7] = [
        Op::Header(b"X: a\r\nContent-Length: 5"),
        Op::Header(b"Content-Length: 5"),
        Op::Base(b"/a\r\nX: 1"),
        Op::Method(b"GET /x"),
        Op::Store(b"a b"),
        Op::Bodyless(b"x y"),
        Op::WithBody(b"", u64::MAX),
    ];
    for op in bad {
        let err = state.apply(&op).expect_err("a bad opcode accepted");
        assert_eq!((err.offset(), err.line(), err.request()), (None, None, None), "{op:?}: {err}");
    }
    let head = state.apply(&Op::Bodyless(b"x")).expect("valid").expect("a head");
    let mut plain = Vec::new();
    head.write_http1(&mut plain);
    assert_eq!(plain, b"GET /x HTTP/1.1\r\n\r\n");
}

// ---- the encoder never emits a stream the decoder reads differently ----

/// Bodies that look like opcode lines, plain heads and chunked endings.
fn nasty_plain() -> Vec<u8> {
    let nasty: &[&[u8]] = &[
        b"+: 5\r\nhello",
        b"\r\n\r\n",
        b"H:Content-Length: 0\r\n-:\r\n",
        b"GET /smuggled HTTP/1.1\r\nHost: evil\r\n\r\n",
        b"0\r\n\r\n",
        b"*:\r\n0\r\n\r\n",
        b"V:HTTP/1.0\r\nB:/\r\nM:DELETE\r\n-:x\r\n",
        b"\r",
        b"\n",
        b"\0\r\n\0",
    ];
    let mut plain = Vec::new();
    for (i, body) in nasty.iter().enumerate() {
        let cl = format!("POST /up/{i} HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", body.len());
        plain.extend_from_slice(cl.as_bytes());
        plain.extend_from_slice(body);
        // The same bytes as chunk data, with a trailer that looks like an opcode too.
        let te = format!("PUT /up/{i} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n", body.len());
        plain.extend_from_slice(te.as_bytes());
        plain.extend_from_slice(body);
        plain.extend_from_slice(b"\r\n0;x=\"+: 1\"\r\nH: 1\r\n\r\n");
        plain.extend_from_slice(format!("GET /after/{i} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
    }
    plain
}

#[test]
fn nasty_bodies_round_trip_exactly() {
    let plain = nasty_plain();
    let requests = plain_ok(&plain);
    assert_eq!(requests.len(), 30);
    let mut canonical = Vec::new();
    for req in &requests {
        req.write_http1(&mut canonical);
    }

    // One request at a time.
    let mut compact = Vec::new();
    let mut encoder = Encoder::new();
    for req in &requests {
        encoder.encode(req, &mut compact).expect("encodable");
    }
    assert_eq!(compact_ok(&compact), requests);

    // Through a lookahead window, as the command line does, and read back byte by byte.
    for window in [Window { requests: 0, bytes: 0 }, Window { requests: 3, bytes: 64 }, Window::default()] {
        let mut enc = Lookahead::new(Encoder::new(), window);
        let mut parser = http1::Parser::new();
        let mut src = BytesMut::from(&plain[..]);
        let mut compact = Vec::new();
        while let Some(event) = parser.next_event_eof(&mut src).expect("valid plain input") {
            enc.encode(event, &mut compact).expect("encodable");
        }
        enc.finish(&mut compact).expect("encodable");

        let mut decoder = Decoder::new();
        let mut src = BytesMut::new();
        let mut out = Vec::new();
        for byte in &compact {
            src.extend_from_slice(&[*byte]);
            while let Some(req) = decoder.decode(&mut src).expect("encoder output decodes") {
                req.write_http1(&mut out);
            }
        }
        assert!(decoder.decode_eof(&mut src).expect("clean end").is_none());
        assert!(out == canonical, "window {window:?}: decoded stream differs from the canonical input");
    }
}
