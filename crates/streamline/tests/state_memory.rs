//! `max_state_bytes` bounds the memory registers really take, within a factor of two
//! (SECURITY.md, "Limits"; `Limits::REGISTER_OVERHEAD`).
//!
//! A counting global allocator wraps the system one. With `max_registers` raised, a decoder
//! reads streams that store many registers holding next to nothing, and the bytes allocated
//! and still held once the stream is read must stay within [`FACTOR`] times what the state
//! counts (`Decoder::state().bytes()`); the peak while reading, when the register table grows
//! and its old and new allocations are briefly both held, within [`PEAK_FACTOR`] times.
//!
//! The register counts are those where the table is emptiest: just past a growth (the table
//! doubles when it passes 7/8 full, so 57,345 entries take 131,072 slots) and, for comparison,
//! the 100,000 of the issue. Each test takes a lock, so the counts of one are not disturbed by
//! another running at the same time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use streamline::{Decoder, Limits};

struct Counting;

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` has been since the last reset.
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(live, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Real bytes held over counted bytes, at most.
const FACTOR: f64 = 2.0;
/// Real bytes at the peak while reading over counted bytes, at most.
const PEAK_FACTOR: f64 = 2.5;

/// What reading one stream cost.
struct Measure {
    registers: usize,
    /// `Decoder::state().bytes()` at the end.
    counted: usize,
    /// Bytes the decoder holds at the end.
    held: usize,
    /// Most bytes held while reading.
    peak: usize,
    /// How much the process's resident set grew while reading (the allocator's own overhead
    /// included), if the system says.
    resident: usize,
}

impl Measure {
    fn ratio(&self) -> f64 {
        self.held as f64 / self.counted as f64
    }

    fn peak_ratio(&self) -> f64 {
        self.peak as f64 / self.counted as f64
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.registers as f64;
        write!(
            f,
            "{} registers: counted {} ({:.1}/register), held {} ({:.1}/register, {:.2}x), peak {:.1}/register \
             ({:.2}x), resident set grew {:.1}/register",
            self.registers,
            self.counted,
            self.counted as f64 / n,
            self.held,
            self.held as f64 / n,
            self.ratio(),
            self.peak as f64 / n,
            self.peak_ratio(),
            self.resident as f64 / n,
        )
    }
}

/// The ways to fill registers with next to nothing: each makes the lines that store register
/// `i`, after a set-up.
struct Kind {
    what: &'static str,
    setup: &'static str,
    store: fn(usize) -> String,
}

const KINDS: [Kind; 4] = [
    // Only the table: the empty state under short names (packed into a word, no allocation).
    Kind { what: "empty state, short names", setup: "", store: |i| format!(">:{i:x}\r\n") },
    // Names of eight bytes or more are keys of their own, with an allocation each.
    Kind { what: "empty state, long names", setup: "", store: |i| format!(">:register{i:08}\r\n") },
    // A base, a method and a header block of each register's own: three allocations of a
    // byte or a few, each with the count that shares it.
    Kind {
        what: "own parts, short names",
        setup: "V:HTTP/1.1\r\n>:r\r\n",
        store: |i| format!("B:/\r\nM:G\r\nH:A:1\r\n>:{i:x}\r\n<:r\r\n"),
    },
    Kind {
        what: "own parts, long names",
        setup: "V:HTTP/1.1\r\n>:r\r\n",
        store: |i| format!("B:/\r\nM:G\r\nH:A:1\r\n>:register{i:08}\r\n<:r\r\n"),
    },
];

/// Reads a stream storing `n` registers of `kind` and measures what the decoder holds.
fn measure(kind: &Kind, n: usize) -> Measure {
    let mut stream = kind.setup.as_bytes().to_vec();
    for i in 0..n {
        stream.extend_from_slice((kind.store)(i).as_bytes());
    }
    let limits = Limits::default().max_registers(usize::MAX).max_state_bytes(usize::MAX);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let resident_before = resident();
    let mut decoder = Decoder::with_limits(limits);
    let (used, issued) = decoder.decode_slice(&stream).unwrap();
    assert!(issued.is_none());
    decoder.finish_slice(&stream[used..]).unwrap();
    let held = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let resident = resident().saturating_sub(resident_before);
    let registers = n + usize::from(!kind.setup.is_empty());
    Measure { registers, counted: decoder.state().bytes(), held, peak, resident }
}

#[test]
fn registers_hold_within_a_factor_of_what_they_count() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let probe = std::hint::black_box(vec![0u8; 16]);
    assert!(LIVE.load(Ordering::Relaxed) >= 16, "the counting allocator is not counting");
    drop(probe);
    for kind in &KINDS {
        for n in [57_345, 100_000] {
            let m = measure(kind, n);
            println!("{}, {m}", kind.what);
            assert!(m.ratio() <= FACTOR, "{}: {m}: real memory over {FACTOR} times the count", kind.what);
            assert!(m.peak_ratio() <= PEAK_FACTOR, "{}: {m}: peak over {PEAK_FACTOR} times the count", kind.what);
        }
    }
}

/// The figures SECURITY.md gives, for a million registers of each kind:
/// `cargo test --release --test state_memory -- --ignored --nocapture`. The growth of the
/// resident set (which adds the allocator's own overhead) is meaningful only for the first
/// kind a process measures, since later ones reuse memory the earlier ones freed:
/// `STATE_MEMORY_KIND=2` measures only the third kind.
#[test]
#[ignore]
fn report_a_million_registers() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let only = std::env::var("STATE_MEMORY_KIND").ok().and_then(|k| k.parse::<usize>().ok());
    for (i, kind) in KINDS.iter().enumerate() {
        if only.is_none_or(|k| k == i) {
            println!("{}, {}", kind.what, measure(kind, 1_000_000));
        }
    }
}

/// The resident set size, from `/proc/self/statm` (0 where there is none).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|pages| pages.parse::<usize>().ok()).unwrap_or(0) * 4096
}
