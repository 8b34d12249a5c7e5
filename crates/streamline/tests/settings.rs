//! Settings changed on an encoder that has already written requests, and look-ups a caller
//! makes with any index: the stream stays one a decoder reads back as what was encoded, and
//! nothing panics.

mod common;

use bytes::Bytes;
use proptest::prelude::*;
use streamline::{Encoder, ErrorKind, Framing, Head, Headers, Limits, Request, Response, State, Version};

/// Requests of a browsing session.
fn session() -> Vec<Request> {
    common::parse_plain(&streamline_traffic::browse(60, 7)).unwrap()
}

/// Decodes a whole compact stream.
fn decode(compact: &[u8]) -> Vec<Request> {
    common::decode_requests(compact).unwrap()
}

/// Encodes `requests`, switching editing to `switches[k]` at the k-th of equal parts; stops
/// at the first refusal. Returns the stream and how many requests it holds.
fn encode_switching(requests: &[Request], switches: &[bool]) -> (Vec<u8>, usize) {
    let mut encoder = Some(Encoder::new().editing(switches[0]));
    let mut compact = Vec::new();
    let part = |i: usize| i * switches.len() / requests.len();
    for (i, r) in requests.iter().enumerate() {
        if i > 0 && part(i) != part(i - 1) {
            encoder = encoder.take().map(|e| e.editing(switches[part(i)]));
        }
        let encoder = encoder.as_mut().unwrap();
        let before = compact.len();
        if let Err(e) = encoder.encode(r, &mut compact) {
            // Only the first version's opcodes cannot start from where editing left off.
            assert!(!switches[part(i)], "{e}");
            assert_eq!(e.kind(), &ErrorKind::Unencodable(NO_PREFIX), "{e}");
            assert_eq!(compact.len(), before, "nothing of a refused request is written");
            return (compact, i);
        }
    }
    (compact, requests.len())
}

const NO_PREFIX: &str = "no register holds a prefix of the request's header lines";

/// Editing switched on after requests written without it: the encoder's mirror of the
/// decoder's table and its registers' lines start from what it kept, and every later request
/// reads back as it was (SPEC.md §5.4: entries count from the newest). Switched off after
/// requests written with it, a request may be refused, nothing of it written, and what was
/// written before reads back.
#[test]
fn editing_switched_mid_stream() {
    let requests = session();
    for switches in [&[false, true][..], &[false, true, true, true], &[false, false, false, true]] {
        let (compact, n) = encode_switching(&requests, switches);
        assert_eq!(n, requests.len(), "switches {switches:?}");
        assert_eq!(decode(&compact), requests, "switches {switches:?}");
        // Lines sent after the switch are referenced by their table entries.
        assert!(compact.windows(3).any(|w| w == b"S:="), "switches {switches:?}");
    }
    for switches in [&[true, false][..], &[true, false, true], &[false, true, false, true, false]] {
        let (compact, n) = encode_switching(&requests, switches);
        assert!(n > 0);
        assert_eq!(decode(&compact), requests[..n], "switches {switches:?}");
    }
}

/// `State::table_entry` answers `None` for an index past the table, however large.
#[test]
fn table_entry_takes_any_index() {
    let mut state = State::new(Limits::default());
    assert_eq!(state.table_entry(usize::MAX), None);
    assert_eq!(state.table_entry(0), None);
    state.apply(&streamline::Op::Header(b"X: 1")).unwrap();
    assert_eq!(state.table_entry(usize::MAX), None);
}

/// A stream keeps its direction: `responses()` on an encoder that wrote a request changes
/// nothing, and a response given to it is refused, nothing written.
#[test]
fn direction_switched_mid_stream() {
    let requests = session();
    let mut encoder = Encoder::new();
    let mut compact = Vec::new();
    encoder.encode(&requests[0], &mut compact).unwrap();
    let mut encoder = encoder.responses();
    let head = Head::response(200, "OK".into(), Version::HTTP_11, Headers::new(), Framing::Length(0)).unwrap();
    let response = Response::new(head, Bytes::new()).unwrap();
    let before = compact.len();
    let err = encoder.encode(&response, &mut compact).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::WrongDirection(_)), "{err}");
    assert_eq!(compact.len(), before);
    encoder.encode(&requests[1], &mut compact).unwrap();
    assert_eq!(decode(&compact), requests[..2]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Editing, packing and effort changed at random between the requests of a random
    /// session: the stream reads back as the requests the encoder took, in order. (With
    /// editing off, a request the first version's opcodes cannot reach from any register is
    /// refused, nothing of it written.)
    #[test]
    fn settings_changed_between_requests(
        seed in 0u64..1000,
        changes in proptest::collection::vec((0usize..60, any::<bool>(), any::<bool>(), 0usize..12), 0..8),
    ) {
        let requests = common::parse_plain(&streamline_traffic::browse(60, seed)).unwrap();
        let mut encoder = Some(Encoder::new());
        let (mut compact, mut taken) = (Vec::new(), Vec::new());
        for (i, r) in requests.iter().enumerate() {
            for &(_, editing, packing, effort) in changes.iter().filter(|c| c.0 == i) {
                encoder = encoder.take().map(|e| e.editing(editing).packing(packing).effort(effort));
            }
            let before = compact.len();
            match encoder.as_mut().unwrap().encode(r, &mut compact) {
                Ok(()) => taken.push(r.clone()),
                Err(e) => {
                    prop_assert_eq!(e.kind(), &ErrorKind::Unencodable(NO_PREFIX));
                    prop_assert_eq!(compact.len(), before);
                }
            }
        }
        prop_assert_eq!(decode(&compact), taken);
    }
}

/// Every limit at its largest and the window unbounded: a session and a feed read back as
/// they were (no limit is added to, multiplied or allocated by in a way that overflows).
#[test]
fn limits_at_their_largest() {
    let limits = Limits::default()
        .max_line(usize::MAX)
        .max_registers(usize::MAX)
        .max_headers(usize::MAX)
        .max_state_bytes(usize::MAX)
        .max_body(u64::MAX)
        .table_bytes(usize::MAX);
    let window = streamline::Window { requests: usize::MAX, bytes: usize::MAX };
    for plain in [streamline_traffic::browse(60, 7), streamline_traffic::opra(100, 7, 66)] {
        let compact = common::encode_with(&plain, limits, window).unwrap();
        let back = common::decode_requests_with(&compact, limits).unwrap();
        assert_eq!(back, common::parse_plain(&plain).unwrap());
    }
}

/// Every limit at 0: encoding is refused and decoding a stream made with the defaults is
/// refused, with errors, not panics.
#[test]
fn limits_at_zero() {
    let zero =
        Limits::default().max_line(0).max_registers(0).max_headers(0).max_state_bytes(0).max_body(0).table_bytes(0);
    for plain in [streamline_traffic::browse(5, 7), streamline_traffic::opra(5, 7, 66)] {
        assert!(common::encode_with(&plain, zero, streamline::Window::default()).is_err());
        let compact = common::encode(&plain).unwrap();
        assert!(common::decode_requests_with(&compact, zero).is_err());
    }
}
