//! `streamline gen`: deterministic synthetic captures in plain form.

use anyhow::{bail, Result};
use streamline_traffic as traffic;

use crate::cli::args::{GenArgs, GenKind};
use crate::cli::io::{Output, FLUSH_AT};
use crate::cli::progress;
use crate::cli::source::{Opra, OPRA_PAYLOAD};

/// Default largest chunk of an upload.
const UPLOAD_PAYLOAD: usize = 1024;

/// Writes the capture.
pub fn run(args: GenArgs) -> Result<()> {
    let mut out = Output::create(args.output.as_deref())?;
    match args.kind {
        GenKind::Opra => {
            let bar = progress::items(args.count, args.quiet);
            let mut feed = Opra::new(args.count, args.seed, args.payload_size.unwrap_or(OPRA_PAYLOAD));
            while !feed.is_done() {
                bar.inc(feed.write(&mut out.buf, FLUSH_AT));
                out.write_if_full()?;
            }
            bar.finish_and_clear();
        }
        GenKind::Browse => {
            if args.payload_size.is_some() {
                bail!("gen browse makes requests without bodies: --payload-size does not apply");
            }
            let mut session = traffic::Browse::new(args.seed);
            write_each(&mut out, args.count, args.quiet, |out| {
                session.next_request(&mut out.buf);
                Ok(())
            })?;
        }
        GenKind::Upload => {
            let mut uploads = traffic::Upload::new(args.seed, args.payload_size.unwrap_or(UPLOAD_PAYLOAD));
            // Chunks of any size go out in pieces.
            write_each(&mut out, args.count, args.quiet, |out| {
                while !uploads.write_some(&mut out.buf, FLUSH_AT) {
                    out.write_if_full()?;
                }
                Ok(())
            })?;
        }
    }
    out.finish()
}

/// Writes `count` requests made one at a time by `next`, in bounded memory.
fn write_each(
    out: &mut Output,
    count: u64,
    quiet: bool,
    mut next: impl FnMut(&mut Output) -> Result<()>,
) -> Result<()> {
    let bar = progress::items(count, quiet);
    for i in 0..count {
        next(out)?;
        if i % 1024 == 1023 {
            bar.inc(1024);
        }
        out.write_if_full()?;
    }
    bar.finish_and_clear();
    Ok(())
}
