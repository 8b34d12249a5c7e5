//! Replays the committed fuzz seeds (`fuzz/seeds/<target>/*`) through the same checks the fuzz
//! targets run (every one of them, even where a seed's first byte selects a cheaper pass), so an
//! ordinary `cargo test` guards every input that once broke something.
//!
//! The checks live in `fuzz/src/checks.rs`, compiled here as a module: the fuzz crate and this
//! test cannot drift apart.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../../../fuzz/src/checks.rs"]
mod checks;

/// Runs `check` on every seed of `target`, reporting all the seeds that fail, not just the first.
fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable seed directory").path())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    let failed: Vec<String> = seeds
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{} of {} seeds fail: {failed:#?}", failed.len(), seeds.len());
}

#[test]
fn decode_seeds() {
    replay("decode", checks::decode_all);
}

#[test]
fn http1_seeds() {
    replay("http1", checks::http1_all);
}

#[test]
fn roundtrip_seeds() {
    replay("roundtrip", checks::roundtrip);
}

#[test]
fn differential_seeds() {
    replay("differential", |data| {
        checks::differential(data);
    });
}

#[test]
fn refusal_seeds() {
    replay("refusal", checks::refusal);
}

#[test]
fn responses_seeds() {
    replay("responses", checks::responses_all);
}

#[test]
fn response_roundtrip_seeds() {
    replay("response_roundtrip", checks::response_roundtrip);
}

#[test]
fn response_differential_seeds() {
    replay("response_differential", |data| {
        checks::response_differential(data);
    });
}
