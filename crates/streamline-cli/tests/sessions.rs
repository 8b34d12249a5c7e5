//! The recorded sessions of samples/sessions (made by scripts/record-sessions.sh): real
//! clients' request streams, byte for byte as they sent them. `encode` takes each one,
//! `decode` gives back its canonical form, and `report` measures it.

mod common;

use std::path::{Path, PathBuf};

use common::{canonical, run};
use serde_json::Value;

fn sessions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/sessions")
}

/// Every `.http` file below samples/sessions, in name order.
fn samples() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![sessions()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "http") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Runs the binary with `stdin` and expects success (notes on standard error allowed).
fn streamline(args: &[&str], stdin: Vec<u8>) -> Vec<u8> {
    let out = run(args, &stdin);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn every_session_sample_round_trips() {
    let samples = samples();
    assert!(samples.len() >= 4, "{samples:?}");
    for path in &samples {
        let name = path.to_str().unwrap();
        let compact = streamline(&["encode", name], Vec::new());
        let back = streamline(&["decode", "-"], compact);
        assert!(
            back == canonical(&std::fs::read(path).unwrap()),
            "{name}: decode(encode(x)) is not x's canonical form"
        );
    }
}

#[test]
fn session_samples_are_long_sessions_and_one_shots() {
    let requests = |path: &Path| {
        let report = streamline(&["report", path.to_str().unwrap(), "--format", "json"], Vec::new());
        serde_json::from_slice::<Value>(&report).unwrap()["requests"].as_u64().unwrap()
    };
    for name in ["browser", "api-requests", "api-fetch"] {
        let path = sessions().join(format!("{name}.http"));
        assert!(requests(&path) >= 100, "{name}: a long session has hundreds of requests");
    }
    let oneshots: Vec<_> = samples().into_iter().filter(|p| p.parent().unwrap().ends_with("oneshot")).collect();
    assert!(oneshots.len() >= 10, "{oneshots:?}");
    for path in oneshots {
        assert_eq!(requests(&path), 1, "{}", path.display());
    }
}

/// Issue 13's bar, SPEC.md §9.5: live (window 0), every recorded session of ten requests or
/// more costs no more bytes than its plain form, and the browser's costs less than HTTP/2 as
/// Chrome sends it.
#[test]
fn live_encoding_of_real_sessions_stays_under_plain() {
    for name in ["browser.http", "api-requests.http", "api-fetch.http"] {
        let path = sessions().join(name);
        let plain = std::fs::read(&path).unwrap();
        let live = streamline(
            &["encode", "--window-requests", "0", "--window-bytes", "0", path.to_str().unwrap()],
            Vec::new(),
        );
        assert!(live.len() <= plain.len(), "{name}: {} > {}", live.len(), plain.len());
    }
    let path = sessions().join("browser.http");
    let report = streamline(&["report", path.to_str().unwrap(), "--format", "json"], Vec::new());
    let report: Value = serde_json::from_slice(&report).unwrap();
    let total = |id: &str| {
        report["encodings"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap()["total_bytes"].as_u64().unwrap()
    };
    assert!(total("compact") < total("http2"), "compact {} against HTTP/2 {}", total("compact"), total("http2"));
}

/// `report --one-link`: the files as the clients of one link, a request from each in turn,
/// each head as the proxy sends it on. One-request files without hop-by-hop fields given one
/// link read as their concatenation in the order of the turns, figure for figure (JSON, the
/// input's name aside), whatever the files' syntax; a client whose stream ends leaves the
/// turn; a hop-by-hop field costs nothing on the link; response streams are refused.
#[test]
fn one_link_interleaves_the_files_requests_a_request_each_in_turn() {
    let dir = common::scratch("one-link");
    let shots: Vec<PathBuf> = samples().into_iter().filter(|p| p.parent().unwrap().ends_with("oneshot")).collect();
    let bytes: Vec<Vec<u8>> = shots.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // Two clients of two requests and one of three, the second of them compact: the turns
    // give 0 2 4, 1 3 5, 6.
    let clients = [vec![0, 1], vec![2, 3], vec![4, 5, 6]];
    let mut files = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let plain: Vec<u8> = client.iter().flat_map(|&n| bytes[n].clone()).collect();
        let file = dir.join(format!("client{i}.http"));
        let content = if i == 1 { streamline(&["encode", "-"], plain) } else { plain };
        std::fs::write(&file, content).unwrap();
        files.push(file.to_str().unwrap().to_string());
    }
    let figures = |args: &[&str], stdin: Vec<u8>| {
        let mut v: Value = serde_json::from_slice(&streamline(args, stdin)).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("input");
        o.remove("files");
        v
    };
    let mut args = vec!["report", "--format", "json", "--one-link"];
    args.extend(files.iter().map(String::as_str));
    let linked = figures(&args, Vec::new());
    let turns: Vec<u8> = [0, 2, 4, 1, 3, 5, 6].iter().flat_map(|&n: &usize| bytes[n].clone()).collect();
    assert_eq!(linked, figures(&["report", "--format", "json", "-"], turns));
    assert_eq!((linked["connections"].as_u64(), linked["requests"].as_u64()), (Some(1), Some(7)));
    // Not the order of the files one after the other.
    let in_files: Vec<u8> = (0..7).flat_map(|n| bytes[n].clone()).collect();
    assert_ne!(linked, figures(&["report", "--format", "json", "-"], in_files));

    // Each head as the proxy sends it on: wget's `Connection: Keep-Alive`, a hop-by-hop
    // field, is not on the link, so it costs nothing there, where it does on wget's own
    // connection.
    let wget = shots.iter().position(|p| p.ends_with("10-wget-get.http")).expect("the wget sample");
    let without: Vec<u8> = String::from_utf8(bytes[wget].clone())
        .unwrap()
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect::<String>()
        .into_bytes();
    assert!(without.len() < bytes[wget].len());
    let wget = shots[wget].to_str().unwrap();
    let on_link = figures(&["report", "--format", "json", "--one-link", wget], Vec::new());
    assert_eq!(on_link, figures(&["report", "--format", "json", "--one-link", "-"], without.clone()));
    assert_ne!(on_link, figures(&["report", "--format", "json", wget], Vec::new()));

    let responses = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/responses/opra-acks.shttp");
    let out = common::run(&["report", "--one-link", &files[0], responses.to_str().unwrap()], b"");
    // A usage error: the option takes request streams.
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds responses"));
}
