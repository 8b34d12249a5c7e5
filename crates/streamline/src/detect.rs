//! Telling the syntax and direction of a stream from its first bytes.
//!
//! ```text
//! compact requests:   OPCODE ":" ...   OPCODE = "V" / "B" / "M" / "H" / ">" / "<" / "-" / "+" / "*"
//! plain requests:     CRLF ...  /  method SP ...   (method = token, RFC 9110 §5.6.2)
//! compact responses:  "C:" ...
//! plain responses:    "HTTP/" ...
//! ```
//!
//! A token holds neither a colon nor a slash, so none overlap: `V:` is compact, `V ` a plain
//! request with a one-letter method, `HTTP/` a status-line, `HTTP ` a request-line.

use crate::error::{escape, Error, ErrorKind};
use crate::wire::chars::is_tchar;

/// The syntax and direction of a stream: requests or responses, plain or compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// Plain HTTP/1.1 requests, read by an [`http1::Parser`](crate::http1::Parser).
    Plain,
    /// Compact requests, read by a [`Decoder`](crate::Decoder).
    Compact,
    /// Plain HTTP/1.1 responses, read by an
    /// [`http1::ResponseParser`](crate::http1::ResponseParser).
    PlainResponses,
    /// Compact responses, read by a [`ResponseDecoder`](crate::ResponseDecoder).
    CompactResponses,
}

impl Syntax {
    /// Is this a compact syntax?
    pub fn is_compact(self) -> bool {
        matches!(self, Syntax::Compact | Syntax::CompactResponses)
    }

    /// Is this a response stream?
    pub fn is_responses(self) -> bool {
        matches!(self, Syntax::PlainResponses | Syntax::CompactResponses)
    }

    /// Tells the syntax from the first bytes of a stream: a compact request stream starts
    /// with an opcode (`V B M H > < - + *`) and a colon; a plain one with CRLF (the empty
    /// lines a reader skips) or a method token and a space; a compact response stream with
    /// `C:`, a plain one with `HTTP/` (SPEC.md §2.5, §13.1).
    ///
    /// `Ok(None)`: too few bytes to tell (feed more); an empty input is `Ok(None)` too. The
    /// verdict comes within the first line, and the time is linear in `start`. For an input
    /// that arrives in pieces, [`SyntaxDetector`] looks at each byte once. (SPEC.md §2.5.)
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownSyntax`] when the start is neither syntax, at the byte that rules
    /// out both (line 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use streamline::Syntax;
    ///
    /// assert_eq!(Syntax::detect(b"V:HTTP/1.1\r\n"), Ok(Some(Syntax::Compact)));
    /// assert_eq!(Syntax::detect(b"+: 66\r\n"), Ok(Some(Syntax::Compact)));
    /// assert_eq!(Syntax::detect(b"POST /receiver HTTP/1.1\r\n"), Ok(Some(Syntax::Plain)));
    /// assert_eq!(Syntax::detect(b"POS"), Ok(None), "feed more");
    /// assert_eq!(Syntax::detect(b"HTTP/1.1 200 OK\r\n"), Ok(Some(Syntax::PlainResponses)));
    /// assert_eq!(Syntax::detect(b"C:200 OK\r\n"), Ok(Some(Syntax::CompactResponses)));
    ///
    /// let err = Syntax::detect(b"X:1").unwrap_err();
    /// assert_eq!((err.offset(), err.line()), (Some(1), Some(1)));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "line 1 (byte 1): cannot tell the syntax from 'X:' (expected an opcode and ':', such as 'V:' or 'C:', \
    ///      a method and ' ', such as 'GET ', or 'HTTP/')"
    /// );
    /// ```
    pub fn detect(start: &[u8]) -> Result<Option<Syntax>, Error> {
        SyntaxDetector::new().detect(start)
    }
}

/// [`Syntax::detect`] for an input read in pieces: each call is given every byte read so far
/// and looks only at the bytes the calls before it have not, so telling the syntax of `n`
/// bytes costs `O(n)` however they arrive.
///
/// The verdict comes within the first line: a caller that bounds lines (as
/// [`Limits::max_line`](crate::Limits::max_line) does) can refuse an input once more bytes
/// than that are read with no verdict.
///
/// # Examples
///
/// ```
/// use streamline::{Syntax, SyntaxDetector};
///
/// let (mut input, mut verdicts) = (Vec::new(), Vec::new());
/// let mut detector = SyntaxDetector::new();
/// for piece in [&b"M-SE"[..], b"ARCH", b" * HTTP/1.1\r\n"] {
///     input.extend_from_slice(piece);
///     verdicts.push(detector.detect(&input).unwrap());
/// }
/// assert_eq!(verdicts, [None, None, Some(Syntax::Plain)]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SyntaxDetector {
    /// Bytes looked at by the calls so far, none of which decided.
    looked: usize,
}

impl SyntaxDetector {
    /// A detector that has seen nothing yet.
    pub fn new() -> SyntaxDetector {
        SyntaxDetector::default()
    }

    /// The verdict on `start`, which holds every byte of the input so far: those given to
    /// the calls before (unchanged) and those read since. Same answers as
    /// [`Syntax::detect`]`(start)`.
    ///
    /// Given bytes that do not begin with the earlier ones, the answer is unspecified (but
    /// there is no panic).
    pub fn detect(&mut self, start: &[u8]) -> Result<Option<Syntax>, Error> {
        // Past its first two bytes, a prefix left undecided is a run of token characters (a
        // method not ended yet): only the bytes after it need a look.
        let verdict = match self.looked {
            0 | 1 => first_line(start),
            looked => method_end(start, looked.min(start.len())),
        };
        if verdict == Ok(None) {
            self.looked = start.len();
        }
        verdict
    }
}

/// The opcodes of the compact syntax (SPEC.md §4).
const OPCODES: &[u8] = b"VBMH><-+*";

/// The verdict on the start of an input, looked at from its first byte.
fn first_line(start: &[u8]) -> Result<Option<Syntax>, Error> {
    let Some(&first) = start.first() else { return Ok(None) };
    if OPCODES.contains(&first) {
        match start.get(1) {
            None => return Ok(None),
            Some(b':') => return Ok(Some(Syntax::Compact)),
            // `>` and `<` cannot begin a method either.
            Some(_) if !is_tchar(first) => return Err(unknown(start, 1)),
            Some(_) => {}
        }
    }
    if first == b'C' && start.get(1) == Some(&b':') {
        return Ok(Some(Syntax::CompactResponses));
    }
    if first == b'\r' {
        return match start.get(1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some(Syntax::Plain)),
            Some(_) => Err(unknown(start, 1)),
        };
    }
    method_end(start, 0)
}

/// The verdict on `start` whose first `from` bytes are token characters: a method, if the
/// first byte after the run is the space that ends it.
fn method_end(start: &[u8], from: usize) -> Result<Option<Syntax>, Error> {
    let rest = start.get(from..).unwrap_or_default();
    let Some(end) = rest.iter().position(|&b| !is_tchar(b)) else { return Ok(None) };
    let offset = from + end;
    match rest[end] {
        b' ' if offset > 0 => Ok(Some(Syntax::Plain)),
        b'/' if &start[..offset] == b"HTTP" => Ok(Some(Syntax::PlainResponses)),
        _ => Err(unknown(start, offset)),
    }
}

/// The error for a start that is neither syntax, `offset` being the byte that rules out both
/// (on the first line: no LF comes before it).
fn unknown(start: &[u8], offset: usize) -> Error {
    let shown = start.get(..=offset).unwrap_or(start);
    Error::new(ErrorKind::UnknownSyntax(escape(shown)), offset as u64, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refused at `offset`, the start shown up to that byte.
    fn refused(offset: u64, shown: &str) -> Result<Option<Syntax>, Error> {
        Err(Error::new(ErrorKind::UnknownSyntax(shown.into()), offset, 1))
    }

    #[test]
    fn detects_syntax() {
        use Syntax::*;
        let detect = Syntax::detect;
        assert_eq!(detect(b"V:HTTP/1.1\r\n"), Ok(Some(Compact)));
        assert_eq!(detect(b"+: 66\r\n"), Ok(Some(Compact)));
        assert_eq!(detect(b"POST /receiver HTTP/1.1\r\n"), Ok(Some(Plain)));
        assert_eq!(detect(b"\r\nGET / HTTP/1.1"), Ok(Some(Plain)));
        assert_eq!(detect(b"M-SEARCH * HTTP/1.1"), Ok(Some(Plain)));
        assert_eq!(detect(b"V "), Ok(Some(Plain)), "a one-letter method");
        assert_eq!(detect(b""), Ok(None));
        assert_eq!(detect(b"V"), Ok(None));
        assert_eq!(detect(b">"), Ok(None));
        assert_eq!(detect(b"\r"), Ok(None));
        assert_eq!(detect(b"POS"), Ok(None));
        assert_eq!(detect(b"{\"json\": 1}"), refused(0, "{"));
        assert_eq!(detect(b"X:1"), refused(1, "X:"));
        assert_eq!(detect(b"\rX"), refused(1, "\\rX"));
        assert_eq!(detect(b" GET"), refused(0, " "), "no method before the space");
        assert_eq!(detect(b">x"), refused(1, ">x"), "'>' begins no method");
        assert_eq!(detect(b"VE:"), refused(2, "VE:"));
        assert_eq!(detect(b"GET\r\n"), refused(3, "GET\\r"), "a method and no target");
        assert_eq!(detect(b"HTTP/1.1 200 OK"), Ok(Some(PlainResponses)));
        assert_eq!(detect(b"HTTP"), Ok(None));
        assert_eq!(detect(b"HTTP /x HTTP/1.1"), Ok(Some(Plain)), "a method named HTTP");
        assert_eq!(detect(b"HTTPS/1.1"), refused(5, "HTTPS/"));
        assert_eq!(detect(b"C:204"), Ok(Some(CompactResponses)));
        assert_eq!(detect(b"C"), Ok(None));
        assert_eq!(detect(b"CONNECT a:1 HTTP/1.1"), Ok(Some(Plain)));
    }

    #[test]
    fn every_opcode_with_a_colon_is_compact() {
        for &op in OPCODES {
            assert_eq!(Syntax::detect(&[op, b':']), Ok(Some(Syntax::Compact)), "{}", op as char);
        }
    }

    /// Inputs and every way to read them in two or three pieces: the detector gives what
    /// `Syntax::detect` gives on the bytes so far, at every step.
    #[test]
    fn pieces_agree_with_the_whole() {
        let inputs: [&[u8]; 12] = [
            b"HTTP/1.1 200 OK\r\n",
            b"C:200 OK\r\n",
            b"HTTP /x HTTP/1.1\r\n",
            b"V:HTTP/1.1\r\n",
            b"GET / HTTP/1.1\r\n",
            b"M-SEARCH * HTTP/1.1\r\n",
            b"\r\n\r\nGET /",
            b"VERYLONGMETHOD:x",
            b"VERYLONGMETHOD\tx",
            b"{\"json\": 1}",
            b"\rX",
            b"AAAAAAAA",
        ];
        for input in inputs {
            for a in 0..=input.len() {
                for b in a..=input.len() {
                    let mut detector = SyntaxDetector::new();
                    for end in [a, b, input.len()] {
                        let got = detector.detect(&input[..end]);
                        assert_eq!(got, Syntax::detect(&input[..end]), "{} at {a}, {b}", input.escape_ascii());
                        if got != Ok(None) {
                            break;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn looks_at_each_byte_once() {
        // A megabyte of token characters a byte at a time: a detector that looked at the whole
        // prefix each time would take 5 * 10^11 steps.
        let mut input = vec![b'A'; 1 << 20];
        let mut detector = SyntaxDetector::new();
        for end in 0..=input.len() {
            assert_eq!(detector.detect(&input[..end]), Ok(None));
        }
        input.push(b' ');
        assert_eq!(detector.detect(&input), Ok(Some(Syntax::Plain)));
        *input.last_mut().unwrap() = b':';
        let mut detector = SyntaxDetector::new();
        assert_eq!(detector.detect(&input[..1000]), Ok(None));
        let err = detector.detect(&input).unwrap_err();
        assert_eq!((err.offset(), err.line()), (Some(1 << 20), Some(1)));
        assert_eq!(err.kind(), &ErrorKind::UnknownSyntax(format!("{}...", "A".repeat(80))), "shown cut at 80 bytes");
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Syntax>();
        is::<SyntaxDetector>();
    }

    #[test]
    fn bytes_that_do_not_extend_the_earlier_ones_do_not_panic() {
        let mut detector = SyntaxDetector::new();
        assert_eq!(detector.detect(b"GETTING"), Ok(None));
        let _ = detector.detect(b"GE");
        let _ = detector.detect(b"");
    }
}
