//! One opcode line of the compact syntax as a value; `Display` prints its canonical text.

use std::fmt;

use bytes::BufMut;

use crate::error::Error;
use crate::message::{write_decimal, Version};

/// One opcode line, borrowing its arguments from the line it was parsed from (SPEC.md §4).
///
/// ```
/// use streamline::Op;
/// let op = Op::parse(b"+:quote 66").unwrap();
/// assert_eq!(op, Op::WithBody(b"quote", 66));
/// assert_eq!(op.to_string(), "+:quote 66");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// `V:HTTP/x.y` sets the version.
    Version(Version),
    /// `B:base` sets the base (may be empty).
    Base(&'a [u8]),
    /// `M:method` sets the method.
    Method(&'a [u8]),
    /// `H:Name: value` appends one header line.
    Header(&'a [u8]),
    /// `>:name` stores the whole state in a register.
    Store(&'a [u8]),
    /// `<:name` replaces the whole state with a register's copy.
    Load(&'a [u8]),
    /// `-:suffix` issues a request without a body.
    Bodyless(&'a [u8]),
    /// `+:suffix LEN` issues a request with a LEN-byte body.
    WithBody(&'a [u8], u64),
    /// `*:suffix` issues a request with a chunked body.
    Chunked(&'a [u8]),
}

impl<'a> Op<'a> {
    /// Parses one line's content (without its CRLF).
    ///
    /// The line comes alone, so the error has no position ([`Error::offset`] is `None`): a
    /// [`Decoder`](crate::Decoder) reading a stream places the same error in it.
    ///
    /// ```
    /// use streamline::{ErrorKind, Op};
    /// let err = Op::parse(b"M:G T").unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::InvalidMethod("G T".into()));
    /// assert_eq!((err.offset(), err.line()), (None, None));
    /// assert_eq!(err.to_string(), "invalid method 'G T' (expected a token)");
    /// ```
    pub fn parse(line: &'a [u8]) -> Result<Op<'a>, Error> {
        crate::compact::syntax::parse_op(line).map_err(Error::from_kind)
    }

    /// Appends the canonical line, CRLF included, to any [`BufMut`] (a `Vec<u8>`, a
    /// `BytesMut`, ...), which must have room for [`Op::encoded_len`] bytes.
    pub fn write(&self, dst: &mut impl BufMut) {
        let (code, arg): (u8, &[u8]) = match self {
            Op::Version(v) => {
                dst.put_slice(b"V:");
                dst.put_slice(&v.to_bytes());
                dst.put_slice(b"\r\n");
                return;
            }
            Op::Base(a) => (b'B', a),
            Op::Method(a) => (b'M', a),
            Op::Header(a) => (b'H', a),
            Op::Store(a) => (b'>', a),
            Op::Load(a) => (b'<', a),
            Op::Bodyless(a) => (b'-', a),
            Op::Chunked(a) => (b'*', a),
            Op::WithBody(a, len) => {
                dst.put_slice(b"+:");
                dst.put_slice(a);
                dst.put_u8(b' ');
                write_decimal(*len, dst);
                dst.put_slice(b"\r\n");
                return;
            }
        };
        dst.put_slice(&[code, b':']);
        dst.put_slice(arg);
        dst.put_slice(b"\r\n");
    }

    /// Length of the canonical line, CRLF included: what the encoder's cost function counts.
    pub fn encoded_len(&self) -> usize {
        match self {
            Op::Version(_) => 12,
            Op::WithBody(a, len) => 5 + a.len() + crate::message::decimal_len(*len),
            Op::Base(a)
            | Op::Method(a)
            | Op::Header(a)
            | Op::Store(a)
            | Op::Load(a)
            | Op::Bodyless(a)
            | Op::Chunked(a) => 4 + a.len(),
        }
    }
}

impl fmt::Display for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Vec::with_capacity(self.encoded_len());
        self.write(&mut line);
        line.truncate(line.len() - 2);
        f.write_str(&String::from_utf8_lossy(&line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips() {
        let lines: [&[u8]; 9] = [b"V:HTTP/1.0", b"B:", b"M:GET", b"H:A: b", b">:r", b"<:r", b"-:x", b"+:x 12", b"*:"];
        for line in lines {
            let op = Op::parse(line).unwrap();
            assert_eq!(op.to_string().as_bytes(), line);
            assert_eq!(op.encoded_len(), line.len() + 2);
        }
    }
}
