//! Static lines (SPEC.md §4.12): a fixed list of common opcode lines and line starts, which
//! `~N`, or `~N` SP text, stands for. The list is part of the format, like HPACK's static
//! table (RFC 7541 Appendix A): both ends know it, so naming an entry costs its index alone.

use std::sync::OnceLock;

use crate::compact::syntax::number;
use crate::error::{escape, ErrorKind};
use crate::message::{decimal_len, write_decimal};

/// The static lines, by index (SPEC.md §4.12, whose table lists the same lines in the same
/// order). A line that ends in `: ` is the start of a field line, to be followed by a value.
pub(crate) const LINES: [&[u8]; 92] = [
    b"V:HTTP/1.1",
    b"H:Host: ",
    b"H:User-Agent: ",
    b"H:Accept: */*",
    b"H:Accept-Encoding: gzip, deflate",
    b"H:Connection: keep-alive",
    b"H:Content-Type: application/json",
    b"H:Accept-Language: ",
    b"H:Cookie: ",
    b"H:Referer: ",
    // 10
    b"H:Authorization: Bearer ",
    b"H:Accept: ",
    b"H:Content-Type: ",
    b"H:Accept-Encoding: ",
    b"H:Cache-Control: ",
    b"H:If-None-Match: ",
    b"H:If-Modified-Since: ",
    b"H:Origin: ",
    b"H:Connection: close",
    b"H:Authorization: Basic ",
    // 20
    b"H:Sec-Fetch-Site: ",
    b"H:Sec-Fetch-Mode: ",
    b"H:Sec-Fetch-Dest: ",
    b"H:Sec-Fetch-User: ?1",
    b"H:Upgrade-Insecure-Requests: 1",
    b"H:Accept: text/html,application/xhtml+xml,application/xml;q=0.9,",
    b"H:Content-Type: application/x-www-form-urlencoded",
    b"H:Content-Type: multipart/form-data; boundary=",
    b"H:Accept-Encoding: identity",
    b"H:User-Agent: Mozilla/5.0 (",
    // 30
    b"H:User-Agent: curl/",
    b"H:Range: bytes=",
    b"H:X-Requested-With: XMLHttpRequest",
    b"H:X-Forwarded-For: ",
    b"H:Pragma: no-cache",
    b"H:Cache-Control: no-cache",
    b"H:Cache-Control: max-age=0",
    b"H:Priority: ",
    b"H:sec-ch-ua: ",
    b"H:sec-ch-ua-mobile: ?0",
    // 40
    b"H:sec-ch-ua-platform: ",
    b"H:DNT: 1",
    b"H:TE: trailers",
    b"H:host: ",
    b"H:user-agent: ",
    b"H:accept: */*",
    b"H:accept: ",
    b"H:accept-encoding: gzip, deflate",
    b"H:accept-language: ",
    b"H:connection: keep-alive",
    // 50
    b"H:content-type: application/json",
    b"H:content-type: ",
    b"H:authorization: Bearer ",
    b"H:cookie: ",
    b"H:sec-fetch-mode: ",
    b"M:GET",
    b"M:POST",
    b"M:PUT",
    b"M:DELETE",
    b"M:HEAD",
    // 60
    b"M:PATCH",
    b"M:OPTIONS",
    b"C:200 OK",
    b"C:304 Not Modified",
    b"C:404 Not Found",
    b"C:204 No Content",
    b"C:206 Partial Content",
    b"C:301 Moved Permanently",
    b"C:302 Found",
    b"C:400 Bad Request",
    // 70
    b"C:500 Internal Server Error",
    b"H:Server: ",
    b"H:Date: ",
    b"H:Content-Type: text/html",
    b"H:Content-Type: text/html; charset=utf-8",
    b"H:Content-Type: text/plain",
    b"H:Content-Type: text/css",
    b"H:Content-Type: application/javascript",
    b"H:Content-Type: image/png",
    b"H:Last-Modified: ",
    // 80
    b"H:ETag: ",
    b"H:Expires: ",
    b"H:Accept-Ranges: bytes",
    b"H:Vary: Accept-Encoding",
    b"H:Content-Encoding: gzip",
    b"H:Location: ",
    b"H:Set-Cookie: ",
    b"H:Access-Control-Allow-Origin: *",
    b"H:X-Content-Type-Options: nosniff",
    b"H:Keep-Alive: timeout=",
    // 90
    b"H:Cache-Control: public, max-age=",
    b"H:Content-Type: application/octet-stream",
];

/// Reads a static line (SPEC.md §4.12), `line` without its CRLF, into `into` (cleared first):
/// the entry it names followed by its text. The line it stands for is at most `max` bytes.
pub(crate) fn expand(line: &[u8], max: usize, into: &mut Vec<u8>) -> Result<(), ErrorKind> {
    let arg = &line[1..];
    let (index, text) = match memchr::memchr(b' ', arg) {
        Some(sp) if sp + 1 < arg.len() => (&arg[..sp], &arg[sp + 1..]),
        Some(_) => return Err(invalid(line, "expected '~INDEX' or '~INDEX TEXT', TEXT not empty")),
        None => (arg, &[][..]),
    };
    let Some(index) = number(index) else {
        return Err(invalid(line, "expected '~INDEX' or '~INDEX TEXT', INDEX a number"));
    };
    let Some(entry) = LINES.get(index) else {
        return Err(invalid(line, "no such static line (there are 92, from 0 to 91)"));
    };
    if entry.len() + text.len() > max {
        return Err(invalid(line, "the line it stands for is longer than max_line"));
    }
    into.clear();
    into.extend_from_slice(entry);
    into.extend_from_slice(text);
    Ok(())
}

fn invalid(line: &[u8], why: &'static str) -> ErrorKind {
    ErrorKind::InvalidStatic { line: escape(line), why }
}

/// The static line that says `line` (without its CRLF) in the fewest bytes, if one is
/// shorter than the line: the one with the longest entry the line starts with (the rest of
/// the line becomes its text, after a SP). Gives the entry's index.
pub(crate) fn shortest(line: &[u8]) -> Option<usize> {
    let sorted = SORTED.get_or_init(sort);
    // The entries the line starts with sort at or before it, the longest last of them; every
    // one of them shares the line's first three bytes (an opcode, a colon, and a byte).
    let at = sorted.partition_point(|&i| LINES[usize::from(i)] <= line);
    let head = line.get(..3)?;
    let (i, entry) = sorted[..at]
        .iter()
        .rev()
        .map(|&i| (usize::from(i), LINES[usize::from(i)]))
        .take_while(|(_, e)| e.starts_with(head))
        .find(|(_, e)| line.starts_with(e))?;
    (static_len(i, line.len() - entry.len()) < line.len()).then_some(i)
}

/// Bytes of the static line for entry `i` with `rest` bytes of text after it, CR LF aside.
pub(crate) fn static_len(i: usize, rest: usize) -> usize {
    1 + decimal_len(i as u64) + if rest == 0 { 0 } else { 1 + rest }
}

/// Writes the static line for entry `i` of `line` (which starts with it), CR LF aside.
pub(crate) fn write(i: usize, line: &[u8], dst: &mut impl bytes::BufMut) {
    dst.put_u8(b'~');
    write_decimal(i as u64, dst);
    let rest = &line[LINES[i].len()..];
    if !rest.is_empty() {
        dst.put_u8(b' ');
        dst.put_slice(rest);
    }
}

/// The entries' indices in the byte order of their lines.
static SORTED: OnceLock<Vec<u8>> = OnceLock::new();

fn sort() -> Vec<u8> {
    let mut sorted: Vec<u8> = (0..LINES.len() as u8).collect();
    sorted.sort_by_key(|&i| LINES[usize::from(i)]);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest-entry search beside a plain scan of every entry, on every entry, every
    /// entry with text after it, every prefix of one, and lines no entry starts.
    #[test]
    fn shortest_is_the_longest_entry_that_saves() {
        let scan = |line: &[u8]| {
            LINES
                .iter()
                .enumerate()
                .filter(|(_, e)| line.starts_with(e))
                .max_by_key(|(_, e)| e.len())
                .map(|(i, _)| i)
                .filter(|&i| static_len(i, line.len() - LINES[i].len()) < line.len())
        };
        let mut lines: Vec<Vec<u8>> =
            vec![b"".to_vec(), b"H:".to_vec(), b"H:X-Id: 1".to_vec(), b"~:12".to_vec(), b"M:GE".to_vec()];
        for e in LINES {
            lines.push(e.to_vec());
            lines.push([e, &b"x"[..]].concat());
            lines.push([e, &b"0.1, text/plain"[..]].concat());
            lines.extend((0..e.len()).map(|n| e[..n].to_vec()));
        }
        for line in &lines {
            assert_eq!(shortest(line), scan(line), "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(shortest(b"H:Accept: */*"), Some(3));
        assert_eq!(shortest(b"H:Accept: text/css"), Some(11));
        assert_eq!(shortest(b"H:Content-Type: text/html; charset=utf-8"), Some(74));
    }

    /// Every entry is an opcode line or the start of one that a decoder of its direction
    /// reads (with a value after it where it ends in `: `), and no two are the same.
    #[test]
    fn entries_are_lines_of_the_syntax() {
        for (i, e) in LINES.iter().enumerate() {
            assert!(!LINES[..i].contains(e), "entry {i} repeats");
            let line = if e.ends_with(b": ") { [e, &b"v"[..]].concat() } else { e.to_vec() };
            let op = if e.starts_with(b"C:") {
                crate::compact::syntax::parse_response_op(&line)
            } else {
                crate::compact::syntax::parse_op(&line)
            };
            assert!(op.is_ok(), "entry {i}: {op:?}");
        }
    }

    /// SPEC.md §4.12: what a static line stands for, and each way one is refused.
    #[test]
    fn expanding() {
        let mut out = Vec::new();
        let ok = |line: &[u8], out: &mut Vec<u8>| {
            expand(line, 8190, out).map(|()| String::from_utf8_lossy(out).into_owned())
        };
        assert_eq!(ok(b"~3", &mut out).unwrap(), "H:Accept: */*");
        assert_eq!(ok(b"~1 127.0.0.1:8080", &mut out).unwrap(), "H:Host: 127.0.0.1:8080");
        assert_eq!(ok(b"~4 , br", &mut out).unwrap(), "H:Accept-Encoding: gzip, deflate, br");
        assert_eq!(ok(b"~91", &mut out).unwrap(), "H:Content-Type: application/octet-stream");
        let why = |line: &[u8]| match expand(line, 20, &mut Vec::new()) {
            Err(ErrorKind::InvalidStatic { why, .. }) => why,
            other => panic!("{other:?}"),
        };
        assert!(why(b"~92").contains("no such"));
        assert!(why(b"~999999999").contains("no such"));
        assert!(why(b"~03").contains("INDEX a number"));
        assert!(why(b"~").contains("INDEX a number"));
        assert!(why(b"~x").contains("INDEX a number"));
        assert!(why(b"~1 ").contains("TEXT not empty"));
        assert!(why(b"~1 0123456789abc").contains("longer than max_line"));
        assert!(expand(b"~1 0123456789ab", 20, &mut out).is_ok());
    }
}
