//! The encoder stays within the limits it was given (SPEC.md §7.4, §9.3): whatever it writes, a
//! decoder with the same limits reads back; what it cannot write that way, it refuses.

mod common;

use streamline::{ErrorKind, Limits, Window};

fn get(headers: &[String]) -> Vec<u8> {
    let mut out = b"GET / HTTP/1.1\r\n".to_vec();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn round_trip(plain: &[u8], limits: Limits, window: Window) -> Result<(), ErrorKind> {
    let compact = common::encode_with(plain, limits, window).map_err(|e| e.kind().clone())?;
    let mut src = bytes::BytesMut::from(&compact[..]);
    let mut decoder = streamline::Decoder::with_limits(limits);
    let mut out = Vec::new();
    while let Some(r) = decoder.decode_eof(&mut src).unwrap() {
        r.write_http1(&mut out);
    }
    assert_eq!(out, common::canonical(plain).unwrap());
    Ok(())
}

/// An `H:` line is two bytes longer than its field line: a field line that fits `max_line` in
/// plain form may not in compact form, and the encoder must refuse it rather than write it.
#[test]
fn refuses_lines_past_max_line() {
    let limits = Limits::default().max_line(20);
    let plain = get(&["X: 123456789012345".to_string()]);
    assert!(common::canonical(&plain).is_ok());
    assert_eq!(
        round_trip(&plain, limits, Window::default()),
        Err(ErrorKind::Unencodable("a line would pass the max_line limit"))
    );
    assert_eq!(round_trip(&plain, Limits::default().max_line(22), Window::default()), Ok(()));
}

/// Registers saved for later requests must leave room for the current state.
#[test]
fn saves_fit_the_state_limit() {
    let line = |c: char| format!("{c}: {}", "x".repeat(397));
    let plain = [get(&[line('A'), line('B')]), get(&[line('A'), line('C')])].concat();
    for window in [Window::default(), Window { requests: 0, bytes: 0 }] {
        assert_eq!(round_trip(&plain, Limits::default().max_state_bytes(1000), window), Ok(()));
    }
}

/// With one register, a root (saved before any header line) serves every later request.
#[test]
fn one_register_is_enough() {
    let plain =
        [get(&["A: 1".into(), "B: 2".into()]), get(&["A: 1".into(), "C: 3".into()]), get(&["X: 9".into()])].concat();
    for window in [Window::default(), Window { requests: 0, bytes: 0 }, Window { requests: 1, bytes: 1 << 20 }] {
        assert_eq!(round_trip(&plain, Limits::default().max_registers(1), window), Ok(()), "{window:?}");
    }
}

/// Many distinct header sets and few registers: least-recently-used replacement keeps working.
#[test]
fn few_registers_many_header_sets() {
    let plain = streamline::gen::browse(400, 9);
    for registers in [1, 2, 4] {
        for window in [Window::default(), Window { requests: 0, bytes: 0 }] {
            let limits = Limits::default().max_registers(registers);
            assert_eq!(round_trip(&plain, limits, window), Ok(()), "{registers} registers, {window:?}");
        }
    }
}
