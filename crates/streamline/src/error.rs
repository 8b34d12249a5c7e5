//! The one error type of the library: what went wrong ([`ErrorKind`]) and where.

use std::fmt;
use std::num::NonZeroU64;

/// What went wrong: why input, a value built by hand, or a request given to the encoder was
/// refused.
///
/// Each kind is one error class of SPEC.md §8 ("Errors"); the `Display` text is lowercase,
/// has no final period, and quotes the offending bytes where that helps. New kinds may be
/// added (the enum is `#[non_exhaustive]`): match the ones you handle and keep a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    // ---- line structure (both syntaxes) ----
    /// A line feed without the carriage return that must precede it.
    #[error("bare LF (line feed without carriage return)")]
    BareLf,
    /// A carriage return not followed by a line feed.
    #[error("stray CR (carriage return not followed by line feed)")]
    StrayCr,
    /// A NUL byte inside a line.
    #[error("NUL byte inside a line")]
    Nul,
    /// A line longer than [`Limits::max_line`](crate::Limits::max_line).
    #[error("line longer than the limit of {limit} bytes")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The input ended inside a line, a body or a chunked body.
    #[error("input ends inside {what}")]
    UnexpectedEof {
        /// What was cut short, e.g. `a line (no CRLF at the end)`, `a request head (no empty
        /// line at its end)` or `a body (3 bytes missing)`.
        what: String,
    },

    // ---- compact syntax ----
    /// An empty line where an opcode line was expected.
    #[error("empty line (expected an opcode line such as 'H:...')")]
    EmptyLine,
    /// An opcode line whose opcode is not one of `V B M H > < - + * S R I D E U ~`.
    #[error("unknown opcode '{0}' (expected one of V B M H > < - + * S R I D E U ~)")]
    UnknownOpcode(String),
    /// An opcode not followed by a colon.
    #[error("missing ':' after opcode '{0}'")]
    MissingColon(String),
    /// A `V:` argument that is not `HTTP/` DIGIT `.` DIGIT.
    #[error("invalid version '{0}' (expected HTTP/DIGIT.DIGIT)")]
    InvalidVersion(String),
    /// A method that is not an RFC 9110 token.
    #[error("invalid method '{0}' (expected a token)")]
    InvalidMethod(String),
    /// A base, suffix or request target with bytes outside visible ASCII (0x21–0x7E).
    #[error("invalid {what} '{text}' (only visible ASCII 0x21-0x7E allowed)")]
    InvalidTarget {
        /// `base`, `suffix` or `request target`.
        what: &'static str,
        /// The offending text, escaped.
        text: String,
    },
    /// A header line that is not `field-name ":" field-value`.
    #[error("invalid header line '{line}': {why}")]
    InvalidHeader {
        /// The line, escaped.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// `H:` naming Content-Length or Transfer-Encoding: framing belongs to the issuing opcodes.
    #[error("header '{0}' is framing and may not appear in H: (use +: or *:)")]
    FramingHeader(String),
    /// A register name that is empty, longer than 64 bytes or not visible ASCII.
    #[error("invalid register name '{0}' (expected 1-64 visible ASCII bytes)")]
    InvalidRegisterName(String),
    /// `<:` naming a register that was never stored.
    #[error("unknown register '{0}'")]
    UnknownRegister(String),
    /// A `+:` line without a valid length: `+:SUFFIX SP LEN`, LEN `0` or 1-19 digits, no leading zero.
    #[error("invalid body length in '{0}' (expected '+:SUFFIX LEN', LEN decimal without leading zeros)")]
    InvalidLength(String),
    /// An editing opcode (`H:=`, `S:`, `R:`, `I:`, `D:`, `E:`, `U:`) whose argument does not
    /// parse, or an edit that cannot apply to the line or base it names: past its end, into
    /// the field name, or splitting a run of letters and digits (SPEC.md §4.10).
    #[error("invalid edit '{line}': {why}")]
    InvalidEdit {
        /// The line, escaped.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A packed line (`~:LEN` and LEN bytes of HPACK's Huffman code, SPEC.md §4.11) that is
    /// not one: a bad length, a code that does not decode, or a decoded line that is too long,
    /// holds a CR or LF, or is itself packed.
    #[error("invalid packed line '{line}': {why}")]
    InvalidPacked {
        /// The `~:` line, escaped.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A static line (`~INDEX`, or `~INDEX TEXT`, SPEC.md §4.12) that is not one: a bad
    /// index or shape, or a line it stands for that is too long.
    #[error("invalid static line '{line}': {why}")]
    InvalidStatic {
        /// The `~` line, escaped.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A selector naming a header line the state does not have.
    #[error("no header line {0} in the state")]
    NoSuchHeader(String),
    /// `=INDEX` naming a line the table does not hold.
    #[error("no table entry {index} (the table holds {held})")]
    UnknownEntry {
        /// The index given.
        index: usize,
        /// How many lines the table holds.
        held: usize,
    },
    /// Issuing a request before `M:` set a method.
    #[error("request issued with no method set (use M: first)")]
    NoMethod,
    /// Issuing a request before `V:` set a version.
    #[error("request issued with no version set (use V: first)")]
    NoVersion,
    /// Issuing a request whose target (base + suffix) is empty.
    #[error("request issued with an empty target (base + suffix)")]
    EmptyTarget,
    /// Storing one more register than [`Limits::max_registers`](crate::Limits::max_registers).
    #[error("too many registers (limit {limit})")]
    TooManyRegisters {
        /// The limit in force.
        limit: usize,
    },
    /// More header lines than [`Limits::max_headers`](crate::Limits::max_headers).
    #[error("too many header lines (limit {limit})")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// State and registers together over [`Limits::max_state_bytes`](crate::Limits::max_state_bytes).
    #[error("state and registers exceed the limit of {limit} bytes")]
    StateTooLarge {
        /// The limit in force.
        limit: usize,
    },

    // ---- plain HTTP/1.1 ----
    /// A request-line that is not `method SP request-target SP HTTP-version`.
    #[error("invalid request line '{line}': {why}")]
    InvalidRequestLine {
        /// The line, escaped.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A field line starting with whitespace (obsolete line folding).
    #[error("obsolete line folding (field line starts with whitespace)")]
    ObsFold,
    /// Whitespace between a field name and its colon.
    #[error("whitespace between field name and colon in '{0}'")]
    WhitespaceBeforeColon(String),
    /// Both Content-Length and Transfer-Encoding in one request.
    #[error("both Content-Length and Transfer-Encoding present")]
    BothFramings,
    /// Content-Length given more than once. (A list such as `1, 1` is an
    /// [`ErrorKind::InvalidContentLength`].)
    #[error("repeated Content-Length")]
    RepeatedContentLength,
    /// A Content-Length value that is not a decimal number that fits 64 bits.
    #[error("invalid Content-Length '{0}'")]
    InvalidContentLength(String),
    /// Transfer-Encoding in a request older than HTTP/1.1 (RFC 9112 §6.1: its framing is
    /// faulty); on the compact side, `*:` issued with such a version.
    #[error("chunked transfer coding in an {0} message (needs HTTP/1.1 or later)")]
    ChunkedBeforeHttp11(String),
    /// A Transfer-Encoding other than exactly `chunked`, or given more than once.
    #[error("unsupported Transfer-Encoding '{0}' (only a single 'chunked' is accepted)")]
    UnsupportedTransferCoding(String),

    // ---- chunked bodies (both syntaxes) ----
    /// A chunk-size line that is not `1*HEXDIG [chunk-ext]`.
    #[error("invalid chunk size line '{0}'")]
    InvalidChunkSize(String),
    /// A chunk size that does not fit 64 bits.
    #[error("chunk size '{0}' overflows 64 bits")]
    ChunkSizeOverflow(String),
    /// Chunk data not followed by CRLF.
    #[error("chunk data not followed by CRLF")]
    MissingChunkCrlf,
    /// More trailer lines than [`Limits::max_headers`](crate::Limits::max_headers).
    #[error("too many trailer lines (limit {limit})")]
    TooManyTrailers {
        /// The limit in force.
        limit: usize,
    },
    /// A body bigger than [`Limits::max_body`](crate::Limits::max_body) where it must be held
    /// whole. Reported at the body's first byte. (A caller that can take a body in pieces
    /// reads it with the event API, `next_event`, which has no such limit; the message does
    /// not say so, since the services and the CLI show it to people who set `--max-body`.)
    #[error("body of {len} bytes or more exceeds the limit of {limit} bytes for a whole message")]
    BodyTooLarge {
        /// A Content-Length body's declared length; for a chunked body, `limit + 1`: it was
        /// found longer than the limit (its whole length is not read).
        len: u64,
        /// The limit in force.
        limit: u64,
    },
    // ---- requests built by hand ----
    /// [`Request::new`](crate::Request::new) given a body its head's framing does not
    /// describe: a body with no framing, a length other than Content-Length, or a chunked body
    /// cut short or followed by other bytes. (A chunked body that breaks the chunked syntax
    /// gets that fault's kind, e.g. [`ErrorKind::InvalidChunkSize`].)
    #[error("body does not match the head's framing: {0}")]
    BodyMismatch(&'static str),

    // ---- responses (SPEC.md §13.7) ----
    /// A status-line that is not `HTTP-version SP 3DIGIT SP reason-phrase`, or a `C:` line
    /// that is not `C:3DIGIT [SP reason-phrase]`.
    #[error("invalid status line '{line}': {why}")]
    InvalidStatusLine {
        /// The line, escaped.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Something of one direction met in the other: a request opcode (`B:`, `M:`, `U:`, a
    /// suffix) in a response stream, a response opcode (`C:`, `$:`, `+:` without a length,
    /// `-: LEN`) in a request stream, a response framing on a request, a response given to a
    /// request encoder, a compact response stream that does not start with `C:`.
    #[error("wrong direction: {0}")]
    WrongDirection(&'static str),
    /// A body on a response that never has one: a 1xx, a 204 or a 304 (RFC 9112 §6.3), issued
    /// with `+:`, `*:` or `$:` in a compact stream or built by hand. (Its plain form would be
    /// read without the body, and the body as the next response.)
    #[error("a {status} response has no body (RFC 9112 6.3); use '-:' or '-: LEN'")]
    BodyNotAllowed {
        /// The response's status.
        status: u16,
    },
    /// A response issued with no status set (use `C:` first).
    #[error("response issued with no status set (use C: first)")]
    NoStatus,
    /// `+:` without a length in a response stream with no earlier `+:` length to repeat.
    #[error("'+:' without a length, and no earlier response had one to repeat")]
    NoLength,
    /// Bytes after the response that switched the connection to another protocol (a 101, or
    /// a 2xx to CONNECT, RFC 9112 §6.3 rule 2): they are not HTTP/1.1, and a reader stops
    /// there. Reported at the first of them.
    #[error("{bytes} bytes follow the response that switched protocols (status {status}); the rest of the connection is not HTTP/1.1")]
    AfterSwitch {
        /// How many bytes follow.
        bytes: u64,
        /// The switching response's status.
        status: u16,
    },

    /// A broken upgrade handshake (SPEC.md §14): a 101 that switches to another protocol or
    /// lacks `Connection: upgrade`, an offer on a request that already names a Connection or
    /// Upgrade field.
    #[error("upgrade handshake: {0}")]
    Handshake(&'static str),

    // ---- the encoder ----
    /// A request the encoder cannot express within the limits it was given.
    #[error("cannot encode request: {0}")]
    Unencodable(&'static str),

    // ---- telling the syntax ----
    /// The start of a stream is neither syntax: not an opcode and `:`, nor CR LF or a method
    /// and SP ([`Syntax::detect`](crate::Syntax::detect)). Holds the start, escaped, up to
    /// the byte that rules out both.
    #[error(
        "cannot tell the syntax from '{0}' (expected an opcode and ':', such as 'V:' or 'C:', a method and ' ', \
such as 'GET ', or 'HTTP/')"
    )]
    UnknownSyntax(String),
}

/// An error: what went wrong ([`ErrorKind`]) and, where there is one, where.
///
/// Every fallible public call of the library returns this type. What places the error
/// depends on what the call was given:
///
/// | from | [`offset`](Error::offset), [`line`](Error::line) | [`request`](Error::request) |
/// | --- | --- | --- |
/// | a [`Reader`](crate::Reader) ([`Decoder`](crate::Decoder), [`http1::Parser`](crate::http1::Parser)) | always: the fault in the stream | `None` |
/// | [`http1::parse_head`](crate::http1::parse_head) | always: the fault in the buffer given | `None` |
/// | [`Encoder`](crate::Encoder), [`Lookahead`](crate::Lookahead) | `None` | always: the refused request |
/// | [`Syntax::detect`](crate::Syntax::detect), [`SyntaxDetector`](crate::SyntaxDetector), [`ChunkedBody`](crate::ChunkedBody) | always: the fault in the input given (a chunked body's from its first byte) | `None` |
/// | [`Op::parse`](crate::Op::parse), [`State::apply`](crate::State::apply), [`Head::new`](crate::Head::new), [`Headers::push`](crate::Headers::push), [`Request::new`](crate::Request::new) | `None` | `None` |
///
/// `offset` is the byte offset (0-based) of the line (or byte) at fault; `line` is its line
/// number, 1-based, counting every LF before it, bodies included, so it matches what an editor
/// shows (SPEC.md §2.3). `request` is the number of the request the encoder refused, 1-based
/// like lines: one more than the requests the encoder has written (SPEC.md §8.5).
///
/// `Display` gives `line 12 (byte 40): ...` for an error with a position, `request 3: ...`
/// for an encoder refusal, and the kind's message alone otherwise. The error converts into
/// an [`std::io::Error`] of kind [`InvalidData`](std::io::ErrorKind::InvalidData), so code
/// that reads sockets can use `?` on both.
///
/// ```
/// use bytes::BytesMut;
/// use streamline::{Decoder, ErrorKind};
///
/// let err = Decoder::new().decode_eof(&mut BytesMut::from("V:HTTP/1.1\r\nX:\r\n")).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::UnknownOpcode("X".into()));
/// assert_eq!((err.offset(), err.line(), err.request()), (Some(12), Some(2), None));
/// assert_eq!(err.to_string(), "line 2 (byte 12): unknown opcode 'X' (expected one of V B M H > < - + * S R I D E U ~)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    place: Place,
}

/// Where an error is. Two variants in 16 bytes (the line's zero is the niche), so an
/// `Error` is no bigger than the kind and a position, and a reader's
/// `Result<Option<Request>, Error>` stays as small as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A position in the input.
    Input { offset: u64, line: NonZeroU64 },
    /// No position in any input; for an encoder refusal, the request's number.
    Elsewhere { request: Option<NonZeroU64> },
}

impl Error {
    /// An error at a position in the input: `offset` from its start (0-based), on line `line`
    /// (1-based; 0 is taken as 1).
    pub fn new(kind: ErrorKind, offset: u64, line: u64) -> Self {
        let line = NonZeroU64::new(line).unwrap_or(NonZeroU64::MIN);
        Error { kind, place: Place::Input { offset, line } }
    }

    /// An error with no position: a value refused by a constructor, an opcode, a line given
    /// alone.
    pub fn from_kind(kind: ErrorKind) -> Self {
        Error { kind, place: Place::Elsewhere { request: None } }
    }

    /// An encoder's refusal of request number `request` (1-based; 0 is taken as 1).
    pub fn for_request(kind: ErrorKind, request: u64) -> Self {
        let request = NonZeroU64::new(request).unwrap_or(NonZeroU64::MIN);
        Error { kind, place: Place::Elsewhere { request: Some(request) } }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// What went wrong, taken out of the error.
    pub fn into_kind(self) -> ErrorKind {
        self.kind
    }

    /// Byte offset of the fault from the start of the input (0-based); `None` for an error
    /// that has no position (see [`Error`]).
    pub fn offset(&self) -> Option<u64> {
        match self.place {
            Place::Input { offset, .. } => Some(offset),
            Place::Elsewhere { .. } => None,
        }
    }

    /// Line number of the fault (1-based, every LF counted); `None` for an error that has no
    /// position (see [`Error`]).
    pub fn line(&self) -> Option<u64> {
        match self.place {
            Place::Input { line, .. } => Some(line.get()),
            Place::Elsewhere { .. } => None,
        }
    }

    /// For an encoder refusal, the number of the refused request, 1-based: one more than the
    /// requests the encoder has written (so 3 for the third request of a stream, none refused
    /// before it); `None` otherwise.
    pub fn request(&self) -> Option<u64> {
        match self.place {
            Place::Elsewhere { request } => request.map(NonZeroU64::get),
            Place::Input { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::Input { offset, line } => write!(f, "line {line} (byte {offset}): {}", self.kind),
            Place::Elsewhere { request: Some(n) } => write!(f, "request {n}: {}", self.kind),
            Place::Elsewhere { request: None } => write!(f, "{}", self.kind),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.kind);
        match self.place {
            Place::Input { offset, line } => s.field("offset", &offset).field("line", &line),
            Place::Elsewhere { request: Some(n) } => s.field("request", &n),
            Place::Elsewhere { request: None } => &mut s,
        };
        s.finish()
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// An [`InvalidData`](std::io::ErrorKind::InvalidData) error holding the `Error` (get it
    /// back with [`get_ref`](std::io::Error::get_ref) or [`downcast`](std::io::Error::downcast)),
    /// with the same message.
    fn from(err: Error) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, err)
    }
}

/// Renders bytes for an error message: printable ASCII as is, everything else escaped,
/// cut at 80 bytes so a giant line does not flood the terminal.
pub(crate) fn escape(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let shown = bytes.get(..MAX).unwrap_or(bytes);
    let mut s: String = shown.escape_ascii().to_string();
    if bytes.len() > MAX {
        s.push_str("...");
    }
    s
}
