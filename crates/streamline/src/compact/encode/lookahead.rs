//! The encoder over a stream of events, with a window of requests in view.

use std::collections::VecDeque;

use bytes::BufMut;

use super::Encoder;
use crate::error::{Error, ErrorKind};
use crate::message::{Framing, Head, Message};
use crate::read::Event;

/// One item [`Lookahead::emit`] wrote, with the sequence number of its request: the
/// 0-based index of the request's head among the heads pushed, so output can be matched
/// to input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emitted {
    /// A request's opcode lines, `bytes` of them (the issuing line included).
    Head {
        /// The request's sequence number.
        seq: u64,
        /// Bytes written.
        bytes: usize,
    },
    /// Body bytes, `bytes` of them (a body event's bytes, or as many of them as `dst` had
    /// room for).
    Data {
        /// The request's sequence number.
        seq: u64,
        /// Bytes written.
        bytes: usize,
    },
    /// A request's end (nothing written).
    End {
        /// The request's sequence number.
        seq: u64,
    },
}

impl Emitted {
    /// The sequence number of the request the item belongs to.
    pub fn seq(&self) -> u64 {
        match *self {
            Emitted::Head { seq, .. } | Emitted::Data { seq, .. } | Emitted::End { seq } => seq,
        }
    }

    /// Bytes written for the item.
    pub fn bytes(&self) -> usize {
        match *self {
            Emitted::Head { bytes, .. } | Emitted::Data { bytes, .. } => bytes,
            Emitted::End { .. } => 0,
        }
    }
}

/// What one draining call ([`Lookahead::encode`], [`Lookahead::finish`], ...) wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Bytes written.
    pub bytes: usize,
    /// Request heads written: the requests started.
    pub heads: usize,
    /// Requests written whole: their last byte is out (with the head for a request without
    /// a body, the last body byte for `Content-Length`, the end for a chunked body). Their
    /// sequence numbers follow on from those before: [`Lookahead::written`] counts them all.
    pub requests: usize,
    /// Of `bytes`, those up to the end of the last request written whole in this call (0 if
    /// none was): the output up to there holds whole requests only.
    pub whole: usize,
    /// The call stopped because `dst` had no room for the next item (a head, or a body
    /// byte): call [`Lookahead::drain`] once it has.
    pub full: bool,
}

/// The size of the window a [`Lookahead`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests held back to look at before the oldest is written. 0: none (lowest latency).
    pub requests: usize,
    /// Bytes held back at most (bodies, and heads counted as their method, target and header
    /// lines); past this the oldest items are written.
    pub bytes: usize,
}

impl Default for Window {
    /// 1,024 requests or 1 MiB.
    fn default() -> Self {
        Window { requests: 1024, bytes: 1 << 20 }
    }
}

/// An [`Encoder`] over a stream of [`Event`]s, holding back a window of requests so each is
/// planned knowing what follows (which registers will pay off, which base fits the next
/// targets). Memory is bounded by the [`Window`]; bodies of any size pass through.
///
/// [`Lookahead::encode`] queues an event and writes everything the window lets out;
/// [`Lookahead::finish`] writes the rest at the end of the stream, [`Lookahead::flush`] at a
/// pause in a live one. Each returns what it wrote ([`Drained`]). For control item by item,
/// [`Lookahead::push`] queues and [`Lookahead::emit`] writes one item.
///
/// Output goes to any [`BufMut`]. With a bounded one (a fixed buffer), a head is written only
/// whole and body bytes as far as there is room: when the next item cannot go, a draining call
/// stops with [`Drained::full`] and `emit` returns `Unencodable(`[`Encoder::NO_ROOM`]`)`. What
/// did not fit stays queued; [`Lookahead::drain`] goes on once there is room.
///
/// ```
/// use bytes::BytesMut;
/// use streamline::{http1, Encoder, Lookahead, Window};
///
/// let mut src = BytesMut::from(&b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"[..]);
/// let mut parser = http1::Parser::new();
/// // Without header editing (the format's first version), bases are chosen for the targets in
/// // view; with it, each request takes its whole target and a changed one costs a `U:` edit.
/// let mut enc = Lookahead::new(Encoder::new().editing(false), Window::default());
/// let mut out = BytesMut::new();
/// while let Some(event) = parser.next_event_eof(&mut src).unwrap() {
///     enc.encode(event, &mut out).unwrap();
/// }
/// let rest = enc.finish(&mut out).unwrap();
/// assert_eq!((rest.heads, rest.requests, enc.written()), (2, 2, 2));
/// // The base is chosen for the targets in view, assuming the last one repeats.
/// assert_eq!(out, &b"V:HTTP/1.1\r\nB:/\r\nM:GET\r\n-:a\r\nB:/b\r\n-:\r\n"[..]);
/// ```
#[derive(Debug)]
pub struct Lookahead {
    encoder: Encoder,
    window: Window,
    /// Heads, oldest first; those before `written` are out and dropped in batches, so the
    /// ones waiting always form one slice to plan with.
    heads: Vec<Head>,
    written: usize,
    /// Bytes of the heads before `written`, still held until the batch is dropped.
    written_bytes: usize,
    /// Everything not written yet, in order.
    items: VecDeque<Item>,
    held: usize,
    finished: bool,
    /// Heads queued before the last [`Lookahead::flush`] and not written yet: they go out
    /// whatever the window.
    forced: usize,
    /// The refusal of a request, once one was refused: nothing of it or after it is written.
    failed: Option<Error>,
    /// Heads and ends pushed.
    pushed: u64,
    ended: u64,
    /// Heads written: the sequence number of the next one.
    started: u64,
    /// Requests written whole.
    done: u64,
    /// How far the request written last is from being whole.
    body: Body,
}

/// Where the request whose head was written last stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Counted whole (or none written yet).
    Whole,
    /// This many `Content-Length` body bytes to go.
    Left(u64),
    /// Whole at its end: a chunked body.
    Chunked,
}

#[derive(Debug)]
enum Item {
    Head,
    Data(bytes::Bytes),
    End,
}

/// Bytes of written heads a [`Lookahead`] may hold before it drops them (as much as the
/// default window holds: a feed of small heads still drops them in batches of a window).
const DROP_BYTES: usize = 1 << 20;

impl Lookahead {
    /// Wraps an encoder.
    pub fn new(encoder: Encoder, window: Window) -> Self {
        Lookahead {
            encoder,
            window,
            heads: Vec::new(),
            written: 0,
            written_bytes: 0,
            items: VecDeque::new(),
            held: 0,
            finished: false,
            forced: 0,
            failed: None,
            pushed: 0,
            ended: 0,
            started: 0,
            done: 0,
            body: Body::Whole,
        }
    }

    /// Queues one event of the plain stream, writing nothing (see [`Lookahead::encode`]).
    ///
    /// # Errors
    ///
    /// The event is not queued after a refusal (that refusal again: see
    /// [`Lookahead::emit`]), nor after [`Lookahead::finish`]
    /// (`Unencodable("event pushed after Lookahead::finish")`, which changes nothing else).
    #[inline]
    pub fn push(&mut self, event: Event) -> Result<(), Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.finished {
            return Err(Error::from_kind(ErrorKind::Unencodable("event pushed after Lookahead::finish")));
        }
        match event {
            Event::Head(head) => {
                self.held += head.byte_len();
                self.heads.push(head);
                self.items.push_back(Item::Head);
                self.pushed += 1;
            }
            Event::Data(data) => {
                self.held += data.len();
                self.items.push_back(Item::Data(data));
            }
            Event::End => {
                self.items.push_back(Item::End);
                self.ended += 1;
            }
        }
        Ok(())
    }

    /// Queues a whole message (a [`Request`](crate::Request); a [`Response`](crate::Response)
    /// for an encoder of responses): its head, body and end. Errors as [`Lookahead::push`].
    pub fn push_request<M: Message>(&mut self, message: M) -> Result<(), Error> {
        let (head, body) = message.into_parts();
        self.push(Event::Head(head))?;
        if !body.is_empty() {
            self.push(Event::Data(body))?;
        }
        self.push(Event::End)
    }

    /// Queues one event and writes everything the window lets out.
    ///
    /// # Errors
    ///
    /// As [`Lookahead::push`] and [`Lookahead::emit`]. On a refusal, what this call wrote
    /// before it is whole requests, those before the refused one: [`Lookahead::written`] is
    /// the refused request's sequence number.
    pub fn encode(&mut self, event: Event, dst: &mut impl BufMut) -> Result<Drained, Error> {
        self.push(event)?;
        self.drain(dst)
    }

    /// Queues a whole request and writes everything the window lets out. Errors as
    /// [`Lookahead::encode`].
    pub fn encode_request<M: Message>(&mut self, message: M, dst: &mut impl BufMut) -> Result<Drained, Error> {
        self.push_request(message)?;
        self.drain(dst)
    }

    /// Says no more events will come, and writes the rest, planned with full knowledge. A
    /// request whose end was never pushed (the input stopped inside it) is not started:
    /// nothing of it is written, unless its head was out already. Later pushes are refused.
    /// Errors as [`Lookahead::encode`].
    pub fn finish(&mut self, dst: &mut impl BufMut) -> Result<Drained, Error> {
        self.finished = true;
        self.drain(dst)
    }

    /// Writes everything queued now, whatever the window, planned with what is in view; the
    /// connection goes on. For a live feed whose input has gone quiet: no request waits for
    /// a later one. Errors as [`Lookahead::encode`].
    pub fn flush(&mut self, dst: &mut impl BufMut) -> Result<Drained, Error> {
        self.forced = self.heads.len() - self.written;
        self.drain(dst)
    }

    /// Writes everything the window lets out now (after [`Lookahead::push`], or once `dst`
    /// has room again after [`Drained::full`]). Errors as [`Lookahead::encode`].
    pub fn drain(&mut self, dst: &mut impl BufMut) -> Result<Drained, Error> {
        let mut drained = Drained::default();
        loop {
            match self.next(dst)? {
                Next::Wrote(emitted, whole) => {
                    drained.bytes += emitted.bytes();
                    drained.heads += usize::from(matches!(emitted, Emitted::Head { .. }));
                    if whole {
                        drained.requests += 1;
                        drained.whole = drained.bytes;
                    }
                }
                Next::Wait => return Ok(drained),
                Next::Full => {
                    drained.full = true;
                    return Ok(drained);
                }
            }
        }
    }

    /// Requests written whole so far (see [`Drained::requests`]): after a refusal, the
    /// sequence number of the refused request.
    pub fn written(&self) -> u64 {
        self.done
    }

    /// The refusal, once a request was refused: every later call returns it.
    pub fn refusal(&self) -> Option<&Error> {
        self.failed.as_ref()
    }

    /// Writes the oldest queued item if the window is over its size (or after
    /// [`Lookahead::finish`] or [`Lookahead::flush`]); `Ok(None)` when there is nothing to
    /// write now.
    ///
    /// # Errors
    ///
    /// A request the encoder cannot express (see [`Encoder::encode_head`]). The refusal is
    /// final: nothing of the refused request (its body, its end) and nothing queued after it
    /// is ever written, every later call returns the same error, and pushes are refused with
    /// it. What was written before it is exactly the encoding of the requests before it.
    ///
    /// `Unencodable(`[`Encoder::NO_ROOM`]`)` if `dst` has no room for the item (a head must
    /// fit whole; of a body, as many bytes as fit are written): not a refusal; nothing was
    /// written and the item stays queued.
    pub fn emit(&mut self, dst: &mut impl BufMut) -> Result<Option<Emitted>, Error> {
        match self.next(dst)? {
            Next::Wrote(emitted, _) => Ok(Some(emitted)),
            Next::Wait => Ok(None),
            Next::Full => Err(Error::from_kind(ErrorKind::Unencodable(Encoder::NO_ROOM))),
        }
    }

    /// Writes the next item if it may go; says whether it made its request whole.
    #[inline(always)]
    fn next(&mut self, dst: &mut impl BufMut) -> Result<Next, Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let Some(item) = self.items.front_mut() else { return Ok(Next::Wait) };
        // Only heads wait for the window: the body and end of a request whose head is out
        // follow at once.
        let mut done = true;
        let next = match item {
            Item::Head => {
                let over = self.forced > 0
                    || self.heads.len() - self.written > self.window.requests
                    || self.held > self.window.bytes;
                // At the finish, a request whose end never came is not started.
                let cut = self.finished && self.started + 1 == self.pushed && self.ended < self.pushed;
                if !(over || self.finished) || cut {
                    return Ok(Next::Wait);
                }
                let Some((head, ahead)) = self.heads[self.written..].split_first() else { return Ok(Next::Wait) };
                let room = dst.remaining_mut();
                match self.encoder.try_encode_head(head, ahead, self.finished, 0, dst) {
                    Ok(Some(_)) => {}
                    Ok(None) => return Ok(Next::Full),
                    Err(kind) => {
                        // Requests are numbered from 1 in errors, as lines are.
                        let err = Error::for_request(kind, self.started + 1);
                        self.failed = Some(err.clone());
                        self.items.clear();
                        self.heads.clear();
                        self.written = 0;
                        self.written_bytes = 0;
                        self.held = 0;
                        self.forced = 0;
                        return Err(err);
                    }
                }
                let seq = self.started;
                self.started += 1;
                self.body = match head.framing() {
                    Framing::None | Framing::Length(0) | Framing::Announced(_) | Framing::AnnouncedChunked => {
                        Body::Whole
                    }
                    Framing::Length(n) => Body::Left(n),
                    // Both end where their events say so.
                    Framing::Chunked | Framing::Close => Body::Chunked,
                };
                let whole = self.body == Body::Whole;
                self.held -= head.byte_len();
                self.written += 1;
                self.written_bytes += head.byte_len();
                self.forced = self.forced.saturating_sub(1);
                // Heads written go in batches (moving the waiting ones down once per batch),
                // or as soon as they hold more than `DROP_BYTES`: a batch of large heads
                // would otherwise keep 64 of them alive (64 heads of a megabyte each, with
                // the window at 0), far past what the window bounds.
                if (self.written >= 64 && self.written * 2 >= self.heads.len()) || self.written_bytes > DROP_BYTES {
                    self.heads.drain(..self.written);
                    self.written = 0;
                    self.written_bytes = 0;
                }
                (Emitted::Head { seq, bytes: room - dst.remaining_mut() }, whole)
            }
            Item::Data(data) => {
                // Body bytes go out as far as there is room; the rest stays first in line.
                let bytes = data.len().min(dst.remaining_mut());
                if bytes == 0 && !data.is_empty() {
                    return Ok(Next::Full);
                }
                dst.put_slice(&data[..bytes]);
                if bytes < data.len() {
                    bytes::Buf::advance(data, bytes);
                    done = false;
                }
                self.held -= bytes;
                let whole = match self.body {
                    Body::Left(left) if left <= bytes as u64 => true,
                    Body::Left(left) => {
                        self.body = Body::Left(left - bytes as u64);
                        false
                    }
                    Body::Whole | Body::Chunked => false,
                };
                (Emitted::Data { seq: self.seq(), bytes }, whole)
            }
            // A request not counted whole yet is at its end (a chunked body, or a body
            // shorter than its length).
            Item::End => (Emitted::End { seq: self.seq() }, self.body != Body::Whole),
        };
        if done {
            self.items.pop_front();
        }
        if next.1 {
            self.done += 1;
            self.body = Body::Whole;
        }
        Ok(Next::Wrote(next.0, next.1))
    }

    /// The sequence number of the request whose head was written last.
    fn seq(&self) -> u64 {
        self.started.saturating_sub(1)
    }
}

/// What [`Lookahead::next`] did.
enum Next {
    /// Wrote an item; did it make its request whole?
    Wrote(Emitted, bool),
    /// Nothing may go now.
    Wait,
    /// `dst` has no room for the next item.
    Full,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::message::{Headers, Version};

    /// A head of `lines` header lines of 30,000 bytes, unlike any other's (`n` in their names).
    fn big_head(n: usize, lines: usize) -> Head {
        let mut headers = Headers::new();
        for i in 0..lines {
            headers.push(format!("X-{n}-{i}: {}", "v".repeat(30_000)).as_bytes()).unwrap();
        }
        Head::new("GET".into(), format!("/{n}").into(), Version::HTTP_11, headers, Framing::None).unwrap()
    }

    /// A written head is dropped once the written ones hold more than `DROP_BYTES`, not kept
    /// until 64 of them are written: 64 large heads would be far more memory than the window
    /// bounds (SECURITY.md, "Peak memory of each command"). Small heads still go in batches.
    #[test]
    fn written_large_heads_are_not_kept() {
        let window = Window { requests: 0, bytes: 0 };
        let encoder = Encoder::with_limits(crate::Limits::default().max_state_bytes(16 << 20));
        let mut lookahead = Lookahead::new(encoder, window);
        let mut out = Vec::new();
        // Each a little over half of `DROP_BYTES`: two written make a batch to drop.
        let kept: Vec<Head> = (0..4).map(|n| big_head(n, 20)).collect();
        assert!(kept[0].byte_len() > DROP_BYTES / 2);
        for head in &kept {
            lookahead.encode(Event::Head(head.clone()), &mut out).unwrap();
            lookahead.encode(Event::End, &mut out).unwrap();
        }
        // The encoder keeps the last head it wrote; the first two are nobody's but ours.
        for head in &kept[..2] {
            assert_eq!(Arc::strong_count(&head.parts), 1, "a written large head is still held");
        }
        let small: Vec<Head> = (4..14).map(|n| big_head(n, 0)).collect();
        for head in &small {
            lookahead.encode(Event::Head(head.clone()), &mut out).unwrap();
            lookahead.encode(Event::End, &mut out).unwrap();
        }
        assert!(Arc::strong_count(&small[0].parts) > 1, "small heads go in batches");
    }
}
