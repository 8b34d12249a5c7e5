//! Crafted captures with a known ground truth, one per case the reassembler must handle: every
//! link type, both IP versions, both file formats and their variants, reordering,
//! retransmission, overlap with a conflict, a lost segment, a cut-short segment, sequence
//! wrap-around, a connection that starts mid-stream, the bounds, and malformed files.

use std::collections::BTreeMap;

use streamline_capture::craft::{Connection, Link, PcapOptions, Writer};
use streamline_capture::{
    Capture, CloseReason, Direction, Directions, ErrorKind, Event, FileReader, FlowKey, GapKind, Limits, Skip,
};

/// One flow as the events told it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Flow {
    key: Option<FlowKey>,
    mid_stream: bool,
    client: Vec<u8>,
    server: Vec<u8>,
    /// (direction, offset, len, kind)
    gaps: Vec<(Direction, u64, u64, GapKind)>,
    close: Option<CloseReason>,
    conflicts: u64,
    retransmitted: u64,
    out_of_order: u64,
}

struct Run {
    flows: BTreeMap<u64, Flow>,
    result: Result<(), streamline_capture::Error>,
    stats: streamline_capture::CaptureStats,
}

fn run_with(bytes: &[u8], limits: Limits, directions: Directions) -> Run {
    let mut flows: BTreeMap<u64, Flow> = BTreeMap::new();
    let mut capture = Capture::new(bytes, limits, directions);
    let result = capture.run(&mut |event| match event {
        Event::Open { flow, key, mid_stream, .. } => {
            let f = flows.entry(flow.0).or_default();
            assert!(f.key.is_none(), "opened twice");
            (f.key, f.mid_stream) = (Some(key), mid_stream);
        }
        Event::Data { flow, direction, offset, data } => {
            let f = flows.get_mut(&flow.0).expect("opened first");
            let stream = if direction == Direction::ClientToServer { &mut f.client } else { &mut f.server };
            let gap_bytes: u64 = f.gaps.iter().filter(|g| g.0 == direction).map(|g| g.2).sum();
            assert_eq!(offset, stream.len() as u64 + gap_bytes, "data comes in order");
            stream.extend_from_slice(data);
        }
        Event::Gap { flow, direction, offset, len, kind, .. } => {
            flows.get_mut(&flow.0).expect("opened first").gaps.push((direction, offset, len, kind));
        }
        Event::Close { flow, reason, stats, .. } => {
            let f = flows.get_mut(&flow.0).expect("opened first");
            assert!(f.close.is_none(), "closed twice");
            f.close = Some(reason);
            f.conflicts = stats.client.conflicts + stats.server.conflicts;
            f.retransmitted = stats.client.retransmitted + stats.server.retransmitted;
            f.out_of_order = stats.client.out_of_order + stats.server.out_of_order;
        }
    });
    for f in flows.values() {
        assert!(f.close.is_some(), "every flow is closed at the end");
    }
    Run { flows, result, stats: capture.stats().clone() }
}

fn run(bytes: &[u8]) -> Run {
    run_with(bytes, Limits::default(), Directions::Both)
}

fn only(run: &Run) -> &Flow {
    assert_eq!(run.flows.len(), 1, "{:#?}", run.flows);
    run.flows.values().next().unwrap()
}

const REQUEST: &[u8] = b"POST /receiver HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";

fn v4() -> Connection {
    Connection::ipv4([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80, 1000)
}

fn v6() -> Connection {
    let mut a = [0u8; 16];
    a[15] = 1;
    let mut b = [0u8; 16];
    b[0] = 0xfd;
    b[15] = 2;
    Connection::ipv6(a, 40000, b, 8080, 77)
}

/// A whole exchange: handshake, the request in three segments, a reply, both FINs.
fn exchange(w: &mut Writer, conn: &mut Connection) {
    w.packet(&conn.syn());
    w.packet(&conn.syn_ack());
    w.packet(&conn.ack());
    for piece in REQUEST.chunks(25) {
        w.packet(&conn.data(piece));
    }
    w.packet(&conn.reply(b"HTTP/1.1 204 No Content\r\n\r\n"));
    w.packet(&conn.fin());
    w.packet(&conn.server_fin());
}

#[test]
fn every_link_type_and_ip_version() {
    for link in Link::ALL {
        for mut conn in [v4(), v6()] {
            let v6 = conn.client.is_ipv6();
            if (link == Link::Ipv4 && v6) || (link == Link::Ipv6 && !v6) {
                continue;
            }
            let mut w = Writer::pcap(link);
            exchange(&mut w, &mut conn);
            let run = run(w.bytes());
            run.result.as_ref().unwrap();
            let flow = only(&run);
            assert_eq!(flow.client, REQUEST, "{link:?} v6 {v6}");
            assert_eq!(flow.server, b"HTTP/1.1 204 No Content\r\n\r\n");
            assert_eq!(flow.key, Some(FlowKey { client: conn.client, server: conn.server }));
            assert_eq!((flow.close, flow.mid_stream), (Some(CloseReason::Fin), false));
            assert!(flow.gaps.is_empty());
        }
    }
}

#[test]
fn pcap_byte_orders_and_resolutions() {
    for big_endian in [false, true] {
        for nanoseconds in [false, true] {
            let mut w = Writer::pcap_with(Link::Ethernet, PcapOptions { big_endian, nanoseconds, snaplen: 65535 });
            exchange(&mut w, &mut v4());
            let run = run(w.bytes());
            run.result.as_ref().unwrap();
            assert_eq!(only(&run).client, REQUEST);
            let mut reader = FileReader::new(Limits::default());
            let bytes = w.bytes();
            let (used, _) = reader.next(bytes, true).unwrap();
            let (_, packet) = reader.next(&bytes[used..], true).unwrap();
            let packet = packet.unwrap();
            assert_eq!(packet.timestamp_ns, 1_700_000_000_000_000_000);
            assert_eq!(
                reader.format(),
                Some(streamline_capture::Format::Pcap { big_endian, nanoseconds }),
                "{big_endian} {nanoseconds}"
            );
        }
    }
}

#[test]
fn pcapng_interfaces_with_their_own_link_type_and_resolution() {
    let mut w = Writer::pcapng();
    let eth = w.interface(Link::Ethernet, 6, 0);
    let sll = w.interface(Link::Sll2, 9, 0);
    let raw = w.interface(Link::Raw, 3, 262_144);
    w.other_block();
    let (mut a, mut b, mut c) = (v4(), v6(), Connection::ipv4([1, 1, 1, 1], 5000, [2, 2, 2, 2], 80, u32::MAX - 3));
    for (id, conn) in [(eth, &mut a), (sll, &mut b), (raw, &mut c)] {
        w.packet_on(id, &conn.syn());
    }
    for piece in REQUEST.chunks(10) {
        w.packet_on(eth, &a.data(piece));
        w.packet_on(sll, &b.data(piece));
        w.packet_on(raw, &c.data(piece));
    }
    let run = run(w.bytes());
    run.result.as_ref().unwrap();
    assert_eq!(run.flows.len(), 3);
    for flow in run.flows.values() {
        assert_eq!(flow.client, REQUEST);
        assert_eq!(flow.close, Some(CloseReason::EndOfCapture));
    }
    // Timestamps in each interface's units: all within a few ms of the writer's epoch.
    let bytes = w.bytes();
    let mut reader = FileReader::new(Limits::default());
    let mut at = 0;
    let mut times = Vec::new();
    loop {
        let (used, packet) = reader.next(&bytes[at..], true).unwrap();
        if used == 0 {
            break;
        }
        at += used;
        if let Some(p) = packet {
            times.push((p.link.0, p.timestamp_ns));
        }
    }
    assert_eq!(times.len(), 3 + 3 * REQUEST.len().div_ceil(10));
    assert_eq!(times[0], (1, 1_700_000_000_000_000_000));
    assert_eq!(times[1], (276, 1_700_000_000_001_000_123), "nanosecond interface keeps every digit");
    assert_eq!(times[2], (101, 1_700_000_000_002_000_000), "millisecond interface rounds down");
}

#[test]
fn big_endian_pcapng() {
    let mut w = Writer::pcapng_with(true);
    assert_eq!(&w.bytes()[8..12], &[0x1a, 0x2b, 0x3c, 0x4d]);
    let eth = w.interface(Link::Ethernet, 9, 0);
    w.other_block();
    let mut conn = v6();
    w.packet_on(eth, &conn.syn());
    for piece in REQUEST.chunks(9) {
        w.packet_on(eth, &conn.data(piece));
    }
    let run = run(w.bytes());
    run.result.as_ref().unwrap();
    assert_eq!(only(&run).client, REQUEST);
    let mut reader = FileReader::new(Limits::default());
    let bytes = w.bytes();
    let mut at = 0;
    let first = loop {
        let (used, packet) = reader.next(&bytes[at..], true).unwrap();
        at += used;
        if let Some(p) = packet {
            break p;
        }
    };
    assert_eq!((first.link.0, first.timestamp_ns), (1, 1_700_000_000_000_000_000));
}

#[test]
fn out_of_order_segments_come_out_in_order() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    let pieces: Vec<&[u8]> = REQUEST.chunks(7).collect();
    let mut offsets = Vec::new();
    let mut at = 0u32;
    for p in &pieces {
        offsets.push(at);
        at += p.len() as u32;
    }
    // Send in the order 3, 1, 0, 2, 5, 4, 6, 7, ...
    let order = [3usize, 1, 0, 2, 5, 4];
    for &i in &order {
        w.packet(&conn.data_at(offsets[i], pieces[i]));
    }
    for i in order.len()..pieces.len() {
        w.packet(&conn.data_at(offsets[i], pieces[i]));
    }
    let run = run(w.bytes());
    let flow = only(&run);
    assert_eq!(flow.client, REQUEST);
    assert!(flow.gaps.is_empty());
    assert_eq!(flow.out_of_order, 3);
}

#[test]
fn retransmissions_and_overlaps_keep_the_first_copy() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    w.packet(&conn.data_at(10, b"KLMNOP")); // ahead: waits
    w.packet(&conn.data_at(12, b"mnopQR")); // overlaps the waiting one, differs on "mnop": conflict
    w.packet(&conn.data_at(0, b"ABCDEFGHIJ")); // fills the hole
    w.packet(&conn.data_at(0, b"ABCDEFGHIJ")); // a plain retransmission of delivered bytes
    w.packet(&conn.data_at(18, b"ST"));
    let run = run(w.bytes());
    let flow = only(&run);
    assert_eq!(flow.client, b"ABCDEFGHIJKLMNOPQRST");
    assert_eq!(flow.conflicts, 1);
    assert_eq!(flow.retransmitted, 4 + 10);
    assert!(flow.gaps.is_empty());
}

#[test]
fn a_lost_segment_is_a_gap_and_the_stream_goes_on() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    w.packet(&conn.data(b"first "));
    conn.skip(7); // "second " never captured
    w.packet(&conn.data(b"third"));
    w.packet(&conn.fin());
    let run = run(w.bytes());
    let flow = only(&run);
    assert_eq!(flow.client, b"first third");
    assert_eq!(flow.gaps, [(Direction::ClientToServer, 6, 7, GapKind::Lost)]);
    assert_eq!(flow.close, Some(CloseReason::EndOfCapture), "the server never sent its FIN");
}

#[test]
fn snaplen_cut_segments_are_reported_where_they_are() {
    // Ethernet 14 + IPv4 20 + TCP 20 = 54 header bytes; keep 10 bytes of payload.
    let mut w = Writer::pcap_with(Link::Ethernet, PcapOptions { snaplen: 64, ..PcapOptions::default() });
    let mut conn = v4();
    w.packet(&conn.syn());
    w.packet(&conn.data(b"0123456789ABCDEFGHIJ"));
    w.packet(&conn.data(b"short"));
    w.packet(&conn.data(b"abcdefghijklmnop"));
    let run = run(w.bytes());
    let flow = only(&run);
    assert_eq!(flow.client, b"0123456789shortabcdefghij");
    assert_eq!(
        flow.gaps,
        [
            (Direction::ClientToServer, 10, 10, GapKind::Truncated),
            (Direction::ClientToServer, 35, 6, GapKind::Truncated)
        ]
    );
}

#[test]
fn a_cut_segment_that_waits_out_of_order_is_reported_in_place() {
    let mut w = Writer::pcap_with(Link::Raw, PcapOptions { snaplen: 44, ..PcapOptions::default() });
    let mut conn = v4();
    w.packet(&conn.syn());
    w.packet(&conn.data_at(4, b"456789xyz")); // 4 kept, 5 cut, waits
    w.packet(&conn.data_at(0, b"0123"));
    w.packet(&conn.data_at(13, b"DONE"));
    let flow = only(&run(w.bytes())).clone();
    assert_eq!(flow.client, b"01234567DONE");
    assert_eq!(flow.gaps, [(Direction::ClientToServer, 8, 5, GapKind::Truncated)]);
}

#[test]
fn sequence_numbers_wrap() {
    for isn in [u32::MAX, u32::MAX - 10, u32::MAX - 30, 0x7fff_fff0] {
        let mut conn = Connection::ipv4([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80, isn);
        let mut w = Writer::pcap(Link::Ethernet);
        w.packet(&conn.syn());
        let pieces: Vec<&[u8]> = REQUEST.chunks(9).collect();
        // The second piece after the third, across the wrap.
        w.packet(&conn.data_at(0, pieces[0]));
        w.packet(&conn.data_at(18, pieces[2]));
        w.packet(&conn.data_at(9, pieces[1]));
        for (i, p) in pieces.iter().enumerate().skip(3) {
            w.packet(&conn.data_at(9 * i as u32, p));
        }
        assert_eq!(only(&run(w.bytes())).client, REQUEST, "isn {isn}");
    }
}

#[test]
fn a_stream_longer_than_the_sequence_space() {
    // 5 GiB would take too long; a long stream's offsets are checked through the wrap instead:
    // 70,000 segments of 64 KiB - 1 bytes pass 2^32.
    let conn = v4();
    let mut tracker = streamline_capture::Tracker::new(Limits::default(), Directions::ClientToServer);
    let payload = vec![b'x'; 65_000];
    let mut total = 0u64;
    let mut last_offset = 0;
    let mut seq = u32::MAX - 100;
    for _ in 0..70_000 {
        let segment = streamline_capture::Segment {
            src: conn.client,
            dst: conn.server,
            seq,
            syn: false,
            ack: true,
            fin: false,
            rst: false,
            payload: &payload,
            missing: 0,
        };
        seq = seq.wrapping_add(payload.len() as u32);
        tracker.segment(&segment, &mut |e| {
            if let Event::Data { offset, data, .. } = e {
                assert_eq!(offset, total);
                total += data.len() as u64;
                last_offset = offset;
            }
        });
    }
    assert_eq!(total, 70_000 * 65_000);
    assert!(last_offset > u64::from(u32::MAX));
}

#[test]
fn a_capture_that_starts_mid_stream() {
    let mut conn = Connection::ipv4([10, 0, 0, 9], 80, [10, 0, 0, 1], 51234, 5);
    // No SYN; the first packet is from the server (port 51234 talks to 80? no: 80 is lower,
    // so 10.0.0.9:80 is the server whatever sent first).
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.reply(b"HTTP/1.1 200 OK\r\n"));
    w.packet(&conn.data(b"GET /next HTTP/1.1\r\n\r\n"));
    let run = run(w.bytes());
    let flow = only(&run);
    assert!(flow.mid_stream);
    let key = flow.key.unwrap();
    assert_eq!(key.server.port(), 80, "the lower port is the server's");
    // The crafted "client" here is the server: what it sent is the server's stream.
    assert_eq!(flow.server, b"GET /next HTTP/1.1\r\n\r\n");
    assert_eq!(flow.client, b"HTTP/1.1 200 OK\r\n");
}

#[test]
fn rst_closes_and_gaps_are_declared() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    w.packet(&conn.data_at(0, b"abc"));
    w.packet(&conn.data_at(5, b"fgh"));
    conn.skip(8);
    w.packet(&conn.rst());
    let run = run(w.bytes());
    let flow = only(&run);
    assert_eq!(flow.close, Some(CloseReason::Reset));
    assert_eq!(flow.client, b"abcfgh");
    assert_eq!(flow.gaps, [(Direction::ClientToServer, 3, 2, GapKind::Lost)]);
}

#[test]
fn interleaved_flows_and_reuse_of_a_closed_tuple() {
    let mut w = Writer::pcap(Link::Sll);
    let mut conns: Vec<Connection> =
        (0..5).map(|i| Connection::ipv4([127, 0, 0, 1], 50000 + i, [127, 0, 0, 1], 8000, 1 + u32::from(i))).collect();
    for c in &mut conns {
        w.packet(&c.syn());
    }
    for piece in REQUEST.chunks(4) {
        for c in conns.iter_mut().rev() {
            w.packet(&c.data(piece));
        }
    }
    for c in &mut conns {
        w.packet(&c.fin());
        w.packet(&c.server_fin());
    }
    // The first tuple again: a new connection.
    let mut again = Connection::ipv4([127, 0, 0, 1], 50000, [127, 0, 0, 1], 8000, 99);
    w.packet(&again.syn());
    w.packet(&again.data(b"again"));
    let run = run(w.bytes());
    assert_eq!(run.flows.len(), 6);
    for (i, flow) in run.flows.values().enumerate() {
        let want: &[u8] = if i < 5 { REQUEST } else { b"again" };
        assert_eq!(flow.client, want);
        assert_eq!(flow.close, Some(if i < 5 { CloseReason::Fin } else { CloseReason::EndOfCapture }));
    }
}

#[test]
fn out_of_order_budget_bounds_what_waits() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    conn.skip(100); // a hole that never fills
    let block = vec![b'z'; 1000];
    for _ in 0..50 {
        w.packet(&conn.data(&block));
    }
    let limits = Limits::default().max_out_of_order(4096);
    let mut most = 0;
    let mut capture = Capture::new(w.bytes(), limits, Directions::ClientToServer);
    let mut stream = 0u64;
    let mut gaps = Vec::new();
    while capture
        .step(&mut |e| match e {
            Event::Data { data, .. } => stream += data.len() as u64,
            Event::Gap { offset, len, .. } => gaps.push((offset, len)),
            _ => {}
        })
        .unwrap()
    {
        most = most.max(capture.tracker().buffered());
    }
    assert!(most <= 4096, "{most}");
    assert_eq!(gaps, [(0, 100)], "given up as lost once the budget is reached");
    assert_eq!(stream, 50_000);
    // A budget of 0: nothing ever waits.
    let run = run_with(w.bytes(), Limits::default().max_out_of_order(0), Directions::ClientToServer);
    assert_eq!(only(&run).client.len(), 50_000);
}

/// A segment that fills many holes at once is stored as many pieces: what waits stays within
/// the budget all the same (the oldest hole is given up, as for any segment over it).
#[test]
fn a_segment_filling_many_holes_stays_within_the_budget() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    // One byte at every even offset from 2 to 120, offset 0 never sent: 60 pieces, 65 each.
    for offset in (2..=120).step_by(2) {
        w.packet(&conn.data_at(offset, b"x"));
    }
    // Then bytes 1 to 120 in one segment: a piece for each odd hole it fills.
    w.packet(&conn.data_at(1, &[b'y'; 120]));
    let budget = 4096;
    let mut capture = Capture::new(w.bytes(), Limits::default().max_out_of_order(budget), Directions::ClientToServer);
    let mut most = 0;
    while capture.step(&mut |_| {}).unwrap() {
        most = most.max(capture.tracker().buffered());
    }
    assert!(most <= budget, "{most} bytes waited against a budget of {budget}");
}

/// An old copy of bytes already handed out, arriving while others wait, takes no room and so
/// gives up no hole: the hole fills when its bytes come.
#[test]
fn an_old_copy_gives_up_no_hole() {
    let mut conn = v4();
    let mut w = Writer::pcap(Link::Ethernet);
    w.packet(&conn.syn());
    w.packet(&conn.data_at(0, b"hello"));
    w.packet(&conn.data_at(10, b"world"));
    w.packet(&conn.data_at(0, b"hello"));
    w.packet(&conn.data_at(5, b" and "));
    // Room for the waiting segment and no more.
    let run = run_with(w.bytes(), Limits::default().max_out_of_order(64 + 5), Directions::ClientToServer);
    let flow = only(&run);
    assert_eq!(flow.gaps, []);
    assert_eq!(flow.client, b"hello and world");
}

#[test]
fn the_table_holds_at_most_max_flows() {
    let mut w = Writer::pcap(Link::Ethernet);
    let mut conns: Vec<Connection> =
        (0..10).map(|i| Connection::ipv4([10, 0, 0, 1], 40000 + i, [10, 0, 0, 2], 80, 1)).collect();
    for c in &mut conns {
        w.packet(&c.syn());
        w.packet(&c.data(b"x"));
    }
    let run = run_with(w.bytes(), Limits::default().max_flows(3), Directions::ClientToServer);
    assert_eq!(run.flows.len(), 10);
    let evicted = run.flows.values().filter(|f| f.close == Some(CloseReason::Evicted)).count();
    assert_eq!(evicted, 7);
    assert_eq!(run.stats.evicted, 7);
}

/// The flow evicted to make room is the one whose last segment is oldest, not the one opened
/// first; a flow closed by a RST leaves the table at once and makes room without evicting.
#[test]
fn the_flow_idle_longest_is_the_one_evicted() {
    let mut w = Writer::pcap(Link::Ethernet);
    let mut c: Vec<Connection> =
        (0..6).map(|i| Connection::ipv4([10, 0, 0, 1], 40000 + i, [10, 0, 0, 2], 80, 1)).collect();
    w.packet(&c[0].syn()); // flow 1
    w.packet(&c[1].syn()); // flow 2
    w.packet(&c[2].syn()); // flow 3
    w.packet(&c[0].data(b"a")); // flow 1 seen again: flow 2 is idle longest
    w.packet(&c[3].syn()); // flow 4: evicts flow 2
    w.packet(&c[2].data(b"c")); // flow 3 seen again: flow 1 is idle longest
    w.packet(&c[4].syn()); // flow 5: evicts flow 1
    w.packet(&c[3].rst()); // flow 4 closed by its RST: room for one
    w.packet(&c[5].syn()); // flow 6: evicts nothing
    let run = run_with(w.bytes(), Limits::default().max_flows(3), Directions::ClientToServer);
    let closes: Vec<(u64, CloseReason)> = run.flows.iter().map(|(id, f)| (*id, f.close.unwrap())).collect();
    use CloseReason::*;
    assert_eq!(
        closes,
        [(1, Evicted), (2, Evicted), (3, EndOfCapture), (4, Reset), (5, EndOfCapture), (6, EndOfCapture)]
    );
    assert_eq!(run.stats.evicted, 2);
    assert_eq!(run.flows[&1].client, b"a");
}

#[test]
fn not_tcp_is_skipped_and_counted() {
    let mut w = Writer::pcap(Link::Ethernet);
    let builder = etherparse::PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64).udp(53, 53);
    let mut udp = Vec::new();
    builder.write(&mut udp, b"dns?").unwrap();
    w.packet(&udp);
    exchange(&mut w, &mut v4());
    let run = run(w.bytes());
    assert_eq!(only(&run).client, REQUEST);
    assert_eq!(run.stats.skipped.get(&Skip::NotTcp), Some(&1));
}

#[test]
fn every_split_of_the_file_gives_the_same_packets() {
    let mut w = Writer::pcapng();
    w.interface(Link::Ethernet, 6, 0);
    exchange(&mut w, &mut v6());
    let bytes = w.bytes().to_vec();
    let whole: Vec<(u64, Vec<u8>)> = packets(&bytes, bytes.len());
    for piece in [1, 3, 7, 64] {
        assert_eq!(packets(&bytes, piece), whole, "pieces of {piece}");
    }
    let mut pcap = Writer::pcap_with(Link::Loop, PcapOptions { big_endian: true, ..PcapOptions::default() });
    exchange(&mut pcap, &mut v4());
    let bytes = pcap.bytes().to_vec();
    assert_eq!(packets(&bytes, 1), packets(&bytes, bytes.len()));
}

/// Packets (offset, data) read from `bytes` handed in `piece` bytes at a time.
fn packets(bytes: &[u8], piece: usize) -> Vec<(u64, Vec<u8>)> {
    let mut reader = FileReader::new(Limits::default());
    let (mut buf, mut fed, mut out) = (Vec::new(), 0, Vec::new());
    loop {
        let eof = fed == bytes.len();
        let (used, packet) = reader.next(&buf, eof).unwrap();
        if let Some(p) = packet {
            out.push((p.offset, p.data.to_vec()));
        }
        buf.drain(..used);
        if used == 0 {
            if eof {
                return out;
            }
            let n = piece.min(bytes.len() - fed);
            buf.extend_from_slice(&bytes[fed..fed + n]);
            fed += n;
        }
    }
}

#[test]
fn malformed_files_are_refused_with_a_place_after_what_was_read() {
    let err = run(b"GET / HTTP/1.1\r\n\r\n").result.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotACapture { .. }));
    assert_eq!((err.offset(), err.packet()), (0, 1));
    assert!(err.to_string().starts_with("packet 1 (byte 0): not a pcap or pcapng capture"), "{err}");

    // Cut inside the fifth packet: the four before it still come out, the flow is closed.
    let mut w = Writer::pcap(Link::Ethernet);
    exchange(&mut w, &mut v4());
    let bytes = w.bytes();
    let mut offsets = Vec::new();
    let mut reader = FileReader::new(Limits::default());
    let mut at = 0;
    loop {
        let (used, p) = reader.next(&bytes[at..], true).unwrap();
        if used == 0 {
            break;
        }
        if p.is_some() {
            offsets.push(at);
        }
        at += used;
    }
    let cut = offsets[4] + 20;
    let cut_short = run(&bytes[..cut]);
    assert_eq!(only(&cut_short).client, &REQUEST[..25]);
    let err = cut_short.result.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err}");
    assert_eq!((err.offset(), err.packet()), (offsets[4] as u64, 5));

    // A record longer than the limit.
    let err = run_with(bytes, Limits::default().max_record(40), Directions::ClientToServer).result.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::RecordTooLong { max: 40, .. }), "{err}");

    // A packet on an interface never declared.
    let mut ng = Writer::pcapng();
    ng.interface(Link::Ethernet, 6, 0);
    ng.packet_on(0, &v4().syn());
    let mut bytes = ng.bytes().to_vec();
    let epb = bytes.len() - (bytes.len() - 28 - 20); // SHB 28 + IDB 20
    bytes[epb + 8] = 3;
    let err = run(&bytes).result.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnknownInterface { interface: 3, declared: 1 });

    // A pcapng block whose length is not a multiple of 4.
    let mut bytes = ng.bytes().to_vec();
    bytes[epb + 4] += 1;
    let err = run(&bytes).result.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BadRecord { .. }), "{err}");
    assert_eq!(err.offset(), epb as u64);
}

#[test]
fn ethernet_with_vlan_tags() {
    let mut conn = v4();
    let ip = conn.data(b"GET / HTTP/1.1\r\n\r\n");
    for tags in [&[0x81, 0x00, 0x00, 0x2a][..], &[0x88, 0xa8, 0x00, 0x01, 0x81, 0x00, 0x00, 0x2a]] {
        let mut frame = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
        frame.extend_from_slice(tags);
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&ip);
        let segment = streamline_capture::link::segment(streamline_capture::LinkType(1), &frame).unwrap();
        assert_eq!((segment.src, segment.dst), (conn.client, conn.server));
        assert_eq!(segment.payload, b"GET / HTTP/1.1\r\n\r\n");
    }
    // ARP is no IP; a frame cut inside the IP header is malformed.
    let arp = [&[0xffu8; 6][..], &[0x02, 0, 0, 0, 0, 1], &[0x08, 0x06], &[0u8; 28]].concat();
    assert_eq!(streamline_capture::link::segment(streamline_capture::LinkType(1), &arp), Err(Skip::NotIp));
    let mut cut = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    cut.extend_from_slice(&ip[..10]);
    assert_eq!(streamline_capture::link::segment(streamline_capture::LinkType(1), &cut), Err(Skip::Malformed));
    assert_eq!(
        streamline_capture::link::segment(streamline_capture::LinkType(147), &ip),
        Err(Skip::Link(streamline_capture::LinkType(147)))
    );
}
