//! The invariants the fuzz targets assert, one public function per target.
//!
//! This file is the fuzz crate's library and is also compiled into `tests/fuzz_seeds.rs`
//! (through `#[path]`), which replays every file under `fuzz/seeds/<target>/` in an ordinary
//! `cargo test`. It therefore uses only what the main package has as dependencies or
//! dev-dependencies: `streamline`, `bytes` and `httparse`. Each function panics, with a message
//! that names the broken invariant, when the library misbehaves on the input; any input is
//! otherwise fine.
//!
//! The reader checks are written once for both directions and both syntaxes: a [`Checked`]
//! grammar (`Compact<D>`, `http1::Plain<D>`) of a [`Side`] (`Requests`, `Responses`), whose
//! messages are read through the [`Message`] trait.
//!
//! Input layout. [`decode`] and [`http1`] read two control bytes and then the stream:
//!
//! ```text
//! byte 0   limits: 0 default, 1 tiny, 2 small, 3 default (low two bits)
//! byte 1   how to cut the stream: 0 one byte at a time, 255 whole, else random pieces of
//!          1..=(byte / 8 + 1) bytes from a generator seeded with the byte
//! 2..      the stream
//! ```
//!
//! [`responses`] reads the same two bytes, then the methods of the requests the responses
//! answer, then the stream, which both response readers read: the plain one and the compact
//! one (each refuses the other's syntax at its first byte).
//!
//! ```text
//! byte 0      limits, as above
//! byte 1      how to cut the stream, as above
//! byte 2      n: how many methods the plain response reader is told (`expect`) before it
//!             reads; the responses after those answer neither HEAD nor CONNECT
//! 3..3+n      a byte a method, modulo 4: GET, HEAD, CONNECT, POST ([`ANSWERED`])
//! 3+n..       the stream
//! ```
//!
//! Half the inputs, chosen by a hash of the whole input (so an input always gets the same
//! checks), take a cheaper pass: the whole read and one other read path (also chosen by the
//! hash), without the per-request canonical and re-encode checks. That pass costs about a third
//! of the full one, so about 1.5 times as many inputs are tried per second, and every check
//! still runs on at least half of them. A selector in the input itself would not do: the
//! fuzzer seldom mutates byte 0, and keeps few inputs that cover nothing new, so the corpus
//! would stay almost all full passes. The seed replay in `cargo test` runs every check on every
//! seed ([`decode_all`], [`http1_all`], [`responses_all`]).
//!
//! [`roundtrip`] reads its input as choices ([`Choices`]) that build valid requests,
//! [`response_roundtrip`] as choices that build valid responses (or, by its first byte, as a
//! plain response stream). [`differential`] reads its input as one plain HTTP/1.1 request
//! head, [`response_differential`] as a method byte and one response head.

use bytes::{Bytes, BytesMut};
use streamline::{
    http1, Compact, Direction, Drained, Encoder, Error, ErrorKind, Event, Framing, Grammar, Head, Headers, Limits,
    Lookahead, Message, Reader, Request, RequestRef, Requests, Response, ResponseRef, Responses, Syntax, Version,
    Window,
};

// ---------------------------------------------------------------------------------------------
// Directions and grammars: the compact decoder and the plain parser are one
// `streamline::Reader` API over two grammars, in either direction; these traits add what the
// checks need to know of each.
// ---------------------------------------------------------------------------------------------

/// What the checks need to know of a direction, beside its message types.
pub trait Side: Direction + Sized {
    /// The message a reader's events make: the head, the Data bytes.
    fn build(head: Head, body: Bytes) -> Result<Self::Message, Error>;
    /// An owned copy of a message `decode_slice` lent.
    fn owned(message: Self::MessageRef<'_, '_>) -> Self::Message;
    /// An encoder of this direction.
    fn encoder(limits: Limits) -> Encoder;
    /// Tells a plain reader of this direction the methods of the requests answered.
    fn expect(parser: &mut Reader<http1::Plain<Self>>, methods: &[&[u8]]);
    /// How many of `messages`, from the first, a plain reader reads back from their
    /// canonical form, and the methods it must be told for that. A compact stream can say
    /// what plain HTTP/1.1 cannot (a body on a 204, a response after a 101): there the
    /// replay stops.
    fn replayable(messages: &[Self::Message]) -> (usize, Vec<&'static [u8]>);
}

impl Side for Requests {
    fn build(head: Head, body: Bytes) -> Result<Request, Error> {
        Request::new(head, body)
    }

    fn owned(message: RequestRef<'_, '_>) -> Request {
        message.to_request()
    }

    fn encoder(limits: Limits) -> Encoder {
        Encoder::with_limits(limits)
    }

    fn expect(_: &mut http1::Parser, _: &[&[u8]]) {}

    fn replayable(requests: &[Request]) -> (usize, Vec<&'static [u8]>) {
        (requests.len(), Vec::new())
    }
}

impl Side for Responses {
    fn build(head: Head, body: Bytes) -> Result<Response, Error> {
        Response::new(head, body)
    }

    fn owned(message: ResponseRef<'_, '_>) -> Response {
        message.to_response()
    }

    fn encoder(limits: Limits) -> Encoder {
        Encoder::with_limits(limits).responses()
    }

    fn expect(parser: &mut http1::ResponseParser, methods: &[&[u8]]) {
        for method in methods {
            parser.expect(method);
        }
    }

    /// RFC 9112 §6.3 backwards: an interim response (1xx but 101) has no body and answers no
    /// request yet; one without a body that could have one answers HEAD; a 101 and a
    /// close-delimited response end the stream.
    fn replayable(responses: &[Response]) -> (usize, Vec<&'static [u8]>) {
        let mut methods: Vec<&'static [u8]> = Vec::new();
        for (i, resp) in responses.iter().enumerate() {
            let (status, framing) = (resp.status(), resp.head().framing());
            let last = i + 1 == responses.len();
            let interim = status < 200 && status != 101;
            let fits = match framing {
                _ if interim => !framing.has_body(),
                _ if status == 101 => !framing.has_body() && last,
                Framing::Close => last && status != 204 && status != 304,
                Framing::Length(_) | Framing::Chunked => status != 204 && status != 304,
                Framing::None | Framing::Announced(_) | Framing::AnnouncedChunked => true,
            };
            if !fits {
                return (i, methods);
            }
            if !interim {
                methods.push(if framing.has_body() || status == 101 { b"GET" } else { b"HEAD" });
            }
        }
        (responses.len(), methods)
    }
}

/// The methods a response input names, by a byte modulo 4: the two that frame a response
/// differently (RFC 9112 §6.3) and two that do not.
pub const ANSWERED: [&[u8]; 4] = [b"GET", b"HEAD", b"CONNECT", b"POST"];

/// What the checks need to know of a grammar, beside the [`Reader`] API all share.
pub trait Checked: Grammar<Direction: Side> + Sized {
    /// A reader as `setup` says.
    fn reader(setup: Setup<'_>) -> Reader<Self>;
    /// Most bytes the reader may leave in `src` when it asks for more input: what bounds the
    /// input buffer a caller has to keep.
    fn max_pending(limits: &Limits) -> usize;
    /// Checks the reader's own memory accounting against the limits.
    fn check_memory(reader: &Reader<Self>, limits: &Limits);
}

/// The owned message a grammar's reader gives.
pub type Msg<R> = <<R as Grammar>::Direction as Direction>::Message;

impl<D: Side> Checked for Compact<D> {
    fn reader(setup: Setup<'_>) -> Reader<Self> {
        Reader::<Compact<D>>::with_limits(setup.limits)
    }

    /// An unfinished opcode line, chunk-size line or trailer line: shorter than `max_line`
    /// (bodies are handed out as they arrive).
    fn max_pending(limits: &Limits) -> usize {
        limits.get_max_line().saturating_sub(1)
    }

    fn check_memory(reader: &Reader<Self>, limits: &Limits) {
        let bytes = reader.state().bytes();
        assert!(bytes <= limits.get_max_state_bytes(), "state holds {bytes} bytes, over {limits:?}");
    }
}

impl<D: Side> Checked for http1::Plain<D> {
    fn reader(setup: Setup<'_>) -> Reader<Self> {
        let mut parser = Reader::<http1::Plain<D>>::with_limits(setup.limits);
        D::expect(&mut parser, setup.methods);
        parser
    }

    /// An unfinished head: a request-line or status-line, `max_headers` field lines, one
    /// framing field line and the empty line, each shorter than `max_line`.
    fn max_pending(limits: &Limits) -> usize {
        (limits.get_max_headers() + 3).saturating_mul(limits.get_max_line())
    }

    fn check_memory(_reader: &Reader<Self>, _limits: &Limits) {}
}

/// How the checks make a reader: its limits and, for a plain response reader, the methods of
/// the requests answered, told to it (`expect`) before it reads. Every read path of an input
/// gets the same.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// The limits.
    pub limits: Limits,
    /// The methods answered, in order (only a plain response reader is told them).
    pub methods: &'a [&'a [u8]],
}

impl From<Limits> for Setup<'_> {
    fn from(limits: Limits) -> Self {
        Setup { limits, methods: &[] }
    }
}

/// Writes a message's canonical plain form.
fn write_plain<M: Message>(message: &M, dst: &mut Vec<u8>) {
    message.head().write_http1(dst);
    dst.extend_from_slice(message.body());
}
// ---------------------------------------------------------------------------------------------
// Control bytes
// ---------------------------------------------------------------------------------------------

/// Limits small enough that short fuzz inputs reach every limit. The state bytes leave room
/// for the registers' overheads (SPEC.md §7.2) and 96 bytes more, so three registers that hold
/// little fit and three that hold a few dozen bytes do not.
pub fn tiny_limits() -> Limits {
    let state_bytes = 96 + 3 * Limits::REGISTER_OVERHEAD;
    Limits::default()
        .max_line(32)
        .max_registers(3)
        .max_headers(3)
        .max_state_bytes(state_bytes)
        .max_body(40)
        .table_bytes(100)
}

/// Limits between [`tiny_limits`] and the defaults.
pub fn small_limits() -> Limits {
    let state_bytes = 1024 + 16 * Limits::REGISTER_OVERHEAD;
    Limits::default()
        .max_line(256)
        .max_registers(16)
        .max_headers(16)
        .max_state_bytes(state_bytes)
        .max_body(1024)
        .table_bytes(512)
}

/// Limits that never stop a request this crate builds: for re-reading canonical output.
pub fn lenient_limits() -> Limits {
    Limits::default().max_line(1 << 30).max_body(u64::MAX).max_state_bytes(1 << 30)
}

fn limits_for(byte: u8) -> Limits {
    match byte & 3 {
        1 => tiny_limits(),
        2 => small_limits(),
        _ => Limits::default(),
    }
}

/// A small xorshift generator: the cut points must be a pure function of the input.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Cuts `data` into pieces as the control byte says.
pub fn pieces(data: &[u8], cut: u8) -> Vec<&[u8]> {
    match cut {
        0 => data.chunks(1).collect(),
        255 => vec![data],
        _ => {
            let max = u32::from(cut) / 8 + 1;
            let mut rng = XorShift(u32::from(cut).wrapping_mul(0x9e37_79b9) | 1);
            let mut out = Vec::new();
            let mut rest = data;
            while !rest.is_empty() {
                let n = (rng.next() % max + 1) as usize;
                let (piece, tail) = rest.split_at(n.min(rest.len()));
                out.push(piece);
                rest = tail;
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a stream whole, in pieces, and as events
// ---------------------------------------------------------------------------------------------

/// Everything a reader made of a stream: the messages, then the error that stopped it.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome<M> {
    /// Messages read before the end or the error.
    pub messages: Vec<M>,
    /// The error, if the stream was rejected.
    pub error: Option<Error>,
    /// Where the reader stopped reading HTTP ([`Reader::switched`]) at the end.
    pub switched: Option<u16>,
}

/// Reads `data` whole with `decode`/`decode_eof`.
pub fn read_whole<'a, R: Checked>(data: &[u8], setup: impl Into<Setup<'a>>) -> Outcome<Msg<R>> {
    let setup = setup.into();
    let limits = setup.limits;
    let mut src = BytesMut::from(data);
    let mut reader = R::reader(setup);
    let mut messages = Vec::new();
    let error = loop {
        match reader.decode_eof(&mut src) {
            Ok(Some(message)) => {
                assert!(message.body().len() as u64 <= limits.get_max_body(), "whole body over max_body");
                messages.push(message);
            }
            Ok(None) => {
                assert_eq!(reader.offset(), data.len() as u64, "a clean end must consume every byte");
                assert_eq!(reader.line(), line_at(data, data.len()), "line() at the end is not 1 + every LF");
                break None;
            }
            Err(err) => {
                // After an error every call returns it again.
                assert_eq!(reader.decode_eof(&mut src).as_ref().err(), Some(&err), "error not sticky");
                // The error's line is the line of the byte at its offset.
                // A reader's error always has a position.
                let (Some(offset), Some(line)) = (err.offset(), err.line()) else {
                    panic!("a reader's error without a position: {err:?}")
                };
                assert_eq!(err.request(), None, "a reader's error names a request: {err:?}");
                let at = usize::try_from(offset).unwrap_or(usize::MAX);
                assert!(at <= data.len(), "error offset past the input: {err:?}");
                assert_eq!(line, line_at(data, at), "error line does not match its offset: {err:?}");
                break Some(err);
            }
        }
    };
    let switched = reader.switched();
    check_ending(&messages, error.as_ref(), switched, data.len());
    Outcome { messages, error, switched }
}

/// How a response stream may end: a close-delimited response is the last and takes the rest
/// of the input; after a 101 or a 2xx to CONNECT nothing more is read, and the bytes left
/// over are reported as `AfterSwitch`, all of them, from where that response ended.
fn check_ending<M: Message>(messages: &[M], error: Option<&Error>, switched: Option<u16>, len: usize) {
    if let Some(i) = messages.iter().position(|m| m.head().framing() == Framing::Close) {
        assert_eq!(i + 1, messages.len(), "a response read after a close-delimited one");
        assert_eq!(error, None, "a close-delimited response did not take the rest of the input: {error:?}");
    }
    if let Some(status) = switched {
        let last = messages.last().and_then(|m| m.head().status());
        assert_eq!(last, Some(status), "switched() is not the status of the last response read");
    }
    if let Some(err) = error {
        if let ErrorKind::AfterSwitch { bytes, status } = err.kind() {
            assert_eq!(Some(*status), switched, "AfterSwitch names another status than switched(): {err:?}");
            let offset = err.offset().unwrap_or_default();
            assert_eq!(offset + bytes, len as u64, "AfterSwitch does not count every byte left: {err:?}");
        }
    }
}

/// The 1-based line number of byte `at` of `data`: one more than the LFs before it.
fn line_at(data: &[u8], at: usize) -> u64 {
    1 + data[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Checks that the input left waiting and the reader's state stay within the limits, unless
/// the reader has switched protocols: then it reads nothing more, and what follows is for
/// the caller to take.
fn check_waiting<R: Checked>(reader: &Reader<R>, waiting: usize, bound: usize, limits: &Limits) {
    R::check_memory(reader, limits);
    if reader.switched().is_none() {
        assert!(waiting <= bound, "{waiting} bytes left waiting for more input, over the bound {bound}");
    }
}

/// Reads `data` fed in `pieces` with `decode`, then `decode_eof`, checking after every call
/// that the input left waiting and the reader's state stay within the limits.
pub fn read_pieces<'a, R: Checked>(pieces: &[&[u8]], setup: impl Into<Setup<'a>>) -> Outcome<Msg<R>> {
    let setup = setup.into();
    let limits = setup.limits;
    let mut src = BytesMut::new();
    let mut reader = R::reader(setup);
    let mut messages = Vec::new();
    let bound = R::max_pending(&limits);
    let error = 'read: {
        for piece in pieces {
            src.extend_from_slice(piece);
            loop {
                match reader.decode(&mut src) {
                    Ok(Some(message)) => {
                        assert!(message.body().len() as u64 <= limits.get_max_body(), "whole body over max_body");
                        messages.push(message);
                    }
                    Ok(None) => break,
                    Err(err) => break 'read Some(err),
                }
                R::check_memory(&reader, &limits);
            }
            check_waiting(&reader, src.len(), bound, &limits);
        }
        loop {
            match reader.decode_eof(&mut src) {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => break 'read None,
                Err(err) => break 'read Some(err),
            }
        }
    };
    Outcome { messages, error, switched: reader.switched() }
}

/// Reads `data` fed in `pieces` with `decode_slice`, keeping what it leaves unconsumed and
/// appending the next piece, then `decode_slice_eof` (which ends a close-delimited response)
/// and `finish_slice`. The caller's buffer holds a body until it is whole, so it is bounded
/// by the pending head plus `max_body`.
pub fn read_slices<'a, R: Checked>(pieces: &[&[u8]], setup: impl Into<Setup<'a>>) -> Outcome<Msg<R>> {
    let setup = setup.into();
    let limits = setup.limits;
    let mut buf: Vec<u8> = Vec::new();
    let mut reader = R::reader(setup);
    let mut messages = Vec::new();
    let bound = R::max_pending(&limits)
        .saturating_add(limits.get_max_line())
        .saturating_add(usize::try_from(limits.get_max_body()).unwrap_or(usize::MAX));
    let error = 'read: {
        for piece in pieces {
            buf.extend_from_slice(piece);
            loop {
                let (used, message) = match reader.decode_slice(&buf) {
                    Ok((used, message)) => (used, message.map(R::Direction::owned)),
                    Err(err) => break 'read Some(err),
                };
                assert!(used <= buf.len(), "decode_slice consumed {used} of {} bytes", buf.len());
                buf.drain(..used);
                match message {
                    Some(message) => messages.push(message),
                    None => break,
                }
            }
            check_waiting(&reader, buf.len(), bound, &limits);
        }
        // At the end of input, until it takes nothing and gives nothing.
        loop {
            let (used, message) = match reader.decode_slice_eof(&buf) {
                Ok((used, message)) => (used, message.map(R::Direction::owned)),
                Err(err) => break 'read Some(err),
            };
            assert!(used <= buf.len(), "decode_slice_eof consumed {used} of {} bytes", buf.len());
            buf.drain(..used);
            match message {
                Some(message) => messages.push(message),
                None if used == 0 => break,
                None => {}
            }
        }
        reader.finish_slice(&buf).err()
    };
    Outcome { messages, error, switched: reader.switched() }
}

/// Where a message's body starts, as the event API reads it: the head's framing and the
/// reader's `offset()` and `line()` right after the Head event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyStart {
    /// The head's framing.
    pub framing: Framing,
    /// Bytes consumed when the Head event came out.
    pub offset: u64,
    /// The line number then.
    pub line: u64,
}

/// Reads `data` fed in `pieces` with the event API and gathers the events into messages,
/// checking that events come in the order Head, Data*, End.
pub fn read_events<'a, R: Checked>(pieces: &[&[u8]], setup: impl Into<Setup<'a>>) -> Outcome<Msg<R>> {
    read_events_at::<R>(pieces, setup).0
}

/// [`read_events`], also returning where every head's body started (messages not finished
/// included).
pub fn read_events_at<'a, R: Checked>(
    pieces: &[&[u8]],
    setup: impl Into<Setup<'a>>,
) -> (Outcome<Msg<R>>, Vec<BodyStart>) {
    let setup = setup.into();
    let limits = setup.limits;
    let mut src = BytesMut::new();
    let mut reader = R::reader(setup);
    let mut messages = Vec::new();
    let mut starts = Vec::new();
    let mut open: Option<(Head, Vec<u8>)> = None;
    let bound = R::max_pending(&limits);
    let mut take = |event: Event, open: &mut Option<(Head, Vec<u8>)>, reader: &Reader<R>| match event {
        Event::Head(head) => {
            assert!(open.is_none(), "Head before the previous message's End");
            starts.push(BodyStart { framing: head.framing(), offset: reader.offset(), line: reader.line() });
            *open = Some((head, Vec::new()));
        }
        Event::Data(data) => {
            assert!(!data.is_empty(), "empty Data event");
            let (_, body) = open.as_mut().expect("Data outside a message");
            body.extend_from_slice(&data);
        }
        Event::End => {
            let (head, body) = open.take().expect("End outside a message");
            messages.push(R::Direction::build(head, Bytes::from(body)).expect("events make a valid message"));
        }
    };
    let error = 'read: {
        for piece in pieces {
            src.extend_from_slice(piece);
            loop {
                match reader.next_event(&mut src) {
                    Ok(Some(event)) => take(event, &mut open, &reader),
                    Ok(None) => break,
                    Err(err) => break 'read Some(err),
                }
            }
            check_waiting(&reader, src.len(), bound, &limits);
        }
        loop {
            match reader.next_event_eof(&mut src) {
                Ok(Some(event)) => take(event, &mut open, &reader),
                Ok(None) => {
                    assert!(open.is_none(), "clean end inside a message");
                    break 'read None;
                }
                Err(err) => break 'read Some(err),
            }
        }
    };
    (Outcome { messages, error, switched: reader.switched() }, starts)
}

/// Reads `data` fed in `pieces` as a streaming caller uses `try_decode`: whole messages while
/// the buffer holds them, and for a message that is not whole, `next_event` until its End.
/// Checks that `try_decode` leaves a message to the events only if it is not whole in the
/// buffer (a close-delimited one never is: only the end of input ends it), that it returns
/// `Ok(None)` and takes nothing while events stream a message, and that the input left
/// waiting and the reader's state stay within the limits.
pub fn read_mixed<'a, R: Checked>(pieces: &[&[u8]], setup: impl Into<Setup<'a>>) -> Outcome<Msg<R>> {
    let setup = setup.into();
    let limits = setup.limits;
    let mut src = BytesMut::new();
    let mut reader = R::reader(setup);
    let mut messages = Vec::new();
    let mut open: Option<(Head, Vec<u8>)> = None;
    let bound = R::max_pending(&limits);
    let error = 'read: {
        for piece in pieces {
            src.extend_from_slice(piece);
            if let Err(err) = drain_mixed(&mut reader, &mut src, &mut open, &mut messages, limits, false) {
                break 'read Some(err);
            }
            check_waiting(&reader, src.len(), bound, &limits);
        }
        let error = drain_mixed(&mut reader, &mut src, &mut open, &mut messages, limits, true).err();
        if error.is_none() {
            assert!(open.is_none(), "clean end inside a message");
        }
        error
    };
    Outcome { messages, error, switched: reader.switched() }
}

/// [`read_mixed`] on what the buffer holds now (at the end of input if `eof`).
fn drain_mixed<R: Checked>(
    reader: &mut Reader<R>,
    src: &mut BytesMut,
    open: &mut Option<(Head, Vec<u8>)>,
    messages: &mut Vec<Msg<R>>,
    limits: Limits,
    eof: bool,
) -> Result<(), Error> {
    // Set when `try_decode` passed over a message: it cannot end before more input arrives.
    let mut not_whole = false;
    loop {
        let (offset, len) = (reader.offset(), src.len());
        let whole = reader.try_decode(src)?;
        let taken = (len - src.len()) as u64;
        assert_eq!(reader.offset() - offset, taken, "try_decode's offset moved by other than what it took");
        match (whole, open.is_some()) {
            (Some(message), false) => {
                assert!(message.body().len() as u64 <= limits.get_max_body(), "try_decode body over max_body");
                messages.push(message);
                continue;
            }
            (Some(_), true) => panic!("try_decode returned a message while events stream another"),
            (None, true) => assert_eq!(taken, 0, "try_decode took bytes while events stream a message"),
            (None, false) => {}
        }
        let event = if eof { reader.next_event_eof(src)? } else { reader.next_event(src)? };
        match event {
            None => return Ok(()),
            Some(Event::Head(head)) => {
                assert!(open.is_none(), "Head before the previous message's End");
                not_whole = head.framing() != Framing::Close;
                *open = Some((head, Vec::new()));
            }
            Some(Event::Data(data)) => {
                assert!(!data.is_empty(), "empty Data event");
                let (_, body) = open.as_mut().expect("Data outside a message");
                body.extend_from_slice(&data);
            }
            Some(Event::End) => {
                assert!(!not_whole, "try_decode left a message that was whole in the buffer to the events");
                let (head, body) = open.take().expect("End outside a message");
                messages.push(R::Direction::build(head, Bytes::from(body)).expect("events make a valid message"));
            }
        }
    }
}

/// The mixed read ([`read_mixed`]) against the whole read and the events: where nothing is over
/// `max_body` it reads exactly as `decode` does. Past a body over `max_body` it may go on, since
/// a message that is not whole in the buffer streams as events without the limit: then it reads
/// as the events do, up to a message that `try_decode` itself refuses, which must be one whose
/// body is over the limit, refused at its first byte as `decode` would.
fn check_mixed<M: Message + PartialEq + std::fmt::Debug>(
    mixed: &Outcome<M>,
    whole: &Outcome<M>,
    events: &Outcome<M>,
    starts: &[BodyStart],
    limits: Limits,
) {
    if !matches!(whole.error.as_ref().map(Error::kind), Some(ErrorKind::BodyTooLarge { .. })) {
        assert_eq!(mixed, whole, "try_decode with events reads the stream differently");
        return;
    }
    let n = mixed.messages.len();
    assert!(mixed.messages.starts_with(&whole.messages), "try_decode lost a message before the body limit");
    assert!(events.messages.get(..n) == Some(&mixed.messages[..]), "try_decode reads other messages than events");
    let Some(err) = &mixed.error else {
        assert_eq!(mixed, events, "try_decode with events reads the stream differently from events");
        return;
    };
    let ErrorKind::BodyTooLarge { .. } = err.kind() else {
        assert_eq!(mixed, events, "try_decode with events reads the stream differently from events");
        return;
    };
    if n == whole.messages.len() {
        assert_eq!(mixed.error, whole.error, "try_decode refuses the body differently from decode");
    }
    let start = starts.get(n).expect("try_decode refused a body the events never reached");
    let limit = limits.get_max_body();
    let len = match start.framing {
        Framing::Length(declared) => declared,
        _ => limit.saturating_add(1),
    };
    let expected = Error::new(ErrorKind::BodyTooLarge { len, limit }, start.offset, start.line);
    assert_eq!(err, &expected, "try_decode refuses a body other than at its start or for another size");
    if let Some(message) = events.messages.get(n) {
        assert!(message.body().len() as u64 > limit, "try_decode refused a body within max_body");
    }
}

/// The read paths [`check_reader`] compares with the whole read; a cheaper pass runs one.
const PIECES: u8 = 0;
const SLICES: u8 = 1;
const EVENTS: u8 = 2;
const MIXED: u8 = 3;

/// FNV-1a: picks the cheaper pass and its read path as a pure function of the input.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The checks every reader target makes on `stream` (`data` is the whole input, which picks
/// the pass): same result whole, in pieces cut as `cut` says, as borrowed slices, as events
/// and through `try_decode` with events; memory within the limits; every message read writes
/// back and re-encodes to itself. Unless `all`, half the inputs take a cheaper pass (see the
/// module documentation). Returns the whole read.
fn check_reader<R: Checked>(data: &[u8], stream: &[u8], cut: u8, setup: Setup<'_>, all: bool) -> Outcome<Msg<R>> {
    let limits = setup.limits;
    let hash = fnv(data);
    let every = all || hash >> 63 == 0;
    let path = ((hash >> 61) & 3) as u8;
    let on = |p: u8| every || path == p;
    let whole = read_whole::<R>(stream, setup);
    let cuts = pieces(stream, cut);
    if on(PIECES) {
        let split = read_pieces::<R>(&cuts, setup);
        assert_eq!(split, whole, "fed in pieces the stream reads differently from whole");
    }
    if on(SLICES) {
        let slices = read_slices::<R>(&cuts, setup);
        assert_eq!(slices, whole, "decode_slice reads the stream differently from decode");
    }

    // The event API streams bodies, so it stops only where `decode` does, except on bodies
    // over `max_body`, which only `decode` refuses. Past such a body the mixed read is
    // compared with the events.
    let over = matches!(whole.error.as_ref().map(Error::kind), Some(ErrorKind::BodyTooLarge { .. }));
    if on(EVENTS) || (on(MIXED) && over) {
        let (events, starts) = read_events_at::<R>(&cuts, setup);
        if over {
            assert!(events.messages.starts_with(&whole.messages), "events lost a message before the body limit")
        } else {
            assert_eq!(events, whole, "the event API reads the stream differently")
        }
        if on(MIXED) {
            check_mixed(&read_mixed::<R>(&cuts, setup), &whole, &events, &starts, limits);
        }
    } else if on(MIXED) {
        let mixed = read_mixed::<R>(&cuts, setup);
        assert_eq!(mixed, whole, "try_decode with events reads the stream differently");
    }

    if every {
        check_accepted::<R::Direction>(&whole.messages, limits);
    }
    whole
}

/// What every message a reader accepts must do: write a canonical form that reads back as
/// itself ([`check_canonical`]), and re-encode to itself ([`check_reencode`]).
pub fn check_accepted<D: Side>(messages: &[D::Message], limits: Limits) {
    check_canonical::<D>(messages);
    check_reencode::<D>(messages, limits);
}

/// The canonical plain form of messages reads back as the same messages, all of those plain
/// HTTP/1.1 can say ([`Side::replayable`]), told the methods they answer.
pub fn check_canonical<D: Side>(messages: &[D::Message]) {
    let (n, methods) = D::replayable(messages);
    let mut plain = Vec::new();
    // The writer that keeps a repeated head's rendering writes what the stateless write
    // does, each message written five times so the rendering is made and used.
    let mut writer = http1::Writer::new();
    for message in &messages[..n] {
        let at = plain.len();
        write_plain(message, &mut plain);
        for _ in 0..5 {
            let mut kept = Vec::new();
            writer.write(message.head(), message.body(), &mut kept);
            assert!(kept == plain[at..], "the writer's plain form differs from write_http1's");
        }
    }
    let again = read_whole::<http1::Plain<D>>(&plain, Setup { limits: lenient_limits(), methods: &methods });
    assert_eq!(again.error, None, "canonical form rejected: {:?}", plain.escape_ascii().to_string());
    assert_eq!(again.messages, messages[..n], "canonical form reads back differently");
}

/// Encoding messages with `limits` gives a stream that a decoder with the same limits reads
/// back as the same messages; if the encoder refuses a message, everything before it still
/// decodes. Done twice: one message at a time, and through a [`Lookahead`].
pub fn check_reencode<D: Side>(messages: &[D::Message], limits: Limits) {
    // With header editing (the default), and without it (version 1 opcodes only).
    for editing in [true, false] {
        let (out, done) = encode_alone(D::encoder(limits).editing(editing), messages);
        let back = read_whole::<Compact<D>>(&out, limits);
        assert_eq!(back.error, None, "encoder output rejected by a decoder with the same limits");
        assert_eq!(back.messages, messages[..done], "encoder output decodes differently (editing {editing})");
    }

    let (out, done) = encode_lookahead::<D>(messages, limits, Window { requests: 4, bytes: 256 });
    let back = read_whole::<Compact<D>>(&out, limits);
    assert_eq!(back.error, None, "lookahead output rejected by a decoder with the same limits");
    assert_eq!(back.messages, messages[..done], "lookahead output decodes differently");
}

/// Encodes messages one at a time with `encoder`; returns the bytes and how many messages
/// were written before the encoder refused one (if it did).
fn encode_alone<M: Message>(mut encoder: Encoder, messages: &[M]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut done = 0;
    for message in messages {
        if encoder.encode(message, &mut out).is_err() {
            break;
        }
        done += 1;
    }
    (out, done)
}

/// Encodes messages as a stream of events through a [`Lookahead`]; returns the bytes and how
/// many messages were written whole before the encoder refused one (if it did).
pub fn encode_lookahead<D: Side>(messages: &[D::Message], limits: Limits, window: Window) -> (Vec<u8>, usize) {
    encode_lookahead_by(D::encoder(limits), messages, window)
}

/// [`encode_lookahead`] by `encoder`.
pub fn encode_lookahead_by<M: Message>(encoder: Encoder, messages: &[M], window: Window) -> (Vec<u8>, usize) {
    let mut enc = Lookahead::new(encoder, window);
    let mut out = Vec::new();
    let mut ends = 0;
    for message in messages {
        let mut events = vec![Event::Head(message.head().clone())];
        if !message.body().is_empty() {
            events.push(Event::Data(message.body().clone()));
        }
        events.push(Event::End);
        for event in events {
            match enc.encode(event, &mut out) {
                Ok(drained) => ends += drained.requests,
                // Everything before the refused message is written, whole.
                Err(_) => return (out, enc.written() as usize),
            }
        }
    }
    if let Ok(drained) = enc.finish(&mut out) {
        ends += drained.requests;
    }
    assert_eq!(ends as u64, enc.written(), "Drained::requests adds up to Lookahead::written");
    (out, ends)
}

/// The two control bytes of [`decode`] and [`http1`], and the stream after them.
fn controlled(data: &[u8]) -> Option<(Limits, u8, &[u8])> {
    let [control, cut, stream @ ..] = data else { return None };
    Some((limits_for(*control), *cut, stream))
}

/// Target `decode`: the compact decoder on arbitrary bytes.
pub fn decode(data: &[u8]) {
    check_requests::<Compact>(data, false);
}

/// [`decode`] with every check, whatever byte 0 selects: for replaying seeds.
pub fn decode_all(data: &[u8]) {
    check_requests::<Compact>(data, true);
}

/// Target `http1`: the plain parser on arbitrary bytes.
pub fn http1(data: &[u8]) {
    check_requests::<http1::Plain>(data, false);
    check_heads_alone(data);
}

/// [`http1`] with every check, whatever byte 0 selects: for replaying seeds.
pub fn http1_all(data: &[u8]) {
    check_requests::<http1::Plain>(data, true);
    check_heads_alone(data);
}

/// [`check_reader`] on a request input ([`decode`], [`http1`]).
fn check_requests<R: Checked>(data: &[u8], all: bool) {
    if let Some((limits, cut, stream)) = controlled(data) {
        check_reader::<R>(data, stream, cut, limits.into(), all);
    }
}

/// Every head the plain reader gives is the head [`http1::parse_head`] gives for its bytes
/// alone. The reader compares a head with those it kept, and takes the lines it shares with
/// the last one without checking them again; it must read as if it did neither.
fn check_heads_alone(data: &[u8]) {
    let Some((limits, _, stream)) = controlled(data) else { return };
    let mut parser = http1::Parser::with_limits(limits);
    let mut src = BytesMut::from(stream);
    loop {
        let mut start = parser.offset() as usize;
        let Ok(Some(req)) = parser.decode_eof(&mut src) else { return };
        while stream[start..].starts_with(b"\r\n") {
            start += 2;
        }
        let alone = http1::parse_head(&stream[start..], &limits);
        let Ok(Some((head, len))) = alone else { panic!("a head read in a stream is refused alone: {alone:?}") };
        assert_eq!(&head, req.head(), "a head reads differently alone");
        assert_eq!(start + len + req.body().len(), parser.offset() as usize, "a head alone has another length");
    }
}

// ---------------------------------------------------------------------------------------------
// Responses: both response readers on arbitrary bytes, told the methods answered
// ---------------------------------------------------------------------------------------------

/// The methods of a response input and the bytes after them: a count byte, then a byte a
/// method ([`ANSWERED`]). Missing bytes are no methods.
pub fn answered(data: &[u8]) -> (Vec<&'static [u8]>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else { return (Vec::new(), data) };
    let (codes, rest) = rest.split_at(usize::from(n).min(rest.len()));
    (codes.iter().map(|&b| ANSWERED[usize::from(b % 4)]).collect(), rest)
}

/// Target `responses`: the plain response reader and the compact response decoder on
/// arbitrary bytes (see the module documentation for the layout).
pub fn responses(data: &[u8]) {
    check_responses(data, false);
}

/// [`responses`] with every check, whatever byte 0 selects: for replaying seeds.
pub fn responses_all(data: &[u8]) {
    check_responses(data, true);
}

fn check_responses(data: &[u8], all: bool) {
    let Some((limits, cut, rest)) = controlled(data) else { return };
    let (methods, stream) = answered(rest);
    let setup = Setup { limits, methods: &methods };
    let plain = check_reader::<http1::Plain<Responses>>(data, stream, cut, setup, all);
    check_answers(&plain, &methods);
    if !plain.messages.is_empty() {
        assert_eq!(Syntax::detect(stream), Ok(Some(Syntax::PlainResponses)), "a plain response stream told as other");
    }
    let compact = check_reader::<Compact<Responses>>(data, stream, cut, setup, all);
    if !compact.messages.is_empty() {
        assert_eq!(
            Syntax::detect(stream),
            Ok(Some(Syntax::CompactResponses)),
            "a compact response stream told as other"
        );
    }
}

/// The plain response reader framed every response as RFC 9112 §6.3 says for the methods it
/// was told (a method not told is neither HEAD nor CONNECT): no body after HEAD, a 1xx, a 204
/// or a 304, nor after a 2xx to CONNECT; and it stopped reading after a 101 or a 2xx to
/// CONNECT, which `switched()` names. Interim responses (1xx but 101) answer no method.
fn check_answers(outcome: &Outcome<Response>, methods: &[&[u8]]) {
    let mut queue = methods.iter();
    let mut switch = None;
    for (i, resp) in outcome.messages.iter().enumerate() {
        assert_eq!(switch, None, "response {i} read after the stream switched protocols");
        let (status, framing) = (resp.status(), resp.head().framing());
        if status < 200 && status != 101 {
            assert!(!framing.has_body(), "interim response {i} read with a body ({framing:?})");
            continue;
        }
        let method = queue.next().copied().unwrap_or(b"GET");
        let tunnel = method == b"CONNECT" && (200..300).contains(&status);
        let bodyless = method == b"HEAD" || status == 101 || status == 204 || status == 304 || tunnel;
        assert_eq!(
            framing.has_body(),
            !bodyless,
            "response {i}, {status} to {}, read with framing {framing:?}",
            method.escape_ascii()
        );
        if status == 101 || tunnel {
            switch = Some(status);
        }
    }
    assert_eq!(outcome.switched, switch, "switched() is not the status that switched protocols");
}
// ---------------------------------------------------------------------------------------------
// Round trip: valid requests built from choices
// ---------------------------------------------------------------------------------------------

/// Reads choices from fuzz input; past its end every choice is 0, so any input builds
/// something.
pub struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// A number in `0..n` (`n` at most 256).
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    fn pick<T: Copy>(&mut self, pool: &[T]) -> T {
        pool[self.below(pool.len())]
    }

    fn is_done(&self) -> bool {
        self.0.is_empty()
    }
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "M-SEARCH", "x"];
const PATHS: &[&str] = &["/", "/a", "/a/b", "/api/v1/quotes?sym=", "*", "http://h.example/x", "/%20~!$&'()"];
const FIELDS: &[&str] = &[
    "Host: feed.example",
    "Accept: */*",
    "User-Agent: streamline-fuzz/1",
    "Cookie: id=1; x=2",
    "X-Empty:",
    "X-Tab:\tv\t",
    "x-lower: caf\u{e9}",
    "Accept: text/html",
    "Via: 1.1 p, 1.1 q",
];
/// Body pieces: what might confuse a reader that looks for lines in a body.
const BODY_BITS: &[&[u8]] = &[
    b"\r\n",
    b"+: 5\r\n",
    b"H:Host: a\r\n",
    b"-:\r\n",
    b"*:\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"Content-Length: 0\r\n",
    b"\0",
    b"\r",
    b"\n",
    b"V:HTTP/1.1",
];

impl Choices<'_> {
    fn token(&mut self) -> Vec<u8> {
        const T: &[u8] = b"abcXYZ019!#$%&'*+-.^_`|~";
        (0..=self.below(8)).map(|_| self.pick(T)).collect()
    }

    fn visible(&mut self, max: usize) -> Vec<u8> {
        (0..self.below(max)).map(|_| 0x21 + (self.byte() % 94)).collect()
    }

    fn method(&mut self) -> Bytes {
        match self.below(8) {
            0 => Bytes::from(self.token()),
            _ => Bytes::from_static(self.pick(METHODS).as_bytes()),
        }
    }

    fn target(&mut self) -> Bytes {
        let mut t = self.pick(PATHS).as_bytes().to_vec();
        t.extend(self.visible(12));
        Bytes::from(t)
    }

    fn version(&mut self) -> Version {
        match self.below(8) {
            0 => Version::HTTP_10,
            1 => {
                let v = [b'H', b'T', b'T', b'P', b'/', b'0' + self.byte() % 10, b'.', b'0' + self.byte() % 10];
                Version::parse(&v).unwrap_or(Version::HTTP_11)
            }
            _ => Version::HTTP_11,
        }
    }

    fn field(&mut self) -> Bytes {
        if self.below(4) != 0 {
            return Bytes::from_static(self.pick(FIELDS).as_bytes());
        }
        let mut line = self.token();
        line.push(b':');
        for _ in 0..self.below(10) {
            line.push(match self.below(6) {
                0 => b' ',
                1 => b'\t',
                2 => 0x80 | self.byte(),
                _ => 0x20 + self.byte() % 95,
            });
        }
        Bytes::from(line)
    }

    fn body(&mut self, max_bits: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for _ in 0..self.below(max_bits) {
            match self.below(3) {
                0 => body.push(self.byte()),
                _ => body.extend_from_slice(self.pick(BODY_BITS)),
            }
        }
        body
    }

    /// A chunked body (RFC 9112 §7.1) with sizes in varied hex spellings, extensions and
    /// trailers, all valid.
    fn chunked(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..self.below(4) {
            let data = self.body(4);
            if data.is_empty() {
                continue;
            }
            let hex = match self.below(3) {
                0 => format!("{:X}", data.len()),
                1 => format!("000{:x}", data.len()),
                _ => format!("{:x}", data.len()),
            };
            out.extend_from_slice(hex.as_bytes());
            self.chunk_ext(&mut out);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\r\n");
        }
        out.push(b'0');
        self.chunk_ext(&mut out);
        out.extend_from_slice(b"\r\n");
        for _ in 0..self.below(3) {
            out.extend_from_slice(&self.field());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    fn chunk_ext(&mut self, out: &mut Vec<u8>) {
        match self.below(4) {
            0 => out.extend_from_slice(b";a=b"),
            1 => out.extend_from_slice(b" ;name=\"q v\""),
            _ => {}
        }
    }

    /// The next request: often the previous one with a few changes, as in real traffic.
    fn request(&mut self, prev: Option<&Request>) -> Request {
        let (mut method, mut target, mut version, mut headers) = match prev {
            Some(p) if self.below(4) != 0 => {
                let h = p.head();
                (
                    h.method().clone(),
                    Bytes::copy_from_slice(h.target()),
                    h.version(),
                    h.headers().iter().map(Bytes::copy_from_slice).collect(),
                )
            }
            _ => (self.method(), self.target(), self.version(), Vec::new()),
        };
        for _ in 0..self.below(4) {
            match self.below(8) {
                0 => method = self.method(),
                1 => target = self.target(),
                2 => version = self.version(),
                3 => headers.truncate(self.below(headers.len() + 1)),
                4 => {
                    if !headers.is_empty() {
                        let i = self.below(headers.len());
                        headers[i] = self.field();
                    }
                }
                _ => headers.extend((0..self.below(4)).map(|_| self.field())),
            }
        }
        let mut list = Headers::new();
        for line in headers {
            list.push(&line).expect("generated field lines are valid");
        }
        let (framing, body) = match self.below(3) {
            0 => (Framing::None, Vec::new()),
            // Chunked framing exists from HTTP/1.1 on; older versions get a length.
            2 if version.chunked_allowed() => (Framing::Chunked, self.chunked()),
            _ => {
                let body = self.body(12);
                (Framing::Length(body.len() as u64), body)
            }
        };
        let head = Head::new(method, target, version, list, framing).expect("generated heads are valid");
        Request::new(head, Bytes::from(body)).expect("generated bodies match their framing")
    }
}

/// A plain rendering of `message` that is valid but not canonical: the framing field in
/// another place and spelling, optional whitespace around its value, and for a request, empty
/// lines before it (a response has none: RFC 9112 §2.2 allows them before a request-line only).
fn noncanonical<M: Message>(message: &M, c: &mut Choices<'_>, dst: &mut Vec<u8>) {
    let head = message.head();
    if !head.is_response() {
        for _ in 0..c.below(3) {
            dst.extend_from_slice(b"\r\n");
        }
    }
    let framing = match head.framing() {
        Framing::None | Framing::Close => None,
        Framing::Length(n) | Framing::Announced(n) => {
            let name = c.pick(&["Content-Length", "content-length", "CONTENT-LENGTH"]);
            let ows = c.pick(&["", " ", "\t", "  "]);
            Some(format!("{name}:{ows}{n}{ows}"))
        }
        Framing::Chunked | Framing::AnnouncedChunked => {
            let name = c.pick(&["Transfer-Encoding", "transfer-encoding"]);
            let value = c.pick(&["chunked", "Chunked", "CHUNKED", " chunked ", "\tchunked"]);
            Some(format!("{name}:{value}"))
        }
    };
    let at = c.below(head.headers().len() + 1);
    if head.is_response() {
        dst.extend_from_slice(&head.version().to_bytes());
        dst.push(b' ');
        dst.extend_from_slice(head.method());
        dst.push(b' ');
        dst.extend_from_slice(head.target());
    } else {
        dst.extend_from_slice(head.method());
        dst.push(b' ');
        dst.extend_from_slice(head.target());
        dst.push(b' ');
        dst.extend_from_slice(&head.version().to_bytes());
    }
    dst.extend_from_slice(b"\r\n");
    for (i, line) in head.headers().iter().enumerate() {
        if i == at {
            if let Some(f) = &framing {
                dst.extend_from_slice(f.as_bytes());
                dst.extend_from_slice(b"\r\n");
            }
        }
        dst.extend_from_slice(line);
        dst.extend_from_slice(b"\r\n");
    }
    if at == head.headers().len() {
        if let Some(f) = &framing {
            dst.extend_from_slice(f.as_bytes());
            dst.extend_from_slice(b"\r\n");
        }
    }
    dst.extend_from_slice(b"\r\n");
    dst.extend_from_slice(message.body());
}

/// Target `roundtrip`: valid request sequences built from the input; the plain form (canonical
/// or not) parses to them, and encoding (alone or with lookahead) then decoding gives them back
/// and writes their canonical form.
pub fn roundtrip(data: &[u8]) {
    let mut c = Choices(data);
    let (limits, window) = c.encoding();
    let mut requests: Vec<Request> = Vec::new();
    while requests.len() < 16 && (requests.is_empty() || !c.is_done()) {
        let req = c.request(requests.last());
        requests.push(req);
    }

    let mut canonical = Vec::new();
    let mut plain = Vec::new();
    for req in &requests {
        req.write_http1(&mut canonical);
        noncanonical(req, &mut c, &mut plain);
    }
    let written = Written { plain: &plain, canonical: &canonical, methods: &[], switched: None };
    check_roundtrip::<Requests>(&requests, written, limits, window, fnv(data) as u8);
}

/// A plain stream of valid messages, for [`check_roundtrip`].
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// The messages written as they might arrive (not canonical, or canonical).
    pub plain: &'a [u8],
    /// Their canonical form.
    pub canonical: &'a [u8],
    /// The methods they answer (responses), as a plain reader is told them.
    pub methods: &'a [&'a [u8]],
    /// The status after which a plain reader reads no more (a 101, a 2xx to CONNECT).
    pub switched: Option<u16>,
}

impl Choices<'_> {
    /// The limits and window of a round trip: often few registers, so the encoder must
    /// replace registers and still stay exact.
    fn encoding(&mut self) -> (Limits, Window) {
        let limits = match self.below(4) {
            0 => Limits::default().max_registers(1 + self.below(4)),
            _ => Limits::default(),
        };
        (limits, Window { requests: self.below(6), bytes: 1 << self.below(12) })
    }
}

/// The round trip of valid `messages` written as `written` says: both plain forms parse to
/// them (whole, and cut as `cut` says); encoding them with `limits` (through a [`Lookahead`]
/// with `window`, and one at a time) and decoding gives them back (whole and cut) and writes
/// their canonical form. One of the two encodings packs its lines and writes static ones (the
/// top bit of `cut` says which).
pub fn check_roundtrip<D: Side>(
    messages: &[D::Message],
    written: Written<'_>,
    limits: Limits,
    window: Window,
    cut: u8,
) {
    let setup = Setup { limits: Limits::default(), methods: written.methods };
    let parsed = read_whole::<http1::Plain<D>>(written.plain, setup);
    let plain = written.plain.escape_ascii().to_string();
    assert_eq!(parsed.error, None, "valid plain input rejected: {plain:?}");
    assert_eq!(parsed.messages, messages, "plain input parses to other messages: {plain:?}");
    assert_eq!(parsed.switched, written.switched, "plain input switches protocols elsewhere: {plain:?}");
    let split = read_pieces::<http1::Plain<D>>(&pieces(written.plain, cut), setup);
    assert_eq!(split, parsed, "valid plain input reads differently in pieces: {plain:?}");
    let again = read_whole::<http1::Plain<D>>(written.canonical, setup);
    assert_eq!(again, parsed, "canonical form parses to other messages");

    // One of the two encodings packs its lines and writes static ones (SPEC.md §4.11, §4.12),
    // as the cut's top bit says.
    let packs = cut & 0x80 != 0;
    let (compact, done) = encode_lookahead_by(D::encoder(limits).packing(packs), messages, window);
    let back = read_whole::<Compact<D>>(&compact, limits);
    assert_eq!(back.error, None, "encoder output rejected: {:?}", compact.escape_ascii().to_string());
    assert_eq!(back.messages, messages[..done], "decode(encode(x)) differs from x");
    let split = read_pieces::<Compact<D>>(&pieces(&compact, cut), limits);
    assert_eq!(split, back, "encoder output decodes differently in pieces");
    if done == messages.len() {
        let mut out = Vec::new();
        for message in &back.messages {
            write_plain(message, &mut out);
        }
        assert!(out == written.canonical, "decode(encode(x)) is not the canonical form of x");
    } else {
        assert!(limits != Limits::default(), "encoder refused a message under the default limits");
    }

    let (alone, done) = encode_alone(D::encoder(limits).packing(!packs), messages);
    let back = read_whole::<Compact<D>>(&alone, limits);
    assert_eq!(back.error, None, "encoder output rejected: {:?}", alone.escape_ascii().to_string());
    assert_eq!(back.messages, messages[..done], "decode(encode(x)) differs from x (one at a time)");
}
// ---------------------------------------------------------------------------------------------
// Refusal: what the encoder writes when it cannot express a request
// ---------------------------------------------------------------------------------------------

/// Valid requests built from `choices` (as [`roundtrip`] builds them), written as one plain
/// stream, canonical or not.
pub fn plain_stream(choices: &[u8]) -> Vec<u8> {
    let mut c = Choices(choices);
    let mut requests: Vec<Request> = Vec::new();
    while requests.len() < 16 && (requests.is_empty() || !c.is_done()) {
        let req = c.request(requests.last());
        requests.push(req);
    }
    let mut plain = Vec::new();
    for req in &requests {
        match c.below(2) {
            0 => req.write_http1(&mut plain),
            _ => noncanonical(req, &mut c, &mut plain),
        }
    }
    plain
}

/// The limits and window of a [`refusal`] input, from its five control bytes.
pub fn refusal_settings(control: [u8; 5]) -> (Limits, Window, usize) {
    let [line, state, counts, window, flush] = control.map(usize::from);
    let or_default = |b: usize, small: usize, default: usize| if b == 255 { default } else { small };
    let d = Limits::default();
    let limits = Limits::default()
        .max_line(or_default(line, 16 + 8 * line, d.get_max_line()))
        .max_state_bytes(or_default(state, 32 + 16 * state, d.get_max_state_bytes()))
        .max_headers(if counts & 15 == 15 { d.get_max_headers() } else { counts & 15 })
        .max_registers(if counts >> 4 == 15 { d.get_max_registers() } else { counts >> 4 });
    (limits, Window { requests: window % 8, bytes: window / 8 * 64 }, flush)
}

/// Target `refusal`: the encoder under small limits, and what a caller that goes on after a
/// refusal gets.
///
/// ```text
/// byte 0   max_line: 16 + 8 * b (255: the default)
/// byte 1   max_state_bytes: 32 + 16 * b (255: the default)
/// byte 2   max_headers: low four bits, max_registers: high four bits (15: the default)
/// byte 3   window: b % 8 requests, b / 8 * 64 bytes
/// byte 4   flush the lookahead after every b-th request (0: never)
/// 5..      a plain HTTP/1.1 stream; the requests it holds before any error (read under the
///          same limits) are encoded
/// ```
///
/// The requests go through a [`Lookahead`] as events ([`Lookahead::encode`]), bodies in two
/// pieces. After a refusal the caller keeps encoding, flushing, finishing, pushing and
/// emitting, as a careless one would: every call must return the same error and write
/// nothing. The output must decode, under the same limits, to exactly the requests before the
/// refused one, and the draining calls' [`Drained::requests`] must have counted exactly
/// those (up to the refusal, then [`Lookahead::written`]). After the finish, pushes are
/// refused.
pub fn refusal(data: &[u8]) {
    let Some((control, stream)) = data.split_first_chunk::<5>() else { return };
    let (limits, window, flush_every) = refusal_settings(*control);
    // Read under the same limits, as `streamline encode` reads: a chunked body the encoder
    // passes through verbatim has been checked against them already.
    let requests = read_whole::<http1::Plain>(stream, limits).messages;

    let mut enc = Lookahead::new(Encoder::with_limits(limits), window);
    let mut out = Vec::new();
    let mut ends = 0;
    let mut refused: Option<(Error, usize)> = None;
    // Checks one call's outcome: before a refusal it adds up; the refusal leaves whole
    // requests written (those before it); after it, every call gives the same error and
    // writes nothing.
    let mut check = |result: Result<Drained, Error>, enc: &Lookahead, out: &Vec<u8>, before: usize| match result {
        Ok(drained) => {
            assert!(refused.is_none(), "{drained:?} written after a refusal");
            assert_eq!(out.len() - before, drained.bytes, "Drained::bytes is what was written");
            ends += drained.requests;
        }
        Err(kind) => match &refused {
            Some((first, len)) => {
                assert_eq!(*first, kind, "a refusal changed");
                assert_eq!(*len, out.len(), "bytes written after a refusal");
            }
            None => {
                ends = enc.written() as usize;
                assert_eq!(enc.refusal(), Some(&kind), "Lookahead::refusal is the refusal");
                // The refused request is the one after those written whole.
                assert_eq!(kind.request(), Some(ends as u64 + 1), "a refusal names another request: {kind}");
                assert_eq!(kind.offset(), None, "an encoder refusal with a position: {kind}");
                refused = Some((kind, out.len()));
            }
        },
    };
    for (i, req) in requests.iter().enumerate() {
        let body = req.body();
        let half = body.len() / 2;
        let pieces = [body.slice(..half), body.slice(half..)];
        let data = pieces.into_iter().filter(|piece| !piece.is_empty()).map(Event::Data);
        for event in std::iter::once(Event::Head(req.head().clone())).chain(data).chain([Event::End]) {
            let before = out.len();
            let result = enc.encode(event, &mut out);
            check(result, &enc, &out, before);
        }
        if flush_every > 0 && (i + 1) % flush_every == 0 {
            let before = out.len();
            let result = enc.flush(&mut out);
            check(result, &enc, &out, before);
        }
    }
    for _ in 0..2 {
        let before = out.len();
        let result = enc.finish(&mut out);
        check(result, &enc, &out, before);
    }
    // Once finished, pushes are refused and write nothing.
    let before = out.len();
    assert!(enc.push(Event::End).is_err(), "a push after finish was taken");
    assert!(enc.emit(&mut out).map_or(true, |e| e.is_none()), "an item emitted after finish and a late push");
    assert_eq!(out.len(), before, "bytes written after a refused push");

    let back = read_whole::<Compact>(&out, limits);
    assert_eq!(back.error, None, "encoder output rejected under the same limits: {:?}", out.escape_ascii().to_string());
    assert_eq!(back.messages.len(), ends, "Drained::requests counted another number of requests than were written");
    assert_eq!(back.messages, requests[..ends], "encoder output decodes to other requests");
    if refused.is_none() {
        assert_eq!(ends, requests.len(), "requests lost without a refusal");
    } else {
        assert!(ends < requests.len(), "a refusal with every request written");
    }
}

// ---------------------------------------------------------------------------------------------
// Round trip of responses: valid response streams built from choices, and plain ones as they
// come
// ---------------------------------------------------------------------------------------------

/// Status codes, the common ones more than once: interim (100, 103), switching (101), the
/// bodyless 204 and 304, and the ends of the range.
const STATUSES: &[u16] = &[200, 200, 200, 204, 304, 100, 103, 101, 201, 206, 301, 404, 500, 999];
/// Reason phrases: empty, spaced, with HTAB and obs-text (RFC 9112 §4 allows all).
const REASONS: &[&[u8]] =
    &[b"OK", b"OK", b"", b"Not Found", b"Partial Content", b" ", b"two  spaces ", b"caf\xe9", b"\tt"];
/// An nginx's fields (samples/responses), and a few more.
const RESPONSE_FIELDS: &[&str] = &[
    "Server: nginx/1.22.1",
    "Content-Type: text/plain",
    "Connection: keep-alive",
    "ETag: W/\"6578a3c0-5f2\"",
    "Last-Modified: Sat, 05 Dec 2026 08:00:00 GMT",
    "Content-Encoding: gzip",
    "Vary: Accept-Encoding",
    "Set-Cookie: id=1; Path=/",
    "Cache-Control: max-age=0\t",
    "X-Empty:",
];
/// Body pieces a response reader might take for a head.
const RESPONSE_BODY_BITS: &[&[u8]] = &[b"HTTP/1.1 200 OK\r\n\r\n", b"C:200 OK\r\n", b"$:\r\n", b"+:\r\n", b"-: 5\r\n"];
/// Lengths a response without a body may announce: up to 19 digits, the most both syntaxes
/// carry.
const ANNOUNCED: &[u64] = &[0, 3, 39_291, 9_999_999_999_999_999_999];

impl Choices<'_> {
    /// A status code from 100 to 999, usually a common one.
    fn status(&mut self) -> u16 {
        match self.below(4) {
            0 => 100 + (u16::from(self.byte()) << 8 | u16::from(self.byte())) % 900,
            _ => self.pick(STATUSES),
        }
    }

    fn reason(&mut self) -> Bytes {
        if self.below(4) != 0 {
            return Bytes::from_static(self.pick(REASONS));
        }
        let reason: Vec<u8> = (0..self.below(12))
            .map(|_| match self.below(6) {
                0 => b' ',
                1 => b'\t',
                2 => 0x80 | self.byte(),
                _ => 0x21 + self.byte() % 94,
            })
            .collect();
        Bytes::from(reason)
    }

    /// A `Date` field: the one that changes from response to response.
    fn date(&mut self) -> Bytes {
        Bytes::from(format!("Date: Sat, 05 Dec 2026 08:{:02}:{:02} GMT", self.below(60), self.below(60)))
    }

    fn response_field(&mut self) -> Bytes {
        match self.below(6) {
            0 => self.field(),
            1 => self.date(),
            _ => Bytes::from_static(self.pick(RESPONSE_FIELDS).as_bytes()),
        }
    }

    fn response_body(&mut self) -> Vec<u8> {
        let mut body = self.body(12);
        if self.below(4) == 0 {
            body.extend_from_slice(self.pick(RESPONSE_BODY_BITS));
        }
        body
    }

    /// The next response and the method of the request it answers (none for an interim
    /// one): often the previous response with a few changes (a new Date above all), as a
    /// server sends them. Its framing is one RFC 9112 §6.3 allows for the method and status:
    /// for a response without a body, none or an announced one (HEAD, 1xx, 204, 304, a 2xx
    /// to CONNECT); otherwise a length, chunks with trailers, or the rest of the stream.
    fn response(&mut self, prev: Option<&Response>) -> (Response, Option<&'static [u8]>) {
        let (mut status, mut reason, mut version, mut headers) = match prev {
            Some(p) if self.below(4) != 0 => {
                let h = p.head();
                let reason = Bytes::copy_from_slice(h.reason().unwrap_or_default());
                let headers: Vec<Bytes> = h.headers().iter().map(Bytes::copy_from_slice).collect();
                (p.status(), reason, h.version(), headers)
            }
            _ => (self.status(), self.reason(), self.version(), Vec::new()),
        };
        for _ in 0..self.below(4) {
            match self.below(8) {
                0 => status = self.status(),
                1 => reason = self.reason(),
                2 => version = self.version(),
                3 => headers.truncate(self.below(headers.len() + 1)),
                4 if !headers.is_empty() => {
                    let i = self.below(headers.len());
                    headers[i] = self.response_field();
                }
                4 | 5 => {
                    let date = self.date();
                    match headers.iter_mut().find(|line| line.starts_with(b"Date:")) {
                        Some(line) => *line = date,
                        None => headers.push(date),
                    }
                }
                _ => headers.extend((0..self.below(4)).map(|_| self.response_field())),
            }
        }
        let mut list = Headers::new();
        for line in headers {
            list.push(&line).expect("generated field lines are valid");
        }
        let interim = status < 200 && status != 101;
        let method = (!interim).then(|| self.pick(&ANSWERED));
        let tunnel = method == Some(b"CONNECT") && (200..300).contains(&status);
        let bodyless = interim || status == 101 || status == 204 || status == 304 || tunnel || method == Some(b"HEAD");
        let chunked = version.chunked_allowed();
        let (framing, body) = match self.below(8) {
            0 | 1 if bodyless => (Framing::None, Vec::new()),
            2 if bodyless && chunked => (Framing::AnnouncedChunked, Vec::new()),
            _ if bodyless => (Framing::Announced(self.pick(ANNOUNCED)), Vec::new()),
            0 => (Framing::Close, self.response_body()),
            1 | 2 if chunked => (Framing::Chunked, self.chunked()),
            _ => {
                let body = self.response_body();
                (Framing::Length(body.len() as u64), body)
            }
        };
        let head = Head::response(status, reason, version, list, framing).expect("generated heads are valid");
        (Response::new(head, Bytes::from(body)).expect("generated bodies match their framing"), method)
    }

    /// A response stream and the methods of the requests it answers. It ends after a
    /// close-delimited response or one that switches protocols (a 101, a 2xx to CONNECT).
    /// Returns the status a plain reader switches at, if it does.
    fn responses(&mut self) -> (Vec<Response>, Vec<&'static [u8]>, Option<u16>) {
        let mut responses: Vec<Response> = Vec::new();
        let mut methods = Vec::new();
        let mut switched = None;
        while responses.len() < 16 && (responses.is_empty() || !self.is_done()) {
            let (resp, method) = self.response(responses.last());
            let status = resp.status();
            let ends = resp.head().framing() == Framing::Close
                || status == 101
                || method == Some(b"CONNECT") && (200..300).contains(&status);
            if ends && resp.head().framing() != Framing::Close {
                switched = Some(status);
            }
            methods.extend(method);
            responses.push(resp);
            if ends {
                break;
            }
        }
        // A reader not told a method reads the response as answering neither HEAD nor
        // CONNECT: the methods at the end that are neither may go untold. Or methods past
        // the last response are told, which are never asked for.
        if self.below(2) == 0 {
            while methods.last().is_some_and(|m| *m != b"HEAD" && *m != b"CONNECT") {
                methods.pop();
            }
        } else {
            for _ in 0..self.below(3) {
                methods.push(self.pick(&ANSWERED));
            }
        }
        (responses, methods, switched)
    }
}

/// Target `response_roundtrip`. Byte 0 modulo 4 picks what the rest is:
///
/// ```text
/// 0..=2   choices ([`Choices`]) that build a valid response stream and the methods it
///         answers; as [`roundtrip`] for requests, its plain forms (canonical or not) parse to
///         it, and encoding it (`Encoder::responses`, alone or through a `Lookahead`) then
///         decoding gives it back and writes its canonical form
/// 3       a plain response stream as [`responses`] reads it after its control bytes (a
///         method count, the methods, the stream): whatever the plain reader accepts of it
///         (default limits) reads back from its canonical form, and encodes and decodes to
///         itself
/// ```
pub fn response_roundtrip(data: &[u8]) {
    let mut c = Choices(data);
    if c.below(4) == 3 {
        let (methods, stream) = answered(&data[1..]);
        let parsed =
            read_whole::<http1::Plain<Responses>>(stream, Setup { limits: Limits::default(), methods: &methods });
        check_accepted::<Responses>(&parsed.messages, Limits::default());
        return;
    }
    let (limits, window) = c.encoding();
    let (responses, methods, switched) = c.responses();
    let mut canonical = Vec::new();
    let mut plain = Vec::new();
    for resp in &responses {
        resp.write_http1(&mut canonical);
        match c.below(2) {
            0 => resp.write_http1(&mut plain),
            _ => noncanonical(resp, &mut c, &mut plain),
        }
    }
    let written = Written { plain: &plain, canonical: &canonical, methods: &methods, switched };
    check_roundtrip::<Responses>(&responses, written, limits, window, fnv(data) as u8);
}
// ---------------------------------------------------------------------------------------------
// Differential: the plain parsers against httparse
// ---------------------------------------------------------------------------------------------

/// How the two parsers judged one head, for [`differential`] and [`response_differential`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Both read the same head.
    Agree,
    /// Both reject, or both need more input.
    BothReject,
    /// Only this parser rejects, for one of its deliberate strictness rules (SPEC.md §11).
    StricterHere,
    /// Only httparse rejects, for one of the deliberate differences (SPEC.md §11).
    StricterThere,
}

/// This parser's rejections that httparse, which does not interpret fields and tolerates bare
/// LF, does not make: the deliberate strictness rules (SPEC.md §11, both directions).
fn stricter_here(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::BareLf
            | ErrorKind::BothFramings
            | ErrorKind::RepeatedContentLength
            | ErrorKind::InvalidContentLength(_)
            | ErrorKind::UnsupportedTransferCoding(_)
            | ErrorKind::ChunkedBeforeHttp11(_)
            | ErrorKind::LineTooLong { .. }
            | ErrorKind::TooManyHeaders { .. }
            | ErrorKind::InvalidTarget { .. }
    )
}

/// The first event of a plain reader given `data` as all its input: a head and its length,
/// `None` if the input ends before a head does, or the error.
fn first_head<D: Direction>(reader: &mut Reader<http1::Plain<D>>, data: &[u8]) -> Result<Option<(Head, usize)>, Error> {
    let mut src = BytesMut::from(data);
    // The whole input is all there is: a head it does not finish is judged at its end.
    match reader.next_event_eof(&mut src) {
        Ok(Some(Event::Head(head))) => Ok(Some((head, data.len() - src.len()))),
        Ok(Some(other)) => panic!("first event is not a head: {other:?}"),
        Ok(None) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Both parsers read the same version. (httparse reads only HTTP/1.0 and HTTP/1.1.)
fn same_version(head: &Head, theirs: Option<u8>) {
    let v = head.version().to_bytes();
    if v[5] != b'1' || theirs != Some(v[7] - b'0') {
        panic!("versions differ: {:?} vs HTTP/1.{theirs:?}", head.version());
    }
}

/// Both parsers read the same field lines: this one keeps them verbatim without the framing
/// field, httparse gives every field with its value trimmed. Returns the framing field
/// httparse read: [`Framing::Length`], [`Framing::Chunked`], or [`Framing::None`].
fn same_fields(head: &Head, theirs: &[httparse::Header<'_>]) -> Framing {
    let mut framing = Framing::None;
    let mut theirs_fields = Vec::new();
    for f in theirs {
        if f.name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(f.value).ok().and_then(|v| v.trim().parse().ok());
            framing = Framing::Length(n.expect("accepted Content-Length is a number"));
        } else if f.name.eq_ignore_ascii_case("transfer-encoding") {
            framing = Framing::Chunked;
        } else {
            theirs_fields.push((f.name.as_bytes(), trim(f.value)));
        }
    }
    let ours_fields: Vec<(&[u8], &[u8])> = head
        .headers()
        .iter()
        .map(|line| {
            let colon = line.iter().position(|&b| b == b':').expect("a field line has a colon");
            (&line[..colon], trim(&line[colon + 1..]))
        })
        .collect();
    assert_eq!(ours_fields, theirs_fields, "fields differ");
    framing
}

/// A head this parser accepts and httparse rejects. Only one is allowed: httparse reads only
/// HTTP/1.0 and HTTP/1.1, this parser keeps any HTTP/DIGIT.DIGIT (SPEC.md §11).
fn only_theirs_reject(head: &Head, err: httparse::Error, data: &[u8]) -> Verdict {
    let v = head.version().to_bytes();
    assert!(
        err == httparse::Error::Version && !(v[5] == b'1' && v[7] <= b'1'),
        "only httparse rejects ({err:?}): {:?}",
        data.escape_ascii().to_string()
    );
    Verdict::StricterThere
}

/// Parses `data` as one head with both parsers and compares. Panics if both accept and
/// disagree on the method, target, version, fields or head length, or if one rejects what the
/// other accepts for a reason not listed as deliberate.
pub fn differential(data: &[u8]) -> Verdict {
    let ours = first_head(&mut http1::Parser::new(), data);
    let mut fields = [httparse::EMPTY_HEADER; 300];
    let mut theirs = httparse::Request::new(&mut fields);
    let status = theirs.parse(data);

    match (ours, status) {
        (Ok(Some((head, len))), Ok(httparse::Status::Complete(n))) => {
            assert_eq!(len, n, "head lengths differ");
            assert_eq!(Some(&head.method()[..]), theirs.method.map(str::as_bytes), "methods differ");
            assert_eq!(Some(head.target()), theirs.path.map(str::as_bytes), "targets differ");
            same_version(&head, theirs.version);
            let framing = same_fields(&head, theirs.headers);
            assert_eq!(head.framing(), framing, "framing differs");
            Verdict::Agree
        }
        (Ok(Some((head, _))), Err(err)) => only_theirs_reject(&head, err, data),
        (Ok(Some(_)), Ok(httparse::Status::Partial)) => {
            panic!("only httparse wants more input: {:?}", data.escape_ascii().to_string())
        }
        (Err(err), Ok(httparse::Status::Complete(_))) => {
            assert!(
                stricter_here(err.kind()),
                "only this parser rejects ({err}): {:?}",
                data.escape_ascii().to_string()
            );
            Verdict::StricterHere
        }
        (Ok(None), Ok(httparse::Status::Complete(_))) => {
            panic!("only this parser wants more input: {:?}", data.escape_ascii().to_string())
        }
        _ => Verdict::BothReject,
    }
}

/// Status-lines this parser refuses (`InvalidStatusLine`) and httparse 1.10.1 reads
/// (`Response::parse`, default `ParserConfig`), on purpose:
///
/// - empty lines before the status-line: httparse's `skip_empty_lines` drops CRLF and LF
///   before it as before a request-line, but RFC 9112 §2.2 lets a reader ignore empty lines
///   only before a request-line; a response starts with its status-line (SPEC.md §13.1: a
///   plain response stream starts with `HTTP/`). (A bare LF there is `BareLf`.)
/// - a status code below 100 (`000` to `099`): httparse's `parse_code` takes any three
///   digits; RFC 9110 §15 has no status code below 100, and `Head::response` and `C:` take
///   100 to 999 (SPEC.md §13.2).
/// - no SP after the status code (`HTTP/1.1 200\r\n`): httparse reads an empty reason; RFC
///   9112 §4 has `status-line = HTTP-version SP status-code SP [ reason-phrase ]`, the
///   second SP required even with no reason, which the canonical form writes.
///
/// Both reject, so they are not listed: a status code that is not three digits, a control
/// byte in the reason phrase (both allow HTAB, SP, VCHAR and obs-text), whitespace between
/// a field name and its colon and obs-fold (httparse allows them in responses only with
/// `allow_spaces_after_header_name_in_responses` and
/// `allow_obsolete_multiline_headers_in_responses`, off by default).
fn stricter_status_line(kind: &ErrorKind, head: &[u8]) -> bool {
    matches!(kind, ErrorKind::InvalidStatusLine { .. })
        && (head.starts_with(b"\r\n") || head.get(9) == Some(&b'0') || matches!(head.get(12), Some(b'\r' | b'\n')))
}

/// Target `response_differential`: byte 0 modulo 4 picks the method the response answers
/// ([`ANSWERED`]), told to the plain response reader; the rest is one response head, which
/// both it and httparse's `Response::parse` read. Where both accept, they agree on head
/// length, status code, reason phrase, version and fields; the framing is the one RFC 9112
/// §6.3 gives the framing field for the method and status, and the reader switches protocols
/// after a 101 or a 2xx to CONNECT. Where one rejects what the other accepts, it must be a
/// deliberate difference: those of [`differential`] (SPEC.md §11), and the status-lines of
/// [`stricter_status_line`].
///
/// Representation, not acceptance: httparse gives the reason phrase as a `str`, empty when
/// it holds obs-text (`parse_reason`); this parser keeps its bytes.
pub fn response_differential(data: &[u8]) -> Verdict {
    let Some((&answer, data)) = data.split_first() else { return Verdict::BothReject };
    let method = ANSWERED[usize::from(answer % 4)];
    let mut parser = http1::ResponseParser::new();
    parser.expect(method);
    let ours = first_head(&mut parser, data);
    let mut fields = [httparse::EMPTY_HEADER; 300];
    let mut theirs = httparse::Response::new(&mut fields);
    let status = theirs.parse(data);

    match (ours, status) {
        (Ok(Some((head, len))), Ok(httparse::Status::Complete(n))) => {
            assert_eq!(len, n, "head lengths differ");
            let code = head.status().expect("a response head has a status");
            assert_eq!(Some(code), theirs.code, "status codes differ");
            let reason = head.reason().expect("a response head has a reason");
            let shown: &[u8] = if reason.iter().any(|&b| b >= 0x80) { b"" } else { reason };
            assert_eq!(theirs.reason.map(str::as_bytes), Some(shown), "reasons differ");
            same_version(&head, theirs.version);
            let declared = same_fields(&head, theirs.headers);
            let tunnel = method == b"CONNECT" && (200..300).contains(&code);
            let bodyless = method == b"HEAD" || code < 200 || code == 204 || code == 304 || tunnel;
            let framing = match declared {
                Framing::Length(n) if bodyless => Framing::Announced(n),
                Framing::Chunked if bodyless => Framing::AnnouncedChunked,
                Framing::None if !bodyless => Framing::Close,
                declared => declared,
            };
            assert_eq!(head.framing(), framing, "not RFC 9112 §6.3's framing for {} and {code}", method.escape_ascii());
            let switched = (code == 101 || tunnel).then_some(code);
            assert_eq!(parser.switched(), switched, "switched() after a {code} to {}", method.escape_ascii());
            Verdict::Agree
        }
        (Ok(Some((head, _))), Err(err)) => only_theirs_reject(&head, err, data),
        (Ok(Some(_)), Ok(httparse::Status::Partial)) => {
            panic!("only httparse wants more input: {:?}", data.escape_ascii().to_string())
        }
        (Err(err), Ok(httparse::Status::Complete(_))) => {
            assert!(
                stricter_here(err.kind()) || stricter_status_line(err.kind(), data),
                "only this parser rejects ({err}): {:?}",
                data.escape_ascii().to_string()
            );
            Verdict::StricterHere
        }
        (Ok(None), Ok(httparse::Status::Complete(_))) => {
            panic!("only this parser wants more input: {:?}", data.escape_ascii().to_string())
        }
        _ => Verdict::BothReject,
    }
}

/// Trims SP and HTAB from both ends of a field value.
fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(v.len());
    let end = v.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |i| i + 1);
    &v[start..end]
}
