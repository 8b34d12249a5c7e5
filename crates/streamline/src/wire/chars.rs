//! Byte classes and field-line checks shared by the compact and the plain syntax (RFC 9110 §5).

use crate::error::{escape, ErrorKind};

/// `tchar` of RFC 9110 §5.6.2: the bytes of a token (method, field name).
const fn tchar_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        b += 1;
    }
    t
}

static TCHAR: [bool; 256] = tchar_table();

/// Is `b` a token character?
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Is `s` a non-empty token?
#[inline]
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Visible ASCII, 0x21–0x7E: the bytes allowed in a target, base, suffix or register name.
#[inline]
pub(crate) fn is_visible(s: &[u8]) -> bool {
    no_byte_in(s, b'a', not_visible)
}

/// Bytes allowed in a field value: HTAB, SP, visible ASCII and obs-text (0x80–0xFF).
#[inline]
pub(crate) fn is_field_byte(b: u8) -> bool {
    (b == b'\t') | ((b >= 0x20) & (b != 0x7f))
}

/// A reason phrase: `*( HTAB / SP / VCHAR / obs-text )` (RFC 9112 §4), the bytes of a field
/// value.
#[inline]
pub(crate) fn is_reason(s: &[u8]) -> bool {
    is_field_value(s)
}

/// Is every byte of `s` a field-value byte? A value without control bytes (HTAB is one) is
/// settled eight bytes at a time; only one with a control byte is looked at byte by byte.
#[inline]
fn is_field_value(s: &[u8]) -> bool {
    no_byte_in(s, b'a', control) || s.iter().all(|&b| is_field_byte(b))
}

// Byte classes eight bytes at a time. A `u64` holds eight bytes (little-endian: the first byte
// is the lowest), and a class test sets the high bit (0x80) of each byte of its result whose
// input byte is in the class, and no other bit. The tests add only to the low seven bits of
// each byte (`low` below), where the sum stays under 0x100, so no carry crosses into the next
// byte: each byte's mark is exact on its own, and a result may be masked or searched freely.

/// 0x01 in every byte.
pub(crate) const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// 0x7F in every byte.
const LOW7: u64 = u64::from_le_bytes([0x7f; 8]);
/// 0x80 in every byte.
pub(crate) const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// Eight bytes as one word, the first byte lowest.
#[inline]
pub(crate) fn word(bytes: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*bytes)
}

/// Marks the control bytes: 0x00–0x1F and DEL (0x7F).
#[inline]
const fn control(w: u64) -> u64 {
    let low = w & LOW7;
    // High bit clear, and `low` below 0x20 (`low + 0x60` stays under 0x80) or 0x7F (the only
    // `low` that reaches 0x80 when one is added).
    (!(low + ONES * 0x60) | (low + ONES)) & !w & HIGH
}

/// Marks the bytes outside 0x21–0x7E.
#[inline]
const fn not_visible(w: u64) -> u64 {
    let low = w & LOW7;
    // High bit set, or `low` below 0x21 (`low + 0x5F` stays under 0x80) or 0x7F.
    (!(low + ONES * 0x5f) | (low + ONES) | w) & HIGH
}

/// Marks the bytes other than ASCII letters, digits and `-`.
#[inline]
const fn not_alnum_dash(w: u64) -> u64 {
    let low = w & LOW7;
    // Setting 0x20 folds the upper-case letters onto the lower-case ones (0x61–0x7A), and the
    // bytes either side of 0x41–0x5A onto bytes either side of 0x61–0x7A.
    let lower = low | (ONES * 0x20);
    let letter = (lower + ONES * (0x80 - 0x61)) & !(lower + ONES * (0x80 - 0x7b));
    let digit = (low + ONES * (0x80 - 0x30)) & !(low + ONES * (0x80 - 0x3a));
    let dash = !((low ^ (ONES * b'-' as u64)) + LOW7);
    (!(letter | digit | dash) | w) & HIGH
}

/// The bytes of `s` (fewer than eight) as a word, the first byte lowest, the rest `pad`.
#[inline]
fn short_word(s: &[u8], pad: u8) -> u64 {
    s.iter().rev().fold(ONES * u64::from(pad), |w, &b| (w << 8) | u64::from(b))
}

/// Does no byte of `s` fall in the class `marks` tests? `pad`, which must be outside the
/// class, fills the word of an input shorter than eight bytes; a longer input's last word
/// overlaps the one before it.
#[inline]
fn no_byte_in(s: &[u8], pad: u8, marks: impl Fn(u64) -> u64) -> bool {
    let Some(last) = s.last_chunk::<8>() else {
        return marks(short_word(s, pad)) == 0;
    };
    // No early exit, so the compiler can check several words at a time in a long input.
    s.as_chunks::<8>().0.iter().fold(marks(word(last)), |m, w| m | marks(word(w))) == 0
}

/// Length of the common prefix of two byte strings, eight bytes at a time.
pub(crate) fn common_prefix(x: &[u8], y: &[u8]) -> usize {
    let mut at = 0;
    for (p, q) in x.as_chunks::<8>().0.iter().zip(y.as_chunks::<8>().0) {
        let diff = word(p) ^ word(q);
        if diff != 0 {
            return at + (diff.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + x[at..].iter().zip(&y[at..]).take_while(|(p, q)| p == q).count()
}

/// Which framing field, if any, a field name is (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FramingName {
    ContentLength,
    TransferEncoding,
}

/// Classifies a field name as a framing field or not.
#[inline]
pub(crate) fn framing_name(name: &[u8]) -> Option<FramingName> {
    if name.eq_ignore_ascii_case(b"content-length") {
        Some(FramingName::ContentLength)
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        Some(FramingName::TransferEncoding)
    } else {
        None
    }
}

/// Checks one field line (`field-name ":" field-value`, no CRLF) and returns the length of
/// its name.
///
/// Rejects a leading space or tab (obs-fold), whitespace before the colon, an empty or
/// non-token name, a missing colon, and control bytes other than HTAB in the value.
#[inline]
pub(crate) fn check_field_line(line: &[u8]) -> Result<usize, ErrorKind> {
    // A good line's name is every byte before the first non-token byte, which is the colon.
    let name = token_len(line);
    // The value's check may reach back over the name and colon, which hold no control byte,
    // to look at eight bytes at least.
    let value_check = (name + 1).min(line.len().saturating_sub(8));
    if name > 0 && line.get(name) == Some(&b':') && is_field_value(&line[value_check..]) {
        return Ok(name);
    }
    field_line_error(line)
}

/// A whole, valid `H:` line at the front of `src` that is no framing field, found in one
/// pass: the length of its content (CRLF excluded) and with CRLF. Anything else (another
/// opcode, a line that is bad or not complete, a value holding HTAB or another control byte,
/// a line past `max_line`) is `None` and goes the general way, line then opcode then field
/// checks, which accepts such a line exactly as this does and gives every error.
#[inline]
pub(crate) fn header_line(src: &[u8], max_line: usize) -> Option<(usize, usize)> {
    let line = src.strip_prefix(b"H:")?;
    let (name, content) = field_line(line, max_line.checked_sub(2)?)?;
    if framing_name(&line[..name]).is_some() {
        return None;
    }
    Some((2 + content, 2 + content + 2))
}

/// A whole, valid field line at the front of `src`, CRLF-terminated within `max_line` bytes,
/// found in one pass: the length of its name and of its content (CRLF excluded). `None` for
/// anything else, which [`crate::wire::line::next_line`] and [`check_field_line`] then accept
/// exactly as this does, or turn down with the error: a line that is bad or not complete, a
/// value holding HTAB or another control byte, a line past `max_line`.
#[inline]
pub(crate) fn field_line(src: &[u8], max_line: usize) -> Option<(usize, usize)> {
    let line = src.get(..max_line).unwrap_or(src);
    let name = token_len(line);
    if name == 0 || line.get(name) != Some(&b':') {
        return None;
    }
    // The first control byte after the colon must be the CR of the line's CRLF.
    let end = name + 1 + first_control(&line[name + 1..])?;
    if line.get(end..end + 2) != Some(b"\r\n") {
        return None;
    }
    Some((name, end))
}

/// Position of the first control byte (0x00–0x1F or DEL) in `s`, eight bytes at a time.
#[inline]
fn first_control(s: &[u8]) -> Option<usize> {
    let (words, tail) = s.as_chunks::<8>();
    for (i, w) in words.iter().enumerate() {
        let marks = control(word(w));
        if marks != 0 {
            return Some(8 * i + marks.trailing_zeros() as usize / 8);
        }
    }
    let marks = control(short_word(tail, b'a'));
    (marks != 0).then(|| 8 * words.len() + marks.trailing_zeros() as usize / 8)
}

/// Number of token characters at the front of `s`.
///
/// Most names are letters, digits and `-` only: those are passed over eight at a time, and
/// the table takes over at the first other byte.
#[inline]
fn token_len(s: &[u8]) -> usize {
    let (words, _) = s.as_chunks::<8>();
    let mut start = 8 * words.len();
    for (i, w) in words.iter().enumerate() {
        let others = not_alnum_dash(word(w));
        if others != 0 {
            start = 8 * i + others.trailing_zeros() as usize / 8;
            break;
        }
    }
    s[start..].iter().position(|&b| !is_tchar(b)).map_or(s.len(), |at| start + at)
}

/// [`check_field_line`] the slow way, for the error of a line the quick check turned down.
#[cold]
fn field_line_error(line: &[u8]) -> Result<usize, ErrorKind> {
    let bad = |why| ErrorKind::InvalidHeader { line: escape(line), why };
    match line.first() {
        None => return Err(bad("empty")),
        Some(b' ' | b'\t') => return Err(ErrorKind::ObsFold),
        Some(_) => {}
    }
    let colon = memchr::memchr(b':', line).ok_or_else(|| bad("no ':' after the field name"))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if let Some(last) = name.last() {
        if *last == b' ' || *last == b'\t' {
            return Err(ErrorKind::WhitespaceBeforeColon(escape(line)));
        }
    }
    if !is_token(name) {
        return Err(bad("field name is not a token"));
    }
    // No early exit, so the compiler can check many bytes at a time.
    if !value.iter().fold(true, |ok, &b| ok & is_field_byte(b)) {
        return Err(bad("control byte in field value"));
    }
    Ok(colon)
}

/// Trims optional whitespace (SP, HTAB) from both ends of a field value.
pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Parses a decimal number of at most 19 digits (so it always fits `u64`).
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn field_lines() {
        assert_eq!(check_field_line(b"Host: a"), Ok(4));
        assert_eq!(check_field_line(b"X-Empty:"), Ok(7));
        assert_eq!(check_field_line(b"X: caf\xc3\xa9\tok"), Ok(1));
        assert_eq!(check_field_line(b" Host: a"), Err(ErrorKind::ObsFold));
        assert!(matches!(check_field_line(b"Host : a"), Err(ErrorKind::WhitespaceBeforeColon(_))));
        assert!(matches!(check_field_line(b"Host"), Err(ErrorKind::InvalidHeader { .. })));
        assert!(matches!(check_field_line(b": a"), Err(ErrorKind::InvalidHeader { .. })));
        assert!(matches!(check_field_line(b"A(b): a"), Err(ErrorKind::InvalidHeader { .. })));
        assert!(matches!(check_field_line(b"A: a\x01"), Err(ErrorKind::InvalidHeader { .. })));
        assert!(matches!(check_field_line(b"A: a\x7f"), Err(ErrorKind::InvalidHeader { .. })));
    }

    /// Whatever `header_line` takes, the general path (line, then opcode and field checks)
    /// takes as the same `H:` line.
    #[test]
    fn header_line_agrees_with_the_general_path() {
        let mut taken = 0;
        let mut check = |src: &[u8]| {
            for max_line in [8, 12, 24, 64] {
                if let Some((content, total)) = header_line(src, max_line) {
                    taken += 1;
                    let line = crate::wire::line::next_line(src, max_line);
                    assert_eq!(line, Ok(Some(crate::wire::line::Line { content, total })), "{src:x?}");
                    let op = crate::compact::syntax::parse_op(&src[..content]);
                    assert_eq!(op, Ok(crate::compact::op::Op::Header(&src[2..content])), "{src:x?}");
                }
            }
        };
        each_variant(b"H:Host: example.com\r\nH:", &mut check);
        each_variant(b"H:X-a:\r\n-:", &mut check);
        each_variant(b"H:content-length: 5\r\n", &mut check);
        each_variant(b"H:Transfer-Encoding:x\r\n", &mut check);
        each_short(b"aH:", |s| {
            let mut line = b"H:".to_vec();
            line.extend_from_slice(s);
            line.extend_from_slice(b"\r\n");
            check(&line);
        });
        assert!(taken > 10_000, "the fast path took only {taken} lines");
    }

    /// Whatever `field_line` takes, the general path (line, then field checks) takes as the
    /// same line with the same name.
    #[test]
    fn field_line_agrees_with_the_general_path() {
        let mut taken = 0;
        let mut check = |src: &[u8]| {
            for max_line in [0, 6, 10, 22, 64] {
                if let Some((name, content)) = field_line(src, max_line) {
                    taken += 1;
                    let line = crate::wire::line::next_line(src, max_line);
                    assert_eq!(line, Ok(Some(crate::wire::line::Line { content, total: content + 2 })), "{src:x?}");
                    assert_eq!(check_field_line(&src[..content]), Ok(name), "{src:x?}");
                }
            }
        };
        each_variant(b"Host: example.com\r\nA", &mut check);
        each_variant(b"X-a:\r\n\r\n", &mut check);
        each_short(b"a:", |s| {
            let mut line = s.to_vec();
            line.extend_from_slice(b"\r\n");
            check(&line);
        });
        assert!(taken > 10_000, "the fast path took only {taken} lines");
    }

    /// `base` with each byte value in turn at each position.
    pub(crate) fn each_variant(base: &[u8], mut check: impl FnMut(&[u8])) {
        let mut v = base.to_vec();
        check(&v);
        for at in 0..v.len() {
            for b in 0..=255 {
                v[at] = b;
                check(&v);
            }
            v[at] = base[at];
        }
    }

    /// Inputs of 0 to 40 bytes of each filler, with each byte value at each position.
    pub(crate) fn each_short(fillers: &[u8], mut check: impl FnMut(&[u8])) {
        for &fill in fillers {
            for len in 0..=40 {
                each_variant(&vec![fill; len], &mut check);
            }
        }
    }

    /// A word per byte of `bytes`: `marks(b)` as the byte's high bit.
    fn expected_marks(bytes: &[u8; 8], marks: fn(u8) -> bool) -> u64 {
        bytes.iter().enumerate().fold(0, |m, (i, &b)| m | (u64::from(marks(b)) << (8 * i + 7)))
    }

    #[test]
    fn word_classes() {
        type Class = (fn(u64) -> u64, fn(u8) -> bool);
        let classes: [Class; 3] = [
            (control, |b| b < 0x20 || b == 0x7f),
            (not_visible, |b| !(0x21..=0x7e).contains(&b)),
            (not_alnum_dash, |b| !(b.is_ascii_alphanumeric() || b == b'-')),
        ];
        for (marks, is_in) in classes {
            // Each byte value in each lane, beside each byte value in the other lanes.
            for lane in 0..8 {
                for b in 0..=255 {
                    for other in 0..=255 {
                        let mut bytes = [other; 8];
                        bytes[lane] = b;
                        assert_eq!(marks(word(&bytes)), expected_marks(&bytes, is_in), "{bytes:x?}");
                    }
                }
            }
            // Mixed words.
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            for _ in 0..100_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                assert_eq!(marks(x), expected_marks(&x.to_le_bytes(), is_in), "{x:x}");
            }
        }
    }

    #[test]
    fn short_words() {
        for len in 0..8 {
            let s: Vec<u8> = (1..=len as u8).collect();
            let mut bytes = [0xee; 8];
            bytes[..len].copy_from_slice(&s);
            assert_eq!(short_word(&s, 0xee), word(&bytes));
        }
    }

    #[test]
    fn byte_runs() {
        each_short(b"a \t\x80:", |s| {
            assert_eq!(is_visible(s), s.iter().all(|b| (0x21..=0x7e).contains(b)), "{s:x?}");
            assert_eq!(is_field_value(s), s.iter().all(|&b| is_field_byte(b)), "{s:x?}");
            assert_eq!(token_len(s), s.iter().take_while(|&&b| is_tchar(b)).count(), "{s:x?}");
        });
    }

    /// The quick check against the byte-by-byte one, which gives every error.
    #[test]
    fn field_line_paths() {
        let lines: [&[u8]; 8] = [
            b"Sec-Fetch-Mode: navigate",
            b"Cookie: session=910a2dec89025cc1; theme=dark",
            b"X:",
            b"a: b",
            b"Host: a",
            b"Accept-Language:en-GB,en;q=0.5\t",
            b"x_y.z~1: \x80\xff",
            b"Content-Length: 5",
        ];
        for line in lines {
            each_variant(line, |l| assert_eq!(check_field_line(l), field_line_error(l), "{l:x?}"));
        }
        each_short(b"a:", |l| assert_eq!(check_field_line(l), field_line_error(l), "{l:x?}"));
    }

    #[test]
    fn common_prefixes() {
        let base = b"/static/css/site.css?v=1234";
        each_variant(base, |s| {
            for other in [&base[..], &base[..5], &base[..20]] {
                let expected = s.iter().zip(other).take_while(|(p, q)| p == q).count();
                assert_eq!(common_prefix(s, other), expected, "{s:x?}");
                assert_eq!(common_prefix(other, s), expected, "{s:x?}");
            }
        });
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"9999999999999999999"), Some(9_999_999_999_999_999_999));
        assert_eq!(parse_decimal(b"10000000000000000000"), None);
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(parse_decimal(b"1a"), None);
    }
}
