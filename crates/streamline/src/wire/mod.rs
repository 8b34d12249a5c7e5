//! Bytes to lines and bodies: character classes, CRLF lines, where a body ends and what a
//! chunked body carries. The layer both syntaxes stand on; it knows nothing of requests.

pub(crate) mod body;
pub(crate) mod chars;
pub(crate) mod chunks;
pub(crate) mod huffman;
pub(crate) mod line;
