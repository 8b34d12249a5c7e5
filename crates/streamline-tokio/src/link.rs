//! Opening a link: the negotiation of SPEC.md §14 on a connection, leaving a
//! [`Framed`] whose codec speaks what was agreed.
//!
//! - [`accept`] (server): tells the syntax from the first bytes (prior knowledge); a plain
//!   first request that offers `shttp/3`, with nothing after it, is answered with the 101 and
//!   the link goes compact; otherwise it stays plain. The first request is the first item
//!   the codec gives either way.
//! - [`connect`] (client): compact from the first byte ([`Offer::PriorKnowledge`]), plain
//!   ([`Offer::Plain`]), or a first request that offers the upgrade ([`Offer::Upgrade`]),
//!   after which the codec speaks what the server answered; the answer to that request is the
//!   first response the codec gives.

use bytes::BytesMut;
use std::pin::Pin;
use std::task::{Context, Poll};
use streamline::{http1, upgrade, Event, Limits, Request, Response, Syntax as Detected, SyntaxDetector};

use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder, Framed, FramedParts};

use crate::codec::{self, ClientCodec, Hold, ServerCodec, Syntax};
use crate::Error;

/// An open link: a connection framed with the codec the negotiation chose, as a [`Stream`] of
/// what it reads and a [`Sink`] of what it writes. A message read during the negotiation
/// (the request that carried an offer to upgrade) comes out first.
#[derive(Debug)]
pub struct Link<S, C: Decoder> {
    framed: Framed<S, C>,
    first: Option<C::Item>,
    /// An interim answer written by the reading side waits to be flushed.
    flushing: bool,
}

impl<S, C: Decoder> Link<S, C> {
    /// The codec (to see which [`Syntax`] it speaks).
    pub fn codec(&self) -> &C {
        self.framed.codec()
    }

    /// The connection.
    pub fn get_ref(&self) -> &S {
        self.framed.get_ref()
    }

    /// The connection, to change it (not to read or write it: the codec's buffers would
    /// miss those bytes).
    pub fn get_mut(&mut self) -> &mut S {
        self.framed.get_mut()
    }

    /// The framed connection, and the message read during the negotiation, if it has not
    /// come out yet.
    pub fn into_parts(self) -> (Framed<S, C>, Option<C::Item>) {
        (self.framed, self.first)
    }

    /// Reads into a buffer of at least `capacity` bytes from now on (a link starts with
    /// 8 KiB): one that carries a fast feed reads more messages per call with more.
    pub fn reserve_read(&mut self, capacity: usize) {
        let buffer = self.framed.read_buffer_mut();
        if buffer.capacity() < capacity {
            *buffer = roomy(buffer, capacity);
        }
    }

    /// The codec, to change it (for a window of held messages:
    /// [`ServerCodec::set_window`], [`ClientCodec::set_window`]).
    pub fn codec_mut(&mut self) -> &mut C {
        self.framed.codec_mut()
    }

    /// Moves what the codec holds back into the write buffer.
    fn release<E: From<Error>>(&mut self) -> Result<(), E>
    where
        C: Hold,
    {
        let mut buffer = std::mem::take(self.framed.write_buffer_mut());
        let released = self.framed.codec_mut().release(&mut buffer);
        *self.framed.write_buffer_mut() = buffer;
        released.map_err(E::from)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, C: Decoder + Unpin> Link<S, C>
where
    C::Item: Unpin,
{
    /// The message read during the negotiation, else the next one read.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<C::Item, C::Error>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        Pin::new(&mut self.framed).poll_next(cx)
    }
}

/// A server's link: a [`Stream`] of the requests it reads.
impl<S: AsyncRead + AsyncWrite + Unpin> Stream for Link<S, ServerCodec> {
    type Item = Result<Request, Error>;

    /// Reads the next request. Whenever all there was has been read, an interim answer the
    /// codec owes (a plain server's `100 Continue`, [`Hold::interim`]) is written and
    /// flushed: the client waits for it before it sends the rest of its request.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.poll_read(cx);
        if polled.is_pending() {
            let mut buffer = std::mem::take(self.framed.write_buffer_mut());
            let wrote = self.framed.codec_mut().interim(&mut buffer);
            *self.framed.write_buffer_mut() = buffer;
            if wrote || self.flushing {
                // Its error, if any, is the writing side's to see.
                let flushed = Sink::<Response>::poll_flush(Pin::new(&mut self.framed), cx);
                self.flushing = flushed.is_pending();
            }
        }
        polled
    }
}

/// A client's link: a [`Stream`] of the responses it reads.
impl<S: AsyncRead + AsyncWrite + Unpin> Stream for Link<S, ClientCodec> {
    type Item = Result<Response, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_read(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, C: Decoder + Encoder<I> + Hold + Unpin, I> Sink<I> for Link<S, C>
where
    C::Item: Unpin,
    <C as Encoder<I>>::Error: From<Error>,
{
    type Error = <C as Encoder<I>>::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.framed).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: I) -> Result<(), Self::Error> {
        Pin::new(&mut self.framed).start_send(item)
    }

    /// Releases what the codec holds back (a window of compact messages) into the write
    /// buffer, then flushes it: a message never waits for a later one past a flush.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.release()?;
        Pin::new(&mut self.framed).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.release()?;
        Pin::new(&mut self.framed).poll_close(cx)
    }
}

/// What a server does with an offer to upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrades {
    /// Switch to the compact syntax when a first request offers it (SPEC.md §14.2).
    Accept,
    /// Stay in plain HTTP/1.1 (the offer is answered in plain, as a server that does not know
    /// the protocol would).
    Refuse,
}

/// Serves one connection: negotiates (SPEC.md §14.2, §14.3) and returns it framed with a
/// codec that reads requests and writes responses in the syntax agreed.
///
/// # Errors
///
/// The connection's; [`streamline::ErrorKind::UnknownSyntax`] for a start that is neither
/// syntax, and [`streamline::ErrorKind::LineTooLong`] for one longer than `max_line` that
/// does not tell (a first word that never ends), both answered 400 as a plain server answers
/// what it cannot read (`Connection: close`, the sending side closed: there is no link for
/// the caller to answer on); the plain reader's error for a broken first request, which has
/// been answered the same way ([`Error::status`]: 400, or 413 for a body over the limit)
/// when the upgrade may be accepted (with [`Upgrades::Refuse`] the first request comes out
/// of the link, as every later one does); [`Error::Closed`] if the client closes before its
/// first request is whole. A plain first request that offers no upgrade is not waited for
/// past its head: if its body has not all come, `accept` returns and the link reads the
/// request from its start, as it reads every later one.
pub async fn accept<S>(mut io: S, limits: Limits, upgrades: Upgrades) -> Result<Link<S, ServerCodec>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut detector = SyntaxDetector::new();
    let detected = loop {
        // A start in neither syntax is answered as a plain server answers what it cannot
        // read (400): the peer may be an HTTP/1.1 client that sent a byte no request has.
        match detector.detect(&buf) {
            Ok(Some(syntax)) => break syntax,
            Ok(None) => {}
            Err(err) => return Err(refuse(&mut io, err.into()).await),
        }
        // The verdict comes within the first line: a start longer than a line with none (a
        // method that never ends) is refused, not buffered without end.
        if buf.len() > limits.get_max_line() {
            let limit = limits.get_max_line();
            let err = streamline::Error::from_kind(streamline::ErrorKind::LineTooLong { limit });
            return Err(refuse(&mut io, err.into()).await);
        }
        if io.read_buf(&mut buf).await? == 0 {
            // A connection closed before its first line says nothing: serve it as plain,
            // which reads nothing.
            if buf.is_empty() {
                break Detected::Plain;
            }
            return Err(Error::Closed("the first request"));
        }
    };
    let compact = detected.is_compact();
    if detected.is_responses() {
        return Err(streamline::Error::from_kind(streamline::ErrorKind::WrongDirection(
            "a server reads requests, and the connection starts with a response",
        ))
        .into());
    }
    if compact || upgrades == Upgrades::Refuse {
        let syntax = if compact { Syntax::Compact } else { Syntax::Plain };
        return Ok(link::<_, _, Response>(io, ServerCodec::new(syntax, limits), buf, None));
    }
    // A plain first request is read to see whether it offers the upgrade, and decided on by
    // its head: one whose body has not all come and that offers no upgrade (nearly every
    // plain client's upload) is left whole to the link's plain codec, which reads its body at
    // the pace of every later one, not within the time a caller gives the negotiation (a
    // large upload would not fit it). The reader takes its bytes from a copy, `unread`, so
    // that `buf` still holds them all for that codec (each byte is copied once, and the
    // reader scans each once, however the head is split). An offer is read whole, to see
    // whether bytes follow it; one that waits for a `100 Continue` before its body gets it
    // (nothing is owed before it).
    let mut parser = http1::Parser::with_limits(limits);
    let mut unread = buf.clone();
    let mut continued = false;
    let first = loop {
        match parser.decode(&mut unread) {
            Ok(Some(request)) => break request,
            Ok(None) => {}
            Err(err) => return Err(refuse(&mut io, err.into()).await),
        }
        if let Some(head) = parser.pending_head() {
            if !upgrade::requested(head) {
                return Ok(link::<_, _, Response>(io, plain_server(limits, false), buf, None));
            }
            if !continued && head.expects_continue() {
                io.write_all(codec::CONTINUE).await?;
                continued = true;
            }
        }
        let read = io.read_buf(&mut buf).await?;
        if read == 0 {
            let first = parser.decode_eof(&mut unread)?;
            return Ok(link::<_, _, Response>(io, plain_server(limits, first.is_some()), unread, first));
        }
        unread.extend_from_slice(&buf[buf.len() - read..]);
    };
    let buf = unread;
    // Bytes after the request: a client that pipelined plain requests (it must not after an
    // offer), so the link stays plain and reads them as such; or one that did not wait for
    // the 101 and speaks compact already, which its bytes tell (SPEC.md §14.2 rule 2: no
    // plain request starts with an opcode and a colon). Left plain, it would wait for a
    // plain head's end that never comes.
    let compact_after = matches!(Detected::detect(&buf), Ok(Some(Detected::Compact)));
    if upgrade::requested(first.head()) && (buf.is_empty() || compact_after) {
        io.write_all(upgrade::SWITCHING_PROTOCOLS).await?;
        return Ok(link::<_, _, Response>(io, ServerCodec::new(Syntax::Compact, limits), buf, Some(first)));
    }
    Ok(link::<_, _, Response>(io, plain_server(limits, true), buf, Some(first)))
}

/// Answers a plain first request that could not be read as a server does (the status
/// [`Error::status`] gives, `Connection: close`), ends the connection's sending side, and
/// gives the error back: the caller, which gets no link, could not answer it.
async fn refuse<S: AsyncWrite + Unpin>(io: &mut S, err: Error) -> Error {
    if let Some((status, reason)) = err.status() {
        let body = format!("{status} {reason}\n");
        let answer = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        // The client may be gone already: the error to give back is the request's.
        if io.write_all(answer.as_bytes()).await.is_ok() {
            let _ = io.shutdown().await;
        }
    }
    err
}

/// A plain server's codec, told whether a first request read before it is given out ahead
/// of what it reads.
fn plain_server(limits: Limits, first: bool) -> ServerCodec {
    let mut codec = ServerCodec::new(Syntax::Plain, limits);
    if first {
        codec.given();
    }
    codec
}

/// How a client opens a link.
#[derive(Debug)]
pub enum Offer {
    /// Compact from the first byte: the server is known to speak it (SPEC.md §14.3).
    PriorKnowledge,
    /// Plain HTTP/1.1, no offer.
    Plain,
    /// Send this request first, offering the upgrade (SPEC.md §14.2): the link speaks what the
    /// server answers, and the answer to this request is the first response read.
    Upgrade(Request),
}

/// Opens a link on a connection to a server (SPEC.md §14): returns it framed with a codec
/// that writes requests and reads responses in the syntax agreed.
///
/// # Errors
///
/// The connection's; [`streamline::ErrorKind::Handshake`] for a 101 that does not switch to
/// this protocol; the response reader's for a broken answer; [`Error::Closed`] if the server
/// closes before its answer is whole.
pub async fn connect<S>(mut io: S, limits: Limits, offer: Offer) -> Result<Link<S, ClientCodec>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let first = match offer {
        Offer::PriorKnowledge => {
            return Ok(link::<_, _, Request>(io, ClientCodec::new(Syntax::Compact, limits), BytesMut::new(), None))
        }
        Offer::Plain => {
            return Ok(link::<_, _, Request>(io, ClientCodec::new(Syntax::Plain, limits), BytesMut::new(), None))
        }
        Offer::Upgrade(first) => first,
    };
    let head = upgrade::offer(first.head())?;
    let mut wire = BytesMut::with_capacity(head.headers().as_block().len() + first.body().len() + 64);
    head.write_http1(&mut wire);
    wire.extend_from_slice(first.body());
    io.write_all(&wire).await?;
    // The answer's head decides: a 101, and compact from the next byte on; anything else is
    // the plain answer, which the codec reads (told the request's method) from `buf`, kept
    // whole. The parser reads a copy, `probe`, which grows by what each read adds (one parser
    // for the whole head: it looks at each byte once, however the head arrives).
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut probe = BytesMut::new();
    let mut parser = http1::ResponseParser::with_limits(limits);
    parser.expect(head.method());
    loop {
        if let Some(Event::Head(answer)) = parser.next_event(&mut probe)? {
            if upgrade::accepted(&answer)? {
                // (The reader stops after a 101: `probe` holds what follows it.)
                return Ok(link::<_, _, Request>(io, ClientCodec::new(Syntax::Compact, limits), probe, None));
            }
            let mut codec = ClientCodec::new(Syntax::Plain, limits);
            codec.expect(head.method());
            return Ok(link::<_, _, Request>(io, codec, buf, None));
        }
        let n = io.read_buf(&mut buf).await?;
        if n == 0 {
            return Err(Error::Closed("the upgrade"));
        }
        probe.extend_from_slice(&buf[buf.len() - n..]);
    }
}

/// Room a link's read buffer starts with (as `Framed::new` gives its own); a link that carries
/// a fast feed reads more per call with more ([`Link::reserve_read`]).
const READ_BUFFER: usize = 8 * 1024;

/// The bytes of `buf` in a new buffer made with room for `capacity`. Framed reads into what
/// room its buffer has; once the messages split off it are still held, a new buffer is made as
/// large as the one first *made* (grown later or not), so a buffer handed over empty, or as a
/// tight copy, would make the link read a message or two per call.
fn roomy(buf: &[u8], capacity: usize) -> BytesMut {
    let mut roomy = BytesMut::with_capacity(capacity.max(buf.len()));
    roomy.extend_from_slice(buf);
    roomy
}

/// `io` framed with `codec`, with `buf` (bytes read past what the negotiation consumed) to
/// be decoded before anything else is read, and `first` to come out before them.
fn link<S, C: Decoder + Encoder<I>, I>(io: S, codec: C, buf: BytesMut, first: Option<C::Item>) -> Link<S, C>
where
    S: AsyncRead + AsyncWrite,
{
    // (From parts, a buffer that holds bytes is decoded before the connection is read.)
    let mut parts = FramedParts::new::<I>(io, codec);
    parts.read_buf = roomy(&buf, READ_BUFFER);
    Link { framed: Framed::from_parts(parts), first, flushing: false }
}
