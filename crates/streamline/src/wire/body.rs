//! Finding where a body ends: Content-Length counting and the chunked grammar (RFC 9112 §7.1).
//!
//! One scanner serves both syntaxes, since a compact `*:` body is the plain chunked body
//! verbatim. It measures, and tells a caller that asks which parts of a chunked body are
//! chunk data and trailer lines; callers decide what to consume.

use std::ops::Range;

use crate::error::{escape, ErrorKind};
use crate::message::Framing;
use crate::wire::chars;
use crate::wire::line::next_line;
use crate::Limits;

/// What a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The first `n` bytes are body and the body continues after them (`n` may be 0: feed more).
    More(usize),
    /// The first `n` bytes finish the body.
    Done(usize),
}

/// Where the chunked grammar stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    SizeLine,
    Data(u64),
    DataCrlf,
    Trailers(usize),
}

/// A resumable body scanner. `Copy`, so a caller can scan ahead on a copy and commit later.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyScanner {
    state: State,
    max_line: usize,
    max_trailers: usize,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Length(u64),
    Chunked(Chunked),
    /// A close-delimited body: every byte up to the end of input.
    Close,
    Done,
}

impl BodyScanner {
    /// A scanner for a body with this framing.
    pub(crate) fn new(framing: Framing, limits: &Limits) -> Self {
        let state = match framing {
            Framing::None | Framing::Length(0) | Framing::Announced(_) | Framing::AnnouncedChunked => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Chunked::SizeLine),
            Framing::Close => State::Close,
        };
        BodyScanner { state, max_line: limits.max_line, max_trailers: limits.max_headers }
    }

    /// Is the body already complete (no bytes needed)?
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Is this a close-delimited body, which the end of input completes?
    pub(crate) fn is_close(&self) -> bool {
        matches!(self.state, State::Close)
    }

    /// Bytes still expected by a Content-Length body (for "input ends inside" messages).
    pub(crate) fn describe_remaining(&self) -> String {
        match self.state {
            State::Length(n) => format!("a body ({n} bytes missing)"),
            State::Chunked(_) => "a chunked body".to_string(),
            State::Close | State::Done => "a body".to_string(),
        }
    }

    /// Scans `buf`, advancing past every byte it reports as body.
    ///
    /// On error, returns the kind and the offset in `buf` of the line at fault.
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Result<Scan, (ErrorKind, usize)> {
        self.scan_capped(buf, usize::MAX)
    }

    /// Like [`BodyScanner::scan`], but stops taking body data at `cap` bytes (lines are always
    /// taken whole). A caller that must refuse bodies over a limit passes limit + 1 minus what
    /// it has seen: the body is over the limit exactly when the scan passes the cap, and a
    /// syntax error after that point is never reached, however the input is split.
    pub(crate) fn scan_capped(&mut self, buf: &[u8], cap: usize) -> Result<Scan, (ErrorKind, usize)> {
        self.walk(buf, cap, &mut Measure)
    }

    /// Like [`BodyScanner::scan_capped`], telling `parts` of the chunk data and the trailer
    /// lines of a chunked body as it takes them; it stops after one when `parts` says so. The
    /// one walk of the grammar of bodies: the readers measure with it, and
    /// [`ChunkedBody`](crate::ChunkedBody) hands the parts out.
    #[inline]
    pub(crate) fn walk<P: Parts>(&mut self, buf: &[u8], cap: usize, parts: &mut P) -> Result<Scan, (ErrorKind, usize)> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            let room = cap.saturating_sub(pos) as u64;
            match self.state {
                State::Done => return Ok(Scan::Done(pos)),
                State::Close => return Ok(Scan::More(rest.len().min(cap))),
                State::Length(n) => {
                    let take = n.min(rest.len() as u64).min(room);
                    pos += take as usize;
                    if take == n {
                        self.state = State::Done;
                        return Ok(Scan::Done(pos));
                    }
                    self.state = State::Length(n - take);
                    return Ok(Scan::More(pos));
                }
                _ if pos >= cap => return Ok(Scan::More(pos)),
                State::Chunked(Chunked::Data(n)) => {
                    let take = n.min(rest.len() as u64).min(room);
                    let start = pos;
                    pos += take as usize;
                    if take < n {
                        self.state = State::Chunked(Chunked::Data(n - take));
                        if take > 0 {
                            parts.data(start..pos);
                        }
                        return Ok(Scan::More(pos));
                    }
                    self.state = State::Chunked(Chunked::DataCrlf);
                    if parts.data(start..pos) {
                        return Ok(Scan::More(pos));
                    }
                }
                State::Chunked(Chunked::DataCrlf) => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = State::Chunked(Chunked::SizeLine);
                    }
                    [] | [b'\r'] => return Ok(Scan::More(pos)),
                    _ => return Err((ErrorKind::MissingChunkCrlf, pos)),
                },
                State::Chunked(Chunked::SizeLine) => {
                    let Some(line) = next_line(rest, self.max_line).map_err(|k| (k, pos))? else {
                        return Ok(Scan::More(pos));
                    };
                    let size = chunk_size(&rest[..line.content]).map_err(|k| (k, pos))?;
                    pos += line.total;
                    self.state = State::Chunked(match size {
                        0 => Chunked::Trailers(0),
                        n => Chunked::Data(n),
                    });
                }
                State::Chunked(Chunked::Trailers(count)) => {
                    let Some(line) = next_line(rest, self.max_line).map_err(|k| (k, pos))? else {
                        return Ok(Scan::More(pos));
                    };
                    if line.content == 0 {
                        pos += line.total;
                        self.state = State::Done;
                        return Ok(Scan::Done(pos));
                    }
                    if count >= self.max_trailers {
                        return Err((ErrorKind::TooManyTrailers { limit: self.max_trailers }, pos));
                    }
                    chars::check_field_line(&rest[..line.content]).map_err(|k| (k, pos))?;
                    let start = pos;
                    pos += line.total;
                    self.state = State::Chunked(Chunked::Trailers(count + 1));
                    if parts.trailer(start..start + line.content) {
                        return Ok(Scan::More(pos));
                    }
                }
            }
        }
    }
}

/// What a [`BodyScanner::walk`] tells besides where the body ends: the parts of a chunked
/// body that are not framing, as ranges of the buffer walked.
pub(crate) trait Parts {
    /// Chunk data (1 byte or more). `true`: stop the walk after it.
    fn data(&mut self, range: Range<usize>) -> bool;
    /// A trailer line, checked, without its CRLF. `true`: stop the walk after it.
    fn trailer(&mut self, range: Range<usize>) -> bool;
}

/// Tells nothing: the walk only measures.
struct Measure;

impl Parts for Measure {
    #[inline(always)]
    fn data(&mut self, _: Range<usize>) -> bool {
        false
    }

    #[inline(always)]
    fn trailer(&mut self, _: Range<usize>) -> bool {
        false
    }
}

/// Parses a chunk-size line (RFC 9112 §7.1.1) and returns the size:
///
/// ```text
/// chunk-size-line = 1*HEXDIG *chunk-ext
/// chunk-ext       = BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ]
/// ```
#[inline]
fn chunk_size(line: &[u8]) -> Result<u64, ErrorKind> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let (hex, ext) = line.split_at(digits);
    // Most size lines have no extension: no call for them.
    if hex.is_empty() || !(ext.is_empty() || chunk_extensions(ext)) {
        return Err(ErrorKind::InvalidChunkSize(escape(line)));
    }
    let mut n: u64 = 0;
    for &d in hex {
        let v = (d as char).to_digit(16).unwrap_or(0) as u64;
        n = n
            .checked_mul(16)
            .and_then(|n| n.checked_add(v))
            .ok_or_else(|| ErrorKind::ChunkSizeOverflow(escape(hex)))?;
    }
    Ok(n)
}

/// Does `ext` match `*chunk-ext`?
fn chunk_extensions(mut ext: &[u8]) -> bool {
    let bws = |s: &[u8]| -> usize { s.iter().take_while(|&&b| b == b' ' || b == b'\t').count() };
    let token = |s: &[u8]| -> usize { s.iter().take_while(|&&b| chars::is_tchar(b)).count() };
    while !ext.is_empty() {
        ext = &ext[bws(ext)..];
        let Some(rest) = ext.strip_prefix(b";") else { return false };
        ext = &rest[bws(rest)..];
        let name = token(ext);
        if name == 0 {
            return false;
        }
        ext = &ext[name..];
        let after = &ext[bws(ext)..];
        if let Some(rest) = after.strip_prefix(b"=") {
            let value = &rest[bws(rest)..];
            let len = if value.first() == Some(&b'"') { quoted_string(value) } else { token(value) };
            if len == 0 {
                return false;
            }
            ext = &value[len..];
        }
    }
    true
}

/// Length of the quoted-string at the front of `s` (RFC 9110 §5.6.4), or 0 if there is none.
fn quoted_string(s: &[u8]) -> usize {
    let qdtext = |b: u8| {
        b == b'\t' || b == b' ' || b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b) || b >= 0x80
    };
    let mut i = 1;
    while let Some(&b) = s.get(i) {
        match b {
            b'"' => return i + 1,
            b'\\' => match s.get(i + 1) {
                Some(&q) if q == b'\t' || q >= 0x20 && q != 0x7f => i += 2,
                _ => return 0,
            },
            _ if qdtext(b) => i += 1,
            _ => return 0,
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(framing: Framing, buf: &[u8]) -> Result<Scan, (ErrorKind, usize)> {
        BodyScanner::new(framing, &Limits::default()).scan(buf)
    }

    #[test]
    fn length() {
        assert_eq!(scan_all(Framing::Length(3), b"abcdef"), Ok(Scan::Done(3)));
        assert_eq!(scan_all(Framing::Length(9), b"abcdef"), Ok(Scan::More(6)));
        assert_eq!(scan_all(Framing::None, b"abc"), Ok(Scan::Done(0)));
    }

    #[test]
    fn chunked() {
        let body = b"5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        assert_eq!(scan_all(Framing::Chunked, body), Ok(Scan::Done(body.len() - 4)));
        // Every split point gives the same total.
        for split in 0..body.len() {
            let mut s = BodyScanner::new(Framing::Chunked, &Limits::default());
            let total = match s.scan(&body[..split]).unwrap() {
                Scan::Done(n) => n,
                Scan::More(n) => match s.scan(&body[n..]).unwrap() {
                    Scan::Done(m) => n + m,
                    Scan::More(_) => panic!("split {split}: not done"),
                },
            };
            assert_eq!(total, body.len() - 4, "split {split}");
        }
    }

    #[test]
    fn chunked_errors() {
        let err = |b: &[u8]| scan_all(Framing::Chunked, b).unwrap_err().0;
        assert!(matches!(err(b"x\r\n"), ErrorKind::InvalidChunkSize(_)));
        assert!(matches!(err(b"5 x\r\n"), ErrorKind::InvalidChunkSize(_)));
        assert!(matches!(err(b"10000000000000000\r\n"), ErrorKind::ChunkSizeOverflow(_)));
        assert_eq!(err(b"1\r\nab"), ErrorKind::MissingChunkCrlf);
        assert_eq!(err(b"1\nab"), ErrorKind::BareLf);
        assert!(matches!(err(b"0\r\nbad trailer\r\n"), ErrorKind::InvalidHeader { .. }));
        assert_eq!(chunk_size(b"0000000000000000001f"), Ok(31));
        for good in [&b"5;a"[..], b"5 ;a", b"5; a = b", b"5;a=\"x \\\" y\";b", b"5;a;b=c"] {
            assert_eq!(chunk_size(good), Ok(5), "{}", good.escape_ascii());
        }
        for bad in [&b"5 "[..], b"5\t", b"5;", b"5;a b", b"5;x ", b"5;x=\"a", b"5;=1", b"5;x=a=b", b"5;x="] {
            assert!(matches!(chunk_size(bad), Err(ErrorKind::InvalidChunkSize(_))), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn trailer_limit() {
        let limits = Limits::default().max_headers(1);
        let mut s = BodyScanner::new(Framing::Chunked, &limits);
        let r = s.scan(b"0\r\nA: 1\r\nB: 2\r\n\r\n");
        assert_eq!(r, Err((ErrorKind::TooManyTrailers { limit: 1 }, 9)));
    }
}
