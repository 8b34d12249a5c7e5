//! Writing the canonical plain form (SPEC.md §6) with a memory of the head written last, so a
//! feed's repeated head costs one copy.

use std::sync::Arc;

use bytes::BufMut;

use crate::message::{Head, Parts};

/// Writes heads in canonical plain form, byte for byte as [`Head::write_http1`] does,
/// keeping the rendering of a head's request-line (or status-line) and header lines once the
/// same parts come four times in a row: a feed repeats its head (one
/// object, shared by its messages, only the framing changing) thousands of times and then
/// writes it with one copy, while heads written a few times (a browsing session's) are
/// written straight, never rendered twice, and not held (a borrowed read rebuilds its head
/// in place only if nobody else holds it).
///
/// The rendering is used only for the very parts it was made from, which the writer holds
/// (a clone of the head's shared parts): while it does, nothing can change them and no
/// other head's parts can take their place.
///
/// One per output stream: the tokio crate's plain writers, `streamline decode` and the
/// gateway's plain ends keep one. [`Head::write_http1`] and the messages' `write_http1` are the
/// stateless form.
///
/// ```
/// use bytes::BytesMut;
/// use streamline::{http1, Decoder};
///
/// let mut src = BytesMut::from(&b"V:HTTP/1.1\r\nB:/q\r\nM:POST\r\nH:Host: a\r\n+: 2\r\nhi+: 3\r\nabc"[..]);
/// let (mut decoder, mut writer) = (Decoder::new(), http1::Writer::new());
/// let mut out = Vec::new();
/// while let Some(req) = decoder.decode_eof(&mut src)? {
///     writer.write(req.head(), req.body(), &mut out);
/// }
/// let plain = "POST /q HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi\
///              POST /q HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
/// assert_eq!(out, plain.as_bytes());
/// # Ok::<(), streamline::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Writer {
    /// How the parts written last looked: a hint that they may come again, never trusted
    /// for their bytes.
    seen: Look,
    /// Writes in a row of parts that looked like `seen`, less one (at most
    /// [`SEEN_BEFORE_RENDERING`]).
    again: u8,
    /// The parts `rendered` was made from, held: while they are, no other parts can take
    /// their address, and nothing changes them (parts are changed in place only by a reader
    /// that holds them alone).
    held: Option<Arc<Parts>>,
    /// The request-line (or status-line) and header lines of `held`, each with CRLF.
    rendered: Vec<u8>,
}

impl Writer {
    /// A writer that has written nothing yet.
    pub fn new() -> Self {
        Writer::default()
    }

    /// Writes the canonical plain head: request-line (or status-line), header lines, the
    /// framing field last, and the empty line.
    pub fn write_head(&mut self, head: &Head, dst: &mut impl BufMut) {
        let parts = &head.parts;
        match &self.held {
            Some(held) if Arc::ptr_eq(held, parts) => dst.put_slice(&self.rendered),
            _ => {
                self.held = None;
                let look = Look::of(parts);
                self.again = if look == self.seen { (self.again + 1).min(SEEN_BEFORE_RENDERING) } else { 0 };
                if self.again == SEEN_BEFORE_RENDERING {
                    self.rendered.clear();
                    self.rendered.reserve(parts.rendered_len());
                    parts.render(&mut self.rendered);
                    self.held = Some(parts.clone());
                    dst.put_slice(&self.rendered);
                } else {
                    self.seen = look;
                    parts.render(dst);
                }
            }
        }
        head.write_framing(dst);
    }

    /// Writes a whole message's canonical plain form: [`Writer::write_head`], then the body
    /// (a message's, or a body piece of an [`Event`](crate::Event) stream).
    pub fn write(&mut self, head: &Head, body: &[u8], dst: &mut impl BufMut) {
        self.write_head(head, dst);
        dst.put_slice(body);
    }
}

/// Writes in a row of the same parts before the next is rendered and they are held: a
/// browsing session asks for a resource two or three times in a row (a style sheet, a
/// script), and holding its head would make a borrowed read build new parts for the next
/// request instead of rebuilding these in place; a feed repeats its head thousands of times.
const SEEN_BEFORE_RENDERING: u8 = 3;

/// How a head's parts look, at a glance: their address, lengths, and the last bytes of
/// their target. The same parts written again look the same; so may other parts (a head a
/// borrowed read rebuilt in place keeps its address), which costs a rendering, never the
/// output's correctness. Looking at more than the address keeps a borrowed read of heads
/// that all differ (whose parts are rebuilt in place, not held) from rendering each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Look {
    at: usize,
    lens: [usize; 3],
    tail: u64,
}

impl Look {
    #[inline]
    fn of(parts: &Arc<Parts>) -> Look {
        let target = &parts.target[..];
        let tail = target[target.len().saturating_sub(8)..].iter().fold(0, |w, &b| (w << 8) | u64::from(b));
        Look {
            at: Arc::as_ptr(parts) as usize,
            lens: [parts.method.len(), target.len(), parts.headers.as_block().len()],
            tail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Framing, Headers, Version};

    /// The rendering is made on the fourth write of the same parts in a row and held; other
    /// parts drop it.
    #[test]
    fn renders_parts_written_twice() {
        let mut headers = Headers::new();
        headers.push(b"Host: a").unwrap();
        let head = Head::new("GET".into(), "/".into(), Version::HTTP_11, headers, Framing::None).unwrap();
        let (mut writer, mut out) = (Writer::new(), Vec::new());
        let framings = [Framing::None, Framing::Length(0), Framing::None, Framing::Length(7), Framing::None];
        for (i, &framing) in framings.iter().enumerate() {
            assert_eq!(writer.held.is_some(), i > 3, "write {i}");
            writer.write_head(&head.with_framing(framing), &mut out);
        }
        assert!(writer.held.as_ref().is_some_and(|held| Arc::ptr_eq(held, &head.parts)));
        let mut expected = Vec::new();
        for framing in framings {
            head.with_framing(framing).write_http1(&mut expected);
        }
        assert_eq!(out, expected);
        let other = Head::new("GET".into(), "/b".into(), Version::HTTP_11, Headers::new(), Framing::None).unwrap();
        writer.write_head(&other, &mut out);
        assert!(writer.held.is_none());
    }
}
