//! `streamline bench`: encode and decode speed in this process, with latency percentiles.
//!
//! The clock is read once per batch of up to [`BATCH`] messages (see `--help`).

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::BytesMut;
use hdrhistogram::Histogram;
use streamline::{http1, Compact, Decoder, Encoder, Event, Grammar, Limits, Lookahead, Reader, Window};
use streamline_traffic as traffic;

use serde_json::{json, Value};

use crate::cli::args::{BenchArgs, BenchFormat, DEFAULT_SEED};
use crate::cli::cmd::report;
use crate::cli::io::{Events, ReadError, Syntax, FLUSH_AT};
use crate::cli::output::group;
use crate::cli::source::{Memory, OPRA_PAYLOAD};
use crate::cli::stats::record;
use crate::cli::DataError;

/// Messages between two clock reads.
pub const BATCH: u64 = 64;

/// Quotes in the built-in feed without --count.
const DEFAULT_COUNT: u64 = 1_000_000;

/// Runs the benchmark and prints the figures.
pub fn run(args: BenchArgs) -> Result<()> {
    if args.link {
        return crate::cli::link::run(&args);
    }
    let window = args.window.window();
    let fresh = args.editing.encoder(Limits::default());
    let (label, plain, compact, messages) = load(&args, window, &fresh)?;
    let json = args.format == BenchFormat::Json;
    let say = |text: String| say(json, &text);
    say(format!(
        "input: {label}\n  {} requests; plain {} bytes, compact {} bytes\n",
        group(messages),
        group(plain.len() as u64),
        group(compact.len() as u64)
    ))?;
    // The same requests' bytes in each encoding `report` measures, for the speeds to be read
    // beside (a compact stream is measured by its plain form).
    let sizes = if messages == 0 {
        Vec::new()
    } else {
        report::sizes(&plain, Limits::default().max_body(u64::MAX), &fresh, window, &label)?
    };
    if !sizes.is_empty() {
        let line: Vec<String> = sizes.iter().map(|(name, bytes)| format!("{name} {}", group(*bytes))).collect();
        say(format!("  on the wire: {}\n", line.join(", ")))?;
    }
    if messages == 0 {
        // Input with nothing to measure is rejected, as input the codec refuses is (exit 1);
        // a built-in feed of no quotes is a usage error.
        if args.file.is_none() {
            bail!("--count 0 makes a built-in feed with no request to measure");
        }
        return Err(DataError { file: label, what: "holds no request to measure".into(), written: None }.into());
    }
    let duration = Duration::from_secs_f64(args.duration);
    let encode = format!(
        "encode (plain -> compact, window {} requests / {} bytes)",
        group(window.requests as u64),
        group(window.bytes as u64)
    );
    let mut job = Encode::job(&plain, window, &fresh);
    let encoded = measure(&mut job, duration, args.rate)?;
    say(encoded.describe(&encode, args.rate))?;
    let mut job = Decode::job(&compact);
    let decoded = measure(&mut job, duration, args.rate)?;
    say(decoded.describe(DECODE, args.rate))?;
    if !json {
        return Ok(());
    }
    // In the order of `report --format json`: the encodings added since the schema began
    // (the packed row) last, so that each keeps its index.
    let mut sizes = sizes;
    sizes.sort_by_key(|(name, _)| *name == "compact (packed)");
    let report = json!({
        "schema": "streamline-bench/1",
        "input": label,
        "requests": messages,
        "plain_bytes": plain.len(),
        "compact_bytes": compact.len(),
        "wire_bytes": sizes.iter().map(|(name, bytes)| json!({ "name": name, "bytes": bytes })).collect::<Vec<_>>(),
        "rate": args.rate,
        "window": { "requests": window.requests, "bytes": window.bytes },
        "runs": [encoded.json("encode", ENCODE, args.rate), decoded.json("decode", DECODE, args.rate)],
    });
    print_json(&report)
}

/// Text goes out as each figure is ready (`text` now, unless the output is `json`); JSON in one
/// object at the end ([`print_json`]).
pub fn say(json: bool, text: &str) -> Result<()> {
    if json {
        return Ok(());
    }
    let mut stdout = std::io::stdout();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("cannot write <stdout>")
}

/// Prints `report` as one pretty JSON object and a newline.
pub fn print_json(report: &Value) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, report)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush())
        .context("cannot write <stdout>")
}

/// The names of the two runs.
const ENCODE: &str = "encode (plain -> compact)";
const DECODE: &str = "decode (compact -> plain)";

/// The input in both forms, and its number of requests. Each form is at most
/// `--max-input` bytes.
fn load(args: &BenchArgs, window: Window, fresh: &Encoder) -> Result<(String, Vec<u8>, Vec<u8>, u64)> {
    let max = args.max_input;
    let Some(path) = &args.file else {
        let count = args.count.unwrap_or(DEFAULT_COUNT);
        let mut quote = Vec::new();
        traffic::opra_quote(&mut traffic::Rng::new(DEFAULT_SEED), 0, OPRA_PAYLOAD, &mut quote);
        let bytes = count.checked_mul(quote.len() as u64).filter(|&bytes| bytes <= max);
        if bytes.is_none() {
            bail!(
                "--count {} makes a built-in feed of more than the --max-input limit of {} bytes \
({} bytes a quote): bench holds its input in memory; lower --count or raise --max-input",
                group(count),
                group(max),
                quote.len()
            );
        }
        let plain = traffic::opra(count, DEFAULT_SEED, OPRA_PAYLOAD);
        let (compact, n) = convert(&mut Encode::job(&plain, window, fresh), "<built-in feed>", max)?;
        let label = format!(
            "built-in OPRA-style feed: {} quotes, {OPRA_PAYLOAD}-byte bodies, seed {DEFAULT_SEED}",
            group(count)
        );
        return Ok((label, plain, compact, n));
    };
    let name = path.display().to_string();
    let bytes = read(path, max).with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > max {
        bail!(
            "{name} is larger than the --max-input limit of {} bytes: bench holds its input in memory; \
measure a shorter capture or raise --max-input",
            group(max)
        );
    }
    match Syntax::detect(&bytes) {
        Ok(Some(Syntax::Compact)) => {
            let (plain, n) = convert(&mut Decode::job(&bytes), &name, max)?;
            Ok((name, plain, bytes, n))
        }
        Ok(Some(syntax @ (Syntax::PlainResponses | Syntax::CompactResponses))) => Err(DataError {
            file: name,
            what: format!(
                "line 1 (byte 0): a {} response stream: bench measures request streams (`streamline report` \
measures responses)",
                if syntax.is_compact() { "compact" } else { "plain" }
            ),
            written: None,
        }
        .into()),
        Ok(Some(Syntax::Plain)) | Ok(None) => {
            let (compact, n) = convert(&mut Encode::job(&bytes, window, fresh), &name, max)?;
            Ok((name, bytes, compact, n))
        }
        Err(_) => Err(DataError {
            file: name,
            what: "line 1 (byte 0): neither plain HTTP/1.1 nor the compact syntax".into(),
            written: None,
        }
        .into()),
    }
}

/// Reads `path` (`-`: standard input), `max` + 1 bytes at most: more tells it is too large.
fn read(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let reader: Box<dyn Read> =
        if path == Path::new("-") { Box::new(std::io::stdin().lock()) } else { Box::new(std::fs::File::open(path)?) };
    let mut bytes = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Runs a job once over its whole input, keeping the output: the other form of the input,
/// refused past `max` bytes.
fn convert(job: &mut dyn Run, name: &str, max: u64) -> Result<(Vec<u8>, u64)> {
    job.keep_output();
    let mut n = 0;
    loop {
        match job.next_message().map_err(|what| DataError { file: name.into(), what, written: None })? {
            Step::Message(_) => n += 1,
            Step::End(_) => return Ok((job.take_output(), n)),
        }
        if job.output_len() as u64 > max {
            bail!(
                "{name} makes more than the --max-input limit of {} bytes in its other form: bench holds \
its input in memory in both forms; measure a shorter capture or raise --max-input",
                group(max)
            );
        }
    }
}

/// What [`Run::next_message`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Read one message; this many were written out meanwhile.
    Message(u64),
    /// Reached the end of the input and wrote out what was held back (this many messages).
    End(u64),
}

/// Processes the next input message, starting the input over at its end; returns how many
/// messages were written out meanwhile.
#[inline]
fn step(job: &mut dyn Run) -> Result<u64, String> {
    let mut written = 0;
    loop {
        match job.next_message()? {
            Step::Message(n) => return Ok(written + n),
            Step::End(n) => {
                written += n;
                job.restart();
            }
        }
    }
}

/// A codec direction running over an input, as the measuring loops see it.
trait Run {
    /// Processes the next input message.
    fn next_message(&mut self) -> Result<Step, String>;
    /// Starts over at the beginning of the input, as a new connection.
    fn restart(&mut self);
    /// Writes out what is held back; returns how many messages that finished.
    fn flush(&mut self) -> Result<u64, String>;
    /// Input bytes consumed so far, over every pass.
    fn consumed(&self) -> u64;
    /// Keeps the output instead of discarding it as it grows.
    fn keep_output(&mut self);
    /// The output kept.
    fn take_output(&mut self) -> Vec<u8>;
    /// Bytes of output kept so far.
    fn output_len(&self) -> usize;
}

/// What a codec direction does with the events of its reader.
trait Codec {
    /// The grammar of its input.
    type Grammar: Grammar<Direction = streamline::Requests>;
    /// A reader for a new connection.
    fn reader() -> Reader<Self::Grammar>;
    /// Handles one event, writing to `out`; returns how many messages were written out.
    fn event(&mut self, event: Event, out: &mut Vec<u8>) -> Result<u64, String>;
    /// Writes out what is held back; returns how many messages that finished.
    fn flush(&mut self, out: &mut Vec<u8>) -> Result<u64, String>;
    /// Forgets the connection.
    fn reset(&mut self);
}

/// A codec over an input read in pieces like a file, starting over at its end.
struct Job<'a, C: Codec> {
    input: &'a [u8],
    events: Events<C::Grammar, Memory<'a>>,
    codec: C,
    out: Vec<u8>,
    keep: bool,
    passes: u64,
}

impl<'a, C: Codec> Job<'a, C> {
    fn new(input: &'a [u8], codec: C) -> Self {
        Job {
            input,
            events: Events::new(C::reader(), Memory::new(input), BytesMut::new()),
            codec,
            out: Vec::with_capacity(2 * FLUSH_AT),
            keep: false,
            passes: 0,
        }
    }

    /// Discards output as a writer would hand it on.
    #[inline]
    fn spill(&mut self) {
        if !self.keep && self.out.len() >= FLUSH_AT {
            self.out.clear();
        }
    }
}

impl<C: Codec> Run for Job<'_, C> {
    #[inline]
    fn next_message(&mut self) -> Result<Step, String> {
        let mut written = 0;
        loop {
            let event = self.events.next().map_err(|err| match err {
                ReadError::Data(err) => err.to_string(),
                ReadError::Io(err) => err.to_string(),
                ReadError::Requests(err) => format!("{err:#}"),
            })?;
            let Some(event) = event else { return Ok(Step::End(written + self.flush()?)) };
            let end = event == Event::End;
            written += self.codec.event(event, &mut self.out)?;
            if end {
                self.spill();
                return Ok(Step::Message(written));
            }
        }
    }

    fn restart(&mut self) {
        self.events = Events::new(C::reader(), Memory::new(self.input), BytesMut::new());
        self.codec.reset();
        self.passes += 1;
    }

    fn flush(&mut self) -> Result<u64, String> {
        self.codec.flush(&mut self.out)
    }

    fn consumed(&self) -> u64 {
        self.passes * self.input.len() as u64 + self.events.reader.offset()
    }

    fn keep_output(&mut self) {
        self.keep = true;
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn output_len(&self) -> usize {
        self.out.len()
    }
}

/// Plain to compact, as `streamline encode` does it.
struct Encode {
    encoder: Lookahead,
    window: Window,
    /// A new encoder with the command's settings: each pass over the input starts from one.
    fresh: Encoder,
}

impl Encode {
    fn job<'a>(input: &'a [u8], window: Window, fresh: &Encoder) -> Job<'a, Encode> {
        let encoder = Lookahead::new(fresh.clone(), window);
        Job::new(input, Encode { encoder, window, fresh: fresh.clone() })
    }
}

impl Codec for Encode {
    type Grammar = http1::Plain;

    fn reader() -> http1::Parser {
        http1::Parser::new()
    }

    /// Returns how many requests were written whole: a request counts once its last byte is
    /// out, not at its end (`Drained::requests`), so a zero window's latency does not wait
    /// for the reader to say the request is over.
    #[inline]
    fn event(&mut self, event: Event, out: &mut Vec<u8>) -> Result<u64, String> {
        let drained = self.encoder.encode(event, out).map_err(|kind| kind.to_string())?;
        Ok(drained.requests as u64)
    }

    fn flush(&mut self, out: &mut Vec<u8>) -> Result<u64, String> {
        let drained = self.encoder.finish(out).map_err(|kind| kind.to_string())?;
        Ok(drained.requests as u64)
    }

    fn reset(&mut self) {
        self.encoder = Lookahead::new(self.fresh.clone(), self.window);
    }
}

/// Compact to canonical plain bytes, as `streamline decode` does it (through a writer that
/// keeps a repeated head's rendering).
struct Decode {
    writer: http1::Writer,
}

impl Decode {
    fn job(input: &[u8]) -> Job<'_, Decode> {
        Job::new(input, Decode { writer: http1::Writer::new() })
    }
}

impl Codec for Decode {
    type Grammar = Compact;

    fn reader() -> Decoder {
        Decoder::new()
    }

    #[inline]
    fn event(&mut self, event: Event, out: &mut Vec<u8>) -> Result<u64, String> {
        match event {
            Event::Head(head) => self.writer.write_head(&head, out),
            Event::Data(data) => out.extend_from_slice(&data),
            Event::End => return Ok(1),
        }
        Ok(0)
    }

    fn flush(&mut self, _: &mut Vec<u8>) -> Result<u64, String> {
        Ok(0)
    }

    fn reset(&mut self) {
        self.writer = http1::Writer::new();
    }
}

/// What one measurement found.
struct Figures {
    elapsed: Duration,
    messages: u64,
    bytes: u64,
    /// Per-message latency in picoseconds.
    latency: Histogram<u64>,
    /// Paced runs: the most messages due and not started at a clock read.
    backlog: u64,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    /// Megabytes (10^6 bytes) of input a second.
    fn megabytes(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    /// A paced run kept up with `rate`: it achieved 99 % of it at least.
    fn kept_up(&self, rate: f64) -> bool {
        self.rate() >= 0.99 * rate
    }

    /// The figures of [`Figures::describe`] as one object of `bench --format json` (the
    /// README documents its keys).
    fn json(&self, id: &str, name: &str, rate: Option<f64>) -> Value {
        let ns = |ps: u64| ps as f64 / 1000.0;
        let at = |q: f64| ns(self.latency.value_at_quantile(q));
        json!({
            "id": id,
            "name": name,
            "seconds": self.elapsed.as_secs_f64(),
            "messages": self.messages,
            "input_bytes": self.bytes,
            "messages_per_second": self.rate(),
            "mb_per_second": self.megabytes(),
            "latency_ns": { "p50": at(0.5), "p99": at(0.99), "p99_9": at(0.999), "max": ns(self.latency.max()) },
            "kept_up": rate.map(|r| self.kept_up(r)),
            "backlog_max": rate.map(|_| self.backlog),
        })
    }

    fn describe(&self, what: &str, rate: Option<f64>) -> String {
        let secs = self.elapsed.as_secs_f64();
        let mb = tenths(self.megabytes());
        let at = |q: f64| duration_ps(self.latency.value_at_quantile(q));
        let latency =
            format!("p50 {}  p99 {}  p99.9 {}  max {}", at(0.5), at(0.99), at(0.999), duration_ps(self.latency.max()));
        match rate {
            None => format!(
                "\n{what}, flat out for {secs:.1} s:\n  {} msg/s, {mb} MB/s of input ({} messages)\n  \
latency per message (batch time / {BATCH}): {latency}\n",
                group(self.rate().round() as u64),
                group(self.messages),
            ),
            Some(r) => {
                let kept = if self.kept_up(r) { "kept up" } else { "fell behind" };
                format!(
                    "\n{what}, paced at {} msg/s for {secs:.1} s: {kept}\n  {} msg/s achieved, {mb} MB/s of input, \
backlog at most {} messages\n  latency from due time to written: {latency}\n",
                    group(r.round() as u64),
                    group(self.rate().round() as u64),
                    group(self.backlog),
                )
            }
        }
    }
}

/// Picoseconds in ns, µs or ms, whichever keeps 3-5 significant digits before the tenths,
/// grouped as every figure is: `97.3 ns`, `5,091.3 ns`, `33.1 µs`, `1,025.5 µs`, `13.1 ms`.
fn duration_ps(ps: u64) -> String {
    let ns = ps as f64 / 1000.0;
    // (Compared as rounded to a tenth: 9,999.96 ns is 10.0 µs.)
    if ns < 9_999.95 {
        format!("{} ns", tenths(ns))
    } else if ns < 9_999_950.0 {
        format!("{} µs", tenths(ns / 1000.0))
    } else {
        format!("{} ms", tenths(ns / 1e6))
    }
}

/// A figure to a tenth, thousands grouped: `1411.83` as `1,411.8`.
pub fn tenths(v: f64) -> String {
    let t = (v * 10.0).round();
    if !(0.0..1e18).contains(&t) {
        return format!("{v:.1}");
    }
    let t = t as u64;
    format!("{}.{}", group(t / 10), t % 10)
}

fn histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are valid"))
}

/// Runs `job` for `duration`, flat out or paced at `rate`.
fn measure(job: &mut dyn Run, duration: Duration, rate: Option<f64>) -> Result<Figures> {
    match rate {
        None => flat_out(job, duration),
        Some(rate) => paced(job, duration, rate),
    }
    .map_err(|what| anyhow::anyhow!("benchmark input rejected: {what}"))
}

fn flat_out(job: &mut dyn Run, duration: Duration) -> Result<Figures, String> {
    let mut latency = histogram();
    let start = Instant::now();
    let first_byte = job.consumed();
    let mut messages = 0;
    let elapsed = loop {
        let t0 = Instant::now();
        for _ in 0..BATCH {
            step(job)?;
        }
        let t1 = Instant::now();
        messages += BATCH;
        let per_message = (t1 - t0).as_nanos() as u64 * 1000 / BATCH;
        record(&mut latency, per_message, BATCH);
        let elapsed = t1 - start;
        if elapsed >= duration {
            break elapsed;
        }
    };
    Ok(Figures { elapsed, messages, bytes: job.consumed() - first_byte, latency, backlog: 0 })
}

fn paced(job: &mut dyn Run, duration: Duration, rate: f64) -> Result<Figures, String> {
    let total = (duration.as_secs_f64() * rate).floor().max(1.0) as u64;
    let mut latency = histogram();
    let first_byte = job.consumed();
    let start = Instant::now();
    let due = |k: u64| Duration::from_secs_f64(k as f64 / rate);
    let mut next = 0u64; // next input message
    let mut written = 0u64; // messages written out
    let mut backlog = 0;
    let record = |latency: &mut Histogram<u64>, written: &mut u64, done: u64, now: Duration| {
        for j in *written..*written + done {
            let late = now.saturating_sub(due(j));
            record(latency, late.as_nanos() as u64 * 1000, 1);
        }
        *written += done;
    };
    // A run that falls behind stops at the duration too, with what it did by then: one that
    // finished every message due, however late, would run for as long as the backlog took
    // (minutes, at a rate far past the codec's).
    while next < total {
        let now = start.elapsed();
        if now >= duration {
            let due_by_now = ((now.as_secs_f64() * rate) as u64).min(total);
            backlog = backlog.max(due_by_now.saturating_sub(next));
            break;
        }
        let due_now = ((now.as_secs_f64() * rate) as u64).saturating_add(1).min(total);
        if next >= due_now {
            let wait = due(next).saturating_sub(now);
            if wait > Duration::from_micros(200) {
                std::thread::sleep(wait - Duration::from_micros(100));
            } else {
                std::hint::spin_loop();
            }
            continue;
        }
        backlog = backlog.max(due_now - next);
        let end = due_now.min(next + BATCH);
        let mut done = 0;
        for _ in next..end {
            done += step(job)?;
        }
        next = end;
        record(&mut latency, &mut written, done, start.elapsed());
    }
    let done = job.flush()?;
    let finished = start.elapsed();
    record(&mut latency, &mut written, done, finished);
    // The messages due spread over `total / rate` seconds (a second for one message at 1 a
    // second): a run that kept up is timed over that much at least, so it achieves the rate,
    // not the rate of doing a few messages at once.
    let elapsed = finished.max(Duration::from_secs_f64(total as f64 / rate));
    Ok(Figures { elapsed, messages: next, bytes: job.consumed() - first_byte, latency, backlog })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ps(0), "0.0 ns");
        assert_eq!(duration_ps(97_300), "97.3 ns");
        assert_eq!(duration_ps(5_091_300), "5,091.3 ns");
        assert_eq!(duration_ps(9_999_940), "9,999.9 ns");
        assert_eq!(duration_ps(9_999_960), "10.0 µs");
        assert_eq!(duration_ps(33_100_000), "33.1 µs");
        assert_eq!(duration_ps(1_025_500_000), "1,025.5 µs");
        assert_eq!(duration_ps(13_100_000_000), "13.1 ms");
        assert_eq!(duration_ps(12_345_600_000_000), "12,345.6 ms");
    }

    #[test]
    fn figures_to_a_tenth_are_grouped() {
        assert_eq!(tenths(1411.83), "1,411.8");
        assert_eq!(tenths(0.04), "0.0");
        assert_eq!(tenths(213.0), "213.0");
        assert_eq!(tenths(999.96), "1,000.0");
        assert_eq!(tenths(f64::INFINITY), "inf");
    }

    #[test]
    fn jobs_convert_both_ways() {
        let plain = traffic::opra(300, 2, 66);
        let (compact, n) =
            convert(&mut Encode::job(&plain, Window::default(), &Encoder::new()), "t", u64::MAX).unwrap();
        assert_eq!(n, 300);
        assert_eq!(&compact[..7], b"V:HTTP/");
        let (back, n) = convert(&mut Decode::job(&compact), "t", u64::MAX).unwrap();
        assert_eq!((n, back), (300, plain));
    }

    #[test]
    fn jobs_start_over_at_the_end() {
        let plain = traffic::opra(10, 2, 66);
        let mut job = Encode::job(&plain, Window { requests: 0, bytes: 0 }, &Encoder::new());
        let written: u64 = (0..23).map(|_| step(&mut job).unwrap()).sum();
        assert_eq!(written, 23, "no window: each message is written as it is read");
        assert_eq!(job.consumed(), 2 * plain.len() as u64 + 3 * 213);
        let mut job = Encode::job(&plain, Window::default(), &Encoder::new());
        assert_eq!((0..10).map(|_| step(&mut job).unwrap()).sum::<u64>(), 0, "all held in the window");
        assert_eq!(step(&mut job).unwrap(), 10, "the end of the input flushes the window");
    }

    #[test]
    fn every_request_is_counted_once_when_its_last_byte_is_out() {
        for (plain, n) in
            [(traffic::browse(50, 1), 50), (traffic::upload(20, 1, 300), 20), (traffic::opra(30, 1, 0), 30)]
        {
            let mut job = Encode::job(&plain, Window { requests: 0, bytes: 0 }, &Encoder::new());
            let written: Vec<u64> = (0..n).map(|_| step(&mut job).unwrap()).collect();
            if plain.starts_with(b"PUT") {
                // A chunked body's last byte is known only by its end item, which the encoder
                // lets out when the next request arrives.
                assert!(written[1..].iter().all(|&w| w == 1), "{written:?}");
            } else {
                assert!(written.iter().all(|&w| w == 1), "{written:?}");
            }
            let mut job = Encode::job(&plain, Window::default(), &Encoder::new());
            let held: u64 = (0..n).map(|_| step(&mut job).unwrap()).sum();
            assert_eq!(held + job.flush().unwrap(), n);
        }
    }

    #[test]
    fn flat_out_and_paced_count_what_they_did() {
        let plain = traffic::opra(100, 2, 66);
        let figures =
            flat_out(&mut Encode::job(&plain, Window::default(), &Encoder::new()), Duration::from_millis(20)).unwrap();
        assert!(figures.messages >= BATCH && figures.messages.is_multiple_of(BATCH));
        assert_eq!(figures.latency.len(), figures.messages);
        assert!(figures.latency.min() > 0, "a batch takes time");
        let (compact, _) =
            convert(&mut Encode::job(&plain, Window::default(), &Encoder::new()), "t", u64::MAX).unwrap();
        let mut job = Decode::job(&compact);
        let figures = paced(&mut job, Duration::from_millis(50), 10_000.0).unwrap();
        assert_eq!(figures.messages, 500);
        assert_eq!(figures.latency.len(), 500, "every message has a latency");
        assert!(figures.elapsed >= Duration::from_millis(49));
    }
}
