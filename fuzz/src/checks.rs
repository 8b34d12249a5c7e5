//! The invariants the fuzz targets assert, one public function per target.
//!
//! This file is the fuzz crate's library and is also compiled into `tests/fuzz_seeds.rs`
//! (through `#[path]`), which replays every file under `fuzz/seeds/<target>/` in an ordinary
//! `cargo test`. It therefore uses only what the main package has as dependencies or
//! dev-dependencies: `streamline`, `bytes` and `httparse`. Each function panics, with a message
//! that names the broken invariant, when the library misbehaves on the input; any input is
//! otherwise fine.
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
//! Half the inputs, chosen by a hash of the whole input (so an input always gets the same
//! checks), take a cheaper pass: the whole read and one other read path (also chosen by the
//! hash), without the per-request canonical and re-encode checks. That pass costs about a third
//! of the full one, so about 1.5 times as many inputs are tried per second, and every check
//! still runs on at least half of them. A selector in the input itself would not do: the
//! fuzzer seldom mutates byte 0, and keeps few inputs that cover nothing new, so the corpus
//! would stay almost all full passes. The seed replay in `cargo test` runs every check on every
//! seed ([`decode_all`], [`http1_all`]).
//!
//! [`roundtrip`] reads its input as choices ([`Choices`]) that build valid requests.
//! [`differential`] reads its input as one plain HTTP/1.1 head.

use bytes::{Bytes, BytesMut};
use streamline::{
    http1, Compact, Decoder, Drained, Encoder, Error, ErrorKind, Event, Framing, Grammar, Head, Headers, Limits,
    Lookahead, Reader, Request, Version, Window,
};

// ---------------------------------------------------------------------------------------------
// Grammars: the compact decoder and the plain parser are one `streamline::Reader` API over
// two grammars; this trait adds what the checks need to know of each.
// ---------------------------------------------------------------------------------------------

/// What the checks need to know of a grammar, beside the [`Reader`] API both share.
pub trait Checked: Grammar<Direction = streamline::Requests> + Sized {
    /// A reader with these limits.
    fn reader(limits: Limits) -> Reader<Self>;
    /// Most bytes the reader may leave in `src` when it asks for more input: what bounds the
    /// input buffer a caller has to keep.
    fn max_pending(limits: &Limits) -> usize;
    /// Checks the reader's own memory accounting against the limits.
    fn check_memory(reader: &Reader<Self>, limits: &Limits);
}

impl Checked for Compact {
    fn reader(limits: Limits) -> Reader<Self> {
        Decoder::with_limits(limits)
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

impl Checked for http1::Plain {
    fn reader(limits: Limits) -> Reader<Self> {
        http1::Parser::with_limits(limits)
    }

    /// An unfinished head: a request-line, `max_headers` field lines, one framing field line
    /// and the empty line, each shorter than `max_line`.
    fn max_pending(limits: &Limits) -> usize {
        (limits.get_max_headers() + 3).saturating_mul(limits.get_max_line())
    }

    fn check_memory(_reader: &Reader<Self>, _limits: &Limits) {}
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

/// Everything a reader made of a stream: the requests, then the error that stopped it.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Requests read before the end or the error.
    pub requests: Vec<Request>,
    /// The error, if the stream was rejected.
    pub error: Option<Error>,
}

/// Reads `data` whole with `decode`/`decode_eof`.
pub fn read_whole<R: Checked>(data: &[u8], limits: Limits) -> Outcome {
    let mut src = BytesMut::from(data);
    let mut reader = R::reader(limits);
    let mut requests = Vec::new();
    loop {
        match reader.decode_eof(&mut src) {
            Ok(Some(req)) => {
                assert!(req.body().len() as u64 <= limits.get_max_body(), "whole body over max_body");
                requests.push(req);
            }
            Ok(None) => {
                assert_eq!(reader.offset(), data.len() as u64, "a clean end must consume every byte");
                assert_eq!(reader.line(), line_at(data, data.len()), "line() at the end is not 1 + every LF");
                return Outcome { requests, error: None };
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
                return Outcome { requests, error: Some(err) };
            }
        }
    }
}

/// The 1-based line number of byte `at` of `data`: one more than the LFs before it.
fn line_at(data: &[u8], at: usize) -> u64 {
    1 + data[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Reads `data` fed in `pieces` with `decode`, then `decode_eof`, checking after every call
/// that the input left waiting and the reader's state stay within the limits.
pub fn read_pieces<R: Checked>(pieces: &[&[u8]], limits: Limits) -> Outcome {
    let mut src = BytesMut::new();
    let mut reader = R::reader(limits);
    let mut requests = Vec::new();
    let bound = R::max_pending(&limits);
    for piece in pieces {
        src.extend_from_slice(piece);
        loop {
            match reader.decode(&mut src) {
                Ok(Some(req)) => {
                    assert!(req.body().len() as u64 <= limits.get_max_body(), "whole body over max_body");
                    requests.push(req);
                }
                Ok(None) => break,
                Err(err) => return Outcome { requests, error: Some(err) },
            }
            R::check_memory(&reader, &limits);
        }
        R::check_memory(&reader, &limits);
        assert!(src.len() <= bound, "{} bytes left waiting for more input, over the bound {bound}", src.len());
    }
    loop {
        match reader.decode_eof(&mut src) {
            Ok(Some(req)) => requests.push(req),
            Ok(None) => return Outcome { requests, error: None },
            Err(err) => return Outcome { requests, error: Some(err) },
        }
    }
}

/// Reads `data` fed in `pieces` with `decode_slice`, keeping what it leaves unconsumed and
/// appending the next piece, then `finish_slice`. The caller's buffer holds a body until it is
/// whole, so it is bounded by the pending head plus `max_body`.
pub fn read_slices<R: Checked>(pieces: &[&[u8]], limits: Limits) -> Outcome {
    let mut buf: Vec<u8> = Vec::new();
    let mut reader = R::reader(limits);
    let mut requests = Vec::new();
    let bound = R::max_pending(&limits)
        .saturating_add(limits.get_max_line())
        .saturating_add(usize::try_from(limits.get_max_body()).unwrap_or(usize::MAX));
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            let (used, req) = match reader.decode_slice(&buf) {
                Ok((used, req)) => (used, req.map(|r| r.to_request())),
                Err(err) => return Outcome { requests, error: Some(err) },
            };
            assert!(used <= buf.len(), "decode_slice consumed {used} of {} bytes", buf.len());
            buf.drain(..used);
            match req {
                Some(req) => requests.push(req),
                None => break,
            }
        }
        R::check_memory(&reader, &limits);
        assert!(buf.len() <= bound, "{} bytes left waiting for more input, over the bound {bound}", buf.len());
    }
    loop {
        match reader.decode_slice(&buf) {
            Ok((used, Some(req))) => {
                let req = req.to_request();
                buf.drain(..used);
                requests.push(req);
            }
            Ok((used, None)) => {
                buf.drain(..used);
                break;
            }
            Err(err) => return Outcome { requests, error: Some(err) },
        }
    }
    let error = reader.finish_slice(&buf).err();
    Outcome { requests, error }
}

/// Where a request's body starts, as the event API reads it: the head's framing and the
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

/// Reads `data` fed in `pieces` with the event API and gathers the events into requests,
/// checking that events come in the order Head, Data*, End.
pub fn read_events<R: Checked>(pieces: &[&[u8]], limits: Limits) -> Outcome {
    read_events_at::<R>(pieces, limits).0
}

/// [`read_events`], also returning where every head's body started (requests not finished
/// included).
pub fn read_events_at<R: Checked>(pieces: &[&[u8]], limits: Limits) -> (Outcome, Vec<BodyStart>) {
    let mut src = BytesMut::new();
    let mut reader = R::reader(limits);
    let mut requests = Vec::new();
    let mut starts = Vec::new();
    let mut open: Option<(Head, Vec<u8>)> = None;
    let bound = R::max_pending(&limits);
    let mut take = |event: Event, open: &mut Option<(Head, Vec<u8>)>, reader: &Reader<R>| match event {
        Event::Head(head) => {
            assert!(open.is_none(), "Head before the previous request's End");
            starts.push(BodyStart { framing: head.framing(), offset: reader.offset(), line: reader.line() });
            *open = Some((head, Vec::new()));
        }
        Event::Data(data) => {
            assert!(!data.is_empty(), "empty Data event");
            let (_, body) = open.as_mut().expect("Data outside a request");
            body.extend_from_slice(&data);
        }
        Event::End => {
            let (head, body) = open.take().expect("End outside a request");
            let req = Request::new(head, Bytes::from(body)).expect("events make a valid request");
            requests.push(req);
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
            R::check_memory(&reader, &limits);
            assert!(src.len() <= bound, "{} bytes left waiting for more input, over the bound {bound}", src.len());
        }
        loop {
            match reader.next_event_eof(&mut src) {
                Ok(Some(event)) => take(event, &mut open, &reader),
                Ok(None) => {
                    assert!(open.is_none(), "clean end inside a request");
                    break 'read None;
                }
                Err(err) => break 'read Some(err),
            }
        }
    };
    (Outcome { requests, error }, starts)
}

/// Reads `data` fed in `pieces` as a streaming caller uses `try_decode`: whole requests while
/// the buffer holds them, and for a request that is not whole, `next_event` until its End.
/// Checks that `try_decode` leaves a request to the events only if it is not whole in the
/// buffer, that it returns `Ok(None)` and takes nothing while events stream a request, and
/// that the input left waiting and the reader's state stay within the limits.
pub fn read_mixed<R: Checked>(pieces: &[&[u8]], limits: Limits) -> Outcome {
    let mut src = BytesMut::new();
    let mut reader = R::reader(limits);
    let mut requests = Vec::new();
    let mut open: Option<(Head, Vec<u8>)> = None;
    let bound = R::max_pending(&limits);
    for piece in pieces {
        src.extend_from_slice(piece);
        if let Err(err) = drain_mixed(&mut reader, &mut src, &mut open, &mut requests, limits, false) {
            return Outcome { requests, error: Some(err) };
        }
        R::check_memory(&reader, &limits);
        assert!(src.len() <= bound, "{} bytes left waiting for more input, over the bound {bound}", src.len());
    }
    let error = drain_mixed(&mut reader, &mut src, &mut open, &mut requests, limits, true).err();
    if error.is_none() {
        assert!(open.is_none(), "clean end inside a request");
    }
    Outcome { requests, error }
}

/// [`read_mixed`] on what the buffer holds now (at the end of input if `eof`).
fn drain_mixed<R: Checked>(
    reader: &mut Reader<R>,
    src: &mut BytesMut,
    open: &mut Option<(Head, Vec<u8>)>,
    requests: &mut Vec<Request>,
    limits: Limits,
    eof: bool,
) -> Result<(), Error> {
    // Set when `try_decode` passed over a request: it cannot end before more input arrives.
    let mut not_whole = false;
    loop {
        let (offset, len) = (reader.offset(), src.len());
        let whole = reader.try_decode(src)?;
        let taken = (len - src.len()) as u64;
        assert_eq!(reader.offset() - offset, taken, "try_decode's offset moved by other than what it took");
        match (whole, open.is_some()) {
            (Some(req), false) => {
                assert!(req.body().len() as u64 <= limits.get_max_body(), "try_decode body over max_body");
                requests.push(req);
                continue;
            }
            (Some(_), true) => panic!("try_decode returned a request while events stream another"),
            (None, true) => assert_eq!(taken, 0, "try_decode took bytes while events stream a request"),
            (None, false) => {}
        }
        let event = if eof { reader.next_event_eof(src)? } else { reader.next_event(src)? };
        match event {
            None => return Ok(()),
            Some(Event::Head(head)) => {
                assert!(open.is_none(), "Head before the previous request's End");
                *open = Some((head, Vec::new()));
                not_whole = true;
            }
            Some(Event::Data(data)) => {
                assert!(!data.is_empty(), "empty Data event");
                let (_, body) = open.as_mut().expect("Data outside a request");
                body.extend_from_slice(&data);
            }
            Some(Event::End) => {
                assert!(!not_whole, "try_decode left a request that was whole in the buffer to the events");
                let (head, body) = open.take().expect("End outside a request");
                requests.push(Request::new(head, Bytes::from(body)).expect("events make a valid request"));
            }
        }
    }
}

/// The mixed read ([`read_mixed`]) against the whole read and the events: where nothing is over
/// `max_body` it reads exactly as `decode` does. Past a body over `max_body` it may go on, since
/// a request that is not whole in the buffer streams as events without the limit: then it reads
/// as the events do, up to a request that `try_decode` itself refuses, which must be one whose
/// body is over the limit, refused at its first byte as `decode` would.
fn check_mixed(mixed: &Outcome, whole: &Outcome, events: &Outcome, starts: &[BodyStart], limits: Limits) {
    if !matches!(whole.error.as_ref().map(Error::kind), Some(ErrorKind::BodyTooLarge { .. })) {
        assert_eq!(mixed, whole, "try_decode with events reads the stream differently");
        return;
    }
    let n = mixed.requests.len();
    assert!(mixed.requests.starts_with(&whole.requests), "try_decode lost a request before the body limit");
    assert!(events.requests.get(..n) == Some(&mixed.requests[..]), "try_decode reads other requests than events");
    let Some(err) = &mixed.error else {
        assert_eq!(mixed, events, "try_decode with events reads the stream differently from events");
        return;
    };
    let ErrorKind::BodyTooLarge { .. } = err.kind() else {
        assert_eq!(mixed, events, "try_decode with events reads the stream differently from events");
        return;
    };
    if n == whole.requests.len() {
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
    if let Some(req) = events.requests.get(n) {
        assert!(req.body().len() as u64 > limit, "try_decode refused a body within max_body");
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

/// The checks [`decode`] and [`http1`] share: same result whole, in pieces, as borrowed
/// slices, as events and through `try_decode` with events; memory within the limits; every
/// request read writes back and re-encodes to itself. Unless `all`, half the inputs take a
/// cheaper pass (see the module documentation).
fn check_reader<R: Checked>(data: &[u8], all: bool) {
    let [control, cut, stream @ ..] = data else { return };
    let limits = limits_for(*control);
    let hash = fnv(data);
    let every = all || hash >> 63 == 0;
    let path = ((hash >> 61) & 3) as u8;
    let on = |p: u8| every || path == p;
    let whole = read_whole::<R>(stream, limits);
    let cuts = pieces(stream, *cut);
    if on(PIECES) {
        let split = read_pieces::<R>(&cuts, limits);
        assert_eq!(split, whole, "fed in pieces the stream reads differently from whole");
    }
    if on(SLICES) {
        let slices = read_slices::<R>(&cuts, limits);
        assert_eq!(slices, whole, "decode_slice reads the stream differently from decode");
    }

    // The event API streams bodies, so it stops only where `decode` does, except on bodies
    // over `max_body`, which only `decode` refuses. Past such a body the mixed read is
    // compared with the events.
    let over = matches!(whole.error.as_ref().map(Error::kind), Some(ErrorKind::BodyTooLarge { .. }));
    if on(EVENTS) || (on(MIXED) && over) {
        let (events, starts) = read_events_at::<R>(&cuts, limits);
        if over {
            assert!(events.requests.starts_with(&whole.requests), "events lost a request before the body limit")
        } else {
            assert_eq!(events, whole, "the event API reads the stream differently")
        }
        if on(MIXED) {
            check_mixed(&read_mixed::<R>(&cuts, limits), &whole, &events, &starts, limits);
        }
    } else if on(MIXED) {
        let mixed = read_mixed::<R>(&cuts, limits);
        assert_eq!(mixed, whole, "try_decode with events reads the stream differently");
    }

    if every {
        for req in &whole.requests {
            check_canonical(req);
        }
        check_reencode(&whole.requests, limits);
    }
}

/// The canonical plain form of a request reads back as the same request.
pub fn check_canonical(req: &Request) {
    let mut plain = Vec::new();
    req.write_http1(&mut plain);
    let again = read_whole::<http1::Plain>(&plain, lenient_limits());
    assert_eq!(again.error, None, "canonical form rejected: {:?}", plain.escape_ascii().to_string());
    assert_eq!(again.requests, std::slice::from_ref(req), "canonical form reads back differently");
}

/// Encoding requests with `limits` gives a stream that a decoder with the same limits reads
/// back as the same requests; if the encoder refuses a request, everything before it still
/// decodes. Done twice: one request at a time, and through a [`Lookahead`].
pub fn check_reencode(requests: &[Request], limits: Limits) {
    // With header editing (the default), and without it (version 1 opcodes only).
    for editing in [true, false] {
        let mut out = Vec::new();
        let mut encoder = Encoder::with_limits(limits).editing(editing);
        let mut done = 0;
        for req in requests {
            if encoder.encode(req, &mut out).is_err() {
                break;
            }
            done += 1;
        }
        let back = read_whole::<Compact>(&out, limits);
        assert_eq!(back.error, None, "encoder output rejected by a decoder with the same limits");
        assert_eq!(back.requests, requests[..done], "encoder output decodes differently (editing {editing})");
    }

    let (out, done) = encode_lookahead(requests, limits, Window { requests: 4, bytes: 256 });
    let back = read_whole::<Compact>(&out, limits);
    assert_eq!(back.error, None, "lookahead output rejected by a decoder with the same limits");
    assert_eq!(back.requests, requests[..done], "lookahead output decodes differently");
}

/// Encodes requests as a stream of events through a [`Lookahead`]; returns the bytes and how
/// many requests were written whole before the encoder refused one (if it did).
pub fn encode_lookahead(requests: &[Request], limits: Limits, window: Window) -> (Vec<u8>, usize) {
    let mut enc = Lookahead::new(Encoder::with_limits(limits), window);
    let mut out = Vec::new();
    let mut ends = 0;
    for req in requests {
        let mut events = vec![Event::Head(req.head().clone())];
        if !req.body().is_empty() {
            events.push(Event::Data(req.body().clone()));
        }
        events.push(Event::End);
        for event in events {
            match enc.encode(event, &mut out) {
                Ok(drained) => ends += drained.requests,
                // Everything before the refused request is written, whole.
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

/// Target `decode`: the compact decoder on arbitrary bytes.
pub fn decode(data: &[u8]) {
    check_reader::<Compact>(data, false);
}

/// [`decode`] with every check, whatever byte 0 selects: for replaying seeds.
pub fn decode_all(data: &[u8]) {
    check_reader::<Compact>(data, true);
}

/// Target `http1`: the plain parser on arbitrary bytes.
pub fn http1(data: &[u8]) {
    check_reader::<http1::Plain>(data, false);
    check_heads_alone(data);
}

/// [`http1`] with every check, whatever byte 0 selects: for replaying seeds.
pub fn http1_all(data: &[u8]) {
    check_reader::<http1::Plain>(data, true);
    check_heads_alone(data);
}

/// Every head the plain reader gives is the head [`http1::parse_head`] gives for its bytes
/// alone. The reader compares a head with those it kept, and takes the lines it shares with
/// the last one without checking them again; it must read as if it did neither.
fn check_heads_alone(data: &[u8]) {
    let [control, _, stream @ ..] = data else { return };
    let limits = limits_for(*control);
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

/// A plain rendering of `req` that is valid but not canonical: the framing field in another
/// place and spelling, optional whitespace around its value, empty lines before the request.
fn noncanonical(req: &Request, c: &mut Choices<'_>, dst: &mut Vec<u8>) {
    let head = req.head();
    for _ in 0..c.below(3) {
        dst.extend_from_slice(b"\r\n");
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
    dst.extend_from_slice(req.body());
}

/// Target `roundtrip`: valid request sequences built from the input; the plain form (canonical
/// or not) parses to them, and encoding (alone or with lookahead) then decoding gives them back
/// and writes their canonical form.
pub fn roundtrip(data: &[u8]) {
    let mut c = Choices(data);
    let limits = match c.below(4) {
        // Few registers: the encoder must replace registers and still stay exact.
        0 => Limits::default().max_registers(1 + c.below(4)),
        _ => Limits::default(),
    };
    let window = Window { requests: c.below(6), bytes: 1 << c.below(12) };
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
    let parsed = read_whole::<http1::Plain>(&plain, Limits::default());
    assert_eq!(parsed.error, None, "valid plain input rejected: {:?}", plain.escape_ascii().to_string());
    assert_eq!(parsed.requests, requests, "plain input parses to other requests");
    let parsed = read_whole::<http1::Plain>(&canonical, Limits::default());
    assert_eq!(parsed.requests, requests, "canonical form parses to other requests");

    let (compact, done) = encode_lookahead(&requests, limits, window);
    let back = read_whole::<Compact>(&compact, limits);
    assert_eq!(back.error, None, "encoder output rejected: {:?}", compact.escape_ascii().to_string());
    assert_eq!(back.requests, requests[..done], "decode(encode(x)) differs from x");
    if done == requests.len() {
        let mut out = Vec::new();
        for req in &back.requests {
            req.write_http1(&mut out);
        }
        assert!(out == canonical, "decode(encode(x)) is not the canonical form of x");
    } else {
        assert!(limits != Limits::default(), "encoder refused a request under the default limits");
    }

    let mut alone = Vec::new();
    let mut encoder = Encoder::with_limits(limits);
    let mut done = 0;
    for req in &requests {
        if encoder.encode(req, &mut alone).is_err() {
            break;
        }
        done += 1;
    }
    let back = read_whole::<Compact>(&alone, limits);
    assert_eq!(back.error, None, "encoder output rejected: {:?}", alone.escape_ascii().to_string());
    assert_eq!(back.requests, requests[..done], "decode(encode(x)) differs from x (one at a time)");
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
    let requests = read_whole::<http1::Plain>(stream, limits).requests;

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
    assert_eq!(back.requests.len(), ends, "Drained::requests counted another number of requests than were written");
    assert_eq!(back.requests, requests[..ends], "encoder output decodes to other requests");
    if refused.is_none() {
        assert_eq!(ends, requests.len(), "requests lost without a refusal");
    } else {
        assert!(ends < requests.len(), "a refusal with every request written");
    }
}

// ---------------------------------------------------------------------------------------------
// Differential: the plain parser against httparse
// ---------------------------------------------------------------------------------------------

/// How the two parsers judged one head, for [`differential`].
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
/// LF, does not make: the deliberate strictness rules.
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

/// Parses `data` as one head with both parsers and compares. Panics if both accept and
/// disagree on the method, target, version, fields or head length, or if one rejects what the
/// other accepts for a reason not listed as deliberate.
pub fn differential(data: &[u8]) -> Verdict {
    let mut src = BytesMut::from(data);
    // The whole input is all there is: a head it does not finish is judged at its end.
    let ours = match http1::Parser::new().next_event_eof(&mut src) {
        Ok(Some(Event::Head(head))) => Ok(Some((head, data.len() - src.len()))),
        Ok(Some(other)) => panic!("first event is not a head: {other:?}"),
        Ok(None) => Ok(None),
        Err(err) => Err(err),
    };
    let mut fields = [httparse::EMPTY_HEADER; 300];
    let mut theirs = httparse::Request::new(&mut fields);
    let status = theirs.parse(data);

    match (ours, status) {
        (Ok(Some((head, len))), Ok(httparse::Status::Complete(n))) => {
            assert_eq!(len, n, "head lengths differ");
            assert_eq!(Some(&head.method()[..]), theirs.method.map(str::as_bytes), "methods differ");
            assert_eq!(Some(head.target()), theirs.path.map(str::as_bytes), "targets differ");
            let v = head.version().to_bytes();
            if v[5] != b'1' || theirs.version != Some(v[7] - b'0') {
                panic!("versions differ: {:?} vs HTTP/1.{:?}", head.version(), theirs.version);
            }
            let mut framing = Framing::None;
            let mut theirs_fields = Vec::new();
            for f in theirs.headers.iter() {
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
            assert_eq!(head.framing(), framing, "framing differs");
            Verdict::Agree
        }
        (Ok(Some((head, _))), Err(err)) => {
            // httparse reads only HTTP/1.0 and HTTP/1.1; this parser keeps any HTTP/DIGIT.DIGIT.
            let v = head.version().to_bytes();
            assert!(
                err == httparse::Error::Version && !(v[5] == b'1' && v[7] <= b'1'),
                "only httparse rejects ({err:?}): {:?}",
                data.escape_ascii().to_string()
            );
            Verdict::StricterThere
        }
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

/// Trims SP and HTAB from both ends of a field value.
fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(v.len());
    let end = v.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |i| i + 1);
    &v[start..end]
}
