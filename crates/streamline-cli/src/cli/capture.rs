//! A capture (pcap, pcapng) as an input: the capture crate reassembles every TCP flow, and
//! each flow's client-to-server stream (its requests) is read as one connection, in its own
//! syntax, by the same readers as a file. What a command does with each connection is its
//! [`Flows`].
//!
//! A flow is read from its first byte until it ends, or until a fault, after which the rest of
//! it is skipped with a note (standard error) and the requests before the fault count:
//!
//! - bytes lost (never captured) or cut by the snapshot length: the request they fall in is
//!   left out;
//! - bytes that are no HTTP request (detected from the first line: the flow is skipped), or a
//!   request the reader rejects.
//!
//! The server-to-client direction (the responses) is not read: it comes with the response
//! direction of the codec.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::sync::mpsc;

use anyhow::Result;
use bytes::BytesMut;
use streamline::http1::{self, Plain};
use streamline::{Compact, Decoder, Error, Event, Limits, Reader, Syntax, SyntaxDetector};
use streamline_capture::{Capture, CloseReason, Direction, Directions, FlowId, FlowKey, GapKind};

use crate::cli::args::CaptureArgs;
use crate::cli::io::Input;
use crate::cli::output::group;
use crate::cli::DataError;

/// What a command does with the connections of a capture.
pub trait Flows {
    /// One connection's state.
    type Conn;

    /// The codec limits the readers use.
    fn limits(&self) -> Limits;

    /// A flow in `syntax` begins; `Err` skips it, saying why.
    fn open(&mut self, key: &FlowKey, syntax: Syntax) -> Result<Self::Conn, String>;

    /// The next event of its requests; `Err` stops reading the flow, saying why.
    fn event(&mut self, conn: &mut Self::Conn, event: Event) -> Result<(), String>;

    /// It has ended (or stopped at a fault): whatever it holds is done.
    fn close(&mut self, conn: Self::Conn) -> Result<(), String>;
}

/// Reads the first bytes of `input` into `buf` (at least four, unless it is shorter) and tells
/// whether it is a capture.
pub fn is_capture(input: &mut Input, buf: &mut BytesMut) -> Result<bool> {
    use crate::cli::io::Source;
    while buf.len() < 4 {
        let name = input.name().to_string();
        if anyhow::Context::with_context(input.fill(buf), || format!("cannot read {name}"))? == 0 {
            break;
        }
    }
    Ok(streamline_capture::is_capture(buf))
}

/// How one flow stands.
enum Stage<C> {
    /// Its first bytes do not tell the syntax yet.
    Detecting(SyntaxDetector),
    Reading(Box<Connection<C>>),
    /// Skipped or stopped at a fault: the rest is ignored.
    Done,
}

struct Connection<C> {
    reader: AnyReader,
    conn: C,
}

/// A reader of either syntax, boxed (the two differ in size by hundreds of bytes; a flow
/// holds one reader for its life).
enum AnyReader {
    Plain(Box<Reader<Plain>>),
    Compact(Box<Reader<Compact>>),
}

impl AnyReader {
    fn next_event(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Event>, Error> {
        match (self, eof) {
            (AnyReader::Plain(r), false) => r.next_event(src),
            (AnyReader::Plain(r), true) => r.next_event_eof(src),
            (AnyReader::Compact(r), false) => r.next_event(src),
            (AnyReader::Compact(r), true) => r.next_event_eof(src),
        }
    }

    fn position(&self) -> (u64, u64) {
        match self {
            AnyReader::Plain(r) => (r.line(), r.offset()),
            AnyReader::Compact(r) => (r.line(), r.offset()),
        }
    }
}

struct Flow<C> {
    key: FlowKey,
    stage: Stage<C>,
    buf: BytesMut,
}

/// What a capture held, for the summary note.
#[derive(Default)]
struct Counts {
    flows: u64,
    read: u64,
    not_http: u64,
    /// Flows whose client sent responses.
    responses: u64,
    empty: u64,
    faults: u64,
}

/// The flows being read, and where notes go.
struct Reading<'a, F: Flows> {
    name: &'a str,
    flows: &'a mut F,
    open: HashMap<FlowId, Flow<F::Conn>>,
    /// The flow of the last event, out of `open`.
    last: Option<(FlowId, Flow<F::Conn>)>,
    /// Bytes the flows in `open` and `last` hold unread, and the most they may.
    held: usize,
    max_held: usize,
    counts: Counts,
}

/// Reads the capture `input` (whose first bytes are in `buf`): every flow to `flows`, notes
/// on standard error. A malformed or cut-short capture is an error ([`DataError`]) that comes
/// after every flow read up to the fault has been handed over and closed.
///
/// Two threads share the work: this one reads the file and reassembles the flows, handing
/// their events over in batches of about [`BATCH`] bytes (at most [`BATCHES`] in flight, so
/// memory stays bounded); another reads the requests of each flow and hands them to `flows`.
pub fn read<F>(input: Input, buf: BytesMut, options: &CaptureArgs, flows: &mut F) -> Result<()>
where
    F: Flows + Send,
    F::Conn: Send,
{
    let name = input.name().to_string();
    let mut capture = Capture::new(Cursor::new(buf).chain(input), options.limits(), Directions::ClientToServer);
    let max_held = options.max_held;
    let (result, counts) = std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<Batch>(BATCHES);
        let (recycle, recycled) = mpsc::sync_channel::<Batch>(BATCHES + 1);
        let name = &name;
        let requests = scope.spawn(move || {
            let mut reading =
                Reading { name, flows, open: HashMap::new(), last: None, held: 0, max_held, counts: Counts::default() };
            for mut batch in receive {
                batch.replay(&mut |event| reading.event(event));
                batch.clear();
                let _ = recycle.try_send(batch);
            }
            reading.counts
        });
        let mut batch = Batch::default();
        let hand_over = |batch: &mut Batch| {
            let next = recycled.try_recv().unwrap_or_default();
            // The other thread has stopped only if it panicked, which the join reports.
            let _ = send.send(std::mem::replace(batch, next));
        };
        let result = capture.run(&mut |event| {
            batch.push(event);
            if batch.data.len() >= BATCH || batch.events.len() >= BATCH / 64 {
                hand_over(&mut batch);
            }
        });
        hand_over(&mut batch);
        drop(send);
        let counts = requests.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (result, counts)
    });
    let stats = capture.stats();
    let format = match capture.format() {
        Some(streamline_capture::Format::Pcapng) => "pcapng",
        _ => "pcap",
    };
    let c = &counts;
    let mut summary = format!(
        "{format}, {} packets, {} TCP flow{}: {} read as HTTP",
        group(stats.packets),
        group(c.flows),
        if c.flows == 1 { "" } else { "s" },
        group(c.read)
    );
    let kinds = [
        (c.faults, "stopped at a fault"),
        (c.not_http, "not HTTP"),
        (c.responses, "with responses from the client"),
        (c.empty, "without client data"),
    ];
    for (n, what) in kinds {
        if n > 0 {
            summary.push_str(&format!(", {} {what}", group(n)));
        }
    }
    let skipped: u64 = stats.skipped.values().sum();
    if skipped > 0 {
        let why: Vec<String> = stats.skipped.iter().map(|(why, n)| format!("{} {why}", group(*n))).collect();
        let packets = if skipped == 1 { "packet" } else { "packets" };
        summary.push_str(&format!("; {} {packets} without a TCP segment ({})", group(skipped), why.join(", ")));
    }
    note(&name, &summary);
    result.map_err(|err| DataError { file: name.clone(), what: err.to_string(), written: None }.into())
}

/// Bytes of a flow gathered before its reader reads them.
const PIECE: usize = 64 * 1024;

/// Bytes of flow data in a batch of events handed from the capture's thread to the requests'.
const BATCH: usize = 256 * 1024;

/// Batches on their way at most.
const BATCHES: usize = 2;

/// Events of the capture, owned, their data in one buffer.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    events: Vec<Owned>,
}

/// A [`streamline_capture::Event`] whose data is a range of its batch's buffer.
enum Owned {
    /// Open, Gap, Close: rare, boxed (a Close carries the flow's statistics).
    Event(Box<streamline_capture::Event<'static>>),
    Data {
        flow: FlowId,
        direction: Direction,
        offset: u64,
        range: std::ops::Range<usize>,
    },
}

impl Batch {
    fn push(&mut self, event: streamline_capture::Event<'_>) {
        let owned = match event {
            streamline_capture::Event::Data { flow, direction, offset, data } => {
                let start = self.data.len();
                self.data.extend_from_slice(data);
                Owned::Data { flow, direction, offset, range: start..self.data.len() }
            }
            streamline_capture::Event::Open { flow, key, packet, mid_stream } => {
                Owned::Event(Box::new(streamline_capture::Event::Open { flow, key, packet, mid_stream }))
            }
            streamline_capture::Event::Gap { flow, direction, offset, len, kind, packet } => {
                Owned::Event(Box::new(streamline_capture::Event::Gap { flow, direction, offset, len, kind, packet }))
            }
            streamline_capture::Event::Close { flow, key, reason, stats, packet } => {
                Owned::Event(Box::new(streamline_capture::Event::Close { flow, key, reason, stats, packet }))
            }
        };
        self.events.push(owned);
    }

    /// Hands the events to `f` as the capture gave them.
    fn replay(&self, f: &mut impl FnMut(streamline_capture::Event<'_>)) {
        for event in &self.events {
            match event {
                Owned::Event(event) => f(**event),
                Owned::Data { flow, direction, offset, range } => f(streamline_capture::Event::Data {
                    flow: *flow,
                    direction: *direction,
                    offset: *offset,
                    data: &self.data[range.clone()],
                }),
            }
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.events.clear();
    }
}

/// Prints a note on standard error.
fn note(file: &str, what: &str) {
    let _ = writeln!(std::io::stderr(), "streamline: note: {file}: {what}");
}

impl<F: Flows> Reading<'_, F> {
    /// Takes a flow's state out (the last one used is kept apart, so that a run of events of
    /// one flow does not hash its number each time).
    fn take(&mut self, flow: FlowId) -> Option<Flow<F::Conn>> {
        let f = match self.last.take() {
            Some((id, f)) if id == flow => Some(f),
            Some((id, f)) => {
                self.open.insert(id, f);
                self.open.remove(&flow)
            }
            None => self.open.remove(&flow),
        };
        if let Some(f) = &f {
            self.held -= f.buf.len();
        }
        f
    }

    /// Puts a flow's state back, as the last one used. If the flows now hold more unread
    /// bytes than the limit, the flow that holds the most is stopped.
    fn put(&mut self, flow: FlowId, f: Flow<F::Conn>) {
        self.held += f.buf.len();
        if let Some((id, last)) = self.last.replace((flow, f)) {
            self.open.insert(id, last);
        }
        while self.held > self.max_held {
            let in_map = self.open.iter().map(|(id, f)| (f.buf.len(), *id)).max();
            let last = self.last.as_ref().map(|(id, f)| (f.buf.len(), *id));
            let Some((_, id)) = in_map.max(last) else { break };
            let Some(mut f) = self.take(id) else { break };
            let why = format!(
                "stopped: the flows held more than --max-held ({} bytes) of requests not read whole, this one {}",
                group(self.max_held as u64),
                group(f.buf.len() as u64)
            );
            self.stop(&mut f, &format!("{why}; its requests before are read, the rest is skipped"));
            self.put(id, f);
        }
    }

    fn note(&self, key: &FlowKey, what: &str) {
        note(self.name, &format!("flow {} -> {}: {what}", key.client, key.server));
    }

    fn event(&mut self, event: streamline_capture::Event<'_>) {
        match event {
            streamline_capture::Event::Open { flow, key, mid_stream, packet } => {
                self.counts.flows += 1;
                if mid_stream {
                    self.note(
                        &key,
                        &format!("no SYN (the capture starts inside the connection, packet {packet}): read from its first byte captured"),
                    );
                }
                let stage = Stage::Detecting(SyntaxDetector::new());
                self.put(flow, Flow { key, stage, buf: BytesMut::new() });
            }
            streamline_capture::Event::Data { flow, data, .. } => {
                let Some(mut f) = self.take(flow) else { return };
                match f.stage {
                    Stage::Done => {}
                    // Read in pieces of at least PIECE bytes (the reader then sees few cut
                    // heads); the flow's end or a gap reads the rest.
                    Stage::Reading(_) if f.buf.len() + data.len() < PIECE => f.buf.extend_from_slice(data),
                    _ => {
                        f.buf.extend_from_slice(data);
                        self.advance(&mut f, false);
                    }
                }
                self.put(flow, f);
            }
            streamline_capture::Event::Gap { flow, offset, len, kind, packet, .. } => {
                let Some(mut f) = self.take(flow) else { return };
                let why = match kind {
                    GapKind::Lost => {
                        format!("{} bytes lost at byte {} of the stream (packet {packet})", group(len), group(offset))
                    }
                    GapKind::Truncated => format!(
                        "packet {packet} cut by the snapshot length: {} bytes missing at byte {} of the stream",
                        group(len),
                        group(offset)
                    ),
                };
                if !matches!(f.stage, Stage::Done) {
                    self.end(&mut f, Some(&why));
                }
                self.put(flow, f);
            }
            streamline_capture::Event::Close { flow, reason, stats, .. } => {
                let Some(mut f) = self.take(flow) else { return };
                if !matches!(f.stage, Stage::Done) {
                    self.end(&mut f, None);
                }
                if reason == CloseReason::Evicted {
                    self.note(&f.key, "closed early: more flows were open at once than --max-flows");
                }
                if stats.client.conflicts > 0 {
                    self.note(
                        &f.key,
                        &format!(
                            "{} retransmitted segments differed from the copy first captured (that one was kept)",
                            group(stats.client.conflicts)
                        ),
                    );
                }
            }
        }
    }

    /// Reads the whole requests the flow's buffer holds; `eof`: nothing more comes (the flow
    /// ended, or a gap cuts it), so its first bytes tell the syntax or never will.
    fn advance(&mut self, f: &mut Flow<F::Conn>, eof: bool) {
        if let Stage::Detecting(detector) = &mut f.stage {
            let max_line = self.flows.limits().get_max_line();
            match detector.detect(&f.buf) {
                Ok(Some(syntax)) if syntax.is_responses() => {
                    self.counts.responses += 1;
                    let why =
                        "responses where the client's requests were expected (a server that speaks first?): skipped";
                    self.skip(f, why);
                    return;
                }
                Ok(Some(syntax)) => {
                    self.counts.read += 1;
                    match self.flows.open(&f.key, syntax) {
                        Ok(conn) => {
                            // (A capture gives each flow's client bytes: requests.)
                            let reader = match syntax {
                                Syntax::Compact => {
                                    AnyReader::Compact(Box::new(Decoder::with_limits(self.flows.limits())))
                                }
                                _ => AnyReader::Plain(Box::new(http1::Parser::with_limits(self.flows.limits()))),
                            };
                            f.stage = Stage::Reading(Box::new(Connection { reader, conn }));
                        }
                        Err(why) => {
                            self.counts.read -= 1;
                            self.skip(f, &why);
                            return;
                        }
                    }
                }
                Ok(None) if f.buf.is_empty() && eof => {
                    self.counts.empty += 1;
                    f.stage = Stage::Done;
                    return;
                }
                Ok(None) if !eof && f.buf.len() <= max_line => return,
                _ => {
                    self.counts.not_http += 1;
                    let start = &f.buf[..f.buf.len().min(24)];
                    let why = format!("not HTTP (it starts with '{}'): skipped", start.escape_ascii());
                    self.skip(f, &why);
                    return;
                }
            }
        }
        let Stage::Reading(c) = &mut f.stage else { return };
        let fault = loop {
            match c.reader.next_event(&mut f.buf, false) {
                Ok(Some(event)) => {
                    if let Err(why) = self.flows.event(&mut c.conn, event) {
                        let (line, byte) = c.reader.position();
                        break Some(format!("line {line} (byte {byte}) of the stream: {why}"));
                    }
                }
                Ok(None) => break None,
                Err(err) => break Some(format!("{err} (in the flow's stream)")),
            }
        };
        if let Some(fault) = fault {
            self.stop(f, &format!("{fault}; its requests before it are read, the rest is skipped"));
        }
    }

    /// The flow's stream ends here: at its end (`cut` None) or at a gap (`cut` says which).
    /// Reads the rest, then closes the connection; a request cut short is left out.
    fn end(&mut self, f: &mut Flow<F::Conn>, cut: Option<&str>) {
        // A gap before any byte of the flow: where its requests begin is unknown, so nothing
        // of it is read; said as such, not counted as a flow without client data.
        if let (Some(cut), Stage::Detecting(_), true) = (cut, &f.stage, f.buf.is_empty()) {
            self.counts.faults += 1;
            self.note(&f.key, &format!("{cut}, before any byte of it: the flow skipped"));
            f.stage = Stage::Done;
            return;
        }
        self.advance(f, true);
        let Stage::Reading(c) = &mut f.stage else {
            if let Some(cut) = cut.filter(|_| !matches!(f.stage, Stage::Done)) {
                self.note(&f.key, &format!("{cut}: skipped"));
            }
            f.stage = Stage::Done;
            return;
        };
        let (line, byte) = c.reader.position();
        let mut fault = None;
        loop {
            match c.reader.next_event(&mut f.buf, true) {
                Ok(Some(event)) => {
                    if let Err(why) = self.flows.event(&mut c.conn, event) {
                        fault = Some(why);
                        break;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    let request = format!("the request from line {line} (byte {byte}) of the stream on is cut short");
                    fault = Some(match cut {
                        Some(cut) => format!("{cut}: {request} and left out, the rest of the flow skipped"),
                        None => format!("the flow ends inside a request: {request} and left out"),
                    });
                    break;
                }
            }
        }
        let cut_between_requests =
            cut.filter(|_| fault.is_none()).map(|cut| format!("{cut}: the rest of the flow skipped"));
        if let Stage::Reading(c) = std::mem::replace(&mut f.stage, Stage::Done) {
            if cut.is_some() || fault.is_some() {
                self.counts.faults += 1;
            }
            if let Err(more) = self.flows.close(c.conn) {
                self.note(&f.key, &more);
            }
        }
        if let Some(what) = fault.or(cut_between_requests) {
            self.note(&f.key, &what);
        }
        f.buf = BytesMut::new();
    }

    fn skip(&mut self, f: &mut Flow<F::Conn>, why: &str) {
        self.note(&f.key, why);
        f.stage = Stage::Done;
        f.buf = BytesMut::new();
    }

    /// Stops a flow at a fault: what it read is closed, the rest skipped.
    fn stop(&mut self, f: &mut Flow<F::Conn>, why: &str) {
        if let Stage::Reading(c) = std::mem::replace(&mut f.stage, Stage::Done) {
            self.counts.faults += 1;
            if let Err(more) = self.flows.close(c.conn) {
                self.note(&f.key, &more);
            }
        }
        self.note(&f.key, why);
        f.buf = BytesMut::new();
    }
}
