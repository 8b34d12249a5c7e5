//! Crafted captures with a known ground truth: TCP segments built by etherparse, framed in any
//! link type this crate reads, written as pcap (either byte order, micro- or nanosecond
//! timestamps, a snapshot length) or pcapng (several interfaces, each with its own link type
//! and timestamp resolution). The tests, the fuzz seeds, the sample captures in `samples/`
//! and the benchmark's large capture are made with it.
//!
//! ```
//! use streamline_capture::craft::{Connection, Link, Writer};
//!
//! let mut conn = Connection::ipv4([127, 0, 0, 1], 50000, [127, 0, 0, 1], 8080, 1000);
//! let mut pcap = Writer::pcap(Link::Ethernet);
//! pcap.packet(&conn.syn());
//! pcap.packet(&conn.syn_ack());
//! let late = conn.data(b"world");
//! let early = conn.data_at(0, b"hello ");
//! pcap.packet(&late); // out of order: "world" is at offset 6
//! pcap.packet(&early);
//! assert_eq!(&pcap.bytes()[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use etherparse::PacketBuilder;

/// The link layer a writer frames each IP packet in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// LINKTYPE_NULL (0): BSD loopback, a 4-byte address family in little-endian order.
    Null,
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// LINKTYPE_RAW (101): the IP packet alone.
    Raw,
    /// LINKTYPE_LOOP (108): BSD loopback, the family in network byte order.
    Loop,
    /// LINKTYPE_LINUX_SLL (113): Linux cooked capture v1.
    Sll,
    /// LINKTYPE_IPV4 (228): the IPv4 packet alone.
    Ipv4,
    /// LINKTYPE_IPV6 (229): the IPv6 packet alone.
    Ipv6,
    /// LINKTYPE_LINUX_SLL2 (276): Linux cooked capture v2.
    Sll2,
}

impl Link {
    /// The LINKTYPE_ number.
    pub fn number(self) -> u32 {
        match self {
            Link::Null => 0,
            Link::Ethernet => 1,
            Link::Raw => 101,
            Link::Loop => 108,
            Link::Sll => 113,
            Link::Ipv4 => 228,
            Link::Ipv6 => 229,
            Link::Sll2 => 276,
        }
    }

    /// Every link type, for tests that run each.
    pub const ALL: [Link; 8] =
        [Link::Null, Link::Ethernet, Link::Raw, Link::Loop, Link::Sll, Link::Ipv4, Link::Ipv6, Link::Sll2];

    /// `ip` framed in this link layer.
    pub fn frame(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let ether_type: u16 = if v6 { 0x86dd } else { 0x0800 };
        let mut out = Vec::with_capacity(ip.len() + 20);
        match self {
            Link::Null => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
            Link::Loop => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_be_bytes()),
            Link::Ethernet => {
                out.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]);
                out.extend_from_slice(&ether_type.to_be_bytes());
            }
            Link::Sll => {
                // packet type 0 (to us), ARPHRD_LOOPBACK, address length 6, address padded to 8
                out.extend_from_slice(&[0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
                out.extend_from_slice(&ether_type.to_be_bytes());
            }
            Link::Sll2 => {
                out.extend_from_slice(&ether_type.to_be_bytes());
                // reserved, interface index 1, ARPHRD_LOOPBACK, packet type, address length, address
                out.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
            }
            Link::Raw | Link::Ipv4 | Link::Ipv6 => {}
        }
        out.extend_from_slice(ip);
        out
    }
}

/// The options of a classic pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapOptions {
    /// Write big-endian (as a SPARC or PowerPC tcpdump did).
    pub big_endian: bool,
    /// Nanosecond timestamps (magic a1b23c4d).
    pub nanoseconds: bool,
    /// Keep at most this many bytes of each packet (the rest is "cut by the snapshot length").
    pub snaplen: u32,
}

impl Default for PcapOptions {
    fn default() -> Self {
        PcapOptions { big_endian: false, nanoseconds: false, snaplen: 262_144 }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Pcap { options: PcapOptions, link: Link },
    Pcapng { interfaces: Vec<(Link, u8, u32)>, big_endian: bool },
}

/// Writes a capture file into memory; [`Writer::take`] hands out what is written so far, so
/// a capture of any size can go to a file in pieces.
#[derive(Debug, Clone)]
pub struct Writer {
    kind: Kind,
    out: Vec<u8>,
    /// Timestamp of the next packet, nanoseconds since 1970.
    time_ns: u64,
}

/// The first packet's time: 2023-11-14 22:13:20 UTC.
const EPOCH_NS: u64 = 1_700_000_000 * 1_000_000_000;
/// Time between packets.
const STEP_NS: u64 = 1_000_123;

impl Writer {
    /// A little-endian microsecond pcap of `link`.
    pub fn pcap(link: Link) -> Writer {
        Writer::pcap_with(link, PcapOptions::default())
    }

    /// A pcap of `link` with `options`.
    pub fn pcap_with(link: Link, options: PcapOptions) -> Writer {
        let magic: u32 = if options.nanoseconds { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut w = Writer { kind: Kind::Pcap { options, link }, out: Vec::new(), time_ns: EPOCH_NS };
        let be = options.big_endian;
        w.u32(magic, be);
        w.u16(2, be);
        w.u16(4, be);
        w.u32(0, be);
        w.u32(0, be);
        w.u32(options.snaplen, be);
        w.u32(link.number(), be);
        w
    }

    /// A little-endian pcapng with a section header and no interface yet.
    pub fn pcapng() -> Writer {
        Writer::pcapng_with(false)
    }

    /// A pcapng in either byte order (a big-endian machine writes its own), with a section
    /// header and no interface yet.
    pub fn pcapng_with(big_endian: bool) -> Writer {
        let kind = Kind::Pcapng { interfaces: Vec::new(), big_endian };
        let mut w = Writer { kind, out: Vec::new(), time_ns: EPOCH_NS };
        // SHB: type, length 28, byte-order magic, version 1.0, section length unknown (-1).
        let mut body = w.ordered(0x1a2b_3c4d).to_vec();
        body.extend_from_slice(&w.ordered16(1));
        body.extend_from_slice(&w.ordered16(0));
        body.extend_from_slice(&[0xff; 8]);
        w.block(0x0a0d_0d0a, &body);
        w
    }

    /// Declares a pcapng interface of `link` whose timestamps count 10^-`tsresol` seconds
    /// (6: microseconds, the default; 9: nanoseconds), keeping `snaplen` bytes of a packet;
    /// returns its number.
    ///
    /// # Panics
    ///
    /// On a pcap writer: only pcapng has interfaces. For a `tsresol` over 19: the timestamps
    /// would not fit their 64 bits (and this writer makes only powers of 10).
    pub fn interface(&mut self, link: Link, tsresol: u8, snaplen: u32) -> u32 {
        assert!(tsresol <= 19, "tsresol {tsresol}: at most 19 (10^-19 s)");
        let Kind::Pcapng { interfaces, .. } = &mut self.kind else { panic!("interfaces are pcapng's") };
        interfaces.push((link, tsresol, snaplen));
        let id = interfaces.len() as u32 - 1;
        let mut body = Vec::new();
        body.extend_from_slice(&self.ordered16(link.number() as u16));
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&self.ordered(snaplen));
        if tsresol != 6 {
            // if_tsresol (9), length 1, padded to 4; then opt_endofopt.
            body.extend_from_slice(&self.ordered16(9));
            body.extend_from_slice(&self.ordered16(1));
            body.extend_from_slice(&[tsresol, 0, 0, 0, 0, 0, 0, 0]);
        }
        self.block(1, &body);
        id
    }

    /// Writes an IP packet: in a pcap, framed in its link type; in a pcapng, on interface 0.
    pub fn packet(&mut self, ip: &[u8]) {
        self.packet_on(0, ip);
    }

    /// Writes an IP packet on pcapng interface `interface` (a pcap has only one).
    ///
    /// # Panics
    ///
    /// On a pcapng writer, for an interface not declared by [`Writer::interface`].
    pub fn packet_on(&mut self, interface: u32, ip: &[u8]) {
        let time = self.time_ns;
        self.time_ns += STEP_NS;
        match self.kind.clone() {
            Kind::Pcap { options, link } => {
                let frame = link.frame(ip);
                let be = options.big_endian;
                let caplen = frame.len().min(options.snaplen as usize);
                let frac = if options.nanoseconds { time % 1_000_000_000 } else { time % 1_000_000_000 / 1000 };
                self.u32((time / 1_000_000_000) as u32, be);
                self.u32(frac as u32, be);
                self.u32(caplen as u32, be);
                self.u32(frame.len() as u32, be);
                self.out.extend_from_slice(&frame[..caplen]);
            }
            Kind::Pcapng { interfaces, .. } => {
                let (link, tsresol, snaplen) = interfaces[interface as usize];
                let frame = link.frame(ip);
                let caplen = if snaplen == 0 { frame.len() } else { frame.len().min(snaplen as usize) };
                let ticks = (u128::from(time) * 10u128.pow(u32::from(tsresol)) / 1_000_000_000) as u64;
                let mut body = Vec::with_capacity(20 + caplen + 3);
                for field in [interface, (ticks >> 32) as u32, ticks as u32, caplen as u32, frame.len() as u32] {
                    body.extend_from_slice(&self.ordered(field));
                }
                body.extend_from_slice(&frame[..caplen]);
                body.resize(body.len().next_multiple_of(4), 0);
                self.block(6, &body);
            }
        }
    }

    /// Writes a pcapng block of a type this crate skips (a Name Resolution Block, empty).
    pub fn other_block(&mut self) {
        self.block(4, &[0, 0, 0, 0]);
    }

    /// The bytes written and not taken yet.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// Hands out the bytes written so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn block(&mut self, kind: u32, body: &[u8]) {
        let len = (12 + body.len()) as u32;
        for bytes in [self.ordered(kind), self.ordered(len)] {
            self.out.extend_from_slice(&bytes);
        }
        self.out.extend_from_slice(body);
        let len = self.ordered(len);
        self.out.extend_from_slice(&len);
    }

    /// Whether a pcapng is written big-endian.
    fn pcapng_big_endian(&self) -> bool {
        matches!(self.kind, Kind::Pcapng { big_endian: true, .. })
    }

    /// A pcapng `u32` in the section's byte order.
    fn ordered(&self, v: u32) -> [u8; 4] {
        if self.pcapng_big_endian() {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A pcapng `u16` in the section's byte order.
    fn ordered16(&self, v: u16) -> [u8; 2] {
        if self.pcapng_big_endian() {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u32(&mut self, v: u32, be: bool) {
        self.out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
    }

    fn u16(&mut self, v: u16, be: bool) {
        self.out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
    }
}

/// One TCP connection's two sides, building the IP packets of its segments.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The side that sends the SYN.
    pub client: SocketAddr,
    /// The other side.
    pub server: SocketAddr,
    /// Sequence number of the client's next byte.
    pub client_seq: u32,
    /// Sequence number of the server's next byte.
    pub server_seq: u32,
    /// The client's initial sequence number.
    pub client_isn: u32,
    /// The server's initial sequence number.
    pub server_isn: u32,
}

impl Connection {
    /// An IPv4 connection; the client's initial sequence number is `isn` (the server's is
    /// derived from it).
    pub fn ipv4(client: [u8; 4], client_port: u16, server: [u8; 4], server_port: u16, isn: u32) -> Connection {
        Connection::new(
            SocketAddr::new(IpAddr::V4(Ipv4Addr::from(client)), client_port),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::from(server)), server_port),
            isn,
        )
    }

    /// An IPv6 connection.
    pub fn ipv6(client: [u8; 16], client_port: u16, server: [u8; 16], server_port: u16, isn: u32) -> Connection {
        Connection::new(
            SocketAddr::new(IpAddr::V6(Ipv6Addr::from(client)), client_port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::from(server)), server_port),
            isn,
        )
    }

    /// A connection between two endpoints. Its segments are built when asked for.
    ///
    /// # Panics
    ///
    /// Building a segment panics when one end is IPv4 and the other IPv6.
    pub fn new(client: SocketAddr, server: SocketAddr, isn: u32) -> Connection {
        let server_isn = isn.rotate_left(16) ^ 0x5a5a_5a5a;
        Connection { client, server, client_seq: isn, server_seq: server_isn, client_isn: isn, server_isn }
    }

    /// The client's SYN.
    pub fn syn(&mut self) -> Vec<u8> {
        let p = self.build(true, self.client_seq, Flags { syn: true, ..Flags::default() }, &[]);
        self.client_seq = self.client_seq.wrapping_add(1);
        p
    }

    /// The server's SYN-ACK.
    pub fn syn_ack(&mut self) -> Vec<u8> {
        let p = self.build(false, self.server_seq, Flags { syn: true, ack: true, ..Flags::default() }, &[]);
        self.server_seq = self.server_seq.wrapping_add(1);
        p
    }

    /// The client's next segment, carrying `payload`.
    ///
    /// # Panics
    ///
    /// For a payload too long for one IP packet (about 65,000 bytes).
    pub fn data(&mut self, payload: &[u8]) -> Vec<u8> {
        let p = self.build(true, self.client_seq, Flags { ack: true, psh: true, ..Flags::default() }, payload);
        self.client_seq = self.client_seq.wrapping_add(payload.len() as u32);
        p
    }

    /// A client segment carrying `payload` at stream offset `offset` (from the first byte
    /// after the SYN), the next sequence number left as it is: for retransmissions, overlaps
    /// and reordering.
    ///
    /// # Panics
    ///
    /// As [`Connection::data`].
    pub fn data_at(&self, offset: u32, payload: &[u8]) -> Vec<u8> {
        let seq = self.client_isn.wrapping_add(1).wrapping_add(offset);
        self.build(true, seq, Flags { ack: true, psh: true, ..Flags::default() }, payload)
    }

    /// Moves the client's next sequence number on by `n` bytes that are never sent (lost).
    pub fn skip(&mut self, n: u32) {
        self.client_seq = self.client_seq.wrapping_add(n);
    }

    /// The server's next segment, carrying `payload`.
    ///
    /// # Panics
    ///
    /// As [`Connection::data`].
    pub fn reply(&mut self, payload: &[u8]) -> Vec<u8> {
        let p = self.build(false, self.server_seq, Flags { ack: true, psh: true, ..Flags::default() }, payload);
        self.server_seq = self.server_seq.wrapping_add(payload.len() as u32);
        p
    }

    /// A server segment carrying `payload` at stream offset `offset` of the server's stream,
    /// the next sequence number left as it is.
    ///
    /// # Panics
    ///
    /// As [`Connection::data`].
    pub fn reply_at(&self, offset: u32, payload: &[u8]) -> Vec<u8> {
        let seq = self.server_isn.wrapping_add(1).wrapping_add(offset);
        self.build(false, seq, Flags { ack: true, psh: true, ..Flags::default() }, payload)
    }

    /// The client's FIN.
    pub fn fin(&mut self) -> Vec<u8> {
        let p = self.build(true, self.client_seq, Flags { fin: true, ack: true, ..Flags::default() }, &[]);
        self.client_seq = self.client_seq.wrapping_add(1);
        p
    }

    /// The server's FIN.
    pub fn server_fin(&mut self) -> Vec<u8> {
        let p = self.build(false, self.server_seq, Flags { fin: true, ack: true, ..Flags::default() }, &[]);
        self.server_seq = self.server_seq.wrapping_add(1);
        p
    }

    /// A client ACK without data.
    pub fn ack(&self) -> Vec<u8> {
        self.build(true, self.client_seq, Flags { ack: true, ..Flags::default() }, &[])
    }

    /// The client's RST.
    pub fn rst(&self) -> Vec<u8> {
        self.build(true, self.client_seq, Flags { rst: true, ..Flags::default() }, &[])
    }

    fn build(&self, from_client: bool, seq: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
        let (src, dst, ack) = if from_client {
            (self.client, self.server, self.server_seq)
        } else {
            (self.server, self.client, self.client_seq)
        };
        let ip = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
            (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
            _ => panic!("both ends of a connection are IPv4 or both IPv6"),
        };
        let mut tcp = ip.tcp(src.port(), dst.port(), seq, 65_535);
        if flags.syn {
            tcp = tcp.syn();
        }
        if flags.ack {
            tcp = tcp.ack(ack);
        }
        if flags.psh {
            tcp = tcp.psh();
        }
        if flags.fin {
            tcp = tcp.fin();
        }
        if flags.rst {
            tcp = tcp.rst();
        }
        let mut out = Vec::with_capacity(tcp.size(payload.len()));
        tcp.write(&mut out, payload).expect("a payload that fits one IP packet");
        out
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    syn: bool,
    ack: bool,
    psh: bool,
    fin: bool,
    rst: bool,
}

/// Writes one whole connection carrying `stream` from client to server: the handshake, the
/// stream in segments of at most `mss` bytes (an `mss` of 0 counts as 1), both FINs.
pub fn connection(w: &mut Writer, conn: &mut Connection, stream: &[u8], mss: usize) {
    let mut one = [(conn.clone(), stream)];
    interleaved(w, &mut one, mss);
    *conn = one[0].0.clone();
}

/// Writes whole connections, each carrying its stream from client to server, their segments
/// taken in turn (one segment of each connection, then the next of each): the handshakes,
/// the streams in segments of at most `mss` bytes (an `mss` of 0 counts as 1), both FINs of
/// each.
pub fn interleaved(w: &mut Writer, conns: &mut [(Connection, &[u8])], mss: usize) {
    let mss = mss.max(1);
    for (conn, _) in conns.iter_mut() {
        w.packet(&conn.syn());
        w.packet(&conn.syn_ack());
        w.packet(&conn.ack());
    }
    let mut at = 0;
    loop {
        let mut sent = false;
        for (conn, stream) in conns.iter_mut() {
            if at < stream.len() {
                let end = (at + mss).min(stream.len());
                w.packet(&conn.data(&stream[at..end]));
                sent = true;
            }
        }
        if !sent {
            break;
        }
        at += mss;
    }
    for (conn, _) in conns.iter_mut() {
        w.packet(&conn.fin());
        w.packet(&conn.server_fin());
    }
}
