//! Every flow of every sample capture against tshark's own reassembly (`-z follow,tcp,raw`):
//! the client-to-server bytes must be identical. Where a segment was lost, tshark stops at the
//! hole; the reassembler hands out what follows it too, so there the bytes up to the hole are
//! compared. Skipped, with a note, where tshark is not installed (`scripts/e2e-captures.sh`
//! installs it and runs this test).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use streamline_capture::{Capture, Direction, Directions, Event, GapKind, Limits};

/// A flow as tshark follows it: its two nodes and what each sent.
struct Followed {
    nodes: [SocketAddr; 2],
    sent: [Vec<u8>; 2],
}

fn tshark(args: &[&str]) -> Option<String> {
    let out = Command::new("tshark").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn follow(capture: &Path) -> Vec<Followed> {
    let file = capture.to_str().unwrap();
    let ids = tshark(&["-r", file, "-T", "fields", "-e", "tcp.stream"]).expect("tshark reads the capture");
    let mut ids: Vec<u64> = ids.lines().filter_map(|l| l.trim().parse().ok()).collect();
    ids.sort();
    ids.dedup();
    ids.iter()
        .map(|id| {
            let text = tshark(&["-r", file, "-q", "-z", &format!("follow,tcp,raw,{id}")]).unwrap();
            let mut nodes = Vec::new();
            let mut sent = [String::new(), String::new()];
            for line in text.lines() {
                if let Some(node) = line.strip_prefix("Node 0: ").or_else(|| line.strip_prefix("Node 1: ")) {
                    nodes.push(node.parse::<SocketAddr>().unwrap_or_else(|e| panic!("{node}: {e}")));
                } else if let Some(hex) = line.strip_prefix('\t') {
                    sent[1].push_str(hex.trim());
                } else if !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()) {
                    sent[0].push_str(line);
                }
            }
            let unhex =
                |h: &str| (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect();
            Followed { nodes: [nodes[0], nodes[1]], sent: [unhex(&sent[0]), unhex(&sent[1])] }
        })
        .collect()
}

/// (client, server).
type Ends = (SocketAddr, SocketAddr);

/// A client stream and the offset of its first lost gap.
type Stream = (Vec<u8>, Option<u64>);

/// The client streams of a capture by (client, server); a 4-tuple that comes again is a
/// later flow of the same key.
fn ours(capture: &[u8]) -> BTreeMap<Ends, Vec<Stream>> {
    let mut open: BTreeMap<u64, (Ends, Vec<u8>, Option<u64>)> = BTreeMap::new();
    let mut done: BTreeMap<Ends, Vec<Stream>> = BTreeMap::new();
    Capture::new(capture, Limits::default(), Directions::ClientToServer)
        .run(&mut |event| match event {
            Event::Open { flow, key, .. } => {
                open.insert(flow.0, ((key.client, key.server), Vec::new(), None));
            }
            Event::Data { flow, direction: Direction::ClientToServer, data, .. } => {
                open.get_mut(&flow.0).unwrap().1.extend_from_slice(data)
            }
            Event::Gap { flow, offset, kind: GapKind::Lost, .. } => {
                let f = open.get_mut(&flow.0).unwrap();
                f.2.get_or_insert(offset);
            }
            Event::Close { flow, .. } => {
                let (key, bytes, gap) = open.remove(&flow.0).unwrap();
                done.entry(key).or_default().push((bytes, gap));
            }
            _ => {}
        })
        .unwrap();
    done
}

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("pcap" | "pcapng")))
        .collect();
    files.sort();
    files
}

#[test]
fn every_flow_is_what_tshark_reassembles() {
    if tshark(&["-v"]).is_none() {
        // Straight to standard error, past the test harness's capture, so the skip shows.
        let _ = writeln!(
            std::io::stderr(),
            "note: tshark is not installed: the comparison with tshark is skipped (scripts/e2e-captures.sh runs it)"
        );
        return;
    }
    let mut flows = 0;
    for path in captures() {
        let mut mine = ours(&std::fs::read(&path).unwrap());
        for theirs in follow(&path) {
            // Our client is one of tshark's nodes: the one that sent the SYN, else the higher port.
            let [a, b] = theirs.nodes;
            let (client, server, sent) = if mine.contains_key(&(a, b)) {
                (a, b, &theirs.sent[0])
            } else if mine.contains_key(&(b, a)) {
                (b, a, &theirs.sent[1])
            } else {
                panic!("{}: tshark's flow {:?} is not ours", path.display(), theirs.nodes)
            };
            let list = mine.get_mut(&(client, server)).unwrap();
            let (bytes, gap) = list.remove(0);
            if list.is_empty() {
                mine.remove(&(client, server));
            }
            let compared = gap.map_or(&bytes[..], |g| &bytes[..g as usize]);
            assert!(
                compared == &sent[..],
                "{}: {client} -> {server}: {} bytes here, {} from tshark",
                path.display(),
                compared.len(),
                sent.len()
            );
            flows += 1;
        }
        assert!(mine.is_empty(), "{}: flows tshark does not have: {:?}", path.display(), mine.keys());
    }
    println!("{flows} flows identical to tshark's");
    assert!(flows >= 30);
}
