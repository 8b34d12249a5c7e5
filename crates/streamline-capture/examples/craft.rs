//! The crafted captures: small ones with a known ground truth, for `samples/captures/`, and
//! large ones of OPRA-style traffic for the benchmarks.
//!
//! ```sh
//! cargo run -p streamline-capture --example craft -- samples samples/captures
//! cargo run --release -p streamline-capture --example craft -- opra 4700000 big.pcap
//! ```
//!
//! `samples DIR` writes each capture `NAME.pcap` (or `.pcapng`) and, beside it, the ground truth:
//! `NAME.flows/CLIENT_PORT-SERVER_PORT.http`, the client-to-server bytes of each flow as a
//! reassembler must hand them out (the bytes the capture holds, in order; lost or cut bytes
//! absent). `tests/samples.rs` checks the committed files against this generator and against
//! the reassembler; `tests/tshark.rs` against tshark where it is installed.

use std::io::Write;
use std::path::Path;

use streamline_capture::craft::{self, Connection, Link, PcapOptions, Writer};

/// A crafted capture and the client streams it carries, by flow file name.
pub struct Sample {
    /// File name, with its extension.
    pub name: &'static str,
    /// The capture file.
    pub capture: Vec<u8>,
    /// (flow file name, the client-to-server bytes a reassembler hands out).
    pub flows: Vec<(String, Vec<u8>)>,
}

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `CLIENT_PORT-SERVER_PORT.http`, IPv6 colons as `_` (as `streamline encode` names its files).
pub fn flow_name(conn: &Connection) -> String {
    key_name(conn.client, conn.server)
}

/// The flow file name of a client and a server.
pub fn key_name(client: std::net::SocketAddr, server: std::net::SocketAddr) -> String {
    let side = |a: std::net::SocketAddr| format!("{}_{}", a.ip(), a.port()).replace(':', "_");
    format!("{}-{}.http", side(client), side(server))
}

fn lo(port: u16, isn: u32) -> Connection {
    Connection::ipv4([127, 0, 0, 1], port, [127, 0, 0, 1], 8080, isn)
}

fn lo6(port: u16, isn: u32) -> Connection {
    let mut one = [0u8; 16];
    one[15] = 1;
    Connection::ipv6(one, port, one, 8080, isn)
}

/// Every crafted sample.
pub fn samples() -> Vec<Sample> {
    let x100 = sample("post-someurl-x100.http");
    let pair = sample("get-pair.http");
    let browse = sample("browse-session.http");
    let upload = sample("chunked-upload.http");
    let mut out = Vec::new();

    // Three interleaved HTTP flows, a non-HTTP flow and a UDP packet, on Ethernet.
    {
        let mut w = Writer::pcap(Link::Ethernet);
        let (a, b, c) = (lo(41001, 1_000), lo(41002, 2_000_000), lo(41003, u32::MAX - 500));
        let mut udp = Vec::new();
        etherparse::PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 53], 64)
            .udp(5353, 53)
            .write(&mut udp, b"q")
            .unwrap();
        w.packet(&udp);
        let mut ssh = Connection::ipv4([127, 0, 0, 1], 41004, [127, 0, 0, 1], 22, 9);
        let hello = b"SSH-2.0-OpenSSH_9.6\r\n";
        let flows = vec![
            (flow_name(&a), x100.clone()),
            (flow_name(&b), pair.clone()),
            (flow_name(&c), upload.clone()),
            (flow_name(&ssh), hello.to_vec()),
        ];
        craft::connection(&mut w, &mut ssh, hello, 1448);
        craft::interleaved(&mut w, &mut [(a, &x100[..]), (b, &pair[..]), (c, &upload[..])], 500);
        out.push(Sample { name: "crafted-ethernet-interleaved.pcap", capture: w.take(), flows });
    }
    // The same streams on each other link type, IPv4 and IPv6.
    for (name, link, v6) in [
        ("crafted-sll-ipv4.pcap", Link::Sll, false),
        ("crafted-sll2-ipv6.pcap", Link::Sll2, true),
        ("crafted-null-ipv6.pcap", Link::Null, true),
        ("crafted-loop-ipv4.pcap", Link::Loop, false),
        ("crafted-raw-ipv6.pcap", Link::Raw, true),
        ("crafted-ipv4-linktype.pcap", Link::Ipv4, false),
    ] {
        let mut w = Writer::pcap(link);
        let mut conn = if v6 { lo6(42000, 7) } else { lo(42000, 7) };
        let flows = vec![(flow_name(&conn), pair.clone())];
        craft::connection(&mut w, &mut conn, &pair, 100);
        out.push(Sample { name, capture: w.take(), flows });
    }
    // Big-endian, nanosecond pcap.
    {
        let options = PcapOptions { big_endian: true, nanoseconds: true, ..PcapOptions::default() };
        let mut w = Writer::pcap_with(Link::Ethernet, options);
        let mut conn = lo(43000, 0x8000_0000);
        let flows = vec![(flow_name(&conn), browse.clone())];
        craft::connection(&mut w, &mut conn, &browse, 1448);
        out.push(Sample { name: "crafted-big-endian-ns.pcap", capture: w.take(), flows });
    }
    // pcapng: two interfaces (Ethernet in microseconds, SLL2 in nanoseconds), a skipped block.
    {
        let mut w = Writer::pcapng();
        let eth = w.interface(Link::Ethernet, 6, 0);
        let sll = w.interface(Link::Sll2, 9, 0);
        w.other_block();
        let (mut a, mut b) = (lo(44001, 5), lo6(44002, 6));
        let flows = vec![(flow_name(&a), x100.clone()), (flow_name(&b), pair.clone())];
        for (id, conn, stream) in [(eth, &mut a, &x100), (sll, &mut b, &pair)] {
            w.packet_on(id, &conn.syn());
            for piece in stream.chunks(700) {
                w.packet_on(id, &conn.data(piece));
            }
            w.packet_on(id, &conn.fin());
        }
        out.push(Sample { name: "crafted-two-interfaces.pcapng", capture: w.take(), flows });
    }
    // A big-endian pcapng, as a big-endian machine writes it.
    {
        let mut w = Writer::pcapng_with(true);
        let raw = w.interface(Link::Raw, 9, 0);
        let mut conn = lo(44500, 77);
        let flows = vec![(flow_name(&conn), pair.clone())];
        w.packet_on(raw, &conn.syn());
        w.packet_on(raw, &conn.syn_ack());
        for piece in pair.chunks(120) {
            w.packet_on(raw, &conn.data(piece));
        }
        w.packet_on(raw, &conn.fin());
        w.packet_on(raw, &conn.server_fin());
        out.push(Sample { name: "crafted-big-endian.pcapng", capture: w.take(), flows });
    }
    // Reordered, retransmitted and overlapping segments (one overlap differs: the first copy
    // is kept), across the sequence-number wrap.
    {
        let mut w = Writer::pcap(Link::Ethernet);
        let mut conn = lo(45000, u32::MAX - 1000);
        w.packet(&conn.syn());
        w.packet(&conn.syn_ack());
        let pieces: Vec<(u32, &[u8])> = x100.chunks(300).enumerate().map(|(i, p)| (i as u32 * 300, p)).collect();
        let mut order: Vec<usize> = (0..pieces.len()).collect();
        for pair in order.chunks_mut(3) {
            pair.reverse();
        }
        for &i in &order {
            let (at, piece) = pieces[i];
            w.packet(&conn.data_at(at, piece));
            if i % 4 == 0 {
                // A retransmission, and an overlap that straddles two segments.
                w.packet(&conn.data_at(at, piece));
                let end = (at as usize + 400).min(x100.len());
                w.packet(&conn.data_at(at + 100, &x100[at as usize + 100..end]));
            }
        }
        // A late copy of the first segment that differs: the first copy stands.
        let mut differs = pieces[0].1.to_vec();
        differs[0] = b'X';
        w.packet(&conn.data_at(0, &differs));
        conn.client_seq = conn.client_seq.wrapping_add(x100.len() as u32);
        w.packet(&conn.fin());
        w.packet(&conn.server_fin());
        let flows = vec![(flow_name(&conn), x100.clone())];
        out.push(Sample { name: "crafted-reorder-retransmit.pcap", capture: w.take(), flows });
    }
    // A lost segment: the stream goes on after the gap (its bytes absent).
    {
        let mut w = Writer::pcap(Link::Ethernet);
        let mut conn = lo(46000, 3);
        w.packet(&conn.syn());
        let mut kept = Vec::new();
        for (i, piece) in pair.chunks(64).enumerate() {
            if i == 3 {
                conn.skip(piece.len() as u32);
                continue;
            }
            w.packet(&conn.data(piece));
            kept.extend_from_slice(piece);
        }
        w.packet(&conn.fin());
        let flows = vec![(flow_name(&conn), kept)];
        out.push(Sample { name: "crafted-lost-segment.pcap", capture: w.take(), flows });
    }
    // A snapshot length that cuts segments: 54 header bytes + 46 of payload.
    {
        let mut w = Writer::pcap_with(Link::Ethernet, PcapOptions { snaplen: 100, ..PcapOptions::default() });
        let mut conn = lo(47000, 11);
        w.packet(&conn.syn());
        let mut kept = Vec::new();
        for piece in pair.chunks(80) {
            w.packet(&conn.data(piece));
            kept.extend_from_slice(&piece[..piece.len().min(46)]);
        }
        let flows = vec![(flow_name(&conn), kept)];
        out.push(Sample { name: "crafted-snaplen.pcap", capture: w.take(), flows });
    }
    // A capture that starts inside the connection: no handshake.
    {
        let mut w = Writer::pcap(Link::Ethernet);
        let mut conn = lo(48000, 123_456);
        for piece in pair.chunks(90) {
            w.packet(&conn.data(piece));
        }
        let flows = vec![(flow_name(&conn), pair.clone())];
        out.push(Sample { name: "crafted-mid-stream.pcap", capture: w.take(), flows });
    }
    out
}

/// Writes a capture of one connection carrying `count` OPRA-style quotes (seed 1, 66-byte
/// bodies) in segments of 1,448 bytes (a loopback or Ethernet MSS), in pieces.
fn opra(count: u64, path: &Path) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut w = Writer::pcap(Link::Ethernet);
    let mut conn = Connection::ipv4([127, 0, 0, 1], 50000, [127, 0, 0, 1], 8080, 1);
    w.packet(&conn.syn());
    w.packet(&conn.syn_ack());
    w.packet(&conn.ack());
    let mut rng = streamline_traffic::Rng::new(1);
    let mut stream = Vec::new();
    for seq in 0..count {
        streamline_traffic::opra_quote(&mut rng, seq, 66, &mut stream);
        while stream.len() >= 1448 || (seq + 1 == count && !stream.is_empty()) {
            let n = stream.len().min(1448);
            w.packet(&conn.data(&stream[..n]));
            stream.drain(..n);
        }
        if w.bytes().len() >= 1 << 20 {
            file.write_all(&w.take())?;
        }
    }
    w.packet(&conn.fin());
    w.packet(&conn.server_fin());
    file.write_all(&w.take())?;
    file.flush()
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["samples", dir] => write_samples(Path::new(dir)),
        ["opra", count, path] => opra(count.parse().expect("a count of quotes"), Path::new(path)),
        _ => {
            eprintln!("usage: craft samples DIR | craft opra COUNT FILE.pcap");
            std::process::exit(2);
        }
    };
    if let Err(err) = result {
        eprintln!("craft: {err}");
        std::process::exit(1);
    }
}

fn write_samples(dir: &Path) -> std::io::Result<()> {
    for s in samples() {
        std::fs::write(dir.join(s.name), &s.capture)?;
        let flows = dir.join(format!("{}.flows", s.name.rsplit_once('.').expect("an extension").0));
        let _ = std::fs::remove_dir_all(&flows);
        std::fs::create_dir_all(&flows)?;
        for (name, bytes) in &s.flows {
            std::fs::write(flows.join(name), bytes)?;
        }
    }
    Ok(())
}
