//! The table of recently sent header lines (SPEC.md §5.4): a bounded list, newest first,
//! that `=INDEX` references name by position.
//!
//! Lines enter it when a request is issued: those the stream carried literally (`H:`, `S:`,
//! `R:`, `I:`) or made by an edit (`E:`) since the request before. Until then they wait in a
//! second list of the same kind, so that references within one request's lines all name the
//! table as the last issue left it.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are hashes already.
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A hash of a line, eight bytes at a time: the encoder's key for finding it in the table,
/// and its quick test of two lines for equality.
pub(crate) fn line_hash(line: &[u8]) -> u64 {
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    let (words, tail) = line.as_chunks::<8>();
    let h = words.iter().fold(line.len() as u64, |h, w| mix(h, u64::from_le_bytes(*w)));
    let last = tail.iter().rev().fold(0u64, |w, &b| (w << 8) | u64::from(b));
    mix(h, last) ^ (h >> 32)
}

/// What an entry counts against the table's size besides its bytes (as in HPACK, RFC 7541
/// §4.1): the bookkeeping an entry takes whatever it holds.
pub(crate) const ENTRY_OVERHEAD: usize = 32;

/// A bounded list of lines, oldest first, whose sizes (length + [`ENTRY_OVERHEAD`]) sum to at
/// most `cap`. Pushing evicts the oldest lines until the new one fits; a line bigger than the
/// whole capacity is not kept at all. The bytes live in one buffer that is compacted when the
/// evicted part outgrows the capacity, so a steady stream of pushes allocates nothing and the
/// memory stays within about three times `cap`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ring {
    data: Vec<u8>,
    /// (start in the absolute byte space, length) of each line, oldest first.
    spans: VecDeque<(usize, usize)>,
    /// Absolute position of `data[0]`.
    start: usize,
    size: usize,
    cap: usize,
    /// Lines ever pushed and kept: the newest line's sequence number is `pushed - 1`.
    pushed: u64,
}

impl Ring {
    pub(crate) fn new(cap: usize) -> Ring {
        Ring { cap, ..Ring::default() }
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The line `index` places from the newest (0 is the newest).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&[u8]> {
        // (`index + 1` would overflow for `usize::MAX`, which a caller of
        // `State::table_entry` may pass.)
        let i = self.spans.len().checked_sub(1)?.checked_sub(index)?;
        let (at, len) = self.spans[i];
        Some(&self.data[at - self.start..at - self.start + len])
    }

    /// Index (from the newest) of the line with sequence number `seq`, if it is still held.
    pub(crate) fn index_of(&self, seq: u64) -> Option<usize> {
        let age = self.pushed.checked_sub(seq + 1)?;
        (age < self.spans.len() as u64).then_some(age as usize)
    }

    /// Adds `line` as the newest, evicting the oldest until it fits. Returns the evicted
    /// lines' sequence numbers (oldest first) through `evicted`, and whether the line was
    /// kept.
    pub(crate) fn push(&mut self, line: &[u8], mut evicted: impl FnMut(u64, &[u8])) -> bool {
        let size = line.len() + ENTRY_OVERHEAD;
        if size > self.cap {
            return false;
        }
        while self.size + size > self.cap {
            let oldest = self.pushed - self.spans.len() as u64;
            let Some((at, len)) = self.spans.pop_front() else { break };
            evicted(oldest, &self.data[at - self.start..at - self.start + len]);
            self.size -= len + ENTRY_OVERHEAD;
        }
        if self.data.len() > self.cap.saturating_mul(2) {
            let keep = self.spans.front().map_or(self.start + self.data.len(), |s| s.0);
            self.data.drain(..keep - self.start);
            self.start = keep;
        }
        self.spans.push_back((self.start + self.data.len(), line.len()));
        self.data.extend_from_slice(line);
        self.size += size;
        self.pushed += 1;
        true
    }

    /// Moves every line of `from` into `self`, oldest first, and empties `from`.
    pub(crate) fn take_from(&mut self, from: &mut Ring, mut evicted: impl FnMut(u64, &[u8])) {
        for i in (0..from.len()).rev() {
            let (at, len) = from.spans[from.spans.len() - 1 - i];
            let line = &from.data[at - from.start..at - from.start + len];
            self.push(line, &mut evicted);
        }
        from.clear();
    }

    pub(crate) fn clear(&mut self) {
        self.start += self.data.len();
        self.data.clear();
        self.spans.clear();
        self.size = 0;
    }

    /// The lines, oldest first.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).rev().filter_map(|i| self.get(i))
    }
}

/// The table and the lines waiting to enter it at the next issue. The decoder's has no
/// index; the encoder's mirror ([`Table::indexed`]) also finds a line's entry by its hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) lines: Ring,
    pending: Ring,
    /// Hash of a line → sequence number of the newest entry holding it (encoder only).
    index: Option<HashMap<u64, u64, BuildHasherDefault<Prehashed>>>,
}

impl Table {
    pub(crate) fn new(cap: usize) -> Table {
        Table { lines: Ring::new(cap), pending: Ring::new(cap), index: None }
    }

    /// A table that can also [`Table::find`] lines.
    pub(crate) fn indexed(cap: usize) -> Table {
        Table { index: Some(HashMap::default()), ..Table::new(cap) }
    }

    /// The index of the entry holding `line`, if any (the newest such entry).
    #[cfg(test)]
    pub(crate) fn find(&self, line: &[u8]) -> Option<usize> {
        self.find_hashed(line, line_hash(line))
    }

    /// [`Table::find`] for a line whose [`line_hash`] is known.
    pub(crate) fn find_hashed(&self, line: &[u8], hash: u64) -> Option<usize> {
        let seq = *self.index.as_ref()?.get(&hash)?;
        let index = self.lines.index_of(seq)?;
        (self.lines.get(index) == Some(line)).then_some(index)
    }

    /// A line carried literally or made by an edit: it enters the table at the next issue.
    /// (Only the newest lines that fit the table can survive the issue, so the waiting list
    /// is bounded by the same size.)
    #[inline]
    pub(crate) fn sent(&mut self, line: &[u8]) {
        if self.lines.cap != 0 {
            self.pending.push(line, |_, _| {});
        }
    }

    /// A request was issued: the waiting lines enter the table, oldest first.
    #[inline]
    pub(crate) fn issued(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        match &mut self.index {
            None => self.lines.take_from(&mut self.pending, |_, _| {}),
            Some(index) => {
                for i in (0..self.pending.len()).rev() {
                    let Some(line) = self.pending.get(i) else { continue };
                    let kept = self.lines.push(line, |seq, old| {
                        let hash = line_hash(old);
                        if index.get(&hash) == Some(&seq) {
                            index.remove(&hash);
                        }
                    });
                    if kept {
                        index.insert(line_hash(line), self.lines.pushed - 1);
                    }
                }
                self.pending.clear();
            }
        }
    }

    /// The line `=index` names.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&[u8]> {
        self.lines.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_and_skips_oversized() {
        let mut t = Ring::new(3 * (ENTRY_OVERHEAD + 4));
        for line in [b"A: 1", b"B: 2", b"C: 3"] {
            assert!(t.push(line, |_, _| panic!("nothing to evict")));
        }
        assert_eq!(t.get(0), Some(&b"C: 3"[..]));
        assert_eq!(t.get(2), Some(&b"A: 1"[..]));
        assert_eq!(t.get(3), None);
        let mut gone = Vec::new();
        assert!(t.push(b"D: 4", |seq, line| gone.push((seq, line.to_vec()))));
        assert_eq!(gone, [(0, b"A: 1".to_vec())]);
        assert_eq!(t.iter().collect::<Vec<_>>(), [&b"B: 2"[..], b"C: 3", b"D: 4"]);
        assert_eq!(t.index_of(3), Some(0));
        assert_eq!(t.index_of(0), None);
        let big = vec![b'x'; 3 * (ENTRY_OVERHEAD + 4)];
        assert!(!t.push(&big, |_, _| panic!("an oversized line evicts nothing")));
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut t = Ring::new(4096);
        for i in 0..100_000u32 {
            t.push(format!("X-Id: {i}").as_bytes(), |_, _| {});
            assert!(t.data.len() <= 2 * 4096 + 64);
        }
        assert_eq!(t.get(0), Some(&b"X-Id: 99999"[..]));
    }

    #[test]
    fn pending_lines_enter_at_issue() {
        let mut t = Table::new(4096);
        t.sent(b"A: 1");
        assert_eq!(t.get(0), None);
        t.sent(b"B: 2");
        t.issued();
        assert_eq!(t.get(0), Some(&b"B: 2"[..]));
        assert_eq!(t.get(1), Some(&b"A: 1"[..]));
        t.issued();
        assert_eq!(t.lines.len(), 2);
        let mut indexed = Table::indexed(2 * (ENTRY_OVERHEAD + 4));
        for line in [b"A: 1", b"B: 2", b"A: 1", b"C: 3"] {
            indexed.sent(line);
            indexed.issued();
        }
        assert_eq!(indexed.find(b"C: 3"), Some(0));
        assert_eq!(indexed.find(b"A: 1"), Some(1));
        assert_eq!(indexed.find(b"B: 2"), None);
        let mut off = Table::new(0);
        off.sent(b"A: 1");
        off.issued();
        assert_eq!(off.get(0), None);
    }
}
