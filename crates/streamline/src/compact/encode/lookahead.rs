//! The encoder over a stream of events, with a window of requests in view.

use std::collections::VecDeque;

use super::Encoder;
use crate::error::Error;
use crate::message::{Head, Request};
use crate::read::Event;

/// What [`Lookahead::emit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emitted {
    /// A request's opcode lines, this many bytes (the issuing line included).
    Head(usize),
    /// Body bytes, this many.
    Data(usize),
    /// A request finished.
    End,
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
/// ```
/// use bytes::BytesMut;
/// use streamline::{http1::Parser, Lookahead, Window, Encoder};
///
/// let mut src = BytesMut::from(&b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"[..]);
/// let mut parser = Parser::new();
/// let mut enc = Lookahead::new(Encoder::new(), Window::default());
/// let mut out = Vec::new();
/// while let Some(event) = parser.next_event_eof(&mut src).unwrap() {
///     enc.push(event);
///     while enc.emit(&mut out).unwrap().is_some() {}
/// }
/// enc.finish();
/// while enc.emit(&mut out).unwrap().is_some() {}
/// // The base is chosen for the targets in view, assuming the last one repeats.
/// assert_eq!(out, b"V:HTTP/1.1\r\nB:/\r\nM:GET\r\n-:a\r\nB:/b\r\n-:\r\n");
/// ```
#[derive(Debug)]
pub struct Lookahead {
    encoder: Encoder,
    window: Window,
    /// Heads, oldest first; those before `written` are out and dropped in batches, so the
    /// ones waiting always form one slice to plan with.
    heads: Vec<Head>,
    written: usize,
    /// Everything not written yet, in order.
    items: VecDeque<Item>,
    held: usize,
    finished: bool,
    /// Heads queued before the last [`Lookahead::flush`] and not written yet: they go out
    /// whatever the window.
    forced: usize,
    /// The refusal of a request, once one was refused: nothing of it or after it is written.
    failed: Option<Error>,
}

#[derive(Debug)]
enum Item {
    Head,
    Data(bytes::Bytes),
    End,
}

impl Lookahead {
    /// Wraps an encoder.
    pub fn new(encoder: Encoder, window: Window) -> Self {
        Lookahead {
            encoder,
            window,
            heads: Vec::new(),
            written: 0,
            items: VecDeque::new(),
            held: 0,
            finished: false,
            forced: 0,
            failed: None,
        }
    }

    /// Queues one event of the plain stream. After a refusal (see [`Lookahead::emit`]) events
    /// are dropped: nothing after a refused request is ever written.
    pub fn push(&mut self, event: Event) {
        if self.failed.is_some() {
            return;
        }
        match event {
            Event::Head(head) => {
                self.held += head.byte_len();
                self.heads.push(head);
                self.items.push_back(Item::Head);
            }
            Event::Data(data) => {
                self.held += data.len();
                self.items.push_back(Item::Data(data));
            }
            Event::End => self.items.push_back(Item::End),
        }
    }

    /// Queues a whole request: its head, body and end.
    pub fn push_request(&mut self, request: Request) {
        let (head, body) = request.into_parts();
        self.push(Event::Head(head));
        if !body.is_empty() {
            self.push(Event::Data(body));
        }
        self.push(Event::End);
    }

    /// Says no more events will come: the rest can be written, planned with full knowledge.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Lets everything queued now be written by the next calls to [`Lookahead::emit`],
    /// whatever the window, planned with what is in view; the connection goes on. For a live
    /// feed whose input has gone quiet: no request waits for a later one.
    pub fn flush(&mut self) {
        self.forced = self.heads.len() - self.written;
    }

    /// Writes the oldest queued item if the window is over its size (or after
    /// [`Lookahead::finish`]); `Ok(None)` when there is nothing to write now.
    ///
    /// # Errors
    ///
    /// A request the encoder cannot express (see [`Encoder::encode_head`]). The refusal is
    /// final: nothing of the refused request (its body, its end) and nothing queued after it
    /// is ever written, and every later call returns the same error. What was written before
    /// it is exactly the encoding of the requests before it.
    pub fn emit(&mut self, dst: &mut Vec<u8>) -> Result<Option<Emitted>, Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        // Only heads wait for the window: the body and end of a request whose head is out
        // follow at once.
        let waiting = matches!(self.items.front(), Some(Item::Head));
        let over =
            self.forced > 0 || self.heads.len() - self.written > self.window.requests || self.held > self.window.bytes;
        if waiting && !(over || self.finished) {
            return Ok(None);
        }
        let Some(item) = self.items.pop_front() else { return Ok(None) };
        Ok(Some(match item {
            Item::Head => {
                let Some((head, ahead)) = self.heads[self.written..].split_first() else { return Ok(None) };
                let start = dst.len();
                if let Err(err) = self.encoder.encode_head(head, ahead, self.finished, dst) {
                    self.failed = Some(err.clone());
                    self.items.clear();
                    self.heads.clear();
                    self.written = 0;
                    self.held = 0;
                    self.forced = 0;
                    return Err(err);
                }
                self.held -= head.byte_len();
                self.written += 1;
                self.forced = self.forced.saturating_sub(1);
                if self.written >= 64 && self.written * 2 >= self.heads.len() {
                    self.heads.drain(..self.written);
                    self.written = 0;
                }
                Emitted::Head(dst.len() - start)
            }
            Item::Data(data) => {
                self.held -= data.len();
                dst.extend_from_slice(&data);
                Emitted::Data(data.len())
            }
            Item::End => Emitted::End,
        }))
    }
}
