//! What a chunked body carries, apart from its framing: the chunk data (the payload) and the
//! trailer fields. The walk is the readers' own body scanner, stopped at each part it takes.

use std::ops::Range;

use crate::error::Error;
use crate::wire::body::{BodyScanner, Parts, Scan};
use crate::wire::line::count_lf;
use crate::{Framing, Limits};

/// One part of a chunked body, as [`ChunkedBody::next`] takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedPart<'s> {
    /// Chunk data: payload bytes, a whole chunk's or a part of one.
    Data(&'s [u8]),
    /// One trailer field line, checked, without its CRLF (`Name: value`).
    Trailer(&'s [u8]),
    /// The empty line that ends the body was taken.
    End,
}

/// Walks a chunked body (RFC 9112 §7.1) fed piece by piece, and hands out its chunk data and
/// its trailer lines, taking the framing (chunk-size lines with their extensions, the CRLF
/// after each chunk's data) silently. Sans-IO, in bounded memory.
///
/// The readers hand a chunked body over verbatim ([`Event::Data`](crate::Event::Data), the
/// body of a [`Request`](crate::Request)): this tells a caller how many of those bytes are
/// payload, which HTTP/2 or AMQP would carry, and which trailer fields HTTP/2 would send in a
/// second HEADERS frame. It checks what it walks as the readers do, with the same
/// [`Limits`] (`max_line` for each line, `max_headers` for the trailer lines), so it accepts
/// every body they hand over.
///
/// # Examples
///
/// ```
/// use streamline::{ChunkedBody, ChunkedPart};
///
/// let body = b"5;part=1\r\nhello\r\n6\r\n world\r\n0\r\nDigest: x\r\n\r\n";
/// let mut walker = ChunkedBody::new();
/// let (mut src, mut payload, mut trailers) = (&body[..], 0, Vec::new());
/// loop {
///     let (used, part) = walker.next(src).unwrap();
///     match part {
///         Some(ChunkedPart::Data(data)) => payload += data.len(),
///         Some(ChunkedPart::Trailer(line)) => trailers.push(line.to_vec()),
///         Some(ChunkedPart::End) | None => break,
///     }
///     src = &src[used..];
/// }
/// assert_eq!((payload, trailers), (11, vec![b"Digest: x".to_vec()]));
/// assert!(walker.is_done());
/// ```
#[derive(Debug, Clone)]
pub struct ChunkedBody {
    scanner: BodyScanner,
    /// Bytes of the body consumed.
    offset: u64,
    /// Line of the next byte, 1-based.
    line: u64,
    failed: Option<Error>,
}

impl Default for ChunkedBody {
    fn default() -> Self {
        ChunkedBody::new()
    }
}

impl ChunkedBody {
    /// A walker at the start of a chunked body, with the default [`Limits`].
    pub fn new() -> ChunkedBody {
        ChunkedBody::with_limits(Limits::default())
    }

    /// A walker at the start of a chunked body, checking lines against `limits` as a reader
    /// with these limits does. Give it the limits of the reader the body came from.
    pub fn with_limits(limits: Limits) -> ChunkedBody {
        ChunkedBody { scanner: BodyScanner::new(Framing::Chunked, &limits), offset: 0, line: 1, failed: None }
    }

    /// Takes the next part from the front of `src`, and the framing before it. Returns the
    /// bytes consumed and the part; `None`: no whole part at the front (feed more), or the
    /// body has ended.
    ///
    /// Only whole lines are consumed; chunk data is handed out as far as it goes. Pass what is
    /// not consumed, with more bytes after it, to the next call. The pieces of
    /// [`Event::Data`](crate::Event::Data) never end inside a line, so each is consumed whole.
    ///
    /// # Errors
    ///
    /// The [`ErrorKind`](crate::ErrorKind) of a bad chunk-size line, chunk data without its
    /// CRLF, a bad trailer line, too many of them, or a line over the limit. Its position
    /// counts from the first byte of the body (line 1); after an error every call returns it
    /// again.
    pub fn next<'s>(&mut self, src: &'s [u8]) -> Result<(usize, Option<ChunkedPart<'s>>), Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.scanner.is_done() {
            return Ok((0, None));
        }
        let mut first = First(None);
        let (used, part) = match self.scanner.walk(src, usize::MAX, &mut first) {
            Ok(Scan::More(n)) => (n, first.0.map(|part| part.of(src))),
            Ok(Scan::Done(n)) => (n, Some(ChunkedPart::End)),
            Err((kind, at)) => {
                let err = Error::new(kind, self.offset + at as u64, self.line + count_lf(&src[..at]));
                self.failed = Some(err.clone());
                return Err(err);
            }
        };
        self.offset += used as u64;
        self.line += count_lf(&src[..used]);
        Ok((used, part))
    }

    /// Whether the whole body has been taken, up to the empty line that ends it.
    pub fn is_done(&self) -> bool {
        self.scanner.is_done()
    }

    /// Bytes of the body consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// A part found by a walk, as a range of the buffer walked.
#[derive(Debug, Clone)]
enum Span {
    Data(Range<usize>),
    Trailer(Range<usize>),
}

impl Span {
    fn of(self, src: &[u8]) -> ChunkedPart<'_> {
        match self {
            Span::Data(range) => ChunkedPart::Data(&src[range]),
            Span::Trailer(range) => ChunkedPart::Trailer(&src[range]),
        }
    }
}

/// Stops a walk at the first part.
struct First(Option<Span>);

impl Parts for First {
    fn data(&mut self, range: Range<usize>) -> bool {
        self.0 = Some(Span::Data(range));
        true
    }

    fn trailer(&mut self, range: Range<usize>) -> bool {
        self.0 = Some(Span::Trailer(range));
        true
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::{http1, ErrorKind, Event};

    /// What a walk found: payload bytes, trailer lines, and whether the body ended.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Found {
        payload: u64,
        trailers: Vec<Vec<u8>>,
        done: bool,
    }

    /// Walks `pieces` one after another, keeping what a piece leaves unconsumed for the next.
    fn walk<'a>(walker: &mut ChunkedBody, pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<Found, Error> {
        let mut found = Found::default();
        let mut held = Vec::new();
        for piece in pieces {
            held.extend_from_slice(piece);
            let mut used = 0;
            loop {
                let (n, part) = walker.next(&held[used..])?;
                used += n;
                match part {
                    Some(ChunkedPart::Data(data)) => found.payload += data.len() as u64,
                    Some(ChunkedPart::Trailer(line)) => found.trailers.push(line.to_vec()),
                    Some(ChunkedPart::End) => {}
                    None => break,
                }
            }
            held.drain(..used);
        }
        found.done = walker.is_done();
        Ok(found)
    }

    const BODY: &[u8] =
        b"5;part=first\r\nhe\r\nl\r\n1\r\no\r\nA\r\n0123456789\r\n0\r\nDigest: sha-256=:x:\r\nX-B: 2\r\n\r\n";

    fn expected() -> Found {
        Found { payload: 16, trailers: vec![b"Digest: sha-256=:x:".to_vec(), b"X-B: 2".to_vec()], done: true }
    }

    #[test]
    fn payload_and_trailers_at_every_split() {
        for a in 0..=BODY.len() {
            for b in a..=BODY.len() {
                let found = walk(&mut ChunkedBody::new(), [&BODY[..a], &BODY[a..b], &BODY[b..]]);
                assert_eq!(found, Ok(expected()), "split at {a} and {b}");
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let mut walker = ChunkedBody::new();
        let found = walk(&mut walker, BODY.chunks(1)).unwrap();
        assert_eq!(found, expected());
        assert_eq!(walker.offset(), BODY.len() as u64);
        let found = walk(&mut ChunkedBody::new(), b"3\r\nabc\r\n0\r\n\r\n".chunks(1)).unwrap();
        assert_eq!(found, Found { payload: 3, trailers: vec![], done: true });
    }

    #[test]
    fn nothing_after_the_end_is_taken() {
        let mut walker = ChunkedBody::new();
        assert_eq!(walker.next(b"0\r\n\r\nGET"), Ok((5, Some(ChunkedPart::End))));
        assert_eq!(walker.next(b"GET"), Ok((0, None)));
        assert!(walker.is_done());
    }

    #[test]
    fn errors_count_from_the_body_and_stay() {
        let mut walker = ChunkedBody::new();
        assert_eq!(walker.next(b"2\r\nhi\r\n"), Ok((5, Some(ChunkedPart::Data(b"hi")))));
        let err = walker.next(b"\r\nzz\r\n").unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidChunkSize(_)), "{err}");
        assert_eq!((err.offset(), err.line()), (Some(7), Some(3)));
        assert_eq!(walker.next(b"\r\nzz\r\n"), Err(err), "the same error again");
        let mut walker = ChunkedBody::with_limits(Limits::default().max_headers(1));
        let src = b"0\r\nA: 1\r\nB: 2\r\n\r\n";
        let (n, part) = walker.next(src).unwrap();
        assert_eq!(part, Some(ChunkedPart::Trailer(b"A: 1")));
        let err = walker.next(&src[n..]).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (&ErrorKind::TooManyTrailers { limit: 1 }, Some(9)));
        let err = ChunkedBody::with_limits(Limits::default().max_line(8)).next(b"1;long=extension\r\n").unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::LineTooLong { limit: 8 });
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<ChunkedBody>();
        is::<ChunkedPart<'_>>();
    }

    /// The reader's body pieces, however the input splits: each is consumed whole, and the
    /// walk finds what the whole body holds.
    #[test]
    fn walks_the_readers_pieces_whole() {
        let mut input = b"PUT /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        input.extend_from_slice(BODY);
        input.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        for split in 0..=input.len() {
            let mut parser = http1::Parser::new();
            let mut src = BytesMut::new();
            let mut walker = ChunkedBody::new();
            let mut found = Found::default();
            for piece in [&input[..split], &input[split..]] {
                src.extend_from_slice(piece);
                while let Some(event) = parser.next_event(&mut src).unwrap() {
                    let Event::Data(data) = event else { continue };
                    let mut used = 0;
                    loop {
                        let (n, part) = walker.next(&data[used..]).unwrap();
                        used += n;
                        let Some(part) = part else { break };
                        match part {
                            ChunkedPart::Data(data) => found.payload += data.len() as u64,
                            ChunkedPart::Trailer(line) => found.trailers.push(line.to_vec()),
                            ChunkedPart::End => {}
                        }
                    }
                    assert_eq!(used, data.len(), "split {split}: a piece ends inside a line");
                }
            }
            found.done = walker.is_done();
            assert_eq!(found, expected(), "split {split}");
        }
    }
}
