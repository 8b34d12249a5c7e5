//! `streamline report`: the bytes each encoding spends per message, measured on the input.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use bytes::{BufMut, BytesMut};
use streamline::{
    http1, ChunkedBody, ChunkedPart, Decoder, Emitted, Encoder, Error, ErrorKind, Event, Framing, Grammar, Head,
    Limits, Lookahead, ResponseDecoder, Window,
};

use crate::cli::answers::{Answers, Tap, ASSUMED};
use crate::cli::args::{Format, ReportArgs};
use crate::cli::bhttp::Bhttp;
use crate::cli::capture::{self, Flows};
use crate::cli::io::{self, Events, Input, Messages, Prompt, ReadError, Source, Syntax};
use crate::cli::output::{self, Report, Reports, Row};
use crate::cli::plot::{self, Series};
use crate::cli::source::{Memory, Opra, OPRA_PAYLOAD};
use crate::cli::stats::Tally;
use crate::cli::{amqp, http2, progress, DataError};

/// Measures the inputs and prints the report.
pub fn run(args: ReportArgs) -> Result<()> {
    let mut requests = Totals::new(false);
    let mut responses = Totals::new(true);
    let limits = args.limits.limits();
    let codec = Codec { limits, window: args.window.window(), encoder: args.editing.encoder(limits) };
    let pair = args.answers.requests.as_deref();
    if let Some(path) = pair {
        if args.files.len() != 1 {
            bail!(
                "--requests {} names the requests of one response stream: give that one response FILE beside it \
({} FILEs given)",
                path.display(),
                args.files.len()
            );
        }
        io::refuse_both_stdin(args.files.first().map(PathBuf::as_path), path)?;
    }
    // The plot is written over no input: refused before anything is read.
    if let Some(plot) = &args.plot {
        for input in args.files.iter().map(PathBuf::as_path).chain(pair) {
            io::refuse_input_as_output(Some(input), Some(plot))?;
        }
    }
    // A capture malformed or cut short after some packets: the report of what was read is
    // printed, then the error.
    let mut late = None;
    let (input, files) = if args.one_link {
        one_link(&args, &codec, &mut requests)?
    } else if args.files.is_empty() {
        let bar = progress::items(args.count, args.quiet);
        let feed = Opra::new(args.count, args.seed, OPRA_PAYLOAD);
        let mut events = Events::new(http1::Parser::with_limits(codec.limits), feed, BytesMut::new());
        let result = measure(&mut events, &mut requests, &codec, Some(&bar));
        bar.finish_and_clear();
        result.map_err(|stop| stop.into_error("<built-in feed>".into(), ""))?;
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
                if pair.is_some() {
                    bail!("{name} is a capture: --requests is for a response stream of one connection");
                }
                let mut flows = Measured { totals: &mut requests, codec: &codec };
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
            let syntax = match detect(&mut input, &mut buf, codec.limits.get_max_line())? {
                // An empty input is as good a response stream as a request stream.
                _ if buf.is_empty() && pair.is_some() => Syntax::PlainResponses,
                syntax => syntax,
            };
            let result = match (syntax, pair) {
                (Syntax::Plain | Syntax::Compact, Some(_)) => bail!(
                    "--requests names the requests a response stream answers, and {name} holds requests, not responses"
                ),
                (Syntax::Plain, None) => {
                    let mut events = Events::new(http1::Parser::with_limits(codec.limits), input, buf);
                    measure(&mut events, &mut requests, &codec, None)
                }
                (Syntax::Compact, None) => {
                    let mut events = Events::new(Decoder::with_limits(codec.limits), input, buf);
                    measure(&mut events, &mut requests, &codec, None)
                }
                (Syntax::PlainResponses, None) => {
                    let mut events = Events::new(http1::ResponseParser::with_limits(codec.limits), input, buf);
                    let measured = measure(&mut events, &mut responses, &codec, None);
                    measured.map_err(|stop| stop.into_error(name.clone(), ASSUMED))?;
                    Ok(())
                }
                (Syntax::CompactResponses, None) => {
                    let mut events = Events::new(ResponseDecoder::with_limits(codec.limits), input, buf);
                    measure(&mut events, &mut responses, &codec, None)
                }
                (syntax, Some(asked)) => {
                    // The requests are read alongside the responses, one ahead, and measured
                    // as they go: the same connection's other direction.
                    let tap = RequestMeter::new(std::mem::take(&mut requests), &codec);
                    let answers = Answers::open(asked, codec.limits, tap)?;
                    let answers = if syntax == Syntax::PlainResponses {
                        let parser = http1::ResponseParser::with_limits(codec.limits);
                        let mut events = Events::with_prompt(parser, input, buf, answers);
                        measure(&mut events, &mut responses, &codec, None)
                            .map_err(|stop| stop.into_error(name.clone(), ""))?;
                        events.into_prompt()
                    } else {
                        let mut events = Events::new(ResponseDecoder::with_limits(codec.limits), input, buf);
                        measure(&mut events, &mut responses, &codec, None)
                            .map_err(|stop| stop.into_error(name.clone(), ""))?;
                        answers
                    };
                    // The requests no response answered are measured too.
                    let file = answers.file().to_string();
                    requests = answers.finish()?.finish(&file)?;
                    names.push(file);
                    Ok(())
                }
            };
            result.map_err(|stop| stop.into_error(name.clone(), ""))?;
            names.push(name);
        }
        let input = match (&names[..], captures, pair) {
            ([requests, responses], _, Some(_)) => {
                format!("{responses} answering {requests}: one connection, both directions")
            }
            ([one], _, _) => one.clone(),
            (many, 0, _) => format!("{} files, one connection each", many.len()),
            (many, c, _) => format!(
                "{} files ({c} capture{}: a connection per HTTP flow; the others one connection each)",
                many.len(),
                if c == 1 { "" } else { "s" }
            ),
        };
        (input, names)
    };
    let measured = |totals: &Totals| totals.connections > 0 || totals.messages > 0;
    let (requests, responses) = (measured(&requests).then_some(requests), measured(&responses).then_some(responses));
    let report = |totals: &Totals| totals.report(input.clone(), files.clone(), args.rate);
    let reports = Reports {
        // A report always has a table: with nothing measured, the requests'.
        requests: requests.as_ref().map(report).or_else(|| responses.is_none().then(|| report(&Totals::new(false)))),
        responses: responses.as_ref().map(report),
    };
    // The plots show the requests, or the responses when they are all there is.
    let nothing = Totals::new(false);
    let plotted = requests.as_ref().or(responses.as_ref()).unwrap_or(&nothing);
    let plot = |out: &mut dyn Write| match reports.first() {
        Some(report) => plotted.plot(report, out),
        None => Ok(()),
    };
    if let Some(path) = &args.plot {
        let mut svg = Vec::new();
        plot(&mut svg).context("cannot draw the plot")?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Svg => plot(&mut stdout),
        format => output::renderer(format).render(&reports, &mut stdout),
    }
    .context("cannot write <stdout>")?;
    stdout.flush().context("cannot write <stdout>")?;
    late.map_or(Ok(()), Err)
}

/// `--one-link`: the request FILEs as the clients of one link, their requests interleaved on
/// one connection, a request from each in turn (a client whose stream has ended leaves the
/// turn), each head as the proxy sends it on ([`streamline_gateway::proxy::link_head`]:
/// without hop-by-hop fields, HTTP/1.1), measured as that connection. Each file is read as
/// it goes, as a connection of its own would be. Gives the input's description and the
/// files' names.
fn one_link(args: &ReportArgs, codec: &Codec, totals: &mut Totals) -> Result<(String, Vec<String>)> {
    type Next = Box<dyn FnMut() -> Result<Option<Event>, ReadError>>;
    let mut clients: VecDeque<(String, Next)> = VecDeque::new();
    for path in &args.files {
        let mut input = Input::open(Some(path), args.quiet)?;
        let name = input.name().to_string();
        let mut buf = BytesMut::new();
        if capture::is_capture(&mut input, &mut buf)? {
            bail!("{name} is a capture: --one-link interleaves request streams (give it without --one-link)");
        }
        let next: Next = match detect(&mut input, &mut buf, codec.limits.get_max_line())? {
            Syntax::Plain => {
                let mut events = Events::new(http1::Parser::with_limits(codec.limits), input, buf);
                Box::new(move || events.next())
            }
            Syntax::Compact => {
                let mut events = Events::new(Decoder::with_limits(codec.limits), input, buf);
                Box::new(move || events.next())
            }
            Syntax::PlainResponses | Syntax::CompactResponses => {
                bail!("{name} holds responses: --one-link interleaves request streams")
            }
        };
        clients.push_back((name, next));
    }
    let names: Vec<String> = clients.iter().map(|(name, _)| name.clone()).collect();
    let mut meter = Meter::new(totals, codec);
    while let Some((name, mut next)) = clients.pop_front() {
        // This client's next request, event by event, to its end.
        let ended = loop {
            let event = match next() {
                Ok(Some(Event::Head(head))) => Event::Head(
                    // (`localhost`: the Host given to an HTTP/1.0 request without one, where
                    // the proxy gives the address its client reached.)
                    streamline_gateway::proxy::link_head(&head, b"localhost")
                        .with_context(|| format!("{name}: a head the proxy could not send on"))?,
                ),
                Ok(Some(event)) => event,
                Ok(None) => break true,
                Err(err) => return Err(Stop::Read(err).into_error(name, "")),
            };
            let end = matches!(event, Event::End);
            meter.event(event, totals, None).map_err(|stop| stop.into_error(name.clone(), ""))?;
            if end {
                break false;
            }
        };
        if !ended {
            clients.push_back((name, next));
        }
    }
    meter.finish(totals).map_err(|stop| stop.into_error("the link".into(), ""))?;
    let input = format!("{} files, their requests interleaved on one connection (--one-link)", names.len());
    Ok((input, names))
}

/// Reads the first bytes of `input` into `buf` and tells its syntax and direction (an empty
/// input is a plain request stream), or refuses it once `max_line` bytes show neither (see
/// [`io::sniff`]).
fn detect(input: &mut Input, buf: &mut BytesMut, max_line: usize) -> Result<Syntax> {
    let why = match io::sniff(input, buf, max_line)? {
        Ok(syntax) => return Ok(syntax),
        Err(why) => why,
    };
    let start = &buf[..buf.len().min(24)];
    Err(DataError {
        file: input.name().into(),
        what: format!(
            "line 1 (byte 0): cannot tell the syntax from '{}'{why} (expected an opcode line such as 'V:HTTP/1.1' \
or 'C:200 OK', a request line such as 'GET / HTTP/1.1', or a status line such as 'HTTP/1.1 200 OK')",
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
            Stop::Read(ReadError::Requests(err)) => format!("{err:#}"),
        }
    }

    /// The error for the input `file`, `hint` after the words of a fault the reader found.
    fn into_error(self, file: String, hint: &str) -> anyhow::Error {
        let what = match self {
            Stop::Read(ReadError::Io(err)) => return anyhow::Error::new(err).context(format!("cannot read {file}")),
            Stop::Read(ReadError::Requests(err)) => return err,
            Stop::Read(ReadError::Data(err)) if matches!(err.kind(), ErrorKind::AfterSwitch { .. }) => err.to_string(),
            Stop::Read(ReadError::Data(err)) => format!("{err}{hint}"),
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
    let mut totals = Totals::new(false);
    let codec = Codec { limits, window, encoder: encoder.clone() };
    let mut events = Events::new(http1::Parser::with_limits(limits), Memory::new(plain), BytesMut::new());
    measure(&mut events, &mut totals, &codec, None).map_err(|stop| stop.into_error(label.to_string(), ""))?;
    Ok(totals.rows().iter().map(|(_, name, tally)| (*name, totals.body_bytes + tally.summary().total)).collect())
}

/// Everything measured of one direction, over all connections.
#[derive(Default)]
struct Totals {
    /// Responses (else requests).
    responses: bool,
    connections: u64,
    messages: u64,
    body_bytes: u64,
    plain: Tally,
    compact: Tally,
    /// The compact encoder with packed and static lines (SPEC.md §4.11, §4.12).
    packed: Tally,
    http2: Tally,
    amqp: Tally,
    bhttp: Tally,
    /// Body bytes per message, for the cumulative plot.
    bodies: Series,
}

impl Totals {
    /// Nothing measured yet, of responses or requests.
    fn new(responses: bool) -> Totals {
        Totals { responses, ..Totals::default() }
    }

    /// The rows of the report: every encoding measured, in order. Responses have no AMQP row
    /// (a basic.publish has no reply).
    fn rows(&self) -> Vec<(&'static str, &'static str, &Tally)> {
        let mut rows = vec![
            ("plain", "plain HTTP/1.1", &self.plain),
            ("compact", "compact", &self.compact),
            ("packed", "compact (packed)", &self.packed),
            ("http2", "HTTP/2", &self.http2),
            ("amqp", "AMQP 0-9-1", &self.amqp),
            ("bhttp", "Binary HTTP", &self.bhttp),
        ];
        if self.responses {
            rows.retain(|(id, ..)| *id != "amqp");
        }
        rows
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
            messages: self.messages,
            body_bytes: self.body_bytes,
            rows: self.rows().iter().map(|(id, name, tally)| row(id, name, tally)).collect(),
            noun: if self.responses { "response" } else { "request" },
        }
    }
}

/// The message being read.
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
    /// Records the message, now read whole, in every encoding but the compact one (whose
    /// output lags); returns its chunk framing bytes.
    fn record(self, first: bool, totals: &mut Totals, h2: &mut http2::Connection, bhttp: &mut Bhttp) -> u64 {
        let (payload, trailers) = match &self.chunked {
            Some(chunks) => (chunks.payload, &chunks.trailers[..]),
            None => (self.body, &[][..]),
        };
        let framing = self.body - payload;
        totals.messages += 1;
        totals.body_bytes += payload;
        totals.plain.record(self.plain_head + framing, first);
        let mut h2_bytes = self.http2_head + http2::data_frames(self.head.framing(), payload, !trailers.is_empty());
        if !trailers.is_empty() {
            h2_bytes += h2.trailers(trailers);
        }
        if first {
            h2_bytes += if totals.responses { http2::SERVER_SETUP } else { http2::SETUP };
        }
        totals.http2.record(h2_bytes, first);
        if !totals.responses {
            totals.amqp.record(amqp::overhead(self.head.target(), payload), first);
        }
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

/// Measures one connection's messages (one direction of it) in every encoding.
fn measure<G: Grammar, S: Source, P: Prompt<G>>(
    events: &mut Events<G, S, P>,
    totals: &mut Totals,
    codec: &Codec,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<(), Stop>
where
    G::Direction: Messages,
{
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
    /// The same encoder with packed and static lines.
    packed: Compact,
    h2: http2::Connection,
    bhttp: Bhttp,
    plain: Vec<u8>,
    current: Option<Current>,
    /// Requests read whole.
    n: u64,
}

impl Meter {
    /// A new connection (its direction of `totals`).
    fn new(totals: &mut Totals, codec: &Codec) -> Meter {
        totals.connections += 1;
        let encoder = if totals.responses { codec.encoder.clone().responses() } else { codec.encoder.clone() };
        Meter {
            limits: codec.limits,
            packed: Compact::new(encoder.clone().packing(true), codec.window),
            compact: Compact::new(encoder.packing(false), codec.window),
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
                    let framing = c.record(self.n == 0, totals, &mut self.h2, &mut self.bhttp);
                    self.compact.framing.push_back(framing);
                    self.packed.framing.push_back(framing);
                    self.n += 1;
                    if self.n.is_multiple_of(65_536) {
                        if let Some(bar) = bar {
                            bar.inc(65_536);
                        }
                    }
                }
            }
        }
        self.packed.encoder.push(event.clone()).map_err(Stop::Encode)?;
        self.packed.drain(&mut totals.packed)?;
        self.compact.encoder.push(event).map_err(Stop::Encode)?;
        self.compact.drain(&mut totals.compact)
    }

    /// The connection has ended: the compact encoder writes what it holds.
    fn finish(&mut self, totals: &mut Totals) -> Result<(), Stop> {
        self.packed.finish(&mut totals.packed)?;
        self.compact.finish(&mut totals.compact)
    }
}

/// The request stream of `--requests`, measured as a connection while it is read beside the
/// responses that answer it.
struct RequestMeter {
    meter: Meter,
    totals: Totals,
}

impl RequestMeter {
    /// A new connection of `totals`' requests.
    fn new(mut totals: Totals, codec: &Codec) -> RequestMeter {
        RequestMeter { meter: Meter::new(&mut totals, codec), totals }
    }

    /// The stream has ended: the requests' figures, with this connection's.
    fn finish(mut self, file: &str) -> Result<Totals> {
        self.meter.finish(&mut self.totals).map_err(|stop| stop.into_error(file.to_string(), ""))?;
        Ok(self.totals)
    }
}

impl Tap for RequestMeter {
    fn event(&mut self, event: Event) -> Result<(), String> {
        self.meter.event(event, &mut self.totals, None).map_err(Stop::into_what)
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
    fn new(encoder: Encoder, window: Window) -> Compact {
        Compact {
            encoder: Lookahead::new(encoder, window),
            framing: VecDeque::new(),
            head: 0,
            done: 0,
            scratch: Vec::new(),
        }
    }

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
