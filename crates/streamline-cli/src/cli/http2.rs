//! What the same requests cost as a browser sends them over HTTP/2 (RFC 9113, HPACK RFC 7541),
//! and the same responses as a server would send them back.
//!
//! Each request becomes a HEADERS frame (plus CONTINUATION frames past 16,384 bytes) holding
//! its fields compressed by a real HPACK encoder (`httlib-hpack`) whose dynamic table lives as
//! long as the connection, then DATA frames of at most 16,384 bytes for the body. Every frame
//! has a 9-byte header. The connection costs the 24-byte preface and one SETTINGS frame
//! once.
//!
//! Field mapping (RFC 9113 §8.3.1), in the order Chrome sends them: `:method`; `:authority`
//! from Host (or from an absolute-form target); `:scheme` `https` (h2 runs over TLS in
//! practice; `http` is as short, both are static-table entries of one byte); `:path` from the
//! target (CONNECT has `:authority` only); then every other field with its name lowercased, in
//! order, without the connection-specific ones (Connection and the fields it names,
//! Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, TE other than `trailers`; Host
//! became `:authority`); then `content-length` when the request has one. A `cookie` field is
//! split into crumbs (RFC 9113 §8.2.3), one `cookie` field per cookie-pair, as Chrome does it:
//! the value trimmed of spaces and tabs, cut at each `;`, one space after a `;` dropped. A
//! chunked body is sent as its chunk data, its trailer fields as a second HEADERS frame.
//!
//! Encoder policy: Chrome's (quiche's `HpackEncoder` with its `DefaultPolicy`), the bar the
//! compact form has to beat. A field whose name and value are in the static or dynamic table
//! is sent as its index. Any other field is a literal, its name as an index where the name is
//! in a table, and Huffman coding is used for a string where that is shorter. The literal is
//! added to the dynamic table (4,096 bytes, the protocol default) unless it is a pseudo-header
//! field other than `:authority`: a `:path` (or a `:method` or `:scheme` beyond the static
//! table's) is sent as a literal without indexing every time. So a repeated path costs its
//! bytes again, but paths that change do not push the entries that repeat (a bearer token,
//! the user agent, the cookie crumbs) out of the table; on real sessions that is the smaller
//! of the two (samples/sessions: 100 bytes a request on the python-requests session where
//! indexing every field needs 122). Cookie crumbs make a cookie that changes cost only the
//! crumb that changed. Other clients index less: nghttp2 and hyper's h2 never index
//! `:path`, `content-length`, `cookie` or `authorization`.
//!
//! A response is sent the same way by the server, on the same connection's other direction
//! (RFC 9113 §8.3.2): a HEADERS frame of `:status` (a static-table index for 200, 204, 206,
//! 304, 400, 404 and 500, a literal otherwise, never added to the table) and the other fields
//! mapped as above, `content-length` last when the response has one (also when it announces
//! a body it does not carry: the answer to a HEAD, a 304 with Content-Length), compressed by
//! its own HPACK encoder with the same policy, then DATA frames for the body. A response
//! without a body ends its stream on HEADERS; a close-delimited or chunked one, whose end the
//! server learns only when it comes, with an empty DATA frame if no trailer HEADERS frame
//! ends it. The server's side of the connection costs its SETTINGS frame once.

use std::collections::HashSet;

use httlib_hpack::Encoder as HpackEncoder;
use streamline::{Framing, Head};

/// The client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
pub const PREFACE: u64 = 24;
/// Every frame's header: length (3), type, flags, stream id (4).
pub const FRAME_HEADER: u64 = 9;
/// SETTINGS_MAX_FRAME_SIZE's default, which the client cannot exceed unless the server allows.
pub const MAX_FRAME: u64 = 16_384;
/// The client's SETTINGS frame: no settings (the defaults suit a client that only sends), so
/// the frame header alone. (Its acknowledgement of the server's SETTINGS is not counted.)
pub const SETTINGS: u64 = FRAME_HEADER;
/// Bytes the connection costs once, before the first request.
pub const SETUP: u64 = PREFACE + SETTINGS;
/// Bytes the server's side of the connection costs once, before the first response: its
/// SETTINGS frame (its preface), without settings. (Its acknowledgement of the client's
/// SETTINGS is not counted, as the client's of the server's is not.)
pub const SERVER_SETUP: u64 = SETTINGS;
/// SETTINGS_HEADER_TABLE_SIZE's default: the dynamic table the server's decoder keeps.
pub const TABLE_SIZE: u32 = 4096;

/// One HTTP/2 connection's sender: the HPACK encoder and its state.
pub struct Connection {
    hpack: Hpack,
    fields: Vec<(Vec<u8>, Vec<u8>)>,
    block: Vec<u8>,
    /// The last head, its block length, and whether encoding it again gives the same bytes
    /// (it did not change the dynamic table: every field was already indexed).
    last: Option<(Head, u64, bool)>,
}

impl Default for Connection {
    fn default() -> Self {
        Connection::new()
    }
}

impl Connection {
    /// A new connection.
    pub fn new() -> Connection {
        Connection { hpack: Hpack::new(), fields: Vec::new(), block: Vec::new(), last: None }
    }

    /// Bytes of the HEADERS (and CONTINUATION) frames carrying `head`.
    pub fn headers(&mut self, head: &Head) -> u64 {
        if let Some((last, len, true)) = &self.last {
            if last == head {
                return frames_for_block(*len);
            }
        }
        self.fields.clear();
        fields(head, &mut self.fields);
        self.block.clear();
        let stable = self.hpack.encode(&self.fields, &mut self.block);
        let len = self.block.len() as u64;
        self.last = Some((head.clone(), len, stable));
        frames_for_block(len)
    }

    /// Bytes of the trailer HEADERS frames for a chunked body's trailer lines.
    pub fn trailers(&mut self, lines: &[Vec<u8>]) -> u64 {
        self.fields.clear();
        for line in lines {
            if let Some((name, value)) = split_field(line) {
                self.fields.push((name.to_ascii_lowercase(), value.to_vec()));
            }
        }
        self.block.clear();
        self.hpack.encode(&self.fields, &mut self.block);
        self.last = None;
        frames_for_block(self.block.len() as u64)
    }

    /// The HPACK block of the last head or trailers encoded.
    #[cfg(test)]
    pub fn last_block(&self) -> &[u8] {
        &self.block
    }
}

/// Frame headers of the DATA frames for a body: `payload` bytes of content (for a chunked
/// body its chunk data), `trailers` whether trailer HEADERS follow (they end the stream).
/// A message without body ends its stream on the HEADERS frame and has no DATA frame.
pub fn data_frames(framing: Framing, payload: u64, trailers: bool) -> u64 {
    let frames = payload.div_ceil(MAX_FRAME);
    let frames = match framing {
        // A chunked sender learns the body ended only at the last chunk (a close-delimited
        // one at the end of its input): an empty DATA frame then ends the stream, unless a
        // trailer HEADERS frame does.
        Framing::Chunked | Framing::Close if frames == 0 && !trailers => 1,
        _ => frames,
    };
    frames * FRAME_HEADER
}

/// A header block of `len` bytes in frames: HEADERS, then CONTINUATION frames past
/// [`MAX_FRAME`].
fn frames_for_block(len: u64) -> u64 {
    len + len.div_ceil(MAX_FRAME).max(1) * FRAME_HEADER
}

/// The HTTP/2 fields of a request or response head, in order (see the module docs).
pub fn fields(head: &Head, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    if head.is_response() {
        // The status code's three digits.
        out.push((b":status".to_vec(), head.method().to_vec()));
    } else {
        request_pseudo_fields(head, out);
    }
    // The fields Connection names, lowercased, gathered once: a set, so a head with many
    // fields and many tokens costs their sum, not their product.
    let nominated: HashSet<Vec<u8>> = head
        .headers()
        .iter()
        .filter_map(|line| split_field(line))
        .filter(|(name, _)| name.eq_ignore_ascii_case(b"connection"))
        .flat_map(|(_, value)| value.split(|&b| b == b',').map(|t| trim(t).to_ascii_lowercase()))
        .collect();
    for line in head.headers().iter() {
        let Some((name, value)) = split_field(line) else { continue };
        let name = name.to_ascii_lowercase();
        let drop = match &name[..] {
            b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade" | b"host" => true,
            b"te" => !value.eq_ignore_ascii_case(b"trailers"),
            _ => nominated.contains(&name),
        };
        if drop {
            continue;
        }
        if name == b"cookie" {
            out.extend(crumbs(value).map(|crumb| (name.clone(), crumb.to_vec())));
        } else {
            out.push((name, value.to_vec()));
        }
    }
    if let Framing::Length(n) | Framing::Announced(n) = head.framing() {
        out.push((b"content-length".to_vec(), n.to_string().into_bytes()));
    }
}

/// A request's pseudo-header fields, in Chrome's order.
fn request_pseudo_fields(head: &Head, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    let target = head.target();
    let method = &head.method()[..];
    out.push((b":method".to_vec(), method.to_vec()));
    let host = head.headers().iter().find_map(|line| {
        split_field(line).filter(|(name, _)| name.eq_ignore_ascii_case(b"host")).map(|(_, value)| value)
    });
    if method == b"CONNECT" {
        out.push((b":authority".to_vec(), target.to_vec()));
    } else if let Some((scheme, rest)) = split_absolute(target) {
        let path_at = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(path_at);
        out.push((b":authority".to_vec(), authority.to_vec()));
        out.push((b":scheme".to_vec(), scheme.to_ascii_lowercase()));
        let path = match path.first() {
            None => b"/".to_vec(),
            Some(b'?') => [&b"/"[..], path].concat(),
            Some(_) => path.to_vec(),
        };
        out.push((b":path".to_vec(), path));
    } else {
        if let Some(host) = host {
            out.push((b":authority".to_vec(), host.to_vec()));
        }
        out.push((b":scheme".to_vec(), b"https".to_vec()));
        out.push((b":path".to_vec(), target.to_vec()));
    }
}

/// The crumbs of a Cookie value (RFC 9113 §8.2.3), cut as Chrome cuts them (quiche's
/// `HpackEncoder::CookieToCrumbs`): spaces and tabs trimmed off both ends, then a crumb up to
/// each `;`, the one space after a `;` dropped. An empty value is one empty crumb.
fn crumbs(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    trim(value).split(|&b| b == b';').enumerate().map(|(i, crumb)| match crumb {
        [b' ', rest @ ..] if i > 0 => rest,
        _ => crumb,
    })
}

/// `scheme "://" rest` of an absolute-form target.
fn split_absolute(target: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = target.windows(3).position(|w| w == b"://")?;
    let scheme = &target[..colon];
    let valid = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.iter().all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    valid.then(|| (scheme, &target[colon + 3..]))
}

/// `name ":" OWS value OWS` of a header line.
fn split_field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    Some((&line[..colon], trim(&line[colon + 1..])))
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(s.len());
    let end = s.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |i| i + 1);
    &s[start..end]
}

/// The HPACK encoder with the policy of the module docs.
struct Hpack {
    encoder: HpackEncoder<'static>,
}

impl Hpack {
    fn new() -> Hpack {
        Hpack { encoder: HpackEncoder::with_dynamic_size(TABLE_SIZE) }
    }

    /// Encodes a field list into `dst`. Returns whether the dynamic table is unchanged (no
    /// field was added to it), so that the same list would encode to the same bytes.
    fn encode(&mut self, fields: &[(Vec<u8>, Vec<u8>)], dst: &mut Vec<u8>) -> bool {
        let mut unchanged = true;
        for (name, value) in fields {
            let mut flags = HpackEncoder::BEST_FORMAT;
            if indexes(name) {
                flags |= HpackEncoder::WITH_INDEXING;
            }
            if huffman_len(name) < name.len() {
                flags |= HpackEncoder::HUFFMAN_NAME;
            }
            if huffman_len(value) < value.len() {
                flags |= HpackEncoder::HUFFMAN_VALUE;
            }
            let start = dst.len();
            // The encoder fails only on an index it made itself or lengths past 2^32.
            if self.encoder.encode((name.clone(), value.clone(), flags), dst).is_err() {
                dst.truncate(start);
                continue;
            }
            // Only a literal with incremental indexing (first bits 01) adds an entry; an
            // indexed field (1) and a literal without indexing (0000) leave the table as it was.
            unchanged &= dst.get(start).is_some_and(|b| b & 0xc0 != 0x40);
        }
        unchanged
    }
}

/// Whether a field not found in the tables is added to the dynamic table: Chrome's policy
/// (quiche's `DefaultPolicy`), every field but the pseudo-header fields other than
/// `:authority`.
fn indexes(name: &[u8]) -> bool {
    !name.starts_with(b":") || name == b":authority"
}

/// Bytes of `s` Huffman-coded (RFC 7541 Appendix B), padding included.
fn huffman_len(s: &[u8]) -> usize {
    let table = &httlib_huffman::encoder::table::ENCODE_TABLE;
    let bits: usize = s.iter().map(|&b| usize::from(table[usize::from(b)].0)).sum();
    bits.div_ceil(8)
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use httlib_hpack::Decoder as HpackDecoder;
    use streamline::http1::Parser;

    use super::*;

    fn heads(plain: &[u8]) -> Vec<Head> {
        let mut src = BytesMut::from(plain);
        let mut parser = Parser::new();
        std::iter::from_fn(|| parser.decode_eof(&mut src).unwrap()).map(|r| r.head().clone()).collect()
    }

    fn field_strings(head: &Head) -> Vec<String> {
        let mut out = Vec::new();
        fields(head, &mut out);
        out.iter().map(|(n, v)| format!("{}: {}", n.escape_ascii(), v.escape_ascii())).collect()
    }

    /// The HPACK block of each head, sent on `conn`, each checked to decode back to the head's
    /// fields.
    fn blocks(conn: &mut Connection, heads: &[Head]) -> Vec<Vec<u8>> {
        let mut decoder = HpackDecoder::with_dynamic_size(TABLE_SIZE);
        let mut blocks = Vec::new();
        for head in heads {
            let frames = conn.headers(head);
            let mut block = conn.last_block().to_vec();
            assert_eq!(frames, block.len() as u64 + FRAME_HEADER);
            blocks.push(block.clone());
            let mut decoded = Vec::new();
            decoder.decode(&mut block, &mut decoded).unwrap();
            let mut expected = Vec::new();
            fields(head, &mut expected);
            assert_eq!(decoded.into_iter().map(|(n, v, _)| (n, v)).collect::<Vec<_>>(), expected);
        }
        blocks
    }

    #[test]
    fn maps_fields() {
        let plain = b"POST /q?a=1 HTTP/1.1\r\nHost: feed.example\r\nConnection: keep-alive, X-Hop\r\n\
X-Hop: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\nContent-Type:  text/plain \r\nContent-Length: 5\r\n\r\nhello\
GET http://other.example:8080?x HTTP/1.1\r\nHost: ignored\r\nTE: gzip\r\n\r\n\
CONNECT proxy.example:443 HTTP/1.1\r\nHost: proxy.example:443\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let heads = heads(plain);
        assert_eq!(
            field_strings(&heads[0]),
            [
                ":method: POST",
                ":authority: feed.example",
                ":scheme: https",
                ":path: /q?a=1",
                "te: trailers",
                "content-type: text/plain",
                "content-length: 5"
            ]
        );
        assert_eq!(
            field_strings(&heads[1]),
            [":method: GET", ":authority: other.example:8080", ":scheme: http", ":path: /?x"]
        );
        assert_eq!(field_strings(&heads[2]), [":method: CONNECT", ":authority: proxy.example:443"]);
    }

    fn response_heads(plain: &[u8], methods: &[&[u8]]) -> Vec<Head> {
        let mut src = BytesMut::from(plain);
        let mut parser = streamline::http1::ResponseParser::new();
        for method in methods {
            parser.expect(method);
        }
        std::iter::from_fn(|| parser.decode_eof(&mut src).unwrap()).map(|r| r.head().clone()).collect()
    }

    #[test]
    fn maps_response_fields() {
        // A 304, the answer to a HEAD (its Content-Length announced, not carried), a 200.
        let plain = b"HTTP/1.1 304 Not Modified\r\nServer: nginx\r\nConnection: keep-alive\r\nETag: \"x\"\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=1; Path=/\r\n\r\n\
HTTP/1.1 299 Fine\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let heads = response_heads(plain, &[b"GET", b"HEAD", b"GET"]);
        assert_eq!(field_strings(&heads[0]), [":status: 304", "server: nginx", r#"etag: \"x\""#]);
        assert_eq!(heads[1].framing(), Framing::Announced(5));
        assert_eq!(field_strings(&heads[1]), [":status: 200", "set-cookie: a=1; Path=/", "content-length: 5"]);
        assert_eq!(field_strings(&heads[2]), [":status: 299"]);
        // A status in the static table is one byte; one that is not, a literal never indexed.
        let blocks = blocks(&mut Connection::new(), &heads);
        assert_eq!(blocks[0][0], 0x80 | 11, "`:status 304` is static entry 11: {:x?}", blocks[0]);
        assert_eq!(&blocks[2][..], &[0x08, 3, b'2', b'9', b'9'], "never Huffman-coded: it is not shorter");
        // No DATA frame for a body announced and not carried; an empty one ends a body whose
        // end came with the end of the input.
        assert_eq!(data_frames(Framing::Announced(5), 0, false), 0);
        assert_eq!(data_frames(Framing::AnnouncedChunked, 0, false), 0);
        assert_eq!(data_frames(Framing::Close, 0, false), 9);
        assert_eq!(data_frames(Framing::Close, 20_000, false), 18);
    }

    #[test]
    fn drops_every_field_connection_names() {
        // Tokens from every Connection line, in any case, with spaces and empty list elements;
        // a token naming no field is harmless.
        let plain = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-A, , x-b ,Nothing\r\nX-A: 1\r\nx-B: 2\r\n\
X-C: 3\r\nX-D: 4\r\nconnection:x-c\r\nx-a: 5\r\n\r\n";
        assert_eq!(
            field_strings(&heads(plain)[0]),
            [":method: GET", ":authority: h", ":scheme: https", ":path: /", "x-d: 4"]
        );
    }

    #[test]
    fn splits_cookies_into_crumbs_as_chrome_does() {
        // Spaces and tabs trimmed off the ends, a cut at each `;`, one space after it dropped;
        // each Cookie line in place, in order.
        let plain = b"GET / HTTP/1.1\r\nHost: h\r\nCookie: \ta=1; b=2;c=3;  d=4 ;\r\nAccept: */*\r\n\
Cookie: e=5\r\nCookie: \r\n\r\n";
        assert_eq!(
            field_strings(&heads(plain)[0]),
            [
                ":method: GET",
                ":authority: h",
                ":scheme: https",
                ":path: /",
                "cookie: a=1",
                "cookie: b=2",
                "cookie: c=3",
                "cookie:  d=4 ",
                "cookie: ",
                "accept: */*",
                "cookie: e=5",
                "cookie: "
            ]
        );
    }

    #[test]
    fn a_changed_cookie_crumb_costs_only_that_crumb() {
        let request = |theme: &str| {
            format!(
                "GET / HTTP/1.1\r\nHost: www.example.com\r\nAccept: text/html\r\n\
Cookie: sid=5f0c2a7e9b13d4c8; theme={theme}; consent=analytics%3Dno%26ads%3Dno\r\n\r\n"
            )
        };
        let heads = heads(format!("{}{}", request("dark"), request("light")).as_bytes());
        let blocks = blocks(&mut Connection::new(), &heads);
        // Eight fields: seven are one-byte indexes (`:path /` is in the static table); the new
        // crumb is a literal with incremental indexing whose name is the static table's
        // `cookie` (index 32, one byte), then its value: a length byte and the shorter of the
        // raw and the Huffman-coded bytes.
        let crumb = b"theme=light";
        let literal = 1 + 1 + huffman_len(crumb).min(crumb.len());
        assert_eq!(blocks[1].len(), 7 + literal, "{:x?}", blocks[1]);
        // Uncut, the cookie would have been a new literal of its whole value: five indexes, the
        // name's index, a length byte, the value Huffman-coded.
        let whole = b"sid=5f0c2a7e9b13d4c8; theme=light; consent=analytics%3Dno%26ads%3Dno";
        assert!(2 * blocks[1].len() < 5 + 2 + huffman_len(whole), "{}", blocks[1].len());
    }

    #[test]
    fn indexes_every_field_but_pseudo_headers_other_than_authority() {
        // The same head twice: the second time every field is an index but `:path`, which
        // Chrome never adds to the table, and `:method` PATCH, which the static table lacks.
        let request = b"PATCH /api/items/7?fields=id HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer abc\r\n\
Content-Length: 2\r\n\r\n{}";
        let heads = heads(&[&request[..], &request[..]].concat());
        let mut conn = Connection::new();
        let blocks = blocks(&mut conn, &heads);
        // A literal without indexing: the name's static index (one byte, 0000 then the index),
        // a length byte, the shorter of the raw and the Huffman-coded value.
        let literal = |s: &[u8]| 2 + huffman_len(s).min(s.len());
        assert_eq!(blocks[1][0], 2, "`:method` by its static name index 2: {:x?}", blocks[1]);
        assert_eq!(blocks[1].len(), literal(b"PATCH") + literal(b"/api/items/7?fields=id") + 4, "{:x?}", blocks[1]);
        // The table did not change, so the shortcut for a repeated head gives these bytes again.
        assert_eq!(conn.headers(&heads[1]), blocks[1].len() as u64 + FRAME_HEADER);
    }

    #[test]
    fn blocks_decode_back_and_shrink_on_repeats() {
        let plain = streamline_traffic::browse(60, 5);
        let sizes: Vec<u64> = blocks(&mut Connection::new(), &heads(&plain)).iter().map(|b| b.len() as u64).collect();
        // The first request sends every field as a literal; later ones mostly indexes.
        let later = sizes[1..].iter().sum::<u64>() / (sizes.len() as u64 - 1);
        assert!(sizes[0] > 3 * later, "{sizes:?}");
    }

    #[test]
    fn repeated_heads_give_the_same_bytes_as_encoding_again() {
        // The shortcut for a repeated head must not change a single byte.
        let mut plain = streamline_traffic::opra(5, 1, 66);
        plain.extend_from_slice(&streamline_traffic::browse(30, 2));
        plain.extend_from_slice(&streamline_traffic::opra(5, 1, 66));
        let heads = heads(&plain);
        let mut fast = Connection::new();
        let mut slow = Hpack::new();
        for head in &heads {
            let mut fields_ = Vec::new();
            fields(head, &mut fields_);
            let mut block = Vec::new();
            slow.encode(&fields_, &mut block);
            assert_eq!(fast.headers(head), frames_for_block(block.len() as u64));
        }
        // Once indexed, the OPRA head costs one byte per field but for `:path`, a literal
        // every time: its name's static index, a length byte, `/receiver` Huffman-coded.
        assert_eq!(fast.headers(&heads[0]), 6 + 2 + huffman_len(b"/receiver") as u64 + FRAME_HEADER);
    }

    #[test]
    fn frames() {
        assert_eq!(frames_for_block(0), 9);
        assert_eq!(frames_for_block(16_384), 16_384 + 9);
        assert_eq!(frames_for_block(16_385), 16_385 + 18);
        assert_eq!(data_frames(Framing::None, 0, false), 0);
        assert_eq!(data_frames(Framing::Length(0), 0, false), 0);
        assert_eq!(data_frames(Framing::Length(66), 66, false), 9);
        assert_eq!(data_frames(Framing::Length(40_000), 40_000, false), 27);
        assert_eq!(data_frames(Framing::Chunked, 0, false), 9);
        assert_eq!(data_frames(Framing::Chunked, 0, true), 0);
        assert_eq!(data_frames(Framing::Chunked, 10, true), 9);
    }

    #[test]
    fn huffman_lengths() {
        // RFC 7541 C.4.1: "www.example.com" is 12 bytes Huffman-coded.
        assert_eq!(huffman_len(b"www.example.com"), 12);
        assert_eq!(huffman_len(b""), 0);
        assert!(huffman_len(&[0xff; 4]) > 4);
    }
}
