//! Negotiating the compact syntax on a live connection (SPEC.md §14), sans-IO: what a client
//! adds to its first request, what a server looks for, the one response that switches, and
//! what the client makes of the answer. A connection that starts with compact bytes instead
//! ("prior knowledge") is told by [`Syntax::detect`](crate::Syntax::detect).
//!
//! ```
//! use bytes::BytesMut;
//! use streamline::{http1, upgrade, Framing, Head, Headers, Version};
//!
//! // Client: the first request offers the upgrade.
//! let mut headers = Headers::new();
//! headers.push(b"Host: feed")?;
//! let head = Head::new("GET".into(), "/".into(), Version::HTTP_11, headers, Framing::None)?;
//! let offer = upgrade::offer(&head)?;
//! let mut wire = Vec::new();
//! offer.write_http1(&mut wire);
//! assert_eq!(wire, b"GET / HTTP/1.1\r\nHost: feed\r\nConnection: Upgrade\r\nUpgrade: shttp/3\r\n\r\n");
//!
//! // Server: the request asks for it, nothing follows it: switch.
//! assert!(upgrade::requested(&offer));
//!
//! // Client: the answer.
//! let mut parser = http1::ResponseParser::new();
//! parser.expect(offer.method());
//! let mut src = BytesMut::from(upgrade::SWITCHING_PROTOCOLS);
//! src.extend_from_slice(b"C:200 OK\r\n");
//! let response = parser.decode(&mut src)?.unwrap();
//! assert!(upgrade::accepted(response.head())?);
//! assert_eq!(&src[..], b"C:200 OK\r\n", "compact from the next byte on");
//! # Ok::<(), streamline::Error>(())
//! ```

use crate::error::{Error, ErrorKind};
use crate::message::{Head, Headers};
use crate::wire::chars;

/// The upgrade token of this format and version (SPEC.md §14.1): `shttp/3`.
pub const TOKEN: &str = "shttp/3";

/// The response a server that agrees writes, in one write (SPEC.md §14.2). The compact syntax
/// starts at the next byte in both directions.
pub const SWITCHING_PROTOCOLS: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: shttp/3\r\n\r\n";

/// The request `head` with `Connection: Upgrade` and `Upgrade: shttp/3` added after its header
/// lines: what a client sends first to offer the compact syntax (SPEC.md §14.2). Its other
/// lines are kept as they are.
///
/// # Errors
///
/// [`ErrorKind::WrongDirection`] for a response head; [`ErrorKind::Handshake`] for a head that
/// already has a `Connection` or `Upgrade` field (the offer would be ambiguous).
pub fn offer(head: &Head) -> Result<Head, Error> {
    if head.is_response() {
        return Err(Error::from_kind(ErrorKind::WrongDirection("an upgrade is offered on a request")));
    }
    if field(head.headers(), b"connection").is_some() || field(head.headers(), b"upgrade").is_some() {
        return Err(Error::from_kind(ErrorKind::Handshake("the request already has a Connection or Upgrade field")));
    }
    let mut headers = head.headers().clone();
    headers.push(b"Connection: Upgrade")?;
    headers.push(format!("Upgrade: {TOKEN}").as_bytes())?;
    Head::new(head.method().clone(), head.target().to_vec().into(), head.version(), headers, head.framing())
}

/// Does this request ask to switch to the compact syntax: an HTTP/1.1 request whose
/// `Connection` field lists `upgrade` and whose `Upgrade` field lists `shttp/3` (tokens
/// compared without regard to case)? A server that agrees answers with
/// [`SWITCHING_PROTOCOLS`], unless bytes already follow the request on the connection: a
/// client that offers an upgrade sends nothing more until it has the answer, so such bytes
/// are plain requests, and the server goes on in plain HTTP/1.1 (SPEC.md §14.2).
pub fn requested(head: &Head) -> bool {
    !head.is_response()
        && head.version() == crate::Version::HTTP_11
        && field(head.headers(), b"connection").is_some_and(|v| lists(v, b"upgrade"))
        && field(head.headers(), b"upgrade").is_some_and(|v| lists(v, TOKEN.as_bytes()))
}

/// What the response to an offer says (SPEC.md §14.2): `Ok(true)`, the server switched (a
/// 101 naming `shttp/3` in `Upgrade` and `upgrade` in `Connection`), and everything after it
/// is compact; `Ok(false)`, the server answered in plain HTTP/1.1 and the connection goes on
/// so.
///
/// # Errors
///
/// [`ErrorKind::Handshake`] for a 101 that does not switch to this protocol, and
/// [`ErrorKind::WrongDirection`] for a request head.
pub fn accepted(response: &Head) -> Result<bool, Error> {
    let Some(status) = response.status() else {
        return Err(Error::from_kind(ErrorKind::WrongDirection("an upgrade is accepted by a response")));
    };
    if status != 101 {
        return Ok(false);
    }
    let headers = response.headers();
    if !field(headers, b"upgrade").is_some_and(|v| lists(v, TOKEN.as_bytes())) {
        return Err(Error::from_kind(ErrorKind::Handshake("a 101 response switches to another protocol than shttp/3")));
    }
    if !field(headers, b"connection").is_some_and(|v| lists(v, b"upgrade")) {
        return Err(Error::from_kind(ErrorKind::Handshake("a 101 response without 'Connection: upgrade'")));
    }
    Ok(true)
}

/// The value of the first line with this field name (lowercase), trimmed.
fn field<'h>(headers: &'h Headers, name: &[u8]) -> Option<&'h [u8]> {
    headers.iter().find_map(|line| {
        let colon = memchr::memchr(b':', line)?;
        line[..colon].eq_ignore_ascii_case(name).then(|| chars::trim_ows(&line[colon + 1..]))
    })
}

/// Does a comma-separated list hold this token (any case)?
fn lists(value: &[u8], token: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|item| chars::trim_ows(item).eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Framing, Version};

    fn head(lines: &[&[u8]], version: Version) -> Head {
        let mut headers = Headers::new();
        for l in lines {
            headers.push(l).unwrap();
        }
        Head::new("GET".into(), "/".into(), version, headers, Framing::None).unwrap()
    }

    fn response(status: u16, lines: &[&[u8]]) -> Head {
        let mut headers = Headers::new();
        for l in lines {
            headers.push(l).unwrap();
        }
        Head::response(status, "x".into(), Version::HTTP_11, headers, Framing::None).unwrap()
    }

    #[test]
    fn requests_that_ask() {
        let v11 = Version::HTTP_11;
        assert!(requested(&head(&[b"Connection: keep-alive, Upgrade", b"Upgrade: h2c, SHTTP/3"], v11)));
        assert!(!requested(&head(&[b"Upgrade: shttp/3"], v11)), "no Connection: upgrade");
        assert!(!requested(&head(&[b"Connection: upgrade", b"Upgrade: shttp/2"], v11)), "another version");
        assert!(!requested(&head(&[b"Connection: upgrade", b"Upgrade: shttp/3"], Version::HTTP_10)));
        assert!(offer(&head(&[b"Upgrade: x"], v11)).is_err());
        let offered = offer(&head(&[b"Host: a"], v11)).unwrap();
        assert!(requested(&offered));
    }

    #[test]
    fn answers() {
        assert_eq!(accepted(&response(101, &[b"Connection: Upgrade", b"Upgrade: shttp/3"])), Ok(true));
        assert_eq!(accepted(&response(200, &[])), Ok(false));
        assert_eq!(accepted(&response(426, &[b"Upgrade: shttp/3"])), Ok(false));
        let err = accepted(&response(101, &[b"Connection: Upgrade", b"Upgrade: websocket"])).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Handshake(_)));
        assert!(accepted(&response(101, &[b"Upgrade: shttp/3"])).is_err());
        let mut parser = crate::http1::ResponseParser::new();
        let mut src = bytes::BytesMut::from(SWITCHING_PROTOCOLS);
        let switched = parser.decode_eof(&mut src).unwrap().unwrap();
        assert_eq!(accepted(switched.head()), Ok(true));
    }
}
