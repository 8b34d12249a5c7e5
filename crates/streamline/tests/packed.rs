//! Packed lines (SPEC.md §4.11) and static lines (§4.12): a line in HPACK's Huffman code, or
//! named by its entry in the static list, reads as the line written out, whole or in pieces;
//! every way either can be wrong is refused where it stands; the encoder uses them only where
//! that is shorter, never for a stream's first line.
//!
//! Codes are made with httlib-huffman, another implementation than the library's; static
//! lines from the list in SPEC.md.

mod common;

use bytes::BytesMut;
use common::{decode_requests, encode_by, encode_with, read_sample, spec_static_lines, static_form, EDITING_START};
use proptest::prelude::*;
use streamline::{Decoder, Encoder, ErrorKind, Limits, Request, Response, ResponseDecoder, Window};

/// The Huffman code of `text`.
fn code_of(text: &[u8]) -> Vec<u8> {
    let mut code = Vec::new();
    httlib_huffman::encode(text, &mut code).unwrap();
    code
}

/// `~:LEN` CRLF and the code of `line` (without CRLF).
fn pack(line: &[u8]) -> Vec<u8> {
    let code = code_of(line);
    let mut out = format!("~:{}\r\n", code.len()).into_bytes();
    out.extend_from_slice(&code);
    out
}

/// `lines` (each without CRLF) with the ones at the `packed` indexes packed.
fn program(lines: &[&[u8]], packed: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if packed.contains(&i) {
            out.extend(pack(line));
        } else {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Requests until the end or an error, fed whole or in pieces of `piece` bytes.
fn read(input: &[u8], limits: Limits, piece: usize) -> (Vec<Request>, Option<streamline::Error>) {
    let mut decoder = Decoder::with_limits(limits);
    read_by(input, piece, |src, end| if end { decoder.decode_eof(src) } else { decoder.decode(src) })
}

/// Responses until the end or an error, fed whole or in pieces of `piece` bytes.
fn read_responses(input: &[u8], piece: usize) -> (Vec<Response>, Option<streamline::Error>) {
    let mut decoder = ResponseDecoder::new();
    read_by(input, piece, |src, end| if end { decoder.decode_eof(src) } else { decoder.decode(src) })
}

/// Messages from `next` (a decoder's `decode`, or its `decode_eof` once told the input has
/// ended) until the end or an error, fed whole or in pieces of `piece` bytes.
fn read_by<M>(
    input: &[u8],
    piece: usize,
    mut next: impl FnMut(&mut BytesMut, bool) -> Result<Option<M>, streamline::Error>,
) -> (Vec<M>, Option<streamline::Error>) {
    let mut src = BytesMut::new();
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        src.extend_from_slice(chunk);
        loop {
            match next(&mut src, false) {
                Ok(Some(message)) => out.push(message),
                Ok(None) => break,
                Err(err) => return (out, Some(err)),
            }
        }
    }
    loop {
        match next(&mut src, true) {
            Ok(Some(message)) => out.push(message),
            Ok(None) => return (out, None),
            Err(err) => return (out, Some(err)),
        }
    }
}

const LINES: &[&[u8]] = &[
    b"V:HTTP/1.1",
    b"M:POST",
    b"B:/orders/",
    b"H:Host: api.example.com",
    b"H:X-Request-Id: e01cf4a2-8ae6-439a-aa73-8798f9734f57",
    b"+:17 6",
    b"body",
    b"E:1 14 36 b5451d68-f5c6-4afd-a1cb-43be00d2819c",
    b"-:18?expand=lines",
];

#[test]
fn a_packed_line_reads_as_the_line_written_out() {
    let plain = program(LINES, &[]);
    let (want, err) = read(&plain, Limits::default(), plain.len());
    assert!(err.is_none());
    assert_eq!(want.len(), 2);
    // Every line but the first, alone and all together; the issuing line's body follows its
    // code.
    for packed in (1..LINES.len()).filter(|&i| i != 6).map(|i| vec![i]).chain([vec![1, 2, 3, 4, 5, 7, 8]]) {
        let input = program(LINES, &packed);
        for piece in [input.len(), 1, 2, 3, 7] {
            let (got, err) = read(&input, Limits::default(), piece);
            assert_eq!((&got, err.map(|e| e.to_string())), (&want, None), "lines {packed:?} in pieces of {piece}");
        }
    }
}

#[test]
fn line_numbers_count_the_lfs_in_a_code() {
    // A line whose code holds LF octets.
    let line = (0..2000u32)
        .map(|n| format!("H:X-{n}: {n:o}Az{n:x}~Q{n}").into_bytes())
        .find(|line| code_of(line).contains(&b'\n'))
        .expect("some code holds 0x0a");
    let mut input = program(&[b"V:HTTP/1.1"], &[]);
    input.extend(pack(&line));
    input.extend_from_slice(b"Q:\r\n");
    let lfs = 2 + code_of(&line).iter().filter(|&&b| b == b'\n').count() as u64;
    let (_, err) = read(&input, Limits::default(), input.len());
    let err = err.unwrap();
    assert_eq!(err.line(), Some(1 + lfs));
    assert_eq!(err.offset(), Some((input.len() - 4) as u64));
}

/// The error of `input` read whole: (requests before it, offset, line, message).
fn fault(input: &[u8], limits: Limits) -> (usize, u64, u64, String) {
    let (got, err) = read(input, limits, input.len());
    let err = err.unwrap_or_else(|| panic!("no error in {:?}", String::from_utf8_lossy(input)));
    // Read in pieces: the same error at the same place.
    let (got_split, err_split) = read(input, limits, 1);
    assert_eq!((got_split.len(), err_split.map(|e| e.to_string())), (got.len(), Some(err.to_string())));
    (got.len(), err.offset().unwrap(), err.line().unwrap(), err.kind().to_string())
}

const START: &[u8] = b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n-:\r\n";

fn after_start(rest: &[u8]) -> Vec<u8> {
    [START, rest].concat()
}

#[test]
fn every_fault_of_a_packed_line_is_refused_at_it() {
    let invalid = |why: &str, line: &str| format!("invalid packed line '{line}': {why}");
    let at = START.len() as u64;
    let bad_length = "expected '~:LEN', LEN 1 to max_line";
    for line in ["~:", "~:0", "~:01", "~:x", "~:1 ", "~:1234567890"] {
        let input = after_start(format!("{line}\r\nabc").as_bytes());
        assert_eq!(fault(&input, Limits::default()), (1, at, 5, invalid(bad_length, line)), "{line}");
    }
    // Longer than max_line.
    let input = after_start(b"~:101\r\n");
    assert_eq!(fault(&input, Limits::default().max_line(100)), (1, at, 5, invalid(bad_length, "~:101")));
    // The first line of a stream.
    let input = program(&[b"V:HTTP/1.1"], &[0]);
    let first = String::from_utf8_lossy(&input[..input.iter().position(|&b| b == b'\r').unwrap()]).into_owned();
    assert_eq!(fault(&input, Limits::default()), (0, 0, 1, invalid("a stream's first line is never packed", &first)));
    // EOS (30 ones) and two bits of padding.
    let input = after_start(b"~:4\r\n\xff\xff\xff\xff");
    assert_eq!(fault(&input, Limits::default()), (1, at, 5, invalid("the code holds EOS", "~:4")));
    // Padding of a whole octet; padding that is not ones.
    let padding = "the code ends in bits that are not EOS's first seven or fewer";
    for code in [&b"\x07\xff"[..], b"\x06"] {
        let input = after_start(&[format!("~:{}\r\n", code.len()).as_bytes(), code].concat());
        let line = format!("~:{}", code.len());
        assert_eq!(fault(&input, Limits::default()), (1, at, 5, invalid(padding, &line)), "{code:?}");
    }
    // A decoded line longer than max_line less its CRLF.
    let long = pack(b"H:X-Long: 0123456789012345678901234567890123456789");
    let input = after_start(&long);
    let line = String::from_utf8_lossy(&long[..long.iter().position(|&b| b == b'\r').unwrap()]).into_owned();
    let limits = Limits::default().max_line(50);
    assert_eq!(fault(&input, limits), (1, at, 5, invalid("the line it decodes to is longer than max_line", &line)));
    // ... and one that just fits (50 bytes with CRLF) is read.
    let fits = after_start(&pack(b"H:X-Long: 01234567890123456789012345678901234567"));
    assert!(read(&[fits, b"-:\r\n".to_vec()].concat(), limits, usize::MAX).1.is_none());
    // CR or LF inside; packed inside packed.
    for (inner, why) in [
        (&b"H:A: 1\r\nH:B: 2"[..], "the line it decodes to holds a CR or LF"),
        (b"H:A: 1\nx", "the line it decodes to holds a CR or LF"),
        (b"~:3\x01\x02\x03", "the line it decodes to is packed too"),
    ] {
        let packed = pack(inner);
        let line = String::from_utf8_lossy(&packed[..packed.iter().position(|&b| b == b'\r').unwrap()]).into_owned();
        assert_eq!(fault(&after_start(&packed), Limits::default()), (1, at, 5, invalid(why, &line)), "{inner:?}");
    }
    // The decoded line's own fault, at the packed line.
    let input = after_start(&pack(b"Q:unknown opcode"));
    let unknown = "unknown opcode 'Q' (expected one of V B M H > < - + * S R I D E U ~)";
    assert_eq!(fault(&input, Limits::default()), (1, at, 5, unknown.to_string()));
}

#[test]
fn a_stream_cut_inside_a_code_is_unexpected_eof() {
    let packed = pack(b"H:X-Request-Id: e01cf4a2-8ae6-439a-aa73-8798f9734f57");
    let cut = after_start(&packed[..packed.len() - 3]);
    assert_eq!(
        fault(&cut, Limits::default()),
        (1, START.len() as u64, 5, "input ends inside a packed line (3 bytes missing)".to_string())
    );
}

fn sessions() -> Vec<(String, Vec<u8>)> {
    let mut files = vec!["sessions/api-requests.http", "sessions/api-fetch.http", "sessions/browser.http"];
    files.extend(["browse-session.http", "chunked-upload.http", "get-pair.http", "opra-feed-1000.http"]);
    let mut out: Vec<_> = files.iter().map(|f| (f.to_string(), read_sample(f))).collect();
    let dir = format!("{}/../../samples/sessions/oneshot", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    out
}

/// The encoder with packing gives the same requests in fewer bytes (or as many, where no line
/// is long enough), whatever the window; a first line is never packed; the opra feed keeps
/// its 7-byte steady lines.
#[test]
fn the_encoder_packs_where_shorter_and_the_decoder_reads_it_back() {
    let limits = Limits::default();
    for window in [Window::default(), Window { requests: 0, bytes: 0 }] {
        for (name, plain) in sessions() {
            let text = encode_with(&plain, limits, window).unwrap();
            let packed = encode_by(&plain, limits, Encoder::with_limits(limits).packing(true), window).unwrap();
            assert!(packed.len() <= text.len(), "{name}: {} > {}", packed.len(), text.len());
            assert!(!packed.starts_with(b"~:"), "{name}");
            assert_eq!(decode_requests(&packed).unwrap(), decode_requests(&text).unwrap(), "{name}");
            if name.contains("api-") {
                assert!(packed.len() * 10 < text.len() * 9, "{name}: packing takes a tenth or more off");
            }
            if name.contains("opra") {
                let tail = &packed[packed.len() - 73..];
                assert!(tail.starts_with(b"+: 66\r\n"), "{name}: steady lines stay as they are");
            }
        }
    }
}

/// The text output's lines, each with the body that follows it (`+:` only: no chunked bodies).
fn lines_of(text: &[u8]) -> Vec<(&[u8], &[u8])> {
    let (mut out, mut at) = (Vec::new(), 0);
    while at < text.len() {
        let end = at + text[at..].windows(2).position(|w| w == b"\r\n").unwrap();
        let line = &text[at..end];
        at = end + 2;
        let body = match line.strip_prefix(b"+:") {
            Some(arg) => {
                let len: usize =
                    std::str::from_utf8(arg.rsplit(|&b| b == b' ').next().unwrap()).unwrap().parse().unwrap();
                at += len;
                &text[at - len..at]
            }
            None => &[][..],
        };
        out.push((line, body));
    }
    out
}

/// Packing changes lines, never plans: the packed output is the text output with each line
/// but the first in the shortest of its forms (as it is, static, SPEC.md §4.12, or either of
/// those packed, §4.11; the first of equals in that order), and the first request's `V:`
/// line after its base and method lines;
/// on the encoder's fast path (a plan that is its issuing line alone) as on its general one.
/// The static forms come from SPEC.md's list, every entry tried.
#[test]
fn packing_is_the_text_output_line_by_line() {
    let ids = ["e01cf4a2-8ae6-439a-aa73-8798f9734f57", "b5451d68-f5c6-4afd-a1cb-43be00d2819c", "3766fb17-ae3b-4282"];
    let fast: String = ids.iter().map(|id| format!("GET /v1/items/{id} HTTP/1.1\r\nHost: a\r\n\r\n")).collect();
    let limits = Limits::default();
    let list = spec_static_lines();
    let mut inputs: Vec<(String, Vec<u8>)> =
        sessions().into_iter().filter(|(name, _)| !name.contains("chunked")).collect();
    inputs.push(("fast path".into(), fast.into_bytes()));
    for (name, plain) in inputs {
        // Without editing, the second request is its issuing line alone.
        let encoder = Encoder::new().editing(name != "fast path");
        let text = encode_by(&plain, limits, encoder.clone(), Window::default()).unwrap();
        let packed = encode_by(&plain, limits, encoder.packing(true), Window::default()).unwrap();
        let mut lines = lines_of(&text);
        // The first request's `V:` line after the `B:` and `M:` lines that follow it.
        let moved = lines.iter().skip(1).take_while(|(l, _)| l.starts_with(b"B:") || l.starts_with(b"M:")).count();
        assert!(lines[0].0.starts_with(b"V:") && moved > 0, "{name}");
        lines[..=moved].rotate_left(1);
        let mut want = Vec::new();
        for (i, (line, body)) in lines.into_iter().enumerate() {
            // The line, its static form, each packed: the first of the shortest.
            let mut forms = vec![[line, b"\r\n"].concat()];
            if i > 0 {
                let stat = static_form(line, &list);
                forms.extend(stat.iter().map(|s| [&s[..], b"\r\n"].concat()));
                forms.push(pack(line));
                forms.extend(stat.iter().map(|s| pack(s)));
            }
            let shortest = forms.iter().map(Vec::len).min().unwrap();
            want.extend(forms.into_iter().find(|f| f.len() == shortest).unwrap());
            want.extend_from_slice(body);
        }
        assert_eq!(packed, want, "{name}");
        if name == "fast path" {
            // The second request was its issuing line alone, packed.
            let second = format!("-:{}\r\n-:{}\r\n", ids[0], ids[1]);
            assert!(String::from_utf8_lossy(&text).contains(&second), "{:?}", String::from_utf8_lossy(&text));
            let packed_second =
                [pack(format!("-:{}", ids[0]).as_bytes()), pack(format!("-:{}", ids[1]).as_bytes())].concat();
            assert!(packed.windows(packed_second.len()).any(|w| w == packed_second));
        }
    }
}

/// The editing programs of `common`, with any of their lines but the first static (SPEC.md
/// §4.12, where an entry fits), packed, or both: the same requests and the same error (its
/// kind; positions move with the bytes), whole or in pieces.
fn packed_program() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let masks = (proptest::collection::vec(any::<bool>(), 64), proptest::collection::vec(any::<bool>(), 64));
    (common::editing_ops(), masks).prop_map(|(ops, (packs, statics))| {
        let list = spec_static_lines();
        let form = |i: usize, line: &[u8]| {
            let line = match static_form(line, &list) {
                Some(form) if i > 0 && statics[i % 64] => form,
                _ => line.to_vec(),
            };
            if i > 0 && packs[i % 64] {
                pack(&line)
            } else {
                [&line[..], b"\r\n"].concat()
            }
        };
        let start: Vec<&[u8]> = EDITING_START.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        let (mut plain, mut packed) = (Vec::new(), Vec::new());
        for (i, line) in start.iter().enumerate() {
            let line = &line[..line.len() - 1];
            plain.extend_from_slice(line);
            plain.extend_from_slice(b"\r\n");
            packed.extend(form(i, line));
        }
        for (i, op) in ops.iter().enumerate() {
            let (line, rest) = op.split_once("\r\n").map_or((op.as_str(), None), |(l, r)| (l, Some(r)));
            let line = line.as_bytes();
            plain.extend_from_slice(op.as_bytes());
            plain.extend_from_slice(b"\r\n");
            packed.extend(form(start.len() + i, line));
            if let Some(rest) = rest {
                packed.extend_from_slice(rest.as_bytes());
                packed.extend_from_slice(b"\r\n");
            } else if line.starts_with(b"+:") || line.starts_with(b"*:") {
                unreachable!("bodies come with their line");
            }
        }
        (plain, packed)
    })
}

proptest! {
    #[test]
    fn packed_programs_read_as_written_out((plain, packed) in packed_program(), piece in 1usize..40) {
        let (want, want_err) = read(&plain, Limits::default(), plain.len());
        let want_err = want_err.map(|e| e.kind().clone());
        for (p, label) in [(packed.len(), "whole"), (piece, "in pieces")] {
            let (got, err) = read(&packed, Limits::default(), p);
            prop_assert_eq!(&got, &want, "{}", label);
            prop_assert_eq!(err.map(|e| e.kind().clone()), want_err.clone(), "{}", label);
        }
    }
}

/// SPEC.md §4.12: every entry of the list there, as a static line alone and with text after
/// it, packed or not, reads as the line written out, in the direction it belongs to; so the
/// library's list is the specification's, entry for entry.
#[test]
fn every_static_line_reads_as_the_line_written_out() {
    let list = spec_static_lines();
    assert_eq!(list.len(), 92);
    for (i, entry) in list.iter().enumerate() {
        let texts: &[&[u8]] = match () {
            _ if entry.ends_with(b": ") => &[b"v", b"a b, c"],
            _ if entry.starts_with(b"H:") => &[b"", b", x"],
            _ => &[b""],
        };
        for &text in texts {
            let line = [&entry[..], text].concat();
            let mut form = format!("~{i}").into_bytes();
            if !text.is_empty() {
                form.push(b' ');
                form.extend_from_slice(text);
            }
            let (written, forms) = if entry.starts_with(b"C:") {
                let program = |l: &[u8]| [&b"C:100 Continue\r\nV:HTTP/1.0\r\n"[..], l, b"-:\r\n"].concat();
                (program(&[&line[..], b"\r\n"].concat()), [form.clone(), pack(&form)].map(|f| program(&f_line(&f))))
            } else {
                // A method and a version no entry names, so that each entry changes the request.
                let program = |l: &[u8]| [&b"B:/\r\nM:X\r\nV:HTTP/1.0\r\n"[..], l, b"-:\r\n"].concat();
                (program(&[&line[..], b"\r\n"].concat()), [form.clone(), pack(&form)].map(|f| program(&f_line(&f))))
            };
            for input in forms {
                for piece in [input.len(), 1, 3] {
                    if entry.starts_with(b"C:") {
                        let (want, want_err) = read_responses(&written, written.len());
                        let (got, err) = read_responses(&input, piece);
                        assert!(want_err.is_none() && err.is_none() && want.len() == 1, "entry {i}: {err:?}");
                        assert_eq!(got, want, "entry {i}");
                    } else {
                        let (want, want_err) = read(&written, Limits::default(), written.len());
                        let (got, err) = read(&input, Limits::default(), piece);
                        assert!(want_err.is_none() && err.is_none() && want.len() == 1, "entry {i}: {err:?}");
                        assert_eq!(got, want, "entry {i}");
                    }
                }
            }
        }
    }
}

/// A line with its CRLF, unless it is packed (its code follows its `~:` line).
fn f_line(form: &[u8]) -> Vec<u8> {
    if form.starts_with(b"~:") {
        form.to_vec()
    } else {
        [form, b"\r\n"].concat()
    }
}

#[test]
fn every_fault_of_a_static_line_is_refused_at_it() {
    let invalid = |why: &str, line: &str| format!("invalid static line '{line}': {why}");
    let at = START.len() as u64;
    let shape = "expected '~INDEX' or '~INDEX TEXT', INDEX a number";
    for line in ["~", "~01", "~x", "~-1", "~ 1", "~1234567890", "~;3"] {
        let input = after_start(format!("{line}\r\n-:\r\n").as_bytes());
        assert_eq!(fault(&input, Limits::default()), (1, at, 5, invalid(shape, line)), "{line}");
    }
    let empty = "expected '~INDEX' or '~INDEX TEXT', TEXT not empty";
    assert_eq!(fault(&after_start(b"~1 \r\n"), Limits::default()), (1, at, 5, invalid(empty, "~1 ")));
    let range = "no such static line (there are 92, from 0 to 91)";
    for line in ["~92", "~123456789"] {
        let input = after_start(format!("{line}\r\n").as_bytes());
        assert_eq!(fault(&input, Limits::default()), (1, at, 5, invalid(range, line)), "{line}");
    }
    // The first line of a stream, written out; packed, the packed line's own rule refuses it.
    let first = "a stream's first line is never static";
    assert_eq!(fault(b"~0\r\nM:GET\r\n", Limits::default()), (0, 0, 1, invalid(first, "~0")));
    let packed_first = pack(b"~0");
    let line = String::from_utf8_lossy(&packed_first[..packed_first.iter().position(|&b| b == b'\r').unwrap()]);
    assert!(fault(&packed_first, Limits::default()).3.contains("a stream's first line is never packed"), "{line}");
    // Longer than max_line less its CRLF, where the line is shorter than that.
    let limits = Limits::default().max_line(30);
    let long = "~2 0123456789abcdef"; // H:User-Agent: + 16 = 30 bytes
    let too_long = "the line it stands for is longer than max_line";
    assert_eq!(fault(&after_start(format!("{long}\r\n").as_bytes()), limits), (1, at, 5, invalid(too_long, long)));
    let fits = after_start(b"~2 0123456789abcd\r\n-:\r\n");
    assert_eq!(read(&fits, limits, 1).0.len(), 2);
    // Packed, the same fault at the packed line.
    let packed = pack(long.as_bytes());
    let err = fault(&after_start(&packed), limits);
    assert_eq!((err.0, err.1, err.2, err.3), (1, at, 5, invalid(too_long, long)));
    // The line's own fault, at the static line: a response opcode in a request stream, a
    // header line with a bad value.
    let wrong = "wrong direction: 'C:' and '$:' are response opcodes; this is a request stream";
    assert_eq!(fault(&after_start(b"~62\r\n"), Limits::default()), (1, at, 5, wrong.to_string()));
    assert!(fault(&after_start(b"~1 a\x7fb\r\n"), Limits::default()).3.contains("header"));
    // A request opcode in a response stream.
    let (got, err) = read_responses(b"C:200 OK\r\nV:HTTP/1.1\r\n+: 0\r\n~55\r\n", 1);
    assert_eq!(got.len(), 1);
    let err = err.unwrap();
    assert_eq!((err.offset(), err.line()), (Some(28), Some(4)));
    assert!(matches!(err.kind(), ErrorKind::WrongDirection(_)), "{err}");
    // A response stream's first line must be `C:` (SPEC.md §13.1), static or not.
    let err = read_responses(b"~62\r\n", 1).1.unwrap();
    assert!(matches!(err.kind(), ErrorKind::WrongDirection(_)) && err.offset() == Some(0), "{err}");
}
