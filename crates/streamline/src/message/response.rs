//! Responses, and the two directions of a connection: which message type a reader of each
//! direction gives.

use std::fmt;

use bytes::{BufMut, Bytes};

use super::request::check_body;
use crate::error::{escape, Error, ErrorKind};
use crate::message::{Head, Request, RequestRef};

/// A whole response: its head (a status line, header lines, framing) and its body bytes.
///
/// The body is as for a [`Request`]: the content for [`Framing::Length`](crate::Framing::Length)
/// and [`Framing::Close`](crate::Framing::Close), the chunked encoding itself for
/// [`Framing::Chunked`](crate::Framing::Chunked), empty otherwise.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub(crate) head: Head,
    pub(crate) body: Bytes,
}

impl Response {
    /// Builds a response, checking the body against the head's framing as
    /// [`Request::new`] does (a [`Framing::Close`](crate::Framing::Close) body may be any
    /// bytes).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongDirection`] for a request's head; [`ErrorKind::BodyMismatch`] or a
    /// chunked-syntax kind as for [`Request::new`]. No position.
    ///
    /// ```
    /// use streamline::{Framing, Head, Headers, Response, Version};
    /// let head = Head::response(200, "OK".into(), Version::HTTP_11, Headers::new(), Framing::Length(2))?;
    /// let resp = Response::new(head, "ok".into())?;
    /// assert_eq!(resp.status(), 200);
    /// let mut plain = Vec::new();
    /// resp.write_http1(&mut plain);
    /// assert_eq!(plain, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn new(head: Head, body: Bytes) -> Result<Response, Error> {
        if !head.is_response() {
            return Err(Error::from_kind(ErrorKind::WrongDirection("a request head in a response")));
        }
        check_body(head.framing, &body)?;
        Ok(Response { head, body })
    }

    /// The head.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status().unwrap_or_default()
    }

    /// The body bytes (see the type's docs for chunked bodies).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Splits into head and body.
    pub fn into_parts(self) -> (Head, Bytes) {
        (self.head, self.body)
    }

    /// Writes the canonical plain form: [`Head::write_http1`], then the body.
    pub fn write_http1(&self, dst: &mut impl BufMut) {
        write_message(&self.head, &self.body, dst);
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("head", &self.head)
            .field("body", &escape(&self.body))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A whole response borrowed from the reader that found it and from the input slice (see
/// [`RequestRef`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseRef<'h, 's> {
    pub(crate) head: &'h Head,
    pub(crate) body: &'s [u8],
}

impl<'h, 's> ResponseRef<'h, 's> {
    /// The head.
    pub fn head(&self) -> &'h Head {
        self.head
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status().unwrap_or_default()
    }

    /// The body bytes.
    pub fn body(&self) -> &'s [u8] {
        self.body
    }

    /// Writes the canonical plain form.
    pub fn write_http1(&self, dst: &mut impl BufMut) {
        write_message(self.head, self.body, dst);
    }

    /// An owned copy.
    pub fn to_response(&self) -> Response {
        Response { head: self.head.clone(), body: Bytes::copy_from_slice(self.body) }
    }
}

/// A whole message of either direction: [`Request`] or [`Response`]. What the
/// [`Encoder`](crate::Encoder) and [`Lookahead`](crate::Lookahead) take, and what code
/// written for either direction reads. Sealed.
pub trait Message: sealed::Sealed {
    /// The head.
    fn head(&self) -> &Head;
    /// The body bytes.
    fn body(&self) -> &Bytes;
    /// Head and body.
    fn into_parts(self) -> (Head, Bytes);
    /// Writes the canonical plain form.
    fn write_http1(&self, dst: &mut impl BufMut) {
        write_message(self.head(), self.body(), dst);
    }
}

impl Message for Request {
    fn head(&self) -> &Head {
        &self.head
    }
    fn body(&self) -> &Bytes {
        &self.body
    }
    fn into_parts(self) -> (Head, Bytes) {
        (self.head, self.body)
    }
}

impl Message for Response {
    fn head(&self) -> &Head {
        &self.head
    }
    fn body(&self) -> &Bytes {
        &self.body
    }
    fn into_parts(self) -> (Head, Bytes) {
        (self.head, self.body)
    }
}

/// A message's canonical plain form, wherever a message is written whole: the head
/// ([`Head::write_http1`]), then the body bytes as they are.
pub(crate) fn write_message(head: &Head, body: &[u8], dst: &mut impl BufMut) {
    head.write_http1(dst);
    dst.put_slice(body);
}

/// A whole message of either direction borrowed from a reader and its input:
/// [`RequestRef`] or [`ResponseRef`], as `decode_slice` gives them. Sealed.
pub trait BorrowedMessage<'h, 's>: sealed::Sealed + Copy {
    /// The head.
    fn head(&self) -> &'h Head;
    /// The body bytes.
    fn body(&self) -> &'s [u8];
    /// Writes the canonical plain form.
    fn write_http1(&self, dst: &mut impl BufMut) {
        write_message(self.head(), self.body(), dst);
    }
}

impl<'h, 's> BorrowedMessage<'h, 's> for RequestRef<'h, 's> {
    fn head(&self) -> &'h Head {
        self.head
    }
    fn body(&self) -> &'s [u8] {
        self.body
    }
}

impl<'h, 's> BorrowedMessage<'h, 's> for ResponseRef<'h, 's> {
    fn head(&self) -> &'h Head {
        self.head
    }
    fn body(&self) -> &'s [u8] {
        self.body
    }
}

/// Which way a stream flows: [`Requests`] (client to server) or [`Responses`] (server to
/// client). A reader's grammar takes one as a type parameter, which fixes the messages it
/// gives: [`Decoder`](crate::Decoder) and [`http1::Parser`](crate::http1::Parser) read
/// requests, [`ResponseDecoder`](crate::ResponseDecoder) and
/// [`http1::ResponseParser`](crate::http1::ResponseParser) responses. Sealed.
pub trait Direction: sealed::Sealed + fmt::Debug + Send + Sync + 'static {
    /// A whole message of this direction, owned.
    type Message: Message + fmt::Debug + Clone + PartialEq;
    /// A whole message of this direction, borrowed from the reader and the input.
    type MessageRef<'h, 's>: BorrowedMessage<'h, 's> + fmt::Debug;
    /// Is this the response direction?
    const RESPONSES: bool;
    /// Makes a message of a head and body a reader checked. (`Token` keeps it to the crate.)
    #[doc(hidden)]
    fn message(_: sealed::Token, head: Head, body: Bytes) -> Self::Message;
    /// Makes a borrowed message of a head and body a reader checked.
    #[doc(hidden)]
    fn message_ref<'h, 's>(_: sealed::Token, head: &'h Head, body: &'s [u8]) -> Self::MessageRef<'h, 's>;
}

/// The request direction: client to server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requests;

/// The response direction: server to client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Responses;

impl Direction for Requests {
    type Message = Request;
    type MessageRef<'h, 's> = RequestRef<'h, 's>;
    const RESPONSES: bool = false;
    #[inline]
    fn message(_: sealed::Token, head: Head, body: Bytes) -> Request {
        Request { head, body }
    }
    #[inline]
    fn message_ref<'h, 's>(_: sealed::Token, head: &'h Head, body: &'s [u8]) -> RequestRef<'h, 's> {
        RequestRef { head, body }
    }
}

impl Direction for Responses {
    type Message = Response;
    type MessageRef<'h, 's> = ResponseRef<'h, 's>;
    const RESPONSES: bool = true;
    #[inline]
    fn message(_: sealed::Token, head: Head, body: Bytes) -> Response {
        Response { head, body }
    }
    #[inline]
    fn message_ref<'h, 's>(_: sealed::Token, head: &'h Head, body: &'s [u8]) -> ResponseRef<'h, 's> {
        ResponseRef { head, body }
    }
}

pub(crate) mod sealed {
    /// Keeps [`Message`](super::Message) and [`Direction`](super::Direction) to this crate.
    pub trait Sealed {}
    impl Sealed for crate::Request {}
    impl Sealed for crate::Response {}
    impl Sealed for crate::RequestRef<'_, '_> {}
    impl Sealed for crate::ResponseRef<'_, '_> {}
    impl Sealed for super::Requests {}
    impl Sealed for super::Responses {}

    /// Only the crate can make one, so only the crate calls what takes one.
    #[derive(Debug, Clone, Copy)]
    pub struct Token(pub(crate) ());
}
