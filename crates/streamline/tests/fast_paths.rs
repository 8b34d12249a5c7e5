//! Every fast path beside its general path, on inputs that reach it.
//!
//! Two shortcuts were guarded by no test: the plain writer's rendering of a repeated head
//! must never be written for a head whose content differs, not even one the compact decoder
//! rebuilt in place for a borrowed read at the same address, nor new parts where freed ones
//! were (SPEC.md §6, the canonical form); and the plain reader takes the header lines a head
//! shares with the last one without checking them again (SPEC.md §3.4), so where "shared"
//! ends must be exact to the byte. Each test fails when its shortcut is broken (the writer
//! trusting a head's address or look for its rendering instead of holding the parts it
//! rendered; the boundary moved by one byte).

use bytes::BytesMut;
use streamline::{http1, Decoder, ErrorKind, Framing, Head, Headers, Limits, Version};

/// Writes a message five times with `writer` (from the fourth write in a row of the same
/// parts on, they are written from the rendering it keeps), each write checked against the
/// general path, the stateless `write_http1`.
fn write_often(writer: &mut http1::Writer, head: &Head, body: &[u8], out: &mut Vec<u8>) {
    let mut general = Vec::new();
    head.write_http1(&mut general);
    general.extend_from_slice(body);
    for _ in 0..5 {
        let at = out.len();
        writer.write(head, body, out);
        assert_eq!(out[at..].escape_ascii().to_string(), general.escape_ascii().to_string());
    }
}

/// Writes every request of a compact stream five times in plain form with one
/// `http1::Writer` per stream ([`write_often`]), through the borrowed path (`decode_slice`, whose head is
/// rebuilt in place) and through the owned one (`decode`).
fn written_often(compact: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut borrowed = Vec::new();
    let (mut decoder, mut writer) = (Decoder::new(), http1::Writer::new());
    let mut rest = compact;
    loop {
        let (used, request) = decoder.decode_slice(rest).expect("valid stream");
        let Some(request) = request else { break };
        write_often(&mut writer, request.head(), request.body(), &mut borrowed);
        rest = &rest[used..];
    }
    decoder.finish_slice(rest).expect("whole stream");

    let mut owned = Vec::new();
    let (mut decoder, mut writer) = (Decoder::new(), http1::Writer::new());
    let mut src = BytesMut::from(compact);
    while let Some(request) = decoder.decode_eof(&mut src).expect("valid stream") {
        write_often(&mut writer, request.head(), request.body(), &mut owned);
    }
    (borrowed, owned)
}

/// SPEC.md §6: a head rebuilt in place writes its own content, never the rendering kept for
/// the head it replaced, even when nothing but the content changed (same address, same
/// lengths, same target).
#[test]
fn rebuilt_head_never_gets_the_rendering_of_the_old_one() {
    let compact =
        b"V:HTTP/1.1\r\nB:/a\r\nM:GET\r\nH:Host: x\r\n-:\r\n-:\r\n-:1\r\nH:X: 1\r\n-:1\r\nM:PUT\r\n+:2 3\r\nabc-:3\r\n";
    let (borrowed, owned) = written_often(compact);
    assert_eq!(borrowed.escape_ascii().to_string(), owned.escape_ascii().to_string());
    let expected: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    assert!(borrowed.starts_with(&expected.repeat(10)));
    let last: &[u8] = b"PUT /a3 HTTP/1.1\r\nHost: x\r\nX: 1\r\n\r\n";
    assert!(borrowed.ends_with(&last.repeat(5)), "{}", borrowed.escape_ascii());
    // A header value edited to another of its length: the parts look the same.
    let compact =
        b"V:HTTP/1.1\r\nB:/a\r\nM:GET\r\nH:Host: x\r\nH:X: 1\r\n-:\r\n-:\r\nS:X: 2\r\n-:\r\n-:\r\nS:X: 3\r\n-:\r\n";
    let (borrowed, owned) = written_often(compact);
    let head = |x: &str| format!("GET /a HTTP/1.1\r\nHost: x\r\nX: {x}\r\n\r\n").repeat(5);
    let expected = [head("1"), head("1"), head("2"), head("2"), head("3")].concat();
    assert_eq!(borrowed.escape_ascii().to_string(), expected.as_bytes().escape_ascii().to_string());
    assert_eq!(owned, borrowed);
}

/// Heads built afresh, each written five times and dropped before the next: the next head's parts
/// may be allocated where the last one's were, with the same lengths and target, and must
/// still be written as they are.
#[test]
fn new_parts_never_get_the_rendering_of_freed_ones() {
    let mut writer = http1::Writer::new();
    for i in 0..100u8 {
        let mut headers = Headers::new();
        headers.push(format!("X: {}", i % 10).as_bytes()).unwrap();
        let head = Head::new("GET".into(), "/a".into(), Version::HTTP_11, headers, Framing::None).unwrap();
        write_often(&mut writer, &head, &[], &mut Vec::new());
    }
}

/// The same on the samples: every request written five times, borrowed and owned, agree
/// with each other and with the general path.
#[test]
fn samples_write_the_same_borrowed_and_owned() {
    for name in ["get-pair", "post-someurl-x100", "opra-feed-1000", "chunked-upload", "browse-session"] {
        let path = format!("{}/../../samples/{name}.shttp", env!("CARGO_MANIFEST_DIR"));
        let Ok(compact) = std::fs::read(&path) else { continue };
        let (borrowed, owned) = written_often(&compact);
        assert!(borrowed == owned, "{name}: borrowed and owned writes differ");
    }
}

/// One head as read: its plain form, or the error's kind and offset.
type HeadRead = Result<Vec<u8>, (ErrorKind, Option<u64>)>;

/// How the plain reader read `stream`: each head's outcome, in order, stopping at the first
/// error (as `(kind, offset)`).
fn read_stream(stream: &[u8], limits: Limits) -> Vec<HeadRead> {
    let mut parser = http1::Parser::with_limits(limits);
    let mut src = BytesMut::from(stream);
    let mut out = Vec::new();
    loop {
        match parser.decode_eof(&mut src) {
            Ok(Some(request)) => {
                let mut plain = Vec::new();
                request.write_http1(&mut plain);
                out.push(Ok(plain));
            }
            Ok(None) => return out,
            Err(err) => {
                out.push(Err((err.kind().clone(), err.offset())));
                return out;
            }
        }
    }
}

/// How `http1::parse_head` reads each head alone (the general path: no head to compare
/// with), at the same offsets.
fn read_alone(stream: &[u8], limits: Limits) -> Vec<HeadRead> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        match http1::parse_head(&stream[at..], &limits) {
            Ok(Some((head, len))) => {
                let mut plain = Vec::new();
                head.write_http1(&mut plain);
                out.push(Ok(plain));
                at += len;
            }
            Ok(None) => return out,
            Err(err) => {
                out.push(Err((err.kind().clone(), err.offset().map(|offset| at as u64 + offset))));
                return out;
            }
        }
    }
    out
}

/// SPEC.md §3.4: the lines a head shares with the last one are taken unchecked; where the
/// sharing ends must be exact to the byte, or a line that differs only in its last bytes
/// (a stray CR, a bare LF, another value) would be taken as checked.
#[test]
fn shared_lines_end_exactly_where_the_heads_differ() {
    let first: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\nX: ab\r\nY: c\r\n\r\n";
    let seconds: [&[u8]; 9] = [
        // the same head: every line shared
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: ab\r\nY: c\r\n\r\n",
        // a stray CR where the shared line's CRLF was
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: ab\rY: c\r\n\r\n",
        // a stray CR one byte before the line's end
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: a\rb\r\nY: c\r\n\r\n",
        // a bare LF ending the shared line
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: ab\nY: c\r\n\r\n",
        // a line longer by one byte
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: abc\r\nY: c\r\n\r\n",
        // a line shorter by one byte
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: a\r\nY: c\r\n\r\n",
        // the last byte of a value changed
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: ac\r\nY: c\r\n\r\n",
        // a NUL in place of the CR
        b"GET /a HTTP/1.1\r\nHost: x\r\nX: ab\0\nY: c\r\n\r\n",
        // the head ends after the first shared line
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for limits in [Limits::default(), Limits::default().max_line(24).max_headers(3)] {
        for second in seconds {
            let stream = [first, second].concat();
            let fast = read_stream(&stream, limits);
            let general = read_alone(&stream, limits);
            assert_eq!(fast, general, "{}", second.escape_ascii());
        }
    }
    // The stray CR is refused where it stands, not taken with the shared line.
    let stream = [first, seconds[1]].concat();
    let last = read_stream(&stream, Limits::default()).pop();
    assert!(matches!(last, Some(Err((ErrorKind::StrayCr, _)))), "{last:?}");
}

/// The general path for a compact stream: each line parsed (`Op::parse`, or
/// `Op::parse_response` for a response stream's state) and applied to `state` one by one; the
/// messages issued, with their bodies (a stream framed by `Content-Length` only).
fn by_the_state_machine(compact: &[u8], mut state: streamline::State, responses: bool) -> Vec<(Head, bytes::Bytes)> {
    use streamline::Op;
    let mut issued = Vec::new();
    let mut rest = compact;
    while !rest.is_empty() {
        let lf = rest.iter().position(|&b| b == b'\n').expect("a line");
        let line = &rest[..lf - 1];
        let op = if responses { Op::parse_response(line) } else { Op::parse(line) }.expect("a valid line");
        rest = &rest[lf + 1..];
        if let Some(head) = state.apply(&op).expect("applies") {
            let n = match head.framing() {
                Framing::Length(n) => n as usize,
                _ => 0,
            };
            issued.push((head, bytes::Bytes::copy_from_slice(&rest[..n])));
            rest = &rest[n..];
        }
    }
    issued
}

/// SPEC.md §4.4, §4.10, §5.2: the decoder takes `-:`, `<:` with a one-byte name and `S:=` with
/// a short index without the general grammar; the state machine applying each line as
/// `Op::parse` reads it (the general path) issues the same heads, on the browsing sample whose
/// lines are mostly those. And the shortcut keeps `max_line`: a five-byte `<:a` is refused
/// with a limit of four, where `-:` still passes.
#[test]
fn short_lines_match_the_state_machine() {
    use streamline::State;
    let path = format!("{}/../../samples/browse-session.shttp", env!("CARGO_MANIFEST_DIR"));
    let compact = std::fs::read(path).expect("the sample");
    let lines = compact.split(|&b| b == b'\n');
    let short = lines
        .filter(|l| matches!(l, [b'-', b':', b'\r'] | [b'<', b':', _, b'\r'] | [b'S', b':', b'=', .., b'\r']))
        .count();
    assert!(short > 400, "the sample has {short} short lines");
    let mut fast = Vec::new();
    let mut decoder = Decoder::new();
    let mut src = BytesMut::from(&compact[..]);
    while let Some(request) = decoder.decode_eof(&mut src).expect("valid") {
        fast.push((request.head().clone(), request.body().clone()));
    }
    let general = by_the_state_machine(&compact, State::new(Limits::default()), false);
    assert_eq!(fast.len(), 200);
    assert!(fast == general, "the shortcut and the state machine issue different requests");

    // The line is checked before it is applied: too long, not an unknown register.
    let limits = Limits::default().max_line(4);
    let err = Decoder::with_limits(limits).decode_slice(b"<:a\r\n").expect_err("a line past max_line");
    assert_eq!(err.kind(), &ErrorKind::LineTooLong { limit: 4 });
    let err = Decoder::with_limits(limits).decode_slice(b"-:\r\n").expect_err("no method");
    assert_eq!(err.kind(), &ErrorKind::NoMethod);
}

/// SPEC.md §13.4: a response stream's steady `+:` (the last length again) and `+: LEN` are
/// taken by the decoder's shortcut; the state machine applying each line (the general path)
/// issues the same responses.
#[test]
fn steady_responses_match_the_state_machine() {
    use streamline::{ResponseDecoder, State};
    let path = format!("{}/../../samples/responses/opra-acks.shttp", env!("CARGO_MANIFEST_DIR"));
    let compact = std::fs::read(path).expect("the sample");
    let mut fast = Vec::new();
    let mut decoder = ResponseDecoder::new();
    let mut src = BytesMut::from(&compact[..]);
    while let Some(response) = decoder.decode_eof(&mut src).expect("valid") {
        fast.push((response.head().clone(), response.body().clone()));
    }
    let general = by_the_state_machine(&compact, State::for_responses(Limits::default()), true);
    assert_eq!(fast.len(), 1000);
    assert!(fast == general, "the shortcut and the state machine issue different responses");
}

/// SPEC.md §13.3: the plain response reader's shortcut (a head byte-identical to a recent one
/// is compared, not parsed) is keyed by what the response answers: the same bytes frame a
/// body after a GET and none after a HEAD. Read with one reader (shortcut) and each alone.
#[test]
fn repeated_response_heads_are_framed_by_their_request() {
    use streamline::Framing;
    let head = b"HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 2\r\n\r\n";
    let methods: [&[u8]; 7] = [b"GET", b"HEAD", b"GET", b"HEAD", b"HEAD", b"GET", b"GET"];
    let mut stream = Vec::new();
    for m in methods {
        stream.extend_from_slice(head);
        if m == b"GET" {
            stream.extend_from_slice(b"ok");
        }
    }
    let mut parser = http1::ResponseParser::new();
    for m in methods {
        parser.expect(m);
    }
    let mut src = BytesMut::from(&stream[..]);
    let mut shortcut = Vec::new();
    while let Some(r) = parser.decode_eof(&mut src).expect("valid") {
        shortcut.push(r.head().framing());
    }
    let alone: Vec<Framing> = methods
        .iter()
        .map(|&m| {
            let mut p = http1::ResponseParser::new();
            p.expect(m);
            let body: &[u8] = if m == b"GET" { b"ok" } else { b"" };
            let mut src = BytesMut::from(&[&head[..], body].concat()[..]);
            p.decode_eof(&mut src).expect("valid").expect("one").head().framing()
        })
        .collect();
    assert_eq!(shortcut, alone);
    assert_eq!(alone[..2], [Framing::Length(2), Framing::Announced(2)]);
}
