//! # streamline-tokio
//!
//! The [`streamline`] codec on a live link: `tokio_util` codecs for requests and responses in
//! the compact syntax and in plain HTTP/1.1 (one service can speak both), the negotiation of
//! SPEC.md §14 on a connection (an upgrade from HTTP/1.1, or prior knowledge, told from the
//! first bytes), and conversions to and from the [`http`] types.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use streamline::Limits;
//! use streamline_tokio::link::{self, Upgrades};
//!
//! # async fn serve(socket: tokio::net::TcpStream) -> Result<(), streamline_tokio::Error> {
//! // Compact or plain, by prior knowledge or by upgrade: the codec speaks what was agreed.
//! let mut link = link::accept(socket, Limits::default(), Upgrades::Accept).await?;
//! while let Some(request) = link.next().await {
//!     let request = request?;
//!     # let ack: streamline::Response = todo!();
//!     link.send(ack).await?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The codecs write straight into the sink's `BytesMut` and read whole messages (bodies up to
//! [`Limits::max_body`](streamline::Limits::max_body)) or, with [`codec::Events`], heads and
//! body pieces of any size. Every error converts into [`Error`], and `Error` into
//! [`std::io::Error`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
#[cfg(feature = "http")]
pub mod convert;
mod error;
pub mod link;

pub use codec::{ClientCodec, ServerCodec, Syntax};
pub use error::Error;
