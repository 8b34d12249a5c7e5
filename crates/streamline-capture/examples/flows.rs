//! Every TCP flow of a capture, reassembled, as a table: the capture crate alone, without
//! HTTP (what `tshark -q -z conv,tcp` lists, plus the reassembly's own counts).
//!
//! ```sh
//! cargo run --release -p streamline-capture --example flows -- capture.pcap
//! ```

use std::io::Write;

use streamline_capture::{Capture, Directions, Event, Limits};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: flows CAPTURE");
        std::process::exit(2);
    };
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("flows: cannot open {path}: {e}");
        std::process::exit(2);
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<46} {:<46} {:>8} {:>14} {:>6} {:>8} {:>8} {:>9}  closed",
        "client", "server", "packets", "client bytes", "gaps", "lost", "retrans", "conflicts"
    );
    let mut capture = Capture::new(file, Limits::default(), Directions::ClientToServer);
    let result = capture.run(&mut |event| {
        if let Event::Close { key, reason, stats, .. } = event {
            let c = stats.client;
            let _ = writeln!(
                out,
                "{:<46} {:<46} {:>8} {:>14} {:>6} {:>8} {:>8} {:>9}  {reason:?}",
                key.client.to_string(),
                key.server.to_string(),
                stats.packets,
                c.bytes,
                c.gaps,
                c.lost + c.truncated,
                c.retransmitted,
                c.conflicts
            );
        }
    });
    let stats = capture.stats();
    let _ = writeln!(
        out,
        "{} packets, {} TCP segments, {} flows, skipped {:?}",
        stats.packets, stats.segments, stats.flows, stats.skipped
    );
    if let Err(err) = result {
        eprintln!("flows: {path}: {err}");
        std::process::exit(1);
    }
}
