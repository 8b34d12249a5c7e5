//! Sans-IO decoder for the compact syntax: bytes in, requests (or streaming events) out.

use bytes::{Buf, BytesMut};

use crate::error::Error;
use crate::line::next_line;
use crate::request::Head;
use crate::state::State;
use crate::stream::{stream_api, Heads, Position, Stream};
use crate::syntax::parse_op;
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
#[derive(Debug)]
pub struct Decoder {
    stream: Stream<OpLines>,
}

/// The compact head source: opcode lines applied to the state until one issues a request.
#[derive(Debug)]
struct OpLines {
    state: State,
}

impl Heads for OpLines {
    #[inline]
    fn next_head(&mut self, src: &mut BytesMut, pos: &mut Position) -> Result<Option<Head>, Error> {
        let max_line = self.state.limits().max_line;
        loop {
            let line = match next_line(src, max_line) {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(None),
                Err(kind) => return Err(pos.error(kind, &[])),
            };
            let issued = parse_op(&src[..line.content]).and_then(|op| self.state.apply(&op));
            let head = issued.map_err(|kind| pos.error(kind, &[]))?;
            src.advance(line.total);
            pos.consume(line.total, 1);
            if head.is_some() {
                return Ok(head);
            }
        }
    }

    fn limits(&self) -> &Limits {
        self.state.limits()
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with [`Limits::default`].
    pub fn new() -> Self {
        Decoder::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder { stream: Stream::new(OpLines { state: State::new(limits) }) }
    }

    /// The connection state as decoded so far.
    pub fn state(&self) -> &State {
        &self.stream.heads.state
    }
}

stream_api!(Decoder);
