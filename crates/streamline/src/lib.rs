//! # streamline
//!
//! Lossless translation between plain HTTP/1.1 request streams and a compact, stateful,
//! line-oriented encoding of the same requests, for high-rate point-to-point feeds.
//!
//! A connection has memory: opcode lines set the version (`V:`), base URL (`B:`), method
//! (`M:`) and header lines (`H:`); `>:name` saves the state in a register and `<:name`
//! restores it; `-:suffix`, `+:suffix LEN` and `*:suffix` issue requests. A feed of 66-byte
//! quotes that costs 147 bytes of overhead per message in HTTP/1.1 costs 7 (`+: 66\r\n`).
//! SPEC.md in the repository defines the format.
//!
//! The library is sans-IO: [`Decoder`] and [`http1::Parser`] take bytes and give
//! [`Request`]s (or [`Event`]s, to stream bodies); [`Encoder`] and
//! [`Request::write_http1`] take requests and give bytes.
//!
//! Both readers offer the same calls, for different callers:
//!
//! | call | gives | for |
//! | --- | --- | --- |
//! | `decode_slice` | [`RequestRef`], borrowed from your buffer | the fastest path: bodies not copied, no reference counts |
//! | `decode` / `try_decode` | owned [`Request`]s, bodies sliced out of a `BytesMut` | requests that outlive the buffer |
//! | `next_event` | [`Event`]s: head, body pieces, end | bodies of any size in bounded memory |
//!
//! [`Syntax::detect`] tells from the first bytes of an input which of the two readers it needs.
//!
//! [`Lookahead`] runs an [`Encoder`] over a stream with a window of requests in view, so it
//! can store registers that later requests restore. Every size a peer or a capture can drive
//! is bounded by [`Limits`].
//!
//! Every fallible call returns one [`Error`]: an [`ErrorKind`] with the position in the input
//! (readers), the number of the refused request (the encoder), or neither (values built by
//! hand). It converts into [`std::io::Error`], so code that reads sockets uses `?` on both.
//!
//! ```
//! use bytes::BytesMut;
//! use streamline::{http1, Decoder, Encoder};
//!
//! let plain = b"POST /q HTTP/1.1\r\nHost: feed\r\nContent-Length: 5\r\n\r\nhello";
//! let req = http1::Parser::new().decode_eof(&mut BytesMut::from(&plain[..])).unwrap().unwrap();
//!
//! let mut compact = Vec::new();
//! Encoder::new().encode(&req, &mut compact).unwrap();
//!
//! let back = Decoder::new().decode_eof(&mut BytesMut::from(&compact[..])).unwrap().unwrap();
//! let mut out = Vec::new();
//! back.write_http1(&mut out);
//! assert_eq!(out, plain);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// The layers, bottom up (ARCHITECTURE.md draws them):
mod compact;
mod message; // the request model both syntaxes share
mod plain; // HTTP/1.1: the plain grammar, the canonical writer
mod read; // Reader<G>: the one reader API over either grammar
mod wire; // bytes -> lines and bodies // the compact syntax: ops, state, decoder, encoder

mod detect;
mod error;
mod limits;
pub mod upgrade; // negotiating the compact syntax on a live connection

pub use compact::decode::{Compact, Decoder, ResponseDecoder};
pub use compact::encode::{Drained, Emitted, Encoder, Lookahead, Plan, Window};
pub use compact::op::{Op, Select, Source, Splice};
pub use compact::state::State;
pub use detect::{Syntax, SyntaxDetector};
pub use error::{Error, ErrorKind};
pub use limits::Limits;
pub use message::{
    BorrowedMessage, Direction, Framing, Head, Headers, Lines, Message, Request, RequestRef, Requests, Response,
    ResponseRef, Responses, Version,
};
pub use read::{Event, Grammar, Reader};
pub use wire::chunks::{ChunkedBody, ChunkedPart};

/// Plain HTTP/1.1: the [`Parser`](http1::Parser) and the
/// [`ResponseParser`](http1::ResponseParser) ([`Reader`]s of the [`Plain`](http1::Plain)
/// grammar) and [`parse_head`](http1::parse_head). The writers are
/// [`Request::write_http1`] and [`Response::write_http1`], and for a stream whose heads
/// repeat, the [`Writer`](http1::Writer), which writes a repeated head with one copy.
pub mod http1 {
    pub use crate::plain::{parse_head, Parser, Plain, ResponseParser, Writer};
}
