//! Sans-IO decoder for the compact syntax: bytes in, requests (or streaming events) out.

use crate::compact::state::State;
use crate::compact::syntax::{parse_op, steady_line};
use crate::error::{Error, ErrorKind};
use crate::message::{Framing, Head};
use crate::read::{Found, Grammar, Heads, Position, Reader};
use crate::wire::chars::header_line;
use crate::wire::line::next_line;
use crate::Limits;

/// Decodes a compact stream (SPEC.md §4–§6).
///
/// Feed it whatever bytes have arrived; it consumes only whole lines and whole body pieces, so
/// the result is the same however the input is split. An unfinished line is an error once it
/// passes [`Limits::max_line`], so a peer cannot make it buffer without bound.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use streamline::Decoder;
///
/// let mut src = BytesMut::from(&b"V:HTTP/1.1\r\nM:POST\r\nB:/q\r\n+: 2\r\nhi+: 2\r\nyo"[..]);
/// let mut decoder = Decoder::new();
/// let first = decoder.decode(&mut src).unwrap().unwrap();
/// assert_eq!(first.body(), "hi");
/// let mut plain = Vec::new();
/// first.write_http1(&mut plain);
/// assert_eq!(plain, b"POST /q HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
/// assert!(decoder.decode(&mut src).unwrap().is_some());
/// assert!(decoder.decode_eof(&mut src).unwrap().is_none());
/// ```
pub type Decoder = Reader<Compact>;

/// The compact grammar (SPEC.md §2–§5): opcode lines applied to the connection state until one
/// issues a request. A [`Reader`] of it is a [`Decoder`].
#[derive(Debug)]
pub struct Compact {
    state: State,
    /// The head issued last; a steady feed updates only its framing.
    slot: Option<Head>,
}

impl Heads for Compact {
    #[inline]
    fn next_head(&mut self, src: &[u8], pos: &mut Position) -> Result<(usize, Option<Found<'_>>), Error> {
        // The steady feed: `+: LEN` from an unchanged state touches only that line.
        if let Some((_, total, lines)) = self.steady(src) {
            return Ok((0, self.slot.as_ref().map(|head| Found { head, len: total, lines })));
        }
        let max_line = self.state.limits().max_line;
        let mut used = 0;
        loop {
            let rest = &src[used..];
            // Most lines of a changing stream are `H:`: a valid one is checked in one pass.
            if let Some((content, total)) = header_line(rest, max_line) {
                self.state.push_header(&rest[2..content]).map_err(|kind| pos.error(kind, &[]))?;
                used += total;
                pos.consume(total, 1);
                continue;
            }
            let line = match next_line(rest, max_line) {
                Ok(Some(line)) => line,
                Ok(None) => return Ok((used, None)),
                Err(kind) => return Err(pos.error(kind, &[])),
            };
            let issued = parse_op(&rest[..line.content]).and_then(|op| self.state.apply_into(&op, &mut self.slot));
            if issued.map_err(|kind| pos.error(kind, &[]))? {
                let found = self.slot.as_ref().map(|head| Found { head, len: line.total, lines: 1 });
                return Ok((used, found));
            }
            used += line.total;
            pos.consume(line.total, 1);
        }
    }

    #[inline(always)]
    fn steady(&mut self, src: &[u8]) -> Option<(u64, usize, u64)> {
        let (len, total) = steady_line(src)?;
        // `Content-Length: LEN` CRLF is 13 bytes longer than `+: LEN` CRLF, and must fit too.
        if total + 13 > self.state.limits().max_line || !self.state.reissues(&self.slot) {
            return None;
        }
        self.slot.as_mut()?.framing = Framing::Length(len);
        Some((len, total, 1))
    }

    #[inline]
    fn steady_head(&self) -> Option<&Head> {
        self.slot.as_ref()
    }

    fn limits(&self) -> &Limits {
        self.state.limits()
    }

    fn unfinished(&mut self, _rest: &[u8], pos: &Position) -> Error {
        pos.error(ErrorKind::UnexpectedEof { what: "a line (no CRLF at the end)".into() }, &[])
    }
}

impl Grammar for Compact {}

impl Default for Reader<Compact> {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Reader<Compact> {
    /// A decoder with [`Limits::default`].
    pub fn new() -> Self {
        Decoder::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Reader::from_heads(Compact { state: State::new(limits), slot: None })
    }

    /// The connection state as decoded so far.
    pub fn state(&self) -> &State {
        &self.stream.heads.state
    }
}
