//! `streamline encode`: plain HTTP/1.1 in, compact out, streaming.

use std::collections::VecDeque;

use anyhow::{Context, Result};
use bytes::BytesMut;
use streamline::{http1, Emitted, Encoder, Error, Event, Lookahead, Request};

use crate::cli::args::EncodeArgs;
use crate::cli::io::{self, Events, Input, Item, Output, ReadError, Syntax, CHUNK};
use crate::cli::{signals, DataError};

/// Encodes the input to the output.
pub fn run(args: EncodeArgs) -> Result<()> {
    signals::cooperate();
    let input = Input::open(args.io.input.as_deref(), args.io.quiet)?;
    let name = input.name().to_string();
    io::refuse_input_as_output(args.io.input.as_deref(), args.io.output.as_deref())?;
    let mut out = Output::create(args.io.output.as_deref())?;
    let limits = args.limits.limits();
    let mut events = Events::new(http1::Parser::with_limits(limits), input, BytesMut::with_capacity(2 * CHUNK));
    let mut writer = Writer {
        encoder: Lookahead::new(Encoder::with_limits(limits), args.window.window()),
        heads: VecDeque::new(),
        ends_pushed: 0,
        written: 0,
        last_end: (0, 1),
    };
    let stop = loop {
        match events.next_item() {
            Ok(Some(Item::Request(request))) => {
                if let Err(err) =
                    writer.push_request(request, (events.reader.offset(), events.reader.line()), &mut out)?
                {
                    break Some(writer.encode_error(err));
                }
            }
            Ok(Some(Item::Event(event))) => {
                if let Err(err) = writer.push(event, (events.reader.offset(), events.reader.line()), &mut out)? {
                    break Some(writer.encode_error(err));
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
                break Some(what);
            }
            Err(ReadError::Io(err)) => {
                // Standard output keeps every whole request read (a refusal among them writes
                // nothing of it or after it); a file is left as it was. The read error (or the
                // interrupt) is what the user must hear about.
                let _ = writer.finish(&mut out);
                out.finish_after_io_error();
                return Err(err).with_context(|| format!("cannot read {name}"));
            }
        }
    };
    // Write every request read whole (before the fault, if there was one).
    let what = match (stop, writer.finish(&mut out)?) {
        (None, Ok(())) => return out.finish(),
        (Some(what), Ok(())) => what,
        // An earlier request the encoder could not write is the first fault.
        (_, Err(err)) => writer.encode_error(err),
    };
    out.finish_at_mark()?;
    Err(DataError { file: name, what, written: Some(writer.written) }.into())
}

/// The lookahead encoder and what it has written.
struct Writer {
    encoder: Lookahead,
    /// Input positions (byte offset, line) of the heads queued and not written yet, to place
    /// encoder errors.
    heads: VecDeque<(u64, u64)>,
    ends_pushed: u64,
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
            Event::End => {
                self.ends_pushed += 1;
                self.last_end = offset;
            }
        }
        self.encoder.push(event);
        self.drain(out, false)
    }

    /// Queues a whole request that ended at `offset` and writes whatever the window lets out.
    #[inline]
    fn push_request(&mut self, request: Request, offset: (u64, u64), out: &mut Output) -> Result<Result<(), Error>> {
        self.heads.push_back(self.last_end);
        self.ends_pushed += 1;
        self.last_end = offset;
        self.encoder.push_request(request);
        self.drain(out, false)
    }

    /// Writes what the encoder lets out. `finishing`: the input has ended (normally or at a
    /// fault), so stop after the last whole request read: what follows it was cut short.
    #[inline]
    fn drain(&mut self, out: &mut Output, finishing: bool) -> Result<Result<(), Error>> {
        loop {
            if finishing && self.written == self.ends_pushed {
                break;
            }
            match self.encoder.emit(&mut out.buf) {
                Ok(Some(Emitted::Head(_))) => {
                    self.heads.pop_front();
                }
                Ok(Some(Emitted::Data(_))) => {}
                Ok(Some(Emitted::End)) => {
                    self.written += 1;
                    out.mark();
                }
                Ok(None) => break,
                Err(err) => return Ok(Err(err)),
            }
            out.write_if_full()?;
        }
        Ok(Ok(()))
    }

    /// No more events: writes the requests held back, every whole one.
    fn finish(&mut self, out: &mut Output) -> Result<Result<(), Error>> {
        self.encoder.finish();
        self.drain(out, true)
    }

    /// Places an encoder error (`request N: ...`, N counting from 1) at the input position
    /// of the request it could not write.
    fn encode_error(&self, err: Error) -> String {
        let (offset, line) = self.heads.front().copied().unwrap_or(self.last_end);
        format!("line {line} (byte {offset}): {err}")
    }
}
