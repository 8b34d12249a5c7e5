//! The planner's view of a request's header lines: every prefix of them (the first k lines)
//! with its hash and its length in the block. Equal prefixes hash equal and unequal ones
//! almost never do, so registers are found by the hash of their lines; the ends say where
//! each line starts and stops without looking for CRLF again.
//!
//! The encoder makes the tables of the heads it plans in full ([`Tables`]); a steady request
//! (the state holds its parts) needs none.

use std::sync::Arc;

use crate::message::{Head, Parts};
use crate::wire::chars::common_prefix;

/// The hash of no lines.
const SEED: u64 = 0x243f_6a88_85a3_08d3;

/// The folded multiply of wyhash and foldhash: the 128-bit product's halves XORed, so every
/// input bit reaches the low bits too.
#[inline]
fn mix(x: u64, y: u64) -> u64 {
    let product = u128::from(x) * u128::from(y);
    (product as u64) ^ (product >> 64) as u64
}

/// One word into a prefix hash.
#[inline]
fn step(hash: u64, word: u64) -> u64 {
    mix(hash ^ word, 0x517c_c1b7_2722_0a95)
}

/// Sixteen bytes into a prefix hash, with one multiply: a line's hash waits on half as many
/// as with [`step`]. (The constant holds a byte no field line does, 0x1D, so the second
/// factor is never zero.)
#[inline]
fn step2(hash: u64, pair: &[u8; 16]) -> u64 {
    let pair = u128::from_le_bytes(*pair);
    let (x, y) = (pair as u64, (pair >> 64) as u64);
    mix(hash ^ x, y ^ 0xa076_1d64_78bd_642f)
}

/// One prefix of a head's header lines: its hash and its length in the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix {
    pub(crate) hash: u64,
    /// Bytes of the block it takes, CRLFs included.
    pub(crate) end: usize,
}

impl Prefix {
    /// The empty prefix.
    pub(crate) const EMPTY: Prefix = Prefix { hash: SEED, end: 0 };

    /// This prefix and the next line, `line` (CRLF included): sixteen bytes at a time, then
    /// a word, then the last bytes zero-padded with their count in the top byte.
    #[inline]
    pub(crate) fn then(self, line: &[u8]) -> Prefix {
        let (pairs, rest) = line.as_chunks::<16>();
        let mut hash = pairs.iter().fold(self.hash, step2);
        let (words, tail) = rest.as_chunks::<8>();
        if let Some(w) = words.first() {
            hash = step(hash, u64::from_le_bytes(*w));
        }
        // The tail bytes are the top of the line's last eight, when it has eight.
        let last = match line.last_chunk::<8>() {
            Some(w) if !tail.is_empty() => u64::from_le_bytes(*w) >> (64 - 8 * tail.len()),
            _ => tail.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
        };
        Prefix { hash: step(hash, last ^ (tail.len() as u64) << 56), end: self.end + line.len() }
    }
}

/// Extends `table`, whose last prefix covers the start of `block`, with a prefix for each
/// CRLF-terminated line of the rest.
fn extend(table: &mut Vec<Prefix>, block: &[u8]) {
    let mut last = table.last().copied().unwrap_or(Prefix::EMPTY);
    let from = last.end;
    for lf in memchr::memchr_iter(b'\n', &block[from..]) {
        last = last.then(&block[last.end..=from + lf]);
        table.push(last);
    }
}

/// The table of a block of CRLF-terminated lines: index k covers the first k lines.
pub(crate) fn table_of(block: &[u8]) -> Vec<Prefix> {
    let mut table = vec![Prefix::EMPTY];
    extend(&mut table, block);
    table
}

/// The hash a table gives the whole of a block of CRLF-terminated lines.
pub(crate) fn block_hash(block: &[u8]) -> u64 {
    let mut prefix = Prefix::EMPTY;
    let mut start = 0;
    for lf in memchr::memchr_iter(b'\n', block) {
        prefix = prefix.then(&block[start..=lf]);
        start = lf + 1;
    }
    prefix.hash
}

/// The prefix tables of the heads a plan looks at: the request's, and with header editing
/// off the requests' ahead (whose saves the planner weighs). Each is kept beside the parts
/// it was made for, held so that no other parts can take their address while the table is
/// here: a table is found by the identity of a head's parts (`Arc::ptr_eq`), and parts that
/// are shared are never changed. Tables the next plan still needs (a request ahead is
/// looked at by up to [`ESTIMATE_AHEAD`](super::plan::ESTIMATE_AHEAD) plans) are kept; the
/// others go, their allocations kept for the next.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    /// The tables, the request planned last first.
    entries: Vec<(Arc<Parts>, Vec<Prefix>)>,
    /// Tables no longer used, kept for their allocations.
    spare: Vec<Vec<Prefix>>,
}

impl Tables {
    /// Makes the tables of `head` and of `ahead` (give none unless their tables are read),
    /// keeping those made before for the same parts and dropping the others. A new table
    /// for `head` takes the prefixes of the lines it shares with the request planned before
    /// (a session's requests share most of theirs) and hashes only the rest.
    pub(crate) fn make(&mut self, head: &Head, ahead: &[Head]) {
        match self.position(head) {
            Some(i) => self.entries[..=i].rotate_right(1),
            None => {
                let mut table = self.spare.pop().unwrap_or_default();
                table.clear();
                let block = head.headers().as_block();
                match self.entries.first() {
                    Some((parts, before)) => {
                        // The prefixes whose lines lie wholly in the bytes both blocks share.
                        let shared = common_prefix(block, parts.headers.as_block());
                        let lines = before.partition_point(|p| p.end <= shared);
                        table.extend_from_slice(&before[..lines]);
                    }
                    None => table.push(Prefix::EMPTY),
                }
                extend(&mut table, block);
                debug_assert_eq!(table, table_of(block), "the shared prefixes are the head's own");
                self.entries.insert(0, (head.parts.clone(), table));
            }
        }
        for next in ahead {
            if self.position(next).is_none() {
                let mut table = self.spare.pop().unwrap_or_default();
                table.clear();
                table.push(Prefix::EMPTY);
                extend(&mut table, next.headers().as_block());
                self.entries.push((next.parts.clone(), table));
            }
        }
        // Only the tables of this plan stay.
        let mut i = 1;
        while i < self.entries.len() {
            let parts = &self.entries[i].0;
            if ahead.iter().any(|next| Arc::ptr_eq(&next.parts, parts)) {
                i += 1;
            } else {
                let (_, table) = self.entries.swap_remove(i);
                self.spare.push(table);
            }
        }
    }

    fn position(&self, head: &Head) -> Option<usize> {
        self.entries.iter().position(|(parts, _)| Arc::ptr_eq(parts, &head.parts))
    }

    /// The table of `head`, made by the last [`Tables::make`] (the request or one ahead).
    #[inline]
    pub(crate) fn of(&self, head: &Head) -> &[Prefix] {
        match self.entries.iter().find(|(parts, _)| Arc::ptr_eq(parts, &head.parts)) {
            Some((_, table)) => table,
            None => unreachable!("the tables are made before the plan that reads them"),
        }
    }

    /// Has a table been made for `head`'s parts?
    #[cfg(test)]
    pub(crate) fn has(&self, head: &Head) -> bool {
        self.position(head).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table: a prefix per line, ends at each CRLF, and hashes that tell lines apart.
    #[test]
    fn prefix_tables() {
        let block = b"Host: a\r\nX-Long-Name: a value of some length\r\nX:\r\n\r\n";
        let table = table_of(block);
        let ends: Vec<usize> = table.iter().map(|p| p.end).collect();
        assert_eq!(ends, [0, 9, 46, 50, 52]);
        assert_eq!(block_hash(block), table[4].hash);
        // Bytes after the last LF are no line.
        assert_eq!(table_of(&block[..51]).len(), 4);
        // Every one-byte change of a line, at every length from 0 to 40 bytes, and every
        // line of those lengths, hashes apart from all the others, alone and after a line.
        let mut seen = std::collections::HashMap::new();
        let after = Prefix::EMPTY.then(b"Host: a\r\n");
        for len in 0..=40usize {
            let base: Vec<u8> = (0..len).map(|i| b"abcdefgh"[i % 8]).collect();
            crate::wire::chars::tests::each_variant(&base, |line| {
                let mut line = line.to_vec();
                line.extend_from_slice(b"\r\n");
                for start in [Prefix::EMPTY, after] {
                    let hash = start.then(&line).hash;
                    if let Some(other) = seen.insert(hash, (start, line.clone())) {
                        assert_eq!(other, (start, line.clone()), "{hash:x}");
                    }
                }
            });
        }
        assert!(seen.len() > 200_000);
    }

    /// A table made from the one before shares its prefixes exactly as far as whole lines
    /// are shared (checked against a fresh table by `make` itself), and the tables of the
    /// heads ahead stay only while they are ahead.
    #[test]
    fn tables_made_from_the_one_before() {
        use crate::message::{Framing, Headers, Version};
        let head = |lines: &[&[u8]]| {
            let mut headers = Headers::new();
            for line in lines {
                headers.push(line).unwrap();
            }
            Head::new("GET".into(), "/".into(), Version::HTTP_11, headers, Framing::None).unwrap()
        };
        let heads = [
            head(&[b"Host: a", b"X: ab", b"Y: c"]),
            head(&[b"Host: a", b"X: ab", b"Y: cd"]),
            head(&[b"Host: a", b"X: a", b"Y: c"]),
            head(&[b"Host: a", b"X: abc"]),
            head(&[b"Host: a"]),
            head(&[]),
            head(&[b"Host: a", b"X: ab", b"Y: c", b"Z: 1"]),
        ];
        let mut tables = Tables::default();
        for (i, h) in heads.iter().enumerate() {
            let ahead = &heads[i + 1..heads.len().min(i + 3)];
            tables.make(h, ahead);
            assert_eq!(tables.of(h), table_of(h.headers().as_block()));
            assert_eq!(tables.entries.len(), 1 + ahead.len());
            assert!(ahead.iter().all(|a| tables.of(a) == table_of(a.headers().as_block())));
        }
        // The same parts again keep their table; another head's parts drop it.
        tables.make(&heads[6], &[]);
        assert_eq!(tables.entries.len(), 1);
        assert!(tables.has(&heads[6]) && !tables.has(&heads[5]));
    }
}
