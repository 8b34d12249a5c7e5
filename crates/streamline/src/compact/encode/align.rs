//! Header editing in the planner (SPEC.md §9.5): the cheapest way, in bytes, from a start
//! state's header lines to a request's, as an alignment of the two lists. Each old line is
//! kept, deleted (`D:`) or replaced (`S:`, `R:`, `E:`); each new line not matched is inserted
//! (`I:`, or `H:` at the end), written out or named by its table entry (`=INDEX`).
//!
//! Pure: it reads the two lists and the encoder's table and returns a [`Script`]; the encoder
//! turns each [`Change`] into the [`Op`] it writes and applies (one function,
//! [`Change::op`], for both).

use crate::compact::edit::{name_of, spans, splits_word};
use crate::compact::op::{Op, Select, Source, Splice};
use crate::compact::table::Table;
use crate::message::{decimal_len, Head};

/// Cells the alignment may fill (old lines × new lines, after the lines shared at both ends
/// are set aside). Past it, the lines between are deleted and inserted without aligning:
/// heads of hundreds of lines stay linear.
const MAX_CELLS: usize = 64 * 64;

/// How a new line takes its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Put {
    /// `H:` at the end of the list.
    Append,
    /// `I:` before the line at the position.
    Insert,
    /// `R:` in place of the line at the position.
    Replace,
    /// `S:` in place of the first line with its name.
    Set,
}

/// One step from the old list to the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// `D:AT COUNT`.
    Delete { at: usize, count: usize },
    /// The request's line `line` at position `at`, written out or as table entry `entry`.
    Put { how: Put, at: usize, line: usize, entry: Option<usize> },
    /// `E:AT OFF LEN TEXT`: the line at `at` becomes the request's line `line`, whose bytes
    /// `off..off + text` replace the old line's `off..off + len`.
    Edit { at: usize, line: usize, off: usize, len: usize, text: usize },
}

impl Change {
    /// The opcode this change writes, with the request's line `line` taken from `head`.
    pub(crate) fn op<'h>(&self, head: &'h Head) -> Op<'h> {
        let line = |i: usize| {
            let p = head.prefixes();
            &head.headers().as_block()[p[i].end..p[i + 1].end - 2]
        };
        match *self {
            Change::Delete { at, count } => Op::Delete(Select::Position(at), count),
            Change::Put { how, at, line: i, entry } => {
                let src = entry.map_or_else(|| Source::Line(line(i)), Source::Entry);
                match (how, src) {
                    (Put::Append, Source::Line(l)) => Op::Header(l),
                    (Put::Append, Source::Entry(e)) => Op::HeaderEntry(e),
                    (Put::Insert, src) => Op::Insert(Select::Position(at), src),
                    (Put::Replace, src) => Op::Replace(Select::Position(at), src),
                    (Put::Set, src) => Op::Set(src),
                }
            }
            Change::Edit { at, line: i, off, len, text } => {
                Op::Edit(Select::Position(at), Splice { at: off, len, text: &line(i)[off..off + text] })
            }
        }
    }
}

/// What the planner needs of the encoder to price lines.
pub(crate) struct Pricing<'a> {
    pub(crate) table: &'a Table,
    /// Field names (lowercase) whose values are never edited in part (SPEC.md §12).
    pub(crate) sensitive: &'a [Vec<u8>],
}

impl Pricing<'_> {
    fn sensitive(&self, name: &[u8]) -> bool {
        self.sensitive.iter().any(|s| s.eq_ignore_ascii_case(name))
    }
}

/// The changes from one list to another, what they cost, and the most lines and line bytes
/// the list holds on the way (which the limits must allow).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Script {
    pub(crate) changes: Vec<Change>,
    pub(crate) cost: usize,
    pub(crate) peak_lines: usize,
    pub(crate) peak_bytes: usize,
}

/// One move of the alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Keep,
    Delete,
    Insert,
    Replace,
}

/// The cheapest script from the lines of `old` (a block of CRLF-terminated lines) to the
/// request's.
pub(crate) fn align(old: &[u8], head: &Head, pricing: &Pricing<'_>) -> Script {
    let a: Vec<(usize, usize)> = spans(old).collect();
    let new = head.headers().as_block();
    let b: Vec<(usize, usize)> = spans(new).collect();
    let line_a = |i: usize| &old[a[i].0..a[i].1];
    let line_b = |j: usize| &new[b[j].0..b[j].1];
    let (m, n) = (a.len(), b.len());
    let pre = (0..m.min(n)).take_while(|&k| line_a(k) == line_b(k)).count();
    let suf = (0..m.min(n) - pre).take_while(|&k| line_a(m - 1 - k) == line_b(n - 1 - k)).count();
    // What each new line costs as a source: written out, or its table entry.
    let entries: Vec<Option<usize>> = (0..n).map(|j| pricing.table.find(line_b(j))).collect();
    let src = |j: usize| entries[j].map_or(line_b(j).len(), |e| (1 + decimal_len(e as u64)).min(line_b(j).len()));
    let entry = |j: usize| entries[j].filter(|&e| 1 + decimal_len(e as u64) < line_b(j).len());
    // Is the request's line `j` the first with its name (so `S:` finds the line it replaces)?
    let first_of_name: Vec<bool> = (0..n)
        .map(|j| {
            let name = name_of(line_b(j));
            (0..j).all(|k| !name_of(line_b(k)).eq_ignore_ascii_case(name))
        })
        .collect();
    let pos_len = |j: usize| decimal_len(j as u64);
    let ins = |i: usize, j: usize| if i == m { 4 + src(j) } else { 5 + pos_len(j) + src(j) };
    // The cheapest replacement of old line i by new line j, and how.
    let replace = |i: usize, j: usize| -> (usize, Change) {
        let (o, w) = (line_a(i), line_b(j));
        let put = |how| Change::Put { how, at: j, line: j, entry: entry(j) };
        let mut best = (5 + pos_len(j) + src(j), put(Put::Replace));
        let same_name = name_of(o).eq_ignore_ascii_case(name_of(w));
        if same_name && first_of_name[j] && 4 + src(j) <= best.0 {
            best = (4 + src(j), put(Put::Set));
        }
        if name_of(o) == name_of(w) && !pricing.sensitive(name_of(w)) {
            let (off, len, text) = token_splice(o, w);
            let cost =
                5 + pos_len(j) + decimal_len(off as u64) + 1 + decimal_len(len as u64) + usize::from(text > 0) + text;
            if cost < best.0 {
                best = (cost, Change::Edit { at: j, line: j, off, len, text });
            }
        }
        best
    };
    // The middle: old lines pre..m-suf against new lines pre..n-suf.
    let (mo, mn) = (m - suf - pre, n - suf - pre);
    let mut moves = Vec::with_capacity(m + n);
    moves.extend(std::iter::repeat_n(Move::Keep, pre));
    if mo * mn <= MAX_CELLS {
        let same = |i: usize, j: usize| line_a(i) == line_b(j);
        dp(mo, mn, pre, &mut moves, same, ins, |i, j| replace(i, j).0, pos_len);
    } else {
        moves.extend(std::iter::repeat_n(Move::Delete, mo));
        moves.extend(std::iter::repeat_n(Move::Insert, mn));
    }
    moves.extend(std::iter::repeat_n(Move::Keep, suf));
    // The moves become changes; the list's size is followed along the way.
    let mut script = Script::default();
    let (mut i, mut j) = (0, 0);
    let mut lines = m;
    let mut bytes: usize = (0..m).map(|k| line_a(k).len()).sum();
    script.peak_lines = lines;
    script.peak_bytes = bytes;
    for mv in moves {
        match mv {
            Move::Keep => {
                i += 1;
                j += 1;
            }
            Move::Delete => {
                match script.changes.last_mut() {
                    Some(Change::Delete { at, count }) if *at == j => *count += 1,
                    _ => script.changes.push(Change::Delete { at: j, count: 1 }),
                }
                lines -= 1;
                bytes -= line_a(i).len();
                i += 1;
            }
            Move::Insert => {
                let how = if i == m { Put::Append } else { Put::Insert };
                script.changes.push(Change::Put { how, at: j, line: j, entry: entry(j) });
                lines += 1;
                bytes += line_b(j).len();
                j += 1;
            }
            Move::Replace => {
                script.changes.push(replace(i, j).1);
                bytes = bytes - line_a(i).len() + line_b(j).len();
                i += 1;
                j += 1;
            }
        }
        script.peak_lines = script.peak_lines.max(lines);
        script.peak_bytes = script.peak_bytes.max(bytes);
    }
    debug_assert_eq!((i, j), (m, n));
    script.cost = script.changes.iter().map(|c| c.op(head).encoded_len()).sum();
    script
}

/// The alignment proper: fills the cost table for old lines `pre..pre + mo` against new lines
/// `pre..pre + mn` and appends the cheapest moves. A delete that follows a delete at the same
/// position joins its `D:` line and costs about a byte, so the table has two layers: the
/// last move a delete or not. Ties go to keep, then replace, delete, insert.
#[allow(clippy::too_many_arguments)]
fn dp(
    mo: usize,
    mn: usize,
    pre: usize,
    moves: &mut Vec<Move>,
    same: impl Fn(usize, usize) -> bool,
    ins: impl Fn(usize, usize) -> usize,
    replace: impl Fn(usize, usize) -> usize,
    pos_len: impl Fn(usize) -> usize,
) {
    let w = mn + 1;
    let cell = |i: usize, j: usize| i * w + j;
    // cost[layer][cell], and the move that reached it (with the layer it came from).
    let mut cost = [vec![usize::MAX; (mo + 1) * w], vec![usize::MAX; (mo + 1) * w]];
    let mut from = [vec![(Move::Keep, 0u8); (mo + 1) * w], vec![(Move::Keep, 0u8); (mo + 1) * w]];
    cost[0][0] = 0;
    for i in 0..=mo {
        for j in 0..=mn {
            for layer in 0..2 {
                let here = cost[layer][cell(i, j)];
                if here == usize::MAX {
                    continue;
                }
                let (oi, nj) = (pre + i, pre + j);
                let mut relax = |ni: usize, nj2: usize, nl: usize, c: usize, mv: Move| {
                    let k = cell(ni, nj2);
                    if here + c < cost[nl][k] {
                        cost[nl][k] = here + c;
                        from[nl][k] = (mv, layer as u8);
                    }
                };
                if i < mo && j < mn && same(oi, nj) {
                    relax(i + 1, j + 1, 0, 0, Move::Keep);
                }
                if i < mo && j < mn {
                    relax(i + 1, j + 1, 0, replace(oi, nj), Move::Replace);
                }
                if i < mo {
                    let c = if layer == 1 { 1 } else { 4 + pos_len(nj) };
                    relax(i + 1, j, 1, c, Move::Delete);
                }
                if j < mn {
                    relax(i, j + 1, 0, ins(oi, nj), Move::Insert);
                }
            }
        }
    }
    let mut layer = if cost[0][cell(mo, mn)] <= cost[1][cell(mo, mn)] { 0 } else { 1 };
    let (mut i, mut j) = (mo, mn);
    let start = moves.len();
    while (i, j) != (0, 0) {
        let (mv, prev) = from[layer][cell(i, j)];
        moves.push(mv);
        match mv {
            Move::Keep | Move::Replace => {
                i -= 1;
                j -= 1;
            }
            Move::Delete => i -= 1,
            Move::Insert => j -= 1,
        }
        layer = prev as usize;
    }
    moves[start..].reverse();
}

/// The splice that turns `old` into `new` (same field name, different lines) with words
/// kept whole: the bytes both share at the front and at the back are kept, less any part of
/// a run of letters and digits the cut would split. Returns (offset, replaced length, text
/// length); the text is `new[offset..offset + text length]`.
pub(crate) fn token_splice(old: &[u8], new: &[u8]) -> (usize, usize, usize) {
    splice_keeping(old, new, name_of(old).len() + 1)
}

/// [`token_splice`] for any text whose first `fixed` bytes stay (0 for a base).
pub(crate) fn splice_keeping(old: &[u8], new: &[u8], fixed: usize) -> (usize, usize, usize) {
    let shortest = old.len().min(new.len());
    let mut front = old.iter().zip(new).take_while(|(x, y)| x == y).count().min(shortest);
    let mut back = old.iter().rev().zip(new.iter().rev()).take_while(|(x, y)| x == y).count();
    back = back.min(shortest - front);
    while front > fixed && (splits_word(old, front) || splits_word(new, front)) {
        front -= 1;
    }
    front = front.max(fixed.min(shortest));
    back = back.min(shortest - front);
    while back > 0 && (splits_word(old, old.len() - back) || splits_word(new, new.len() - back)) {
        back -= 1;
    }
    (front, old.len() - front - back, new.len() - front - back)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_keep_words_whole() {
        fn t<'a>(o: &str, w: &'a str) -> (usize, usize, &'a str) {
            let (off, len, text) = token_splice(o.as_bytes(), w.as_bytes());
            (off, len, &w[off..off + text])
        }
        assert_eq!(t("X-Id: 1234", "X-Id: 1235"), (6, 4, "1235"));
        assert_eq!(t("Cookie: a=1; b=22; c=3", "Cookie: a=1; b=23; c=3"), (15, 2, "23"));
        assert_eq!(t("Referer: /p/7/x", "Referer: /p/8/x"), (12, 1, "8"));
        assert_eq!(t("A: abc", "A: abd"), (3, 3, "abd"));
        assert_eq!(t("A: x-1", "A: x-1-2"), (6, 0, "-2"));
        assert_eq!(t("A: x", "A: "), (3, 1, ""));
    }
}
