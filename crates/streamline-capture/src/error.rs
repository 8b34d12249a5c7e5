//! The one error type: what was wrong with the capture file, and where.

use std::fmt;

/// Why a capture file was refused. Whatever was read before it has been handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The first four bytes are no pcap or pcapng magic number.
    NotACapture {
        /// The first bytes, as read (at most 4).
        magic: Vec<u8>,
    },
    /// The file ends inside a header or a record.
    Truncated {
        /// Bytes the record needed.
        needed: u64,
        /// Bytes there were.
        had: u64,
    },
    /// A record longer than [`Limits::max_record`](crate::Limits::max_record).
    RecordTooLong {
        /// Its length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A record pcap-parser could not read (its block length or layout is wrong).
    BadRecord {
        /// What was wrong, in words.
        what: String,
    },
    /// A pcapng packet names an interface no Interface Description Block declared.
    UnknownInterface {
        /// The interface number.
        interface: u32,
        /// Interfaces declared in this section.
        declared: u32,
    },
    /// A pcapng file declares more interfaces than
    /// [`Limits::max_interfaces`](crate::Limits::max_interfaces).
    TooManyInterfaces {
        /// The limit.
        max: u32,
    },
    /// The capture could not be read (the reader's own error, in words).
    Io(String),
}

/// A capture refused at a place: the byte offset in the file of the record at fault, and the
/// number of the packet (from 1) it would have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: u64,
    packet: u64,
}

impl Error {
    /// An error at byte `offset` of the file, at packet number `packet`.
    pub fn new(kind: ErrorKind, offset: u64, packet: u64) -> Error {
        Error { kind, offset, packet }
    }

    /// What was wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Byte offset in the file of the record (or header) at fault.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of the packet (from 1) the record would have been: the packets before it were
    /// read.
    pub fn packet(&self) -> u64 {
        self.packet
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::NotACapture { magic } => write!(
                f,
                "not a pcap or pcapng capture: the file starts with '{}' (expected a pcap magic number, \
a1b2c3d4 or a1b23c4d in either byte order, or a pcapng section header, 0a0d0d0a)",
                magic.escape_ascii()
            ),
            ErrorKind::Truncated { needed, had } => {
                write!(f, "the capture ends inside a record: {needed} bytes needed, {had} there")
            }
            ErrorKind::RecordTooLong { len, max } => {
                write!(f, "a record of {len} bytes, longer than the limit of {max} (--max-record)")
            }
            ErrorKind::BadRecord { what } => write!(f, "malformed record: {what}"),
            ErrorKind::UnknownInterface { interface, declared } => write!(
                f,
                "a packet of interface {interface}, but the section declares {declared} interface{}",
                if *declared == 1 { "" } else { "s" }
            ),
            ErrorKind::TooManyInterfaces { max } => write!(f, "more than {max} interfaces in one section"),
            ErrorKind::Io(what) => write!(f, "cannot read: {what}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "packet {} (byte {}): {}", self.packet, self.offset, self.kind)
    }
}

impl std::error::Error for Error {}
