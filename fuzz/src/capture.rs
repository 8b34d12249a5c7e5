//! The invariants of the `capture` target: a capture reader fed arbitrary bytes never panics
//! and holds at most what its limits allow; fed arbitrary TCP segments of one pattern, it
//! hands out every byte at its place.
//!
//! This file is the fuzz crate's and is also compiled into
//! `crates/streamline-capture/tests/fuzz_seeds.rs` (through `#[path]`), which replays
//! `fuzz/seeds/capture/` in an ordinary `cargo test`; it uses only `streamline-capture`.
//!
//! Input layout:
//!
//! ```text
//! byte 0   even: the rest is a capture file, read as it is
//!          odd:  the rest is a list of segments, written as a pcap by the crate's craft
//!                module (link type: byte 0 / 2 % 8), each segment 4 bytes:
//!                  flow (low 2 bits: one of four connections), flags (bit 2 SYN, 3 FIN,
//!                  4 RST, 5 from the server), then a stream offset (u16, big-endian) and a
//!                  length (u8); the payload is the pattern byte of each stream offset
//! ```

use std::collections::HashMap;
use streamline_capture::craft::{Connection, Link, PcapOptions, Writer};

use streamline_capture::{Capture, Direction, Directions, Event, FlowId, Limits};

/// The limits the target runs with: small, so that the bounds are reached.
fn limits() -> Limits {
    Limits::default().max_flows(3).max_out_of_order(2_000).max_record(70_000).max_interfaces(4)
}

/// The byte at stream offset `at` of every crafted stream.
fn pattern(at: u64) -> u8 {
    (at % 251) as u8
}

/// Runs the capture target on `data`.
pub fn capture(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let crafted = mode % 2 == 1;
    let file = if crafted { segments(mode / 2 % 8, rest) } else { rest.to_vec() };
    let limits = limits();
    let mut capture = Capture::new(&file[..], limits, Directions::Both);
    // A stream starts at its SYN, or where the capture first shows it (then its offsets are
    // shifted by a constant): each byte must be the pattern's at its offset plus that shift.
    let mut shifts: HashMap<(FlowId, Direction), u64> = HashMap::new();
    let mut check = |event: Event<'_>| {
        if let (Event::Data { flow, direction, offset, data }, true) = (event, crafted) {
            let shift = *shifts
                .entry((flow, direction))
                .or_insert_with(|| (u64::from(data[0]) + 251 * 300 - offset % 251) % 251);
            for (i, &b) in data.iter().enumerate() {
                let at = offset + i as u64;
                assert_eq!(b, pattern(at + shift), "byte {at} of a stream is out of place");
            }
        }
    };
    loop {
        match capture.step(&mut check) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                assert!(!crafted, "a crafted capture is well formed");
                break;
            }
        }
        let tracker = capture.tracker();
        assert!(tracker.open_flows() <= limits.max_flows, "more flows open than max_flows");
        // Each direction of each flow waits on at most max_out_of_order bytes.
        assert!(
            tracker.buffered() <= 2 * limits.max_flows * limits.max_out_of_order,
            "out-of-order bytes over the budget"
        );
    }
    if crafted {
        assert_eq!(capture.tracker().open_flows(), 0, "every flow is closed at the end");
    }
}

/// A pcap of the segments `ops` describes (see the module docs).
fn segments(link: u8, ops: &[u8]) -> Vec<u8> {
    let link = Link::ALL[usize::from(link) % Link::ALL.len()];
    let v6 = link == Link::Ipv6;
    let mut w = Writer::pcap_with(link, PcapOptions { snaplen: 200, ..PcapOptions::default() });
    let mut conns: Vec<Connection> = (0..4u16)
        .map(|i| {
            let isn = (u32::MAX - 300).wrapping_add(u32::from(i) * 1_000_000_000);
            if v6 || (link != Link::Ipv4 && i == 3) {
                let mut a = [0u8; 16];
                a[15] = 1;
                Connection::ipv6(a, 40_000 + i, a, 80, isn)
            } else {
                Connection::ipv4([10, 0, 0, 1], 40_000 + i, [10, 0, 0, 2], 80, isn)
            }
        })
        .collect();
    for op in ops.chunks_exact(4) {
        let conn = &mut conns[usize::from(op[0] & 3)];
        let (syn, fin, rst, server) = (op[0] & 4 != 0, op[0] & 8 != 0, op[0] & 16 != 0, op[0] & 32 != 0);
        let offset = u16::from_be_bytes([op[1], op[2]]);
        let payload: Vec<u8> = (0..u64::from(op[3])).map(|i| pattern(u64::from(offset) + i)).collect();
        let packet = match (syn, fin, rst, server) {
            (true, _, _, false) => conn.syn(),
            (true, _, _, true) => conn.syn_ack(),
            (_, _, true, _) => conn.rst(),
            (_, true, _, false) => conn.fin(),
            (_, true, _, true) => conn.server_fin(),
            (_, _, _, true) => conn.reply_at(u32::from(offset), &payload),
            _ => conn.data_at(u32::from(offset), &payload),
        };
        w.packet(&packet);
    }
    w.take()
}
