//! `streamline gen`: deterministic synthetic captures in plain form.

use anyhow::{bail, Result};
use streamline::gen;

use crate::cli::args::{GenArgs, GenKind};
use crate::cli::io::{Output, FLUSH_AT};
use crate::cli::progress;
use crate::cli::source::{Opra, OPRA_PAYLOAD};

/// Largest count for the generators that build their whole output in memory.
pub const MAX_IN_MEMORY: u64 = 1_000_000;

/// Default largest chunk of an upload.
const UPLOAD_PAYLOAD: usize = 1024;

/// Writes the capture.
pub fn run(args: GenArgs) -> Result<()> {
    if args.kind != GenKind::Opra && args.count > MAX_IN_MEMORY {
        bail!(
            "gen {} builds its output in memory: --count {} is over the limit of {MAX_IN_MEMORY} \
(concatenate several runs with different --seed values for more)",
            if args.kind == GenKind::Browse { "browse" } else { "upload" },
            args.count
        );
    }
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
            out.put(&gen::browse(args.count, args.seed))?;
        }
        GenKind::Upload => {
            out.put(&gen::upload(args.count, args.seed, args.payload_size.unwrap_or(UPLOAD_PAYLOAD)))?;
        }
    }
    out.finish()
}
