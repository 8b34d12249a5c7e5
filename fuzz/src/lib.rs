//! Fuzz targets for streamline: the invariants live in `checks.rs`, which `tests/fuzz_seeds.rs`
//! also compiles, so `cargo test` replays the committed seeds through the very same checks.

mod capture;
mod checks;

pub use capture::capture;

pub use checks::*;
