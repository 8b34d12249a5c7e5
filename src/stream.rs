//! What both readers share: body framing, whole-request gathering, positions, end of input.
//!
//! A reader supplies heads ([`Heads`]); [`Stream`] turns them into [`Event`]s and
//! [`Request`]s, so the compact decoder and the plain parser frame bodies, count lines and
//! report errors the same way.

use bytes::{Bytes, BytesMut};

use crate::body::{BodyScanner, Scan};
use crate::error::{Error, ErrorKind};
use crate::line::count_lf;
use crate::request::{Framing, Head, Request};
use crate::Limits;

/// One step of a request stream, for callers that stream bodies instead of holding them.
///
/// Every request is `Head`, then zero or more `Data`, then `End`. Both the compact
/// [`Decoder`](crate::Decoder) and the plain [`http1::Parser`](crate::http1::Parser) produce
/// these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request starts. Its framing says what body follows.
    Head(Head),
    /// A piece of the body, verbatim (for chunked framing: the chunked encoding itself).
    Data(Bytes),
    /// The request is complete.
    End,
}

/// Where a reader stands in its input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    /// Bytes consumed so far.
    pub(crate) offset: u64,
    /// Line number of the next byte (1-based, every LF counts).
    pub(crate) line: u64,
}

impl Position {
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

/// A source of request heads: the compact opcode lines or the plain head.
pub(crate) trait Heads {
    /// Reads the next head, consuming exactly what it used and updating `pos`.
    /// `Ok(None)`: not enough input yet; nothing of a partial unit was consumed.
    fn next_head(&mut self, src: &mut BytesMut, pos: &mut Position) -> Result<Option<Head>, Error>;

    /// The limits in force.
    fn limits(&self) -> &Limits;
}

/// A body gathered for a whole request.
#[derive(Debug)]
struct Gather {
    head: Head,
    first: Bytes,
    rest: BytesMut,
}

/// Turns heads and body bytes into events and whole requests.
#[derive(Debug)]
pub(crate) struct Stream<H> {
    pub(crate) heads: H,
    pub(crate) pos: Position,
    body: Option<BodyScanner>,
    gather: Option<Gather>,
    failed: Option<Error>,
}

impl<H: Heads> Stream<H> {
    pub(crate) fn new(heads: H) -> Self {
        Stream { heads, pos: Position { offset: 0, line: 1 }, body: None, gather: None, failed: None }
    }

    /// See [`Decoder::next_event`](crate::Decoder::next_event).
    pub(crate) fn next_event(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = self.step(src);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    #[inline]
    fn step(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        let Some(scanner) = &mut self.body else {
            let Some(head) = self.heads.next_head(src, &mut self.pos)? else { return Ok(None) };
            self.body = Some(BodyScanner::new(head.framing, self.heads.limits()));
            return Ok(Some(Event::Head(head)));
        };
        if scanner.is_done() {
            self.body = None;
            return Ok(Some(Event::End));
        }
        let n = match scanner.scan(src) {
            Ok(Scan::More(0)) => return Ok(None),
            Ok(Scan::More(n) | Scan::Done(n)) => n,
            Err((kind, at)) => return Err(self.pos.error(kind, &src[..at])),
        };
        let data = src.split_to(n).freeze();
        self.pos.consume(n, count_lf(&data));
        Ok(Some(Event::Data(data)))
    }

    /// See [`Decoder::decode`](crate::Decoder::decode).
    pub(crate) fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Request>, Error> {
        loop {
            match self.next_event(src)? {
                None => return Ok(None),
                Some(Event::Head(head)) => {
                    match head.framing {
                        // The common cases, whole: no events, no gathering.
                        Framing::None => {
                            self.body = None;
                            return Ok(Some(Request { head, body: Bytes::new() }));
                        }
                        Framing::Length(n) if n <= self.heads.limits().max_body && n <= src.len() as u64 => {
                            let body = src.split_to(n as usize).freeze();
                            self.pos.consume(body.len(), count_lf(&body));
                            self.body = None;
                            return Ok(Some(Request { head, body }));
                        }
                        Framing::Length(n) => self.check_body(n)?,
                        Framing::Chunked => {}
                    }
                    self.gather = Some(Gather { head, first: Bytes::new(), rest: BytesMut::new() });
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
                    let len = g.first.len().max(g.rest.len()) as u64;
                    self.check_body(len)?;
                }
                Some(Event::End) => {
                    let Some(Gather { head, first, rest }) = self.gather.take() else { continue };
                    let body = if rest.is_empty() { first } else { rest.freeze() };
                    return Ok(Some(Request { head, body }));
                }
            }
        }
    }

    /// See [`Decoder::decode_eof`](crate::Decoder::decode_eof).
    pub(crate) fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Request>, Error> {
        match self.decode(src)? {
            Some(req) => Ok(Some(req)),
            None => self.check_eof(src).map(|()| None),
        }
    }

    /// See [`Decoder::next_event_eof`](crate::Decoder::next_event_eof).
    pub(crate) fn next_event_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        match self.next_event(src)? {
            Some(event) => Ok(Some(event)),
            None => self.check_eof(src).map(|()| None),
        }
    }

    /// At the end of input: anything left over is a truncated line or body.
    /// The error points at the first byte not consumed: the start of the unfinished unit.
    fn check_eof(&mut self, src: &BytesMut) -> Result<(), Error> {
        let what = match &self.body {
            Some(scanner) => scanner.describe_remaining(),
            None if src.is_empty() => return Ok(()),
            None => "a line (no CRLF at the end)".to_string(),
        };
        self.fail(ErrorKind::UnexpectedEof { what }, &[])
    }

    fn check_body(&mut self, len: u64) -> Result<(), Error> {
        let limit = self.heads.limits().max_body;
        if len > limit {
            return self.fail(ErrorKind::BodyTooLarge { len, limit }, &[]);
        }
        Ok(())
    }

    fn fail(&mut self, kind: ErrorKind, skipped: &[u8]) -> Result<(), Error> {
        let err = self.pos.error(kind, skipped);
        self.failed = Some(err.clone());
        Err(err)
    }
}

/// Delegates the public reading calls of a wrapper type to its inner [`Stream`].
macro_rules! stream_api {
    ($ty:ident) => {
        impl $ty {
            /// Reads the next event. `Ok(None)`: feed more bytes.
            ///
            /// Body bytes are handed out as they arrive, so a body of any size passes through
            /// in bounded memory. After an error every call returns that error again.
            pub fn next_event(&mut self, src: &mut bytes::BytesMut) -> Result<Option<$crate::Event>, $crate::Error> {
                self.stream.next_event(src)
            }

            /// Like `next_event`, at the end of the input: bytes left over that do not finish a
            /// line or body are an [`ErrorKind::UnexpectedEof`]($crate::ErrorKind::UnexpectedEof).
            pub fn next_event_eof(
                &mut self,
                src: &mut bytes::BytesMut,
            ) -> Result<Option<$crate::Event>, $crate::Error> {
                self.stream.next_event_eof(src)
            }

            /// Reads the next whole request. `Ok(None)`: feed more bytes.
            ///
            /// A body that arrives whole is sliced out of `src` without copying. Bodies are
            /// held whole, up to [`Limits::max_body`]($crate::Limits::max_body); use
            /// `next_event` to stream larger ones. Do not switch from `next_event` to this call
            /// in the middle of a request: that request is then skipped.
            pub fn decode(&mut self, src: &mut bytes::BytesMut) -> Result<Option<$crate::Request>, $crate::Error> {
                self.stream.decode(src)
            }

            /// Like `decode`, at the end of the input: bytes left over that do not make a whole
            /// request are an [`ErrorKind::UnexpectedEof`]($crate::ErrorKind::UnexpectedEof).
            pub fn decode_eof(&mut self, src: &mut bytes::BytesMut) -> Result<Option<$crate::Request>, $crate::Error> {
                self.stream.decode_eof(src)
            }

            /// Bytes consumed so far.
            pub fn offset(&self) -> u64 {
                self.stream.pos.offset
            }
        }
    };
}

pub(crate) use stream_api;
