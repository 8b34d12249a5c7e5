//! The encoder stays within the limits it was given (SPEC.md §7.4, §9.3): whatever it writes, a
//! decoder with the same limits reads back; what it cannot write that way, it refuses.

mod common;

use streamline::{ErrorKind, Limits, Window};

fn get(headers: &[String]) -> Vec<u8> {
    let mut out = b"GET / HTTP/1.1\r\n".to_vec();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn round_trip(plain: &[u8], limits: Limits, window: Window) -> Result<(), ErrorKind> {
    let compact = common::encode_with(plain, limits, window).map_err(|e| e.kind().clone())?;
    let mut src = bytes::BytesMut::from(&compact[..]);
    let mut decoder = streamline::Decoder::with_limits(limits);
    let mut out = Vec::new();
    while let Some(r) = decoder.decode_eof(&mut src).unwrap() {
        r.write_http1(&mut out);
    }
    assert_eq!(out, common::canonical(plain).unwrap());
    Ok(())
}

/// An `H:` line is two bytes longer than its field line: a field line that fits `max_line` in
/// plain form may not in compact form, and the encoder must refuse it rather than write it.
#[test]
fn refuses_lines_past_max_line() {
    let limits = Limits::default().max_line(20);
    let plain = get(&["X: 123456789012345".to_string()]);
    assert!(common::canonical(&plain).is_ok());
    assert_eq!(
        round_trip(&plain, limits, Window::default()),
        Err(ErrorKind::Unencodable("a line would pass the max_line limit"))
    );
    assert_eq!(round_trip(&plain, Limits::default().max_line(22), Window::default()), Ok(()));
}

/// Registers saved for later requests must leave room for the current state: a register
/// holding `A` (with its overhead, 669 bytes) and the 812-byte head do not fit, so the root is
/// saved instead (269 bytes).
#[test]
fn saves_fit_the_state_limit() {
    let line = |c: char| format!("{c}: {}", "x".repeat(397));
    let plain = [get(&[line('A'), line('B')]), get(&[line('A'), line('C')])].concat();
    let limits = Limits::default().max_state_bytes(1000 + Limits::REGISTER_OVERHEAD);
    for window in [Window::default(), Window { requests: 0, bytes: 0 }] {
        assert_eq!(round_trip(&plain, limits, window), Ok(()));
    }
}

/// With one register, a root (saved before any header line) serves every later request.
#[test]
fn one_register_is_enough() {
    let plain =
        [get(&["A: 1".into(), "B: 2".into()]), get(&["A: 1".into(), "C: 3".into()]), get(&["X: 9".into()])].concat();
    for window in [Window::default(), Window { requests: 0, bytes: 0 }, Window { requests: 1, bytes: 1 << 20 }] {
        assert_eq!(round_trip(&plain, Limits::default().max_registers(1), window), Ok(()), "{window:?}");
    }
}

/// Many distinct header sets and few registers: least-recently-used replacement keeps working.
#[test]
fn few_registers_many_header_sets() {
    let plain = streamline_traffic::browse(400, 9);
    for registers in [1, 2, 4] {
        for window in [Window::default(), Window { requests: 0, bytes: 0 }] {
            let limits = Limits::default().max_registers(registers);
            assert_eq!(round_trip(&plain, limits, window), Ok(()), "{registers} registers, {window:?}");
        }
    }
}

/// Changing a long method to a short one and a short base to a long one: the method goes
/// first, so the decoder's state never passes the larger of its sizes before and after.
#[test]
fn state_never_peaks_mid_plan() {
    let plain = [
        b"VERYLONGMETHODXXXXX / HTTP/1.1\r\n\r\n".to_vec(),
        format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20)).into_bytes(),
    ]
    .concat();
    for window in [Window::default(), Window { requests: 0, bytes: 0 }] {
        assert_eq!(round_trip(&plain, Limits::default().max_state_bytes(40), window), Ok(()), "{window:?}");
    }
}

/// The decoder holds the plain request-line to max_line; the encoder refuses a head (built by
/// hand: the plain reader would refuse it too) whose request-line would not fit.
#[test]
fn refuses_request_lines_past_max_line() {
    use streamline::{Encoder, Framing, Head, Headers, Request, Version};
    let target = format!("/{}", "t".repeat(84));
    let head = Head::new("METHOD1234".into(), target.into(), Version::HTTP_11, Headers::new(), Framing::None).unwrap();
    let req = Request::new(head, Default::default()).unwrap();
    let err = Encoder::with_limits(Limits::default().max_line(100)).encode(&req, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unencodable("a line would pass the max_line limit"));
    let mut out = Vec::new();
    Encoder::with_limits(Limits::default().max_line(107)).encode(&req, &mut out).unwrap();
    let mut src = bytes::BytesMut::from(&out[..]);
    let back = streamline::Decoder::with_limits(Limits::default().max_line(107)).decode_eof(&mut src).unwrap();
    assert_eq!(back, Some(req));
}

/// A head is valid by construction: chunked framing needs HTTP/1.1 or later.
#[test]
fn heads_refuse_chunked_before_http11() {
    use streamline::{Framing, Head, Headers, Version};
    let head = Head::new("POST".into(), "/".into(), Version::HTTP_10, Headers::new(), Framing::Chunked);
    assert_eq!(head.unwrap_err().kind(), &ErrorKind::ChunkedBeforeHttp11("HTTP/1.0".into()));
}

/// A repeat of the last head takes the steady path only if its framing line fits `max_line`
/// as well: the chunked one (28 bytes with CRLF) does not fit 20, whatever came before.
#[test]
fn repeated_head_refuses_framing_past_max_line() {
    use streamline::{Encoder, Framing, Head, Headers, Version};
    let head = Head::new("GET".into(), "/".into(), Version::HTTP_11, Headers::new(), Framing::None).unwrap();
    let mut encoder = Encoder::with_limits(Limits::default().max_line(20));
    let mut out = Vec::new();
    encoder.encode_head(&head, &[], false, &mut out).unwrap();
    let err = encoder.encode_head(&head.with_framing(Framing::Chunked), &[], false, &mut out).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unencodable("a line would pass the max_line limit"));
    assert_eq!(err.request(), Some(2));
}

/// A head equal in content to the last one takes the steady fast path whether it is the same
/// `Head` or one built afresh: the bytes are the same as for reused heads, and as planned by an
/// encoder with other limits (`max_line` under 40 makes the fast path check the framing line).
/// The feed mixes heads that differ from the last by one byte (method, target, a header value,
/// the version, at the same lengths), a longer target, and every framing.
#[test]
fn fresh_heads_encode_as_reused_heads() {
    use bytes::Bytes;
    use streamline::{Decoder, Encoder, Framing, Head, Headers, Request, Version};

    let kinds: [(&str, &str, Version, &[&str]); 7] = [
        ("POST", "/receiver", Version::HTTP_11, &["Host: a.example", "Content-Type: x/y"]),
        ("POST", "/receiver", Version::HTTP_11, &["Host: b.example", "Content-Type: x/y"]),
        ("POST", "/receivex", Version::HTTP_11, &["Host: a.example", "Content-Type: x/y"]),
        ("PUTS", "/receiver", Version::HTTP_11, &["Host: a.example", "Content-Type: x/y"]),
        ("POST", "/receiver", Version::HTTP_10, &["Host: a.example", "Content-Type: x/y"]),
        ("POST", "/receiver/2", Version::HTTP_11, &["Host: a.example", "Content-Type: x/y"]),
        ("POST", "/receiver", Version::HTTP_11, &[]),
    ];
    let fresh = |k: usize, framing: Framing| {
        let (method, target, version, lines) = kinds[k];
        let mut headers = Headers::new();
        for line in lines {
            headers.push(line.as_bytes()).unwrap();
        }
        let (method, target) = (Bytes::copy_from_slice(method.as_bytes()), Bytes::copy_from_slice(target.as_bytes()));
        Head::new(method, target, version, headers, framing).unwrap()
    };
    let shared: Vec<Head> = (0..kinds.len()).map(|k| fresh(k, Framing::None)).collect();
    // Runs of each kind, in a scrambled order, with the framing changing within a run.
    let mut feed = Vec::new();
    let mut x = 7u64;
    for _ in 0..400 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let kind = if x >> 62 == 0 { (x >> 40) as usize % kinds.len() } else { feed.last().map_or(0, |&(k, _)| k) };
        let framing = match (x >> 20) % 4 {
            0 => Framing::None,
            1 if kinds[kind].2 == Version::HTTP_11 => Framing::Chunked,
            n => Framing::Length(n * 3 + (x >> 30) % 5),
        };
        feed.push((kind, framing));
    }
    let body = |framing: Framing| match framing {
        Framing::None => Bytes::new(),
        Framing::Length(n) => Bytes::from(vec![b'q'; n as usize]),
        Framing::Chunked => Bytes::from_static(b"2\r\nhi\r\n0\r\n\r\n"),
        _ => unreachable!("request framings only"),
    };

    let (mut reused, mut fresh_out, mut other_limits) = (Vec::new(), Vec::new(), Vec::new());
    let (mut a, mut b) = (Encoder::new(), Encoder::new());
    let mut c = Encoder::with_limits(streamline::Limits::default().max_line(39));
    let mut requests = Vec::new();
    for &(kind, framing) in &feed {
        let head = shared[kind].with_framing(framing);
        a.encode_head(&head, &[], false, &mut reused).unwrap();
        reused.extend_from_slice(&body(framing));
        let head = fresh(kind, framing);
        b.encode_head(&head, &[], false, &mut fresh_out).unwrap();
        fresh_out.extend_from_slice(&body(framing));
        let request = Request::new(fresh(kind, framing), body(framing)).unwrap();
        c.encode(&request, &mut other_limits).unwrap();
        requests.push(request);
    }
    assert_eq!(fresh_out.escape_ascii().to_string(), reused.escape_ascii().to_string());
    assert_eq!(other_limits.escape_ascii().to_string(), reused.escape_ascii().to_string());
    let mut src = bytes::BytesMut::from(&reused[..]);
    let mut decoder = Decoder::new();
    let mut back = Vec::new();
    while let Some(request) = decoder.decode_eof(&mut src).unwrap() {
        back.push(request);
    }
    assert_eq!(back, requests);
    // Most requests repeat the head before them: the issuing line alone, with an empty suffix.
    let steady =
        reused.windows(4).filter(|&w| [b"\n+: ", b"\n-:\r", b"\n*:\r"].contains(&w.try_into().unwrap())).count();
    assert!(steady > 200, "only {steady} steady issuing lines");
}

/// `Limits::for_compact` leaves room for every opcode line (SPEC.md §7.4): what a plain reader
/// with those limits takes, an encoder with the full limits writes, at the worst: a field line
/// that fills the shorter `max_line` (its `H:` line 2 bytes longer), and a one-byte method
/// whose target fills the request-line, with a 19-digit Content-Length, the longest the plain
/// reader takes (`+:TARGET LEN`, 11 bytes longer than the request-line). One byte more and the plain reader refuses it.
#[test]
fn for_compact_leaves_room_for_every_opcode_line() {
    use streamline::{http1, Encoder, Event};
    for max_line in [64, 200, 4096, 65_536] {
        let limits = Limits::default().max_line(max_line);
        let reading = limits.for_compact();
        assert_eq!(reading.get_max_line(), max_line - Limits::COMPACT_LINE_GROWTH);
        let room = reading.get_max_line();
        let field = |n: usize| format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(n));
        let target = |n: usize| format!("A /{} HTTP/1.1\r\nContent-Length: 1000000000000000000\r\n\r\n", "t".repeat(n));
        // "X: " and CR LF around the value; "A /", " HTTP/1.1" and CR LF around the target.
        for (fits, longer) in [(field(room - 5), field(room - 4)), (target(room - 14), target(room - 13))] {
            let mut parser = http1::Parser::with_limits(reading);
            let read = parser.next_event(&mut bytes::BytesMut::from(fits.as_bytes()));
            let Ok(Some(Event::Head(head))) = read else {
                panic!("max_line {max_line}: the plain reader refuses {fits:?}: {read:?}")
            };
            let mut out = Vec::new();
            Encoder::with_limits(limits)
                .encode_head(&head, &[], false, &mut out)
                .unwrap_or_else(|e| panic!("max_line {max_line}: {e}"));
            let refused = http1::Parser::with_limits(reading).next_event(&mut bytes::BytesMut::from(longer.as_bytes()));
            assert!(
                matches!(&refused, Err(e) if matches!(e.kind(), ErrorKind::LineTooLong { .. })),
                "max_line {max_line}: {refused:?}"
            );
        }
    }
}
