//! `streamline encode`: plain HTTP/1.1 in, compact out, streaming.

use std::collections::VecDeque;

use anyhow::{Context, Result};
use bytes::BytesMut;
use streamline::{http1, Drained, Error, Event, Lookahead, Request};

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
        encoder: Lookahead::new(args.editing.encoder(limits), args.window.window()),
        heads: VecDeque::new(),
        heads_written: 0,
        written: 0,
        last_end: (0, 1),
    };
    let stop = loop {
        match events.next_item() {
            Ok(Some(Item::Request(request))) => {
                if let Err(kind) =
                    writer.push_request(request, (events.reader.offset(), events.reader.line()), &mut out)?
                {
                    break Some(writer.encode_error(kind));
                }
            }
            Ok(Some(Item::Event(event))) => {
                if let Err(kind) = writer.push(event, (events.reader.offset(), events.reader.line()), &mut out)? {
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
        (_, Err(kind)) => writer.encode_error(kind),
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

    /// Queues a whole request that ended at `offset` and writes whatever the window lets out.
    #[inline]
    fn push_request(&mut self, request: Request, offset: (u64, u64), out: &mut Output) -> Result<Result<(), Error>> {
        self.heads.push_back(self.last_end);
        self.last_end = offset;
        let drained = self.encoder.encode_request(request, &mut out.buf);
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
