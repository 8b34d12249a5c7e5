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
//! [`Lookahead`] runs an [`Encoder`] over a stream with a window of requests in view, so it
//! can store registers that later requests restore. Every size a peer or a capture can drive
//! is bounded by [`Limits`].
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

mod body;
mod chars;
mod decoder;
mod encoder;
mod error;
pub mod gen;
pub mod http1;
mod limits;
mod line;
mod op;
mod plan;
mod request;
mod state;
mod stream;
mod syntax;

pub use decoder::Decoder;
pub use encoder::{Emitted, Encoder, Lookahead, Window};
pub use error::{Error, ErrorKind};
pub use limits::Limits;
pub use op::Op;
pub use plan::Plan;
pub use request::{Framing, Head, Headers, Request, RequestRef, Version};
pub use state::State;
pub use stream::Event;
