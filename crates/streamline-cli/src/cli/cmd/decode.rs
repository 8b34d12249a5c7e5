//! `streamline decode`: compact requests or responses in, canonical plain HTTP/1.1 out,
//! streaming.

use anyhow::{Context, Result};
use bytes::BytesMut;
use streamline::{http1, BorrowedMessage, Decoder, Event, Grammar, Message, ResponseDecoder};

use crate::cli::args::DecodeArgs;
use crate::cli::io::{self, Events, Input, Item, Messages, Output, ReadError, Syntax, BATCH, CHUNK};
use crate::cli::{signals, DataError};

/// Decodes the input to the output.
pub fn run(args: DecodeArgs) -> Result<()> {
    let mut input = Input::open(args.io.input.as_deref(), args.io.quiet)?;
    let name = input.name().to_string();
    let limits = args.limits.limits();
    let mut buf = BytesMut::with_capacity(2 * CHUNK);
    // The first line tells the direction; anything but a compact response stream goes to the
    // request decoder, which says what is wrong with it.
    let responses = io::sniff(&mut input, &mut buf, limits.get_max_line())? == Ok(Syntax::CompactResponses);
    signals::cooperate();
    io::refuse_input_as_output(args.io.input.as_deref(), args.io.output.as_deref())?;
    let mut out = Output::create(args.io.output.as_deref())?;
    if responses {
        decode(Events::new(ResponseDecoder::with_limits(limits), input, buf), &mut out, &name)
    } else {
        decode(Events::new(Decoder::with_limits(limits), input, buf), &mut out, &name)
    }
}

/// Writes every message of `events` in canonical plain form to `out` (a feed's repeated head
/// with one copy: the writer keeps its rendering).
fn decode<G: Grammar>(mut events: Events<G, Input>, out: &mut Output, name: &str) -> Result<()>
where
    G::Direction: Messages,
{
    let mut written = 0u64;
    let mut writer = http1::Writer::new();
    loop {
        // A short line can issue a large head again: stop at a full buffer, so the output
        // held in memory stays bounded whatever the input makes it amplify to.
        let whole = events.each_whole(|message| {
            writer.write(message.head(), message.body(), &mut out.buf);
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
            Err(err) => return fail(err, out, &events, name, written),
        }
        match events.next_item() {
            Ok(Some(Item::Message(message))) => {
                writer.write(message.head(), message.body(), &mut out.buf);
                written += 1;
                out.mark();
            }
            Ok(Some(Item::Event(Event::Head(head)))) => writer.write_head(&head, &mut out.buf),
            Ok(Some(Item::Event(Event::Data(data)))) => out.put(&data)?,
            Ok(Some(Item::Event(Event::End))) => {
                written += 1;
                out.mark();
            }
            Ok(Some(Item::Idle)) => out.write_marked()?,
            Ok(None) => return out.finish(),
            Err(err) => return fail(err, out, &events, name, written),
        }
        out.write_if_full()?;
    }
}

/// Ends a run that stopped at `err`: writes every whole message decoded before it, then
/// reports it.
fn fail<G: Grammar>(err: ReadError, out: &mut Output, events: &Events<G, Input>, name: &str, written: u64) -> Result<()>
where
    G::Direction: Messages,
{
    match err {
        ReadError::Data(err) => {
            let mut what = err.to_string();
            if err.offset() == Some(0) {
                match Syntax::detect(events.pending()) {
                    Ok(Some(Syntax::Plain)) => {
                        what.push_str("; the input looks like plain HTTP/1.1: use `streamline encode`");
                    }
                    Ok(Some(Syntax::PlainResponses)) => {
                        what.push_str("; the input looks like plain HTTP/1.1 responses: use `streamline encode`");
                    }
                    _ => {}
                }
            }
            if err.offset() == Some(0) && streamline_capture::is_capture(events.pending()) {
                what = "a pcap or pcapng capture, not a compact stream: `decode` reads one connection in the \
compact syntax; `streamline report FILE` measures the capture's flows and `streamline encode FILE -o DIR` \
writes each as a compact file"
                    .into();
            }
            out.finish_at_mark()?;
            Err(DataError { file: name.to_string(), what, written: Some((written, G::Direction::NOUN)) }.into())
        }
        ReadError::Io(err) => {
            out.finish_after_io_error();
            Err(err).with_context(|| format!("cannot read {name}"))
        }
        // (No request stream is read beside a compact one.)
        ReadError::Requests(err) => {
            out.finish_at_mark()?;
            Err(err)
        }
    }
}
