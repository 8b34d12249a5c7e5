//! Steady feeds allocate nothing per message (issue: zero-copy where it counts), and the
//! memory a hostile state pins stays within its documented bound (SECURITY.md).
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
/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Bytes ever allocated.
static TOTAL: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        TOTAL.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        TOTAL.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
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
    let plain = streamline_traffic::opra(MESSAGES as u64, 7, 66);

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

    // Compact -> requests -> plain bytes, the way a feed handler decodes one: through a
    // writer keeping the head's rendering, and (borrowed) with the stateless write.
    let mut src = BytesMut::from(&compact[..]);
    let (mut decoder, mut writer) = (Decoder::new(), http1::Writer::new());
    let mut out = Vec::with_capacity(plain.len() + 1024);
    for i in 0..MESSAGES {
        if i == WARM_UP {
            counted = allocations();
        }
        let req = decoder.decode(&mut src).unwrap().unwrap();
        writer.write(req.head(), req.body(), &mut out);
    }
    let mut decode_allocs = allocations() - counted;
    assert_eq!(out, plain);
    let (mut decoder, mut rest) = (Decoder::new(), &compact[..]);
    out.clear();
    for i in 0..MESSAGES {
        if i == WARM_UP {
            counted = allocations();
        }
        let (used, req) = decoder.decode_slice(rest).unwrap();
        req.unwrap().write_http1(&mut out);
        rest = &rest[used..];
    }
    decode_allocs += allocations() - counted;

    assert_eq!(out, plain);
    assert_eq!(decode_allocs, 0, "decoder: allocations over {} steady messages", MESSAGES - WARM_UP);
    assert_eq!(encode_allocs, 0, "plain parser + encoder: allocations over {} steady messages", MESSAGES - WARM_UP);
    drop((src, out, compact, plain));

    steady_acknowledgements_allocate_nothing_per_message();
    pinned_memory_stays_bounded();
    big_header_blocks_grow_geometrically();
    plain_reader_keeps_few_heads();
}

/// The plain reader keeps its last heads to compare the next one with: seven of at most
/// 4 KiB and the latest whatever its size (SECURITY.md). Distinct heads of 3 KiB and of 20 KiB,
/// in turn and in runs, leave it holding no more than that, with some slack for each head's
/// parts and table.
fn plain_reader_keeps_few_heads() {
    let head = |i: usize, size: usize| format!("GET /{i} HTTP/1.1\r\nX: {}\r\n\r\n", "v".repeat(size));
    let mut input = String::new();
    for i in 0..200 {
        let size = if i % 3 == 0 || (100..120).contains(&i) { 20_000 } else { 3_000 };
        input.push_str(&head(i, size));
    }
    // A repeat of a kept small head right after a big one must drop the big one, not keep it
    // further down the list.
    for i in 200..210 {
        input.push_str(&head(i, 20_000));
        input.push_str(&head(197, 3_000));
    }
    let before = LIVE.load(Ordering::Relaxed);
    let mut parser = http1::Parser::new();
    let mut rest = input.as_bytes();
    let mut heads = 0;
    let mut peak = 0;
    loop {
        let (used, req) = parser.decode_slice(rest).unwrap();
        rest = &rest[used..];
        if req.is_none() {
            break;
        }
        heads += 1;
        peak = peak.max(LIVE.load(Ordering::Relaxed) - before);
    }
    assert_eq!(heads, 220);
    let bound = 7 * (4 * 1024 + 1024) + (20_100 + 2 * 1024) * 2;
    assert!(peak <= bound, "the plain reader held {peak} bytes, bound {bound}");
}

/// A header block far bigger than an arena chunk, built one `H:` line at a time: the open
/// block must move a logarithmic number of times (each move doubles its room), not once
/// per line, and big chunks must not be kept as spares.
fn big_header_blocks_grow_geometrically() {
    let mut stream = b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n>:root\r\n".to_vec();
    let value = "x".repeat(3_900);
    for i in 0..250 {
        stream.extend_from_slice(format!("H:X{i}: {value}\r\n").as_bytes());
    }
    stream.extend_from_slice(b"-:\r\n-:a\r\n<:root\r\nH:A: 1\r\n-:\r\n-:b\r\n");
    let block = 250 * (3_900 + 8);
    let (live, total) = (LIVE.load(Ordering::Relaxed), TOTAL.load(Ordering::Relaxed));
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &stream), 4);
    let allocated = TOTAL.load(Ordering::Relaxed) - total;
    assert!(allocated <= 8 * block, "decoding a {block}-byte block allocated {allocated} bytes");
    let held = LIVE.load(Ordering::Relaxed) - live;
    let bound = decoder.state().bytes() + 4 * block + (2 + 8) * 8 * 1024 + 64 * 1024;
    assert!(held <= bound, "decoder holds {held} bytes after a {block}-byte block, bound {bound}");
}

/// The decoder's arena chunks (8 KiB) hold only short-lived pieces: a register gets its own
/// copy of its header lines. So a stream that fills a chunk, then saves one short line in a
/// register, 255 times over, leaves the heap holding the counted state bytes plus at most
/// ten chunks (the current one, the last head's, eight spares; SECURITY.md, "Limits") and
/// some slack for small allocations. The register map is in the count: each register counts
/// `Limits::REGISTER_OVERHEAD` for it (its real size is `tests/state_memory.rs`'s concern).
/// With registers pinning chunks it would hold over 2 MB.
fn pinned_memory_stays_bounded() {
    const REGISTERS: usize = 256;
    let mut stream = b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n>:root\r\n".to_vec();
    let filler = "x".repeat(7_000);
    for i in 0..REGISTERS - 1 {
        // Fill the chunk, drop the filler, then save one short line in a fresh chunk.
        stream
            .extend_from_slice(format!("H:F: {filler}\r\n-:\r\n<:root\r\nH:A: {i}\r\n>:{i}\r\n<:root\r\n").as_bytes());
    }
    let before = LIVE.load(Ordering::Relaxed);
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &stream), REGISTERS - 1);
    let held = LIVE.load(Ordering::Relaxed) - before;
    let counted = decoder.state().bytes();
    let bound = counted + (2 + 8) * 8 * 1024 + 16 * 1024;
    assert!(held <= bound, "decoder holds {held} bytes, bound {bound} ({counted} counted)");
}

/// Reads a whole compact stream with `decode_slice`; returns how many requests it held.
fn decode_all(decoder: &mut Decoder, stream: &[u8]) -> usize {
    let mut rest = stream;
    let mut issued = 0;
    loop {
        let (used, req) = decoder.decode_slice(rest).unwrap();
        rest = &rest[used..];
        if req.is_none() {
            break;
        }
        issued += 1;
    }
    decoder.finish_slice(rest).unwrap();
    issued
}

/// The same for the way back (SPEC.md §13): nginx-like acknowledgements read, encoded,
/// decoded and written plain, nothing allocated per response once the feed is steady.
fn steady_acknowledgements_allocate_nothing_per_message() {
    let ack = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 05 Dec 2026 08:35:18 GMT\r\n\
Content-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nOK\n";
    let plain = ack.repeat(MESSAGES);
    let mut src = BytesMut::from(&plain[..]);
    let mut parser = http1::ResponseParser::new();
    let mut encoder = Encoder::new().responses();
    let mut compact = Vec::with_capacity(plain.len());
    let mut counted = 0;
    for i in 0..MESSAGES {
        if i == WARM_UP {
            counted = allocations();
        }
        let resp = parser.decode(&mut src).unwrap().unwrap();
        encoder.encode(&resp, &mut compact).unwrap();
    }
    let encode_allocs = allocations() - counted;
    let mut src = BytesMut::from(&compact[..]);
    let mut decoder = streamline::ResponseDecoder::new();
    let mut out = Vec::with_capacity(plain.len() + 1024);
    for i in 0..MESSAGES {
        if i == WARM_UP {
            counted = allocations();
        }
        let resp = decoder.decode(&mut src).unwrap().unwrap();
        resp.write_http1(&mut out);
    }
    let decode_allocs = allocations() - counted;
    assert_eq!(compact.len(), 145 + 3 + (MESSAGES - 1) * (4 + 3), "4 bytes per steady acknowledgement");
    assert_eq!(decode_allocs, 0, "response decoder: allocations over {} steady responses", MESSAGES - WARM_UP);
    assert_eq!(encode_allocs, 0, "response reader + encoder: allocations over {} steady responses", MESSAGES - WARM_UP);
}
