//! Header editing (SPEC.md §4.10): the one function that turns a header block and an editing
//! opcode into the new block. The decoder's state and the encoder's mirror both go through
//! it, so they cannot disagree on what an edit means.

use crate::compact::op::{Op, Select, Source, Splice};
use crate::compact::table::Ring;
use crate::error::{escape, ErrorKind};

/// What [`edit_block`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edited {
    /// Lines in the new block.
    pub(crate) count: usize,
    /// Where, in the new block, the line that enters the table at the next issue is (one
    /// carried literally or made by `E:`); `None` for deletions and table references.
    pub(crate) sent: Option<(usize, usize)>,
}

/// The lines of a block of CRLF-terminated lines: (start, end without the CRLF) of each.
pub(crate) fn spans(block: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let lf = memchr::memchr(b'\n', &block[at..])?;
        let span = (at, at + lf - 1);
        at += lf + 1;
        Some(span)
    })
}

/// The field name of a (valid) field line: the bytes before its colon.
pub(crate) fn name_of(line: &[u8]) -> &[u8] {
    &line[..memchr::memchr(b':', line).unwrap_or(line.len())]
}

/// Is `b` a letter or digit? Edits keep runs of these whole (SPEC.md §4.10, §12).
#[inline]
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Does a cut between `s[at - 1]` and `s[at]` split a run of letters and digits?
pub(crate) fn splits_word(s: &[u8], at: usize) -> bool {
    at > 0 && at < s.len() && word(s[at - 1]) && word(s[at])
}

/// Applies a splice to `old` (whose first `fixed` bytes may not change), appending the result
/// to `out`: the edit must lie within `old` and cut no run of letters and digits, in the old
/// text or in the new.
pub(crate) fn splice_into(
    old: &[u8],
    splice: &Splice<'_>,
    fixed: usize,
    op: &Op<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ErrorKind> {
    let invalid = |why| ErrorKind::InvalidEdit { line: escape(op.to_string().as_bytes()), why };
    let end = splice.at.checked_add(splice.len).filter(|&e| e <= old.len()).ok_or_else(|| invalid("past the end"))?;
    if splice.at < fixed {
        return Err(invalid("into the field name"));
    }
    let start = out.len();
    out.extend_from_slice(&old[..splice.at]);
    out.extend_from_slice(splice.text);
    out.extend_from_slice(&old[end..]);
    let new = &out[start..];
    let new_end = splice.at + splice.text.len();
    if splits_word(old, splice.at) || splits_word(old, end) || splits_word(new, splice.at) || splits_word(new, new_end)
    {
        out.truncate(start);
        return Err(invalid("cuts a run of letters and digits (edits keep words whole)"));
    }
    Ok(())
}

/// The line a source names.
pub(crate) fn resolve<'a>(src: Source<'a>, table: &'a Ring) -> Result<&'a [u8], ErrorKind> {
    match src {
        Source::Line(line) => Ok(line),
        Source::Entry(index) => table.get(index).ok_or_else(|| ErrorKind::UnknownEntry { index, held: table.len() }),
    }
}

/// Where each line of a block starts: the index the editing opcodes find their lines by.
pub(crate) fn line_starts(block: &[u8], out: &mut Vec<usize>) {
    out.clear();
    if !block.is_empty() {
        out.push(0);
    }
    out.extend(memchr::memchr_iter(b'\n', block).map(|lf| lf + 1).filter(|&s| s < block.len()));
}

/// Where line `i` starts, given the line starts (the block's length for `i` = the count).
fn line_start(block: &[u8], starts: &[usize], i: usize) -> usize {
    starts.get(i).copied().unwrap_or(block.len())
}

/// Index of the first line whose field name equals `name` in any case: a line that starts
/// with the name and a colon (a field name holds no colon).
///
/// Most lines fail on the byte after the name's length (not a colon); the rest are compared
/// by [`same_name`].
fn find_name(block: &[u8], starts: &[usize], name: &[u8]) -> Option<usize> {
    let n = name.len();
    starts.iter().position(|&s| block.get(s + n) == Some(&b':') && same_name(&block[s..s + n], name))
}

/// `a.eq_ignore_ascii_case(b)` for two names of the same length, a word at a time: words that
/// differ in a bit other than the ASCII case bit differ (the usual answer, for names such as
/// `Sec-Fetch-Mode` and `Sec-Fetch-Dest`, at their last word, compared first); words equal bit
/// for bit are equal; only words that differ in case bits alone are compared byte by byte.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len();
    // The words of a name: eight bytes at `at`, or, for a short name, its first and last four.
    // (A slice of the right length always converts: the `map_or` default is never taken.)
    let word = |s: &[u8], at: usize| s[at..at + 8].try_into().map_or(0, u64::from_le_bytes);
    let short = |s: &[u8]| {
        let half = |at: usize| s[at..at + 4].try_into().map_or(0, |h| u64::from(u32::from_le_bytes(h)));
        half(0) | half(n - 4) << 32
    };
    let same = |x: u64, y: u64| {
        let diff = x ^ y;
        diff == 0 || (diff & !0x2020_2020_2020_2020 == 0 && a.eq_ignore_ascii_case(b))
    };
    match n {
        0..4 => a.eq_ignore_ascii_case(b),
        4..8 => same(short(a), short(b)),
        _ => same(word(a, n - 8), word(b, n - 8)) && (0..n - 8).step_by(8).all(|at| same(word(a, at), word(b, at))),
    }
}

/// Index of the selected line (`insert` allows the position just past the last line).
fn select(sel: Select<'_>, block: &[u8], starts: &[usize], insert: bool) -> Result<usize, ErrorKind> {
    let count = starts.len();
    match sel {
        Select::Position(p) if p < count || (insert && p == count) => Ok(p),
        Select::Position(p) => Err(ErrorKind::NoSuchHeader(format!("at position {p} (the state has {count})"))),
        Select::Name(name) => {
            find_name(block, starts, name).ok_or_else(|| ErrorKind::NoSuchHeader(format!("named '{}'", escape(name))))
        }
    }
}

/// What one header-list opcode does to a block, found and checked without changing it: the
/// lines from byte `cut` to byte `rest` give way to `line` (if any). The caller makes the new
/// block, in place or apart ([`edit_block`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edit<'a> {
    pub(crate) cut: usize,
    pub(crate) rest: usize,
    /// The index of the first line given way, and how many.
    pub(crate) first: usize,
    pub(crate) removed: usize,
    pub(crate) line: Option<&'a [u8]>,
    /// Lines in the new block.
    pub(crate) count: usize,
    /// Does the new line enter the table at the next issue (carried literally, or made by
    /// `E:`)?
    pub(crate) sent: bool,
}

/// Finds what one header-list opcode (`H:`, `H:=`, `S:`, `R:`, `I:`, `D:`, `E:`) does to
/// `block`, a list of CRLF-terminated lines starting at `starts`, and checks what the opcode itself
/// requires (the selected line exists, the table holds the entry, the edit keeps words
/// whole); the caller checks the limits. A line `E:` makes is written to `made`.
#[inline]
pub(crate) fn plan_edit<'a>(
    block: &[u8],
    starts: &[usize],
    op: &Op<'a>,
    table: &'a Ring,
    made: &'a mut Vec<u8>,
) -> Result<Edit<'a>, ErrorKind> {
    let count = starts.len();
    // Lines `from..to` give way to `line`.
    let lines = |from: usize, to: usize, line: Option<&'a [u8]>, sent: bool| {
        let (cut, rest) = (line_start(block, starts, from), line_start(block, starts, to));
        let count = count - (to - from) + usize::from(line.is_some());
        Edit { cut, rest, first: from, removed: to - from, line, count, sent }
    };
    let literal =
        matches!(op, Op::Set(Source::Line(_)) | Op::Replace(_, Source::Line(_)) | Op::Insert(_, Source::Line(_)));
    Ok(match *op {
        Op::Header(line) => lines(count, count, Some(line), true),
        Op::HeaderEntry(index) => lines(count, count, Some(resolve(Source::Entry(index), table)?), false),
        Op::Set(src) => {
            let line = resolve(src, table)?;
            match find_name(block, starts, name_of(line)) {
                Some(i) => lines(i, i + 1, Some(line), literal),
                None => lines(count, count, Some(line), literal),
            }
        }
        Op::Replace(sel, src) => {
            let i = select(sel, block, starts, false)?;
            lines(i, i + 1, Some(resolve(src, table)?), literal)
        }
        Op::Insert(sel, src) => {
            let i = select(sel, block, starts, true)?;
            lines(i, i, Some(resolve(src, table)?), literal)
        }
        Op::Delete(sel, n) => {
            let i = select(sel, block, starts, false)?;
            if n > count - i {
                let why = format!("at positions {i} to {} (the state has {count})", i + n - 1);
                return Err(ErrorKind::NoSuchHeader(why));
            }
            lines(i, i + n, None, false)
        }
        Op::Edit(sel, splice) => {
            let i = select(sel, block, starts, false)?;
            let (s, rest) = (line_start(block, starts, i), line_start(block, starts, i + 1));
            let old = &block[s..rest - 2];
            made.clear();
            splice_into(old, &splice, name_of(old).len() + 1, op, made)?;
            Edit { cut: s, rest, first: i, removed: 1, line: Some(made.as_slice()), count, sent: true }
        }
        _ => unreachable!("not a header-list opcode: {op:?}"),
    })
}

/// Applies one header-list opcode to `block` (see [`plan_edit`]), writing the new list to
/// `out` (cleared first).
pub(crate) fn edit_block(
    block: &[u8],
    count: usize,
    op: &Op<'_>,
    table: &Ring,
    out: &mut Vec<u8>,
) -> Result<Edited, ErrorKind> {
    let mut made = Vec::new();
    let mut starts = Vec::with_capacity(count);
    line_starts(block, &mut starts);
    let edit = plan_edit(block, &starts, op, table, &mut made)?;
    out.clear();
    out.reserve(block.len() + edit.line.map_or(0, |l| l.len() + 2));
    out.extend_from_slice(&block[..edit.cut]);
    let sent = edit.line.map(|line| {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        (edit.cut, edit.cut + line.len())
    });
    out.extend_from_slice(&block[edit.rest..]);
    Ok(Edited { count: edit.count, sent: sent.filter(|_| edit.sent) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(block: &[u8], line: &[u8], table: &Ring) -> Result<(String, Option<String>), ErrorKind> {
        let op = crate::compact::syntax::parse_op(line)?;
        let mut out = Vec::new();
        let edited = edit_block(block, spans(block).count(), &op, table, &mut out)?;
        assert_eq!(edited.count, spans(&out).count());
        let sent = edited.sent.map(|(s, e)| String::from_utf8_lossy(&out[s..e]).into_owned());
        Ok((String::from_utf8_lossy(&out).into_owned(), sent))
    }

    const BLOCK: &[u8] = b"Host: a\r\nAccept: */*\r\nCookie: id=17; theme=dark\r\nAccept: x\r\n";

    /// SPEC.md §4.10: every editing opcode on one list.
    #[test]
    fn each_opcode() {
        let mut table = Ring::new(4096);
        table.push(b"Referer: /a", |_, _| {});
        table.push(b"Accept: text/css", |_, _| {});
        let ok = |line: &[u8]| run(BLOCK, line, &table).unwrap();
        let b = |s: &str| s.replace('|', "\r\n");
        assert_eq!(ok(b"H:=1").0, b("Host: a|Accept: */*|Cookie: id=17; theme=dark|Accept: x|Referer: /a|"));
        assert_eq!(ok(b"H:=1").1, None);
        assert_eq!(ok(b"S:accept: y").0, b("Host: a|accept: y|Cookie: id=17; theme=dark|Accept: x|"));
        assert_eq!(ok(b"S:accept: y").1.as_deref(), Some("accept: y"));
        assert_eq!(ok(b"S:=0").0, b("Host: a|Accept: text/css|Cookie: id=17; theme=dark|Accept: x|"));
        assert_eq!(ok(b"S:Dnt: 1").0, b("Host: a|Accept: */*|Cookie: id=17; theme=dark|Accept: x|Dnt: 1|"));
        assert_eq!(ok(b"R:3 Accept: z").0, b("Host: a|Accept: */*|Cookie: id=17; theme=dark|Accept: z|"));
        assert_eq!(ok(b"R:Cookie =0").0, b("Host: a|Accept: */*|Accept: text/css|Accept: x|"));
        assert_eq!(ok(b"I:0 Dnt: 1").0, b("Dnt: 1|Host: a|Accept: */*|Cookie: id=17; theme=dark|Accept: x|"));
        assert_eq!(ok(b"I:4 Dnt: 1").0, b("Host: a|Accept: */*|Cookie: id=17; theme=dark|Accept: x|Dnt: 1|"));
        assert_eq!(ok(b"D:accept").0, b("Host: a|Cookie: id=17; theme=dark|Accept: x|"));
        assert_eq!(ok(b"D:1 3").0, b("Host: a|"));
        assert_eq!(ok(b"E:2 11 2 18").0, b("Host: a|Accept: */*|Cookie: id=18; theme=dark|Accept: x|"));
        assert_eq!(ok(b"E:2 11 2 18").1.as_deref(), Some("Cookie: id=18; theme=dark"));
        assert_eq!(ok(b"E:Cookie 13 12").0, b("Host: a|Accept: */*|Cookie: id=17|Accept: x|"));
    }

    /// The word-at-a-time name comparison beside the byte-at-a-time one it stands for: every
    /// length it treats apart (under four bytes, four to seven, eight and more, a partial last
    /// word), every byte value at every position, so each word path and each case-bit answer
    /// is reached (`^` and `~` differ in the case bit alone, as do `-` and CR).
    #[test]
    fn same_name_is_eq_ignore_ascii_case() {
        let name = b"Sec-Fetch-Dest-Xy^9";
        for n in 0..=name.len() {
            let a = &name[..n];
            for p in 0..n {
                for v in 0..=255u8 {
                    let mut b = a.to_vec();
                    b[p] = v;
                    assert_eq!(same_name(a, &b), a.eq_ignore_ascii_case(&b), "{a:?} against {b:?}");
                }
            }
            let upper = a.to_ascii_uppercase();
            assert!(same_name(a, &upper) && same_name(&upper, a));
        }
    }

    /// SPEC.md §8.2: the errors an editing opcode can meet in the state.
    #[test]
    fn errors() {
        let table = Ring::new(4096);
        let err = |line: &[u8]| run(BLOCK, line, &table).unwrap_err();
        assert!(matches!(err(b"R:4 A: b"), ErrorKind::NoSuchHeader(_)));
        assert!(matches!(err(b"I:5 A: b"), ErrorKind::NoSuchHeader(_)));
        assert!(matches!(err(b"D:Referer"), ErrorKind::NoSuchHeader(_)));
        assert!(matches!(err(b"D:2 3"), ErrorKind::NoSuchHeader(_)));
        assert_eq!(err(b"H:=0"), ErrorKind::UnknownEntry { index: 0, held: 0 });
        assert!(matches!(err(b"E:2 12 1 9"), ErrorKind::InvalidEdit { why, .. } if why.contains("letters")));
        assert!(matches!(err(b"E:2 11 1 9"), ErrorKind::InvalidEdit { why, .. } if why.contains("letters")));
        assert!(matches!(err(b"E:2 3 2 ab"), ErrorKind::InvalidEdit { why: "into the field name", .. }));
        assert!(matches!(err(b"E:0 7 1"), ErrorKind::InvalidEdit { why: "past the end", .. }));
        // Replacing a whole word by one glued to its neighbour splits a run in the new text.
        assert!(matches!(err(b"E:2 14 1 x"), ErrorKind::InvalidEdit { .. }));
    }
}
