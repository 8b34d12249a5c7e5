//! Header editing (SPEC.md §4.10, §5.4, §9.5, §12): the opcodes, the table, their errors, the
//! rule that edits keep words whole, and the encoder's use of them.

mod common;
use common::*;

use bytes::BytesMut;
use proptest::prelude::*;
use streamline::{http1, Decoder, Encoder, ErrorKind, Limits, Lookahead, Window};

/// Decodes `compact` to plain bytes with `limits`, or the error with its line.
fn run(compact: &[u8], limits: Limits) -> Result<Vec<u8>, (ErrorKind, Option<u64>)> {
    let mut src = BytesMut::from(compact);
    let mut decoder = Decoder::with_limits(limits);
    let mut out = Vec::new();
    loop {
        match decoder.decode_eof(&mut src) {
            Ok(Some(req)) => req.write_http1(&mut out),
            Ok(None) => return Ok(out),
            Err(e) => return Err((e.kind().clone(), e.line())),
        }
    }
}

/// The plain requests a program decodes to before its end or its first error, and how many.
fn decoded_prefix(compact: &[u8]) -> (Vec<u8>, usize) {
    let mut src = BytesMut::from(compact);
    let mut decoder = Decoder::new();
    let (mut out, mut n) = (Vec::new(), 0);
    while let Ok(Some(req)) = decoder.decode_eof(&mut src) {
        req.write_http1(&mut out);
        n += 1;
    }
    (out, n)
}

fn lines(s: &str) -> Vec<u8> {
    s.replace('|', "\r\n").into_bytes()
}

/// SPEC.md §4.10: the worked example, byte for byte.
#[test]
fn spec_example() {
    let compact = lines(
        "V:HTTP/1.1|M:GET|B:/items/17/view|H:Host: a|H:Accept: */*|H:X-Id: 1234|-:|E:2 6 4 1235|U:7 2 18|-:|D:Accept|S:=1|-:|",
    );
    let expected = lines(concat!(
        "GET /items/17/view HTTP/1.1|Host: a|Accept: */*|X-Id: 1234||",
        "GET /items/18/view HTTP/1.1|Host: a|Accept: */*|X-Id: 1235||",
        "GET /items/18/view HTTP/1.1|Host: a|X-Id: 1234||",
    ));
    assert_eq!(
        String::from_utf8(run(&compact, Limits::default()).unwrap()).unwrap(),
        String::from_utf8(expected).unwrap()
    );
}

/// SPEC.md §8.2: every error class an editing line can meet, at its line.
#[test]
fn errors_at_their_line() {
    let start = "V:HTTP/1.1|M:GET|B:/a|H:Host: a|H:X-Id: 1234|-:|";
    let err = |tail: &str, limits: Limits| run(&lines(&format!("{start}{tail}|")), limits).unwrap_err();
    let d = Limits::default();
    let edit = |tail: &str| match err(tail, d) {
        (ErrorKind::InvalidEdit { why, .. }, Some(7)) => why,
        other => panic!("{tail}: {other:?}"),
    };
    assert_eq!(edit("E:1 9 1 5"), "cuts a run of letters and digits (edits keep words whole)");
    assert_eq!(edit("E:1 6 1 5"), "cuts a run of letters and digits (edits keep words whole)");
    assert_eq!(edit("E:1 10 0 5"), "cuts a run of letters and digits (edits keep words whole)");
    assert_eq!(edit("E:1 2 1 y"), "into the field name");
    assert_eq!(edit("E:1 6 9"), "past the end");
    assert_eq!(edit("U:2 0 b"), "cuts a run of letters and digits (edits keep words whole)");
    assert_eq!(edit("U:0 3"), "past the end");
    assert_eq!(edit("D:0 0"), "expected 'D:SELECTOR' or 'D:SELECTOR COUNT'");
    assert_eq!(edit("D:01"), "expected 'D:SELECTOR' or 'D:SELECTOR COUNT'");
    assert_eq!(edit("E:1 6"), "expected 'E:SELECTOR AT LEN' or 'E:SELECTOR AT LEN TEXT'");
    assert_eq!(edit("R:1"), "expected 'R:SELECTOR FIELD-LINE' or 'R:SELECTOR =INDEX'");
    assert_eq!(edit("I:x/y Z: 1"), "expected 'I:SELECTOR FIELD-LINE' or 'I:SELECTOR =INDEX'");
    assert_eq!(edit("H:=x"), "expected 'H:=INDEX'");
    assert_eq!(edit("S:=1234567890"), "expected 'S:FIELD-LINE' or 'S:=INDEX'");
    assert_eq!(edit("U:1 1 a b"), "text with a byte a field line or base may not hold");
    assert!(matches!(err("D:2", d), (ErrorKind::NoSuchHeader(_), Some(7))));
    assert!(matches!(err("D:Cookie", d), (ErrorKind::NoSuchHeader(_), Some(7))));
    assert!(matches!(err("D:1 2", d), (ErrorKind::NoSuchHeader(_), Some(7))));
    assert!(matches!(err("I:3 A: 1", d), (ErrorKind::NoSuchHeader(_), Some(7))));
    assert_eq!(err("S:=2", d), (ErrorKind::UnknownEntry { index: 2, held: 2 }, Some(7)));
    assert_eq!(err("H:=0", d.table_bytes(0)), (ErrorKind::UnknownEntry { index: 0, held: 0 }, Some(7)));
    assert!(matches!(err("S:Content-Length: 1", d), (ErrorKind::FramingHeader(_), Some(7))));
    assert!(matches!(err("R:0 A : 1", d), (ErrorKind::WhitespaceBeforeColon(_), Some(7))));
    assert_eq!(err("I:0 A: 1", d.max_headers(2)), (ErrorKind::TooManyHeaders { limit: 2 }, Some(7)));
    assert_eq!(
        err("E:0 6 1 bbbbbbbbbbbbbbbbbbbb", d.max_state_bytes(40)),
        (ErrorKind::StateTooLarge { limit: 40 }, Some(7))
    );
    assert_eq!(
        err("U:1 1 aaaaaaaaaaaaaaaaaaaaaaaaaaa", d.max_state_bytes(40)),
        (ErrorKind::StateTooLarge { limit: 40 }, Some(7))
    );
    // The line an edit makes fits `max_line` with its CR LF, as written out (§4.10): 36
    // bytes grown by 2 fit 40, by 3 not, though the `E:` line itself is short.
    let long = format!("V:HTTP/1.1|M:GET|B:/a|H:Host: a|H:X-Id: {}|-:|", "1".repeat(30));
    let forty = d.max_line(40);
    assert!(run(&lines(&format!("{long}E:1 36 0 ;b|-:|")), forty).is_ok());
    assert_eq!(
        run(&lines(&format!("{long}E:1 36 0 ;bc|-:|")), forty).unwrap_err(),
        (ErrorKind::LineTooLong { limit: 40 }, Some(7))
    );
    // An old decoder's view: editing opcodes are unknown to version 1, and fail closed.
    assert!(matches!(err("Q:0", d), (ErrorKind::UnknownOpcode(_), Some(7))));
}

/// SPEC.md §5.4: lines enter the table at the issue that sends them, oldest leave first,
/// and a line bigger than the table never enters.
#[test]
fn table_entries_and_eviction() {
    // Room for two lines of four bytes (36 each).
    let limits = Limits::default().table_bytes(72);
    let ok = |s: &str| run(&lines(s), limits).map(|p| String::from_utf8(p).unwrap());
    let start = "V:HTTP/1.1|M:GET|B:/|";
    // Waiting lines are not in the table before the issue.
    assert_eq!(ok(&format!("{start}H:A: 1|H:=0|")).unwrap_err().0, ErrorKind::UnknownEntry { index: 0, held: 0 });
    let got = ok(&format!("{start}H:A: 1|H:B: 2|-:|D:0 2|H:=1|H:=0|-:|")).unwrap();
    assert!(got.ends_with("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n"), "{got}");
    // A third line evicts the oldest.
    let got = ok(&format!("{start}H:A: 1|H:B: 2|-:|H:C: 3|-:|D:0 3|H:=0|H:=1|-:|")).unwrap();
    assert!(got.ends_with("GET / HTTP/1.1\r\nC: 3\r\nB: 2\r\n\r\n"), "{got}");
    let err = ok(&format!("{start}H:A: 1|H:B: 2|-:|H:C: 3|-:|H:=2|")).unwrap_err();
    assert_eq!(err.0, ErrorKind::UnknownEntry { index: 2, held: 2 });
    // A line over the table's size does not enter, nor push anything out.
    let big = "X: ".to_string() + &"b".repeat(40);
    let err = ok(&format!("{start}H:A: 1|-:|H:{big}|-:|H:=1|")).unwrap_err();
    assert_eq!(err.0, ErrorKind::UnknownEntry { index: 1, held: 1 });
    // Registers do not hold the table.
    let got = ok(&format!("{start}>:r|H:A: 1|-:|<:r|H:=0|-:|")).unwrap();
    assert!(got.ends_with("GET / HTTP/1.1\r\nA: 1\r\n\r\n"), "{got}");
}

/// Encodes `plain` with `encoder`, a window of `window` requests.
fn encode_using(plain: &[u8], encoder: Encoder, window: usize) -> Vec<u8> {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::new();
    let mut enc = Lookahead::new(encoder, Window { requests: window, ..Window::default() });
    let mut out = Vec::new();
    while let Some(event) = parser.next_event_eof(&mut src).unwrap() {
        enc.encode(event, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    out
}

/// SPEC.md §12, SECURITY.md: a sensitive field is never edited in part, however little of it
/// changes; the same stream with no field sensitive is (so the check can fail).
#[test]
fn sensitive_fields_are_never_edited_in_part() {
    let mut plain = Vec::new();
    for i in 0..20 {
        let token = format!("eyJhbGciOi.{:04}-{}", 1000 + i, "x".repeat(30));
        plain.extend_from_slice(
            format!("GET /api HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {token}\r\nProxy-Authorization: Basic {token}\r\n\r\n")
                .as_bytes(),
        );
    }
    for window in [0, 1024] {
        let guarded = encode_using(&plain, Encoder::new(), window);
        assert!(!guarded.windows(3).any(|w| w == b"\nE:"), "{}", String::from_utf8_lossy(&guarded));
        assert_eq!(decode(&guarded).unwrap(), canonical(&plain).unwrap());
        let open = encode_using(&plain, Encoder::new().sensitive::<&str>([]), window);
        assert!(open.windows(3).any(|w| w == b"\nE:"), "{}", String::from_utf8_lossy(&open));
        assert!(open.len() < guarded.len());
        // Cookie values are edited word by word unless Cookie is named sensitive too.
        let mut cookies = Vec::new();
        for i in 0..20 {
            cookies.extend_from_slice(
                format!("GET / HTTP/1.1\r\nHost: a\r\nCookie: sid=s3cr3t{i:02}; theme=dark\r\n\r\n").as_bytes(),
            );
        }
        assert!(encode_using(&cookies, Encoder::new(), window).windows(3).any(|w| w == b"\nE:"));
        let guarded = Encoder::new().sensitive(["Authorization", "proxy-authorization", "COOKIE"]);
        let out = encode_using(&cookies, guarded, window);
        assert!(!out.windows(3).any(|w| w == b"\nE:"), "{}", String::from_utf8_lossy(&out));
        assert_eq!(decode(&out).unwrap(), canonical(&cookies).unwrap());
    }
}

/// SPEC.md §9.5: with editing off the encoder writes version 1 opcodes only.
#[test]
fn editing_off_writes_version_one() {
    let plain = read_sample("browse-session.http");
    let v1 = encode_using(&plain, Encoder::new().editing(false), 1024);
    for line in v1.split(|&b| b == b'\n') {
        if line.len() > 1 && line[1] == b':' {
            assert!(b"VBMH><-+*".contains(&line[0]), "{}", String::from_utf8_lossy(line));
            assert!(!line.starts_with(b"H:="));
        }
    }
    assert_eq!(decode(&v1).unwrap(), plain);
    assert!(encode_using(&plain, Encoder::new(), 1024).len() * 3 < v1.len());
}

/// SPEC.md §9.5: live (window 0), every sample of ten requests or more costs no more than
/// its plain form, and decodes back to it.
#[test]
fn live_encoding_never_exceeds_plain() {
    for name in ["browse-session", "chunked-upload", "post-someurl-x100", "opra-feed-1000"] {
        let plain = read_sample(&format!("{name}.http"));
        let live = encode_using(&plain, Encoder::new(), 0);
        assert!(live.len() <= plain.len(), "{name}: {} > {}", live.len(), plain.len());
        assert_eq!(decode(&live).unwrap(), canonical(&plain).unwrap(), "{name}");
    }
}

/// Edits replace whole words: a splice is accepted exactly when neither of its ends falls
/// between two letters or digits, in the old text or the new (SPEC.md §4.10).
fn cuts_a_word(old: &[u8], at: usize, len: usize, text: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric();
    let splits = |s: &[u8], i: usize| i > 0 && i < s.len() && word(s[i - 1]) && word(s[i]);
    let new = [&old[..at], text, &old[at + len..]].concat();
    splits(old, at) || splits(old, at + len) || splits(&new, at) || splits(&new, at + text.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn splices_keep_words_whole(
        value in "[a-c0-2 ;=-]{0,12}",
        at in 0usize..16,
        len in 0usize..6,
        text in "[a-c0-2 -]{0,4}",
    ) {
        let line = format!("X: {value}");
        let head = format!("V:HTTP/1.1|M:GET|B:/|H:{line}|");
        let mut compact = lines(&head);
        let text_arg = if text.is_empty() { String::new() } else { format!(" {text}") };
        compact.extend_from_slice(format!("E:0 {at} {len}{text_arg}\r\n-:\r\n").as_bytes());
        let got = run(&compact, Limits::default());
        // After the name and colon, within the line.
        let fits = at >= 2 && at + len <= line.len();
        let expected_ok = fits && !cuts_a_word(line.as_bytes(), at, len, text.as_bytes());
        prop_assert_eq!(got.is_ok(), expected_ok, "{:?} {} {} {:?}: {:?}", line, at, len, text, got);
    }

    /// Random programs with every editing opcode: decode (up to an error), encode what they
    /// gave (live and with a window), decode again: the same requests.
    #[test]
    fn programs_round_trip(program in editing_program()) {
        let (plain, n) = decoded_prefix(&program);
        prop_assume!(n > 0);
        for window in [0, 3, 1024] {
            let compact = encode_using(&plain, Encoder::new(), window);
            prop_assert_eq!(decode(&compact).unwrap(), plain.clone());
        }
    }
}

/// SPEC.md §7.4, §9.5: an edit line is a few bytes longer than the `H:` line of the same
/// field line; where it would pass `max_line`, the encoder deletes and appends instead, so a
/// decoder with the same limits reads every line. (Found by the `refusal` fuzz target.)
#[test]
fn edit_lines_stay_within_max_line() {
    // 35 bytes, its `H:` line 39; another name each time, so it cannot be edited in place and
    // `R:1 LINE` or `I:1 LINE` would be 41.
    let long = |c: char| format!("{c}-Long: {}", c.to_string().repeat(27));
    let mut plain = Vec::new();
    for c in ['a', 'b', 'c'] {
        plain.extend_from_slice(format!("GET /q HTTP/1.1\r\nA: 1\r\n{}\r\nZ: 2\r\n\r\n", long(c)).as_bytes());
    }
    let limits = Limits::default().max_line(40);
    for window in [Window { requests: 0, bytes: 0 }, Window::default()] {
        let compact = encode_with(&plain, limits, window).unwrap();
        assert!(compact.split(|&b| b == b'\n').all(|l| l.len() < 40), "{}", String::from_utf8_lossy(&compact));
        let mut src = BytesMut::from(&compact[..]);
        let mut decoder = Decoder::with_limits(limits);
        let mut out = Vec::new();
        while let Some(req) = decoder.decode_eof(&mut src).unwrap() {
            req.write_http1(&mut out);
        }
        assert_eq!(out, canonical(&plain).unwrap());
    }
}

/// SPEC.md §9.5 ("Registers"): with editing any list is reached from any other, so the encoder refuses no
/// request whose head fits the state limit. The templates it saves for kinds of request that
/// come back hold up to half the limit; a head bigger than the other half was refused ("no
/// register holds a prefix of the request's header lines") once a template stood beside it.
/// Now the registers are made small first (`D:0 N`, then `>:` over the largest). Live and
/// with the default window, at every limit from 1,500 bytes up (the browser session's
/// largest head fits from there), the whole session is encoded and decodes, with that limit,
/// to the same requests.
#[test]
fn no_head_that_fits_the_state_limit_is_refused() {
    let plain = read_sample("sessions/browser.http");
    let want = parse_plain(&plain).unwrap();
    for max in (1500..=3000).step_by(50) {
        let limits = Limits::default().max_state_bytes(max);
        for window in [Window { requests: 0, bytes: 0 }, Window::default()] {
            let compact = encode_with(&plain, limits, window).unwrap_or_else(|e| panic!("{max}, {window:?}: {e}"));
            assert_eq!(decode_requests_with(&compact, limits).unwrap(), want, "{max}, {window:?}");
        }
    }
}
