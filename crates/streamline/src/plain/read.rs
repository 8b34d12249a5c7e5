//! Plain HTTP/1.1 request streams (RFC 9112): a strict incremental reader and the writer.
//!
//! The reader accepts only unambiguous requests: a single Content-Length or a single
//! `Transfer-Encoding: chunked`, CRLF line endings, no obs-fold, no whitespace before a colon.
//! Whatever it accepts it can write back in canonical form (SPEC.md §6) byte for byte.

use bytes::Bytes;

use super::Parser;
use crate::error::{escape, Error, ErrorKind};
use crate::message::{check_target, Framing, Head, Headers, Parts, Prefix, Version};
use crate::read::{Found, Grammar, Heads, Position, Reader};
use crate::wire::chars::{self, FramingName};
use crate::wire::line::next_line;
use crate::Limits;

impl Default for Reader<Plain> {
    fn default() -> Self {
        Parser::new()
    }
}

impl Reader<Plain> {
    /// A parser with [`Limits::default`].
    pub fn new() -> Self {
        Parser::with_limits(Limits::default())
    }

    /// A parser with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        let head_end = memchr::memmem::Finder::new(b"\r\n\r\n");
        Reader::from_heads(Plain { limits, recent: Vec::new(), pending: Pending::default(), head_end })
    }
}

/// The plain HTTP/1.1 grammar (RFC 9112, the strict subset of SPEC.md §3.4): a request head
/// of a request-line and field lines. A [`Reader`] of it is an [`http1::Parser`](crate::http1::Parser).
#[derive(Debug)]
pub struct Plain {
    limits: Limits,
    /// The raw bytes, parse and line count of the last few heads, the latest first: a feed
    /// repeats its head, a browser its requests for the same resources, and a byte-identical
    /// head parses to the same value, so it is compared instead of parsed. At most [`RECENT`]
    /// heads of at most [`RECENT_BYTES`] each are kept (the previous one whatever its size).
    recent: Vec<(Bytes, Head, u64)>,
    /// How far an unfinished head has been looked at, so bytes arriving piece by piece are
    /// scanned once, not once per piece.
    pending: Pending,
    /// The searcher for the empty line that ends a head, built once.
    head_end: memchr::memmem::Finder<'static>,
}

/// Heads [`Plain`] keeps to compare instead of parsing.
const RECENT: usize = 8;
/// Size past which a head is kept only while it is the latest: the heads kept take at most
/// `(RECENT - 1) * RECENT_BYTES` plus the latest head.
const RECENT_BYTES: usize = 4096;

/// What is known of the unfinished head at the front of the input.
#[derive(Debug, Default, Clone, Copy)]
struct Pending {
    /// Bytes scanned without finding the empty line that ends a head.
    scanned: usize,
    /// Offset just past the last LF seen, and how many LFs were seen.
    line_start: usize,
    lines: usize,
    /// `lines` when the head was last parsed and found unfinished.
    parsed: usize,
}

impl Plain {
    /// Drops the latest kept head if it is over [`RECENT_BYTES`], as another head is about to
    /// take its place: only the latest may be that big. Returns whether it was dropped.
    fn retire_big_latest(&mut self) -> bool {
        let big = self.recent.first().is_some_and(|(raw, _, _)| raw.len() > RECENT_BYTES);
        if big {
            self.recent.remove(0);
        }
        big
    }

    /// Is it worth parsing `rest` now? Yes once it holds the end of a head (CRLF CRLF), or a
    /// line or line count past the limits (so the parse reports the error early); otherwise
    /// only the new bytes are scanned and the answer is no.
    fn ready(&mut self, rest: &[u8]) -> bool {
        if rest.len() < self.pending.scanned {
            // Not the input the scan was made on (the caller dropped bytes): start again.
            self.pending = Pending::default();
        }
        let (max_line, max_lines) = (self.limits.max_line, self.limits.max_headers + 1);
        let p = &mut self.pending;
        let from = p.scanned.saturating_sub(3);
        if self.head_end.find(&rest[from..]).is_some() {
            return true;
        }
        let mut too_long = false;
        for lf in memchr::memchr_iter(b'\n', &rest[p.scanned..]) {
            let end = p.scanned + lf + 1;
            too_long |= end - p.line_start > max_line;
            p.line_start = end;
            p.lines += 1;
        }
        p.scanned = rest.len();
        // Past the line count a parse is due once per new line, not once per piece: a head
        // may hold a framing line beyond `max_headers`, and parse as unfinished.
        let count = p.lines > max_lines && p.lines != p.parsed;
        too_long || rest.len() - p.line_start >= max_line || count || rest.first() == Some(&b'\n')
    }
}

impl Grammar for Plain {}

impl Heads for Plain {
    fn next_head(&mut self, src: &[u8], pos: &mut Position) -> Result<(usize, Option<Found<'_>>), Error> {
        // Leading empty lines before a request-line are dropped (RFC 9112 §2.2).
        let mut used = 0;
        while src[used..].starts_with(b"\r\n") {
            used += 2;
            pos.consume(2, 1);
            self.pending = Pending::default();
        }
        let rest = &src[used..];
        // A head ends with CRLF CRLF: one not ending where the kept head does is another,
        // which four bytes tell before the whole head is compared.
        let ends = |raw: &Bytes| raw.len() >= 4 && rest.get(raw.len() - 4..raw.len()) == Some(b"\r\n\r\n");
        let repeat = self.recent.iter().position(|(raw, _, _)| ends(raw) && rest.starts_with(raw));
        if let Some(mut i) = repeat {
            if i > 0 && self.retire_big_latest() {
                i -= 1;
            }
            self.recent[..=i].rotate_right(1);
        } else {
            // A head seen for the first time is parsed at once: it is usually all there. If it
            // is not, the bytes that follow are pre-scanned, and it is parsed again only when
            // they complete it (or pass a limit).
            // An error in an unfinished head is reported only once the head ends or passes
            // a limit (SPEC.md §2.4), so the first parse's error waits for the pre-scan too.
            let first = self.pending.scanned == 0;
            if !first && !self.ready(rest) {
                return Ok((used, None));
            }
            let parsed = match parse_head_raw(rest, &self.limits, self.recent.first().map(|(_, head, _)| head)) {
                Err(_) if first && !self.ready(rest) => return Ok((used, None)),
                parsed => parsed.map_err(|(kind, at)| pos.error(kind, &rest[..at]))?,
            };
            let Some((head, raw)) = parsed else {
                if first {
                    self.ready(rest);
                }
                self.pending.parsed = self.pending.lines;
                return Ok((used, None));
            };
            let lines = head.headers().len() as u64 + 2 + u64::from(head.framing != Framing::None);
            self.retire_big_latest();
            self.recent.truncate(RECENT - 1);
            self.recent.insert(0, (raw, head, lines));
        }
        self.pending = Pending::default();
        Ok((used, self.recent.first().map(|(raw, head, lines)| Found { head, len: raw.len(), lines: *lines })))
    }

    /// A head byte-identical to the previous one, with a Content-Length body or none.
    #[inline]
    fn steady(&mut self, src: &[u8]) -> Option<(u64, usize, u64)> {
        let (raw, head, lines) = self.recent.first()?;
        if !src.starts_with(raw) {
            return None;
        }
        let body = match head.framing {
            Framing::None => 0,
            Framing::Length(n) => n,
            Framing::Chunked => return None,
        };
        let found = (body, raw.len(), *lines);
        // The unfinished head the pre-scan looked at (this one) is done.
        self.pending = Pending::default();
        Some(found)
    }

    #[inline]
    fn steady_head(&self) -> Option<&Head> {
        self.recent.first().map(|(_, head, _)| head)
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn unfinished(&mut self, rest: &[u8], pos: &Position) -> Error {
        // The head may hold an error the early scan did not look for: parse it to report it.
        match parse_head_raw(rest, &self.limits, None) {
            Err((kind, at)) => pos.error(kind, &rest[..at]),
            _ => pos.error(ErrorKind::UnexpectedEof { what: "a request head (no empty line at its end)".into() }, &[]),
        }
    }
}

/// Parses one request head at the front of `buf`: request-line, field lines, empty line.
///
/// Returns the head and the number of bytes it took, or `Ok(None)` if the head is not complete
/// yet. The head's bytes are copied out of `buf` (in one piece, and the header lines once more
/// if a framing line sat between them), so a head never keeps a large input buffer alive.
///
/// # Errors
///
/// The error a [`Parser`] would give for the same bytes at the start of a stream: its
/// [`offset`](Error::offset) is that of the line at fault from the start of `buf`, its
/// [`line`](Error::line) 1 + the LFs before it. Unlike a parser, this reports a fault in an
/// unfinished head as soon as its line is whole (SPEC.md §2.4).
///
/// ```
/// use streamline::{http1::parse_head, ErrorKind, Limits};
///
/// let (head, len) = parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest", &Limits::default())?.unwrap();
/// assert_eq!((head.target(), len), (&b"/"[..], 27));
/// let err = parse_head(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", &Limits::default()).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::WhitespaceBeforeColon(_)));
/// assert_eq!((err.offset(), err.line()), (Some(16), Some(2)));
/// # Ok::<(), streamline::Error>(())
/// ```
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(Head, usize)>, Error> {
    match parse_head_raw(buf, limits, None) {
        Ok(found) => Ok(found.map(|(head, raw)| (head, raw.len()))),
        Err((kind, at)) => Err(Position::START.error(kind, &buf[..at])),
    }
}

/// [`parse_head`], also returning the head's raw bytes, which its parts share.
///
/// `like` is a head parsed before with the same limits: the header lines this one starts
/// with that are byte-identical to its lines were checked then, so they are taken with
/// their prefix table instead of checked again.
fn parse_head_raw(
    buf: &[u8],
    limits: &Limits,
    like: Option<&Head>,
) -> Result<Option<(Head, Bytes)>, (ErrorKind, usize)> {
    let Some(line) = next_line(buf, limits.max_line).map_err(|k| (k, 0))? else { return Ok(None) };
    let (method, target, version) = request_line(&buf[..line.content]).map_err(|k| (k, 0))?;
    let mut pos = line.total;
    // The field lines run from `first` to `pos` minus the empty line; the framing line, if
    // any, is the one gap in them.
    let first = pos;
    let mut count = 0;
    // The framing field, and where its line starts and ends in `buf`.
    let mut framing = None::<(FramingName, Framing, (usize, usize))>;
    let mut prefixes = Vec::with_capacity(16);
    prefixes.push(Prefix::EMPTY);
    if let Some(like) = like {
        // Its block holds no framing line, so neither do the lines it shares.
        let shared = chars::common_prefix(&buf[first..], like.headers().as_block());
        let table = like.prefixes();
        let lines = table.iter().rposition(|p| p.end <= shared).unwrap_or(0);
        if lines > 0 {
            prefixes.clear();
            prefixes.extend_from_slice(&table[..=lines]);
            count = lines;
            pos += table[lines].end;
        }
    }
    loop {
        let rest = &buf[pos..];
        let at = pos;
        // Most lines are taken in one pass; the rest (the empty line, a line with HTAB, one
        // that is bad or not complete) go the general way.
        let (name_len, field) = match chars::field_line(rest, limits.max_line) {
            Some((name_len, content)) => {
                pos += content + 2;
                (name_len, &rest[..content])
            }
            None => {
                let Some(line) = next_line(rest, limits.max_line).map_err(|k| (k, pos))? else { return Ok(None) };
                let field = &rest[..line.content];
                pos += line.total;
                if field.is_empty() {
                    break;
                }
                (chars::check_field_line(field).map_err(|k| (k, at))?, field)
            }
        };
        match chars::framing_name(&field[..name_len]) {
            None => {
                if count >= limits.max_headers {
                    return Err((ErrorKind::TooManyHeaders { limit: limits.max_headers }, at));
                }
                count += 1;
                // The line is in cache now: the encoder's table of prefixes is made here.
                let last = prefixes.last().copied().unwrap_or(Prefix::EMPTY);
                prefixes.push(last.then(&buf[at..pos]));
            }
            Some(name) => {
                let value = chars::trim_ows(&field[name_len + 1..]);
                let this = match name {
                    FramingName::ContentLength => Framing::Length(
                        chars::parse_decimal(value)
                            .ok_or_else(|| (ErrorKind::InvalidContentLength(escape(value)), at))?,
                    ),
                    FramingName::TransferEncoding if value.eq_ignore_ascii_case(b"chunked") => Framing::Chunked,
                    FramingName::TransferEncoding => {
                        return Err((ErrorKind::UnsupportedTransferCoding(escape(value)), at))
                    }
                };
                framing = match framing {
                    None => Some((name, this, (at, pos))),
                    Some((prev, ..)) if prev != name => return Err((ErrorKind::BothFramings, at)),
                    Some((FramingName::ContentLength, ..)) => return Err((ErrorKind::RepeatedContentLength, at)),
                    Some(_) => return Err((ErrorKind::UnsupportedTransferCoding("chunked, chunked".into()), at)),
                };
            }
        }
    }
    if matches!(framing, Some((_, Framing::Chunked, _))) && !version.chunked_allowed() {
        return Err((ErrorKind::ChunkedBeforeHttp11(version.to_string()), 0));
    }
    let raw = Bytes::copy_from_slice(&buf[..pos]);
    let end = pos - 2;
    let block = match framing {
        None => raw.slice(first..end),
        Some((.., (at, next))) if at == first => raw.slice(next..end),
        Some((.., (at, next))) if next == end => raw.slice(first..at),
        Some((.., (at, next))) => [&raw[first..at], &raw[next..end]].concat().into(),
    };
    let list = Headers::from_block(block, count);
    let method = raw.slice(..method.len());
    let target = raw.slice(method.len() + 1..method.len() + 1 + target.len());
    let parts = Parts::with_prefixes(method, target, version, list, prefixes);
    let head = Head { parts, framing: framing.map_or(Framing::None, |(_, f, _)| f) };
    Ok(Some((head, raw)))
}

/// `request-line = method SP request-target SP HTTP-version`
fn request_line(line: &[u8]) -> Result<(&[u8], &[u8], Version), ErrorKind> {
    let bad = |why| ErrorKind::InvalidRequestLine { line: escape(line), why };
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected 'METHOD SP TARGET SP VERSION'"));
    };
    if !chars::is_token(method) {
        return Err(if method.is_empty() { bad("empty method") } else { ErrorKind::InvalidMethod(escape(method)) });
    }
    if target.is_empty() {
        return Err(bad("empty request target or double space"));
    }
    check_target(target, "request target")?;
    let version = Version::parse(version).ok_or_else(|| bad("version is not HTTP/DIGIT.DIGIT"))?;
    Ok((method, target, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &[u8]) -> Result<Option<(Head, usize)>, ErrorKind> {
        parse_head(src, &Limits::default()).map_err(Error::into_kind)
    }

    #[test]
    fn heads() {
        let (head, n) = parse(b"POST /x HTTP/1.0\r\nA: 1\r\ncontent-length:  7 \r\nB:2\r\n\r\nbody").unwrap().unwrap();
        assert_eq!(n, 52);
        assert_eq!(head.method(), "POST");
        assert_eq!(head.version(), Version::HTTP_10);
        assert_eq!(head.framing(), Framing::Length(7));
        assert_eq!(head.headers().len(), 2);
        assert_eq!(parse(b"GET / HTTP/1.1\r\nA: 1\r\n").unwrap(), None);
        let (chunked, _) = parse(b"PUT / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n").unwrap().unwrap();
        assert_eq!(chunked.framing(), Framing::Chunked);
    }

    #[test]
    fn head_errors() {
        use ErrorKind::*;
        let err = |s: &[u8]| parse(s).unwrap_err();
        assert!(matches!(err(b"GET  / HTTP/1.1\r\n\r\n"), InvalidRequestLine { .. }));
        assert!(matches!(err(b"GET / HTTP/1.1 \r\n\r\n"), InvalidRequestLine { .. }));
        assert!(matches!(err(b"GET /\r\n\r\n"), InvalidRequestLine { .. }));
        assert!(matches!(err(b"G(T / HTTP/1.1\r\n\r\n"), InvalidMethod(_)));
        assert!(matches!(err(b"GET /\x7f HTTP/1.1\r\n\r\n"), InvalidTarget { .. }));
        assert!(matches!(err(b"GET / HTTP/2\r\n\r\n"), InvalidRequestLine { .. }));
        assert_eq!(err(b"GET / HTTP/1.1\nA: 1\r\n\r\n"), BareLf);
        assert_eq!(err(b"GET / HTTP/1.1\r\nA: 1\r\n b\r\n\r\n"), ObsFold);
        assert!(matches!(err(b"GET / HTTP/1.1\r\nA : 1\r\n\r\n"), WhitespaceBeforeColon(_)));
        let both = b"GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(err(both), BothFramings);
        let both = b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n";
        assert_eq!(err(both), BothFramings);
        assert_eq!(err(b"GET / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n"), RepeatedContentLength);
        assert!(matches!(err(b"GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n"), InvalidContentLength(_)));
        assert!(matches!(err(b"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n"), InvalidContentLength(_)));
        assert!(matches!(
            err(b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            UnsupportedTransferCoding(_)
        ));
        let twice = b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(err(twice), UnsupportedTransferCoding(_)));
        let limits = Limits::default().max_headers(1);
        let r = parse_head(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", &limits);
        assert_eq!(r.unwrap_err(), Error::new(TooManyHeaders { limit: 1 }, 22, 3));
    }
}
