//! Plain HTTP/1.1 (RFC 9112): a strict incremental reader of request streams, and the writer
//! of the canonical form (SPEC.md §6).

mod read;

pub use read::{parse_head, Plain};

/// Reads a plain HTTP/1.1 request stream (pipelined requests, one after another): a
/// [`Reader`](crate::Reader) of the [`Plain`] grammar.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use streamline::http1::Parser;
///
/// let mut src = BytesMut::from(&b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"[..]);
/// let req = Parser::new().decode_eof(&mut src).unwrap().unwrap();
/// assert_eq!(req.head().target(), b"/");
/// let mut out = Vec::new();
/// req.write_http1(&mut out);
/// assert_eq!(out, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
/// ```
pub type Parser = crate::Reader<Plain>;
