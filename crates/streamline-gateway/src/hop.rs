//! What one hop owns: the hop-by-hop fields (RFC 9110 §7.6.1), the version an intermediary
//! sends (its own, RFC 9110 §6.2), and the answers a service makes itself.

use bytes::{Bytes, BytesMut};
use streamline::{ChunkedBody, ChunkedPart, Framing, Head, Headers, Request, Response, Version};

/// Fields that describe one connection, never forwarded (RFC 9110 §7.6.1; Transfer-Encoding
/// is the message's framing in streamline's model and is written by whoever frames it).
const HOP_BY_HOP: [&[u8]; 6] =
    [b"connection", b"keep-alive", b"proxy-connection", b"te", b"transfer-encoding", b"upgrade"];

/// A field line's name.
fn name(line: &[u8]) -> &[u8] {
    line.split(|&b| b == b':').next().unwrap_or(line)
}

/// A field line's value, without the whitespace around it.
fn value(line: &[u8]) -> &[u8] {
    let v = line.get(name(line).len() + 1..).unwrap_or_default();
    v.trim_ascii()
}

/// The comma-separated tokens of every `Connection` line, as sent (compare them ignoring
/// case); nothing is allocated, so the common head, with no such line or one, costs a pass.
fn connection_tokens(headers: &Headers) -> impl Iterator<Item = &[u8]> + Clone {
    headers
        .iter()
        .filter(|line| name(line).eq_ignore_ascii_case(b"connection"))
        .flat_map(|line| value(line).split(|&b| b == b',').map(<[u8]>::trim_ascii))
        .filter(|t| !t.is_empty())
}

/// Is a field of this name dropped when forwarding (a hop-by-hop one, one `Connection`
/// names, or one of `extra`)? `Host` is never dropped for being named: a request checked for
/// exactly one Host must reach the upstream with it (a sender must not name it, RFC 9110
/// §7.6.1, and the framing fields are not header lines here).
fn dropped<'a>(name: &[u8], mut named: impl Iterator<Item = &'a [u8]>, extra: &[&[u8]]) -> bool {
    HOP_BY_HOP.iter().chain(extra).any(|h| name.eq_ignore_ascii_case(h))
        || (named.any(|t| name.eq_ignore_ascii_case(t)) && !name.eq_ignore_ascii_case(b"host"))
}

/// What a hop needs to know of a head's field lines, found in one pass over them (each
/// line's name is told apart by its length first): how many `Host` lines (RFC 9112 §3.2),
/// whether any line is one a hop drops (a hop-by-hop field or a `Connection` line, RFC 9110
/// §7.6.1), the `close` and `keep-alive` tokens of the `Connection` lines (RFC 9112 §9.3), and
/// whether it expects `100-continue` (RFC 9110 §10.1.1). A feed's head, with none of these
/// but its `Host`, is read once and forwarded as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) hosts: usize,
    /// Is some `Host` value not `uri-host [":" port]` (RFC 9112 §3.2, RFC 3986 §3.2.2)?
    bad_host: bool,
    /// Is some `Host` value empty (an `http` URI without a host, RFC 9110 §4.2.1)?
    empty_host: bool,
    hop_lines: bool,
    close: bool,
    keep_alive: bool,
    expect_continue: bool,
}

impl Fields {
    pub(crate) fn of(head: &Head) -> Fields {
        let mut f = Fields::default();
        for line in head.headers().iter() {
            let n = name(line);
            let is = |h: &[u8]| n.len() == h.len() && n.eq_ignore_ascii_case(h);
            match n.len() {
                4 if is(b"host") => {
                    f.hosts += 1;
                    let v = value(line);
                    f.bad_host |= !host_value(v);
                    f.empty_host |= v.is_empty();
                }
                6 if is(b"expect") => f.expect_continue |= value(line).eq_ignore_ascii_case(b"100-continue"),
                10 if is(b"connection") => {
                    f.hop_lines = true;
                    for t in value(line).split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                        f.close |= t.eq_ignore_ascii_case(b"close");
                        f.keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
                    }
                }
                2 | 7 | 10 | 16 | 17 => f.hop_lines |= HOP_BY_HOP.iter().any(|h| is(h)),
                _ => {}
            }
        }
        f
    }

    /// Does the sender close the connection after this message (`Connection: close`, or
    /// HTTP/1.0 without `keep-alive`; RFC 9112 §9.3)?
    pub(crate) fn closes(&self, head: &Head) -> bool {
        self.close || (head.version() == Version::HTTP_10 && !self.keep_alive)
    }

    /// Does the request wait for a `100 Continue` before sending its body?
    pub(crate) fn expects_continue(&self, head: &Head) -> bool {
        self.expect_continue && head.framing().has_body()
    }

    /// The Host a hop gives a request that came without one (an HTTP/1.0 request: `refused`
    /// lets no other through): `local`, the address its client reached (RFC 9112 §3.3);
    /// `None` for a request that has its own.
    pub(crate) fn host_to_add<'a>(&self, local: &'a [u8]) -> Option<&'a [u8]> {
        (self.hosts == 0).then_some(local)
    }

    /// The head a proxy sends on its link for a request it read: [`Fields::forward`] with
    /// `Expect` dropped when the request expects a `100 Continue` (the proxy answers it, or,
    /// for HTTP/1.0, ignores it), and with `Host: local` for a request that came without one
    /// (`local`: the address its client reached).
    pub(crate) fn proxied(&self, head: &Head, local: &[u8]) -> Result<Head, streamline::Error> {
        let drop_expect: &[&[u8]] = if self.expects_continue(head) { &[b"expect"] } else { &[] };
        self.forward(head, drop_expect, self.host_to_add(local))
    }

    /// The head to forward: hop-by-hop fields (and those `Connection` names, and `extra`)
    /// removed, in the intermediary's own version (HTTP/1.1), with `Host: host` first if
    /// `host` is given (for a request that had none). The same head, shared, when there is
    /// nothing to change (no line to drop or add, nothing in `extra`, HTTP/1.1 already: the
    /// steady case of a feed, whose encoder then sees the same parts).
    pub(crate) fn forward(&self, head: &Head, extra: &[&[u8]], host: Option<&[u8]>) -> Result<Head, streamline::Error> {
        if !self.hop_lines && extra.is_empty() && host.is_none() && head.version() == Version::HTTP_11 {
            return Ok(head.clone());
        }
        forward_general(head, extra, host)
    }
}

/// [`Fields::forward`] the long way, a new head always: every line checked against the
/// hop-by-hop names, the ones `Connection` names and `extra`.
fn forward_general(head: &Head, extra: &[&[u8]], host: Option<&[u8]>) -> Result<Head, streamline::Error> {
    let named = connection_tokens(head.headers());
    let keep = |line: &&[u8]| !dropped(name(line), named.clone(), extra);
    let mut block = BytesMut::with_capacity(head.headers().as_block().len() + host.map_or(0, |h| h.len() + 8));
    if let Some(host) = host {
        block.extend_from_slice(b"Host: ");
        block.extend_from_slice(host);
        block.extend_from_slice(b"\r\n");
    }
    for line in head.headers().iter().filter(keep) {
        block.extend_from_slice(line);
        block.extend_from_slice(b"\r\n");
    }
    let headers = Headers::parse_block(block.freeze())?;
    match head.status() {
        Some(status) => {
            let reason = Bytes::copy_from_slice(head.reason().unwrap_or_default());
            Head::response(status, reason, Version::HTTP_11, headers, head.framing())
        }
        None => Head::new(head.method().clone(), head.target_bytes(), Version::HTTP_11, headers, head.framing()),
    }
}

/// Response heads on their way to the next hop, with the last one remembered: an upstream
/// answers a feed with the same head again and again (nginx: the same lines, its `Date`
/// aside, which changes once a second), so the hop-by-hop fields are taken out once per
/// distinct head, and the link's encoder is given the same parts each time (its steady
/// path).
#[derive(Debug, Default)]
pub(crate) struct Responses {
    /// The head as received (its framing aside), what it became, and whether its sender
    /// closes after it.
    last: Option<(Head, Head, bool)>,
}

impl Responses {
    /// The response as the next hop gets it (a close-delimited body framed by its length,
    /// the hop-by-hop fields removed), and whether the upstream said it closes after it
    /// (`Connection: close`: it processes no request after it, RFC 9112 §9.6). A body that ran
    /// to the close says nothing of the requests pipelined behind it.
    pub(crate) fn forward(&mut self, response: Response) -> (Response, bool) {
        let response = delimited(response);
        let head = response.head();
        let (to, closes) = match &self.last {
            Some((from, to, closes)) if same_but_framing(from, head) => (to, *closes),
            _ => {
                let fields = Fields::of(head);
                let to = fields.forward(head, &[], None).unwrap_or_else(|_| head.clone());
                let last = self.last.insert((head.clone(), to, fields.closes(head)));
                (&last.1, last.2)
            }
        };
        let forwarded = Response::new(to.with_framing(head.framing()), response.body().clone()).unwrap_or(response);
        (forwarded, closes)
    }
}

/// Do two heads differ in their framing at most?
fn same_but_framing(a: &Head, b: &Head) -> bool {
    a.status() == b.status() && a.version() == b.version() && a.reason() == b.reason() && a.headers() == b.headers()
}

/// Does the sender close the connection after this message (`Connection: close`, or
/// HTTP/1.0 without `keep-alive`; RFC 9112 §9.3)?
pub(crate) fn closes(head: &Head) -> bool {
    Fields::of(head).closes(head)
}

/// Is the method idempotent (RFC 9110 §9.2.2): may a request that was sent but not
/// answered be sent again?
pub(crate) fn idempotent(request: &Request) -> bool {
    matches!(&request.head().method()[..], b"GET" | b"HEAD" | b"OPTIONS" | b"TRACE" | b"PUT" | b"DELETE")
}

/// An answer the service makes itself: `status`, a one-line text body, and
/// `Connection: close` if the connection closes after it.
pub(crate) fn answer(status: u16, reason: &'static str, close: bool) -> Response {
    let body = Bytes::from(format!("{status} {reason}\n"));
    let mut headers = Headers::new();
    let _ = headers.push(b"Content-Type: text/plain");
    if close {
        let _ = headers.push(b"Connection: close");
    }
    let head = Head::response(status, reason.into(), Version::HTTP_11, headers, Framing::Length(body.len() as u64));
    match head.and_then(|head| Response::new(head, body)) {
        Ok(response) => response,
        // Unreachable: every status and reason given is valid; keep serving regardless.
        Err(_) => Response::new(
            Head::response(500, Bytes::new(), Version::HTTP_11, Headers::new(), Framing::Length(0))
                .unwrap_or_else(|_| unreachable!()),
            Bytes::new(),
        )
        .unwrap_or_else(|_| unreachable!()),
    }
}

/// Does an answer that never has a body, a 1xx or a 204, carry a body's framing field
/// (`Content-Length` above 0, `Transfer-Encoding`), which a server must not send with it (RFC
/// 9110 §8.6, RFC 9112 §6.1)? (A 304's or a HEAD answer's length tells the size of a 200's
/// content and is allowed.)
pub(crate) fn framed_without_a_body(response: &Response) -> bool {
    // The framing first: the status is read (its digits parsed) only for a bodyless answer
    // that announced a length, not for every answer.
    matches!(response.head().framing(), Framing::Announced(1..) | Framing::AnnouncedChunked) && {
        let status = response.status();
        status < 200 || status == 204
    }
}

/// Is `v` a `Host` value (RFC 9112 §3.2): empty (a target without an authority, RFC 9110
/// §7.2), or `uri-host [":" port]`, the host an IP-literal in brackets or a registered name
/// or IPv4 address (unreserved characters, percent-encodings and sub-delims, RFC 3986
/// §3.2.2), the port digits? A value with a path, a user, spaces or a second port in it is
/// refused, as an origin server must (400), so that no upstream takes it for another host.
fn host_value(v: &[u8]) -> bool {
    if let Some(rest) = v.strip_prefix(b"[") {
        let Some(end) = rest.iter().position(|&b| b == b']') else { return false };
        return ip_literal(&rest[..end]) && port(&rest[end + 1..]);
    }
    // A name (or an IPv4 address) and a port, in one pass: the proxy checks every request's.
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b if REG_NAME[b as usize] => i += 1,
            b'%' if v.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) => i += 3,
            b':' => return port(&v[i..]),
            _ => return false,
        }
    }
    true
}

/// `[":" port]`: nothing, or a colon and digits (RFC 3986 §3.2.3).
fn port(rest: &[u8]) -> bool {
    match rest {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// The bytes a `reg-name` holds as they are: `unreserved / sub-delims` (RFC 3986 §2.2, §2.3).
/// A table: the proxy checks every request's Host, and a byte's look-up costs less than the
/// comparisons.
const REG_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            );
        b += 1;
    }
    table
};

/// What is between `[` and `]`: an IPv6 address, or `v` HEXDIG+ `.` then plain characters
/// and colons (IPvFuture, RFC 3986 §3.2.2).
fn ip_literal(literal: &[u8]) -> bool {
    match literal {
        [b'v' | b'V', rest @ ..] => {
            let hex = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            match &rest[hex..] {
                [b'.', tail @ ..] => {
                    hex > 0 && !tail.is_empty() && tail.iter().all(|&b| REG_NAME[b as usize] || b == b':')
                }
                _ => false,
            }
        }
        _ => std::str::from_utf8(literal).is_ok_and(|text| text.parse::<std::net::Ipv6Addr>().is_ok()),
    }
}

/// What the Host line [`Fields::forward`] adds for `host` (to a request that came without
/// one) adds to the head: its state bytes (SPEC.md §7.2, the line without its CRLF) and its
/// lines; (0, 0) when none is added. A hop counts it when it checks the head against the
/// limits the next hop enforces: a head at a limit that grew past it on the way would break
/// the link it goes on, and every request in flight there with it.
pub(crate) fn host_added(host: Option<&[u8]>) -> (usize, usize) {
    host.map_or((0, 0), |h| (b"Host: ".len() + h.len(), 1))
}

/// `addr` as a Host value: an IPv6 address without its zone (`%2`), which a Host may not hold
/// as it is written (RFC 6874 would have it `%25`), and which names the interface, not the
/// server.
pub(crate) fn authority(addr: std::net::SocketAddr) -> String {
    std::net::SocketAddr::new(addr.ip(), addr.port()).to_string()
}

/// Why a hop answers a request itself rather than forward it, if it does: status, reason and
/// a few words for the log. Not exactly one Host (an HTTP/1.0 request may have none: RFC
/// 9112 §3.2 asks it of HTTP/1.1 only, and old clients and load balancers' health checks send
/// none), or one whose value is no host: 400; CONNECT: 501 (no tunnels); a major version
/// other than 1: 505 (RFC 9110 §15.6.6), not a request silently made HTTP/1.1. The proxy and
/// the gateway refuse the same.
pub(crate) fn refused(head: &Head, fields: &Fields) -> Option<(u16, &'static str, &'static str)> {
    if fields.hosts != 1 && !(fields.hosts == 0 && head.version() == Version::HTTP_10) {
        return Some((400, "Bad Request", "not exactly one Host"));
    }
    if fields.bad_host {
        return Some((400, "Bad Request", "a Host value that is no host"));
    }
    if &head.method()[..] == b"CONNECT" {
        return Some((501, "Not Implemented", "CONNECT"));
    }
    if let Some(why) = target_refused(head, fields) {
        return Some((400, "Bad Request", why));
    }
    if head.version().to_bytes()[5] != b'1' {
        return Some((505, "HTTP Version Not Supported", "not HTTP/1.x"));
    }
    None
}

/// What is wrong with a request's target, if anything, for a hop that forwards `http` requests
/// to one upstream (RFC 9112 §3.2): a fragment (never sent); `*` for a method other than
/// OPTIONS (§3.2.4); with an origin-form target, an empty Host (an `http` URI has a host, RFC
/// 9110 §4.2.1); an absolute-form target that is not `http` or `https`, whose authority is no
/// host (user info included, RFC 9110 §4.2.4), or is not the Host's (without case, the
/// scheme's default port the same as none, RFC 9110 §4.2.3): an upstream takes the
/// target's authority over Host (§3.2.2), so a check or a log in front of it that reads Host
/// would read another host than the one served. The usual target, `/` and a path, costs a
/// look for `#`.
fn target_refused(head: &Head, fields: &Fields) -> Option<&'static str> {
    let target = head.target();
    if target.contains(&b'#') {
        return Some("a fragment in the target");
    }
    match target {
        [b'/', ..] if fields.empty_host => Some("an empty Host"),
        [b'/', ..] => None,
        b"*" if &head.method()[..] == b"OPTIONS" => None,
        b"*" => Some("the target * for a method other than OPTIONS"),
        _ => {
            let scheme = |s: &[u8]| target.get(..s.len()).is_some_and(|t| t.eq_ignore_ascii_case(s));
            let (rest, default_port) = if scheme(b"http://") {
                (&target[7..], &b"80"[..])
            } else if scheme(b"https://") {
                (&target[8..], &b"443"[..])
            } else {
                return Some("a target neither a path nor an http URI");
            };
            let authority = &rest[..rest.iter().position(|&b| matches!(b, b'/' | b'?')).unwrap_or(rest.len())];
            let host = head.headers().iter().find(|line| name(line).eq_ignore_ascii_case(b"host")).map(value);
            let same = |host: &[u8]| {
                without_default_port(host, default_port)
                    .eq_ignore_ascii_case(without_default_port(authority, default_port))
            };
            if authority.is_empty() || !host_value(authority) {
                Some("a target whose authority is no host")
            } else if !host.is_some_and(same) {
                Some("a target whose authority is not its Host")
            } else {
                None
            }
        }
    }
}

/// An authority (a valid host, optionally with a port) as its scheme's normal form writes it
/// (RFC 3986 §6.2.3, RFC 9110 §4.2.3): without an empty port or the scheme's default one,
/// so that `http://t:80/` and `Host: t` name the same host. A port after an IP literal
/// follows its `]`; a colon inside the brackets is never a port's.
fn without_default_port<'a>(authority: &'a [u8], default_port: &[u8]) -> &'a [u8] {
    let Some(colon) = authority.iter().rposition(|&b| b == b':') else { return authority };
    if authority[colon..].contains(&b']') {
        return authority;
    }
    let port = &authority[colon + 1..];
    if port.is_empty() || port == default_port {
        &authority[..colon]
    } else {
        authority
    }
}

/// Interim (1xx) responses kept for one request: a proxy forwards them (RFC 9110 §15.2). They
/// travel with the final answer, so they reach the client no earlier than it does (a 103's
/// hints are not early: what forwarding them as they come would need is a channel per link
/// beside each request's answer, not built). An upstream that sends more than this has the
/// rest dropped, so what one request holds stays bounded.
pub(crate) const MAX_INTERIM: usize = 8;

/// Interim responses read for one request past which its answer is broken: an upstream (or a
/// link's peer) that sends them without end would otherwise hold the request, and every one
/// answered after it, for ever, with bytes coming all the while so that no timeout fires.
/// Servers send one or two (`100 Continue`, `103 Early Hints`).
pub(crate) const MAX_INTERIM_READ: usize = 64;

/// The interim responses read so far for the request at the head of the line: the first
/// [`MAX_INTERIM`] kept, hop-by-hop fields removed, to forward ahead of the final one; all
/// counted.
#[derive(Debug, Default)]
pub(crate) struct Interim {
    kept: Vec<Response>,
    read: usize,
}

impl Interim {
    /// One more interim response read; past [`MAX_INTERIM_READ`], why the answer is broken.
    pub(crate) fn keep(&mut self, response: Response) -> Result<(), String> {
        self.read += 1;
        if self.read > MAX_INTERIM_READ {
            return Err(format!("more than {MAX_INTERIM_READ} interim (1xx) answers to one request"));
        }
        if self.kept.len() < MAX_INTERIM {
            let fields = Fields::of(response.head());
            let forwarded =
                fields.forward(response.head(), &[], None).and_then(|head| Response::new(head, Bytes::new()));
            self.kept.push(forwarded.unwrap_or(response));
        }
        Ok(())
    }

    /// The ones kept, to go with the final answer; the count starts again.
    pub(crate) fn take(&mut self) -> Vec<Response> {
        self.read = 0;
        std::mem::take(&mut self.kept)
    }

    /// The plain bytes of the heads kept.
    pub(crate) fn bytes(&self) -> u64 {
        self.kept.iter().map(|r| crate::message_bytes(r.head(), 0)).sum()
    }
}

/// The response with `Connection: close` added (the connection closes after it).
pub(crate) fn with_close(response: Response) -> Response {
    if closes(response.head()) {
        return response;
    }
    with_field(response, b"Connection: close")
}

/// The response with one more field line (the same response if it cannot take it).
fn with_field(response: Response, line: &[u8]) -> Response {
    let (head, body) = response.into_parts();
    let mut block = BytesMut::from(head.headers().as_block());
    block.extend_from_slice(line);
    block.extend_from_slice(b"\r\n");
    let rebuilt = Headers::parse_block(block.freeze()).and_then(|headers| {
        let reason = Bytes::copy_from_slice(head.reason().unwrap_or_default());
        Head::response(head.status().unwrap_or(200), reason, head.version(), headers, head.framing())
    });
    match rebuilt.and_then(|h| Response::new(h, body.clone())) {
        Ok(response) => response,
        Err(_) => Response::new(head, body).unwrap_or_else(|_| unreachable!()),
    }
}

/// A response whose body ran to the end of its connection (close-delimited), framed by its
/// length instead: the next hop keeps its connection. A 1xx or 204 that came with
/// `Content-Length: 0` goes on without it: a server must not send one with them (RFC 9110
/// §8.6; one above 0 is refused as a broken answer, [`framed_without_a_body`]).
pub(crate) fn delimited(response: Response) -> Response {
    match response.head().framing() {
        Framing::Close => by_length(response),
        Framing::Announced(0) if response.status() < 200 || response.status() == 204 => {
            Response::new(response.head().with_framing(Framing::None), response.body().clone()).unwrap_or(response)
        }
        _ => response,
    }
}

/// The response as an HTTP/1.0 client may get it: a chunked body framed by its length instead
/// (RFC 9112 §6.1: no Transfer-Encoding to a request that does not say HTTP/1.1; the body is
/// here whole, its trailer fields dropped as a recipient may), and `Connection: keep-alive`
/// when the connection stays open (an HTTP/1.0 client closes otherwise, RFC 9112 §9.3).
pub(crate) fn for_http10(response: Response, close: bool) -> Response {
    let response = if response.head().framing() == Framing::Chunked { dechunked(response) } else { response };
    if close {
        return response;
    }
    with_field(response, b"Connection: keep-alive")
}

/// A chunked response with its payload framed by its length (the chunk framing and the
/// trailer fields left out). The reader checked the body, so the walk does not fail; if it
/// did, the response would stay as it came.
fn dechunked(response: Response) -> Response {
    let mut walker = ChunkedBody::new();
    let mut payload = BytesMut::with_capacity(response.body().len());
    let mut src = &response.body()[..];
    loop {
        match walker.next(src) {
            Ok((used, Some(ChunkedPart::Data(data)))) => {
                payload.extend_from_slice(data);
                src = &src[used..];
            }
            Ok((used, Some(ChunkedPart::Trailer(_)))) => src = &src[used..],
            Ok((_, Some(ChunkedPart::End))) => break,
            Ok((_, None)) | Err(_) => return response,
        }
    }
    let (head, _) = response.into_parts();
    let payload = payload.freeze();
    let framed = head.with_framing(Framing::Length(payload.len() as u64));
    Response::new(framed, payload).unwrap_or_else(|_| unreachable!())
}

/// The response with its (whole) body framed by its length.
fn by_length(response: Response) -> Response {
    let (head, body) = response.into_parts();
    let framed = head.with_framing(Framing::Length(body.len() as u64));
    Response::new(framed, body).unwrap_or_else(|_| unreachable!())
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamline::http1;

    fn head(plain: &str) -> Head {
        let mut src = BytesMut::from(plain);
        http1::Parser::new().decode_eof(&mut src).unwrap().unwrap().head().clone()
    }

    fn lines(head: &Head) -> Vec<String> {
        head.headers().iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
    }

    #[test]
    fn hop_by_hop_fields_and_the_ones_connection_names_are_dropped() {
        let h = head(
            "GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive, X-Trace\r\nKeep-Alive: 5\r\nX-Trace: 1\r\n\
             TE: trailers\r\nUpgrade: websocket\r\nProxy-Connection: x\r\nAccept: */*\r\n\r\n",
        );
        let f = Fields::of(&h).forward(&h, &[], None).unwrap();
        assert_eq!(lines(&f), ["Host: a", "Accept: */*"]);
        assert_eq!(f.version(), Version::HTTP_11);
        assert_eq!(Fields::of(&f).hosts, 1);
        assert!(!closes(&h));
    }

    /// `Connection: Host` does not take away the Host the proxy checked (RFC 9112 §3.2).
    #[test]
    fn host_stays_whatever_connection_names() {
        let h = head("GET / HTTP/1.1\r\nHost: a\r\nConnection: Host, X-Trace\r\nX-Trace: 1\r\n\r\n");
        assert_eq!(lines(&Fields::of(&h).forward(&h, &[], None).unwrap()), ["Host: a"]);
    }

    #[test]
    fn a_head_with_nothing_to_drop_is_shared() {
        let h = head("POST /q HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok");
        let f = Fields::of(&h).forward(&h, &[], None).unwrap();
        assert_eq!(f, h);
        assert_eq!(f.framing(), Framing::Length(2));
    }

    /// RFC 9112 §3.2: a Host value is `uri-host [":" port]` or empty; anything else is refused.
    #[test]
    fn host_values_are_hosts() {
        for good in [
            "",
            "t",
            "example.com",
            "example.com:8080",
            "127.0.0.1:43373",
            "[::1]",
            "[::1]:80",
            "[v1.x]",
            "xn--bcher-kva.example",
            "a_b-c~d.e",
            "%41.example",
            "h:",
            "[2001:db8::7]:443",
            "[::ffff:1.2.3.4]",
            "[V1F.a:b]",
        ] {
            assert!(host_value(good.as_bytes()), "{good:?}");
        }
        for bad in [
            "t/admin",
            "a b",
            "user@host",
            "a:b:c",
            "a:80x",
            "[::1",
            "[]",
            "[::1]x",
            "[::1]:8a",
            "host?x",
            "h#f",
            "a\tb",
            "a\"b",
            "[zz]",
            "[1:2:3:4:5:6:7:8:9]",
            "a%zz",
            "a%",
            "a%4",
            "[v.x]",
            "[v1.]",
            "[vx.1]",
        ] {
            assert!(!host_value(bad.as_bytes()), "{bad:?}");
        }
        let h = head("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n");
        assert_eq!(refused(&h, &Fields::of(&h)).map(|r| r.0), Some(400));
        let h = head("GET / HTTP/1.1\r\nHost: a:80\r\n\r\n");
        assert_eq!(refused(&h, &Fields::of(&h)), None);
    }

    #[test]
    fn close_and_continue_are_read() {
        assert!(closes(&head("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n")));
        assert!(closes(&head("GET / HTTP/1.0\r\n\r\n")));
        let h = head("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
        assert!(Fields::of(&h).expects_continue(&h));
        assert_eq!(lines(&Fields::of(&h).forward(&h, &[b"expect"], None).unwrap()), ["Host: a"]);
    }

    /// A Host made of an address: an IPv6 one in brackets, without its zone (a link-local
    /// listener's `%2`), so it is a host the hops' own check takes.
    #[test]
    fn an_address_as_a_host() {
        use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
        assert_eq!(authority("127.0.0.1:8080".parse().unwrap()), "127.0.0.1:8080");
        let zoned = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 8080, 0, 2));
        assert_eq!(zoned.to_string(), "[fe80::1%2]:8080");
        assert_eq!(authority(zoned), "[fe80::1]:8080");
        assert!(host_value(authority(zoned).as_bytes()));
        assert_eq!(host_added(Some(b"[fe80::1]:8080")), (20, 1));
        assert_eq!(host_added(None), (0, 0));
    }

    /// The one-pass reading beside the long way, on heads that reach each of its branches:
    /// names of every length it tells apart, in any case, a `Connection` with and without
    /// tokens, HTTP/1.0 and 1.1, an `Expect` with and without a body.
    #[test]
    fn fields_in_one_pass_agree_with_the_long_way() {
        let heads = [
            "POST /ack HTTP/1.1\r\nHost: a\r\nContent-Type: x\r\nUser-Agent: y\r\nContent-Length: 1\r\n\r\nx",
            "GET / HTTP/1.1\r\nhOsT: a\r\nHOST: b\r\nTe: trailers\r\n\r\n",
            "GET / HTTP/1.0\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n",
            "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: x-a , CLOSE\r\nX-A: 1\r\nUpgrade: h2c\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nKeep-Alive: 5\r\nProxy-Connection: k\r\nExpect: 100-continue\r\n\r\n",
            "PUT / HTTP/1.1\r\nHost: a\r\nEXPECT: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
            "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continuation\r\nContent-Length: 1\r\n\r\nx",
            "GET / HTTP/1.1\r\nHostname: a\r\nExpected: 100-continue\r\nConnections: close\r\nUpgrades: x\r\n\r\n",
        ];
        for plain in heads {
            let h = head(plain);
            let f = Fields::of(&h);
            let hosts = h.headers().iter().filter(|l| name(l).eq_ignore_ascii_case(b"host")).count();
            let tokens = connection_tokens(h.headers());
            let close = tokens.clone().any(|t| t.eq_ignore_ascii_case(b"close"))
                || (h.version() == Version::HTTP_10 && !tokens.clone().any(|t| t.eq_ignore_ascii_case(b"keep-alive")));
            let expect = h.framing().has_body()
                && h.headers()
                    .iter()
                    .any(|l| name(l).eq_ignore_ascii_case(b"expect") && value(l).eq_ignore_ascii_case(b"100-continue"));
            assert_eq!((f.hosts, f.closes(&h), f.expects_continue(&h)), (hosts, close, expect), "{plain:?}");
            for extra in [&[][..], &[&b"expect"[..]][..]] {
                for host in [None, Some(&b"127.0.0.1:8080"[..])] {
                    let general = forward_general(&h, extra, host).unwrap();
                    assert_eq!(f.forward(&h, extra, host).unwrap(), general, "{plain:?}");
                    // A Host given comes first, the head's own lines after it.
                    let first = general.headers().iter().next();
                    assert_eq!(host.is_some(), first == Some(&b"Host: 127.0.0.1:8080"[..]), "{plain:?}");
                }
            }
        }
    }

    fn response(plain: &str, method: &[u8]) -> Response {
        let mut src = BytesMut::from(plain);
        let mut parser = http1::ResponseParser::new();
        parser.expect(method);
        parser.decode_eof(&mut src).unwrap().unwrap()
    }

    #[test]
    fn a_repeated_response_head_is_forwarded_as_the_first_was() {
        let mut responses = Responses::default();
        let a = "HTTP/1.1 200 OK\r\nServer: n\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nOK\n";
        let b = "HTTP/1.1 200 OK\r\nServer: n\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nOKOK\n";
        let (first, closes) = responses.forward(response(a, b"GET"));
        assert!(!closes);
        assert_eq!(lines(first.head()), ["Server: n"]);
        let (second, _) = responses.forward(response(b, b"GET"));
        assert_eq!((second.head().framing(), &second.body()[..]), (Framing::Length(5), &b"OKOK\n"[..]));
        assert_eq!(second.head().with_framing(Framing::None), first.head().with_framing(Framing::None));
        // Another head is worked out afresh: its Connection line, and its close.
        let c = "HTTP/1.1 200 OK\r\nServer: n\r\nConnection: close, X-A\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n";
        let (third, closes) = responses.forward(response(c, b"GET"));
        assert!(closes);
        assert_eq!(lines(third.head()), ["Server: n"]);
        // A body to the end of the connection: framed by its length; the upstream said
        // nothing of what it did with the requests behind it.
        let (fourth, closes) = responses.forward(response("HTTP/1.1 200 OK\r\nServer: n\r\n\r\nto the end", b"GET"));
        assert!(!closes);
        assert_eq!(fourth.head().framing(), Framing::Length(10));
    }

    #[test]
    fn answers_are_whole_responses() {
        let r = with_close(answer(502, "Bad Gateway", false));
        let mut out = Vec::new();
        r.write_http1(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 16\r\n\r\n502 Bad Gateway\n"
        );
    }
}
