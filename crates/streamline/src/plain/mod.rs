//! Plain HTTP/1.1 (RFC 9112): a strict incremental reader of request and response streams,
//! and the writer of the canonical form (SPEC.md §6, §13).

mod read;
mod write;

pub use read::{parse_head, Plain};
pub use write::Writer;

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

/// Reads a plain HTTP/1.1 response stream (the responses of one connection, in order): a
/// [`Reader`](crate::Reader) of the [`Plain`] grammar in the response direction. Tell it the
/// method of each request answered ([`expect`](crate::Reader::expect)) where HEAD or CONNECT
/// may occur: their responses are framed differently (RFC 9112 §6.3).
///
/// ```
/// use bytes::BytesMut;
/// use streamline::http1::ResponseParser;
///
/// let mut src = BytesMut::from(&b"HTTP/1.1 204 No Content\r\nDate: today\r\n\r\n"[..]);
/// let resp = ResponseParser::new().decode_eof(&mut src)?.unwrap();
/// assert_eq!((resp.status(), resp.head().reason()), (204, Some(&b"No Content"[..])));
/// # Ok::<(), streamline::Error>(())
/// ```
pub type ResponseParser = crate::Reader<Plain<crate::Responses>>;
