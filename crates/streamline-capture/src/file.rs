//! The capture file: pcap (microsecond or nanosecond timestamps, either byte order) or pcapng
//! (sections, several interfaces with their own link type and timestamp resolution), told
//! apart by the magic number. Sans-IO: the caller owns the buffer.
//!
//! ```text
//! pcap     header (24): magic, version, thiszone, sigfigs, snaplen, link type
//!          record: ts_sec (4) ts_frac (4) caplen (4) origlen (4), caplen bytes
//! pcapng   block: type (4) total length (4) body ... total length (4)
//!          SHB 0a0d0d0a starts a section (byte-order magic 1a2b3c4d); IDB declares an
//!          interface; EPB and SPB carry packets; every other block is skipped
//! ```
//!
//! Record lengths are checked against [`Limits::max_record`] before a record is buffered, so
//! a reader never holds more than one record and one piece of input.

use pcap_parser::pcapng::Block;
use pcap_parser::PcapError;

use crate::error::{Error, ErrorKind};
use crate::Limits;

/// The link type of a packet: the number of the tcpdump.org LINKTYPE_ registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

/// Which kind of file it is, as its magic number tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap.
    Pcap {
        /// Written big-endian.
        big_endian: bool,
        /// Nanosecond timestamps (magic a1b23c4d) rather than microseconds.
        nanoseconds: bool,
    },
    /// pcapng.
    Pcapng,
}

/// One packet as the capture holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Its number in the file, from 1 (as Wireshark counts).
    pub number: u64,
    /// Byte offset of its record in the file.
    pub offset: u64,
    /// The link layer its bytes start with.
    pub link: LinkType,
    /// Nanoseconds since 1970 (0 when the capture has no usable time).
    pub timestamp_ns: u64,
    /// The bytes captured (at most the snapshot length).
    pub data: &'a [u8],
    /// The packet's length on the wire: more than `data.len()` when the capture cut it short.
    pub orig_len: u32,
}

/// An interface of a pcapng section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset_s: i64,
}

#[derive(Debug, Clone)]
enum State {
    /// Nothing read yet.
    Start,
    Pcap {
        big_endian: bool,
        nanoseconds: bool,
        link: LinkType,
    },
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads records from the bytes of a capture file, one at a time, from a buffer the caller
/// fills: the sans-IO layer under [`crate::Capture`].
#[derive(Debug, Clone)]
pub struct FileReader {
    state: State,
    limits: Limits,
    /// File offset of the next byte the caller hands in.
    offset: u64,
    /// Packets handed out.
    packets: u64,
}

/// The magic number of a pcapng section header block (the same in both byte orders).
const SHB: u32 = 0x0a0d_0d0a;
const PCAP_US: u32 = 0xa1b2_c3d4;
const PCAP_NS: u32 = 0xa1b2_3c4d;
const PCAP_HEADER: usize = 24;
const PCAP_RECORD: usize = 16;
/// pcapng's smallest block: type, length, length.
const BLOCK_MIN: usize = 12;

impl FileReader {
    /// A reader of a whole file, from its first byte.
    pub fn new(limits: Limits) -> FileReader {
        FileReader { state: State::Start, limits, offset: 0, packets: 0 }
    }

    /// Which kind of file, once its header is read.
    pub fn format(&self) -> Option<Format> {
        match self.state {
            State::Start => None,
            State::Pcap { big_endian, nanoseconds, .. } => Some(Format::Pcap { big_endian, nanoseconds }),
            State::Pcapng { .. } => Some(Format::Pcapng),
        }
    }

    /// Packets handed out so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// File offset of the first byte of `src` at the next call.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the next record at the start of `src`, the unread bytes of the file; `eof`: no
    /// bytes come after them.
    ///
    /// Returns the bytes used and the packet, if the record was one: `(n, Some(packet))`;
    /// `(n, None)` with `n > 0`, a record that is no packet (a header, an interface, a
    /// statistics block), skipped; `(0, None)`, more bytes are needed (at `eof`, the end of
    /// the file). A record is used whole or not at all, so any split of the file gives the
    /// same packets. At `eof`, a file that ends inside a record is an error.
    pub fn next<'a>(&mut self, src: &'a [u8], eof: bool) -> Result<(usize, Option<Packet<'a>>), Error> {
        let result = self.read(src);
        match result {
            Ok((0, None)) if eof && !src.is_empty() => {
                let needed = self.needed(src);
                Err(self.error(ErrorKind::Truncated { needed: needed as u64, had: src.len() as u64 }))
            }
            Ok((used, packet)) => {
                self.offset += used as u64;
                Ok((used, packet))
            }
            Err(err) => Err(err),
        }
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.offset, self.packets + 1)
    }

    /// Bytes the record at the start of `src` needs, for the message of a truncated file.
    fn needed(&self, src: &[u8]) -> usize {
        match &self.state {
            State::Start if src.len() < 4 => 4,
            State::Start if u32_at(src, 0, false) == SHB => BLOCK_MIN.max(self.block_len(src).unwrap_or(0)),
            State::Start => PCAP_HEADER,
            State::Pcap { big_endian, .. } if src.len() >= PCAP_RECORD => {
                PCAP_RECORD + u32_at(src, 8, *big_endian) as usize
            }
            State::Pcap { .. } => PCAP_RECORD,
            State::Pcapng { .. } => BLOCK_MIN.max(self.block_len(src).unwrap_or(0)),
        }
    }

    fn read<'a>(&mut self, src: &'a [u8]) -> Result<(usize, Option<Packet<'a>>), Error> {
        match &self.state {
            State::Start => self.header(src),
            State::Pcap { big_endian, nanoseconds, link } => {
                let (big_endian, nanoseconds, link) = (*big_endian, *nanoseconds, *link);
                self.pcap_record(src, big_endian, nanoseconds, link)
            }
            State::Pcapng { .. } => self.block(src),
        }
    }

    /// The file's first bytes: a pcap header, or a pcapng section header (read as a block).
    fn header<'a>(&mut self, src: &'a [u8]) -> Result<(usize, Option<Packet<'a>>), Error> {
        if src.len() < 4 {
            return Ok((0, None));
        }
        let magic = u32_at(src, 0, false);
        if magic == SHB {
            self.state = State::Pcapng { big_endian: false, interfaces: Vec::new() };
            return self.block(src);
        }
        let (big_endian, nanoseconds) = match (magic, magic.swap_bytes()) {
            (PCAP_US, _) => (false, false),
            (PCAP_NS, _) => (false, true),
            (_, PCAP_US) => (true, false),
            (_, PCAP_NS) => (true, true),
            _ => return Err(self.error(ErrorKind::NotACapture { magic: src[..4].to_vec() })),
        };
        if src.len() < PCAP_HEADER {
            return Ok((0, None));
        }
        // The link type is the low 16 bits; the high bits may say whether frames carry an FCS.
        let link = LinkType(u32_at(src, 20, big_endian) & 0xffff);
        self.state = State::Pcap { big_endian, nanoseconds, link };
        Ok((PCAP_HEADER, None))
    }

    fn pcap_record<'a>(
        &mut self,
        src: &'a [u8],
        big_endian: bool,
        nanoseconds: bool,
        link: LinkType,
    ) -> Result<(usize, Option<Packet<'a>>), Error> {
        if src.len() < PCAP_RECORD {
            return Ok((0, None));
        }
        let caplen = u32_at(src, 8, big_endian) as u64;
        self.check_len(PCAP_RECORD as u64 + caplen)?;
        let len = PCAP_RECORD + caplen as usize;
        if src.len() < len {
            return Ok((0, None));
        }
        let parsed = if big_endian {
            pcap_parser::pcap::parse_pcap_frame_be(&src[..len])
        } else {
            pcap_parser::pcap::parse_pcap_frame(&src[..len])
        };
        let frame = parsed.map_err(|err| self.bad(err))?.1;
        let frac = if nanoseconds { frame.ts_usec as u64 } else { frame.ts_usec as u64 * 1_000 };
        let timestamp_ns = (frame.ts_sec as u64).saturating_mul(1_000_000_000).saturating_add(frac);
        Ok((len, Some(self.packet(link, timestamp_ns, frame.data, frame.origlen))))
    }

    fn packet<'a>(&mut self, link: LinkType, timestamp_ns: u64, data: &'a [u8], orig_len: u32) -> Packet<'a> {
        self.packets += 1;
        Packet { number: self.packets, offset: self.offset, link, timestamp_ns, data, orig_len }
    }

    fn check_len(&self, len: u64) -> Result<(), Error> {
        if len > self.limits.max_record as u64 {
            return Err(self.error(ErrorKind::RecordTooLong { len, max: self.limits.max_record as u64 }));
        }
        Ok(())
    }

    fn bad(&self, err: nom::Err<PcapError<&[u8]>>) -> Error {
        let what = match err {
            nom::Err::Incomplete(_) => "its contents run past its length".to_string(),
            nom::Err::Error(e) | nom::Err::Failure(e) => match e {
                PcapError::NomError(_, kind) => format!("{} check failed", kind.description()),
                other => other.to_string(),
            },
        };
        self.error(ErrorKind::BadRecord { what })
    }

    /// The total length of the pcapng block at the start of `src`, once its first bytes are
    /// there (a section header tells its own byte order).
    fn block_len(&self, src: &[u8]) -> Option<usize> {
        if src.len() < BLOCK_MIN {
            return None;
        }
        let big_endian = if u32_at(src, 0, false) == SHB {
            u32_at(src, 8, false) != 0x1a2b_3c4d
        } else {
            matches!(self.state, State::Pcapng { big_endian: true, .. })
        };
        Some(u32_at(src, 4, big_endian) as usize)
    }

    fn block<'a>(&mut self, src: &'a [u8]) -> Result<(usize, Option<Packet<'a>>), Error> {
        let Some(len) = self.block_len(src) else { return Ok((0, None)) };
        self.check_len(len as u64)?;
        if len < BLOCK_MIN || len % 4 != 0 {
            return Err(self.error(ErrorKind::BadRecord {
                what: format!("block length {len} (a block is a multiple of 4 bytes, at least 12)"),
            }));
        }
        if src.len() < len {
            return Ok((0, None));
        }
        let is_shb = u32_at(src, 0, false) == SHB;
        if is_shb {
            let bom = u32_at(src, 8, false);
            let big_endian = match bom {
                0x1a2b_3c4d => false,
                0x4d3c_2b1a => true,
                _ => {
                    return Err(self.error(ErrorKind::BadRecord {
                        what: format!("section header byte-order magic {bom:08x} (expected 1a2b3c4d)"),
                    }))
                }
            };
            // A new section: its own byte order, its own interfaces.
            self.state = State::Pcapng { big_endian, interfaces: Vec::new() };
        }
        let State::Pcapng { big_endian, .. } = self.state else { unreachable!("set above or before") };
        let bytes = &src[..len];
        let parsed = if big_endian {
            pcap_parser::pcapng::parse_block_be(bytes)
        } else {
            pcap_parser::pcapng::parse_block_le(bytes)
        };
        let block = parsed.map_err(|err| self.bad(err))?.1;
        let packet = match block {
            Block::InterfaceDescription(idb) => {
                let max = self.limits.max_interfaces;
                let State::Pcapng { interfaces, .. } = &mut self.state else { unreachable!("pcapng") };
                if interfaces.len() >= max as usize {
                    return Err(self.error(ErrorKind::TooManyInterfaces { max }));
                }
                interfaces.push(Interface {
                    link: LinkType(u32::from(idb.linktype.0 as u16)),
                    snaplen: idb.snaplen,
                    resolution: idb.ts_resolution().unwrap_or(1_000_000),
                    offset_s: idb.ts_offset(),
                });
                None
            }
            Block::EnhancedPacket(epb) => {
                let interface = self.interface(epb.if_id)?;
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let timestamp_ns = interface.nanoseconds(ticks);
                let data: &'a [u8] = epb.data;
                let data = &data[..data.len().min(epb.caplen as usize)];
                Some(self.packet(interface.link, timestamp_ns, data, epb.origlen))
            }
            Block::SimplePacket(spb) => {
                let interface = self.interface(0)?;
                let data: &'a [u8] = spb.data;
                let mut keep = data.len().min(spb.origlen as usize);
                if interface.snaplen > 0 {
                    keep = keep.min(interface.snaplen as usize);
                }
                let data = &data[..keep];
                Some(self.packet(interface.link, 0, data, spb.origlen))
            }
            _ => None,
        };
        Ok((len, packet))
    }

    fn interface(&self, id: u32) -> Result<Interface, Error> {
        let State::Pcapng { interfaces, .. } = &self.state else { unreachable!("pcapng") };
        interfaces
            .get(id as usize)
            .copied()
            .ok_or_else(|| self.error(ErrorKind::UnknownInterface { interface: id, declared: interfaces.len() as u32 }))
    }
}

impl Interface {
    /// A timestamp in this interface's units as nanoseconds since 1970.
    fn nanoseconds(&self, ticks: u64) -> u64 {
        let ns = u128::from(ticks) * 1_000_000_000 / u128::from(self.resolution.max(1));
        let ns = ns as i128 + i128::from(self.offset_s) * 1_000_000_000;
        ns.clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// The `u32` at `at` (the caller checked the length).
fn u32_at(src: &[u8], at: usize, big_endian: bool) -> u32 {
    let bytes = [src[at], src[at + 1], src[at + 2], src[at + 3]];
    if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    }
}
