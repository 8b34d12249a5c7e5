//! The request model both syntaxes share: version, header lines, head, request. Plain data,
//! valid by construction.

mod request;

pub(crate) use request::{assign, block_hash, check_target, decimal_len, write_decimal, Held, Parts, Prefix};
pub use request::{Framing, Head, Headers, Lines, Request, RequestRef, Version};
