//! `streamline encode`: plain HTTP/1.1 requests or responses in, compact out, streaming.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bytes::BytesMut;
use streamline::{http1, Drained, Encoder, Error, ErrorKind, Event, Grammar, Limits, Lookahead, Message, Window};
use streamline_capture::FlowKey;

use crate::cli::answers::{Answers, ASSUMED};
use crate::cli::args::EncodeArgs;
use crate::cli::capture::{self, Flows};
use crate::cli::io::{self, Events, Input, Item, Messages, Output, Prompt, ReadError, Syntax, CHUNK, FLUSH_AT};
use crate::cli::{signals, DataError};

/// Encodes the input to the output.
pub fn run(args: EncodeArgs) -> Result<()> {
    if let Some(path) = &args.answers.requests {
        io::refuse_both_stdin(args.io.input.as_deref(), path)?;
        // The requests file is an input too: refused as the output before anything is read.
        io::refuse_input_as_output(Some(path), args.io.output.as_deref())?;
    }
    let mut input = Input::open(args.io.input.as_deref(), args.io.quiet)?;
    let name = input.name().to_string();
    let mut buf = BytesMut::with_capacity(2 * CHUNK);
    if capture::is_capture(&mut input, &mut buf)? {
        if args.answers.requests.is_some() {
            bail!("{name} is a capture: --requests is for a response stream of one connection");
        }
        // An interrupt ends the process at once: the files written so far stay.
        signals::install();
        return encode_capture(input, buf, &args);
    }
    let limits = args.limits.limits();
    // Anything but a response stream goes to the request reader, which says what is wrong.
    let responses = match io::sniff(&mut input, &mut buf, limits.get_max_line())? {
        // An empty input is as good a response stream as a request stream.
        Ok(_) if buf.is_empty() => args.answers.requests.is_some(),
        Ok(Syntax::PlainResponses) => true,
        Ok(Syntax::CompactResponses) => {
            let what = "line 1 (byte 0): a compact response stream (it starts with 'C:'), encoded already: use \
`streamline decode`";
            return Err(DataError { file: name, what: what.into(), written: Some((0, "response")) }.into());
        }
        Ok(Syntax::Plain | Syntax::Compact) if args.answers.requests.is_some() => {
            bail!("--requests names the requests a response stream answers, and {name} holds requests, not responses")
        }
        _ => false,
    };
    let answers = args.answers.requests.as_deref().map(|path| Answers::open(path, limits, ())).transpose()?;
    signals::cooperate();
    io::refuse_input_as_output(args.io.input.as_deref(), args.io.output.as_deref())?;
    let mut out = Output::create(args.io.output.as_deref())?;
    let encoder = args.editing.encoder(limits);
    let window = args.window.window();
    if !responses {
        let events = Events::new(http1::Parser::with_limits(limits), input, buf);
        return encode(events, Lookahead::new(encoder, window), &mut out, name, None);
    }
    let encoder = Lookahead::new(encoder.responses(), window);
    let parser = http1::ResponseParser::with_limits(limits);
    match answers {
        Some(answers) => encode(Events::with_prompt(parser, input, buf, answers), encoder, &mut out, name, None),
        None => encode(Events::new(parser, input, buf), encoder, &mut out, name, Some(ASSUMED)),
    }
}

/// Encodes the messages of `events` with `encoder` to `out`; on rejected input, writes every
/// whole message before the fault, then reports it (with `hint` after the library's words).
fn encode<G, P>(
    mut events: Events<G, Input, P>,
    encoder: Lookahead,
    out: &mut Output,
    name: String,
    hint: Option<&str>,
) -> Result<()>
where
    G: Grammar,
    G::Direction: Messages,
    P: Prompt<G>,
{
    let mut writer = Writer { encoder, heads: VecDeque::new(), heads_written: 0, written: 0, last_end: (0, 1) };
    let stop = loop {
        let at = |events: &Events<G, Input, P>| (events.reader.offset(), events.reader.line());
        match events.next_item() {
            Ok(Some(Item::Message(message))) => {
                if let Err(kind) = writer.push_message(message, at(&events), out)? {
                    break Some(writer.encode_error(kind));
                }
            }
            Ok(Some(Item::Event(event))) => {
                if let Err(kind) = writer.push(event, at(&events), out)? {
                    break Some(writer.encode_error(kind));
                }
            }
            // The input has gone quiet: write out what the window has let out. (The window
            // itself is not flushed: the output must not depend on when the input paused.)
            Ok(Some(Item::Idle)) => out.write_marked()?,
            Ok(None) => break None,
            Err(ReadError::Data(err)) => {
                let mut what = err.to_string();
                if err.offset() == Some(0) && Syntax::detect(events.pending()) == Ok(Some(Syntax::Compact)) {
                    what.push_str("; the input looks compact: use `streamline decode`");
                }
                if !matches!(err.kind(), ErrorKind::AfterSwitch { .. }) {
                    what.push_str(hint.unwrap_or_default());
                }
                break Some(what);
            }
            Err(ReadError::Io(err)) => {
                // Standard output keeps every whole message read (a refusal among them writes
                // nothing of it or after it); a file is left as it was. The read error (or the
                // interrupt) is what the user must hear about.
                let _ = writer.finish(out);
                out.finish_after_io_error();
                return Err(err).with_context(|| format!("cannot read {name}"));
            }
            Err(ReadError::Requests(mut err)) => {
                // A fault of the requests file, not of this input: what was read whole is written.
                let _ = writer.finish(out);
                out.finish_at_mark()?;
                if let Some(data) = err.downcast_mut::<DataError>() {
                    data.written = Some((writer.written, G::Direction::NOUN));
                }
                return Err(err);
            }
        }
    };
    // Write every message read whole (before the fault, if there was one).
    let what = match (stop, writer.finish(out)?) {
        (None, Ok(())) => return out.finish(),
        (Some(what), Ok(())) => what,
        // An earlier message the encoder could not write is the first fault.
        (_, Err(kind)) => writer.encode_error(kind),
    };
    out.finish_at_mark()?;
    Err(DataError { file: name, what, written: Some((writer.written, G::Direction::NOUN)) }.into())
}

/// The lookahead encoder and what it has written.
struct Writer {
    encoder: Lookahead,
    /// Input positions (byte offset, line) of the heads queued and not written yet, to place
    /// encoder errors.
    heads: VecDeque<(u64, u64)>,
    heads_written: u64,
    /// Whole requests written.
    written: u64,
    /// Input position (byte offset, line) where the last whole request ended.
    last_end: (u64, u64),
}

impl Writer {
    /// Queues an event read at `offset` and writes whatever the window lets out.
    /// The inner error is the encoder's: a request it cannot express.
    #[inline]
    fn push(&mut self, event: Event, offset: (u64, u64), out: &mut Output) -> Result<Result<(), Error>> {
        match &event {
            Event::Head(_) => self.heads.push_back(self.last_end),
            Event::Data(_) => {}
            Event::End => self.last_end = offset,
        }
        let drained = self.encoder.encode(event, &mut out.buf);
        self.wrote(drained, out)
    }

    /// Queues a whole message that ended at `offset` and writes whatever the window lets out.
    #[inline]
    fn push_message<M: Message>(
        &mut self,
        message: M,
        offset: (u64, u64),
        out: &mut Output,
    ) -> Result<Result<(), Error>> {
        self.heads.push_back(self.last_end);
        self.last_end = offset;
        let drained = self.encoder.encode_request(message, &mut out.buf);
        self.wrote(drained, out)
    }

    /// No more events (the input has ended, normally or at a fault): writes the requests held
    /// back, every whole one (one cut short is not started).
    fn finish(&mut self, out: &mut Output) -> Result<Result<(), Error>> {
        let drained = self.encoder.finish(&mut out.buf);
        self.wrote(drained, out)
    }

    /// Accounts for what the encoder wrote to the output: marks the end of the last whole
    /// request, and writes the buffer out once it is full.
    #[inline]
    fn wrote(&mut self, drained: Result<Drained, Error>, out: &mut Output) -> Result<Result<(), Error>> {
        match drained {
            Ok(drained) => {
                for _ in 0..drained.heads {
                    self.heads.pop_front();
                }
                self.heads_written += drained.heads as u64;
                if drained.requests > 0 {
                    self.written += drained.requests as u64;
                    out.mark_at(out.buf.len() - (drained.bytes - drained.whole));
                }
                out.write_if_full()?;
                Ok(Ok(()))
            }
            Err(kind) => {
                // A refusal: everything written before it is whole requests, those before the
                // refused one.
                let written = self.encoder.written();
                for _ in self.heads_written..written {
                    self.heads.pop_front();
                }
                (self.heads_written, self.written) = (written, written);
                out.mark();
                Ok(Err(kind))
            }
        }
    }

    /// Places an encoder error: the request it could not write.
    fn encode_error(&self, err: Error) -> String {
        let (offset, line) = self.heads.front().copied().unwrap_or(self.last_end);
        format!("line {line} (byte {offset}): {err}")
    }
}

/// Encodes every HTTP flow of a capture into a file of its own in the directory `-o DIR`.
fn encode_capture(input: Input, buf: BytesMut, args: &EncodeArgs) -> Result<()> {
    let Some(dir) = args.io.output.as_deref().filter(|p| *p != Path::new("-")) else {
        bail!(
            "{} is a capture, which holds many connections: give -o DIR, a directory for one compact file per \
connection",
            input.name()
        )
    };
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{} is a capture: -o {} must be a directory (one compact file per connection)",
            input.name(),
            dir.display()
        );
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let limits = args.limits.limits();
    let mut flows = FlowFiles {
        dir: dir.to_path_buf(),
        limits,
        window: args.window.window(),
        encoder: args.editing.encoder(limits),
        names: HashSet::new(),
    };
    capture::read(input, buf, &args.capture, &mut flows)
}

/// The compact files of a capture's flows.
struct FlowFiles {
    dir: PathBuf,
    limits: Limits,
    window: Window,
    /// A new encoder with the command's settings, cloned for each flow.
    encoder: Encoder,
    /// File names given so far (a 4-tuple may come back, as a new connection).
    names: HashSet<String>,
}

/// One flow's compact file, written in pieces as the window lets requests out.
struct FlowFile {
    path: PathBuf,
    encoder: Lookahead,
    buf: Vec<u8>,
    /// Bytes in the file.
    flushed: u64,
    /// The file's length up to the last whole request (with `buf`'s).
    whole: u64,
}

impl FlowFiles {
    /// `CLIENT_PORT-SERVER_PORT.shttp`, IPv6 colons as `_`; `.2`, `.3` before the extension
    /// for a 4-tuple that comes again.
    fn name(&mut self, key: &FlowKey) -> String {
        let side = |a: std::net::SocketAddr| format!("{}_{}", a.ip(), a.port()).replace(':', "_");
        let stem = format!("{}-{}", side(key.client), side(key.server));
        let mut name = format!("{stem}.shttp");
        let mut n = 1;
        while !self.names.insert(name.clone()) {
            n += 1;
            name = format!("{stem}.{n}.shttp");
        }
        name
    }
}

impl Flows for FlowFiles {
    type Conn = FlowFile;

    fn limits(&self) -> Limits {
        self.limits
    }

    fn open(&mut self, key: &FlowKey, syntax: Syntax) -> Result<FlowFile, String> {
        if syntax == Syntax::Compact {
            return Err("already in the compact syntax: nothing to encode, skipped".into());
        }
        let name = self.name(key);
        let path = self.dir.join(name);
        File::create(&path).map_err(|err| format!("cannot create {}: {err}", path.display()))?;
        let encoder = Lookahead::new(self.encoder.clone(), self.window);
        Ok(FlowFile { path, encoder, buf: Vec::new(), flushed: 0, whole: 0 })
    }

    fn event(&mut self, file: &mut FlowFile, event: Event) -> Result<(), String> {
        let drained = file.encoder.encode(event, &mut file.buf);
        file.wrote(drained)?;
        if file.buf.len() >= FLUSH_AT {
            file.flush()?;
        }
        Ok(())
    }

    fn close(&mut self, mut file: FlowFile) -> Result<(), String> {
        let drained = file.encoder.finish(&mut file.buf);
        let wrote = file.wrote(drained);
        file.flush()?;
        // A request cut short (by a gap, or a fault) is not left half in the file.
        if file.whole < file.flushed {
            let cut = OpenOptions::new().write(true).open(&file.path).and_then(|f| f.set_len(file.whole));
            cut.map_err(|err| format!("cannot write {}: {err}", file.path.display()))?;
        }
        wrote
    }
}

impl FlowFile {
    /// Notes where the last whole request ends.
    fn wrote(&mut self, drained: Result<Drained, Error>) -> Result<(), String> {
        match drained {
            Ok(d) if d.requests > 0 => {
                self.whole = self.flushed + (self.buf.len() - (d.bytes - d.whole)) as u64;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(err) => {
                // A refusal: what is written holds whole requests, those before the refused one.
                self.whole = self.flushed + self.buf.len() as u64;
                Err(err.to_string())
            }
        }
    }

    /// Appends the buffer to the file (opened for each write, so that a capture of many flows
    /// needs no file descriptor per flow).
    fn flush(&mut self) -> Result<(), String> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let written = OpenOptions::new().append(true).open(&self.path).and_then(|mut f| f.write_all(&self.buf));
        written.map_err(|err| format!("cannot write {}: {err}", self.path.display()))?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}
