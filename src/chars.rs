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
    s.iter().all(|&b| (0x21..=0x7e).contains(&b))
}

/// Bytes allowed in a field value: HTAB, SP, visible ASCII and obs-text (0x80–0xFF).
#[inline]
fn is_field_byte(b: u8) -> bool {
    (b == b'\t') | ((b >= 0x20) & (b != 0x7f))
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
pub(crate) fn check_field_line(line: &[u8]) -> Result<usize, ErrorKind> {
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
mod tests {
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

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"9999999999999999999"), Some(9_999_999_999_999_999_999));
        assert_eq!(parse_decimal(b"10000000000000000000"), None);
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(parse_decimal(b"1a"), None);
    }
}
