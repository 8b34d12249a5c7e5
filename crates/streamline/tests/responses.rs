//! Responses (SPEC.md §13): the plain response reader's framing rules, the compact response
//! syntax, the encoder of responses, every response-side error class, the recorded nginx
//! samples, and the round trip decode(encode(x)) == canonical(x) on generated streams, whole
//! and split.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use streamline::http1::{Parser, ResponseParser};
use streamline::{
    Decoder, Encoder, Error, ErrorKind, Event, Framing, Head, Headers, Limits, Lookahead, Op, Response,
    ResponseDecoder, State, Syntax, Version, Window,
};

/// Reads a whole plain response stream, told the methods of the requests answered.
fn read_plain(bytes: &[u8], methods: &[&[u8]]) -> Result<Vec<Response>, Error> {
    let mut parser = ResponseParser::new();
    for m in methods {
        parser.expect(m);
    }
    let mut src = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(r) = parser.decode_eof(&mut src)? {
        out.push(r);
    }
    Ok(out)
}

/// Reads a whole compact response stream.
fn read_compact(bytes: &[u8]) -> Result<Vec<Response>, Error> {
    let mut decoder = ResponseDecoder::new();
    let mut src = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(r) = decoder.decode_eof(&mut src)? {
        out.push(r);
    }
    Ok(out)
}

/// The canonical plain form of responses (SPEC.md §13.5).
fn plain(responses: &[Response]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in responses {
        r.write_http1(&mut out);
    }
    out
}

/// Encodes responses one by one, returning the stream and each response's cost in bytes of
/// lines (its body not counted).
fn encode(responses: &[Response], encoder: Encoder) -> (Vec<u8>, Vec<usize>) {
    let mut encoder = encoder.responses();
    let mut out = Vec::new();
    let mut costs = Vec::new();
    for r in responses {
        let before = out.len();
        encoder.encode(r, &mut out).unwrap();
        costs.push(out.len() - before - r.body().len());
    }
    (out, costs)
}

/// The methods of the requests in a plain request stream.
fn methods(requests: &[u8]) -> Vec<Bytes> {
    let mut parser = Parser::new();
    let mut src = BytesMut::from(requests);
    let mut out = Vec::new();
    while let Some(r) = parser.decode_eof(&mut src).unwrap() {
        out.push(r.head().method().clone());
    }
    out
}

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../samples/responses/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ack(date: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 05 Dec 2026 08:35:{date} GMT\r\nContent-Type: \
text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nOK\n"
    )
}

/// SPEC.md §13.8, byte for byte, both ways.
#[test]
fn spec_13_8_worked_example() {
    let plain_in = format!("{}{}{}", ack("18"), ack("18"), ack("19"));
    let responses = read_plain(plain_in.as_bytes(), &[]).unwrap();
    let canonical = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 05 Dec 2026 08:35:18 GMT\r\nContent-Type: \
text/plain\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nOK\n";
    assert_eq!(&plain(&responses)[..canonical.len()], canonical.as_bytes());
    let (compact, costs) = encode(&responses, Encoder::new());
    let expected = "C:200 OK\r\nV:HTTP/1.1\r\nH:Server: nginx/1.22.1\r\nH:Date: Sat, 05 Dec 2026 08:35:18 GMT\r\n\
H:Content-Type: text/plain\r\nH:Connection: keep-alive\r\n+: 3\r\nOK\n+:\r\nOK\nE:1 29 2 19\r\n+:\r\nOK\n";
    assert_eq!(String::from_utf8_lossy(&compact), expected);
    assert_eq!((compact.len(), costs), (175, vec![145, 4, 17]));
    assert_eq!(plain(&read_compact(&compact).unwrap()), plain(&responses));
}

/// The recorded nginx acknowledgements of the OPRA feed: 4 bytes per steady response, no more
/// than the Date line when Date changes; decoding gives the canonical form back.
#[test]
fn nginx_acks_cost_four_bytes_and_a_date_edit() {
    let bytes = sample("opra-acks.http");
    let responses = read_plain(&bytes, &[]).unwrap();
    assert_eq!(responses.len(), 1000);
    let (compact, costs) = encode(&responses, Encoder::new());
    let date = |r: &Response| r.head().headers().iter().find(|l| l.starts_with(b"Date:")).unwrap().to_vec();
    let mut changes = 0;
    for (i, cost) in costs.iter().enumerate().skip(1) {
        if date(&responses[i]) == date(&responses[i - 1]) {
            assert_eq!(*cost, 4, "steady response {i}");
        } else {
            changes += 1;
            assert!(*cost <= date(&responses[i]).len() + 2, "response {i}: {cost} bytes for a Date change");
        }
    }
    assert!(changes >= 2, "the sample's Date changes");
    assert_eq!(plain(&read_compact(&compact).unwrap()), plain(&responses));
    // Split anywhere, the decoder gives the same.
    for cut in [1, 9, 150, 151, 152, compact.len() / 2, compact.len() - 1] {
        assert_eq!(plain(&read_split(&compact, &[cut])), plain(&responses), "cut at {cut}");
    }
}

/// The recorded browsing session: 200s (chunked gzip and Content-Length), 304s, HEADs (one
/// with a Content-Length, one with none), a 206, 404s. Read with the request methods, every
/// response has the framing §13.3 gives it, and it round-trips.
#[test]
fn nginx_browse_session_round_trips() {
    let requests = sample("browse.requests.http");
    let methods = methods(&requests);
    let refs: Vec<&[u8]> = methods.iter().map(|m| &m[..]).collect();
    let responses = read_plain(&sample("browse.http"), &refs).unwrap();
    assert_eq!(responses.len(), methods.len());
    for (r, m) in responses.iter().zip(&methods) {
        let framing = r.head().framing();
        match (&m[..], r.status()) {
            (b"HEAD", _) | (_, 304) => assert!(!framing.has_body(), "{framing:?}"),
            _ => assert!(matches!(framing, Framing::Length(_) | Framing::Chunked), "{framing:?}"),
        }
    }
    assert!(responses.iter().any(|r| r.head().framing() == Framing::Chunked));
    assert!(responses.iter().any(|r| matches!(r.head().framing(), Framing::Announced(_))));
    let (compact, _) = encode(&responses, Encoder::new());
    assert_eq!(plain(&read_compact(&compact).unwrap()), plain(&responses));
    // Without the methods, a HEAD response's announced length is read as a body: the
    // stream is misread (this is why the reader is told).
    assert_ne!(read_plain(&sample("browse.http"), &[]).map(|r| plain(&r)).ok(), Some(plain(&responses)));
}

/// Reads a compact response stream fed in pieces cut at `cuts`, with the event calls.
fn read_split(bytes: &[u8], cuts: &[usize]) -> Vec<Response> {
    let mut decoder = ResponseDecoder::new();
    let mut src = BytesMut::new();
    let mut out = Vec::new();
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
    bounds.sort_unstable();
    bounds.push(bytes.len());
    let mut at = 0;
    for &end in &bounds {
        src.extend_from_slice(&bytes[at..end]);
        at = end;
        while let Some(r) = decoder.decode(&mut src).unwrap() {
            out.push(r);
        }
    }
    out.extend(decoder.decode_eof(&mut src).unwrap());
    out
}

/// RFC 9112 §6.3 rule 1: no body after HEAD, 1xx, 204, 304, whatever the fields say; their
/// framing field is kept as an announcement.
#[test]
fn bodyless_responses() {
    let stream = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\
HTTP/1.1 204 No Content\r\nX: 1\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let got = read_plain(stream, &[b"HEAD", b"GET", b"GET", b"HEAD", b"GET"]).unwrap();
    let framings: Vec<Framing> = got.iter().map(|r| r.head().framing()).collect();
    assert_eq!(
        framings,
        [
            Framing::None,
            Framing::Announced(5),
            Framing::None,
            Framing::Announced(9),
            Framing::AnnouncedChunked,
            Framing::Length(2)
        ]
    );
    let (compact, _) = encode(&got, Encoder::new());
    assert!(String::from_utf8_lossy(&compact).contains("-: 5\r\n"));
    assert!(String::from_utf8_lossy(&compact).contains("-: chunked\r\n"));
    assert_eq!(plain(&read_compact(&compact).unwrap()), plain(&got));
}

/// Rule 5: a response without framing field and with a body runs to the end of input; every
/// read API gives it whole there.
#[test]
fn close_delimited_last_response() {
    let stream = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.0 200 OK\r\nServer: x\r\n\r\nall\r\nthe rest";
    let got = read_plain(stream, &[]).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].head().framing(), Framing::Close);
    assert_eq!(got[1].body(), &b"all\r\nthe rest"[..]);
    // Events: the body as data, its end at the end of input.
    let mut parser = ResponseParser::new();
    let mut src = BytesMut::from(&stream[..]);
    let mut events = Vec::new();
    while let Some(e) = parser.next_event_eof(&mut src).unwrap() {
        events.push(e);
    }
    assert_eq!(events.last(), Some(&Event::End));
    assert_eq!(events.iter().filter(|e| matches!(e, Event::End)).count(), 2);
    // Slices: decode_slice leaves it; decode_slice_eof takes the rest.
    let mut parser = ResponseParser::new();
    let (n, first) = parser.decode_slice(stream).unwrap();
    assert_eq!(first.unwrap().body(), b"a");
    let rest = &stream[n..];
    assert_eq!(parser.decode_slice(rest).unwrap(), (0, None));
    let (m, last) = parser.decode_slice_eof(rest).unwrap();
    assert_eq!((m, last.unwrap().body()), (rest.len(), &b"all\r\nthe rest"[..]));
    assert_eq!(parser.decode_slice_eof(&rest[m..]).unwrap(), (0, None));
    parser.finish_slice(&rest[m..]).unwrap();
    // finish_slice alone refuses it, naming the call that reads it.
    let mut parser = ResponseParser::new();
    let (n, _) = parser.decode_slice(stream).unwrap();
    let err = parser.finish_slice(&stream[n..]).unwrap_err();
    assert!(err.to_string().contains("decode_slice_eof"), "{err}");
    // Held whole, it is refused once more than `max_body` of it is here, whichever call
    // holds it (the borrowed call too, though it never sees the end).
    let limits = Limits::default().max_body(8);
    let big = b"HTTP/1.1 200 OK\r\n\r\n123456789";
    let mut parser = ResponseParser::with_limits(limits);
    let err = parser.decode_slice(&big[..]).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (&ErrorKind::BodyTooLarge { len: 9, limit: 8 }, Some(19)));
    let mut parser = ResponseParser::with_limits(limits);
    assert_eq!(parser.decode_slice(&big[..27]).unwrap(), (0, None), "8 bytes: not too large yet");
    let err = ResponseParser::with_limits(limits).decode_eof(&mut BytesMut::from(&big[..])).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::BodyTooLarge { len: 9, limit: 8 });
    // Compact: `$:` is the same.
    let (compact, _) = encode(&got, Encoder::new());
    assert!(String::from_utf8_lossy(&compact).contains("$:\r\nall"));
    assert_eq!(plain(&read_compact(&compact).unwrap()), plain(&got));
    let mut decoder = ResponseDecoder::new();
    let (n, _) = decoder.decode_slice(&compact).unwrap();
    let (_, last) = decoder.decode_slice_eof(&compact[n..]).unwrap();
    assert_eq!(last.unwrap().body(), &b"all\r\nthe rest"[..]);
}

/// Rule 2: a 101, and a 2xx to CONNECT, end the HTTP stream; a 1xx other than 101 answers
/// no request, so the final response after it takes the method.
#[test]
fn switching_protocols_stops_the_reader() {
    let stream = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: shttp\r\n\r\nC:200 OK\r\n";
    let mut parser = ResponseParser::new();
    let mut src = BytesMut::from(&stream[..]);
    let head = parser.decode(&mut src).unwrap().unwrap();
    assert_eq!((head.status(), parser.switched()), (101, Some(101)));
    assert_eq!(parser.decode(&mut src).unwrap(), None);
    assert_eq!(&src[..], b"C:200 OK\r\n", "the new protocol's bytes are left to the caller");
    let err = parser.decode_eof(&mut src).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::AfterSwitch { bytes: 10, status: 101 });
    assert_eq!(err.offset(), Some(52));

    let stream = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01";
    let mut parser = ResponseParser::new();
    parser.expect(b"CONNECT");
    let mut src = BytesMut::from(&stream[..]);
    assert_eq!(parser.decode(&mut src).unwrap().unwrap().status(), 100);
    assert_eq!(parser.switched(), None, "a 100 answers no request yet");
    assert_eq!(parser.decode(&mut src).unwrap().unwrap().status(), 200);
    assert_eq!(parser.switched(), Some(200));
    assert_eq!(&src[..], b"\x16\x03\x01");
    // A 101 ends a compact stream too, so its decoded form reads back.
    let mut decoder = ResponseDecoder::new();
    let mut src = BytesMut::from(&b"C:101 Switching Protocols\r\nV:HTTP/1.1\r\n-:\r\nC:200 OK\r\n"[..]);
    assert_eq!(decoder.decode(&mut src).unwrap().unwrap().status(), 101);
    assert_eq!(decoder.switched(), Some(101));
    assert_eq!(decoder.decode(&mut src).unwrap(), None);
    assert!(matches!(decoder.decode_eof(&mut src).unwrap_err().kind(), ErrorKind::AfterSwitch { bytes: 10, .. }));
    // A 2xx to anything else is an ordinary response.
    let got = read_plain(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", &[b"GET"]).unwrap();
    assert_eq!(got[1].head().framing(), Framing::Close);
}

/// SPEC.md §13.1: the first line tells the direction; no reader reads the other's stream.
#[test]
fn directions_are_never_confused() {
    let compact_responses = b"C:200 OK\r\nV:HTTP/1.1\r\n-:\r\n";
    let compact_requests = b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n-:\r\n";
    let wrong = |r: Result<Vec<Response>, Error>| r.unwrap_err().into_kind();
    assert!(matches!(wrong(read_compact(compact_requests)), ErrorKind::WrongDirection(_)));
    let err = Decoder::new().decode_eof(&mut BytesMut::from(&compact_responses[..])).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::WrongDirection(_)), "{err}");
    assert_eq!(err.offset(), Some(0));
    let err = Parser::new().decode_eof(&mut BytesMut::from("HTTP/1.1 200 OK\r\n\r\n")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidMethod(_)), "{err}");
    assert!(matches!(wrong(read_plain(b"GET / HTTP/1.1\r\n\r\n", &[])), ErrorKind::InvalidStatusLine { .. }));
    for (input, syntax) in [
        (&compact_responses[..], Syntax::CompactResponses),
        (compact_requests, Syntax::Compact),
        (b"HTTP/1.1 200 OK\r\n", Syntax::PlainResponses),
        (b"GET / HTTP/1.1\r\n", Syntax::Plain),
    ] {
        assert_eq!(Syntax::detect(input).unwrap(), Some(syntax));
    }
    // The encoder of each direction refuses the other's messages.
    let head = Head::response(200, "OK".into(), Version::HTTP_11, Headers::new(), Framing::None).unwrap();
    let err = Encoder::new().encode_head(&head, &[], false, &mut Vec::new()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::WrongDirection(_)));
    let req = Head::new("GET".into(), "/".into(), Version::HTTP_11, Headers::new(), Framing::None).unwrap();
    let err = Encoder::new().responses().encode_head(&req, &[], false, &mut Vec::new()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::WrongDirection(_)));
}

/// Every response-side error class of SPEC.md §13.6 (and the smuggling shapes of §6.3 on
/// responses), with its position.
#[test]
fn response_error_classes() {
    use ErrorKind::*;
    let plain_err = |s: &[u8]| read_plain(s, &[]).unwrap_err();
    let compact_err = |s: &[u8]| read_compact(s).unwrap_err();
    let kinds = |e: Error| e.into_kind();
    // Plain status-lines.
    for bad in [
        &b"HTTP/1.1 200\r\n\r\n"[..],
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 099 Low\r\n\r\n",
        b"HTTP/1.1  200 OK\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 200 O\x01K\r\n\r\n",
        b"\r\nHTTP/1.1 200 OK\r\n\r\n",
    ] {
        assert!(matches!(kinds(plain_err(bad)), InvalidStatusLine { .. }), "{}", bad.escape_ascii());
    }
    let head = "HTTP/1.1 200 OK\r\n";
    let with = |fields: &str| format!("{head}{fields}\r\n");
    assert_eq!(kinds(plain_err(with("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n").as_bytes())), BothFramings);
    assert_eq!(kinds(plain_err(with("Content-Length: 1\r\nContent-Length: 1\r\n").as_bytes())), RepeatedContentLength);
    assert_eq!(kinds(plain_err(with("X: a\r\n b\r\n").as_bytes())), ObsFold);
    assert_eq!(kinds(plain_err(b"HTTP/1.1 200 OK\nX: a\r\n\r\n")), BareLf);
    assert!(matches!(kinds(plain_err(with("X : a\r\n").as_bytes())), WhitespaceBeforeColon(_)));
    assert!(matches!(
        kinds(plain_err(b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")),
        ChunkedBeforeHttp11(_)
    ));
    assert!(matches!(kinds(plain_err(with("Transfer-Encoding: gzip\r\n").as_bytes())), UnsupportedTransferCoding(_)));
    let err = plain_err(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
    assert!(matches!(err.kind(), UnexpectedEof { .. }));
    let err = plain_err(b"HTTP/1.1 200 OK\r\nServer: x\r\n");
    assert_eq!(err.to_string(), "line 1 (byte 0): input ends inside a response head (no empty line at its end)");
    // Compact.
    let err = compact_err(b"V:HTTP/1.1\r\nC:200 OK\r\n-:\r\n");
    assert_eq!(
        (err.kind(), err.offset()),
        (&WrongDirection("a compact response stream starts with a 'C:' line"), Some(0))
    );
    for line in ["B:/", "M:GET", "U:0 1 x", "-:x", "+:x 3", "*:x", "$:x"] {
        let input = format!("C:200 OK\r\n{line}\r\n");
        let err = compact_err(input.as_bytes());
        assert!(matches!(err.kind(), WrongDirection(_)), "{line}: {err}");
        assert_eq!(err.offset(), Some(10), "{line}");
    }
    for line in ["C:20 OK", "C:2000", "C:099", "C:abc", "C:200 a\x7fb"] {
        let err = compact_err(format!("{line}\r\n").as_bytes());
        assert!(matches!(err.kind(), InvalidStatusLine { .. }), "{line}: {err}");
    }
    assert_eq!(kinds(compact_err(b"C:200 OK\r\n-:\r\n")), NoVersion);
    for (status, issue) in [("204", "+: 3"), ("304", "*:"), ("100", "$:"), ("101", "+: 0")] {
        let err = compact_err(format!("C:{status}\r\nV:HTTP/1.1\r\n{issue}\r\n").as_bytes());
        assert_eq!(err.kind(), &BodyNotAllowed { status: status.parse().unwrap() }, "{status} {issue}");
        assert_eq!(err.offset(), Some(19), "at the issuing line");
    }
    let head = Head::response(204, "".into(), Version::HTTP_11, Headers::new(), Framing::Length(0));
    assert_eq!(head.unwrap_err().into_kind(), BodyNotAllowed { status: 204 });
    assert_eq!(kinds(compact_err(b"C:200 OK\r\nV:HTTP/1.1\r\n+:\r\n")), NoLength);
    assert!(matches!(kinds(compact_err(b"C:200 OK\r\nV:HTTP/1.1\r\n-: x\r\n")), InvalidLength(_)));
    assert!(matches!(kinds(compact_err(b"C:200 OK\r\nV:HTTP/1.1\r\n+: 01\r\n")), InvalidLength(_)));
    assert!(matches!(kinds(compact_err(b"C:200 OK\r\nV:HTTP/1.0\r\n*:\r\n")), ChunkedBeforeHttp11(_)));
    assert!(matches!(kinds(compact_err(b"C:200 OK\r\nV:HTTP/1.0\r\n-: chunked\r\n")), ChunkedBeforeHttp11(_)));
    assert!(matches!(kinds(compact_err(b"C:200 OK\r\nH:Content-Length: 3\r\n")), FramingHeader(_)));
    // A request stream rejects the response opcodes.
    for line in ["C:200 OK", "$:"] {
        let err = Decoder::new().decode_eof(&mut BytesMut::from(format!("{line}\r\n").as_str())).unwrap_err();
        assert!(matches!(err.kind(), WrongDirection(_)), "{line}: {err}");
    }
    // A state applies only its direction's opcodes; `NoStatus` before any `C:`.
    let mut state = State::for_responses(Limits::default());
    state.apply(&Op::Version(Version::HTTP_11)).unwrap();
    assert_eq!(state.apply(&Op::Bodyless(b"")).unwrap_err().into_kind(), NoStatus);
    assert!(matches!(state.apply(&Op::Method(b"GET")).unwrap_err().into_kind(), WrongDirection(_)));
    assert!(matches!(State::new(Limits::default()).apply(&Op::Close).unwrap_err().into_kind(), WrongDirection(_)));
    // Built by hand.
    let head = Head::response(200, "OK".into(), Version::HTTP_11, Headers::new(), Framing::Announced(3)).unwrap();
    assert!(matches!(Response::new(head, "abc".into()).unwrap_err().into_kind(), BodyMismatch(_)));
    assert!(Head::new("GET".into(), "/".into(), Version::HTTP_11, Headers::new(), Framing::Close).is_err());
    assert!(Head::response(1000, "".into(), Version::HTTP_11, Headers::new(), Framing::None).is_err());
    assert!(Head::response(200, "a\r\nb".into(), Version::HTTP_11, Headers::new(), Framing::None).is_err());
}

/// The limits bound response state as request state: the status counts 3 + its reason, and
/// the status-line a head makes fits `max_line`.
#[test]
fn response_limits() {
    let long = "r".repeat(60);
    let input = format!("C:200 {long}\r\nV:HTTP/1.1\r\n-:\r\n");
    let mut decoder = ResponseDecoder::with_limits(Limits::default().max_line(70));
    let err = decoder.decode_eof(&mut BytesMut::from(input.as_str())).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::LineTooLong { limit: 70 });
    assert_eq!(err.offset(), Some(80), "at the issuing line");
    let mut decoder = ResponseDecoder::with_limits(Limits::default().max_state_bytes(20));
    let err = decoder.decode_eof(&mut BytesMut::from(input.as_str())).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::StateTooLarge { limit: 20 });
    let mut decoder = ResponseDecoder::new();
    decoder.decode_eof(&mut BytesMut::from("C:200 OK\r\nV:HTTP/1.1\r\n")).unwrap();
    assert_eq!(decoder.state().bytes(), 8 + 3 + 2);
}

/// The encoder of responses through a window: the same bytes decode to the same responses.
#[test]
fn lookahead_encodes_responses() {
    let stream = format!("{}{}{}", ack("18"), ack("19"), ack("19"));
    let responses = read_plain(stream.as_bytes(), &[]).unwrap();
    let mut lookahead = Lookahead::new(Encoder::new().responses(), Window { requests: 2, ..Window::default() });
    let mut out = Vec::new();
    for r in responses.clone() {
        lookahead.encode_request(r, &mut out).unwrap();
    }
    lookahead.finish(&mut out).unwrap();
    assert_eq!(plain(&read_compact(&out).unwrap()), plain(&responses));
}

// ---- generated streams ----------------------------------------------------------------

/// One generated response: status, reason, method answered, header lines, body kind.
#[derive(Debug, Clone)]
struct Gen {
    status: u16,
    reason: &'static str,
    method: &'static [u8],
    headers: Vec<String>,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Length(Vec<u8>),
    Chunked(Vec<Vec<u8>>, Vec<String>),
    Close(Vec<u8>),
}

fn gen_response(last: bool) -> impl Strategy<Value = Gen> {
    let status = prop_oneof![
        Just((200u16, "OK")),
        Just((200, "OK")),
        Just((201, "Created")),
        Just((100, "Continue")),
        Just((103, "Early Hints")),
        Just((204, "No Content")),
        Just((304, "Not Modified")),
        Just((404, "Not Found")),
        Just((500, "")),
        Just((299, "Odd \u{e9}")),
    ];
    let method: BoxedStrategy<&'static [u8]> =
        prop_oneof![4 => Just(&b"GET"[..]), 1 => Just(&b"HEAD"[..]), 1 => Just(&b"POST"[..])].boxed();
    let second = 0u8..4;
    let extra = proptest::collection::vec("[a-z]{1,6}: [ -~]{0,12}", 0..3);
    let body = prop_oneof![Just(0u8), Just(1u8), Just(2u8), Just(3u8), Just(4u8)];
    let bytes = proptest::collection::vec(any::<u8>(), 0..40);
    let chunks = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..10), 0..3);
    let trailers = proptest::collection::vec("[a-z]{1,5}: [a-z0-9]{0,8}", 0..2);
    (status, method, second, extra, body, bytes, chunks, trailers).prop_map(
        move |((status, reason), method, second, extra, body, bytes, chunks, trailers)| {
            let mut headers = vec![
                "Server: nginx/1.22.1".to_string(),
                format!("Date: Sat, 05 Dec 2026 08:35:1{second} GMT"),
                "Content-Type: text/plain".to_string(),
            ];
            headers.extend(extra);
            let body = match body {
                // A close-delimited body only as the last response.
                4 if last => Body::Close(bytes),
                1 => Body::Length(bytes),
                2 => Body::Chunked(chunks, trailers),
                3 => Body::Length(Vec::new()),
                _ => Body::None,
            };
            Gen { status, reason, method, headers, body }
        },
    )
}

/// Writes a generated response plain, as a server might (framing field among the others). A
/// response with a body and no framing field runs to the end: only the `last` may have one.
fn write_gen(g: &Gen, last: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", g.status, g.reason).as_bytes());
    let bodyless = g.method == b"HEAD" || g.status < 200 || g.status == 204 || g.status == 304;
    let mut fields: Vec<String> = g.headers.clone();
    let mut body = Vec::new();
    match &g.body {
        Body::None if !bodyless && !last => fields.push("Content-Length: 0".into()),
        Body::None => {}
        Body::Length(b) => {
            fields.insert(1, format!("Content-Length: {}", b.len()));
            body = b.clone();
        }
        Body::Chunked(chunks, trailers) => {
            fields.push("Transfer-Encoding: chunked".into());
            for c in chunks {
                body.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
                body.extend_from_slice(c);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"0\r\n");
            for t in trailers {
                body.extend_from_slice(t.as_bytes());
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"\r\n");
        }
        Body::Close(b) => body = b.clone(),
    }
    for f in &fields {
        out.extend_from_slice(f.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !bodyless {
        out.extend_from_slice(&body);
    }
}

fn gen_stream() -> impl Strategy<Value = Vec<Gen>> {
    (proptest::collection::vec(gen_response(false), 0..12), gen_response(true)).prop_map(|(mut v, last)| {
        v.push(last);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// SPEC.md §13.5: decode(encode(x)) == canonical(x) for generated response streams (1xx,
    /// 204, 304, HEAD responses with Content-Length and no body, chunked with trailers, a
    /// close-delimited last response, a Date that changes), with and without editing and a
    /// window; the plain stream and the compact one split at any point read the same.
    #[test]
    fn responses_round_trip(stream in gen_stream(), cut in any::<prop::sample::Index>(), window in 0usize..3, editing in any::<bool>()) {
        let mut bytes = Vec::new();
        let mut methods: Vec<&[u8]> = Vec::new();
        for (i, g) in stream.iter().enumerate() {
            write_gen(g, i + 1 == stream.len(), &mut bytes);
            // An interim response answers no request: its method goes with the next.
            if g.status >= 200 {
                methods.push(g.method);
            }
        }
        let responses = read_plain(&bytes, &methods).unwrap();
        prop_assert_eq!(responses.len(), stream.len());
        let canonical = plain(&responses);
        // Canonical input reads back as itself.
        prop_assert_eq!(plain(&read_plain(&canonical, &methods).unwrap()), canonical.clone());
        let (compact, _) = encode(&responses, Encoder::new().editing(editing));
        prop_assert_eq!(plain(&read_compact(&compact).unwrap()), canonical.clone());
        let mut lookahead = Lookahead::new(Encoder::new().responses().editing(editing), Window { requests: window, ..Window::default() });
        let mut windowed = Vec::new();
        for r in responses.clone() {
            lookahead.encode_request(r, &mut windowed).unwrap();
        }
        lookahead.finish(&mut windowed).unwrap();
        prop_assert_eq!(plain(&read_compact(&windowed).unwrap()), canonical.clone());
        // Split points.
        let at = cut.index(compact.len() + 1);
        prop_assert_eq!(plain(&read_split(&compact, &[at])), canonical.clone());
        let at = cut.index(bytes.len() + 1);
        let mut parser = ResponseParser::new();
        for m in &methods {
            parser.expect(m);
        }
        let mut src = BytesMut::from(&bytes[..at]);
        let mut got = Vec::new();
        while let Some(r) = parser.decode(&mut src).unwrap() {
            got.push(r);
        }
        src.extend_from_slice(&bytes[at..]);
        while let Some(r) = parser.decode_eof(&mut src).unwrap() {
            got.push(r);
        }
        prop_assert_eq!(plain(&got), canonical);
    }
}

/// SPEC.md §2.4 for responses: every split point of a stream with every framing (interim,
/// announced, chunked with trailers, Content-Length, a Date edit, close-delimited last) gives
/// the same responses, plain and compact.
#[test]
fn every_split_point_reads_the_same() {
    let plain_in = [
        &b"HTTP/1.1 100 Continue\r\n\r\n"[..],
        ack("18").as_bytes(),
        b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 9\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nDigest: d\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        ack("19").as_bytes(),
        b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nto the end\r\n",
    ]
    .concat();
    let methods: [&[u8]; 6] = [b"GET", b"GET", b"GET", b"HEAD", b"GET", b"GET"];
    let responses = read_plain(&plain_in, &methods).unwrap();
    let canonical = plain(&responses);
    let (compact, _) = encode(&responses, Encoder::new());
    for at in 0..=compact.len() {
        assert_eq!(plain(&read_split(&compact, &[at])), canonical, "compact split at {at}");
    }
    for at in 0..=plain_in.len() {
        let mut parser = ResponseParser::new();
        for m in methods {
            parser.expect(m);
        }
        let mut src = BytesMut::from(&plain_in[..at]);
        let mut got = Vec::new();
        while let Some(r) = parser.decode(&mut src).unwrap() {
            got.push(r);
        }
        src.extend_from_slice(&plain_in[at..]);
        while let Some(r) = parser.decode_eof(&mut src).unwrap() {
            got.push(r);
        }
        assert_eq!(plain(&got), canonical, "plain split at {at}");
    }
}

/// SPEC.md §4.11, §4.12 in the response direction: with packing on, the recorded sessions'
/// responses come back the same in fewer bytes; the stream's first line, `C:`, is written
/// out, and the version and the common fields after it are static lines.
#[test]
fn packed_and_static_lines_in_responses() {
    let requests = sample("browse.requests.http");
    let methods = methods(&requests);
    let refs: Vec<&[u8]> = methods.iter().map(|m| &m[..]).collect();
    for responses in
        [read_plain(&sample("browse.http"), &refs).unwrap(), read_plain(&sample("opra-acks.http"), &[]).unwrap()]
    {
        let (text, _) = encode(&responses, Encoder::new());
        let (packed, _) = encode(&responses, Encoder::new().packing(true));
        assert!(packed.len() < text.len(), "{} packed, {} as text", packed.len(), text.len());
        assert_eq!(plain(&read_compact(&packed).unwrap()), plain(&responses));
        let first = text.split(|&b| b == b'\n').next().unwrap();
        assert!(packed.starts_with(first) && first.starts_with(b"C:"), "{:?}", String::from_utf8_lossy(first));
        assert_eq!(&packed[first.len() + 1..][..4], b"~0\r\n", "V:HTTP/1.1 is static");
        assert!(packed.windows(6).any(|w| w == b"\r\n~71 "), "Server: is static");
        for cut in [1, 7, packed.len() / 2] {
            assert_eq!(plain(&read_split(&packed, &[cut])), plain(&responses), "cut at {cut}");
        }
    }
}
