//! What a chunked body carries: its chunk data (the payload) and its trailer fields.
//!
//! The readers hand a chunked body over verbatim, already checked (RFC 9112 §7.1); `report`
//! needs the payload apart from the framing, since HTTP/2 and AMQP carry only the payload.

/// Walks a chunked body piece by piece.
#[derive(Debug, Default)]
pub struct Chunked {
    state: State,
    line: Vec<u8>,
    /// Chunk data bytes so far.
    pub payload: u64,
    /// Trailer field lines (without CRLF).
    pub trailers: Vec<Vec<u8>>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a chunk-size line.
    #[default]
    Size,
    /// In chunk data, this many bytes to go.
    Data(u64),
    /// In the CRLF after chunk data, this many bytes to go.
    DataEnd(u8),
    /// In the trailer section.
    Trailer,
    /// After the final CRLF.
    Done,
}

impl Chunked {
    /// A walker at the start of a body.
    pub fn new() -> Chunked {
        Chunked::default()
    }

    /// Walks the next piece of the body.
    pub fn walk(&mut self, mut piece: &[u8]) {
        while !piece.is_empty() {
            match self.state {
                State::Size | State::Trailer => {
                    let Some(lf) = memchr::memchr(b'\n', piece) else {
                        self.line.extend_from_slice(piece);
                        return;
                    };
                    self.line.extend_from_slice(&piece[..lf]);
                    piece = &piece[lf + 1..];
                    if self.line.last() == Some(&b'\r') {
                        self.line.pop();
                    }
                    self.end_line();
                }
                State::Data(left) => {
                    let n = left.min(piece.len() as u64);
                    self.payload += n;
                    piece = &piece[n as usize..];
                    self.state = if n == left { State::DataEnd(2) } else { State::Data(left - n) };
                }
                State::DataEnd(left) => {
                    let n = usize::from(left).min(piece.len());
                    piece = &piece[n..];
                    self.state = if n == usize::from(left) { State::Size } else { State::DataEnd(left - n as u8) };
                }
                State::Done => return,
            }
        }
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.state = match self.state {
            State::Size => {
                let size = line
                    .iter()
                    .map_while(|&b| (b as char).to_digit(16))
                    .fold(0u64, |n, d| n.saturating_mul(16).saturating_add(u64::from(d)));
                if size == 0 {
                    State::Trailer
                } else {
                    State::Data(size)
                }
            }
            State::Trailer if line.is_empty() => State::Done,
            State::Trailer => {
                self.trailers.push(line);
                State::Trailer
            }
            other => other,
        };
    }

    /// Whether the whole body has been walked.
    #[cfg(test)]
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        b"5;part=first\r\nhe\r\nl\r\n1\r\no\r\nA\r\n0123456789\r\n0\r\nDigest: sha-256=:x:\r\nX-B: 2\r\n\r\n";

    #[test]
    fn payload_and_trailers_at_every_split() {
        for split in 0..=BODY.len() {
            let mut walker = Chunked::new();
            walker.walk(&BODY[..split]);
            walker.walk(&BODY[split..]);
            assert!(walker.is_done(), "split {split}");
            assert_eq!(walker.payload, 16, "split {split}");
            assert_eq!(walker.trailers, [&b"Digest: sha-256=:x:"[..], b"X-B: 2"], "split {split}");
        }
    }

    #[test]
    fn byte_by_byte_without_trailers() {
        let mut walker = Chunked::new();
        for &b in b"3\r\nabc\r\n0\r\n\r\n" {
            assert!(!walker.is_done());
            walker.walk(&[b]);
        }
        assert!(walker.is_done());
        assert_eq!((walker.payload, walker.trailers.len()), (3, 0));
    }
}
