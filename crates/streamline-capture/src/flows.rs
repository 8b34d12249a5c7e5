//! The flow table: TCP segments of many interleaved connections in, one ordered byte stream
//! per connection and direction out, as [`Event`]s.
//!
//! A flow is a 4-tuple. Its client is the side that sent the SYN; when the capture holds no
//! SYN (it started mid-stream), the side whose port is higher (a connection to a server's
//! port, 80 or 8080, from an ephemeral one), the first sender when the ports are equal. A
//! flow opens at a SYN or at the first segment with payload, and closes when both FINs are
//! reached, at a RST, when it is evicted to make room (the table holds at most
//! [`Limits::max_flows`], and the flow idle longest goes), or at the end of the capture.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use crate::file::Packet;
use crate::link::{self, Segment, Skip};
use crate::reassembly::{Chunk, GapKind, Half, HalfStats};
use crate::Limits;

/// A connection's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// The side that opened it (or the higher port, see the module docs).
    pub client: SocketAddr,
    /// The other side.
    pub server: SocketAddr,
}

/// A flow's number: flows are numbered from 1 in the order they open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// The two directions of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client: the requests.
    ClientToServer,
    /// From the server: the responses.
    ServerToClient,
}

/// Which directions' bytes are reassembled and handed out. The others are followed only for
/// their FIN (which closes the flow), so they cost no memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Directions {
    /// Client to server only: the requests.
    #[default]
    ClientToServer,
    /// Both.
    Both,
}

/// Why a flow closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// Both sides' FINs were reached.
    Fin,
    /// A RST.
    Reset,
    /// The table was full ([`Limits::max_flows`]) and this flow was the one idle longest.
    Evicted,
    /// The capture ended with the flow still open.
    EndOfCapture,
}

/// What a flow saw, per direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Packets of the flow.
    pub packets: u64,
    /// Client to server.
    pub client: HalfStats,
    /// Server to client.
    pub server: HalfStats,
}

/// What the tracker hands out, in capture order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A flow begins.
    Open {
        /// Its number.
        flow: FlowId,
        /// Its endpoints.
        key: FlowKey,
        /// The packet that opened it.
        packet: u64,
        /// No SYN was seen: the capture started inside the connection, and the stream is
        /// handed out from the first byte the capture holds.
        mid_stream: bool,
    },
    /// The next bytes of one direction's stream, in order.
    Data {
        /// The flow.
        flow: FlowId,
        /// Which direction.
        direction: Direction,
        /// Stream offset of the first byte (from the first byte after the SYN).
        offset: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// Missing bytes: the stream goes on after them, at `offset + len`.
    Gap {
        /// The flow.
        flow: FlowId,
        /// Which direction.
        direction: Direction,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Bytes missing.
        len: u64,
        /// Why.
        kind: GapKind,
        /// The packet being read when it was found.
        packet: u64,
    },
    /// A flow ends; nothing more comes for it.
    Close {
        /// The flow.
        flow: FlowId,
        /// Its endpoints.
        key: FlowKey,
        /// Why.
        reason: CloseReason,
        /// What it saw.
        stats: FlowStats,
        /// The packet being read (the last of the capture at its end).
        packet: u64,
    },
}

/// What the whole capture held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets read.
    pub packets: u64,
    /// TCP segments among them.
    pub segments: u64,
    /// Packets without a TCP segment, by reason.
    pub skipped: BTreeMap<Skip, u64>,
    /// Segments of no open flow that cannot open one (a lone ACK, FIN or RST).
    pub strays: u64,
    /// Flows opened.
    pub flows: u64,
    /// Flows evicted to make room.
    pub evicted: u64,
}

struct Flow {
    id: FlowId,
    key: FlowKey,
    client: Half,
    server: Half,
    packets: u64,
    /// Packet number of its last segment, for eviction.
    last: u64,
}

impl Flow {
    fn stats(&self) -> FlowStats {
        FlowStats { packets: self.packets, client: self.client.stats, server: self.server.stats }
    }
}

/// The flow table, sans-IO: packets in, events out.
pub struct Tracker {
    limits: Limits,
    directions: Directions,
    /// Flows by their endpoints, lower address first.
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    /// The same flows by when they were last seen (packet number, then id), so the one idle
    /// longest is found without a scan: with a large `max_flows`, a scan per new flow made
    /// a capture of many connections quadratic.
    idle: BTreeMap<(u64, FlowId), (SocketAddr, SocketAddr)>,
    next_id: u64,
    stats: CaptureStats,
    /// The last packet number seen.
    packet: u64,
}

impl Tracker {
    /// An empty table.
    pub fn new(limits: Limits, directions: Directions) -> Tracker {
        Tracker {
            limits,
            directions,
            flows: HashMap::new(),
            idle: BTreeMap::new(),
            next_id: 1,
            stats: CaptureStats::default(),
            packet: 0,
        }
    }

    /// What the capture held so far.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Flows open now.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Bytes waiting out of order, over all flows (as the budget counts them).
    pub fn buffered(&self) -> usize {
        self.flows.values().map(|f| f.client.pending_cost() + f.server.pending_cost()).sum()
    }

    /// Reads one packet and hands out what it makes known.
    pub fn packet(&mut self, packet: &Packet<'_>, out: &mut impl FnMut(Event<'_>)) {
        self.stats.packets += 1;
        self.packet = packet.number;
        match link::segment(packet.link, packet.data) {
            Ok(segment) => {
                self.stats.segments += 1;
                self.segment(&segment, out);
            }
            Err(skip) => *self.stats.skipped.entry(skip).or_default() += 1,
        }
    }

    /// Reads one TCP segment.
    pub fn segment(&mut self, s: &Segment<'_>, out: &mut impl FnMut(Event<'_>)) {
        let table_key = if s.src <= s.dst { (s.src, s.dst) } else { (s.dst, s.src) };
        if !self.flows.contains_key(&table_key) {
            let opens = (s.syn && !s.rst) || !s.payload.is_empty() || s.missing > 0;
            if !opens {
                self.stats.strays += 1;
                return;
            }
            self.open(table_key, s, out);
        }
        let (budget, packet) = (self.limits.max_out_of_order, self.packet);
        let track_server = self.directions == Directions::Both;
        let Some(flow) = self.flows.get_mut(&table_key) else { return };
        flow.packets += 1;
        if flow.last != packet {
            self.idle.remove(&(flow.last, flow.id));
            self.idle.insert((packet, flow.id), table_key);
            flow.last = packet;
        }
        let from_client = s.src == flow.key.client;
        let (id, half, direction, track) = if from_client {
            (flow.id, &mut flow.client, Direction::ClientToServer, true)
        } else {
            (flow.id, &mut flow.server, Direction::ServerToClient, track_server)
        };
        if !s.rst {
            half.segment(s.seq, s.syn, s.fin, s.payload, s.missing, budget, track, &mut |chunk| {
                out(event(id, direction, chunk, packet))
            });
        }
        let done = s.rst || (flow.client.finished() && flow.server.finished());
        if done {
            let reason = if s.rst { CloseReason::Reset } else { CloseReason::Fin };
            if let Some(flow) = self.flows.remove(&table_key) {
                self.idle.remove(&(flow.last, flow.id));
                self.close(flow, reason, out);
            }
        }
    }

    fn open(&mut self, table_key: (SocketAddr, SocketAddr), s: &Segment<'_>, out: &mut impl FnMut(Event<'_>)) {
        if self.flows.len() >= self.limits.max_flows.max(1) {
            let oldest = self.idle.pop_first().map(|(_, k)| k);
            if let Some(flow) = oldest.and_then(|k| self.flows.remove(&k)) {
                self.stats.evicted += 1;
                self.close(flow, CloseReason::Evicted, out);
            }
        }
        let sender_is_client = if s.syn {
            !s.ack
        } else {
            s.src.port() > s.dst.port() || (s.src.port() == s.dst.port() && s.src <= s.dst)
        };
        let key = if sender_is_client {
            FlowKey { client: s.src, server: s.dst }
        } else {
            FlowKey { client: s.dst, server: s.src }
        };
        let id = FlowId(self.next_id);
        self.next_id += 1;
        self.stats.flows += 1;
        out(Event::Open { flow: id, key, packet: self.packet, mid_stream: !s.syn });
        let flow = Flow { id, key, client: Half::default(), server: Half::default(), packets: 0, last: self.packet };
        self.idle.insert((flow.last, id), table_key);
        self.flows.insert(table_key, flow);
        debug_assert_eq!(self.idle.len(), self.flows.len(), "every open flow is in the idle order once");
    }

    fn close(&mut self, mut flow: Flow, reason: CloseReason, out: &mut impl FnMut(Event<'_>)) {
        let (id, packet) = (flow.id, self.packet);
        flow.client.finish(&mut |chunk| out(event(id, Direction::ClientToServer, chunk, packet)));
        if self.directions == Directions::Both {
            flow.server.finish(&mut |chunk| out(event(id, Direction::ServerToClient, chunk, packet)));
        }
        out(Event::Close { flow: flow.id, key: flow.key, reason, stats: flow.stats(), packet });
    }

    /// The capture has ended: closes every open flow, in the order they opened.
    pub fn finish(&mut self, out: &mut impl FnMut(Event<'_>)) {
        self.idle.clear();
        let mut flows: Vec<Flow> = self.flows.drain().map(|(_, f)| f).collect();
        flows.sort_by_key(|f| f.id);
        for flow in flows {
            self.close(flow, CloseReason::EndOfCapture, out);
        }
    }
}

fn event(flow: FlowId, direction: Direction, chunk: Chunk<'_>, packet: u64) -> Event<'_> {
    match chunk {
        Chunk::Data(offset, data) => Event::Data { flow, direction, offset, data },
        Chunk::Gap(offset, len, kind) => Event::Gap { flow, direction, offset, len, kind, packet },
    }
}
