//! Finding one CRLF-terminated line at the front of a buffer, with the checks every line gets.

use crate::error::ErrorKind;

/// A complete line at the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    /// Length of the content, CRLF excluded.
    pub(crate) content: usize,
    /// Length with CRLF.
    pub(crate) total: usize,
}

/// Finds the first line of `buf`.
///
/// `Ok(None)` means the line is not complete yet (feed more). A line longer than `max_line`
/// bytes (CRLF included) is an error as soon as that many bytes are buffered, so an endless
/// line never grows the buffer past the limit. LF must follow CR; CR and NUL may not appear
/// inside the content.
#[inline]
pub(crate) fn next_line(buf: &[u8], max_line: usize) -> Result<Option<Line>, ErrorKind> {
    let window = buf.get(..max_line).unwrap_or(buf);
    let Some(lf) = memchr::memchr(b'\n', window) else {
        return if buf.len() >= max_line { Err(ErrorKind::LineTooLong { limit: max_line }) } else { Ok(None) };
    };
    let content = match lf.checked_sub(1) {
        Some(cr) if buf[cr] == b'\r' => cr,
        _ => return Err(ErrorKind::BareLf),
    };
    let bad = memchr::memchr2(b'\r', 0, &buf[..content]);
    if let Some(i) = bad {
        return Err(if buf[i] == 0 { ErrorKind::Nul } else { ErrorKind::StrayCr });
    }
    Ok(Some(Line { content, total: lf + 1 }))
}

/// Counts LF bytes, for line numbers in error positions. Message bodies rarely hold one, so a
/// single memchr usually settles it. (Measured against a word-at-a-time check and core's
/// `contains` on 66-byte bodies: memchr was cheapest.)
#[inline]
pub(crate) fn count_lf(bytes: &[u8]) -> u64 {
    match memchr::memchr(b'\n', bytes) {
        None => 0,
        Some(i) => 1 + memchr::memchr_iter(b'\n', &bytes[i + 1..]).count() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lf() {
        for len in 0..40 {
            for at in 0..len {
                let mut v = vec![b'a'; len];
                assert_eq!(count_lf(&v), 0);
                v[at] = b'\n';
                assert_eq!(count_lf(&v), 1, "len {len} at {at}");
                v[len - 1 - at] = b'\n';
                assert_eq!(count_lf(&v), if at == len - 1 - at { 1 } else { 2 });
            }
        }
        assert_eq!(count_lf(&[b'\n'; 300]), 300);
        assert_eq!(count_lf(&[0x8a, 0x0b, 0x09, 0x0a]), 1);
    }

    #[test]
    fn lines() {
        assert_eq!(next_line(b"ab\r\ncd", 64), Ok(Some(Line { content: 2, total: 4 })));
        assert_eq!(next_line(b"\r\n", 64), Ok(Some(Line { content: 0, total: 2 })));
        assert_eq!(next_line(b"ab\r", 64), Ok(None));
        assert_eq!(next_line(b"ab\n", 64), Err(ErrorKind::BareLf));
        assert_eq!(next_line(b"\n", 64), Err(ErrorKind::BareLf));
        assert_eq!(next_line(b"a\rb\r\n", 64), Err(ErrorKind::StrayCr));
        assert_eq!(next_line(b"a\0b\r\n", 64), Err(ErrorKind::Nul));
        assert_eq!(next_line(b"abcd\r\n", 6), Ok(Some(Line { content: 4, total: 6 })));
        assert_eq!(next_line(b"abcde\r\n", 6), Err(ErrorKind::LineTooLong { limit: 6 }));
        assert_eq!(next_line(b"abcdef", 6), Err(ErrorKind::LineTooLong { limit: 6 }));
        assert_eq!(next_line(b"abcde", 6), Ok(None));
    }
}
