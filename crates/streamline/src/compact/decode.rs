//! Sans-IO decoder for the compact syntax: bytes in, requests or responses (or streaming
//! events) out.

use std::marker::PhantomData;

use crate::compact::state::State;
use crate::compact::statics;
use crate::compact::syntax::{number, parse_op, parse_response_op, short_line, steady_line};
use crate::error::{escape, Error, ErrorKind};
use crate::message::{Direction, Framing, Head, Requests, Responses};
use crate::read::{Found, Grammar, Heads, Position, Reader};
use crate::wire::chars::header_line;
use crate::wire::huffman::{self, Invalid};
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

/// Decodes a compact response stream (SPEC.md §13): [`Decoder`] for the other direction.
///
/// ```
/// use bytes::BytesMut;
/// use streamline::ResponseDecoder;
///
/// let mut src = BytesMut::from(&b"C:200 OK\r\nV:HTTP/1.1\r\nH:Server: nginx\r\n+: 3\r\nOK\n+:\r\nOK\n"[..]);
/// let mut decoder = ResponseDecoder::new();
/// let first = decoder.decode(&mut src)?.unwrap();
/// let mut plain = Vec::new();
/// first.write_http1(&mut plain);
/// assert_eq!(plain, b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\n\r\nOK\n");
/// assert_eq!(decoder.decode_eof(&mut src)?.unwrap().body(), "OK\n");
/// # Ok::<(), streamline::Error>(())
/// ```
pub type ResponseDecoder = Reader<Compact<Responses>>;

/// The compact grammar (SPEC.md §2–§5, §13): opcode lines applied to the connection state
/// until one issues a message. A [`Reader`] of it is a [`Decoder`] or a [`ResponseDecoder`].
#[derive(Debug)]
pub struct Compact<D = Requests> {
    state: State,
    /// The head issued last; a steady feed updates only its framing.
    slot: Option<Head>,
    /// Responses: has the stream's first line (which must be `C:`) been seen?
    started: bool,
    /// Responses: a 101 was taken, and the stream is over (SPEC.md §13.3).
    switched: Option<u16>,
    /// The line the last packed line (SPEC.md §4.11) decoded to: at most `max_line` bytes.
    unpacked: Vec<u8>,
    /// The line the last static line (SPEC.md §4.12) stands for: at most `max_line` bytes.
    expanded: Vec<u8>,
    direction: PhantomData<D>,
}

/// What a compact response stream starts with (SPEC.md §13.1).
const RESPONSE_START: ErrorKind = ErrorKind::WrongDirection("a compact response stream starts with a 'C:' line");

impl<D: Direction> Heads for Compact<D> {
    #[inline]
    fn next_head(&mut self, src: &[u8], pos: &mut Position) -> Result<(usize, Option<Found<'_>>), Error> {
        // The steady feed: `+: LEN` from an unchanged state touches only that line.
        if let Some((_, total, lines)) = self.steady(src) {
            return Ok((0, self.slot.as_ref().map(|head| Found { head, len: total, lines })));
        }
        if D::RESPONSES && !self.started {
            match src {
                [b'C', b':', ..] => self.started = true,
                [] | [b'C'] => return Ok((0, None)),
                _ => return Err(pos.error(RESPONSE_START, &[])),
            }
        }
        let max_line = self.state.limits().max_line;
        let mut used = 0;
        loop {
            let rest = &src[used..];
            // A register load, a table line set and an issue: most lines of a stream that
            // changes from registers (a browsing session), each taken without a line search
            // or the grammar. (The general path below gives the same opcode for each.)
            if let Some((op, total)) = short_line(rest).filter(|&(_, total)| total <= max_line) {
                if self.state.apply_into(&op, &mut self.slot).map_err(|kind| pos.error(kind, &[]))? {
                    let found = self.slot.as_ref().map(|head| Found { head, len: total, lines: 1 });
                    return Ok((used, found));
                }
                used += total;
                pos.consume(total, 1);
                continue;
            }
            // Most other lines of a changing stream are `H:`: a valid one is checked in one pass.
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
            // `~` is no opcode: a packed or static line is taken here, out of the way.
            if rest[0] == b'~' {
                let first = pos.offset + used as u64 == 0;
                let (total, lines, issued) = match self.packed(rest, line.content, line.total, first) {
                    Ok(Some(read)) => read,
                    Ok(None) => return Ok((used, None)),
                    Err(kind) => return Err(pos.error(kind, &[])),
                };
                if issued {
                    return Ok((used, self.slot.as_ref().map(|head| Found { head, len: total, lines })));
                }
                used += total;
                pos.consume(total, lines);
                continue;
            }
            let content = &rest[..line.content];
            let op = if D::RESPONSES { parse_response_op(content) } else { parse_op(content) };
            // Borrowed where it lies: moving the parsed opcode out of its `Result` made the
            // compiler copy it through the stack in pieces of other sizes than it was written
            // in, a store-forwarding stall on every line (a quarter of this function's time).
            let op = match &op {
                Ok(op) => op,
                Err(kind) => return Err(pos.error(kind.clone(), &[])),
            };
            if self.state.apply_into(op, &mut self.slot).map_err(|kind| pos.error(kind, &[]))? {
                let found = self.slot.as_ref().map(|head| Found { head, len: line.total, lines: 1 });
                return Ok((used, found));
            }
            used += line.total;
            pos.consume(line.total, 1);
        }
    }

    #[inline(always)]
    fn steady(&mut self, src: &[u8]) -> Option<(u64, usize, u64)> {
        let (len, total) = match steady_line(src) {
            Some(found) => found,
            // A response's `+:` repeats the last length.
            None if D::RESPONSES && src.starts_with(b"+:\r\n") => (self.state.last_length?, 4),
            None => return None,
        };
        // `Content-Length: LEN` CRLF is 13 bytes longer than `+: LEN` CRLF, and must fit too.
        if total + 13 > self.state.limits().max_line || !self.state.reissues(&self.slot) {
            return None;
        }
        self.slot.as_mut()?.framing = Framing::Length(len);
        self.state.last_length = Some(len);
        Some((len, total, 1))
    }

    #[inline]
    fn steady_head(&self) -> Option<&Head> {
        self.slot.as_ref()
    }

    #[inline]
    fn taken(&mut self) {
        // A 101 ends a response stream in either syntax, so a decoded stream reads back.
        if D::RESPONSES && self.slot.as_ref().is_some_and(|head| head.status() == Some(101)) {
            self.switched = Some(101);
        }
    }

    fn switched(&self) -> Option<u16> {
        self.switched
    }

    fn limits(&self) -> &Limits {
        self.state.limits()
    }

    fn unfinished(&mut self, rest: &[u8], pos: &Position) -> Error {
        let max_line = self.state.limits().max_line;
        // A whole `~:LEN` line whose code is cut short.
        if let Ok(Some(line)) = next_line(rest, max_line) {
            if let [b'~', b':', len @ ..] = &rest[..line.content] {
                if let Some(packed) = packed_len(len, max_line) {
                    let missing = (line.total + packed).saturating_sub(rest.len());
                    return pos.error(
                        ErrorKind::UnexpectedEof { what: format!("a packed line ({missing} bytes missing)") },
                        &[],
                    );
                }
            }
        }
        pos.error(ErrorKind::UnexpectedEof { what: "a line (no CRLF at the end)".into() }, &[])
    }
}

impl<D: Direction> Compact<D> {
    /// Reads the packed line (SPEC.md §4.11) or static line (§4.12) at the start of `rest`
    /// (its `~:LEN` or `~INDEX` line has `content` bytes, `total` with CRLF): decodes its code
    /// or expands it (a packed line may stand for a static line, which is then expanded),
    /// then parses and applies the line it stands for. Gives the bytes the line takes, the LF
    /// octets in it, and whether it issued a message; `None` if a code has not all arrived.
    #[cold]
    #[inline(never)]
    fn packed(
        &mut self,
        rest: &[u8],
        content: usize,
        total: usize,
        first: bool,
    ) -> Result<Option<(usize, u64, bool)>, ErrorKind> {
        let max_line = self.state.limits().max_line;
        let (len, lines, mut line) = if rest.get(1) == Some(&b':') {
            let Some((len, lines)) = unpack(rest, content, total, first, max_line, &mut self.unpacked)? else {
                return Ok(None);
            };
            (len, lines, &self.unpacked[..])
        } else {
            (total, 1, &rest[..content])
        };
        if line.first() == Some(&b'~') {
            if first {
                return Err(ErrorKind::InvalidStatic {
                    line: escape(line),
                    why: "a stream's first line is never static",
                });
            }
            statics::expand(line, max_line.saturating_sub(2), &mut self.expanded)?;
            line = &self.expanded;
        }
        let op = if D::RESPONSES { parse_response_op(line) } else { parse_op(line) }?;
        let issued = self.state.apply_into(&op, &mut self.slot)?;
        Ok(Some((len, lines, issued)))
    }
}

/// `packed-line = %s"~:" length CRLF code`: the length, 1 to `max_line` (SPEC.md §4.11).
fn packed_len(digits: &[u8], max_line: usize) -> Option<usize> {
    number(digits).filter(|&n| n >= 1 && n <= max_line)
}

/// Decodes the packed line (SPEC.md §4.11) at the start of `rest` (its `~:LEN` line has
/// `content` bytes, `total` with CRLF) into `into`: one line of at most `max_line` bytes with
/// its CRLF, not itself packed. Gives the bytes the packed line takes and the LF octets in it,
/// or `None` if its code has not all arrived.
fn unpack(
    rest: &[u8],
    content: usize,
    total: usize,
    first: bool,
    max_line: usize,
    into: &mut Vec<u8>,
) -> Result<Option<(usize, u64)>, ErrorKind> {
    let line = &rest[..content];
    let Some(packed) = packed_len(&line[2..], max_line) else {
        return Err(invalid_packed(line, "expected '~:LEN', LEN 1 to max_line"));
    };
    let Some(code) = rest.get(total..total + packed) else {
        return Ok(None);
    };
    if first {
        return Err(invalid_packed(line, "a stream's first line is never packed"));
    }
    into.clear();
    let fault = match huffman::decode(code, into, max_line.saturating_sub(2)) {
        Ok(()) if memchr::memchr2(b'\r', b'\n', into).is_some() => "the line it decodes to holds a CR or LF",
        Ok(()) if into.starts_with(b"~:") => "the line it decodes to is packed too",
        Ok(()) => return Ok(Some((total + packed, 1 + memchr::memchr_iter(b'\n', code).count() as u64))),
        Err(Invalid::Eos) => "the code holds EOS",
        Err(Invalid::Padding) => "the code ends in bits that are not EOS's first seven or fewer",
        Err(Invalid::TooLong) => "the line it decodes to is longer than max_line",
    };
    Err(invalid_packed(line, fault))
}

fn invalid_packed(line: &[u8], why: &'static str) -> ErrorKind {
    ErrorKind::InvalidPacked { line: escape(line), why }
}

impl<D: Direction> Grammar for Compact<D> {
    type Direction = D;
}

impl<D: Direction> Default for Reader<Compact<D>> {
    fn default() -> Self {
        Self::with_limits(Limits::default())
    }
}

impl<D: Direction> Reader<Compact<D>> {
    /// A decoder with [`Limits::default`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        let state = State::with_direction(limits, D::RESPONSES);
        Reader::from_heads(Compact {
            state,
            slot: None,
            started: false,
            switched: None,
            unpacked: Vec::new(),
            expanded: Vec::new(),
            direction: PhantomData,
        })
    }

    /// The connection state as decoded so far.
    pub fn state(&self) -> &State {
        &self.stream.heads.state
    }
}
