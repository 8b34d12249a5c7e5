//! The message model both syntaxes share: version, header lines, head, request, response,
//! and the two directions. Plain data, valid by construction.

mod request;
mod response;

pub(crate) use request::{assign, check_target, decimal_len, may_have_body, status_code, write_decimal, Held, Parts};
pub use request::{Framing, Head, Headers, Lines, Request, RequestRef, Version};
pub(crate) use response::sealed::Token;
pub use response::{BorrowedMessage, Direction, Message, Requests, Response, ResponseRef, Responses};
