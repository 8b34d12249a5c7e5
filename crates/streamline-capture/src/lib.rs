//! Captures as tcpdump, dumpcap and Wireshark write them, read in bounded memory, and every TCP
//! connection in them reassembled into its byte stream.
//!
//! Three layers, each usable alone, none of which opens a file:
//!
//! - [`FileReader`]: the bytes of a pcap or pcapng file (told apart by the magic number) into
//!   [`Packet`]s, from a buffer the caller fills;
//! - [`link::segment`]: a packet's link layer (Ethernet, Linux cooked SLL and SLL2, BSD
//!   loopback, raw IP), IPv4 or IPv6, and TCP header into a [`Segment`];
//! - [`Tracker`]: segments of interleaved connections into one ordered stream per flow and
//!   direction, with retransmissions, reordering, overlaps, wrap-around, lost and cut-short
//!   segments accounted for, as [`Event`]s.
//!
//! [`Capture`] runs the three over any [`std::io::Read`], in pieces.
//!
//! # Examples
//!
//! ```
//! use streamline_capture::{craft, Capture, Directions, Event, Limits};
//!
//! // A capture with one connection: SYN, two segments of a request, FIN.
//! let mut pcap = craft::Writer::pcap(craft::Link::Ethernet);
//! let mut conn = craft::Connection::ipv4([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80, 7);
//! pcap.packet(&conn.syn());
//! pcap.packet(&conn.data(b"GET / HTTP/1.1\r\n"));
//! pcap.packet(&conn.data(b"\r\n"));
//! pcap.packet(&conn.fin());
//!
//! let mut stream = Vec::new();
//! let mut capture = Capture::new(&pcap.bytes()[..], Limits::default(), Directions::ClientToServer);
//! capture
//!     .run(&mut |event| {
//!         if let Event::Data { data, .. } = event {
//!             stream.extend_from_slice(data);
//!         }
//!     })
//!     .unwrap();
//! assert_eq!(stream, b"GET / HTTP/1.1\r\n\r\n");
//! ```
//!
//! # Memory
//!
//! A [`Capture`] holds one record (at most [`Limits::max_record`]) and one piece of input;
//! the [`Tracker`] at most [`Limits::max_flows`] flows, each with at most
//! [`Limits::max_out_of_order`] bytes waiting per direction reassembled. Nothing grows with
//! the size of the capture.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod craft;
mod error;
mod file;
mod flows;
pub mod link;
mod reassembly;

use std::io::{self, Read};

pub use error::{Error, ErrorKind};
pub use file::{FileReader, Format, LinkType, Packet};
pub use flows::{CaptureStats, CloseReason, Direction, Directions, Event, FlowId, FlowKey, FlowStats, Tracker};
pub use link::{Segment, Skip};
pub use reassembly::{GapKind, HalfStats};

/// Every bound the capture can drive. Defaults in the docs of each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Flows open at once; past it the flow idle longest is closed ([`CloseReason::Evicted`]).
    /// Default 1,024.
    pub max_flows: usize,
    /// Bytes one direction of a flow keeps waiting for a missing segment, each waiting piece
    /// counting 64 bytes more; past it the missing bytes are given up as lost. Default 256 KiB.
    pub max_out_of_order: usize,
    /// Longest record (pcap record header and data, or pcapng block). Default 1 MiB (the
    /// usual snapshot length is 262,144).
    pub max_record: usize,
    /// Interfaces one pcapng section may declare. Default 1,024.
    pub max_interfaces: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_flows: 1024, max_out_of_order: 256 * 1024, max_record: 1 << 20, max_interfaces: 1024 }
    }
}

impl Limits {
    /// Sets [`Limits::max_flows`] (at least 1 is used).
    #[must_use = "a setter returns the new limits"]
    pub fn max_flows(mut self, n: usize) -> Limits {
        self.max_flows = n;
        self
    }

    /// Sets [`Limits::max_out_of_order`].
    #[must_use = "a setter returns the new limits"]
    pub fn max_out_of_order(mut self, bytes: usize) -> Limits {
        self.max_out_of_order = bytes;
        self
    }

    /// Sets [`Limits::max_record`].
    #[must_use = "a setter returns the new limits"]
    pub fn max_record(mut self, bytes: usize) -> Limits {
        self.max_record = bytes;
        self
    }

    /// Sets [`Limits::max_interfaces`].
    #[must_use = "a setter returns the new limits"]
    pub fn max_interfaces(mut self, n: u32) -> Limits {
        self.max_interfaces = n;
        self
    }
}

/// Bytes read from the input at a time.
pub const PIECE: usize = 256 * 1024;

/// Whether `start` (a file's first bytes, at least 4 of them) begins a capture: a pcap magic
/// number in either byte order, or a pcapng section header.
pub fn is_capture(start: &[u8]) -> bool {
    let Some(magic) = start.get(..4) else { return false };
    let magic = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
    [0x0a0d_0d0a, 0xa1b2_c3d4, 0xa1b2_3c4d].iter().any(|&m| magic == m || magic.swap_bytes() == m)
}

/// A capture read from `R` in pieces: packets to the [`Tracker`], events to the caller.
pub struct Capture<R> {
    input: R,
    file: FileReader,
    tracker: Tracker,
    /// `buf[start..end]`: read, not used yet.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Capture<R> {
    /// Reads `input` (a whole capture file, from its first byte).
    pub fn new(input: R, limits: Limits, directions: Directions) -> Capture<R> {
        Capture {
            input,
            file: FileReader::new(limits),
            tracker: Tracker::new(limits, directions),
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The file's kind, once its header is read.
    pub fn format(&self) -> Option<Format> {
        self.file.format()
    }

    /// What the capture held so far.
    pub fn stats(&self) -> &CaptureStats {
        self.tracker.stats()
    }

    /// The flow table.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Reads the next packet and hands its events to `out`; `Ok(false)` once the capture has
    /// ended and every flow is closed. An error (the file is malformed or cannot be read)
    /// comes after every event of the packets before it, with every open flow closed.
    pub fn step(&mut self, out: &mut impl FnMut(Event<'_>)) -> Result<bool, Error> {
        loop {
            let next = self.file.next(&self.buf[self.start..self.end], self.eof);
            match next {
                Ok((0, None)) if self.eof => {
                    self.tracker.finish(out);
                    return Ok(false);
                }
                Ok((0, None)) => {
                    if let Err(err) = self.fill() {
                        self.tracker.finish(out);
                        return Err(err);
                    }
                }
                Ok((used, packet)) => {
                    self.start += used;
                    if let Some(packet) = packet {
                        self.tracker.packet(&packet, out);
                        return Ok(true);
                    }
                }
                Err(err) => {
                    self.tracker.finish(out);
                    return Err(err);
                }
            }
        }
    }

    /// Reads the whole capture; see [`Capture::step`].
    pub fn run(&mut self, out: &mut impl FnMut(Event<'_>)) -> Result<(), Error> {
        while self.step(out)? {}
        Ok(())
    }

    /// Moves the unread bytes to the front and reads a piece after them. The buffer is
    /// zero-filled only when it grows (to the longest record plus a piece at most).
    fn fill(&mut self) -> Result<(), Error> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.buf.len() < self.end + PIECE {
            self.buf.resize(self.end + PIECE, 0);
        }
        let read = loop {
            match self.input.read(&mut self.buf[self.end..self.end + PIECE]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => self.eof = true,
            // `Read` promises no more than it was asked for; one that breaks the promise
            // would make the buffer's end point past its bytes.
            Ok(n) if n > PIECE => {
                let why = format!("the input said it read {n} bytes into a buffer of {PIECE}");
                return Err(Error::new(ErrorKind::Io(why), self.file.offset(), self.file.packets() + 1));
            }
            Ok(n) => self.end += n,
            Err(err) => {
                return Err(Error::new(ErrorKind::Io(err.to_string()), self.file.offset(), self.file.packets() + 1))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Read` that says it read more than it was given room for.
    struct Boastful;

    impl Read for Boastful {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            Ok(buf.len() + 1)
        }
    }

    #[test]
    fn a_read_of_more_than_the_buffer_is_an_error_not_a_panic() {
        let mut capture = Capture::new(Boastful, Limits::default(), Directions::Both);
        let err = capture.step(&mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("bytes into a buffer of"), "{err}");
    }

    #[test]
    fn send_and_sync() {
        fn both<T: Send + Sync>() {}
        both::<Tracker>();
        both::<FileReader>();
        both::<Capture<std::fs::File>>();
        both::<Error>();
    }
}
