//! `tokio_util::codec` implementations: the building blocks (a decoder over any
//! [`Reader`], an event decoder, the compact and plain writers) and the two ends of a
//! link (a server's codec reads requests and writes responses, a client's the reverse), each
//! in either syntax.

use bytes::{BufMut, BytesMut};
use streamline::{
    http1, Decoder, Direction, Event, Grammar, Limits, Lookahead, Message, Reader, Request, Response, ResponseDecoder,
    Window,
};
use tokio_util::codec;

use crate::Error;

/// A [`codec::Decoder`] over any reader: whole messages (requests or responses, compact or
/// plain, as the grammar says), bodies held up to [`Limits::max_body`].
#[derive(Debug)]
pub struct Messages<G: Grammar> {
    reader: Reader<G>,
}

impl<G: Grammar> Messages<G> {
    /// Decodes with `reader`.
    pub fn new(reader: Reader<G>) -> Self {
        Messages { reader }
    }

    /// The reader.
    pub fn reader(&mut self) -> &mut Reader<G> {
        &mut self.reader
    }
}

impl<G: Grammar> codec::Decoder for Messages<G> {
    type Item = <G::Direction as Direction>::Message;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
        Ok(self.reader.decode(src)?)
    }

    /// At the end of the connection: a close-delimited response ends here; anything else left
    /// over is a truncated message ([`streamline::ErrorKind::UnexpectedEof`]).
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
        Ok(self.reader.decode_eof(src)?)
    }
}

/// A [`codec::Decoder`] of [`Event`]s: heads, body pieces as they arrive, ends. For bodies of
/// any size in bounded memory.
#[derive(Debug)]
pub struct Events<G: Grammar> {
    reader: Reader<G>,
}

impl<G: Grammar> Events<G> {
    /// Decodes with `reader`.
    pub fn new(reader: Reader<G>) -> Self {
        Events { reader }
    }
}

impl<G: Grammar> codec::Decoder for Events<G> {
    type Item = Event;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        Ok(self.reader.next_event(src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        Ok(self.reader.next_event_eof(src)?)
    }
}

/// A [`codec::Encoder`] of the compact syntax, writing straight into the sink's buffer. Each
/// message is planned and written as it is given (no window), so none waits for a later one.
#[derive(Debug, Clone)]
pub struct CompactWriter {
    encoder: streamline::Encoder,
}

impl CompactWriter {
    /// Writes with `encoder` (made with [`streamline::Encoder::responses`] for responses).
    pub fn new(encoder: streamline::Encoder) -> Self {
        CompactWriter { encoder }
    }
}

impl<M: Message> codec::Encoder<M> for CompactWriter {
    type Error = Error;

    fn encode(&mut self, message: M, dst: &mut BytesMut) -> Result<(), Error> {
        write_compact(&mut self.encoder, &message, dst)
    }
}

/// Writes one message compact, with room reserved first (a `BytesMut` grows, but the encoder
/// asks for the room its plan needs before it writes).
fn write_compact(encoder: &mut streamline::Encoder, message: &impl Message, dst: &mut BytesMut) -> Result<(), Error> {
    dst.reserve(message.body().len() + 64);
    Ok(encoder.encode(message, dst)?)
}

/// A link's compact writer: each message written as it comes, or held in a window of
/// messages so each is planned knowing the next ones ([`Lookahead`]), released at the latest
/// when the sink is flushed ([`Hold::release`]).
// The direct encoder is the common case and stays inline; a window is boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum CompactOut {
    Direct(streamline::Encoder),
    Window(Box<Lookahead>),
}

impl CompactOut {
    fn new(encoder: streamline::Encoder, window: usize) -> Self {
        match window {
            0 => CompactOut::Direct(encoder),
            n => CompactOut::Window(Box::new(Lookahead::new(encoder, Window { requests: n, ..Window::default() }))),
        }
    }

    fn write<M: Message>(&mut self, message: M, dst: &mut BytesMut) -> Result<(), Error> {
        match self {
            CompactOut::Direct(encoder) => write_compact(encoder, &message, dst),
            CompactOut::Window(lookahead) => {
                lookahead.encode_request(message, dst)?;
                Ok(())
            }
        }
    }

    fn release(&mut self, dst: &mut BytesMut) -> Result<(), Error> {
        if let CompactOut::Window(lookahead) = self {
            lookahead.flush(dst)?;
        }
        Ok(())
    }
}

/// A codec that may hold messages back (a compact writer with a window): the [`Link`] it
/// frames releases them into the write buffer whenever it is flushed, so no message waits
/// for a later one once the writer flushes.
///
/// [`Link`]: crate::link::Link
pub trait Hold {
    /// Writes every message held back into `dst`.
    ///
    /// # Errors
    ///
    /// The encoder's refusal of a held message.
    fn release(&mut self, dst: &mut BytesMut) -> Result<(), Error>;

    /// Writes into `dst` an interim answer owed now, if there is one: a plain server's `100
    /// Continue` to a request that waits for it before sending its body (RFC 9110 §10.1.1).
    /// A server's [`Link`](crate::link::Link) asks whenever it has read all there was.
    fn interim(&mut self, _dst: &mut BytesMut) -> bool {
        false
    }
}

/// The `100 Continue` a plain server's codec owes (RFC 9110 §10.1.1): a request whose head
/// came with `Expect: 100-continue` and whose body has not, from an HTTP/1.1 client, is
/// answered with one as soon as every request before it has its final answer (an interim
/// answer goes with the request being answered, so it never overtakes an earlier one).
#[derive(Debug, Default)]
struct Expectations {
    /// Requests given out whose final answer has not been written yet.
    outstanding: usize,
    /// The head being gathered has been looked at (a request gets one 100 at most).
    seen: bool,
    /// A 100 is owed, for when `outstanding` is 0.
    owed: bool,
}

pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

impl Expectations {
    /// After a plain `decode` returned `request`, with `parser` as it is now.
    fn read(&mut self, request: Option<&Request>, parser: &http1::Parser) {
        if request.is_some() {
            self.outstanding += 1;
            (self.seen, self.owed) = (false, false);
        } else if !self.seen {
            if let Some(head) = parser.pending_head() {
                self.seen = true;
                self.owed = head.expects_continue();
            }
        }
    }

    /// Writes the 100 owed into `dst`, if nothing before it waits.
    fn answer(&mut self, dst: &mut BytesMut) -> bool {
        if self.owed && self.outstanding == 0 {
            dst.extend_from_slice(CONTINUE);
            self.owed = false;
            return true;
        }
        false
    }
}

/// A [`codec::Encoder`] of plain HTTP/1.1, in canonical form, straight into the sink's buffer
/// (through an [`http1::Writer`], so a repeated head is written with one copy).
#[derive(Debug, Clone, Default)]
pub struct PlainWriter {
    writer: http1::Writer,
}

impl PlainWriter {
    /// A writer that has written nothing yet.
    pub fn new() -> Self {
        PlainWriter::default()
    }
}

impl<M: Message> codec::Encoder<M> for PlainWriter {
    type Error = Error;

    fn encode(&mut self, message: M, dst: &mut BytesMut) -> Result<(), Error> {
        self.writer.write(message.head(), message.body(), dst);
        Ok(())
    }
}

/// A [`codec::Encoder`] of [`Event`]s in the compact syntax: heads planned as they come, body
/// pieces written through as they arrive, so a body of any size passes in bounded memory
/// (the streaming counterpart of [`CompactWriter`]).
#[derive(Debug)]
pub struct CompactEventWriter {
    lookahead: Lookahead,
}

impl CompactEventWriter {
    /// Writes with `encoder` (made with [`streamline::Encoder::responses`] for responses),
    /// holding nothing back.
    pub fn new(encoder: streamline::Encoder) -> Self {
        CompactEventWriter { lookahead: Lookahead::new(encoder, Window { requests: 0, ..Window::default() }) }
    }
}

impl codec::Encoder<Event> for CompactEventWriter {
    type Error = Error;

    fn encode(&mut self, event: Event, dst: &mut BytesMut) -> Result<(), Error> {
        if let Event::Data(data) = &event {
            dst.reserve(data.len());
        }
        self.lookahead.encode(event, dst)?;
        Ok(())
    }
}

/// A [`codec::Encoder`] of [`Event`]s in plain HTTP/1.1: a head in canonical form, body
/// pieces verbatim (the streaming counterpart of [`PlainWriter`]).
#[derive(Debug, Clone, Default)]
pub struct PlainEventWriter {
    writer: http1::Writer,
}

impl PlainEventWriter {
    /// A writer that has written nothing yet.
    pub fn new() -> Self {
        PlainEventWriter::default()
    }
}

impl codec::Encoder<Event> for PlainEventWriter {
    type Error = Error;

    /// A head in canonical form, body pieces verbatim, nothing for the end.
    fn encode(&mut self, event: Event, dst: &mut BytesMut) -> Result<(), Error> {
        match event {
            Event::Head(head) => self.writer.write_head(&head, dst),
            Event::Data(data) => dst.put_slice(&data),
            Event::End => {}
        }
        Ok(())
    }
}

/// Which syntax a link speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// The compact syntax, both ways.
    Compact,
    /// Plain HTTP/1.1, both ways.
    Plain,
}

/// The server's end of a link: reads requests, writes responses, in the syntax negotiated
/// ([`crate::link::accept`]) or chosen.
#[derive(Debug)]
pub struct ServerCodec {
    side: ServerSide,
}

// One per connection, made once and never moved in a loop: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum ServerSide {
    Compact { decoder: Decoder, encoder: CompactOut },
    Plain { parser: http1::Parser, writer: PlainWriter, expect: Expectations },
}

impl ServerCodec {
    /// A server's codec for `syntax`, with `limits` on what it reads and writes.
    pub fn new(syntax: Syntax, limits: Limits) -> Self {
        let side = match syntax {
            Syntax::Compact => ServerSide::Compact {
                decoder: Decoder::with_limits(limits),
                encoder: CompactOut::new(streamline::Encoder::with_limits(limits).responses(), 0),
            },
            Syntax::Plain => ServerSide::Plain {
                parser: http1::Parser::with_limits(limits),
                writer: PlainWriter::new(),
                expect: Expectations::default(),
            },
        };
        ServerCodec { side }
    }

    /// The syntax it speaks.
    pub fn syntax(&self) -> Syntax {
        match self.side {
            ServerSide::Compact { .. } => Syntax::Compact,
            ServerSide::Plain { .. } => Syntax::Plain,
        }
    }

    /// Counts a request given out that this codec did not read (the first one, read while
    /// the link was negotiated): its answer comes before any 100 owed after it.
    pub(crate) fn given(&mut self) {
        if let ServerSide::Plain { expect, .. } = &mut self.side {
            expect.outstanding += 1;
        }
    }

    /// Writes compact responses with `encoder` (made with [`streamline::Encoder::responses`], with the options wanted: header
    /// editing, sensitive fields, effort, limits) in place of the default one. Set it before
    /// the first message: the encoder's state must be the one the peer's decoder has. Plain
    /// codecs have no encoder, and ignore it.
    pub fn set_encoder(&mut self, encoder: streamline::Encoder) {
        if let ServerSide::Compact { encoder: out, .. } = &mut self.side {
            *out = CompactOut::new(encoder, 0);
        }
    }

    /// Holds up to `messages` responses back so each is planned knowing the next (compact
    /// only; 0, the default, writes each as it comes). Held responses go out when the
    /// [`Link`](crate::link::Link) is flushed. Set it before the first response: a window
    /// set later starts from an encoder that knows nothing, and the decoder would not agree.
    pub fn set_window(&mut self, messages: usize) {
        if let ServerSide::Compact { encoder: out, .. } = &mut self.side {
            if let CompactOut::Direct(encoder) = out {
                *out = CompactOut::new(encoder.clone(), messages);
            }
        }
    }
}

impl codec::Decoder for ServerCodec {
    type Item = Request;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Request>, Error> {
        Ok(match &mut self.side {
            ServerSide::Compact { decoder, .. } => decoder.decode(src)?,
            ServerSide::Plain { parser, expect, .. } => {
                let request = parser.decode(src)?;
                expect.read(request.as_ref(), parser);
                request
            }
        })
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Request>, Error> {
        Ok(match &mut self.side {
            ServerSide::Compact { decoder, .. } => decoder.decode_eof(src)?,
            ServerSide::Plain { parser, expect, .. } => {
                let request = parser.decode_eof(src)?;
                expect.read(request.as_ref(), parser);
                request
            }
        })
    }
}

impl codec::Encoder<Response> for ServerCodec {
    type Error = Error;

    fn encode(&mut self, response: Response, dst: &mut BytesMut) -> Result<(), Error> {
        match &mut self.side {
            ServerSide::Compact { encoder, .. } => encoder.write(response, dst),
            ServerSide::Plain { writer, expect, .. } => {
                let last = response.status() >= 200;
                codec::Encoder::encode(writer, response, dst)?;
                // A final answer: the request after it may be owed its 100 now.
                if last {
                    expect.outstanding = expect.outstanding.saturating_sub(1);
                    expect.answer(dst);
                }
                Ok(())
            }
        }
    }
}

/// The client's end of a link: writes requests, reads their responses, in the syntax
/// negotiated ([`crate::link::connect`]) or chosen. In plain HTTP/1.1 it tells its response
/// reader the method of each request it writes, so responses to HEAD are read right.
#[derive(Debug)]
pub struct ClientCodec {
    side: ClientSide,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum ClientSide {
    Compact { encoder: CompactOut, decoder: ResponseDecoder },
    Plain { parser: http1::ResponseParser, writer: PlainWriter },
}

impl ClientCodec {
    /// A client's codec for `syntax`, with `limits` on what it reads and writes.
    pub fn new(syntax: Syntax, limits: Limits) -> Self {
        let side = match syntax {
            Syntax::Compact => ClientSide::Compact {
                encoder: CompactOut::new(streamline::Encoder::with_limits(limits), 0),
                decoder: ResponseDecoder::with_limits(limits),
            },
            Syntax::Plain => {
                ClientSide::Plain { parser: http1::ResponseParser::with_limits(limits), writer: PlainWriter::new() }
            }
        };
        ClientCodec { side }
    }

    /// The syntax it speaks.
    pub fn syntax(&self) -> Syntax {
        match self.side {
            ClientSide::Compact { .. } => Syntax::Compact,
            ClientSide::Plain { .. } => Syntax::Plain,
        }
    }

    /// Writes compact requests with `encoder` (of requests, with the options wanted: header
    /// editing, sensitive fields, effort, limits) in place of the default one. Set it before
    /// the first message: the encoder's state must be the one the peer's decoder has. Plain
    /// codecs have no encoder, and ignore it.
    pub fn set_encoder(&mut self, encoder: streamline::Encoder) {
        if let ClientSide::Compact { encoder: out, .. } = &mut self.side {
            *out = CompactOut::new(encoder, 0);
        }
    }

    /// Holds up to `messages` requests back so each is planned knowing the next (compact
    /// only; 0, the default, writes each as it comes). Held requests go out when the
    /// [`Link`](crate::link::Link) is flushed. Set it before the first request: a window
    /// set later starts from an encoder that knows nothing, and the decoder would not agree.
    pub fn set_window(&mut self, messages: usize) {
        if let ClientSide::Compact { encoder: out, .. } = &mut self.side {
            if let CompactOut::Direct(encoder) = out {
                *out = CompactOut::new(encoder.clone(), messages);
            }
        }
    }

    /// Tells a plain codec's response reader the method of a request sent before it took
    /// over (the one that offered an upgrade the server refused).
    pub(crate) fn expect(&mut self, method: &[u8]) {
        if let ClientSide::Plain { parser, .. } = &mut self.side {
            parser.expect(method);
        }
    }
}

impl codec::Encoder<Request> for ClientCodec {
    type Error = Error;

    fn encode(&mut self, request: Request, dst: &mut BytesMut) -> Result<(), Error> {
        match &mut self.side {
            ClientSide::Compact { encoder, .. } => encoder.write(request, dst),
            ClientSide::Plain { parser, writer } => {
                parser.expect(request.head().method());
                codec::Encoder::encode(writer, request, dst)
            }
        }
    }
}

impl codec::Decoder for ClientCodec {
    type Item = Response;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Response>, Error> {
        Ok(match &mut self.side {
            ClientSide::Compact { decoder, .. } => decoder.decode(src)?,
            ClientSide::Plain { parser, .. } => parser.decode(src)?,
        })
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Response>, Error> {
        Ok(match &mut self.side {
            ClientSide::Compact { decoder, .. } => decoder.decode_eof(src)?,
            ClientSide::Plain { parser, .. } => parser.decode_eof(src)?,
        })
    }
}

impl Hold for ServerCodec {
    fn release(&mut self, dst: &mut BytesMut) -> Result<(), Error> {
        match &mut self.side {
            ServerSide::Compact { encoder, .. } => encoder.release(dst),
            ServerSide::Plain { .. } => Ok(()),
        }
    }

    fn interim(&mut self, dst: &mut BytesMut) -> bool {
        match &mut self.side {
            ServerSide::Compact { .. } => false,
            ServerSide::Plain { expect, .. } => expect.answer(dst),
        }
    }
}

impl Hold for ClientCodec {
    fn release(&mut self, dst: &mut BytesMut) -> Result<(), Error> {
        match &mut self.side {
            ClientSide::Compact { encoder, .. } => encoder.release(dst),
            ClientSide::Plain { .. } => Ok(()),
        }
    }
}
