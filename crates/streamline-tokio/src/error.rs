//! The one error type of the crate: the socket's, or the codec's.

/// What went wrong on a link: the connection ([`std::io::Error`]) or what came over it
/// ([`streamline::Error`], with its position in the stream).
///
/// Both convert into it, so a tokio codec (whose error type must come from `io::Error`) and
/// the code around it use `?` on either.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the connection failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes were refused (or a message could not be encoded).
    #[error(transparent)]
    Codec(#[from] streamline::Error),
    /// A message the `http` types cannot hold, or the reverse (see [`crate::convert`]).
    #[error("cannot convert {0}")]
    Convert(&'static str),
    /// The connection closed before the negotiation was over.
    #[error("connection closed during {0}")]
    Closed(&'static str),
}

impl From<Error> for std::io::Error {
    /// The codec's errors as [`InvalidData`](std::io::ErrorKind::InvalidData), the
    /// connection's as they were.
    fn from(err: Error) -> Self {
        match err {
            Error::Io(io) => io,
            Error::Codec(codec) => codec.into(),
            Error::Convert(what) => {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("cannot convert {what}"))
            }
            Error::Closed(what) => {
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("connection closed during {what}"))
            }
        }
    }
}

impl Error {
    /// The status a server answers a plain client with when reading its request failed with
    /// this error, before it closes the connection: 413 (Content Too Large) for a body over
    /// the limit, 431 (Request Header Fields Too Large, RFC 6585 §5) for more field lines
    /// than the limit, 400 (Bad Request) for anything else the bytes broke (RFC 9112 §2.2,
    /// RFC 9110 §15.5). `None` when no request was refused: the connection failed or closed.
    /// [`accept`](crate::link::accept) answers a plain first request so; a server answers
    /// the later ones with it.
    pub fn status(&self) -> Option<(u16, &'static str)> {
        match self {
            Error::Codec(err) if matches!(err.kind(), streamline::ErrorKind::BodyTooLarge { .. }) => {
                Some((413, "Content Too Large"))
            }
            Error::Codec(err) if matches!(err.kind(), streamline::ErrorKind::TooManyHeaders { .. }) => {
                Some((431, "Request Header Fields Too Large"))
            }
            Error::Codec(_) | Error::Convert(_) => Some((400, "Bad Request")),
            Error::Io(_) | Error::Closed(_) => None,
        }
    }
}
