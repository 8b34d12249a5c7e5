//! `streamline report`: the bytes each encoding spends per message, measured on the input.

use std::collections::VecDeque;
use std::io::Write;

use anyhow::{Context, Result};
use bytes::{BufMut, BytesMut};
use streamline::{
    http1, ChunkedBody, ChunkedPart, Decoder, Emitted, Encoder, Error, Event, Framing, Grammar, Head, Limits,
    Lookahead, Window,
};

use crate::cli::args::{Format, ReportArgs};
use crate::cli::bhttp::Bhttp;
use crate::cli::capture::{self, Flows};
use crate::cli::io::{Events, Input, ReadError, Source, Syntax};
use crate::cli::output::{self, Report, Row};
use crate::cli::plot::{self, Series};
use crate::cli::source::{Memory, Opra, OPRA_PAYLOAD};
use crate::cli::stats::Tally;
use crate::cli::{amqp, http2, progress, DataError};

/// Measures the inputs and prints the report.
pub fn run(args: ReportArgs) -> Result<()> {
    let mut totals = Totals::default();
    let limits = args.limits.limits();
    let codec = Codec { limits, window: args.window.window(), encoder: args.editing.encoder(limits) };
    // A capture malformed or cut short after some packets: the report of what was read is
    // printed, then the error.
    let mut late = None;
    let (input, files) = if args.files.is_empty() {
        let bar = progress::items(args.count, args.quiet);
        let feed = Opra::new(args.count, args.seed, OPRA_PAYLOAD);
        let mut events = Events::new(http1::Parser::with_limits(codec.limits), feed, BytesMut::new());
        let result = measure(&mut events, &mut totals, &codec, Some(&bar));
        bar.finish_and_clear();
        result.map_err(|stop| stop.into_error("<built-in feed>".into()))?;
        let input = format!(
            "built-in OPRA-style feed: {} quotes, {OPRA_PAYLOAD}-byte bodies, seed {}",
            output::group(args.count),
            args.seed
        );
        (input, Vec::new())
    } else {
        let mut names = Vec::new();
        let mut captures = 0;
        for path in &args.files {
            let mut input = Input::open(Some(path), args.quiet)?;
            let name = input.name().to_string();
            let mut buf = BytesMut::new();
            if capture::is_capture(&mut input, &mut buf)? {
                let mut flows = Measured { totals: &mut totals, codec: &codec };
                let result = capture::read(input, buf, &args.capture, &mut flows);
                names.push(name);
                captures += 1;
                match result {
                    Err(err) if err.is::<DataError>() => {
                        late = Some(err);
                        break;
                    }
                    other => other?,
                }
                continue;
            }
            let result = match detect(&mut input, &mut buf, codec.limits.get_max_line())? {
                Syntax::Plain | Syntax::PlainResponses => {
                    let mut events = Events::new(http1::Parser::with_limits(codec.limits), input, buf);
                    measure(&mut events, &mut totals, &codec, None)
                }
                Syntax::Compact | Syntax::CompactResponses => {
                    let mut events = Events::new(Decoder::with_limits(codec.limits), input, buf);
                    measure(&mut events, &mut totals, &codec, None)
                }
            };
            result.map_err(|stop| stop.into_error(name.clone()))?;
            names.push(name);
        }
        let input = match (&names[..], captures) {
            ([one], _) => one.clone(),
            (many, 0) => format!("{} files, one connection each", many.len()),
            (many, c) => format!(
                "{} files ({c} capture{}: a connection per HTTP flow; the others one connection each)",
                many.len(),
                if c == 1 { "" } else { "s" }
            ),
        };
        (input, names)
    };
    let report = totals.report(input, files, args.rate);
    if let Some(path) = &args.plot {
        let mut svg = Vec::new();
        totals.plot(&report, &mut svg).context("cannot draw the plot")?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Svg => totals.plot(&report, &mut stdout),
        format => output::renderer(format).render(&report, &mut stdout),
    }
    .context("cannot write <stdout>")?;
    stdout.flush().context("cannot write <stdout>")?;
    late.map_or(Ok(()), Err)
}

/// Reads the first bytes of `input` into `buf` and tells its syntax (an empty input is plain).
///
/// The syntax shows within the first line: an opcode and a colon, or a method token and a
/// space, and a line is at most `max_line` bytes. So once more than `max_line` bytes are read
/// without a verdict, the input is refused: memory stays bounded whatever the input. The
/// detector looks at each byte once, however the reads split.
fn detect(input: &mut Input, buf: &mut BytesMut, max_line: usize) -> Result<Syntax> {
    let mut detector = streamline::SyntaxDetector::new();
    let why = loop {
        match detector.detect(buf) {
            Ok(Some(syntax)) => return Ok(syntax),
            Err(_) => break String::new(),
            Ok(None) if buf.len() > max_line => {
                break format!(
                    ": the first {} bytes hold no space or colon, and the first line may hold at most {} \
(--max-line)",
                    output::group(buf.len() as u64),
                    output::group(max_line as u64)
                )
            }
            Ok(None) => {
                let n = input.fill(buf).with_context(|| format!("cannot read {}", input.name()))?;
                if n == 0 && buf.is_empty() {
                    return Ok(Syntax::Plain);
                }
                if n == 0 {
                    break String::new();
                }
            }
        }
    };
    let start = &buf[..buf.len().min(24)];
    Err(DataError {
        file: input.name().into(),
        what: format!(
            "line 1 (byte 0): cannot tell the syntax from '{}'{why} (expected an opcode line such as 'V:HTTP/1.1' \
or a request line such as 'GET / HTTP/1.1')",
            start.escape_ascii()
        ),
        written: None,
    }
    .into())
}

/// Why a connection was not measured to its end.
enum Stop {
    Read(ReadError),
    /// The compact encoder could not express a request (the error numbers it, from 1).
    Encode(Error),
}

impl Stop {
    /// What went wrong, in words (an I/O error cannot happen on a capture's flow).
    fn into_what(self) -> String {
        match self {
            Stop::Read(ReadError::Io(err)) => err.to_string(),
            Stop::Read(ReadError::Data(err)) | Stop::Encode(err) => err.to_string(),
        }
    }

    fn into_error(self, file: String) -> anyhow::Error {
        let what = match self {
            Stop::Read(ReadError::Io(err)) => return anyhow::Error::new(err).context(format!("cannot read {file}")),
            Stop::Read(ReadError::Data(err)) => err.to_string(),
            Stop::Encode(err) => err.to_string(),
        };
        DataError { file, what, written: None }.into()
    }
}

/// What the requests of one plain connection take on the wire in each encoding the report
/// measures, as `(name, total bytes)` in the report's order: `bench` prints them beside its
/// speeds.
pub fn sizes(
    plain: &[u8],
    limits: Limits,
    encoder: &Encoder,
    window: Window,
    label: &str,
) -> Result<Vec<(&'static str, u64)>> {
    let mut totals = Totals::default();
    let codec = Codec { limits, window, encoder: encoder.clone() };
    let mut events = Events::new(http1::Parser::with_limits(limits), Memory::new(plain), BytesMut::new());
    measure(&mut events, &mut totals, &codec, None).map_err(|stop| stop.into_error(label.to_string()))?;
    Ok(totals.rows().iter().map(|(_, name, tally)| (*name, totals.body_bytes + tally.summary().total)).collect())
}

/// Everything measured, over all connections.
#[derive(Default)]
struct Totals {
    connections: u64,
    requests: u64,
    body_bytes: u64,
    plain: Tally,
    compact: Tally,
    http2: Tally,
    amqp: Tally,
    bhttp: Tally,
    /// Body bytes per message, for the cumulative plot.
    bodies: Series,
}

impl Totals {
    fn rows(&self) -> [(&'static str, &'static str, &Tally); 5] {
        [
            ("plain", "plain HTTP/1.1", &self.plain),
            ("compact", "compact", &self.compact),
            ("http2", "HTTP/2", &self.http2),
            ("amqp", "AMQP 0-9-1", &self.amqp),
            ("bhttp", "Binary HTTP", &self.bhttp),
        ]
    }

    /// The two plots of the report as SVG.
    fn plot(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        let rows = self.rows();
        let lines: Vec<plot::Line<'_>> =
            rows.iter().map(|(_, name, tally)| plot::Line { name, overhead: tally.series() }).collect();
        plot::svg(report, &self.bodies, &lines, out)
    }

    fn report(&self, input: String, files: Vec<String>, rate: f64) -> Report {
        let row = |id, name, tally: &Tally| Row { id, name, overhead: tally.summary() };
        Report {
            input,
            files,
            connections: self.connections,
            rate,
            requests: self.requests,
            body_bytes: self.body_bytes,
            rows: self.rows().iter().map(|(id, name, tally)| row(id, name, tally)).collect(),
        }
    }
}

/// The request being read.
struct Current {
    head: Head,
    /// Bytes of its plain head.
    plain_head: u64,
    /// Bytes of its HTTP/2 HEADERS frames.
    http2_head: u64,
    /// Body bytes as read (for a chunked body: the chunked encoding).
    body: u64,
    chunked: Option<Chunks>,
}

impl Current {
    /// Records the request, now read whole, in every encoding but the compact one (whose
    /// output lags); returns its chunk framing bytes.
    fn record(self, first: bool, totals: &mut Totals, h2: &mut http2::Connection, bhttp: &mut Bhttp) -> u64 {
        let (payload, trailers) = match &self.chunked {
            Some(chunks) => (chunks.payload, &chunks.trailers[..]),
            None => (self.body, &[][..]),
        };
        let framing = self.body - payload;
        totals.requests += 1;
        totals.body_bytes += payload;
        totals.plain.record(self.plain_head + framing, first);
        let mut h2_bytes = self.http2_head + http2::data_frames(self.head.framing(), payload, !trailers.is_empty());
        if !trailers.is_empty() {
            h2_bytes += h2.trailers(trailers);
        }
        if first {
            h2_bytes += http2::SETUP;
        }
        totals.http2.record(h2_bytes, first);
        totals.amqp.record(amqp::overhead(self.head.target(), payload), first);
        totals.bhttp.record(bhttp.overhead(&self.head, payload, trailers), first);
        totals.bodies.push(payload);
        framing
    }
}

/// What a chunked body carries, as the library's [`ChunkedBody`] walks it: HTTP/2 and AMQP
/// carry the chunk data (the payload) and, for HTTP/2, the trailer fields, not the framing.
struct Chunks {
    body: ChunkedBody,
    /// A line cut short at the end of a piece, until the next one. (The reader's pieces end
    /// at lines' ends, so it stays empty; it is here so that the walk does not depend on it.)
    held: Vec<u8>,
    /// Chunk data bytes so far.
    payload: u64,
    /// Trailer field lines (without CRLF).
    trailers: Vec<Vec<u8>>,
}

impl Chunks {
    fn new(limits: Limits) -> Chunks {
        Chunks { body: ChunkedBody::with_limits(limits), held: Vec::new(), payload: 0, trailers: Vec::new() }
    }

    /// Walks the next piece of the body. It was read with the same limits, so an error here
    /// would have stopped the reader first.
    fn walk(&mut self, piece: &[u8]) -> Result<(), Error> {
        if self.held.is_empty() {
            let used = self.take(piece)?;
            self.held.extend_from_slice(&piece[used..]);
        } else {
            let mut held = std::mem::take(&mut self.held);
            held.extend_from_slice(piece);
            let used = self.take(&held)?;
            held.drain(..used);
            self.held = held;
        }
        Ok(())
    }

    /// Takes every whole part of `src`; returns the bytes taken.
    fn take(&mut self, src: &[u8]) -> Result<usize, Error> {
        let mut used = 0;
        loop {
            let (n, part) = self.body.next(&src[used..])?;
            used += n;
            match part {
                Some(ChunkedPart::Data(data)) => self.payload += data.len() as u64,
                Some(ChunkedPart::Trailer(line)) => self.trailers.push(line.to_vec()),
                Some(ChunkedPart::End) | None => return Ok(used),
            }
        }
    }
}

/// The codec settings every connection uses.
#[derive(Debug, Clone)]
struct Codec {
    limits: Limits,
    window: Window,
    /// A new encoder with the command's settings, cloned for each connection.
    encoder: Encoder,
}

/// Measures one connection: every request in every encoding.
fn measure<G: Grammar<Direction = streamline::Requests>, S: Source>(
    events: &mut Events<G, S>,
    totals: &mut Totals,
    codec: &Codec,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<(), Stop> {
    let mut meter = Meter::new(totals, codec);
    while let Some(event) = events.next().map_err(Stop::Read)? {
        meter.event(event, totals, bar)?;
    }
    meter.finish(totals)
}

/// One connection being measured, event by event.
struct Meter {
    limits: Limits,
    compact: Compact,
    h2: http2::Connection,
    bhttp: Bhttp,
    plain: Vec<u8>,
    current: Option<Current>,
    /// Requests read whole.
    n: u64,
}

impl Meter {
    /// A new connection.
    fn new(totals: &mut Totals, codec: &Codec) -> Meter {
        totals.connections += 1;
        Meter {
            limits: codec.limits,
            compact: Compact {
                encoder: Lookahead::new(codec.encoder.clone(), codec.window),
                framing: VecDeque::new(),
                head: 0,
                done: 0,
                scratch: Vec::new(),
            },
            h2: http2::Connection::new(),
            bhttp: Bhttp::default(),
            plain: Vec::new(),
            current: None,
            n: 0,
        }
    }

    /// Measures the next event of the connection.
    #[inline]
    fn event(&mut self, event: Event, totals: &mut Totals, bar: Option<&indicatif::ProgressBar>) -> Result<(), Stop> {
        match &event {
            Event::Head(head) => {
                self.plain.clear();
                head.write_http1(&mut self.plain);
                self.current = Some(Current {
                    head: head.clone(),
                    plain_head: self.plain.len() as u64,
                    http2_head: self.h2.headers(head),
                    body: 0,
                    chunked: (head.framing() == Framing::Chunked).then(|| Chunks::new(self.limits)),
                });
            }
            Event::Data(data) => {
                if let Some(c) = &mut self.current {
                    c.body += data.len() as u64;
                    if let Some(chunks) = &mut c.chunked {
                        chunks.walk(data).map_err(|err| Stop::Read(ReadError::Data(err)))?;
                    }
                }
            }
            Event::End => {
                if let Some(c) = self.current.take() {
                    self.compact.framing.push_back(c.record(self.n == 0, totals, &mut self.h2, &mut self.bhttp));
                    self.n += 1;
                    if self.n.is_multiple_of(65_536) {
                        if let Some(bar) = bar {
                            bar.inc(65_536);
                        }
                    }
                }
            }
        }
        self.compact.encoder.push(event).map_err(Stop::Encode)?;
        self.compact.drain(&mut totals.compact)
    }

    /// The connection has ended: the compact encoder writes what it holds.
    fn finish(&mut self, totals: &mut Totals) -> Result<(), Stop> {
        self.compact.finish(&mut totals.compact)
    }
}

/// The flows of a capture, each measured as a connection of its own.
struct Measured<'a> {
    totals: &'a mut Totals,
    codec: &'a Codec,
}

impl Flows for Measured<'_> {
    type Conn = Meter;

    fn limits(&self) -> Limits {
        self.codec.limits
    }

    fn open(&mut self, _key: &streamline_capture::FlowKey, _syntax: Syntax) -> Result<Meter, String> {
        Ok(Meter::new(self.totals, self.codec))
    }

    fn event(&mut self, meter: &mut Meter, event: Event) -> Result<(), String> {
        meter.event(event, self.totals, None).map_err(Stop::into_what)
    }

    fn close(&mut self, mut meter: Meter) -> Result<(), String> {
        meter.finish(self.totals).map_err(Stop::into_what)
    }
}

/// The compact encoder's side: its output lags the input by the lookahead window.
struct Compact {
    encoder: Lookahead,
    /// Chunk framing bytes of each request read whole and not written yet.
    framing: VecDeque<u64>,
    /// Bytes of the head being written.
    head: u64,
    /// Requests written.
    done: u64,
    scratch: Vec<u8>,
}

impl Compact {
    /// Writes what the window lets out, item by item (a draining call's totals would not give
    /// each request's head size), into a scratch buffer that only counts.
    #[inline]
    fn drain(&mut self, tally: &mut Tally) -> Result<(), Stop> {
        loop {
            self.scratch.clear();
            match self.encoder.emit(&mut self.scratch) {
                Ok(Some(Emitted::Head { bytes, .. })) => self.head = bytes as u64,
                Ok(Some(Emitted::Data { .. })) => {}
                Ok(Some(Emitted::End { .. })) => {
                    let framing = self.framing.pop_front().unwrap_or(0);
                    tally.record(self.head + framing, self.done == 0);
                    self.done += 1;
                }
                Ok(None) => return Ok(()),
                Err(err) => return Err(Stop::Encode(err)),
            }
        }
    }

    /// No more events: writes the rest.
    fn finish(&mut self, tally: &mut Tally) -> Result<(), Stop> {
        // Finished into a buffer with no room, it writes nothing (what it holds starts with a
        // head, which needs room): the rest goes out item by item below.
        self.scratch.clear();
        if let Err(kind) = self.encoder.finish(&mut (&mut self.scratch).limit(0)) {
            return Err(Stop::Encode(kind));
        }
        self.drain(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        b"5;part=first\r\nhe\r\nl\r\n1\r\no\r\nA\r\n0123456789\r\n0\r\nDigest: sha-256=:x:\r\nX-B: 2\r\n\r\n";

    fn walked(pieces: &[&[u8]]) -> (u64, Vec<Vec<u8>>, bool) {
        let mut chunks = Chunks::new(Limits::default());
        for piece in pieces {
            chunks.walk(piece).unwrap();
        }
        (chunks.payload, chunks.trailers, chunks.body.is_done())
    }

    #[test]
    fn payload_and_trailers_at_every_split() {
        let trailers = vec![b"Digest: sha-256=:x:".to_vec(), b"X-B: 2".to_vec()];
        for split in 0..=BODY.len() {
            assert_eq!(walked(&[&BODY[..split], &BODY[split..]]), (16, trailers.clone(), true), "split {split}");
        }
        let bytes: Vec<&[u8]> = BODY.chunks(1).collect();
        assert_eq!(walked(&bytes), (16, trailers, true), "byte by byte");
    }
}
