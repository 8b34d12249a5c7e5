//! The encoder's lookahead window holds at most its configured requests and bytes (SPEC.md §9.4).

mod common;

use bytes::BytesMut;
use streamline::{http1, Emitted, Encoder, Event, Lookahead, Window};

/// Pushes every event of `plain` through a window and returns the most requests and the most
/// bytes (heads as written in plain form, bodies) that were ever held back.
fn high_water(plain: &[u8], window: Window) -> (usize, usize) {
    let (requests, bytes, _) = held_back(plain, window);
    (requests, bytes)
}

/// [`high_water`], and the most request ends held back.
fn held_back(plain: &[u8], window: Window) -> (usize, usize, usize) {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::new();
    let mut enc = Lookahead::new(Encoder::new(), window);
    let mut out = Vec::new();
    let (mut held_requests, mut held_bytes, mut held_ends, mut max) = (0usize, 0usize, 0usize, (0, 0, 0));
    let mut sizes = std::collections::VecDeque::new();
    while let Some(event) = parser.next_event_eof(&mut src).unwrap() {
        match &event {
            Event::Head(h) => {
                let size = 8 + h.method().len() + h.target().len() + h.headers().iter().map(|l| l.len()).sum::<usize>();
                sizes.push_back(size);
                held_requests += 1;
                held_bytes += size;
            }
            Event::Data(d) => held_bytes += d.len(),
            Event::End => held_ends += 1,
        }
        enc.push(event);
        while let Some(e) = enc.emit(&mut out).unwrap() {
            match e {
                Emitted::Head(_) => {
                    held_requests -= 1;
                    held_bytes -= sizes.pop_front().unwrap();
                }
                Emitted::Data(n) => held_bytes -= n,
                Emitted::End => held_ends -= 1,
            }
        }
        max = (max.0.max(held_requests), max.1.max(held_bytes), max.2.max(held_ends));
    }
    enc.finish();
    while enc.emit(&mut out).unwrap().is_some() {}
    assert_eq!(common::decode(&out).unwrap(), common::canonical(plain).unwrap());
    max
}

#[test]
fn window_bounds_requests() {
    let plain = streamline_traffic::browse(300, 3);
    let (requests, _) = high_water(&plain, Window { requests: 10, bytes: usize::MAX });
    assert_eq!(requests, 10, "after each event a window of 10 holds at most 10 requests");
}

#[test]
fn window_bounds_bytes_heads_included() {
    // Browse heads are ~400 bytes and have no bodies: only head bytes can bound the window.
    let plain = streamline_traffic::browse(300, 3);
    let (_, bytes) = high_water(&plain, Window { requests: usize::MAX, bytes: 4000 });
    assert!(bytes <= 4000 + 1000, "held {bytes} bytes");
    let (_, bytes) = high_water(&streamline_traffic::upload(50, 3, 3000), Window { requests: usize::MAX, bytes: 4000 });
    assert!(bytes <= 4000 + 16 * 1024, "held {bytes} bytes");
}

/// A zero window writes each request as soon as it is read, body and end included.
#[test]
fn zero_window_holds_nothing() {
    for plain in [streamline_traffic::opra(20, 1, 66), streamline_traffic::upload(10, 1, 500)] {
        assert_eq!(held_back(&plain, Window { requests: 0, bytes: 0 }), (0, 0, 0));
    }
}
