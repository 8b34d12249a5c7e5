//! Finding one CRLF-terminated line at the front of a buffer, with the checks every line gets.

use crate::error::ErrorKind;
use crate::wire::chars;

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
    // One pass for the first CR, LF or NUL: on a good line, the CR of its CRLF.
    match find_break(window) {
        Some(cr) if window.get(cr..cr + 2) == Some(b"\r\n") => Ok(Some(Line { content: cr, total: cr + 2 })),
        Some(_) => line_error(buf, max_line),
        None if buf.len() >= max_line => Err(ErrorKind::LineTooLong { limit: max_line }),
        None => Ok(None),
    }
}

/// [`next_line`] the slow way, for a line whose first CR, LF or NUL does not end it: a bare
/// LF, a stray CR or NUL (each after the line's end is known), or a CR not followed yet.
#[cold]
fn line_error(buf: &[u8], max_line: usize) -> Result<Option<Line>, ErrorKind> {
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

/// Is `b` one of the bytes that end or spoil a line?
#[inline]
fn is_break(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0)
}

/// Position of the first CR, LF or NUL in `s`, eight bytes at a time: the bytes below 0x0E
/// of a word are marked at once and only those are looked at (most lines have none but the
/// CR of their CRLF). The loop takes two words a step, most lines being two to four words long.
#[inline]
fn find_break(s: &[u8]) -> Option<usize> {
    let (pairs, rest) = s.as_chunks::<16>();
    for (i, pair) in pairs.iter().enumerate() {
        let pair = u128::from_le_bytes(*pair);
        let (a, b) = (pair as u64, (pair >> 64) as u64);
        let (marked_a, marked_b) = (low_bytes(a), low_bytes(b));
        if marked_a | marked_b != 0 {
            if let Some(at) = first_break(a, marked_a).or_else(|| first_break(b, marked_b).map(|at| 8 + at)) {
                return Some(16 * i + at);
            }
        }
    }
    let mut checked = s.len() - rest.len();
    if let Some(w) = rest.first_chunk() {
        let w = chars::word(w);
        if let Some(at) = first_break(w, low_bytes(w)) {
            return Some(checked + at);
        }
        checked += 8;
    }
    match s.last_chunk() {
        _ if checked == s.len() => None,
        // The last eight bytes: those of them checked above hold no CR, LF or NUL.
        Some(last) => {
            let w = chars::word(last);
            first_break(w, low_bytes(w)).map(|at| s.len() - 8 + at)
        }
        None => s.iter().position(|&b| is_break(b)),
    }
}

/// Marks (high bit) every byte of `w` below 0x0E, CR, LF and NUL among them. The subtraction
/// borrows out of a marked byte, so a byte of 0x0E just above one may be marked too: a mark
/// is a byte to look at, not an answer.
#[inline]
fn low_bytes(w: u64) -> u64 {
    w.wrapping_sub(chars::ONES * 0x0e) & !w & chars::HIGH
}

/// The first of the marked bytes of `w` that is a CR, LF or NUL.
#[inline]
fn first_break(w: u64, mut marked: u64) -> Option<usize> {
    while marked != 0 {
        let at = marked.trailing_zeros() as usize / 8;
        if is_break((w >> (8 * at)) as u8) {
            return Some(at);
        }
        marked &= marked - 1;
    }
    None
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

    use crate::wire::chars::tests::{each_short, each_variant};

    #[test]
    fn low_byte_marks() {
        // Every byte below 0x0E is marked, and a marked byte is below 0x0E or is 0x0E with a
        // marked byte under it, for each pair of byte values in each pair of lanes.
        for lane in 0..7 {
            for lo in 0..=255 {
                for hi in 0..=255 {
                    let mut bytes = [b'a'; 8];
                    (bytes[lane], bytes[lane + 1]) = (lo, hi);
                    let marked = low_bytes(chars::word(&bytes));
                    for (i, &b) in bytes.iter().enumerate() {
                        let mark = marked >> (8 * i) & 0xff;
                        let under = i > 0 && marked >> (8 * i - 1) & 1 != 0;
                        assert!(mark == 0 || mark == 0x80, "{bytes:x?}");
                        if b < 0x0e {
                            assert_eq!(mark, 0x80, "{bytes:x?}");
                        } else if mark != 0 {
                            assert!(b == 0x0e && under, "{bytes:x?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn breaks() {
        each_short(b"a\t\x0e\x8e", |s| {
            assert_eq!(find_break(s), s.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0)), "{s:x?}");
        });
    }

    /// The quick path against the plain one (which gives every error) on lines of up to 40
    /// bytes, with each byte value at each position, under a few limits.
    #[test]
    fn line_paths() {
        let check = |buf: &[u8]| {
            for max_line in [1, 2, buf.len() / 2, buf.len(), 64] {
                assert_eq!(next_line(buf, max_line), line_error(buf, max_line), "{buf:x?} {max_line}");
            }
        };
        each_short(b"a\t", check);
        for len in 2..=40 {
            let mut line = vec![b'a'; len];
            line[len - 2..].copy_from_slice(b"\r\n");
            each_variant(&line, check);
            line[len / 2 - 1..len / 2 + 1].copy_from_slice(b"\r\n");
            each_variant(&line, check);
        }
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
