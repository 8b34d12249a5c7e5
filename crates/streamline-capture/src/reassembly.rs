//! One direction of a TCP connection: segments in, the byte stream out, in order.
//!
//! Sequence numbers are 32 bits and wrap; each is read as the stream offset nearest the next
//! byte expected (within 2^31 of it), so a stream may be longer than 4 GiB. A segment at the
//! next offset goes straight out (the common case: no copy); one ahead of it waits, copied,
//! until the bytes before it come. Where two copies of a byte overlap, the first one to arrive
//! is kept (as Wireshark, Suricata and Zeek do by default) and a conflict is counted when they
//! differ. The bytes waiting are bounded: past the budget, the missing bytes in front are
//! declared lost (a gap), so memory never depends on the capture.

use std::collections::BTreeMap;

/// Bytes a waiting piece costs beside its data (its map node), so that pieces without data
/// (cut by the snapshot length) count against the budget too.
pub(crate) const PIECE_COST: usize = 64;

/// Why a range of a stream is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GapKind {
    /// The segments carrying it never showed in the capture (dropped by the capture, or the
    /// capture started or ended while they were in flight), or they were still missing when
    /// the out-of-order budget ran out.
    Lost,
    /// The capture kept only the start of the packet (its snapshot length).
    Truncated,
}

/// What one direction of a flow saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HalfStats {
    /// Segments with payload (or cut payload).
    pub segments: u64,
    /// Bytes handed out in order.
    pub bytes: u64,
    /// Segments that came ahead of a missing one.
    pub out_of_order: u64,
    /// Payload bytes seen again (retransmissions, overlaps): the first copy was kept.
    pub retransmitted: u64,
    /// Overlapping segments whose bytes differed from the copy kept.
    pub conflicts: u64,
    /// Gaps handed out.
    pub gaps: u64,
    /// Bytes in [`GapKind::Lost`] gaps.
    pub lost: u64,
    /// Bytes in [`GapKind::Truncated`] gaps.
    pub truncated: u64,
    /// Gaps declared because the bytes waiting reached the out-of-order budget.
    pub budget_gaps: u64,
}

/// What a direction hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunk<'a> {
    /// Stream bytes at an offset.
    Data(u64, &'a [u8]),
    /// Missing stream bytes: offset, length, why.
    Gap(u64, u64, GapKind),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Data(Vec<u8>),
    /// Bytes the capture cut off.
    Missing(u64),
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Data(d) => d.len() as u64,
            Piece::Missing(n) => *n,
        }
    }

    fn cost(&self) -> usize {
        PIECE_COST + if let Piece::Data(d) = self { d.len() } else { 0 }
    }
}

/// One direction's reassembly state.
#[derive(Debug, Default)]
pub(crate) struct Half {
    /// Sequence number of stream offset 0 (the SYN's plus one), once known.
    base: Option<u32>,
    /// The stream did not start at a SYN this capture holds.
    pub mid_stream: bool,
    /// Stream offset of the next byte to hand out.
    next: u64,
    /// Pieces ahead of `next`, by stream offset, never overlapping.
    pending: BTreeMap<u64, Piece>,
    /// Their cost against the budget.
    pending_cost: usize,
    /// Stream offset of the FIN, once seen.
    fin: Option<u64>,
    pub stats: HalfStats,
}

impl Half {
    /// Whether the FIN has been reached: every byte before it was handed out.
    pub fn finished(&self) -> bool {
        self.fin.is_some_and(|fin| self.next >= fin)
    }

    /// Bytes waiting, as the budget counts them.
    pub fn pending_cost(&self) -> usize {
        self.pending_cost
    }

    /// Stream offset of sequence number `seq`, `base` known: the offset nearest `next`.
    fn offset_of(&self, base: u32, seq: u32) -> i64 {
        let next_seq = base.wrapping_add(self.next as u32);
        self.next as i64 + i64::from(seq.wrapping_sub(next_seq) as i32)
    }

    /// Takes a segment: `seq` as sent, its SYN and FIN flags, the payload captured and the
    /// payload bytes the capture cut off. Hands out what is now in order; keeps at most
    /// `budget` bytes waiting. `track`: keep the bytes (else only the FIN's place is followed).
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        missing: u32,
        budget: usize,
        track: bool,
        out: &mut impl FnMut(Chunk<'_>),
    ) {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let len = payload.len() as u64 + u64::from(missing);
        if self.base.is_none() {
            if !syn && len == 0 && !fin {
                return;
            }
            self.base = Some(data_seq);
            self.mid_stream = !syn;
        }
        let Some(base) = self.base else { return };
        if len == 0 && !fin {
            return;
        }
        let mut start = self.offset_of(base, data_seq);
        if fin && self.fin.is_none() {
            self.fin = Some((start + len as i64).max(0) as u64);
        }
        if len == 0 {
            self.check_fin_only(track);
            return;
        }
        self.stats.segments += 1;
        let (mut payload, mut missing) = (payload, u64::from(missing));
        if start < 0 {
            // Bytes from before the start this capture saw: none of the stream's.
            let cut = start.unsigned_abs().min(len);
            let from_payload = cut.min(payload.len() as u64);
            payload = &payload[from_payload as usize..];
            missing -= cut - from_payload;
            start = 0;
        }
        let start = start as u64;
        if !track {
            // Only the FIN's place matters: keep `next` at the furthest byte seen.
            self.next = self.next.max(start + payload.len() as u64 + missing);
            return;
        }
        if start > self.next {
            self.stats.out_of_order += 1;
        }
        if start <= self.next && self.pending.is_empty() {
            // In order, nothing waiting: straight out.
            let skip = (self.next - start).min(payload.len() as u64 + missing);
            self.stats.retransmitted += skip;
            let skip_payload = skip.min(payload.len() as u64) as usize;
            let data = &payload[skip_payload..];
            let missing = missing - (skip - skip_payload as u64);
            self.hand_out(data, missing, out);
            return;
        }
        let end = start + payload.len() as u64 + missing;
        if end <= self.next {
            // An old copy of bytes already handed out: it takes no room, so it makes no room.
            self.stats.retransmitted += end - start;
            return;
        }
        let cost = PIECE_COST + payload.len();
        // Make room for a segment that waits: what waits in front of the oldest hole is given
        // up as lost. (One that starts at or before `next` goes out at once with what it puts
        // in order, and needs none.)
        while start > self.next && self.pending_cost + cost > budget && !self.pending.is_empty() {
            self.skip_to_first(out);
            self.stats.budget_gaps += 1;
            self.drain(out);
        }
        if self.pending.is_empty() && self.pending_cost + cost > budget && end > self.next {
            // It alone is over the budget: the hole in front of it is lost.
            if start > self.next {
                self.gap(start - self.next, GapKind::Lost, out);
                self.stats.budget_gaps += 1;
            }
            let skip = self.next - start;
            let skip_payload = skip.min(payload.len() as u64) as usize;
            self.hand_out(&payload[skip_payload..], missing - (skip - skip_payload as u64), out);
            return;
        }
        self.insert(start, payload, missing);
        self.drain(out);
        // A segment that filled several holes was stored as several pieces, each costing
        // PIECE_COST: past the budget, the oldest hole is given up as above.
        while self.pending_cost > budget && !self.pending.is_empty() {
            self.skip_to_first(out);
            self.stats.budget_gaps += 1;
            self.drain(out);
        }
    }

    fn check_fin_only(&mut self, track: bool) {
        if !track {
            if let Some(fin) = self.fin {
                self.next = self.next.max(fin);
            }
        }
    }

    /// Hands out in-order data, then the bytes cut off after it.
    fn hand_out(&mut self, data: &[u8], missing: u64, out: &mut impl FnMut(Chunk<'_>)) {
        if !data.is_empty() {
            out(Chunk::Data(self.next, data));
            self.next += data.len() as u64;
            self.stats.bytes += data.len() as u64;
        }
        if missing > 0 {
            self.gap(missing, GapKind::Truncated, out);
        }
    }

    fn gap(&mut self, len: u64, kind: GapKind, out: &mut impl FnMut(Chunk<'_>)) {
        out(Chunk::Gap(self.next, len, kind));
        self.next += len;
        self.stats.gaps += 1;
        match kind {
            GapKind::Lost => self.stats.lost += len,
            GapKind::Truncated => self.stats.truncated += len,
        }
    }

    /// Stores the parts of `[start, start + payload + missing)` no piece holds yet (the first
    /// copy wins), counting what overlapped and whether it differed.
    fn insert(&mut self, start: u64, payload: &[u8], missing: u64) {
        let end = start + payload.len() as u64 + missing;
        let data_end = start + payload.len() as u64;
        if end <= self.next {
            self.stats.retransmitted += end - start;
            return;
        }
        let mut cursor = start.max(self.next);
        self.stats.retransmitted += cursor - start;
        // Pieces that overlap [cursor, end): the one starting before cursor, then those inside.
        let mut overlaps: Vec<(u64, u64)> = Vec::new();
        if let Some((&s, piece)) = self.pending.range(..cursor).next_back() {
            if s + piece.len() > cursor {
                overlaps.push((s, s + piece.len()));
            }
        }
        overlaps.extend(self.pending.range(cursor..end).map(|(&s, p)| (s, s + p.len())));
        for (s, e) in overlaps {
            if s > cursor {
                self.put(cursor, s, start, payload, data_end);
            }
            let (from, to) = (cursor.max(s), end.min(e));
            if to > from {
                self.stats.retransmitted += to - from;
                if let Some(Piece::Data(kept)) = self.pending.get(&s) {
                    // Compare where both copies have bytes.
                    let (cf, ct) = (from, to.min(data_end).min(s + kept.len() as u64));
                    if ct > cf {
                        let ours = &payload[(cf - start) as usize..(ct - start) as usize];
                        let theirs = &kept[(cf - s) as usize..(ct - s) as usize];
                        if ours != theirs {
                            self.stats.conflicts += 1;
                        }
                    }
                }
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            self.put(cursor, end, start, payload, data_end);
        }
    }

    /// Stores `[from, to)` of a segment starting at `start` whose data ends at `data_end`
    /// (the rest was cut off by the capture).
    fn put(&mut self, from: u64, to: u64, start: u64, payload: &[u8], data_end: u64) {
        if from < data_end.min(to) {
            let piece = Piece::Data(payload[(from - start) as usize..(data_end.min(to) - start) as usize].to_vec());
            self.pending_cost += piece.cost();
            self.pending.insert(from, piece);
        }
        if to > data_end.max(from) {
            let at = data_end.max(from);
            let piece = Piece::Missing(to - at);
            self.pending_cost += piece.cost();
            self.pending.insert(at, piece);
        }
    }

    /// Hands out the pieces that are now in order.
    fn drain(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.next {
                break;
            }
            let (start, piece) = entry.remove_entry();
            self.pending_cost -= piece.cost();
            let skip = self.next - start;
            match piece {
                Piece::Data(data) if skip < data.len() as u64 => self.hand_out(&data[skip as usize..], 0, out),
                Piece::Missing(n) if skip < n => self.gap(n - skip, GapKind::Truncated, out),
                _ => {}
            }
        }
    }

    /// Declares the hole in front of the first waiting piece lost.
    fn skip_to_first(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        if let Some((&start, _)) = self.pending.first_key_value() {
            if start > self.next {
                self.gap(start - self.next, GapKind::Lost, out);
            }
        }
    }

    /// The flow ends: whatever waits is handed out, each hole in front of it declared lost,
    /// and so are bytes before a FIN that never came.
    pub fn finish(&mut self, out: &mut impl FnMut(Chunk<'_>)) {
        while !self.pending.is_empty() {
            self.skip_to_first(out);
            self.drain(out);
        }
        if let Some(fin) = self.fin {
            if fin > self.next && self.base.is_some() {
                self.gap(fin - self.next, GapKind::Lost, out);
            }
        }
    }
}
