//! Conversions between streamline's messages and the [`http`] crate's types (feature `http`):
//! [`Request`] ⇄ `http::Request<Bytes>`, [`Response`] ⇄ `http::Response<Bytes>`.
//!
//! The `http` types hold a message's meaning, not its bytes. What they cannot keep:
//! - **field-name case**: `HeaderMap` names are lowercase, so `Host: a` comes back as
//!   `host: a`;
//! - **field order across names**: lines with the same name keep their order, but a map
//!   groups them by name;
//! - **the framing as written**: a chunked body is de-chunked into the body (its trailers kept
//!   in a [`Trailers`] extension) and written back chunked only if trailers are there;
//!   `Content-Length` and `Transfer-Encoding` are not in the map (the body's length is the
//!   length), except for a response without a body that announces one (to HEAD, a 304), whose
//!   `content-length` is kept;
//! - **the reason phrase** of a response: kept in a [`Reason`] extension, since `http` has
//!   none;
//! - **a request-target** that `http::Uri` refuses (it is stricter than RFC 9112's
//!   visible ASCII), which fails to convert.
//!
//! Where byte fidelity matters (a gateway that passes messages on unchanged), use the
//! messages themselves: [`Request::write_http1`] writes them back byte for byte in canonical
//! form, and the compact encoder takes them as they are.

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use streamline::{ChunkedBody, ChunkedPart, Framing, Head, Headers, Request, Response, Version};

use crate::Error;

/// The trailer fields of a chunked body, in a request's or response's extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers(pub HeaderMap);

/// A response's reason phrase, in its extensions (`http` keeps none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(pub Bytes);

/// Converts a connection's messages, remembering the last head each way: a feed repeats its
/// head, so a request whose head equals the last one's takes the `http` parts made for it
/// (cloned: the map's values share their bytes) instead of converting the head again. The
/// same results as the free functions, faster on a feed.
///
/// A handler done with a converted request can give it back ([`Converter::recycle`]): the
/// next request of the same head then takes those parts as they are, with no allocation and
/// no reference count touched (an owned `http::Request` otherwise costs a new `HeaderMap`,
/// two allocations, and a count per shared value, made and later dropped).
#[derive(Debug, Default)]
pub struct Converter {
    to_http: Option<(Head, http::request::Parts)>,
    from_http: Option<(http::request::Parts, Head)>,
    /// A request given back, if its parts are those of the head converted last.
    spare: Option<http::Request<Bytes>>,
}

impl Converter {
    /// A converter that remembers nothing yet.
    pub fn new() -> Self {
        Converter::default()
    }

    /// [`to_http_request`], with the head converted last reused when it is the same.
    ///
    /// # Errors
    ///
    /// As [`to_http_request`].
    pub fn to_http_request(&mut self, request: &Request) -> Result<http::Request<Bytes>, Error> {
        let head = request.head();
        let (body, trailers) = body_of(head.framing(), request.body())?;
        let mut out = match &self.to_http {
            Some((last, parts)) if same_parts(last, head) => match self.spare.take() {
                Some(mut spare) => {
                    *spare.body_mut() = body;
                    spare
                }
                None => http::Request::from_parts(parts.clone(), body),
            },
            _ => {
                self.spare = None;
                let (parts, _) = to_http_request(&request_head_only(head)?)?.into_parts();
                self.to_http = Some((head.clone(), parts.clone()));
                http::Request::from_parts(parts, body)
            }
        };
        if let Some(trailers) = trailers {
            out.extensions_mut().insert(trailers);
        }
        Ok(out)
    }

    /// Takes back a request this converter made, once the handler is done with it, so that
    /// the next request with the same head reuses its parts. Parts that no longer match the
    /// head converted last (changed by the handler, or another head's) are dropped; the
    /// request's extensions are cleared.
    pub fn recycle(&mut self, request: http::Request<Bytes>) {
        let Some((_, parts)) = &self.to_http else { return };
        let mut spare = request;
        if spare.method() == parts.method
            && spare.version() == parts.version
            && same_uri(spare.uri(), &parts.uri)
            && same_values(spare.headers(), &parts.headers)
        {
            spare.extensions_mut().clear();
            self.spare = Some(spare);
        }
    }

    /// [`from_http_request`], with the head made last reused when method, target, version
    /// and fields are the same.
    ///
    /// # Errors
    ///
    /// As [`from_http_request`].
    pub fn from_http_request(&mut self, request: &http::Request<Bytes>) -> Result<Request, Error> {
        if let Some((last, head)) = &self.from_http {
            let trailers = request.extensions().get::<Trailers>().is_some_and(|t| !t.0.is_empty());
            if !trailers
                && last.method == *request.method()
                && last.uri == *request.uri()
                && last.version == request.version()
                && same_fields(&last.headers, request.headers())
            {
                let (framing, body) = framing_for(request.body(), None, length_of(request.headers()), None)?;
                return Ok(Request::new(head.with_framing(framing), body)?);
            }
        }
        let converted = from_http_request(request)?;
        let (parts, _) = http::Request::new(()).into_parts();
        let mut parts = parts;
        parts.method = request.method().clone();
        parts.uri = request.uri().clone();
        parts.version = request.version();
        parts.headers = request.headers().clone();
        self.from_http = Some((parts, converted.head().clone()));
        Ok(converted)
    }
}

/// Do both maps hold the same fields in the same order? (Walked side by side: much cheaper
/// than `HeaderMap`'s own comparison, which looks each name up; a map built in another order
/// compares unequal, which only costs the converter its shortcut.)
fn same_fields(a: &HeaderMap, b: &HeaderMap) -> bool {
    a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
}

/// Do both maps hold the same names with the very same values (the same bytes in memory, as
/// clones of one map's values have)? Content that only compares equal does not count: this is
/// the test that a map was left as it was made, without reading its values.
fn same_values(a: &HeaderMap, b: &HeaderMap) -> bool {
    let same = |x: &HeaderValue, y: &HeaderValue| x.as_bytes().as_ptr() == y.as_bytes().as_ptr() && x.len() == y.len();
    a.len() == b.len() && a.iter().zip(b.iter()).all(|((n, x), (m, y))| n == m && same(x, y))
}

/// Is `a` the same URI as `b`, made from the same bytes (see [`same_values`])?
fn same_uri(a: &http::Uri, b: &http::Uri) -> bool {
    let same = |x: Option<&str>, y: Option<&str>| match (x, y) {
        (Some(x), Some(y)) => x.as_ptr() == y.as_ptr() && x.len() == y.len(),
        (x, y) => x.is_none() && y.is_none(),
    };
    a.scheme() == b.scheme()
        && same(a.authority().map(|x| x.as_str()), b.authority().map(|x| x.as_str()))
        && same(a.path_and_query().map(|x| x.as_str()), b.path_and_query().map(|x| x.as_str()))
}

/// Are the two heads' method, target, version and header lines the same (framing aside)?
fn same_parts(a: &Head, b: &Head) -> bool {
    let (x, y) = (a.headers().as_block(), b.headers().as_block());
    // The same bytes (a feed's heads share their block) are equal without reading them.
    let same_lines = (x.as_ptr() == y.as_ptr() && x.len() == y.len() && a.headers().len() == b.headers().len())
        || a.headers() == b.headers();
    same_lines && a.method() == b.method() && a.target() == b.target() && a.version() == b.version()
}

/// The request with `head` and no body (framing aside), for converting the head alone.
fn request_head_only(head: &Head) -> Result<Request, Error> {
    Ok(Request::new(head.with_framing(Framing::None), Bytes::new())?)
}

/// The `content-length` of a map, if it has a valid one.
fn length_of(map: &HeaderMap) -> Option<u64> {
    map.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// A request as an `http::Request<Bytes>` (see the module's docs for what it cannot keep).
///
/// # Errors
///
/// [`Error::Convert`] for a target `http::Uri` refuses or a version `http` does not know.
pub fn to_http_request(request: &Request) -> Result<http::Request<Bytes>, Error> {
    let head = request.head();
    let method = http::Method::from_bytes(head.method()).map_err(|_| convert("the method"))?;
    let uri = http::Uri::from_maybe_shared(head.target_bytes())
        .map_err(|_| convert("the request target (http::Uri refuses it)"))?;
    let mut out = http::Request::new(Bytes::new());
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    *out.version_mut() = to_http_version(head.version())?;
    *out.headers_mut() = header_map(head.headers())?;
    let (body, trailers) = body_of(head.framing(), request.body())?;
    *out.body_mut() = body;
    if let Some(trailers) = trailers {
        out.extensions_mut().insert(trailers);
    }
    Ok(out)
}

/// A response as an `http::Response<Bytes>` (see the module's docs for what it cannot keep).
///
/// # Errors
///
/// [`Error::Convert`] for a version `http` does not know.
pub fn to_http_response(response: &Response) -> Result<http::Response<Bytes>, Error> {
    let head = response.head();
    let status = http::StatusCode::from_u16(response.status()).map_err(|_| convert("the status code"))?;
    let mut out = http::Response::new(Bytes::new());
    *out.status_mut() = status;
    *out.version_mut() = to_http_version(head.version())?;
    let mut headers = header_map(head.headers())?;
    match head.framing() {
        Framing::Announced(n) => {
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        Framing::AnnouncedChunked => {
            headers.insert(http::header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        }
        _ => {}
    }
    *out.headers_mut() = headers;
    let (body, trailers) = body_of(head.framing(), response.body())?;
    *out.body_mut() = body;
    if let Some(trailers) = trailers {
        out.extensions_mut().insert(trailers);
    }
    if let Some(reason) = head.reason() {
        if Some(reason) != status.canonical_reason().map(str::as_bytes) {
            out.extensions_mut().insert(Reason(Bytes::copy_from_slice(reason)));
        }
    }
    Ok(out)
}

/// An `http::Request<Bytes>` as a request: header lines `name: value` in the map's order,
/// framing from the body (`Content-Length` when it has bytes or the map had a
/// `content-length`, chunked when a [`Trailers`] extension is there).
///
/// # Errors
///
/// [`Error::Codec`] for what a head refuses (a method or target outside the grammar).
pub fn from_http_request(request: &http::Request<Bytes>) -> Result<Request, Error> {
    let target: Bytes = match request.uri().path_and_query() {
        Some(pq) if request.uri().scheme().is_none() => Bytes::copy_from_slice(pq.as_str().as_bytes()),
        _ => Bytes::from(request.uri().to_string()),
    };
    let method = method_bytes(request.method());
    let trailers = request.extensions().get::<Trailers>();
    let (headers, length) = headers_from(request.headers())?;
    let (framing, body) = framing_for(request.body(), trailers, length, None)?;
    let head = Head::new(method, target, from_http_version(request.version()), headers, framing)?;
    Ok(Request::new(head, body)?)
}

/// An `http::Response<Bytes>` as a response: as [`from_http_request`], with the reason
/// phrase from a [`Reason`] extension (else the status's canonical one); an empty body with a
/// `content-length` above 0 is a body announced, not sent ([`Framing::Announced`]).
///
/// # Errors
///
/// [`Error::Codec`] for what a head refuses.
pub fn from_http_response(response: &http::Response<Bytes>) -> Result<Response, Error> {
    let reason = match response.extensions().get::<Reason>() {
        Some(Reason(reason)) => reason.clone(),
        None => Bytes::from_static(response.status().canonical_reason().unwrap_or("").as_bytes()),
    };
    let trailers = response.extensions().get::<Trailers>();
    let (headers, length) = headers_from(response.headers())?;
    let (framing, body) = framing_for(response.body(), trailers, length, Some(response.status().as_u16()))?;
    let version = from_http_version(response.version());
    let head = Head::response(response.status().as_u16(), reason, version, headers, framing)?;
    Ok(Response::new(head, body)?)
}

fn convert(what: &'static str) -> Error {
    Error::Convert(what)
}

fn to_http_version(version: Version) -> Result<http::Version, Error> {
    match version {
        Version::HTTP_11 => Ok(http::Version::HTTP_11),
        Version::HTTP_10 => Ok(http::Version::HTTP_10),
        _ => Err(convert("the version (http knows HTTP/1.0 and HTTP/1.1 of these)")),
    }
}

fn from_http_version(version: http::Version) -> Version {
    if version == http::Version::HTTP_10 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    }
}

/// The header lines as a map (names lowercased by `http`), the values sharing the block's
/// bytes.
fn header_map(headers: &Headers) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::with_capacity(headers.len());
    let block = headers.block_bytes();
    for line in headers {
        let (name, value) = split_field(line);
        let name = HeaderName::from_bytes(name).map_err(|_| convert("a field name"))?;
        let value = HeaderValue::from_maybe_shared(block.slice_ref(value)).map_err(|_| convert("a field value"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// `Name: value` split at the first colon, the value without its surrounding whitespace.
fn split_field(line: &[u8]) -> (&[u8], &[u8]) {
    let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
    let value = line.get(colon + 1..).unwrap_or_default();
    let start = value.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(value.len());
    let end = value.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |e| e + 1);
    (&line[..colon], &value[start..end])
}

/// A message's body as `http` holds it: a chunked body de-chunked, its trailers apart.
fn body_of(framing: Framing, body: &Bytes) -> Result<(Bytes, Option<Trailers>), Error> {
    if framing != Framing::Chunked {
        return Ok((body.clone(), None));
    }
    let mut walker = ChunkedBody::new();
    let mut payload = BytesMut::new();
    let mut trailers = HeaderMap::new();
    let mut src = &body[..];
    loop {
        let (used, part) = walker.next(src)?;
        src = &src[used..];
        match part {
            Some(ChunkedPart::Data(data)) => payload.extend_from_slice(data),
            Some(ChunkedPart::Trailer(line)) => {
                let (name, value) = split_field(line);
                let name = HeaderName::from_bytes(name).map_err(|_| convert("a trailer name"))?;
                let value = HeaderValue::from_bytes(value).map_err(|_| convert("a trailer value"))?;
                trailers.append(name, value);
            }
            Some(ChunkedPart::End) | None => break,
        }
    }
    let trailers = (!trailers.is_empty()).then_some(Trailers(trailers));
    Ok((payload.freeze(), trailers))
}

/// A method's bytes, without an allocation for the common ones.
fn method_bytes(method: &http::Method) -> Bytes {
    let known: &'static [u8] = match *method {
        http::Method::GET => b"GET",
        http::Method::POST => b"POST",
        http::Method::PUT => b"PUT",
        http::Method::DELETE => b"DELETE",
        http::Method::HEAD => b"HEAD",
        http::Method::OPTIONS => b"OPTIONS",
        http::Method::PATCH => b"PATCH",
        _ => return Bytes::copy_from_slice(method.as_str().as_bytes()),
    };
    Bytes::from_static(known)
}

/// A map's fields as header lines (one block, checked in one pass), the framing fields left
/// out (and the `content-length` value, if there was one, returned).
fn headers_from(map: &HeaderMap) -> Result<(Headers, Option<u64>), Error> {
    let mut length = None;
    let size: usize = map.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    let mut block = BytesMut::with_capacity(size);
    for (name, value) in map {
        if name == http::header::CONTENT_LENGTH {
            length = value.to_str().ok().and_then(|v| v.trim().parse().ok());
            continue;
        }
        if name == http::header::TRANSFER_ENCODING {
            continue;
        }
        block.put_slice(name.as_str().as_bytes());
        block.put_slice(b": ");
        block.put_slice(value.as_bytes());
        block.put_slice(b"\r\n");
    }
    Ok((Headers::parse_block(block.freeze())?, length))
}

/// The framing for a body, and the body as the framing delimits it (chunked with its
/// trailers when there are trailers). `status` is a response's.
fn framing_for(
    body: &Bytes,
    trailers: Option<&Trailers>,
    length: Option<u64>,
    status: Option<u16>,
) -> Result<(Framing, Bytes), Error> {
    if let Some(Trailers(map)) = trailers.filter(|t| !t.0.is_empty()) {
        let mut chunked = BytesMut::with_capacity(body.len() + 64);
        if !body.is_empty() {
            chunked.put_slice(format!("{:x}\r\n", body.len()).as_bytes());
            chunked.put_slice(body);
            chunked.put_slice(b"\r\n");
        }
        chunked.put_slice(b"0\r\n");
        for (name, value) in map {
            chunked.put_slice(name.as_str().as_bytes());
            chunked.put_slice(b": ");
            chunked.put_slice(value.as_bytes());
            chunked.put_slice(b"\r\n");
        }
        chunked.put_slice(b"\r\n");
        return Ok((Framing::Chunked, chunked.freeze()));
    }
    // A 1xx, 204 or 304 has no body (RFC 9112 §6.3); nor has an empty one whose length
    // says otherwise (the answer to a HEAD).
    let bodyless = status.is_some_and(|s| s < 200 || s == 204 || s == 304);
    let framing = match (length, status) {
        (Some(n), Some(_)) if bodyless || (body.is_empty() && n > 0) => Framing::Announced(n),
        (None, Some(_)) if bodyless => Framing::None,
        (None, None) if body.is_empty() => Framing::None,
        _ => Framing::Length(body.len() as u64),
    };
    Ok((framing, body.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use streamline::http1;

    fn request(plain: &[u8]) -> Request {
        http1::Parser::new().decode_eof(&mut BytesMut::from(plain)).unwrap().unwrap()
    }

    #[test]
    fn requests_both_ways() {
        let req = request(b"POST /q?x=1 HTTP/1.1\r\nHost: feed\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 5\r\n\r\nhello");
        let h = to_http_request(&req).unwrap();
        assert_eq!((h.method(), h.uri().path(), h.uri().query()), (&http::Method::POST, "/q", Some("x=1")));
        assert_eq!(h.headers().get_all("x-a").iter().count(), 2);
        assert_eq!(h.body(), "hello");
        let back = from_http_request(&h).unwrap();
        let mut plain = Vec::new();
        back.write_http1(&mut plain);
        assert_eq!(plain, b"POST /q?x=1 HTTP/1.1\r\nhost: feed\r\nx-a: 1\r\nx-a: 2\r\nContent-Length: 5\r\n\r\nhello");
    }

    #[test]
    fn chunked_bodies_and_trailers() {
        let req = request(
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nDigest: x\r\n\r\n",
        );
        let h = to_http_request(&req).unwrap();
        assert_eq!(h.body(), "abcde");
        assert_eq!(h.extensions().get::<Trailers>().unwrap().0.get("digest").unwrap(), "x");
        let back = from_http_request(&h).unwrap();
        assert_eq!(back.head().framing(), Framing::Chunked);
        assert_eq!(back.body(), "5\r\nabcde\r\n0\r\ndigest: x\r\n\r\n");
    }

    #[test]
    fn responses_both_ways() {
        let mut parser = http1::ResponseParser::new();
        parser.expect(b"HEAD");
        let mut src = BytesMut::from(
            &b"HTTP/1.1 200 Fine\r\nServer: x\r\nContent-Length: 7\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"[..],
        );
        let head = parser.decode(&mut src).unwrap().unwrap();
        let h = to_http_response(&head).unwrap();
        assert_eq!(h.status().as_u16(), 200);
        assert_eq!(h.headers().get("content-length").unwrap(), "7");
        assert_eq!(h.extensions().get::<Reason>(), Some(&Reason(Bytes::from_static(b"Fine"))));
        let back = from_http_response(&h).unwrap();
        assert_eq!((back.head().framing(), back.head().reason()), (Framing::Announced(7), Some(&b"Fine"[..])));
        let no_content = parser.decode_eof(&mut src).unwrap().unwrap();
        let h = to_http_response(&no_content).unwrap();
        assert!(h.extensions().get::<Reason>().is_none(), "the canonical reason");
        assert_eq!(from_http_response(&h).unwrap().head().reason(), Some(&b"No Content"[..]));
    }
}

#[cfg(test)]
mod converter_tests {
    use super::*;
    use bytes::BytesMut;
    use streamline::http1;

    /// The requests of [`streamline_traffic_like`].
    fn requests() -> Vec<Request> {
        let plain = streamline_traffic_like();
        let (mut src, mut parser, mut out) = (BytesMut::from(&plain[..]), http1::Parser::new(), Vec::new());
        while let Some(r) = parser.decode_eof(&mut src).unwrap() {
            out.push(r);
        }
        out
    }

    /// `a`, made by a converter from `r`, is what the free function makes of it.
    fn assert_converted(a: &http::Request<Bytes>, r: &Request) {
        let b = to_http_request(r).unwrap();
        assert_eq!(
            (a.method(), a.uri(), a.version(), a.headers(), a.body()),
            (b.method(), b.uri(), b.version(), b.headers(), b.body())
        );
        assert_eq!(a.extensions().get::<Trailers>(), b.extensions().get::<Trailers>());
    }

    /// The converter gives what the free functions give, head reused or not.
    #[test]
    fn converter_agrees_with_the_free_functions() {
        let mut converter = Converter::new();
        for r in requests() {
            let a = converter.to_http_request(&r).unwrap();
            assert_converted(&a, &r);
            assert_eq!(converter.from_http_request(&a).unwrap(), from_http_request(&a).unwrap());
        }
    }

    /// Recycled parts are taken only for their own head, and only as they were made.
    #[test]
    fn recycled_parts_are_reused_only_unchanged() {
        let mut converter = Converter::new();
        let mut previous: Option<http::Request<Bytes>> = None;
        for r in requests() {
            if let Some(mut done) = previous.take() {
                done.extensions_mut().insert(7u8);
                converter.recycle(done);
            }
            let a = converter.to_http_request(&r).unwrap();
            assert_converted(&a, &r);
            assert!(a.extensions().get::<u8>().is_none(), "extensions cleared");
            previous = Some(a);
        }
        // A request changed by its handler is not taken back.
        let r = request(b"POST /q HTTP/1.1\r\nHost: feed\r\nContent-Length: 1\r\n\r\nx");
        let mut changed = converter.to_http_request(&r).unwrap();
        changed.headers_mut().insert("x-added", HeaderValue::from_static("1"));
        converter.recycle(changed);
        let again = converter.to_http_request(&r).unwrap();
        assert_eq!(again.headers(), to_http_request(&r).unwrap().headers());
    }

    fn request(plain: &[u8]) -> Request {
        http1::Parser::new().decode_eof(&mut BytesMut::from(plain)).unwrap().unwrap()
    }

    fn streamline_traffic_like() -> Vec<u8> {
        let mut v = Vec::new();
        for (i, body) in ["abc", "defg", "", "hi"].iter().enumerate() {
            let host = if i == 2 { "other" } else { "feed" };
            v.extend_from_slice(
                format!("POST /q HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes(),
            );
        }
        v.extend_from_slice(
            b"POST /q HTTP/1.1\r\nHost: feed\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nA: b\r\n\r\n",
        );
        v.extend_from_slice(b"GET /q HTTP/1.1\r\nHost: feed\r\n\r\n");
        v
    }
}
