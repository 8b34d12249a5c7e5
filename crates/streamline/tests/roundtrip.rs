//! Round trips over generated traffic (SPEC.md §6, §9): decode(encode(x)) is canonical(x), and
//! decode -> encode -> decode of a random compact program gives the same requests.

mod common;

use bytes::BytesMut;
use proptest::prelude::*;
use streamline::{Decoder, Encoder, Limits, Lookahead, Window};

/// Header lines real traffic repeats, and a few that vary.
const NAMES: &[&str] = &["Host", "Accept", "Cookie", "User-Agent", "X-Trace", "accept-encoding", "X-Empty"];
const VALUES: &[&str] = &["a", "text/html, */*;q=0.8", "k=v; theme=dark", "  padded  ", "", "caf\u{e9}", "+: 5", "H:x"];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM!"];
const TARGETS: &[&str] = &["/", "/receiver", "/api/v1/quotes", "/api/v1/trades?x=1", "*", "http://h/p"];

fn header_line() -> impl Strategy<Value = String> {
    (0..NAMES.len(), 0..VALUES.len(), any::<u8>()).prop_map(|(n, v, salt)| {
        let value = if salt % 4 == 0 { format!("{} {salt}", VALUES[v]) } else { VALUES[v].to_string() };
        format!("{}:{}{}", NAMES[n], if salt % 3 == 0 { "" } else { " " }, value)
    })
}

/// Body bytes that look like protocol: CRLFs, opcode lines, chunk lines.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"+: 13\r\n".to_vec()),
        Just(b"H:Host: evil\r\n".to_vec()),
        Just(b"0\r\n\r\n".to_vec()),
        Just(b"GET / HTTP/1.1\r\n\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(Just(b'x'), 0..1024),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|p| {
        let mut b = p.concat();
        b.truncate(4096);
        b
    })
}

#[derive(Debug, Clone)]
enum Framing {
    None,
    Length,
    Chunked(Vec<usize>, bool),
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        2 => Just(Framing::None),
        4 => Just(Framing::Length),
        1 => (proptest::collection::vec(1usize..600, 0..4), any::<bool>()).prop_map(|(c, t)| Framing::Chunked(c, t)),
    ]
}

/// One request as plain bytes. `canonical` puts the framing field last in its canonical
/// spelling; otherwise it goes somewhere in the middle in some other spelling.
#[derive(Debug, Clone)]
struct Req {
    method: usize,
    target: usize,
    suffix: String,
    version: (u8, u8),
    headers: Vec<String>,
    framing: Framing,
    body: Vec<u8>,
    framing_at: usize,
    leading_crlf: bool,
}

fn request(profiles: Vec<Vec<String>>) -> impl Strategy<Value = Req> {
    (
        0..METHODS.len(),
        0..TARGETS.len(),
        prop_oneof![3 => Just(String::new()), 1 => "[a-z0-9/._-]{1,12}"],
        prop_oneof![8 => Just((1u8, 1u8)), 1 => Just((1, 0)), 1 => (0u8..10, 0u8..10)],
        0..profiles.len(),
        proptest::collection::vec(header_line(), 0..3),
        0..4usize,
        framing(),
        body(),
        any::<usize>(),
        proptest::bool::weighted(0.05),
    )
        .prop_map(
            move |(method, target, suffix, version, p, extra, edit, framing, body, framing_at, leading_crlf)| {
                let mut headers = profiles[p].clone();
                match edit {
                    0 => headers.extend(extra),
                    1 => {
                        headers.pop();
                    }
                    2 if !headers.is_empty() => {
                        let last = headers.len() - 1;
                        headers[last] = extra.first().cloned().unwrap_or_default();
                        headers.retain(|h| !h.is_empty());
                    }
                    _ => {}
                }
                // Chunked bodies need HTTP/1.1 or later (RFC 9112 §6.1).
                let version = match framing {
                    Framing::Chunked(..) if version < (1, 1) => (1, 1),
                    _ => version,
                };
                Req { method, target, suffix, version, headers, framing, body, framing_at, leading_crlf }
            },
        )
}

fn traffic() -> impl Strategy<Value = Vec<Req>> {
    proptest::collection::vec(proptest::collection::vec(header_line(), 0..6), 1..4)
        .prop_flat_map(|profiles| proptest::collection::vec(request(profiles), 1..24))
}

impl Req {
    fn write(&self, canonical: bool, out: &mut Vec<u8>) {
        if self.leading_crlf && !canonical {
            out.extend_from_slice(b"\r\n");
        }
        let target = format!("{}{}", TARGETS[self.target], self.suffix);
        out.extend_from_slice(
            format!("{} {} HTTP/{}.{}\r\n", METHODS[self.method], target, self.version.0, self.version.1).as_bytes(),
        );
        let (field, body) = match &self.framing {
            Framing::None => (None, Vec::new()),
            Framing::Length => {
                let name = if canonical { "Content-Length: " } else { "content-length:  " };
                (Some(format!("{name}{}", self.body.len())), self.body.clone())
            }
            Framing::Chunked(sizes, trailer) => {
                let mut b = Vec::new();
                let mut rest = &self.body[..];
                for (i, &size) in sizes.iter().enumerate() {
                    let take = size.min(rest.len());
                    if take == 0 {
                        break;
                    }
                    let ext = if i == 0 { ";x=\"y\"" } else { "" };
                    b.extend_from_slice(format!("{take:X}{ext}\r\n").as_bytes());
                    b.extend_from_slice(&rest[..take]);
                    b.extend_from_slice(b"\r\n");
                    rest = &rest[take..];
                }
                b.extend_from_slice(b"0\r\n");
                if *trailer {
                    b.extend_from_slice(b"X-Checksum: 1234\r\n");
                }
                b.extend_from_slice(b"\r\n");
                let name = if canonical { "Transfer-Encoding: chunked" } else { "transfer-encoding: CHUNKED " };
                (Some(name.to_string()), b)
            }
        };
        let at = if canonical { self.headers.len() } else { self.framing_at % (self.headers.len() + 1) };
        for (i, h) in self.headers.iter().enumerate() {
            if i == at {
                if let Some(f) = &field {
                    out.extend_from_slice(format!("{f}\r\n").as_bytes());
                }
            }
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if at == self.headers.len() {
            if let Some(f) = &field {
                out.extend_from_slice(format!("{f}\r\n").as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
    }
}

fn stream(reqs: &[Req], canonical: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for r in reqs {
        r.write(canonical, &mut out);
    }
    out
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        2 => Just(Window::default()),
        1 => (0usize..4, prop_oneof![Just(0usize), Just(100), Just(1 << 20)]).prop_map(|(requests, bytes)| Window { requests, bytes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// SPEC.md §6: decode(encode(x)) == x for canonical streams and canonical(x) for others.
    #[test]
    fn plain_round_trips(reqs in traffic(), window in window()) {
        let canonical = stream(&reqs, true);
        let messy = stream(&reqs, false);
        prop_assert_eq!(common::canonical(&messy).unwrap(), canonical.clone());
        for input in [&canonical, &messy] {
            let compact = common::encode_with(input, Limits::default(), window).unwrap();
            let back = common::decode(&compact).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&back), String::from_utf8_lossy(&canonical));
        }
    }
}

/// One opcode of a random compact program.
#[derive(Debug, Clone)]
enum Step {
    Version(u8, u8),
    Base(usize),
    Method(usize),
    Header(String),
    Store(u8),
    Load(u8),
    Bodyless(String),
    WithBody(String, Vec<u8>),
    Chunked(String, Vec<u8>),
}

fn step() -> impl Strategy<Value = Step> {
    let suffix = prop_oneof![3 => Just(String::new()), 1 => "[a-z0-9/]{1,6}"];
    prop_oneof![
        1 => (0u8..10, 0u8..10).prop_map(|(a, b)| Step::Version(a, b)),
        1 => (0..TARGETS.len()).prop_map(Step::Base),
        1 => (0..METHODS.len()).prop_map(Step::Method),
        3 => header_line().prop_map(Step::Header),
        2 => (0u8..6).prop_map(Step::Store),
        2 => (0u8..6).prop_map(Step::Load),
        2 => suffix.clone().prop_map(Step::Bodyless),
        3 => (suffix.clone(), body()).prop_map(|(s, b)| Step::WithBody(s, b)),
        1 => (suffix, body()).prop_map(|(s, b)| Step::Chunked(s, b)),
    ]
}

/// Writes a program, skipping steps that would be invalid at that point, so every program
/// decodes without error.
fn program(steps: &[Step]) -> Vec<u8> {
    let mut out = b"V:HTTP/1.1\r\nM:GET\r\nB:/\r\n".to_vec();
    // Registers hold the version too, so track it per register.
    let mut stored: [Option<(u8, u8)>; 6] = [None; 6];
    let mut version = (1, 1);
    for s in steps {
        match s {
            Step::Version(a, b) => {
                version = (*a, *b);
                out.extend_from_slice(format!("V:HTTP/{a}.{b}\r\n").as_bytes())
            }
            Step::Base(t) => out.extend_from_slice(format!("B:{}\r\n", TARGETS[*t]).as_bytes()),
            Step::Method(m) => out.extend_from_slice(format!("M:{}\r\n", METHODS[*m]).as_bytes()),
            Step::Header(h) => out.extend_from_slice(format!("H:{h}\r\n").as_bytes()),
            Step::Store(r) => {
                stored[*r as usize] = Some(version);
                out.extend_from_slice(format!(">:reg{r}\r\n").as_bytes());
            }
            Step::Load(r) => {
                if let Some(v) = stored[*r as usize] {
                    version = v;
                    out.extend_from_slice(format!("<:reg{r}\r\n").as_bytes());
                }
            }
            Step::Bodyless(s) => out.extend_from_slice(format!("-:{s}\r\n").as_bytes()),
            Step::WithBody(s, b) => {
                out.extend_from_slice(format!("+:{s} {}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
            Step::Chunked(..) if version < (1, 1) => {}
            Step::Chunked(s, b) => {
                out.extend_from_slice(format!("*:{s}\r\n").as_bytes());
                if !b.is_empty() {
                    out.extend_from_slice(format!("{:x}\r\n", b.len()).as_bytes());
                    out.extend_from_slice(b);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// SPEC.md §4–§5, §9: decode -> encode -> decode yields the same requests, whether the
    /// encoder sees each request alone or with a window ahead.
    #[test]
    fn compact_programs_reencode(steps in proptest::collection::vec(step(), 0..60), window in window()) {
        let compact = program(&steps);
        let first = common::decode_requests(&compact).unwrap();
        let mut alone = Vec::new();
        let mut encoder = Encoder::new();
        for r in &first {
            encoder.encode(r, &mut alone).unwrap();
        }
        let mut plain = Vec::new();
        for r in &first {
            r.write_http1(&mut plain);
        }
        let windowed = common::encode_with(&plain, Limits::default(), window).unwrap();
        for again in [alone, windowed] {
            let second = common::decode_requests(&again).unwrap();
            prop_assert_eq!(&second, &first);
        }
    }
}

/// The streaming decoder hands out the same body bytes as the whole-request call.
#[test]
fn events_and_requests_agree() {
    let compact = common::read_sample("post-someurl-x100.shttp");
    let mut src = BytesMut::from(&compact[..]);
    let mut decoder = Decoder::new();
    let mut bodies = 0;
    while let Some(event) = decoder.next_event_eof(&mut src).unwrap() {
        if let streamline::Event::Data(d) = event {
            assert_eq!(&d[..], b"hello world\r\n");
            bodies += 1;
        }
    }
    assert_eq!(bodies, 100);
    let _ = Lookahead::new(Encoder::new(), Window::default());
}
