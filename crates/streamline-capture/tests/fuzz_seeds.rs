//! Replays the committed seeds of the `capture` fuzz target (`fuzz/seeds/capture/*`) through
//! the very check the target runs (`fuzz/src/capture.rs`, compiled here as a module), so an
//! ordinary `cargo test` guards every input that once broke something.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/capture.rs"]
mod check;

#[test]
fn capture_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/capture");
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 10, "{} seeds in {}", seeds.len(), dir.display());
    let failed: Vec<String> = seeds
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            std::panic::catch_unwind(|| check::capture(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{} of {} seeds fail: {failed:#?}", failed.len(), seeds.len());
}
