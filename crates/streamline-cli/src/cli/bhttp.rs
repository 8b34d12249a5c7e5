//! What the same requests cost as Binary HTTP messages (RFC 9292), known-length form, each
//! written by the `bhttp` crate: the standard stateless binary encoding of an HTTP message,
//! so its row shows what the other encodings' connection state buys.
//!
//! ```text
//! framing indicator   varint 0 (known-length request)                            1
//! control data        method, scheme, authority, path: each varint length + bytes
//! header section      varint length + fields (varint name length, name, varint value length, value)
//! content             varint length + body (a chunked body's chunk data)
//! trailer section     varint length + fields (0: one byte)
//! ```
//!
//! The fields are the HTTP/2 row's (see `http2::fields`: names lowercased, Host as the
//! authority, the connection-specific fields dropped), without `content-length`, which the
//! content's own length makes redundant; scheme `https`. No padding.
//!
//! A response is a known-length response (framing indicator 1) whose control data is the
//! status code as a varint, then the same sections. Its `content-length` stays when the
//! response carries no content but announces a length (the answer to a HEAD, a 304 with
//! Content-Length): there it says something the content does not. An interim (1xx)
//! response is carried inside the message of the final response that follows it, as its
//! status and header section alone: it costs the message it would be on its own less the 3
//! bytes it does not have (framing indicator, empty content, empty trailer section). A status
//! over 599, which RFC 9292 does not carry, is sized as 599 (a varint of the same length).

use streamline::{Framing, Head};

use crate::cli::http2;

/// Sizes the Binary HTTP form of requests or responses, one at a time.
#[derive(Default)]
pub struct Bhttp {
    fields: Vec<(Vec<u8>, Vec<u8>)>,
    buf: Vec<u8>,
    /// The last head without trailers and its message size with empty content: a feed whose
    /// head repeats is sized once.
    last: Option<(Head, u64)>,
}

impl Bhttp {
    /// Bytes beyond the payload of `head` with `payload` content bytes and `trailers` (field
    /// lines without CRLF).
    pub fn overhead(&mut self, head: &Head, payload: u64, trailers: &[Vec<u8>]) -> u64 {
        let empty = match &self.last {
            Some((last, len)) if trailers.is_empty() && last == head => *len,
            _ => {
                let len = self.size(head, trailers);
                if trailers.is_empty() {
                    self.last = Some((head.clone(), len));
                }
                len
            }
        };
        if head.status().is_some_and(|status| status < 200) {
            return empty - INTERIM;
        }
        // The message was sized with empty content, whose length is the one-byte varint 0.
        empty - 1 + varint_len(payload)
    }

    /// Bytes of the message with empty content, as the `bhttp` crate writes it.
    fn size(&mut self, head: &Head, trailers: &[Vec<u8>]) -> u64 {
        self.fields.clear();
        http2::fields(head, &mut self.fields);
        let pseudo =
            |name: &[u8]| self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let mut message = match head.status() {
            // Every status a head holds is 100 to 999.
            Some(status) => {
                bhttp::Message::response(bhttp::StatusCode::try_from(status.min(599)).unwrap_or(bhttp::StatusCode::OK))
            }
            None => {
                bhttp::Message::request(pseudo(b":method"), pseudo(b":scheme"), pseudo(b":authority"), pseudo(b":path"))
            }
        };
        // The content carries its length, unless there is none and the length is announced.
        let announced = matches!(head.framing(), Framing::Announced(_));
        for (name, value) in &self.fields {
            if !name.starts_with(b":") && (name != b"content-length" || announced) {
                message.put_header(name.clone(), value.clone());
            }
        }
        for line in trailers {
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                message.put_trailer(line[..colon].to_ascii_lowercase(), line[colon + 1..].trim_ascii().to_vec());
            }
        }
        self.buf.clear();
        message.write_bhttp(bhttp::Mode::KnownLength, &mut self.buf).expect("a Vec takes every byte");
        self.buf.len() as u64
    }
}

/// Bytes an interim response does not have beside a message of its own: the framing
/// indicator, the empty content's length and the empty trailer section's.
const INTERIM: u64 = 3;

/// Bytes of a QUIC variable-length integer (RFC 9000 §16), as RFC 9292 uses.
fn varint_len(n: u64) -> u64 {
    match n {
        0..64 => 1,
        64..16_384 => 2,
        16_384..1_073_741_824 => 4,
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use streamline::http1;

    fn head(plain: &[u8]) -> Head {
        let mut src = BytesMut::from(plain);
        http1::Parser::new().decode_eof(&mut src).unwrap().unwrap().head().clone()
    }

    #[test]
    fn the_crate_with_real_content_gives_the_same_size() {
        let h = head(b"POST /receiver HTTP/1.1\r\nHost: opra.example\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nabc");
        let mut sizer = Bhttp::default();
        for len in [0u64, 1, 63, 64, 65, 16_383, 16_384, 100_000] {
            let mut message = bhttp::Message::request(
                b"POST".to_vec(),
                b"https".to_vec(),
                b"opra.example".to_vec(),
                b"/receiver".to_vec(),
            );
            message.put_header(b"x-a".to_vec(), b"1".to_vec());
            message.write_content(vec![b'q'; len as usize]);
            let mut out = Vec::new();
            message.write_bhttp(bhttp::Mode::KnownLength, &mut out).unwrap();
            assert_eq!(sizer.overhead(&h, len, &[]), out.len() as u64 - len, "content of {len}");
        }
    }

    fn response_head(plain: &[u8], method: &[u8]) -> Head {
        let mut src = BytesMut::from(plain);
        let mut parser = http1::ResponseParser::new();
        parser.expect(method);
        parser.decode_eof(&mut src).unwrap().unwrap().head().clone()
    }

    #[test]
    fn layout_of_responses() {
        // 1 | status 200 (a two-byte varint) | fields 4: x: y | content 2 | trailers 0
        let ok = response_head(b"HTTP/1.1 200 OK\r\nX: y\r\nContent-Length: 2\r\n\r\nok", b"GET");
        assert_eq!(Bhttp::default().overhead(&ok, 2, &[]), 1 + 2 + (1 + 4) + 1 + 1);
        // The answer to a HEAD keeps its content-length: the content does not say it.
        let head = response_head(b"HTTP/1.1 200 OK\r\nX: y\r\nContent-Length: 5\r\n\r\n", b"HEAD");
        assert_eq!(Bhttp::default().overhead(&head, 0, &[]), 1 + 2 + (1 + 4 + 17) + 1 + 1);
        // An interim response is its status and fields inside the final response's message.
        let early = response_head(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", b"GET");
        assert_eq!(Bhttp::default().overhead(&early, 0, &[]), 2 + (1 + 10));
        // Past 599, sized as 599.
        let odd = response_head(b"HTTP/1.1 700 Odd\r\nContent-Length: 0\r\n\r\n", b"GET");
        assert_eq!(Bhttp::default().overhead(&odd, 0, &[]), 1 + 2 + 1 + 1 + 1);
    }

    #[test]
    fn layout_of_a_small_request() {
        // 0 | 3 GET | 5 https | 1 a | 1 / | fields 6: 4 host? no, Host is the authority;
        // x: 1 "x" 1 "y" = 4 | content 0 | trailers 0
        let h = head(b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n");
        let want = 1 + (1 + 3) + (1 + 5) + (1 + 1) + (1 + 1) + (1 + 4) + 1 + 1;
        assert_eq!(Bhttp::default().overhead(&h, 0, &[]), want);
        let with_trailer = Bhttp::default().overhead(&h, 0, &[b"Digest: sha".to_vec()]);
        assert_eq!(with_trailer, want + 1 + 6 + 1 + 3);
    }
}
