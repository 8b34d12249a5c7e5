//! From a packet's bytes to its TCP segment: the link layer (Ethernet with VLAN tags, Linux
//! cooked SLL and SLL2, BSD loopback, raw IP), then IPv4 or IPv6 and TCP, read by etherparse
//! leniently, so that a packet the capture cut short still gives the bytes it kept.
//!
//! ```text
//! LINKTYPE_NULL       0    4-byte address family, the writer's byte order (2: IPv4; 24, 28, 30: IPv6)
//! LINKTYPE_ETHERNET   1    Ethernet II, 802.1Q/802.1ad tags
//! LINKTYPE_RAW      101    IPv4 or IPv6, told by the version nibble (also 12 and 14 on some BSDs)
//! LINKTYPE_LOOP     108    as NULL, network byte order
//! LINKTYPE_LINUX_SLL 113   16-byte header, protocol at 14..16
//! LINKTYPE_IPV4     228, LINKTYPE_IPV6 229
//! LINKTYPE_LINUX_SLL2 276  20-byte header, protocol at 0..2
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::file::LinkType;

/// A TCP segment as the capture holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The sender.
    pub src: SocketAddr,
    /// The receiver.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (of the SYN or FIN, when they carry none).
    pub seq: u32,
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The payload bytes captured.
    pub payload: &'a [u8],
    /// Payload bytes the capture did not keep (it cut the packet at its snapshot length).
    pub missing: u32,
}

/// Why a packet gives no TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// A link type this crate does not read.
    Link(LinkType),
    /// Not IPv4 or IPv6 (ARP, LLDP, ...).
    NotIp,
    /// IP, but not TCP (UDP, ICMP, ...).
    NotTcp,
    /// An IP fragment: fragments are not reassembled.
    Fragment,
    /// Headers cut short or inconsistent.
    Malformed,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Link(LinkType(n)) => write!(f, "link type {n}, not read"),
            Skip::NotIp => f.write_str("not IP"),
            Skip::NotTcp => f.write_str("not TCP"),
            Skip::Fragment => f.write_str("IP fragments, not reassembled"),
            Skip::Malformed => f.write_str("headers cut short or malformed"),
        }
    }
}

/// The TCP segment in a packet of link type `link`.
pub fn segment(link: LinkType, data: &[u8]) -> Result<Segment<'_>, Skip> {
    let sliced = match link.0 {
        0 | 108 => {
            let family = data.get(..4).ok_or(Skip::Malformed)?;
            let family = [family[0], family[1], family[2], family[3]];
            // NULL is in the writer's byte order; the family is small, so the order shows.
            let family = if link.0 == 108 || u32::from_le_bytes(family) > 0xffff {
                u32::from_be_bytes(family)
            } else {
                u32::from_le_bytes(family)
            };
            let ether_type = match family {
                2 => EtherType::IPV4,
                24 | 28 | 30 => EtherType::IPV6,
                _ => return Err(Skip::NotIp),
            };
            LaxSlicedPacket::from_ether_type(ether_type, &data[4..])
        }
        1 => LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::Malformed)?,
        12 | 14 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(data).map_err(|_| Skip::Malformed)?,
        113 => {
            let protocol = data.get(14..16).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([protocol[0], protocol[1]])), &data[16..])
        }
        276 => {
            let protocol = data.get(..2).ok_or(Skip::Malformed)?;
            let rest = data.get(20..).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([protocol[0], protocol[1]])), rest)
        }
        _ => return Err(Skip::Link(link)),
    };
    tcp(&sliced)
}

fn tcp<'a>(sliced: &LaxSlicedPacket<'a>) -> Result<Segment<'a>, Skip> {
    let (src, dst, missing, fragmented) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let header = ip.header();
            let exts = ip.extensions().auth.map_or(0, |auth| auth.slice().len());
            let used = header.slice().len() + exts + ip.payload().payload.len();
            let missing =
                if ip.payload().incomplete { usize::from(header.total_len()).saturating_sub(used) } else { 0 };
            let fragmented = ip.is_payload_fragmented();
            (IpAddr::V4(header.source_addr()), IpAddr::V4(header.destination_addr()), missing, fragmented)
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let header = ip.header();
            let used = ip.extensions().slice().len() + ip.payload().payload.len();
            let missing =
                if ip.payload().incomplete { usize::from(header.payload_length()).saturating_sub(used) } else { 0 };
            let fragmented = ip.is_payload_fragmented();
            (IpAddr::V6(header.source_addr()), IpAddr::V6(header.destination_addr()), missing, fragmented)
        }
        Some(LaxNetSlice::Arp(_)) | None if sliced.stop_err.is_none() => return Err(Skip::NotIp),
        Some(LaxNetSlice::Arp(_)) | None => return Err(Skip::Malformed),
    };
    if fragmented {
        return Err(Skip::Fragment);
    }
    let tcp = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => tcp,
        Some(_) => return Err(Skip::NotTcp),
        None => {
            let ip_number = sliced.net.as_ref().and_then(|net| net.ip_payload_ref()).map(|p| p.ip_number);
            return Err(if ip_number == Some(etherparse::IpNumber::TCP) { Skip::Malformed } else { Skip::NotTcp });
        }
    };
    Ok(Segment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
        missing: u32::try_from(missing).unwrap_or(u32::MAX),
    })
}
