//! `streamline decode`: compact in, canonical plain HTTP/1.1 out, streaming.

use anyhow::{Context, Result};
use bytes::BytesMut;
use streamline::{Compact, Decoder, Event};

use crate::cli::args::DecodeArgs;
use crate::cli::io::{self, Events, Input, Item, Output, ReadError, Syntax, BATCH, CHUNK};
use crate::cli::{signals, DataError};

/// Decodes the input to the output.
pub fn run(args: DecodeArgs) -> Result<()> {
    signals::cooperate();
    let input = Input::open(args.io.input.as_deref(), args.io.quiet)?;
    let name = input.name().to_string();
    io::refuse_input_as_output(args.io.input.as_deref(), args.io.output.as_deref())?;
    let mut out = Output::create(args.io.output.as_deref())?;
    let decoder = Decoder::with_limits(args.limits.limits());
    let mut events = Events::new(decoder, input, BytesMut::with_capacity(2 * CHUNK));
    let mut written = 0u64;
    loop {
        // A short line can issue a large head again: stop at a full buffer, so the output
        // held in memory stays bounded whatever the input makes it amplify to.
        let whole = events.each_whole(|request| {
            request.write_http1(&mut out.buf);
            out.mark();
            written += 1;
            out.buf.len() < BATCH
        });
        match whole {
            Ok(0) => {}
            Ok(_) => {
                out.write_if_full()?;
                continue;
            }
            Err(err) => return fail(err, &mut out, &events, &name, written),
        }
        match events.next_item() {
            Ok(Some(Item::Request(request))) => {
                request.write_http1(&mut out.buf);
                written += 1;
                out.mark();
            }
            Ok(Some(Item::Event(Event::Head(head)))) => head.write_http1(&mut out.buf),
            Ok(Some(Item::Event(Event::Data(data)))) => out.put(&data)?,
            Ok(Some(Item::Event(Event::End))) => {
                written += 1;
                out.mark();
            }
            Ok(Some(Item::Idle)) => out.write_marked()?,
            Ok(None) => return out.finish(),
            Err(err) => return fail(err, &mut out, &events, &name, written),
        }
        out.write_if_full()?;
    }
}

/// Ends a run that stopped at `err`: writes every whole request decoded before it, then
/// reports it.
fn fail<S: io::Source>(
    err: ReadError,
    out: &mut Output,
    events: &Events<Compact, S>,
    name: &str,
    written: u64,
) -> Result<()> {
    match err {
        ReadError::Data(err) => {
            let mut what = err.to_string();
            if err.offset() == Some(0) && Syntax::detect(events.pending()) == Ok(Some(Syntax::Plain)) {
                what.push_str("; the input looks like plain HTTP/1.1: use `streamline encode`");
            }
            if err.offset() == Some(0) && streamline_capture::is_capture(events.pending()) {
                what = "a pcap or pcapng capture, not a compact stream: `decode` reads one connection in the \
compact syntax; `streamline report FILE` measures the capture's flows and `streamline encode FILE -o DIR` \
writes each as a compact file"
                    .into();
            }
            out.finish_at_mark()?;
            Err(DataError { file: name.to_string(), what, written: Some(written) }.into())
        }
        ReadError::Io(err) => {
            out.finish_after_io_error();
            Err(err).with_context(|| format!("cannot read {name}"))
        }
    }
}
