//! Bytes to lines and bodies: character classes, CRLF lines, and where a body ends. The layer
//! both syntaxes stand on; it knows nothing of requests.

pub(crate) mod body;
pub(crate) mod chars;
pub(crate) mod line;
