//! Choosing the opcodes for one request: candidate starting states, a byte-cost function, and
//! register saves justified by the requests ahead (SPEC.md §9, "Encoder").
//!
//! Planning is pure: it reads the encoder's mirror of the decoder's state and returns a
//! [`Plan`]; the encoder writes it and commits.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;

use crate::compact::state::{register_cost, Snapshot};
use crate::error::ErrorKind;
use crate::message::{decimal_len, Framing, Head, Headers};
use crate::wire::chars::common_prefix;
use crate::wire::line::count_lf;

/// Requests ahead that the cost estimates (base choice, register benefit) look at.
pub(crate) const ESTIMATE_AHEAD: usize = 16;

/// A register the encoder created, as the decoder holds it.
#[derive(Debug, Clone)]
pub(crate) struct Reg {
    pub(crate) name: Bytes,
    pub(crate) snap: Snapshot,
    /// [`Head::prefixes`] value of the register's header lines: a quick filter before
    /// comparing lines.
    pub(crate) hash: u64,
    /// Tick of the last save or load, for least-recently-used replacement.
    pub(crate) used: u64,
    /// The anchor: a register whose header lines are a prefix of every request still to come,
    /// so each of them can be built from it. Never replaced.
    pub(crate) anchor: bool,
}

/// Where a save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A new register, named after its index.
    New(usize),
    /// Overwrite the register at this index.
    Reuse(usize),
}

/// A register save: after the first `at` header lines are in the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Save {
    pub(crate) at: usize,
    pub(crate) slot: Slot,
    /// Is this the anchor (see [`Reg::anchor`])?
    pub(crate) anchor: bool,
}

/// The opcodes chosen for one request, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub(crate) load: Option<usize>,
    pub(crate) version: bool,
    pub(crate) method: bool,
    /// New base: the first `n` bytes of the target.
    pub(crate) base: Option<usize>,
    /// Header lines from this index on are appended.
    pub(crate) from: usize,
    pub(crate) saves: Vec<Save>,
    /// The suffix is the target from this byte on.
    pub(crate) suffix: usize,
    pub(crate) cost: usize,
    /// Bytes the registers will hold after the saves.
    pub(crate) held: usize,
}

impl Plan {
    /// The plan when the state already holds everything: just the issuing line.
    pub(crate) fn steady(head: &Head) -> Plan {
        let (from, suffix) = (head.parts.headers.len(), head.parts.target.len());
        let cost = issue_cost(0, head.framing);
        Plan { load: None, version: false, method: false, base: None, from, saves: Vec::new(), suffix, cost, held: 0 }
    }

    /// Does this plan write the issuing line alone, leaving the state as it is?
    pub(crate) fn only_issues(&self, head: &Head) -> bool {
        self.load.is_none()
            && !self.version
            && !self.method
            && self.base.is_none()
            && self.saves.is_empty()
            && self.from == head.parts.headers.len()
    }

    /// Bytes of opcode lines this plan writes (everything but the body).
    pub fn cost(&self) -> usize {
        self.cost
    }

    /// Registers this plan stores.
    pub fn saves(&self) -> usize {
        self.saves.len()
    }

    /// Does this plan restore a register?
    pub fn loads(&self) -> bool {
        self.load.is_some()
    }
}

/// What the planner sees: the mirror state and the encoder's registers.
pub(crate) struct View<'a> {
    pub(crate) current: &'a Snapshot,
    pub(crate) regs: &'a [Reg],
    pub(crate) index: &'a Index,
    pub(crate) max_registers: usize,
    /// Bytes the registers count against `max_state_bytes` (SPEC.md §7.2).
    pub(crate) register_bytes: usize,
    /// The decoder's limit on state and registers together.
    pub(crate) max_state_bytes: usize,
}

impl View<'_> {
    /// Optional saves keep the registers within half the state limit, leaving the rest for
    /// the current state.
    fn save_budget(&self) -> usize {
        self.max_state_bytes / 2
    }

    /// Bytes of the state a plan starts from.
    pub(crate) fn start_bytes(&self, plan: &Plan) -> usize {
        plan.load.map_or(self.current.bytes, |i| self.regs[i].snap.bytes)
    }
}

/// Register name for index `i`: `0`–`9`, `a`–`z`, `A`–`Z`, then two characters, and so on.
pub(crate) fn register_name(mut i: usize) -> Bytes {
    const ALPHABET: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = Vec::with_capacity(2);
    loop {
        name.push(ALPHABET[i % 62]);
        i /= 62;
        if i == 0 {
            break;
        }
        i -= 1;
    }
    Bytes::from(name)
}

/// Length of [`register_name`]`(i)`, without making it.
fn register_name_len(mut i: usize) -> usize {
    let mut len = 1;
    i /= 62;
    while i != 0 {
        i -= 1;
        len += 1;
        i /= 62;
    }
    len
}

/// Length of the common prefix of two header lists, in lines: the lines whose CRLF lies in
/// the blocks' common prefix.
fn common_lines(a: &Headers, b: &Headers) -> usize {
    let (x, y) = (a.as_block(), b.as_block());
    count_lf(&x[..common_prefix(x, y)]) as usize
}

/// Is `prefix` a prefix of `list`?
///
/// Compared a word at a time rather than with `memcmp`: the request's block was usually just
/// copied out of the input, and the library `memcmp`'s masked vector loads cannot take bytes
/// still in the store buffer, so they wait for the copy to land (a stall as long as the
/// whole comparison otherwise).
fn is_prefix(prefix: &Headers, list: &Headers) -> bool {
    let (p, l) = (prefix.as_block(), list.as_block());
    p.len() <= l.len() && common_prefix(p, l) == p.len()
}

/// Cost of appending lines `from..to` of a head (`H:` + line + CRLF each).
fn header_cost(head: &Head, from: usize, to: usize) -> usize {
    let p = head.prefixes();
    p[to].end - p[from].end + 2 * (to - from)
}

/// Common prefix of two heads' header lists, in lines, by their prefix hashes, given that
/// both have `from` lines whose prefixes hash alike (each hash covers every line before it,
/// so the hashes before agree too): an estimate, used only where a wrong answer costs
/// bytes, not correctness.
fn common_lines_hashed(a: &Head, b: &Head, from: usize) -> usize {
    let (pa, pb) = (&a.prefixes()[from..], &b.prefixes()[from..]);
    from + pa.iter().zip(pb).take_while(|(x, y)| x.hash == y.hash).count().saturating_sub(1)
}

/// Registers by the hash of their header lines ([`Head::prefixes`]).
///
/// The planner asks about every prefix of every request in view, and most prefixes are in
/// no register: a bit per hash class answers those without touching the map.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    map: HashMap<u64, Vec<usize>, BuildHasherDefault<Prehashed>>,
    /// Bit `class` is set if some key's top ten bits are `class`.
    bits: [u64; 16],
}

impl Index {
    #[inline]
    fn bit(hash: u64) -> (usize, u64) {
        let class = (hash >> 54) as usize;
        (class / 64, 1 << (class % 64))
    }

    /// The registers whose lines hash to `hash`.
    #[inline]
    pub(crate) fn get(&self, hash: u64) -> &[usize] {
        let (word, bit) = Index::bit(hash);
        if self.bits[word] & bit == 0 {
            return &[];
        }
        self.map.get(&hash).map_or(&[], Vec::as_slice)
    }

    /// Files register `i` under `new` instead of `old`.
    pub(crate) fn refile(&mut self, i: usize, old: u64, new: u64) {
        if let Some(ids) = self.map.get_mut(&old) {
            ids.retain(|&id| id != i);
            if ids.is_empty() {
                self.map.remove(&old);
                self.bits = [0; 16];
                for &key in self.map.keys() {
                    let (word, bit) = Index::bit(key);
                    self.bits[word] |= bit;
                }
            }
        }
        self.map.entry(new).or_default().push(i);
        let (word, bit) = Index::bit(new);
        self.bits[word] |= bit;
    }
}

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

/// Cost of the issuing line for a suffix of `len` bytes.
fn issue_cost(len: usize, framing: Framing) -> usize {
    match framing {
        Framing::Length(n) => 5 + len + decimal_len(n),
        Framing::None | Framing::Chunked => 4 + len,
    }
}

/// What the base choice needs to know of the targets in view: for the request and the next
/// [`ESTIMATE_AHEAD`], each target's common prefix with the request's target, and their
/// lengths summed. Where fewer requests are in view, the last one is assumed to repeat:
/// streams are feeds, and this keeps a short capture encoded the way the same requests open
/// a long feed (SPEC.md §9.2).
///
/// A base of `len` bytes costs each target its length less `len` if it starts with the
/// base, else its length and a new base line (4 + length): summed, the length total plus 4
/// for each target that does not share `len` bytes, less `len` for each that does. So the
/// estimates need only how many targets share each common prefix length.
struct Targets {
    /// Distinct common prefix lengths and how many targets have each, in the order first
    /// met (the request's own first); `len` of them in use. Feeds repeat targets, so there
    /// are usually few.
    commons: [(usize, usize); VIEW],
    len: usize,
    /// The targets' lengths summed.
    total: usize,
}

/// Targets a [`Targets`] weighs: the request's and [`ESTIMATE_AHEAD`] more.
const VIEW: usize = ESTIMATE_AHEAD + 1;

impl Targets {
    fn new(target: &[u8], ahead: &[Head]) -> Targets {
        let mut targets = Targets { commons: [(0, 0); VIEW], len: 0, total: 0 };
        let mut last = (target.len(), target.len());
        targets.add(last, 1);
        for h in ahead.iter().take(ESTIMATE_AHEAD) {
            let t = &h.parts.target;
            last = (t.len(), common_prefix(target, t));
            targets.add(last, 1);
        }
        targets.add(last, ESTIMATE_AHEAD - ahead.len().min(ESTIMATE_AHEAD));
        targets
    }

    /// Counts `n` targets of `len` bytes sharing `common` with the request's.
    fn add(&mut self, (len, common): (usize, usize), n: usize) {
        if n == 0 {
            return;
        }
        self.total += n * len;
        match self.commons[..self.len].iter_mut().find(|c| c.0 == common) {
            Some(c) => c.1 += n,
            None => {
                self.commons[self.len] = (common, n);
                self.len += 1;
            }
        }
    }

    /// Estimated cost of the suffixes with a base that is the request target's first `len`
    /// bytes: a target that does not start with it is charged a new base.
    fn estimate(&self, len: usize) -> usize {
        let sharing: usize = self.commons[..self.len].iter().filter(|c| c.0 >= len).map(|c| c.1).sum();
        self.total + 4 * (VIEW - sharing) - len * sharing
    }

    /// The best new base among the whole target and its common prefixes with the next
    /// targets: `(estimated cost including the B: line, base length)`. Of equal estimates,
    /// the length met first wins.
    fn best_new(&self) -> (usize, usize) {
        let mut best = (usize::MAX, 0);
        for &(len, _) in &self.commons[..self.len] {
            let estimate = 4 + len + self.estimate(len);
            if estimate < best.0 {
                best = (estimate, len);
            }
        }
        best
    }
}

/// Chooses the base for a request whose start state's base is `current`: keeps it if that is
/// estimated no dearer than the best new one. Returns `(new base length or None to keep, cost
/// now)`.
fn choose_base(current: &[u8], target: &[u8], targets: &Targets, best_new: (usize, usize)) -> (Option<usize>, usize) {
    if target.starts_with(current) && targets.estimate(current.len()) <= best_new.0 {
        (None, 0)
    } else {
        (Some(best_new.1), 4 + best_new.1)
    }
}

/// Plans one request.
///
/// `ahead` are the requests known to follow; `complete` says they are all that will follow,
/// which lets the planner place the anchor at the prefix they all share, or leave it out
/// (see [`plan_saves`]).
pub(crate) fn plan(view: &View<'_>, head: &Head, ahead: &[Head], complete: bool) -> Result<Plan, ErrorKind> {
    let cur = view.current;
    // The steady case: everything in place, nothing to save.
    if cur.base[..] == head.parts.target[..]
        && cur.version == Some(head.parts.version)
        && cur.method.as_ref() == Some(&head.parts.method)
        && cur.headers == head.parts.headers
    {
        return Ok(Plan::steady(head));
    }
    let mut best: Option<Plan> = None;
    // Starting points: the current state, and the registers whose header lines may be a
    // prefix of the request's (found by hash), longest first.
    // Ties go to the current state, then to the lowest register index: the choice is the
    // least by (cost, rank), whatever the order they are looked at in. So a start's lines are
    // compared with the request's only if it would be chosen over the best one so far: the
    // comparison is most of the cost of a start.
    let rank = |load: Option<usize>| load.map_or(0, |i| i + 1);
    let targets = Targets::new(&head.parts.target, ahead);
    let best_new = targets.best_new();
    let loads =
        head.prefixes().iter().rev().flat_map(|p| view.index.get(p.hash)).map(|&i| (Some(i), &view.regs[i].snap));
    let h = &head.parts.headers;
    for (load, snap) in std::iter::once((None, cur)).chain(loads) {
        if snap.headers.as_block().len() > h.as_block().len() || snap.headers.len() > h.len() {
            continue; // Not a prefix.
        }
        let mut cost = load.map_or(0, |i| 4 + view.regs[i].name.len());
        let version = snap.version != Some(head.parts.version);
        cost += if version { 12 } else { 0 };
        let method = snap.method.as_ref() != Some(&head.parts.method);
        cost += if method { 4 + head.parts.method.len() } else { 0 };
        let (base, base_cost) = choose_base(&snap.base, &head.parts.target, &targets, best_new);
        cost += base_cost;
        let suffix = base.unwrap_or(snap.base.len());
        cost += issue_cost(head.parts.target.len() - suffix, head.framing);
        // If the start's block is a prefix of the request's, the rest is appended.
        let from = snap.headers.len();
        cost += header_cost(head, from, h.len());
        let better = |b: &Plan| cost < b.cost || (cost == b.cost && rank(load) < rank(b.load));
        if best.as_ref().is_none_or(better) && is_prefix(&snap.headers, h) {
            best = Some(Plan { load, version, method, base, from, saves: Vec::new(), suffix, cost, held: 0 });
        }
    }
    let mut plan = best.ok_or(ErrorKind::Unencodable("no register holds a prefix of the request's header lines"))?;
    plan_saves(view, head, ahead, complete, &mut plan)?;
    Ok(plan)
}

/// Adds the register saves: the anchor when it is needed, and saves the requests ahead
/// justify by the bytes they would spare.
///
/// `H:` only appends, so a request whose header lines do not extend the current ones must
/// start from a register. The anchor guarantees one always exists: it is saved, before the
/// first header line that some later request does not share, at the longest prefix every
/// remaining request shares. Without the whole rest of the stream in view that prefix is
/// unknown, so the anchor is the empty list (the root). With it, and no divergence ahead,
/// there is no anchor at all: the article's single-state examples carry no register.
fn plan_saves(view: &View<'_>, head: &Head, ahead: &[Head], complete: bool, plan: &mut Plan) -> Result<(), ErrorKind> {
    plan.held = view.register_bytes;
    let n = head.parts.headers.len();
    let from = plan.from;
    if from == n {
        return Ok(());
    }
    let mut points: Vec<(usize, bool)> = Vec::new();
    if !view.regs.iter().any(|r| r.anchor) {
        let shared_by_all = if complete {
            ahead.iter().map(|next| common_lines(&head.parts.headers, &next.parts.headers)).min().unwrap_or(n)
        } else {
            0
        };
        if shared_by_all < n {
            points.push((shared_by_all.max(from), true));
        }
    }
    // Saves that pay for themselves within the next requests.
    let price = 2 * (4 + register_name_len(view.regs.len()));
    let mine = head.prefixes();
    for next in ahead.iter().take(ESTIMATE_AHEAD) {
        // Most requests ahead part from this one before `from`: a differing hash there says
        // so without walking the lines before it (the first hashes always agree, so the
        // shared count would be below `from`).
        if next.prefixes().get(from).is_none_or(|p| p.hash != mine[from].hash) {
            continue;
        }
        let shared = common_lines_hashed(head, next, from);
        if shared >= n || shared < from || points.iter().any(|&(at, _)| at == shared) {
            continue;
        }
        // The best start `next` would have without a save here.
        let registered = next.prefixes().iter().rposition(|p| !view.index.get(p.hash).is_empty());
        let existing = registered.into_iter().chain(points.iter().map(|&(at, _)| at).filter(|&at| at <= shared)).max();
        if existing.is_none_or(|e| e < shared && header_cost(next, e, shared) > price) {
            points.push((shared, false));
        }
    }
    points.sort_unstable();
    // Slots: new registers while there is room, else the least recently used one that is not
    // the anchor.
    let peak = view.start_bytes(plan).max(head.byte_len());
    let mut held = view.register_bytes;
    let mut next_new = view.regs.len();
    let mut taken: Vec<usize> = Vec::new();
    for (mut at, anchor) in points {
        let slot = if next_new < view.max_registers {
            Some(Slot::New(next_new))
        } else {
            view.regs
                .iter()
                .enumerate()
                .filter(|(i, r)| !r.anchor && !taken.contains(i) && plan.load != Some(*i))
                .min_by_key(|(_, r)| r.used)
                .map(|(i, _)| Slot::Reuse(i))
        };
        let (name_len, freed) = match slot {
            Some(Slot::New(i)) => (register_name_len(i), 0),
            Some(Slot::Reuse(i)) => {
                (view.regs[i].name.len(), register_cost(view.regs[i].name.len(), view.regs[i].snap.bytes))
            }
            None if anchor => {
                return Err(ErrorKind::Unencodable("no register free for the anchor (max_registers is 0)"))
            }
            None => continue,
        };
        let after = |at| held - freed + register_cost(name_len, plan_bytes(view, head, plan, at));
        // The anchor may sit lower (down to `from`) if its state would not fit.
        if anchor && after(at) + peak > view.max_state_bytes {
            at = from;
        }
        let fits = after(at) + peak <= view.max_state_bytes;
        if !fits || (!anchor && after(at) > view.save_budget()) {
            if anchor {
                return Err(ErrorKind::Unencodable("registers would pass the state byte limit"));
            }
            continue;
        }
        held = after(at);
        match slot {
            Some(Slot::New(_)) => next_new += 1,
            Some(Slot::Reuse(i)) => taken.push(i),
            None => {}
        }
        plan.cost += 4 + name_len;
        plan.saves.extend(slot.map(|slot| Save { at, slot, anchor }));
    }
    plan.saves.sort_by_key(|s| s.at);
    plan.held = held;
    Ok(())
}

/// Bytes the state will count when `at` header lines are in place during `plan`.
fn plan_bytes(view: &View<'_>, head: &Head, plan: &Plan, at: usize) -> usize {
    let base = match plan.base {
        Some(len) => len,
        None => match plan.load {
            Some(i) => view.regs[i].snap.base.len(),
            None => view.current.base.len(),
        },
    };
    8 + base + head.parts.method.len() + head.prefixes()[at].end - 2 * at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(register_name(0), "0");
        assert_eq!(register_name(61), "Z");
        assert_eq!(register_name(62), "00");
        assert_eq!(register_name(63), "10");
        let all: std::collections::HashSet<_> = (0..5000).map(register_name).collect();
        assert!((0..300_000).all(|i| register_name(i).len() == register_name_len(i)));
        assert_eq!(all.len(), 5000);
    }
}
