//! Plain HTTP/1.1 request and response streams (RFC 9112): a strict incremental reader.
//!
//! The reader accepts only unambiguous messages: a single Content-Length or a single
//! `Transfer-Encoding: chunked`, CRLF line endings, no obs-fold, no whitespace before a colon.
//! Whatever it accepts it can write back in canonical form (SPEC.md §6) byte for byte.

use std::collections::VecDeque;
use std::marker::PhantomData;

use bytes::Bytes;

use crate::error::{escape, Error, ErrorKind};
use crate::message::{
    check_target, status_code, Direction, Framing, Head, Headers, Parts, Requests, Responses, Version,
};
use crate::read::{Found, Grammar, Heads, Position, Reader};
use crate::wire::chars::{self, FramingName};
use crate::wire::line::{count_lf, next_line};
use crate::Limits;

impl<D: Direction> Default for Reader<Plain<D>> {
    fn default() -> Self {
        Self::with_limits(Limits::default())
    }
}

impl<D: Direction> Reader<Plain<D>> {
    /// A parser with [`Limits::default`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A parser with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        let head_end = memchr::memmem::Finder::new(b"\r\n\r\n");
        Reader::from_heads(Plain {
            limits,
            recent: Vec::new(),
            pending: Pending::default(),
            head_end,
            answers: VecDeque::new(),
            switched: None,
            direction: PhantomData,
        })
    }
}

impl Reader<Plain<Responses>> {
    /// Tells the parser the method of the next request whose response it has not been told
    /// about: responses come in the order of their requests, and a response to HEAD has no
    /// body whatever its framing fields say, and a 2xx to CONNECT ends the HTTP stream (RFC
    /// 9112 §6.3). Call it as each request is sent (or read). A response whose request's
    /// method was not given is read as the answer to a method that is neither HEAD nor
    /// CONNECT. Interim (1xx) responses do not use up a method; a 101 does (it is final).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use streamline::{http1::ResponseParser, Framing};
    ///
    /// let mut parser = ResponseParser::new();
    /// parser.expect(b"HEAD");
    /// let mut src = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..]);
    /// let head = parser.decode(&mut src)?.unwrap();
    /// assert_eq!(head.head().framing(), Framing::Announced(5));
    /// assert!(head.body().is_empty());
    /// assert_eq!(parser.decode(&mut src)?.unwrap().body(), "ok");
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn expect(&mut self, method: &[u8]) {
        let answer = match method {
            b"HEAD" => Answer::Head,
            b"CONNECT" => Answer::Connect,
            _ => Answer::Other,
        };
        self.stream.heads.answers.push_back(answer);
    }
}

/// What a response answers, as far as its framing is concerned (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Answer {
    /// Any method but HEAD and CONNECT (and a response whose method was not given).
    #[default]
    Other,
    Head,
    Connect,
}

/// The plain HTTP/1.1 grammar (RFC 9112, the strict subset of SPEC.md §3.4): heads of a
/// request-line (or, for [`Responses`], a status-line) and field lines. A [`Reader`] of it is
/// an [`http1::Parser`](crate::http1::Parser) or an
/// [`http1::ResponseParser`](crate::http1::ResponseParser).
#[derive(Debug)]
pub struct Plain<D = Requests> {
    limits: Limits,
    /// The raw bytes, parse, line count and (for a response) what it answered, of the last few
    /// heads, the latest first: a feed repeats its head, a browser its requests for the same
    /// resources, and a byte-identical head parses to the same value, so it is compared
    /// instead of parsed. At most [`RECENT`] heads of at most [`RECENT_BYTES`] each are kept
    /// (the previous one whatever its size).
    recent: Vec<(Bytes, Head, u64, Answer)>,
    /// How far an unfinished head has been looked at, so bytes arriving piece by piece are
    /// scanned once, not once per piece.
    pending: Pending,
    /// The searcher for the empty line that ends a head, built once.
    head_end: memchr::memmem::Finder<'static>,
    /// Responses: the methods of the requests answered next, as the caller gave them.
    answers: VecDeque<Answer>,
    /// Responses: the status of the response that switched protocols, once taken.
    switched: Option<u16>,
    direction: PhantomData<D>,
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

impl<D: Direction> Plain<D> {
    /// What the next response answers (requests: nothing).
    fn answer(&self) -> Option<Answer> {
        D::RESPONSES.then(|| self.answers.front().copied().unwrap_or_default())
    }

    /// Drops the latest kept head if it is over [`RECENT_BYTES`], as another head is about to
    /// take its place: only the latest may be that big. Returns whether it was dropped.
    fn retire_big_latest(&mut self) -> bool {
        let big = self.recent.first().is_some_and(|(raw, ..)| raw.len() > RECENT_BYTES);
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
        let (max_line, max_lines) = (self.limits.max_line, self.limits.max_headers.saturating_add(1));
        let p = &mut self.pending;
        let from = p.scanned.saturating_sub(3);
        if self.head_end.find(&rest[from..]).is_some() {
            return true;
        }
        let (mut too_long, mut bare) = (false, false);
        for lf in memchr::memchr_iter(b'\n', &rest[p.scanned..]) {
            let end = p.scanned + lf + 1;
            too_long |= end - p.line_start > max_line;
            // A line ended by a bare LF is an error that no later byte undoes (the head can
            // never end in CRLF CRLF there): parsed now, it is reported at once, as it would
            // be in the whole head, rather than after the client's timeout.
            bare |= end < 2 || rest[end - 2] != b'\r';
            p.line_start = end;
            p.lines += 1;
        }
        p.scanned = rest.len();
        // Past the line count a parse is due once per new line, not once per piece: a head
        // may hold a framing line beyond `max_headers`, and parse as unfinished.
        let count = p.lines > max_lines && p.lines != p.parsed;
        too_long || bare || rest.len() - p.line_start >= max_line || count || rest.first() == Some(&b'\n')
    }
}

impl<D: Direction> Grammar for Plain<D> {
    type Direction = D;
}

impl<D: Direction> Heads for Plain<D> {
    fn next_head(&mut self, src: &[u8], pos: &mut Position) -> Result<(usize, Option<Found<'_>>), Error> {
        // Leading empty lines before a request-line are dropped (RFC 9112 §2.2); a response
        // has none.
        let mut used = 0;
        while !D::RESPONSES && src[used..].starts_with(b"\r\n") {
            used += 2;
            pos.consume(2, 1);
            self.pending = Pending::default();
        }
        let rest = &src[used..];
        // A head ends with CRLF CRLF: one not ending where the kept head does is another,
        // which four bytes tell before the whole head is compared.
        let ends = |raw: &Bytes| raw.len() >= 4 && rest.get(raw.len() - 4..raw.len()) == Some(b"\r\n\r\n");
        let answer = self.answer();
        let same = |a: &Answer| answer.is_none_or(|answer| answer == *a);
        let repeat = self.recent.iter().position(|(raw, _, _, a)| same(a) && ends(raw) && rest.starts_with(raw));
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
            let like = self.recent.first().map(|(_, head, ..)| head);
            let parsed = match parse_head_raw(rest, &self.limits, like, answer) {
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
            let lines = head.headers().len() as u64 + 2 + u64::from(head.framing.line_len() > 0);
            self.retire_big_latest();
            self.recent.truncate(RECENT - 1);
            self.recent.insert(0, (raw, head, lines, answer.unwrap_or_default()));
        }
        self.pending = Pending::default();
        Ok((used, self.recent.first().map(|(raw, head, lines, _)| Found { head, len: raw.len(), lines: *lines })))
    }

    /// A head byte-identical to the previous one, with a Content-Length body or none.
    #[inline]
    fn steady(&mut self, src: &[u8]) -> Option<(u64, usize, u64)> {
        let (raw, head, lines, answer) = self.recent.first()?;
        if !src.starts_with(raw) || D::RESPONSES && self.answers.front().copied().unwrap_or_default() != *answer {
            return None;
        }
        let body = match head.framing {
            Framing::None | Framing::Announced(_) | Framing::AnnouncedChunked => 0,
            Framing::Length(n) => n,
            Framing::Chunked | Framing::Close => return None,
        };
        let found = (body, raw.len(), *lines);
        // The unfinished head the pre-scan looked at (this one) is done.
        self.pending = Pending::default();
        Some(found)
    }

    #[inline]
    fn steady_head(&self) -> Option<&Head> {
        self.recent.first().map(|(_, head, ..)| head)
    }

    fn taken(&mut self) {
        if !D::RESPONSES {
            return;
        }
        let Some((_, head, ..)) = self.recent.first() else { return };
        let status = status_code(head.method());
        // An interim response answers no request yet; a 101 is the final one.
        if status >= 200 || status == 101 {
            let answer = self.answers.pop_front().unwrap_or_default();
            if status == 101 || answer == Answer::Connect && (200..300).contains(&status) {
                self.switched = Some(status);
            }
        }
    }

    fn switched(&self) -> Option<u16> {
        self.switched
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn unfinished(&mut self, rest: &[u8], pos: &Position) -> Error {
        // The head may hold an error the early scan did not look for: parse it to report it.
        let what = if D::RESPONSES { "a response head" } else { "a request head" };
        match parse_head_raw(rest, &self.limits, None, self.answer()) {
            Err((kind, at)) => pos.error(kind, &rest[..at]),
            _ => pos.error(ErrorKind::UnexpectedEof { what: format!("{what} (no empty line at its end)") }, &[]),
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
/// The error a [`Parser`](crate::http1::Parser) would give for the same bytes at the start of a stream: its
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
    match parse_head_raw(buf, limits, None, None) {
        Ok(found) => Ok(found.map(|(head, raw)| (head, raw.len()))),
        Err((kind, at)) => Err(Position::START.error(kind, &buf[..at])),
    }
}

/// [`parse_head`], also returning the head's raw bytes, which its parts share.
///
/// `like` is a head parsed before with the same limits: the header lines this one starts
/// with that are byte-identical to its lines were checked then, so they are taken without
/// being checked again. `answer` is `None` for a request head; for a
/// response head, what it answers.
fn parse_head_raw(
    buf: &[u8],
    limits: &Limits,
    like: Option<&Head>,
    answer: Option<Answer>,
) -> Result<Option<(Head, Bytes)>, (ErrorKind, usize)> {
    let Some(line) = next_line(buf, limits.max_line).map_err(|k| (k, 0))? else { return Ok(None) };
    let start_line = &buf[..line.content];
    let (method, target, version) = match answer {
        None => request_line(start_line),
        Some(_) => status_line(start_line),
    }
    .map_err(|k| (k, 0))?;
    let mut pos = line.total;
    // The field lines run from `first` to `pos` minus the empty line; the framing line, if
    // any, is the one gap in them.
    let first = pos;
    let mut count = 0;
    // The framing field, and where its line starts and ends in `buf`.
    let mut framing = None::<(FramingName, Framing, (usize, usize))>;
    if let Some(like) = like {
        // Its block holds no framing line, so neither do the lines it shares: those whose
        // LF lies in the bytes both share.
        let shared = chars::common_prefix(&buf[first..], like.headers().as_block());
        if let Some(lf) = memchr::memrchr(b'\n', &buf[first..first + shared]) {
            count = count_lf(&buf[first..=first + lf]) as usize;
            pos += lf + 1;
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
    let declared = framing.map(|(_, f, _)| f);
    let kind = match answer {
        None => declared.unwrap_or(Framing::None),
        Some(answer) => {
            let status = status_code(method);
            // RFC 9112 §6.3: no body after a HEAD, a 1xx, a 204, a 304, nor after a 2xx to
            // CONNECT (the connection is a tunnel from there); otherwise the framing field,
            // and without one the body runs to the end of the connection.
            let bodyless = answer == Answer::Head || status < 200 || status == 204 || status == 304;
            let tunnel = answer == Answer::Connect && (200..300).contains(&status);
            match declared {
                _ if !(bodyless || tunnel) => declared.unwrap_or(Framing::Close),
                Some(Framing::Length(n)) => Framing::Announced(n),
                Some(Framing::Chunked) => Framing::AnnouncedChunked,
                _ => Framing::None,
            }
        }
    };
    let raw = Bytes::copy_from_slice(&buf[..pos]);
    let end = pos - 2;
    let block = match framing {
        None => raw.slice(first..end),
        Some((.., (at, next))) if at == first => raw.slice(next..end),
        Some((.., (at, next))) if next == end => raw.slice(first..at),
        Some((.., (at, next))) => [&raw[first..at], &raw[next..end]].concat().into(),
    };
    let list = Headers::from_block(block, count);
    let parts = if answer.is_some() {
        // `HTTP/x.y SP 3DIGIT SP reason`
        let (code, reason) = (raw.slice(9..12), raw.slice(13..13 + target.len()));
        Parts::new_response(code, reason, version, list)
    } else {
        let method = raw.slice(..method.len());
        let target = raw.slice(method.len() + 1..method.len() + 1 + target.len());
        Parts::new(method, target, version, list)
    };
    Ok(Some((Head { parts, framing: kind }, raw)))
}

/// `status-line = HTTP-version SP status-code SP [ reason-phrase ]` (RFC 9112 §4): the
/// status code's three digits, the reason phrase, the version.
fn status_line(line: &[u8]) -> Result<(&[u8], &[u8], Version), ErrorKind> {
    let bad = |why| ErrorKind::InvalidStatusLine { line: escape(line), why };
    let version = line.get(..8).and_then(Version::parse).ok_or_else(|| bad("expected 'HTTP/DIGIT.DIGIT SP'"))?;
    let (Some(b' '), Some(code), Some(b' ')) = (line.get(8), line.get(9..12), line.get(12)) else {
        return Err(bad("expected 'VERSION SP 3DIGIT SP REASON'"));
    };
    if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
        return Err(bad("the status code is not three digits from 100 to 999"));
    }
    let reason = &line[13..];
    if !chars::is_reason(reason) {
        return Err(bad("the reason phrase holds a control byte"));
    }
    Ok((code, reason, version))
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
