//! The encoder's lookahead window holds at most its configured requests and bytes (SPEC.md §9.4).

mod common;

use bytes::{BufMut, BytesMut};
use streamline::{http1, Drained, Emitted, Encoder, ErrorKind, Event, Lookahead, Window};

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
        enc.push(event).unwrap();
        while let Some(e) = enc.emit(&mut out).unwrap() {
            match e {
                Emitted::Head { .. } => {
                    held_requests -= 1;
                    held_bytes -= sizes.pop_front().unwrap();
                }
                Emitted::Data { bytes, .. } => held_bytes -= bytes,
                Emitted::End { .. } => held_ends -= 1,
            }
        }
        max = (max.0.max(held_requests), max.1.max(held_bytes), max.2.max(held_ends));
    }
    enc.finish(&mut out).unwrap();
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

/// The events of a plain stream.
fn events(plain: &[u8]) -> Vec<Event> {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::new();
    std::iter::from_fn(|| parser.next_event_eof(&mut src).unwrap()).collect()
}

/// The draining calls write what `emit` would, item by item, into any `BufMut`, and say what
/// they wrote: bytes, heads, requests written whole and where the last one ends.
#[test]
fn draining_calls_write_what_emit_writes() {
    let plain = [streamline_traffic::browse(60, 5), streamline_traffic::upload(5, 5, 3000)].concat();
    for window in [Window { requests: 0, bytes: 0 }, Window { requests: 3, bytes: 2000 }, Window::default()] {
        let mut by_items = Vec::new();
        let mut enc = Lookahead::new(Encoder::new(), window);
        for event in events(&plain) {
            enc.push(event).unwrap();
            while enc.emit(&mut by_items).unwrap().is_some() {}
        }
        enc.finish(&mut by_items).unwrap();

        let mut out = BytesMut::new();
        let mut enc = Lookahead::new(Encoder::new(), window);
        let (mut heads, mut requests) = (0, 0);
        let mut check = |drained: Drained, out: &BytesMut, before: usize| {
            assert_eq!(out.len() - before, drained.bytes);
            assert!(drained.whole <= drained.bytes && (drained.requests > 0 || drained.whole == 0));
            // The output up to the last whole request decodes to exactly the requests counted.
            if drained.requests > 0 {
                let upto = before + drained.whole;
                let back = common::decode_requests(&out[..upto]).expect("whole requests");
                assert_eq!(back.len(), requests + drained.requests);
            }
            heads += drained.heads;
            requests += drained.requests;
        };
        for event in events(&plain) {
            let before = out.len();
            let drained = enc.encode(event, &mut out).unwrap();
            check(drained, &out, before);
        }
        let before = out.len();
        let drained = enc.finish(&mut out).unwrap();
        check(drained, &out, before);
        assert_eq!(out, by_items);
        assert_eq!((heads, requests, enc.written()), (65, 65, 65));
        assert_eq!(common::decode(&out).unwrap(), common::canonical(&plain).unwrap());
    }
}

/// Each item carries its request's sequence number: its index among the heads pushed.
#[test]
fn emitted_items_carry_sequence_numbers() {
    let plain = streamline_traffic::upload(6, 2, 500);
    let mut enc = Lookahead::new(Encoder::new(), Window { requests: 2, bytes: usize::MAX });
    let (mut out, mut seen) = (Vec::new(), Vec::new());
    let mut heads = 0u64;
    for event in events(&plain) {
        let expected = if matches!(event, Event::Head(_)) { heads } else { heads - 1 };
        heads += u64::from(matches!(event, Event::Head(_)));
        seen.push((expected, std::mem::discriminant(&event)));
        enc.push(event).unwrap();
    }
    enc.finish(&mut Vec::new().limit(0)).unwrap();
    let mut emitted = Vec::new();
    while let Some(e) = enc.emit(&mut out).unwrap() {
        emitted.push(e);
    }
    assert_eq!(emitted.len(), seen.len());
    for (e, (seq, _)) in emitted.iter().zip(&seen) {
        assert_eq!(e.seq(), *seq, "{e:?}");
    }
    assert!(matches!(emitted[0], Emitted::Head { seq: 0, .. }));
    assert!(matches!(emitted.last(), Some(Emitted::End { seq: 5 })));
}

/// After `finish`, pushes are refused (not taken as a stream with window 0), and nothing more
/// is written; the encoder has not failed.
#[test]
fn pushes_after_finish_are_refused() {
    let plain = b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    let mut enc = Lookahead::new(Encoder::new(), Window::default());
    let mut out = Vec::new();
    for event in events(plain) {
        assert_eq!(enc.encode(event, &mut out).unwrap(), Drained::default(), "held in the window");
    }
    let drained = enc.finish(&mut out).unwrap();
    assert_eq!((drained.heads, drained.requests, drained.bytes, drained.whole), (2, 2, out.len(), out.len()));
    let late = events(b"GET /c HTTP/1.1\r\n\r\n");
    for event in late {
        let err = enc.encode(event.clone(), &mut out).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Unencodable("event pushed after Lookahead::finish"));
        assert!(enc.push(event).is_err());
    }
    assert_eq!(enc.emit(&mut out), Ok(None));
    assert_eq!(enc.finish(&mut out), Ok(Drained::default()));
    assert_eq!(enc.refusal(), None);
    assert_eq!(common::decode(&out).unwrap(), common::canonical(plain).unwrap());
}

/// At the finish, a request whose end never came (the input stopped inside its body) is not
/// started; one whose head is out already keeps what was written of it.
#[test]
fn finish_leaves_an_unfinished_request_unstarted() {
    let plain = b"GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234";
    let mut src = BytesMut::from(&plain[..]);
    let mut parser = http1::Parser::new();
    let mut queued = Vec::new();
    while let Ok(Some(event)) = parser.next_event(&mut src) {
        queued.push(event);
    }
    assert_eq!(queued.len(), 4, "two heads, an end and the body's start");
    let mut enc = Lookahead::new(Encoder::new(), Window::default());
    let mut out = Vec::new();
    for event in queued.clone() {
        enc.encode(event, &mut out).unwrap();
    }
    let drained = enc.finish(&mut out).unwrap();
    assert_eq!((drained.heads, drained.requests), (1, 1));
    assert_eq!(common::decode(&out).unwrap(), b"GET /a HTTP/1.1\r\n\r\n");
    // With a zero window the head went out with the body's start: the finish adds nothing.
    let mut enc = Lookahead::new(Encoder::new(), Window { requests: 0, bytes: 0 });
    let mut out = Vec::new();
    for event in queued {
        enc.encode(event, &mut out).unwrap();
    }
    assert_eq!(enc.finish(&mut out).unwrap(), Drained::default());
    assert!(out.ends_with(b" 10\r\n01234"), "{:?}", out.escape_ascii().to_string());
    assert_eq!(enc.written(), 1);
}

/// A buffer without room stops a draining call (`full`) and makes `emit` say so without
/// failing; with room again, the same bytes follow.
#[test]
fn a_full_buffer_stops_draining_without_loss() {
    let plain = streamline_traffic::upload(4, 9, 700);
    let mut whole = Vec::new();
    let mut enc = Lookahead::new(Encoder::new(), Window { requests: 1, bytes: usize::MAX });
    for event in events(&plain) {
        enc.encode(event, &mut whole).unwrap();
    }
    enc.finish(&mut whole).unwrap();

    // Room for 300 bytes at a time: written out (to `out`) between calls.
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut enc = Lookahead::new(Encoder::new(), Window { requests: 1, bytes: usize::MAX });
    let mut fulls = 0;
    let mut pending = events(&plain).into_iter();
    let mut finished = false;
    loop {
        let drained = if finished {
            enc.drain(&mut (&mut buf).limit(300)).unwrap()
        } else if let Some(event) = pending.next() {
            enc.encode(event, &mut (&mut buf).limit(300)).unwrap()
        } else {
            finished = true;
            enc.finish(&mut (&mut buf).limit(300)).unwrap()
        };
        assert!(buf.len() <= 300);
        out.append(&mut buf);
        if drained.full {
            fulls += 1;
            assert_eq!(
                enc.emit(&mut Vec::new().limit(0)),
                Err(streamline::Error::from_kind(ErrorKind::Unencodable(Encoder::NO_ROOM))),
                "emit into no room"
            );
            // Room again: go on draining before the next event.
            while enc.drain(&mut (&mut buf).limit(300)).unwrap().full {
                out.append(&mut buf);
            }
            out.append(&mut buf);
        } else if finished {
            break;
        }
    }
    assert!(fulls > 0);
    assert_eq!(out, whole);
    assert_eq!(enc.refusal(), None);
}
