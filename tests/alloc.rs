//! Steady feeds allocate nothing per message (issue: zero-copy where it counts).
//!
//! A counting global allocator wraps the system one; after a short warm-up, thousands of
//! messages are decoded, encoded and written back to plain form, and the number of
//! allocations in that stretch must be zero. Runs as one test so no other thread allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use streamline::{http1, Decoder, Encoder};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

const MESSAGES: usize = 10_000;
const WARM_UP: usize = 100;

#[test]
fn steady_feed_allocates_nothing_per_message() {
    let before = allocations();
    let probe = std::hint::black_box(vec![0u8; 16]);
    assert!(allocations() > before, "the counting allocator is not counting");
    drop(probe);
    let plain = streamline::gen::opra(MESSAGES as u64, 7, 66);

    // Plain -> requests -> compact, the way a gateway encodes a feed.
    let mut src = BytesMut::from(&plain[..]);
    let mut parser = http1::Parser::new();
    let mut encoder = Encoder::new();
    let mut compact = Vec::with_capacity(plain.len());
    let mut counted = 0;
    for i in 0..MESSAGES {
        if i == WARM_UP {
            counted = allocations();
        }
        let req = parser.decode(&mut src).unwrap().unwrap();
        encoder.encode(&req, &mut compact).unwrap();
    }
    let encode_allocs = allocations() - counted;

    // Compact -> requests -> plain bytes, the way a feed handler decodes one.
    let mut src = BytesMut::from(&compact[..]);
    let mut decoder = Decoder::new();
    let mut out = Vec::with_capacity(plain.len() + 1024);
    for i in 0..MESSAGES {
        if i == WARM_UP {
            counted = allocations();
        }
        let req = decoder.decode(&mut src).unwrap().unwrap();
        req.write_http1(&mut out);
    }
    let decode_allocs = allocations() - counted;

    assert_eq!(out, plain);
    assert_eq!(decode_allocs, 0, "decoder: allocations over {} steady messages", MESSAGES - WARM_UP);
    assert_eq!(encode_allocs, 0, "plain parser + encoder: allocations over {} steady messages", MESSAGES - WARM_UP);
}
