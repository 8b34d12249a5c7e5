//! The one reader API: [`Reader`], over either grammar. Body framing, whole-request
//! gathering, positions and the end of input are written once, here.
//!
//! A grammar supplies heads ([`Heads`]: the compact opcode lines, or the plain head);
//! [`Stream`] turns them into [`Event`]s and [`Request`]s, so the compact decoder and the plain
//! parser frame bodies, count lines and report errors the same way.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{Error, ErrorKind};
use crate::message::{Direction, Framing, Head, Token};
use crate::wire::body::{BodyScanner, Scan};
use crate::wire::line::count_lf;
use crate::Limits;

/// One step of a message stream, for callers that stream bodies instead of holding them.
///
/// Every message is `Head`, then zero or more `Data`, then `End`. Every [`Reader`] produces
/// these: the compact [`Decoder`](crate::Decoder) and the plain
/// [`http1::Parser`](crate::http1::Parser) for requests, their response counterparts for
/// responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request starts. Its framing says what body follows.
    Head(Head),
    /// A piece of the body, verbatim (for chunked framing: the chunked encoding itself).
    ///
    /// A piece of a chunked body never ends inside a chunk-size line, a trailer line or the
    /// CRLF after chunk data (chunk data may be split anywhere): a
    /// [`ChunkedBody`](crate::ChunkedBody) takes each piece whole and tells its payload from
    /// its framing.
    Data(Bytes),
    /// The request is complete.
    End,
}

/// Where a reader stands in its input.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Bytes consumed so far.
    pub(crate) offset: u64,
    /// Line number of the next byte (1-based, every LF counts).
    pub(crate) line: u64,
}

impl Position {
    /// The start of a stream.
    pub(crate) const START: Position = Position { offset: 0, line: 1 };

    /// Records `n` consumed bytes holding `lines` LFs.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize, lines: u64) {
        self.offset += n as u64;
        self.line += lines;
    }

    /// An error at this position plus `skipped`, bytes still in the buffer before the fault.
    pub(crate) fn error(&self, kind: ErrorKind, skipped: &[u8]) -> Error {
        Error::new(kind, self.offset + skipped.len() as u64, self.line + count_lf(skipped))
    }
}

/// A head found at the front of the input, measured but not yet consumed.
pub struct Found<'h> {
    pub(crate) head: &'h Head,
    /// Bytes of the unit that issues it: the issuing line, or the whole plain head.
    pub(crate) len: usize,
    /// LFs in that unit.
    pub(crate) lines: u64,
}

/// A source of request heads: the compact opcode lines or the plain head.
///
/// Public only in name (this module is private): [`Grammar`] is sealed through it, so no
/// grammar can be added outside the crate.
pub trait Heads {
    /// Consumes and applies what precedes the next head (state lines, empty lines), recording
    /// it in `pos`, and measures the head's own unit without consuming it. Returns the bytes
    /// consumed, and the head if its unit is complete. With the unit still at the front, the
    /// next call finds the same head again.
    fn next_head(&mut self, src: &[u8], pos: &mut Position) -> Result<(usize, Option<Found<'_>>), Error>;

    /// The limits in force.
    fn limits(&self) -> &Limits;

    /// The error for input that ends with `rest`, an unfinished head, unconsumed.
    fn unfinished(&mut self, rest: &[u8], pos: &Position) -> Error;

    /// A steady feed's next request: if `src` starts with the unit that issues it and nothing
    /// else needs doing, sets up [`Heads::steady_head`] and returns the body length, the
    /// unit's length and its LF count. Only a fast path: `None` falls back to
    /// [`Heads::next_head`], which gives the same.
    #[inline]
    fn steady(&mut self, _src: &[u8]) -> Option<(u64, usize, u64)> {
        None
    }

    /// The head [`Heads::steady`] set up: also the head [`Heads::next_head`] found last.
    #[inline]
    fn steady_head(&self) -> Option<&Head> {
        None
    }

    /// The head found last (by [`Heads::next_head`] or [`Heads::steady`]) has been consumed.
    #[inline]
    fn taken(&mut self) {}

    /// The status of the response after which the stream is no longer HTTP (a 101, a 2xx to
    /// CONNECT), once that response is taken.
    #[inline]
    fn switched(&self) -> Option<u16> {
        None
    }
}

/// The owned message a grammar's reader gives.
pub(crate) type MessageOf<H> = <<H as Grammar>::Direction as Direction>::Message;
/// The borrowed message a grammar's reader gives.
pub(crate) type MessageRefOf<'h, 's, H> = <<H as Grammar>::Direction as Direction>::MessageRef<'h, 's>;

/// A body gathered for a whole message.
#[derive(Debug)]
struct Gather {
    head: Head,
    first: Bytes,
    rest: BytesMut,
    /// Where the body starts: errors about its size point here, however it arrived.
    start: Position,
}

impl Gather {
    fn into_message<D: Direction>(self) -> D::Message {
        let body = if self.rest.is_empty() { self.first } else { self.rest.freeze() };
        D::message(Token(()), self.head, body)
    }
}

/// Turns heads and body bytes into events and whole requests.
#[derive(Debug)]
pub struct Stream<H> {
    pub(crate) heads: H,
    pub(crate) pos: Position,
    body: Option<BodyScanner>,
    gather: Option<Gather>,
    failed: Option<Error>,
}

/// A whole request measured at the front of the input: bytes consumed before its head, and
/// its head with the body's length, if head and body are complete.
type Measured<'h> = (usize, Option<(Found<'h>, usize)>);

/// Finds the next whole request in `src` without consuming its head or body.
fn measure<'h, H: Heads>(heads: &'h mut H, pos: &mut Position, src: &[u8]) -> Result<Measured<'h>, Error> {
    let limits = *heads.limits();
    let (before, found) = heads.next_head(src, pos)?;
    let Some(found) = found else { return Ok((before, None)) };
    let start = before + found.len;
    let available = src.len() - start;
    let body = match found.head.framing {
        Framing::None | Framing::Announced(_) | Framing::AnnouncedChunked => Some(0),
        // Only the end of input ends it (see `decode_slice_eof`); held whole, it is refused
        // as soon as more than `max_body` of it is here.
        Framing::Close if available as u64 > limits.max_body => {
            return Err(pos.error(too_large(Framing::Close, limits.max_body), &src[before..start]))
        }
        Framing::Close => None,
        Framing::Length(n) if n > limits.max_body => {
            return Err(pos.error(too_large(found.head.framing, limits.max_body), &src[before..start]))
        }
        Framing::Length(n) => (n <= available as u64).then_some(n as usize),
        Framing::Chunked => match BodyScanner::new(Framing::Chunked, &limits)
            .scan_capped(&src[start..], (limits.max_body as usize).saturating_add(1))
        {
            Ok(Scan::Done(n) | Scan::More(n)) if n as u64 > limits.max_body => {
                return Err(pos.error(too_large(Framing::Chunked, limits.max_body), &src[before..start]));
            }
            Ok(Scan::Done(n)) => Some(n),
            Ok(Scan::More(_)) => None,
            Err((kind, at)) => return Err(pos.error(kind, &src[before..start + at])),
        },
    };
    Ok((before, body.map(|len| (found, len))))
}

/// The error for a body longer than `limit`: a Content-Length body's declared length; a
/// chunked body is reported as `limit + 1` bytes, the size at which it was found too long, so
/// the error does not depend on how the input was split.
fn too_large(framing: Framing, limit: u64) -> ErrorKind {
    let len = match framing {
        Framing::Length(n) => n,
        _ => limit.saturating_add(1),
    };
    ErrorKind::BodyTooLarge { len, limit }
}

/// What the fast path of [`Stream::decode`] found.
enum Fast<M> {
    Message(M),
    /// No whole head yet.
    NeedMore,
    /// A head whose body is not all here: gather it piece by piece.
    Partial,
}

impl<H: Grammar> Stream<H> {
    pub(crate) fn new(heads: H) -> Self {
        Stream { heads, pos: Position::START, body: None, gather: None, failed: None }
    }

    /// Runs `f`, remembering its error so later calls return it again.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = f(self);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    /// See [`Reader::next_event`](crate::Reader::next_event).
    pub(crate) fn next_event(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        self.guard(|s| s.step(src, usize::MAX))
    }

    /// Has the stream switched protocols, with no body left to read? Then nothing more is
    /// read.
    #[inline]
    fn ended(&self) -> bool {
        self.body.is_none() && self.heads.switched().is_some()
    }

    /// The next event; body data stops at `cap` bytes (see [`BodyScanner::scan_capped`]).
    #[inline]
    fn step(&mut self, src: &mut BytesMut, cap: usize) -> Result<Option<Event>, Error> {
        if self.ended() {
            return Ok(None);
        }
        let Some(scanner) = &mut self.body else {
            let (before, found) = self.heads.next_head(src, &mut self.pos)?;
            let found = found.map(|f| (f.head.clone(), f.len, f.lines));
            src.advance(before);
            let Some((head, len, lines)) = found else { return Ok(None) };
            src.advance(len);
            self.pos.consume(len, lines);
            self.heads.taken();
            self.body = Some(BodyScanner::new(head.framing, self.heads.limits()));
            return Ok(Some(Event::Head(head)));
        };
        if scanner.is_done() {
            self.body = None;
            return Ok(Some(Event::End));
        }
        let n = match scanner.scan_capped(src, cap) {
            Ok(Scan::More(0)) => return Ok(None),
            Ok(Scan::More(n) | Scan::Done(n)) => n,
            // The body bytes before the fault go out first, as they would have had the fault
            // come in a later read: the events do not depend on how the input is split. The
            // scanner stands at the fault, so the next call reports it.
            Err((_, at)) if at > 0 => at,
            Err((kind, _)) => return Err(self.pos.error(kind, &[])),
        };
        let data = src.split_to(n).freeze();
        self.pos.consume(n, count_lf(&data));
        Ok(Some(Event::Data(data)))
    }

    /// See [`Reader::decode_slice`](crate::Reader::decode_slice).
    pub(crate) fn decode_slice<'s>(
        &mut self,
        src: &'s [u8],
    ) -> Result<(usize, Option<MessageRefOf<'_, 's, H>>), Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.ended() {
            return Ok((0, None));
        }
        // A steady feed's request, whole: one line and the body after it.
        if self.body.is_none() {
            if let Some((total, n)) = self.steady_whole(src) {
                let body = &src[total..total + n];
                // (`steady` returned a unit, so `steady_head` has its head.)
                let message = self.heads.steady_head().map(|head| H::Direction::message_ref(Token(()), head, body));
                return Ok((total + n, message));
            }
        }
        // A body streamed by `next_event` and not finished is skipped.
        let mut skipped = 0;
        if let Some(scanner) = &mut self.body {
            match scanner.scan(src) {
                Ok(Scan::More(n)) => {
                    self.pos.consume(n, count_lf(&src[..n]));
                    return Ok((n, None));
                }
                Ok(Scan::Done(n)) => {
                    self.pos.consume(n, count_lf(&src[..n]));
                    self.body = None;
                    self.gather = None;
                    skipped = n;
                }
                Err((kind, at)) => {
                    let err = self.pos.error(kind, &src[..at]);
                    self.failed = Some(err.clone());
                    return Err(err);
                }
            }
        }
        let src_rest = &src[skipped..];
        let (before, found) = match measure(&mut self.heads, &mut self.pos, src_rest) {
            Ok(m) => m,
            Err(err) => {
                self.failed = Some(err.clone());
                return Err(err);
            }
        };
        let Some((found, len)) = found else { return Ok((skipped + before, None)) };
        let (unit, lines) = (found.len, found.lines);
        let start = before + unit;
        let body = &src_rest[start..start + len];
        self.pos.consume(unit, lines);
        self.pos.consume(len, count_lf(body));
        self.heads.taken();
        // (The head found last is the one `steady_head` gives.)
        let message = self.heads.steady_head().map(|head| H::Direction::message_ref(Token(()), head, body));
        Ok((skipped + start + len, message))
    }

    /// See [`Reader::decode_slice_eof`](crate::Reader::decode_slice_eof).
    pub(crate) fn decode_slice_eof<'s>(
        &mut self,
        src: &'s [u8],
    ) -> Result<(usize, Option<MessageRefOf<'_, 's, H>>), Error> {
        if self.failed.is_some() || self.body.is_some() || self.ended() {
            return self.decode_slice(src);
        }
        let limit = self.heads.limits().max_body;
        let found = self
            .heads
            .next_head(src, &mut self.pos)
            .map(|(before, found)| (before, found.map(|f| (f.len, f.lines, f.head.framing == Framing::Close))));
        let (before, found) = match found {
            Ok(found) => found,
            Err(err) => {
                self.failed = Some(err.clone());
                return Err(err);
            }
        };
        // The lines before the head are consumed. A close-delimited body takes the rest;
        // anything else is read the usual way (which finds the same head again).
        let Some((len, lines, true)) = found else {
            return self.decode_slice(&src[before..]).map(|(used, message)| (before + used, message));
        };
        let start = before + len;
        let body = &src[start..];
        if body.len() as u64 > limit {
            let err = self.pos.error(too_large(Framing::Close, limit), &src[before..start]);
            self.failed = Some(err.clone());
            return Err(err);
        }
        self.pos.consume(len, lines);
        self.pos.consume(body.len(), count_lf(body));
        self.heads.taken();
        // (The head found last is the one `steady_head` gives.)
        let head = self.heads.steady_head();
        Ok((src.len(), head.map(|head| H::Direction::message_ref(Token(()), head, body))))
    }

    /// The whole next request if it is all in `src`, taken without events.
    #[inline]
    fn fast(&mut self, src: &mut BytesMut) -> Result<Fast<MessageOf<H>>, Error> {
        match self.take_whole(src)? {
            Some(message) => Ok(Fast::Message(message)),
            None if self.heads.next_head(src, &mut self.pos)?.1.is_some() => Ok(Fast::Partial),
            None => Ok(Fast::NeedMore),
        }
    }

    /// The next request if head and body are all in `src`, body sliced out without copying;
    /// otherwise `None`, having consumed only what precedes the head.
    fn take_whole(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<H>>, Error> {
        let (before, found) = measure(&mut self.heads, &mut self.pos, src)?;
        let found = found.map(|(f, len)| (f.head.clone(), f.len, f.lines, len));
        src.advance(before);
        let Some((head, len, lines, body_len)) = found else { return Ok(None) };
        src.advance(len);
        self.pos.consume(len, lines);
        self.heads.taken();
        let body = src.split_to(body_len).freeze();
        self.pos.consume(body_len, count_lf(&body));
        Ok(Some(H::Direction::message(Token(()), head, body)))
    }

    /// See [`Reader::try_decode`](crate::Reader::try_decode).
    pub(crate) fn try_decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<H>>, Error> {
        self.guard(|s| {
            if s.body.is_some() || s.gather.is_some() || s.ended() {
                return Ok(None);
            }
            match s.steady_request(src) {
                Some(request) => Ok(Some(request)),
                None => s.take_whole(src),
            }
        })
    }

    /// A steady feed's next request, owned, if it is whole in `src` (see [`Heads::steady`]).
    #[inline]
    fn steady_request(&mut self, src: &mut BytesMut) -> Option<MessageOf<H>> {
        let (total, n) = self.steady_whole(src)?;
        let head = self.heads.steady_head()?.clone();
        src.advance(total);
        Some(H::Direction::message(Token(()), head, src.split_to(n).freeze()))
    }

    /// A steady feed's next request if its line and whole body are in `src` (see
    /// [`Heads::steady`]): the line's length and the body's, both counted in the position.
    #[inline(always)]
    fn steady_whole(&mut self, src: &[u8]) -> Option<(usize, usize)> {
        let (n, total, lines) = self.heads.steady(src)?;
        if n > self.heads.limits().max_body || n > (src.len() - total) as u64 {
            return None;
        }
        let n = n as usize;
        self.pos.consume(total, lines);
        self.pos.consume(n, count_lf(&src[total..total + n]));
        self.heads.taken();
        Some((total, n))
    }

    /// See [`Reader::decode`](crate::Reader::decode).
    pub(crate) fn decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<H>>, Error> {
        self.guard(|s| s.decode_inner(src))
    }

    fn decode_inner(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<H>>, Error> {
        if self.body.is_none() && self.gather.is_none() {
            if self.ended() {
                return Ok(None);
            }
            if let Some(message) = self.steady_request(src) {
                return Ok(Some(message));
            }
            match self.fast(src)? {
                Fast::Message(message) => return Ok(Some(message)),
                Fast::NeedMore => return Ok(None),
                Fast::Partial => {}
            }
        }
        loop {
            // A body held whole stops being read once it passes max_body.
            let seen = self.gather.as_ref().map_or(0, |g| g.first.len().max(g.rest.len()));
            let cap = (self.heads.limits().max_body as usize).saturating_add(1).saturating_sub(seen);
            match self.step(src, cap)? {
                None => return Ok(None),
                Some(Event::Head(head)) => {
                    if let Framing::Length(n) = head.framing {
                        self.check_body(n, head.framing, self.pos)?;
                    }
                    let start = self.pos;
                    self.gather = Some(Gather { head, first: Bytes::new(), rest: BytesMut::new(), start });
                }
                Some(Event::Data(data)) => {
                    let Some(g) = &mut self.gather else { continue };
                    if g.first.is_empty() && g.rest.is_empty() {
                        g.first = data;
                    } else {
                        if g.rest.is_empty() {
                            g.rest.extend_from_slice(&g.first);
                        }
                        g.rest.extend_from_slice(&data);
                    }
                    let (len, framing, start) = (g.first.len().max(g.rest.len()) as u64, g.head.framing, g.start);
                    self.check_body(len, framing, start)?;
                }
                Some(Event::End) => {
                    let Some(gather) = self.gather.take() else { continue };
                    return Ok(Some(gather.into_message::<H::Direction>()));
                }
            }
        }
    }

    /// See [`Reader::decode_eof`](crate::Reader::decode_eof).
    pub(crate) fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<H>>, Error> {
        match self.decode(src)? {
            Some(message) => Ok(Some(message)),
            // The end of input ends a close-delimited body.
            None if self.body.is_some_and(|b| b.is_close()) => {
                self.body = None;
                Ok(self.gather.take().map(Gather::into_message::<H::Direction>))
            }
            None => self.check_eof(src).map(|()| None),
        }
    }

    /// See [`Reader::next_event_eof`](crate::Reader::next_event_eof).
    pub(crate) fn next_event_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        match self.next_event(src)? {
            Some(event) => Ok(Some(event)),
            // The end of input ends a close-delimited body.
            None if self.body.is_some_and(|b| b.is_close()) => {
                self.body = None;
                Ok(Some(Event::End))
            }
            None => self.check_eof(src).map(|()| None),
        }
    }

    /// At the end of input: anything left over is a truncated line or body. The error points
    /// at the first byte not consumed: the start of the unfinished unit.
    fn check_eof(&mut self, src: &[u8]) -> Result<(), Error> {
        if let (Some(status), false) = (self.heads.switched(), src.is_empty()) {
            return self.fail(ErrorKind::AfterSwitch { bytes: src.len() as u64, status }, &[]);
        }
        let what = match &self.body {
            Some(scanner) => scanner.describe_remaining(),
            None if src.is_empty() => return Ok(()),
            None => {
                let err = self.heads.unfinished(src, &self.pos);
                self.failed = Some(err.clone());
                return Err(err);
            }
        };
        self.fail(ErrorKind::UnexpectedEof { what }, &[])
    }

    /// See [`Reader::finish_slice`](crate::Reader::finish_slice).
    pub(crate) fn finish_slice(&mut self, rest: &[u8]) -> Result<(), Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.body.is_none() && !rest.is_empty() && self.heads.switched().is_none() {
            // A whole head with its body cut short: report it as the event calls would, after
            // the body bytes they would have consumed.
            let limits = *self.heads.limits();
            let mut pos = self.pos;
            if let Ok((before, Some(found))) = self.heads.next_head(rest, &mut pos) {
                let start = before + found.len;
                let mut scanner = BodyScanner::new(found.head.framing, &limits);
                let taken = match scanner.scan(&rest[start..]) {
                    Ok(Scan::More(n)) => n,
                    _ => 0,
                };
                let what = match found.head.framing {
                    Framing::Close => "a close-delimited body (decode_slice_eof reads it)".to_string(),
                    _ => scanner.describe_remaining(),
                };
                return self.fail(ErrorKind::UnexpectedEof { what }, &rest[..start + taken]);
            }
        }
        self.check_eof(rest)
    }

    /// A body of `len` bytes so far (or declared), starting at `start`, must fit `max_body`.
    fn check_body(&mut self, len: u64, framing: Framing, start: Position) -> Result<(), Error> {
        let limit = self.heads.limits().max_body;
        if len > limit {
            let err = start.error(too_large(framing, limit), &[]);
            self.failed = Some(err.clone());
            return Err(err);
        }
        Ok(())
    }

    fn fail(&mut self, kind: ErrorKind, skipped: &[u8]) -> Result<(), Error> {
        let err = self.pos.error(kind, skipped);
        self.failed = Some(err.clone());
        Err(err)
    }
}

/// The grammar a [`Reader`] reads: [`Compact`](crate::Compact) (the compact syntax, read by a
/// [`Decoder`](crate::Decoder)) or [`Plain`](crate::http1::Plain) (HTTP/1.1, read by an
/// [`http1::Parser`](crate::http1::Parser)). Sealed: the crate defines both and no other.
///
/// Name it to write code that reads either:
///
/// ```
/// use bytes::BytesMut;
/// use streamline::{http1, Decoder, Grammar, Reader};
///
/// fn count<G: Grammar>(reader: &mut Reader<G>, bytes: &[u8]) -> usize {
///     let mut src = BytesMut::from(bytes);
///     let mut n = 0;
///     while let Ok(Some(_)) = reader.decode_eof(&mut src) {
///         n += 1;
///     }
///     n
/// }
/// assert_eq!(count(&mut http1::Parser::new(), b"GET / HTTP/1.1\r\n\r\n"), 1);
/// assert_eq!(count(&mut Decoder::new(), b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n-:\r\n-:a\r\n"), 2);
/// ```
pub trait Grammar: Heads {
    /// The direction read: [`Requests`](crate::Requests) or [`Responses`](crate::Responses),
    /// which fixes the messages the reader gives. Name it to write code for one direction:
    /// `G: Grammar<Direction = Requests>` reads requests of either syntax.
    type Direction: Direction;
}

/// Reads a message stream of either syntax and either direction: whole messages, borrowed
/// messages, or events that stream bodies of any size.
///
/// | reader | grammar | reads | gives |
/// | --- | --- | --- | --- |
/// | [`Decoder`](crate::Decoder) | `Compact` (`Compact<Requests>`) | compact requests | [`Request`](crate::Request), [`RequestRef`](crate::RequestRef) |
/// | [`http1::Parser`](crate::http1::Parser) | `Plain` (`Plain<Requests>`) | plain HTTP/1.1 requests | the same |
/// | [`ResponseDecoder`](crate::ResponseDecoder) | `Compact<Responses>` | compact responses | [`Response`](crate::Response), [`ResponseRef`](crate::ResponseRef) |
/// | [`http1::ResponseParser`](crate::http1::ResponseParser) | `Plain<Responses>` | plain HTTP/1.1 responses | the same |
///
/// Feed it whatever bytes have arrived; it consumes only whole units (lines, heads, body
/// pieces), so the result is the same however the input is split. Running out of input is
/// never an error: `Ok(None)` asks for more. After an error every call returns that error
/// again.
///
/// | call | gives | for |
/// | --- | --- | --- |
/// | [`decode_slice`](Reader::decode_slice) | a borrowed message (`RequestRef`, `ResponseRef`) | the fastest path: bodies not copied, no reference counts |
/// | [`decode`](Reader::decode) / [`try_decode`](Reader::try_decode) | owned messages, bodies sliced out of a `BytesMut` | messages that outlive the buffer |
/// | [`next_event`](Reader::next_event) | [`Event`]s: head, body pieces, end | bodies of any size in bounded memory |
#[derive(Debug)]
pub struct Reader<G> {
    pub(crate) stream: Stream<G>,
}

impl<G: Grammar> Reader<G> {
    pub(crate) fn from_heads(heads: G) -> Self {
        Reader { stream: Stream::new(heads) }
    }

    /// Reads the next event. `Ok(None)`: feed more bytes.
    ///
    /// Body bytes are handed out as they arrive, so a body of any size passes through in
    /// bounded memory.
    pub fn next_event(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        self.stream.next_event(src)
    }

    /// Like [`Reader::next_event`], at the end of the input: bytes left over that do not finish
    /// a line or body are an [`ErrorKind::UnexpectedEof`].
    pub fn next_event_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        self.stream.next_event_eof(src)
    }

    /// Reads the next whole request. `Ok(None)`: feed more bytes.
    ///
    /// A body that arrives whole is sliced out of `src` without copying. Bodies are held
    /// whole, up to [`Limits::max_body`]; use [`Reader::next_event`] to stream larger ones. Do
    /// not switch from `next_event` to this call in the middle of a request: that request is
    /// then skipped.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<G>>, Error> {
        self.stream.decode(src)
    }

    /// Like [`Reader::decode`], at the end of the input: bytes left over that do not make a
    /// whole request are an [`ErrorKind::UnexpectedEof`].
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<G>>, Error> {
        self.stream.decode_eof(src)
    }

    /// Reads the next whole request from a slice, without copying and without touching a
    /// reference count: the request borrows the reader and `src`. This is the fastest way
    /// through a buffer the caller owns.
    ///
    /// Returns the bytes consumed (always: state lines are consumed even when no request is
    /// complete yet) and the request, if one was complete. Pass the unconsumed rest, with more
    /// input appended, to the next call; at the end of input call [`Reader::finish_slice`]
    /// with what is left. Bodies are held whole, up to [`Limits::max_body`].
    pub fn decode_slice<'s>(&mut self, src: &'s [u8]) -> Result<(usize, Option<MessageRefOf<'_, 's, G>>), Error> {
        self.stream.decode_slice(src)
    }

    /// Like [`Reader::decode_slice`], with `src` all that is left of the input: a
    /// close-delimited response ([`Framing::Close`]) takes the rest of it as its body. Call it
    /// until it returns `(0, None)`, then [`Reader::finish_slice`] with what is left. (For a
    /// request stream it is [`Reader::decode_slice`].)
    pub fn decode_slice_eof<'s>(&mut self, src: &'s [u8]) -> Result<(usize, Option<MessageRefOf<'_, 's, G>>), Error> {
        self.stream.decode_slice_eof(src)
    }

    /// At the end of input, after [`Reader::decode_slice`]: `rest` (what it left unconsumed)
    /// must be empty, or it is an [`ErrorKind::UnexpectedEof`].
    pub fn finish_slice(&mut self, rest: &[u8]) -> Result<(), Error> {
        self.stream.finish_slice(rest)
    }

    /// The next request if it is all in `src` already (its body sliced out without copying);
    /// otherwise `Ok(None)`, consuming at most the state lines before it. For streaming
    /// callers: take whole requests this way and fall back to [`Reader::next_event`] (until
    /// its `End`) for a request bigger than the buffer. Returns `Ok(None)` while a request
    /// started by `next_event` is unfinished. A body over [`Limits::max_body`] is refused, as
    /// by [`Reader::decode`]; a caller that streams every body lifts that limit.
    pub fn try_decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageOf<G>>, Error> {
        self.stream.try_decode(src)
    }

    /// For a response stream: the status of the response after which the connection stopped
    /// being HTTP/1.1 (a 101 Switching Protocols, a 2xx to CONNECT), once it has been read.
    /// The reader reads nothing after it: the bytes that follow belong to the new protocol
    /// (the `_eof` calls report them as [`ErrorKind::AfterSwitch`]).
    pub fn switched(&self) -> Option<u16> {
        self.stream.heads.switched()
    }

    /// The head of the message [`Reader::decode`] has read the head of and is gathering the
    /// body of, until the body is whole: what a server looks at to answer `Expect:
    /// 100-continue` (RFC 9110 §10.1.1) while the client waits to send that body.
    pub fn pending_head(&self) -> Option<&Head> {
        self.stream.gather.as_ref().map(|gather| &gather.head)
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.stream.pos.offset
    }

    /// Line number (1-based, every LF counted) of the next byte to consume.
    pub fn line(&self) -> u64 {
        self.stream.pos.line
    }
}
