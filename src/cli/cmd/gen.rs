//! `streamline gen`: deterministic synthetic captures in plain form.

use anyhow::{bail, Result};
use streamline::gen;

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
            loop {
                let n = feed.write(&mut out.buf, FLUSH_AT);
                if n == 0 {
                    break;
                }
                bar.inc(n);
                out.write_if_full()?;
            }
            bar.finish_and_clear();
        }
        GenKind::Browse => {
            if args.payload_size.is_some() {
                bail!("gen browse makes requests without bodies: --payload-size does not apply");
            }
            let mut session = gen::Browse::new(args.seed);
            write_each(&mut out, args.count, args.quiet, |buf| session.next_request(buf))?;
        }
        GenKind::Upload => {
            let mut uploads = gen::Upload::new(args.seed, args.payload_size.unwrap_or(UPLOAD_PAYLOAD));
            write_each(&mut out, args.count, args.quiet, |buf| uploads.next_request(buf))?;
        }
    }
    out.finish()
}

/// Writes `count` requests made one at a time by `next`, in bounded memory.
fn write_each(out: &mut Output, count: u64, quiet: bool, mut next: impl FnMut(&mut Vec<u8>)) -> Result<()> {
    let bar = progress::items(count, quiet);
    for i in 0..count {
        next(&mut out.buf);
        if i % 1024 == 1023 {
            bar.inc(1024);
        }
        out.write_if_full()?;
    }
    bar.finish_and_clear();
    Ok(())
}
