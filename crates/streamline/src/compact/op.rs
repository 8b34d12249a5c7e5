//! One opcode line of the compact syntax as a value; `Display` prints its canonical text.

use std::fmt;

use bytes::BufMut;

use crate::error::Error;
use crate::message::{decimal_len, write_decimal, Framing, Version};

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
    /// `H:=INDEX` appends the table's line INDEX (SPEC.md §4.10).
    HeaderEntry(usize),
    /// `S:line` replaces the first line with the same field name, or appends it.
    Set(Source<'a>),
    /// `R:SEL line` replaces the selected line.
    Replace(Select<'a>, Source<'a>),
    /// `I:SEL line` inserts a line before the selected one.
    Insert(Select<'a>, Source<'a>),
    /// `D:SEL [COUNT]` deletes COUNT lines (1 if not given) from the selected one on.
    Delete(Select<'a>, usize),
    /// `E:SEL AT LEN [TEXT]` replaces LEN bytes at byte AT of the selected line with TEXT.
    Edit(Select<'a>, Splice<'a>),
    /// `U:AT LEN [TEXT]` replaces LEN bytes at byte AT of the base with TEXT.
    EditBase(Splice<'a>),
    /// Responses: `C:CODE [REASON]` sets the status code (three digits) and reason phrase
    /// (SPEC.md §13.4).
    Status(&'a [u8], &'a [u8]),
    /// Responses: `+:` issues a response with a body as long as the last `+:` response's.
    Again,
    /// Responses: `-: LEN` or `-: chunked` issues a response without a body whose framing
    /// field announces one ([`Framing::Announced`] or [`Framing::AnnouncedChunked`]).
    Announce(Framing),
    /// Responses: `$:` issues a response whose body runs to the end of the stream.
    Close,
}

/// The header line an editing opcode names (SPEC.md §4.10): by position in the list (from 0)
/// or as the first line with a field name (compared without regard to case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select<'a> {
    /// The line at this position, counted from 0.
    Position(usize),
    /// The first line with this field name.
    Name(&'a [u8]),
}

/// A line an opcode adds: written out, or `=INDEX`, the table's line INDEX (0 the newest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// A field line, verbatim.
    Line(&'a [u8]),
    /// The table's line at this index.
    Entry(usize),
}

/// Part of a header line or of the base replaced: `len` bytes at byte `at` become `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice<'a> {
    /// Where the replaced bytes start.
    pub at: usize,
    /// How many bytes are replaced.
    pub len: usize,
    /// What replaces them.
    pub text: &'a [u8],
}

impl Select<'_> {
    fn write(&self, dst: &mut impl BufMut) {
        match *self {
            Select::Position(p) => write_decimal(p as u64, dst),
            Select::Name(n) => dst.put_slice(n),
        }
    }

    fn len(&self) -> usize {
        match *self {
            Select::Position(p) => decimal_len(p as u64),
            Select::Name(n) => n.len(),
        }
    }
}

impl Source<'_> {
    fn write(&self, dst: &mut impl BufMut) {
        match *self {
            Source::Line(l) => dst.put_slice(l),
            Source::Entry(i) => {
                dst.put_u8(b'=');
                write_decimal(i as u64, dst);
            }
        }
    }

    fn len(&self) -> usize {
        match *self {
            Source::Line(l) => l.len(),
            Source::Entry(i) => 1 + decimal_len(i as u64),
        }
    }
}

impl Splice<'_> {
    fn write(&self, dst: &mut impl BufMut) {
        write_decimal(self.at as u64, dst);
        dst.put_u8(b' ');
        write_decimal(self.len as u64, dst);
        if !self.text.is_empty() {
            dst.put_u8(b' ');
            dst.put_slice(self.text);
        }
    }

    fn len(&self) -> usize {
        let text = if self.text.is_empty() { 0 } else { 1 + self.text.len() };
        decimal_len(self.at as u64) + 1 + decimal_len(self.len as u64) + text
    }
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

    /// Parses one line's content of a response stream (SPEC.md §13.4), where `C:` and `$:`
    /// are opcodes, the issuing lines take no suffix, and `B:`, `M:` and `U:` are not
    /// opcodes.
    ///
    /// ```
    /// use streamline::{Framing, Op};
    /// assert_eq!(Op::parse_response(b"C:200 OK")?, Op::Status(b"200", b"OK"));
    /// assert_eq!(Op::parse_response(b"-: 615")?, Op::Announce(Framing::Announced(615)));
    /// assert_eq!(Op::parse_response(b"+:")?, Op::Again);
    /// assert!(Op::parse_response(b"M:GET").is_err());
    /// assert!(Op::parse(b"C:200 OK").is_err());
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn parse_response(line: &'a [u8]) -> Result<Op<'a>, Error> {
        crate::compact::syntax::parse_response_op(line).map_err(Error::from_kind)
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
            Op::HeaderEntry(_)
            | Op::Set(_)
            | Op::Replace(..)
            | Op::Insert(..)
            | Op::Delete(..)
            | Op::Edit(..)
            | Op::EditBase(_) => {
                self.write_editing(dst);
                dst.put_slice(b"\r\n");
                return;
            }
            Op::Status(code, reason) => {
                dst.put_slice(b"C:");
                dst.put_slice(code);
                if !reason.is_empty() {
                    dst.put_u8(b' ');
                    dst.put_slice(reason);
                }
                dst.put_slice(b"\r\n");
                return;
            }
            Op::Again => (b'+', b""),
            Op::Close => (b'$', b""),
            Op::Announce(framing) => {
                dst.put_slice(b"-: ");
                match framing {
                    Framing::Announced(n) | Framing::Length(n) => write_decimal(*n, dst),
                    _ => dst.put_slice(b"chunked"),
                }
                dst.put_slice(b"\r\n");
                return;
            }
        };
        dst.put_slice(&[code, b':']);
        dst.put_slice(arg);
        dst.put_slice(b"\r\n");
    }

    /// The editing opcodes' lines (SPEC.md §4.10), without the CRLF.
    fn write_editing(&self, dst: &mut impl BufMut) {
        match self {
            Op::HeaderEntry(i) => {
                dst.put_slice(b"H:");
                Source::Entry(*i).write(dst);
            }
            Op::Set(src) => {
                dst.put_slice(b"S:");
                src.write(dst);
            }
            Op::Replace(sel, src) | Op::Insert(sel, src) => {
                dst.put_slice(if matches!(self, Op::Replace(..)) { b"R:" } else { b"I:" });
                sel.write(dst);
                dst.put_u8(b' ');
                src.write(dst);
            }
            Op::Delete(sel, count) => {
                dst.put_slice(b"D:");
                sel.write(dst);
                if *count != 1 {
                    dst.put_u8(b' ');
                    write_decimal(*count as u64, dst);
                }
            }
            Op::Edit(sel, splice) => {
                dst.put_slice(b"E:");
                sel.write(dst);
                dst.put_u8(b' ');
                splice.write(dst);
            }
            Op::EditBase(splice) => {
                dst.put_slice(b"U:");
                splice.write(dst);
            }
            _ => unreachable!("not an editing opcode"),
        }
    }

    /// Length of the canonical line, CRLF included: what the encoder's cost function counts.
    pub fn encoded_len(&self) -> usize {
        match self {
            Op::HeaderEntry(i) => 4 + Source::Entry(*i).len(),
            Op::Set(src) => 4 + src.len(),
            Op::Replace(sel, src) | Op::Insert(sel, src) => 5 + sel.len() + src.len(),
            Op::Delete(sel, count) => 4 + sel.len() + if *count == 1 { 0 } else { 1 + decimal_len(*count as u64) },
            Op::Edit(sel, splice) => 5 + sel.len() + splice.len(),
            Op::EditBase(splice) => 4 + splice.len(),
            Op::Version(_) => 12,
            Op::WithBody(a, len) => 5 + a.len() + crate::message::decimal_len(*len),
            Op::Status(code, reason) => 4 + code.len() + if reason.is_empty() { 0 } else { 1 + reason.len() },
            Op::Again | Op::Close => 4,
            Op::Announce(Framing::Announced(n) | Framing::Length(n)) => 5 + decimal_len(*n),
            Op::Announce(_) => 12,
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
        let lines: [&[u8]; 21] = [
            b"V:HTTP/1.0",
            b"B:",
            b"M:GET",
            b"H:A: b",
            b">:r",
            b"<:r",
            b"-:x",
            b"+:x 12",
            b"*:",
            b"H:=12",
            b"S:A: b",
            b"S:=0",
            b"R:3 A: b",
            b"R:Accept =7",
            b"I:0 A: b",
            b"D:2",
            b"D:2 3",
            b"D:Cookie",
            b"E:4 12 3 x y",
            b"E:Referer 9 0",
            b"U:0 4 /api",
        ];
        for line in lines {
            let op = Op::parse(line).unwrap();
            assert_eq!(op.to_string().as_bytes(), line);
            assert_eq!(op.encoded_len(), line.len() + 2);
        }
        let responses: [&[u8]; 12] = [
            b"C:200 OK",
            b"C:204",
            b"C:404 Not \xe9 Found",
            b"-:",
            b"-: 615",
            b"-: chunked",
            b"+:",
            b"+: 66",
            b"*:",
            b"$:",
            b"S:Date: x",
            b"E:Date 23 2 41",
        ];
        for line in responses {
            let op = Op::parse_response(line).unwrap();
            let mut out = Vec::new();
            op.write(&mut out);
            assert_eq!(&out[..out.len() - 2], line);
            assert_eq!(op.encoded_len(), line.len() + 2);
        }
    }
}
