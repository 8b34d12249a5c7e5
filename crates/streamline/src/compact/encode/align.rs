//! Header editing in the planner (SPEC.md §9.5): the cheapest way, in bytes, from a start
//! state's header lines to a request's, as an alignment of the two lists. Each old line is
//! kept, deleted (`D:`) or replaced (`S:`, `R:`, `E:`); each new line not matched is inserted
//! (`I:`, or `H:` at the end), written out or named by its table entry (`=INDEX`).
//!
//! Pure: it reads the two lists and the encoder's table and returns a [`Script`]; the encoder
//! turns each [`Change`] into the [`Op`] it writes and applies (one function,
//! [`Change::op`], for both).

use crate::compact::edit::{name_of, spans, splits_word};
use crate::compact::encode::prefix::Prefix;
use crate::compact::op::{Op, Select, Source, Splice};
use crate::compact::table::line_hash;
use crate::compact::table::Table;
use crate::message::{decimal_len, Head};
use crate::wire::chars::common_prefix;

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
    /// The opcode this change writes, with the request's line `line` taken from `head`,
    /// whose prefix table is `p`.
    pub(crate) fn op<'h>(&self, head: &'h Head, p: &[Prefix]) -> Op<'h> {
        self.op_with(|i| &head.headers().as_block()[p[i].end..p[i + 1].end - 2])
    }

    /// The opcode this change writes, with the request's line `i` given by `line(i)`.
    fn op_with<'h>(&self, line: impl Fn(usize) -> &'h [u8]) -> Op<'h> {
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

    /// Bytes of the line [`Change::op`] writes, CR LF included.
    fn cost(&self, want: &Wanted<'_>) -> usize {
        self.op_with(|i| want.line(i)).encoded_len()
    }
}

/// What the planner needs of the encoder to price lines.
pub(crate) struct Pricing<'a> {
    pub(crate) table: &'a Table,
    /// The longest line the decoder reads (`Limits::max_line`): an edit line past it is
    /// never written.
    pub(crate) max_line: usize,
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
    /// The cost of the changes other than `E:` edits: lines added, removed or replaced.
    pub(crate) structural: usize,
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

/// What the alignment needs of the request's lines, worked out once per request whatever
/// the number of starts tried.
pub(crate) struct Wanted<'h> {
    block: &'h [u8],
    spans: Vec<(usize, usize)>,
    /// Each line's field-name length.
    names: Vec<usize>,
    /// Each line's table entry, where naming it is shorter than writing it.
    entries: Vec<Option<usize>>,
    /// Each line's cost as a source: written out, or its table entry.
    src: Vec<usize>,
    /// Is the line the first with its name (so `S:` finds the line it replaces)?
    first_of_name: Vec<bool>,
    /// Is the line's field sensitive (never edited in part)?
    sensitive: Vec<bool>,
    /// Each line's hash, for quick comparisons.
    hashes: Vec<u64>,
    /// Each line's field name's hash, case folded.
    name_hashes: Vec<u64>,
    max_line: usize,
    /// The least any line costs to put in place when the start lacks it: its source with
    /// `H:`, or the shortest `E:` line.
    floor: Vec<usize>,
}

impl<'h> Wanted<'h> {
    pub(crate) fn new(head: &'h Head, pricing: &Pricing<'_>) -> Wanted<'h> {
        let block = head.headers().as_block();
        let n = head.headers().len();
        let mut spans_ = Vec::with_capacity(n);
        spans_.extend(spans(block));
        let spans = spans_;
        let line = |j: usize| &block[spans[j].0..spans[j].1];
        let (mut names, mut entries, mut src, mut first_of_name, mut sensitive, mut hashes, mut name_hashes, mut floor) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for j in 0..n {
            let l = line(j);
            let name = name_of(l);
            let hash = line_hash(l);
            // A table entry, where naming it is shorter than writing the line.
            let entry = pricing.table.find_hashed(l, hash).filter(|&e| 1 + digits(e) < l.len());
            let nh = name_hash(name);
            names.push(name.len());
            entries.push(entry);
            src.push(entry.map_or(l.len(), |e| 1 + digits(e)));
            first_of_name.push(!name_hashes.contains(&nh));
            sensitive.push(pricing.sensitive(name));
            hashes.push(hash);
            name_hashes.push(nh);
            // `E:P O L` CRLF is at least 9 bytes (one digit each, no text).
            floor.push((4 + src[j]).min(9));
        }
        let max_line = pricing.max_line;
        Wanted { block, spans, names, entries, src, first_of_name, sensitive, hashes, name_hashes, max_line, floor }
    }

    /// A lower bound on what any script from a start whose lines hash to `old` costs: each
    /// wanted line the start lacks must be put in place.
    pub(crate) fn lower_bound(&self, old: &[u64]) -> usize {
        self.hashes.iter().zip(&self.floor).filter(|(h, _)| !old.contains(h)).map(|(_, &f)| f).sum()
    }

    fn line(&self, j: usize) -> &'h [u8] {
        &self.block[self.spans[j].0..self.spans[j].1]
    }
}

/// A field name's hash, case folded: names that are equal in any case hash alike.
fn name_hash(name: &[u8]) -> u64 {
    name.iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3))
}

/// Digits of a small number (positions, offsets, counts), without a logarithm.
#[inline]
fn digits(n: usize) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        _ => decimal_len(n as u64),
    }
}

/// The hashes of the lines of a block, as [`align`] and [`Wanted::lower_bound`] take them.
pub(crate) fn line_hashes(block: &[u8], out: &mut Vec<u64>) {
    out.clear();
    out.extend(spans(block).map(|(s, e)| line_hash(&block[s..e])));
}

/// The cheapest script from the lines of `old` (a block of CRLF-terminated lines) to the
/// request's.
pub(crate) fn align(old: &[u8], hashes: &[u64], want: &Wanted<'_>) -> Script {
    let mut a = Vec::with_capacity(hashes.len());
    a.extend(spans(old));
    let line_a = |i: usize| &old[a[i].0..a[i].1];
    let line_b = |j: usize| want.line(j);
    let same = |i: usize, j: usize| hashes[i] == want.hashes[j] && line_a(i) == line_b(j);
    let (m, n) = (a.len(), want.spans.len());
    let pre = (0..m.min(n)).take_while(|&k| same(k, k)).count();
    let suf = (0..m.min(n) - pre).take_while(|&k| same(m - 1 - k, n - 1 - k)).count();
    let src = |j: usize| want.src[j];
    let entry = |j: usize| want.entries[j];
    // The cheapest replacement of old line i by new line j, and how.
    let replace = |i: usize, j: usize| -> (usize, Change) {
        let (o, w) = (line_a(i), line_b(j));
        let put = |how| Change::Put { how, at: j, line: j, entry: entry(j) };
        let mut best = (5 + digits(j) + src(j), put(Put::Replace));
        let name = want.names[j];
        // Old line i has the new line's name if the same bytes end in a colon there.
        let same_len = o.get(name) == Some(&b':');
        if same_len && want.first_of_name[j] && 4 + src(j) <= best.0 && o[..name].eq_ignore_ascii_case(&w[..name]) {
            best = (4 + src(j), put(Put::Set));
        }
        if same_len && !want.sensitive[j] && o[..name] == w[..name] {
            let (off, len, text) = splice_keeping(o, w, name + 1);
            let edit = Change::Edit { at: j, line: j, off, len, text };
            let cost = edit.cost(want);
            if cost < best.0 {
                best = (cost, edit);
            }
        }
        best
    };
    // The middle: old lines pre..m-suf against new lines pre..n-suf.
    let (mo, mn) = (m - suf - pre, n - suf - pre);
    let mut moves = Vec::with_capacity(m + n);
    moves.extend(std::iter::repeat_n(Move::Keep, pre));
    if mo * mn <= MAX_CELLS {
        // Each cell's costs, worked out before the table is filled: a replacement is priced
        // in full only where the old line has the new one's field name.
        let old_names: Vec<u64> = (pre..pre + mo).map(|i| name_hash(name_of(line_a(i)))).collect();
        let mut costs = Costs { mo, mn, same: vec![false; mo * mn], replace: vec![0; mo * mn], ..Costs::default() };
        for (i, &old_name) in old_names.iter().enumerate() {
            for j in 0..mn {
                let (oi, nj) = (pre + i, pre + j);
                let equal = same(oi, nj);
                costs.same[i * mn + j] = equal;
                // Keeping an equal line is free: its replacement is never taken.
                costs.replace[i * mn + j] = if old_name == want.name_hashes[nj] && !equal {
                    replace(oi, nj).0
                } else {
                    5 + digits(nj) + src(nj)
                };
            }
        }
        // An insert after the last old line is an `H:`, no position.
        let at_end = suf == 0;
        costs.insert = (pre..pre + mn).map(|j| 5 + digits(j) + src(j)).collect();
        costs.append = (pre..pre + mn).map(|j| if at_end { 4 + src(j) } else { 5 + digits(j) + src(j) }).collect();
        costs.delete = (pre..=pre + mn).map(|j| 4 + digits(j)).collect();
        dp(&costs, &mut moves);
    } else {
        moves.extend(std::iter::repeat_n(Move::Delete, mo));
        moves.extend(std::iter::repeat_n(Move::Insert, mn));
    }
    moves.extend(std::iter::repeat_n(Move::Keep, suf));
    // The moves become changes; the list's size is followed along the way.
    let mut script = Script { changes: Vec::with_capacity(mo + mn), ..Script::default() };
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
    // An edit line is longer than the `H:` line of the same field line: where one would pass
    // the line limit, the lines from the first that differs on are deleted and appended
    // instead (every `H:` line fits: the encoder checked the head's lines).
    if script.changes.iter().any(|c| c.cost(want) > want.max_line) {
        script.changes.clear();
        if m > pre {
            script.changes.push(Change::Delete { at: pre, count: m - pre });
        }
        let old_bytes: usize = (0..m).map(|k| line_a(k).len()).sum();
        let new_bytes: usize = (0..n).map(|k| line_b(k).len()).sum();
        script.changes.extend((pre..n).map(|j| Change::Put { how: Put::Append, at: j, line: j, entry: entry(j) }));
        script.peak_lines = m.max(n);
        script.peak_bytes = old_bytes.max(new_bytes);
    }
    script.cost = script.changes.iter().map(|c| c.cost(want)).sum();
    script.structural = script.changes.iter().filter(|c| !matches!(c, Change::Edit { .. })).map(|c| c.cost(want)).sum();
    script
}

/// The costs of every move of the middle of an alignment: `mo` old lines against `mn` new.
#[derive(Default)]
struct Costs {
    mo: usize,
    mn: usize,
    /// Old line i equals new line j (`i * mn + j`).
    same: Vec<bool>,
    /// Replacing old line i by new line j.
    replace: Vec<usize>,
    /// Inserting new line j before an old line, and after the last one.
    insert: Vec<usize>,
    append: Vec<usize>,
    /// The first delete at new position j (later ones in a run cost 1).
    delete: Vec<usize>,
}

/// The alignment proper: fills the cost table and appends the cheapest moves. A delete that
/// follows a delete at the same position joins its `D:` line and costs about a byte, so the
/// table has two layers: the last move a delete or not. Ties go to keep, then replace,
/// delete, insert.
fn dp(c: &Costs, moves: &mut Vec<Move>) {
    let (mo, mn) = (c.mo, c.mn);
    let w = mn + 1;
    let cells = (mo + 1) * w;
    // Layer 0: the last move was not a delete; layer 1: it was. Each cell keeps its cost and
    // the move that reached it with the layer it came from.
    let mut cost = vec![[usize::MAX; 2]; cells];
    let mut from = vec![[(Move::Keep, 0u8); 2]; cells];
    cost[0][0] = 0;
    for i in 0..=mo {
        for j in 0..=mn {
            let k = i * w + j;
            for layer in 0..2 {
                let here = cost[k][layer];
                if here == usize::MAX {
                    continue;
                }
                let mut relax = |to: usize, nl: usize, add: usize, mv: Move| {
                    if here + add < cost[to][nl] {
                        cost[to][nl] = here + add;
                        from[to][nl] = (mv, layer as u8);
                    }
                };
                if i < mo && j < mn {
                    if c.same[i * mn + j] {
                        relax(k + w + 1, 0, 0, Move::Keep);
                    }
                    relax(k + w + 1, 0, c.replace[i * mn + j], Move::Replace);
                }
                if i < mo {
                    relax(k + w, 1, if layer == 1 { 1 } else { c.delete[j] }, Move::Delete);
                }
                if j < mn {
                    relax(k + 1, 0, if i == mo { c.append[j] } else { c.insert[j] }, Move::Insert);
                }
            }
        }
    }
    let end = cells - 1;
    let mut layer = usize::from(cost[end][1] < cost[end][0]);
    let (mut i, mut j) = (mo, mn);
    let start = moves.len();
    while (i, j) != (0, 0) {
        let (mv, prev) = from[i * w + j][layer];
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
#[cfg(test)]
pub(crate) fn token_splice(old: &[u8], new: &[u8]) -> (usize, usize, usize) {
    splice_keeping(old, new, name_of(old).len() + 1)
}

/// [`token_splice`] for any text whose first `fixed` bytes stay (0 for a base).
pub(crate) fn splice_keeping(old: &[u8], new: &[u8], fixed: usize) -> (usize, usize, usize) {
    let shortest = old.len().min(new.len());
    let mut front = common_prefix(old, new).min(shortest);
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
