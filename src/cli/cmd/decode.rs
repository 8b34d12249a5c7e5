//! `streamline decode`: compact in, canonical plain HTTP/1.1 out, streaming.

use anyhow::{Context, Result};
use bytes::BytesMut;
use streamline::{Decoder, Event};

use crate::cli::args::DecodeArgs;
use crate::cli::io::{self, Events, Input, Item, Output, ReadError, Syntax, CHUNK};
use crate::cli::DataError;

/// Decodes the input to the output.
pub fn run(args: DecodeArgs) -> Result<()> {
    let input = Input::open(args.io.input.as_deref(), args.io.quiet)?;
    let name = input.name().to_string();
    let mut out = Output::create(args.io.output.as_deref())?;
    let decoder = Decoder::with_limits(args.limits.limits());
    let mut events = Events::new(decoder, input, BytesMut::with_capacity(2 * CHUNK));
    let mut written = 0u64;
    loop {
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
            Ok(None) => return out.finish(),
            Err(ReadError::Data(err)) => {
                let mut what = err.to_string();
                if err.offset() == 0 && io::detect(events.pending()) == Ok(Some(Syntax::Plain)) {
                    what.push_str("; the input looks like plain HTTP/1.1: use `streamline encode`");
                }
                out.finish_at_mark()?;
                return Err(DataError { file: name, what, written: Some(written) }.into());
            }
            Err(ReadError::Io(err)) => {
                let _ = out.finish_at_mark();
                return Err(err).with_context(|| format!("cannot read {name}"));
            }
        }
        out.write_if_full()?;
    }
}
