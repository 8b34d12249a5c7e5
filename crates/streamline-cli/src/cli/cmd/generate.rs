//! `streamline gen`: deterministic synthetic captures in plain form, requests or the
//! responses to them.

use anyhow::{bail, Result};
use streamline_traffic::{self as traffic, Generate};

use crate::cli::args::{GenArgs, GenKind};
use crate::cli::io::{Output, FLUSH_AT};
use crate::cli::progress;
use crate::cli::source::{Opra, OPRA_PAYLOAD};

/// Default largest chunk of an upload.
const UPLOAD_PAYLOAD: usize = 1024;

/// Writes the capture.
pub fn run(args: GenArgs) -> Result<()> {
    if args.revalidate && args.kind != GenKind::Browse {
        bail!("--revalidate is for gen browse: the browser's cache");
    }
    if args.kind == GenKind::Browse && args.payload_size.is_some() {
        bail!("gen browse makes requests without bodies: --payload-size does not apply");
    }
    let mut out = Output::create(args.output.as_deref())?;
    let session =
        || if args.revalidate { traffic::Browse::revalidating(args.seed) } else { traffic::Browse::new(args.seed) };
    // (--payload-size shapes the requests, not the responses to them.)
    let mut messages: Box<dyn Generate> = match (args.kind, args.responses) {
        (GenKind::Opra, false) => {
            let bar = progress::items(args.count, args.quiet);
            let mut feed = Opra::new(args.count, args.seed, args.payload_size.unwrap_or(OPRA_PAYLOAD));
            while !feed.is_done() {
                bar.inc(feed.write(&mut out.buf, FLUSH_AT));
                out.write_if_full()?;
            }
            bar.finish_and_clear();
            return out.finish();
        }
        (GenKind::Upload, false) => {
            let mut uploads = traffic::Upload::new(args.seed, args.payload_size.unwrap_or(UPLOAD_PAYLOAD));
            // Chunks of any size go out in pieces.
            write_each(&mut out, args.count, args.quiet, |out| {
                while !uploads.write_some(&mut out.buf, FLUSH_AT) {
                    out.write_if_full()?;
                }
                Ok(())
            })?;
            return out.finish();
        }
        (GenKind::Browse, false) => Box::new(session()),
        (GenKind::Opra, true) => Box::new(traffic::Acks::new(args.seed, args.rate)),
        (GenKind::Browse, true) => Box::new(traffic::BrowseResponses::new(session(), args.seed, args.rate)),
        (GenKind::Upload, true) => Box::new(traffic::UploadResponses::new(args.seed, args.rate)),
    };
    write_each(&mut out, args.count, args.quiet, |out| {
        messages.write_next(&mut out.buf);
        Ok(())
    })?;
    out.finish()
}

/// Writes `count` messages made one at a time by `next`, in bounded memory.
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
