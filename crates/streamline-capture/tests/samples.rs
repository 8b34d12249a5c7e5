//! The sample captures in `samples/captures/`: the crafted ones are what the generator
//! (`examples/craft.rs`) writes, and every capture, crafted or recorded, reassembles into the
//! client streams of its `NAME.flows/` folder byte for byte (for the recorded ones, tshark's
//! `follow,tcp,raw` output, saved when they were recorded).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use streamline_capture::{Capture, Direction, Directions, Event, Limits};

#[allow(dead_code)]
#[path = "../examples/craft.rs"]
mod craft_example;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/captures")
}

/// The client streams of a capture, by flow file name (a 4-tuple that comes again: `.2`, ...).
pub fn client_streams(capture: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut open: BTreeMap<u64, (String, Vec<u8>)> = BTreeMap::new();
    let mut done = BTreeMap::new();
    Capture::new(capture, Limits::default(), Directions::ClientToServer)
        .run(&mut |event| match event {
            Event::Open { flow, key, .. } => {
                open.insert(flow.0, (craft_example::key_name(key.client, key.server), Vec::new()));
            }
            Event::Data { flow, direction: Direction::ClientToServer, data, .. } => {
                open.get_mut(&flow.0).unwrap().1.extend_from_slice(data)
            }
            Event::Close { flow, .. } => {
                let (mut name, bytes) = open.remove(&flow.0).unwrap();
                let stem = name.trim_end_matches(".http").to_string();
                let mut n = 1;
                while done.contains_key(&name) {
                    n += 1;
                    name = format!("{stem}.{n}.http");
                }
                done.insert(name, bytes);
            }
            _ => {}
        })
        .unwrap();
    done
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn crafted_samples_are_what_the_generator_writes() {
    for sample in craft_example::samples() {
        let path = dir().join(sample.name);
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(committed == sample.capture, "{} differs from the generator: run the craft example", sample.name);
        let flows = dir().join(format!("{}.flows", sample.name.rsplit_once('.').unwrap().0));
        let want: BTreeMap<String, Vec<u8>> = sample.flows.into_iter().collect();
        assert!(files(&flows) == want, "{} differs from the generator", flows.display());
    }
}

#[test]
fn every_sample_capture_reassembles_to_its_flows() {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else { continue };
        if ext != "pcap" && ext != "pcapng" {
            continue;
        }
        let flows = path.with_extension("flows");
        let want = files(&flows);
        let got = client_streams(&std::fs::read(&path).unwrap());
        let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&got), names(&want), "{}", path.display());
        for (name, bytes) in &want {
            assert!(got[name] == *bytes, "{}: {name} differs", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 17, "{seen} sample captures");
}
