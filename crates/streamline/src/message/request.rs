//! The request model both syntaxes share: a head kept byte for byte, its framing, and its body.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use bytes::{BufMut, Bytes};

use crate::error::{escape, Error, ErrorKind};
use crate::wire::body::{BodyScanner, Scan};
use crate::wire::chars;
use crate::Limits;

/// An HTTP version, `HTTP/` DIGIT `.` DIGIT.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    major: u8,
    minor: u8,
}

impl Version {
    /// `HTTP/1.1`.
    pub const HTTP_11: Version = Version { major: 1, minor: 1 };
    /// `HTTP/1.0`.
    pub const HTTP_10: Version = Version { major: 1, minor: 0 };

    /// Parses exactly `HTTP/` DIGIT `.` DIGIT.
    ///
    /// ```
    /// use streamline::Version;
    /// assert_eq!(Version::parse(b"HTTP/1.1"), Some(Version::HTTP_11));
    /// assert_eq!(Version::parse(b"HTTP/1.10"), None);
    /// ```
    pub fn parse(s: &[u8]) -> Option<Version> {
        match *s {
            [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
                Some(Version { major: major - b'0', minor: minor - b'0' })
            }
            _ => None,
        }
    }

    /// May a request of this version carry a chunked body? From HTTP/1.1 on (RFC 9112 §6.1).
    pub fn chunked_allowed(self) -> bool {
        (self.major, self.minor) >= (1, 1)
    }

    /// The eight bytes `HTTP/x.y`.
    pub fn to_bytes(self) -> [u8; 8] {
        [b'H', b'T', b'T', b'P', b'/', b'0' + self.major, b'.', b'0' + self.minor]
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP/{}.{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Bytes a head holds: shared with where they came from (a plain head's input, the
/// decoder's state), or the head's own, which a head the decoder rebuilds in place for each
/// request keeps so it touches no reference count.
#[derive(Clone)]
pub(crate) enum Held {
    Shared(Bytes),
    Own(Vec<u8>),
}

impl Held {
    /// Makes this the concatenation of `pieces`, in place if it is its own.
    pub(crate) fn set(&mut self, pieces: &[&[u8]]) {
        match self {
            Held::Own(v) => v.clear(),
            Held::Shared(_) => *self = Held::Own(Vec::with_capacity(pieces.iter().map(|p| p.len()).sum())),
        }
        if let Held::Own(v) = self {
            for piece in pieces {
                v.extend_from_slice(piece);
            }
        }
    }

    /// The first `len` bytes as `Bytes` (a slice if shared, else a copy).
    pub(crate) fn prefix(&self, len: usize) -> Bytes {
        match self {
            Held::Shared(b) => b.slice(..len),
            Held::Own(v) => Bytes::copy_from_slice(&v[..len]),
        }
    }
}

impl Default for Held {
    fn default() -> Self {
        Held::Shared(Bytes::new())
    }
}

impl Deref for Held {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Held::Shared(b) => b,
            Held::Own(v) => v,
        }
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Held {}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.escape_ascii().to_string(), f)
    }
}

/// The ordered header lines of a request, each verbatim (`Name: value`), framing fields
/// excluded.
///
/// The lines are held as one block, each followed by CRLF, exactly as the plain head carries
/// them: writing a head copies the block once, a plain reader shares it with its input, and a
/// prefix of the list is a prefix of the block, which is what the encoder compares. Cloning a
/// list a reader made, or one built by [`Headers::push`], is a reference-count increment (so
/// a handler that builds its lines once and clones them into each message's head copies
/// nothing); a borrowed read's is copied.
///
/// ```
/// let mut h = streamline::Headers::new();
/// h.push(b"Host: example.com")?;
/// h.push(b"Accept: */*")?;
/// assert_eq!(h.len(), 2);
/// assert_eq!(h.get(1), Some(&b"Accept: */*"[..]));
/// assert_eq!(h.iter().collect::<Vec<_>>(), [&b"Host: example.com"[..], b"Accept: */*"]);
/// assert_eq!(h.as_block(), b"Host: example.com\r\nAccept: */*\r\n");
/// # Ok::<(), streamline::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// Every line followed by CRLF. No line holds CR or LF (they are checked), so the block
    /// splits back into its lines unambiguously.
    pub(crate) block: Held,
    /// Number of lines.
    pub(crate) count: usize,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Appends one header line after checking it (RFC 9110 field syntax; no Content-Length or
    /// Transfer-Encoding, which belong to [`Framing`]). Copies the block: for building a few
    /// heads by hand, not for a hot path (the readers build theirs without copies).
    ///
    /// # Errors
    ///
    /// The kind a reader gives for the same field line ([`ErrorKind::InvalidHeader`],
    /// [`ErrorKind::WhitespaceBeforeColon`], ...), or [`ErrorKind::FramingHeader`]; no
    /// position.
    ///
    /// ```
    /// use streamline::{ErrorKind, Headers};
    /// let mut h = Headers::new();
    /// h.push(b"Host: example.com")?;
    /// let err = h.push(b"Content-Length: 5").unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::FramingHeader("Content-Length: 5".into()));
    /// assert_eq!(err.offset(), None);
    /// assert!(h.push(b"X: a\r\nY: b").is_err());
    /// assert_eq!(h.len(), 1);
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn push(&mut self, line: &[u8]) -> Result<(), Error> {
        let name_len = chars::check_field_line(line).map_err(Error::from_kind)?;
        if chars::framing_name(&line[..name_len]).is_some() {
            return Err(Error::from_kind(ErrorKind::FramingHeader(escape(line))));
        }
        let mut block = Vec::with_capacity(self.block.len() + line.len() + 2);
        block.extend_from_slice(&self.block);
        block.extend_from_slice(line);
        block.extend_from_slice(b"\r\n");
        self.block = Held::Shared(Bytes::from(block));
        self.count += 1;
        Ok(())
    }

    /// A list from a block of lines, each followed by CRLF, as [`Headers::as_block`] gives
    /// it: checked in one pass as [`Headers::push`] checks a line, and kept without a copy.
    /// For building a head from another model (the `http` types, say) in one allocation.
    ///
    /// # Errors
    ///
    /// As [`Headers::push`] for the first bad line; [`ErrorKind::InvalidHeader`] for bytes
    /// after the last CRLF. No position.
    ///
    /// ```
    /// use streamline::Headers;
    /// let h = Headers::parse_block("Host: a\r\nAccept: */*\r\n".into())?;
    /// assert_eq!(h.len(), 2);
    /// assert!(Headers::parse_block("Host: a\r\nContent-Length: 1\r\n".into()).is_err());
    /// assert!(Headers::parse_block("Host: a".into()).is_err());
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn parse_block(block: Bytes) -> Result<Headers, Error> {
        let mut count = 0;
        let mut start = 0;
        for lf in memchr::memchr_iter(b'\n', &block) {
            let line = block[start..lf].strip_suffix(b"\r").ok_or_else(|| Error::from_kind(ErrorKind::BareLf))?;
            let name_len = chars::check_field_line(line).map_err(Error::from_kind)?;
            if chars::framing_name(&line[..name_len]).is_some() {
                return Err(Error::from_kind(ErrorKind::FramingHeader(escape(line))));
            }
            count += 1;
            start = lf + 1;
        }
        if start != block.len() {
            let line = escape(&block[start..]);
            return Err(Error::from_kind(ErrorKind::InvalidHeader { line, why: "no CRLF at its end" }));
        }
        Ok(Headers::from_block(block, count))
    }

    /// The block as `Bytes`: shared with where it came from if it is (a plain reader's input),
    /// else copied once. For handing out its lines without copying them again.
    pub fn block_bytes(&self) -> Bytes {
        match &self.block {
            Held::Shared(b) => b.clone(),
            Held::Own(v) => Bytes::copy_from_slice(v),
        }
    }

    /// A list from a block of checked lines, each followed by CRLF.
    pub(crate) fn from_block(block: Bytes, count: usize) -> Self {
        debug_assert_eq!(memchr::memchr_iter(b'\n', &block).count(), count);
        Headers { block: Held::Shared(block), count }
    }

    /// Makes this list `other`, leaving the reference counts alone if it already is.
    pub(crate) fn assign(&mut self, other: &Headers) {
        match (&mut self.block, &other.block) {
            (Held::Shared(dst), Held::Shared(src)) => assign(dst, src),
            (dst, src) => dst.clone_from(src),
        }
        self.count = other.count;
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Is the list empty?
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The lines in order, without CRLF.
    pub fn iter(&self) -> Lines<'_> {
        Lines { rest: &self.block }
    }

    /// Line `i`, without CRLF. Walks the block from its start: for going through the lines,
    /// use [`Headers::iter`].
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.iter().nth(i)
    }

    /// The whole block: every line followed by CRLF, as a plain head carries them.
    pub fn as_block(&self) -> &[u8] {
        &self.block
    }

    /// Sum of the line lengths (without CRLF).
    pub(crate) fn byte_len(&self) -> usize {
        self.block.len() - 2 * self.count
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a [u8];
    type IntoIter = Lines<'a>;

    fn into_iter(self) -> Lines<'a> {
        self.iter()
    }
}

/// The lines of a [`Headers`], from [`Headers::iter`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let lf = memchr::memchr(b'\n', self.rest)?;
        let (line, rest) = self.rest.split_at(lf + 1);
        self.rest = rest;
        line.get(..lf.saturating_sub(1))
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|l| l.escape_ascii().to_string())).finish()
    }
}

/// How a message's body is delimited.
///
/// In the plain form this is the one framing field, written last in the head; in the compact
/// form it is the issuing opcode (`-:`, `+:`, `*:`, or for a response `$:`). The last three
/// kinds are for responses only (SPEC.md §13.3): a request has a body exactly when it has a
/// framing field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// No body and no framing field.
    None,
    /// `Content-Length: N`, then N bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, then a chunked body (RFC 9112 §7.1) kept verbatim.
    Chunked,
    /// Responses only: no framing field, and the body runs to the end of the stream
    /// (close-delimited, RFC 9112 §6.3 rule 8). Only the last response of a stream has it.
    Close,
    /// Responses only: `Content-Length: N` without the body it announces: the response to a
    /// HEAD request, or a 304 (RFC 9112 §6.3 rule 1), which say how long the body would be.
    Announced(u64),
    /// Responses only: `Transfer-Encoding: chunked` without a body (as [`Framing::Announced`]).
    AnnouncedChunked,
}

impl Framing {
    /// Length of the framing field line the plain form carries, CRLF included (0 for none):
    /// `Content-Length: N` is 18 + digits, `Transfer-Encoding: chunked` 28.
    pub(crate) fn line_len(self) -> usize {
        match self {
            Framing::None | Framing::Close => 0,
            Framing::Length(n) | Framing::Announced(n) => 18 + decimal_len(n),
            Framing::Chunked | Framing::AnnouncedChunked => 28,
        }
    }

    /// Is this a framing only responses have?
    pub fn responses_only(self) -> bool {
        matches!(self, Framing::Close | Framing::Announced(_) | Framing::AnnouncedChunked)
    }

    /// Does a body follow the head (possibly an empty one)?
    pub fn has_body(self) -> bool {
        matches!(self, Framing::Length(_) | Framing::Chunked | Framing::Close)
    }

    /// Is a chunked framing field written (with or without the body)?
    pub(crate) fn is_chunked(self) -> bool {
        matches!(self, Framing::Chunked | Framing::AnnouncedChunked)
    }
}

/// The head of a request: request-line parts, header lines and framing.
///
/// Every `Head` is valid by construction, so whatever writes one (either syntax) writes
/// something its reader accepts as the same head. Cloning is one reference-count increment:
/// the parts every request of a steady feed shares are held once.
#[derive(Clone, PartialEq, Eq)]
pub struct Head {
    pub(crate) parts: Arc<Parts>,
    pub(crate) framing: Framing,
}

/// What the requests of one state share: everything in the head but its framing.
#[derive(Debug)]
pub(crate) struct Parts {
    /// A request's method; a response's three-digit status code.
    pub(crate) method: Bytes,
    /// A request's target; a response's reason phrase (possibly empty).
    pub(crate) target: Held,
    /// Is this a response's status line (code and reason in `method` and `target`)?
    pub(crate) response: bool,
    pub(crate) version: Version,
    pub(crate) headers: Headers,
}

impl Parts {
    pub(crate) fn new(method: Bytes, target: Bytes, version: Version, headers: Headers) -> Arc<Parts> {
        Arc::new(Parts::fresh(method, target, version, headers))
    }

    /// The parts of a response: status code (three digits, checked by the caller) and reason.
    pub(crate) fn new_response(code: Bytes, reason: Bytes, version: Version, headers: Headers) -> Arc<Parts> {
        let mut parts = Parts::fresh(code, reason, version, headers);
        parts.response = true;
        Arc::new(parts)
    }

    fn fresh(method: Bytes, target: Bytes, version: Version, headers: Headers) -> Parts {
        Parts { method, target: Held::Shared(target), response: false, version, headers }
    }

    /// Rebuilds parts nobody else holds for another request: target and header lines are
    /// copied into buffers of their own, reused from one request to the next, and a method
    /// that stays the same is kept, so no reference count is touched. (A borrowed read's head
    /// is rebuilt this way.)
    pub(crate) fn rebuild(
        &mut self,
        response: bool,
        method: &Bytes,
        target: &[&[u8]],
        version: Version,
        block: &[u8],
        count: usize,
    ) {
        self.response = response;
        assign(&mut self.method, method);
        self.target.set(target);
        self.version = version;
        self.headers.block.set(&[block]);
        self.headers.count = count;
    }

    /// Bytes [`Parts::render`] writes.
    pub(crate) fn rendered_len(&self) -> usize {
        self.method.len() + self.target.len() + 12 + self.headers.block.len()
    }

    /// Writes request-line (or status-line) and header lines, each with CRLF.
    pub(crate) fn render(&self, dst: &mut impl BufMut) {
        if self.response {
            // status-line = HTTP-version SP status-code SP [ reason-phrase ]
            dst.put_slice(&self.version.to_bytes());
            dst.put_u8(b' ');
            dst.put_slice(&self.method);
            dst.put_u8(b' ');
            dst.put_slice(&self.target);
        } else {
            dst.put_slice(&self.method);
            dst.put_u8(b' ');
            dst.put_slice(&self.target);
            dst.put_u8(b' ');
            dst.put_slice(&self.version.to_bytes());
        }
        dst.put_slice(b"\r\n");
        dst.put_slice(&self.headers.block);
    }
}

impl PartialEq for Parts {
    fn eq(&self, other: &Parts) -> bool {
        self.response == other.response
            && self.method == other.method
            && self.target == other.target
            && self.version == other.version
            && self.headers == other.headers
    }
}

impl Eq for Parts {}

impl Head {
    /// Builds a head, checking that the method is a token and the target is non-empty visible
    /// ASCII.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidMethod`], [`ErrorKind::InvalidTarget`], [`ErrorKind::EmptyTarget`],
    /// or [`ErrorKind::ChunkedBeforeHttp11`] for chunked framing before HTTP/1.1; no
    /// position.
    ///
    /// ```
    /// use streamline::{ErrorKind, Framing, Head, Headers, Version};
    /// let head = Head::new("GET".into(), "/".into(), Version::HTTP_11, Headers::new(), Framing::None);
    /// assert!(head.is_ok());
    /// let bad = Head::new("GET".into(), "/a b".into(), Version::HTTP_11, Headers::new(), Framing::None);
    /// let err = bad.unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::InvalidTarget { .. }));
    /// assert_eq!(err.to_string(), "invalid request target '/a b' (only visible ASCII 0x21-0x7E allowed)");
    /// ```
    pub fn new(
        method: Bytes,
        target: Bytes,
        version: Version,
        headers: Headers,
        framing: Framing,
    ) -> Result<Head, Error> {
        if !chars::is_token(&method) {
            return Err(Error::from_kind(ErrorKind::InvalidMethod(escape(&method))));
        }
        check_target(&target, "request target").map_err(Error::from_kind)?;
        if target.is_empty() {
            return Err(Error::from_kind(ErrorKind::EmptyTarget));
        }
        if framing.responses_only() {
            return Err(Error::from_kind(ErrorKind::WrongDirection("a request with a framing only responses have")));
        }
        if framing == Framing::Chunked && !version.chunked_allowed() {
            return Err(Error::from_kind(ErrorKind::ChunkedBeforeHttp11(version.to_string())));
        }
        Ok(Head { parts: Parts::new(method, target, version, headers), framing })
    }

    /// Builds a response head, checking that the status code has three digits (100–999) and
    /// the reason phrase holds only HTAB, SP, visible ASCII and obs-text (RFC 9112 §4).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidStatusLine`], or [`ErrorKind::ChunkedBeforeHttp11`] for chunked
    /// framing before HTTP/1.1; no position.
    ///
    /// ```
    /// use streamline::{Framing, Head, Headers, Version};
    /// let head = Head::response(200, "OK".into(), Version::HTTP_11, Headers::new(), Framing::Length(2))?;
    /// assert_eq!((head.status(), head.reason()), (Some(200), Some(&b"OK"[..])));
    /// let mut plain = Vec::new();
    /// head.write_http1(&mut plain);
    /// assert_eq!(plain, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
    /// assert!(Head::response(42, "".into(), Version::HTTP_11, Headers::new(), Framing::None).is_err());
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn response(
        status: u16,
        reason: Bytes,
        version: Version,
        headers: Headers,
        framing: Framing,
    ) -> Result<Head, Error> {
        let bad =
            |why| Error::from_kind(ErrorKind::InvalidStatusLine { line: format!("{status} {}", escape(&reason)), why });
        if !(100..=999).contains(&status) {
            return Err(bad("the status code is not three digits"));
        }
        if !chars::is_reason(&reason) {
            return Err(bad("the reason phrase holds a control byte"));
        }
        if framing.is_chunked() && !version.chunked_allowed() {
            return Err(Error::from_kind(ErrorKind::ChunkedBeforeHttp11(version.to_string())));
        }
        if framing.has_body() && !may_have_body(status) {
            return Err(Error::from_kind(ErrorKind::BodyNotAllowed { status }));
        }
        let code = Bytes::copy_from_slice(status.to_string().as_bytes());
        Ok(Head { parts: Parts::new_response(code, reason, version, headers), framing })
    }

    /// Is this a response's head?
    pub fn is_response(&self) -> bool {
        self.parts.response
    }

    /// A response's status code; `None` for a request.
    pub fn status(&self) -> Option<u16> {
        self.parts.response.then(|| status_code(&self.parts.method))
    }

    /// A response's reason phrase (possibly empty); `None` for a request.
    pub fn reason(&self) -> Option<&[u8]> {
        self.parts.response.then_some(&self.parts.target[..])
    }

    /// The method, e.g. `POST`. (A response head has none: this gives its status code's
    /// three digits; see [`Head::status`].)
    pub fn method(&self) -> &Bytes {
        &self.parts.method
    }

    /// The request target, e.g. `/receiver`. (A response head has none: this gives its
    /// reason phrase; see [`Head::reason`].)
    pub fn target(&self) -> &[u8] {
        &self.parts.target
    }

    /// [`Head::target`] as `Bytes`: shared with where it came from if it is, else copied.
    pub fn target_bytes(&self) -> Bytes {
        match &self.parts.target {
            Held::Shared(b) => b.clone(),
            Held::Own(v) => Bytes::copy_from_slice(v),
        }
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.parts.version
    }

    /// The header lines, framing excluded.
    pub fn headers(&self) -> &Headers {
        &self.parts.headers
    }

    /// How the body is delimited.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Does this request wait for a `100 Continue` before it sends its body: an `Expect:
    /// 100-continue` field, a body to send, and HTTP/1.1 (an HTTP/1.0 client's expectation
    /// is ignored, RFC 9110 §10.1.1)? See [`Reader::pending_head`](crate::Reader::pending_head).
    pub fn expects_continue(&self) -> bool {
        self.version() != Version::HTTP_10
            && self.framing.has_body()
            && self.headers().iter().any(|line| {
                let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
                let (name, value) = line.split_at(colon);
                name.eq_ignore_ascii_case(b"expect")
                    && value.get(1..).unwrap_or_default().trim_ascii().eq_ignore_ascii_case(b"100-continue")
            })
    }

    /// Bytes the head holds, as `max_state_bytes` counts a state's (SPEC.md §7.2): version
    /// (8), method, target, header lines (without their CR LF). A compact encoder refuses a
    /// head over [`Limits::get_max_state_bytes`](crate::Limits::get_max_state_bytes), and
    /// every one after it; the plain reader bounds a head only by its lines, so a service
    /// that reads plain heads and sends them compact checks this first.
    pub fn state_bytes(&self) -> usize {
        self.byte_len()
    }

    /// Bytes the head holds, as limits count them: version (8), method, target, header lines.
    pub(crate) fn byte_len(&self) -> usize {
        8 + self.parts.method.len() + self.parts.target.len() + self.parts.headers.byte_len()
    }

    /// The same head with other framing.
    pub fn with_framing(&self, framing: Framing) -> Head {
        Head { parts: self.parts.clone(), framing }
    }

    /// Do both heads share their parts (and so, certainly, method, target, version and
    /// header lines)?
    pub(crate) fn same_parts(&self, other: &Head) -> bool {
        Arc::ptr_eq(&self.parts, &other.parts)
    }

    /// Writes the canonical plain head: request-line, header lines, the framing field last,
    /// and the empty line.
    ///
    /// Any [`BufMut`] takes it: a `Vec<u8>`, or the `BytesMut` a tokio codec writes into.
    pub fn write_http1(&self, dst: &mut impl BufMut) {
        self.parts.render(dst);
        self.write_framing(dst);
    }

    /// Writes what follows the header lines in the plain head: the framing field and the
    /// empty line.
    pub(crate) fn write_framing(&self, dst: &mut impl BufMut) {
        match self.framing {
            Framing::None | Framing::Close => {}
            Framing::Length(n) | Framing::Announced(n) => {
                dst.put_slice(b"Content-Length: ");
                write_decimal(n, dst);
                dst.put_slice(b"\r\n");
            }
            Framing::Chunked | Framing::AnnouncedChunked => dst.put_slice(b"Transfer-Encoding: chunked\r\n"),
        }
        dst.put_slice(b"\r\n");
    }
}

impl fmt::Debug for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts.response {
            return f
                .debug_struct("Head")
                .field("status", &self.parts.method.escape_ascii().to_string())
                .field("reason", &self.parts.target.escape_ascii().to_string())
                .field("version", &self.parts.version)
                .field("headers", &self.parts.headers)
                .field("framing", &self.framing)
                .finish();
        }
        f.debug_struct("Head")
            .field("method", &self.parts.method.escape_ascii().to_string())
            .field("target", &self.parts.target.escape_ascii().to_string())
            .field("version", &self.parts.version)
            .field("headers", &self.parts.headers)
            .field("framing", &self.framing)
            .finish()
    }
}

/// A whole request: its head and its body bytes.
///
/// For [`Framing::Length`] the body is the content; for [`Framing::Chunked`] it is the chunked
/// encoding itself (chunks, last-chunk, trailers, final CRLF), verbatim.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) head: Head,
    pub(crate) body: Bytes,
}

impl Request {
    /// Builds a request, checking the body against the head's framing: empty for
    /// [`Framing::None`], exactly N bytes for [`Framing::Length`], one complete valid chunked
    /// body for [`Framing::Chunked`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BodyMismatch`] for a body the framing does not describe; for a chunked
    /// body that breaks the chunked syntax, that fault's kind (e.g.
    /// [`ErrorKind::InvalidChunkSize`]). No position.
    ///
    /// ```
    /// use streamline::{ErrorKind, Framing, Head, Headers, Request, Version};
    /// let head = Head::new("POST".into(), "/".into(), Version::HTTP_11, Headers::new(), Framing::Length(5))?;
    /// assert!(Request::new(head.clone(), "hello".into()).is_ok());
    /// let err = Request::new(head, "hi".into()).unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::BodyMismatch("length differs from Content-Length"));
    /// assert_eq!(err.to_string(), "body does not match the head's framing: length differs from Content-Length");
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn new(head: Head, body: Bytes) -> Result<Request, Error> {
        if head.is_response() {
            return Err(Error::from_kind(ErrorKind::WrongDirection("a response head in a request")));
        }
        check_body(head.framing, &body)?;
        Ok(Request { head, body })
    }

    /// The head.
    pub fn head(&self) -> &Head {
        &self.head
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
        super::response::write_message(&self.head, &self.body, dst);
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("head", &self.head)
            .field("body", &escape(&self.body))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A whole request borrowed from the reader that found it and from the input slice, as
/// [`Decoder::decode_slice`](crate::Decoder::decode_slice) returns it: the body is not copied,
/// and no reference count is touched (the decoder rebuilds the head in buffers it reuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRef<'h, 's> {
    pub(crate) head: &'h Head,
    pub(crate) body: &'s [u8],
}

impl<'h, 's> RequestRef<'h, 's> {
    /// The head.
    pub fn head(&self) -> &'h Head {
        self.head
    }

    /// The body bytes.
    pub fn body(&self) -> &'s [u8] {
        self.body
    }

    /// Writes the canonical plain form.
    pub fn write_http1(&self, dst: &mut impl BufMut) {
        super::response::write_message(self.head, self.body, dst);
    }

    /// An owned copy.
    pub fn to_request(&self) -> Request {
        Request { head: self.head.clone(), body: Bytes::copy_from_slice(self.body) }
    }
}

/// Checks a body against the framing that delimits it (see [`Request::new`]).
pub(crate) fn check_body(framing: Framing, body: &[u8]) -> Result<(), Error> {
    let mismatch = |why| Err(Error::from_kind(ErrorKind::BodyMismatch(why)));
    match framing {
        Framing::None if !body.is_empty() => mismatch("the head has neither Content-Length nor chunked framing"),
        Framing::Announced(_) | Framing::AnnouncedChunked if !body.is_empty() => {
            mismatch("the head announces a body this response does not carry")
        }
        Framing::Length(n) if body.len() as u64 != n => mismatch("length differs from Content-Length"),
        Framing::Chunked => {
            let mut scanner = BodyScanner::new(Framing::Chunked, &Limits::default().max_line(usize::MAX));
            match scanner.scan(body).map_err(|(kind, _)| Error::from_kind(kind))? {
                Scan::Done(n) if n == body.len() => Ok(()),
                _ => mismatch("chunked body cut short or followed by other bytes"),
            }
        }
        _ => Ok(()),
    }
}

/// May a response with this status carry a body? Not a 1xx, a 204 or a 304 (RFC 9112 §6.3).
pub(crate) fn may_have_body(status: u16) -> bool {
    status >= 200 && status != 204 && status != 304
}

/// The value of a status code's three digits (checked where they were read).
pub(crate) fn status_code(digits: &[u8]) -> u16 {
    digits.iter().fold(0, |n, &d| n * 10 + u16::from(d.wrapping_sub(b'0')))
}

/// Makes `dst` a copy of `src`; if it already is the same view of the same bytes (same
/// address and length), nothing changes and no reference count is touched.
#[inline]
pub(crate) fn assign(dst: &mut Bytes, src: &Bytes) {
    if dst.as_ptr() != src.as_ptr() || dst.len() != src.len() {
        *dst = src.clone();
    }
}

/// Checks a base, suffix or target: visible ASCII only.
pub(crate) fn check_target(s: &[u8], what: &'static str) -> Result<(), ErrorKind> {
    if chars::is_visible(s) {
        Ok(())
    } else {
        Err(ErrorKind::InvalidTarget { what, text: escape(s) })
    }
}

/// Appends `n` in decimal.
pub(crate) fn write_decimal(mut n: u64, dst: &mut impl bytes::BufMut) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    dst.put_slice(&buf[i..]);
}

/// Number of decimal digits of `n`.
pub(crate) fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal() {
        for n in [0u64, 7, 10, 66, 12345, u64::MAX] {
            let mut v = Vec::new();
            write_decimal(n, &mut v);
            assert_eq!(v, n.to_string().as_bytes());
            assert_eq!(decimal_len(n), v.len());
        }
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Request>();
        is::<Head>();
        is::<crate::Decoder>();
        is::<crate::Encoder>();
    }
}
