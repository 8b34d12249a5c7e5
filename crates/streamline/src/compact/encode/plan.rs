//! Choosing the opcodes for one request: candidate starting states, a byte-cost function, and
//! register saves justified by the requests ahead (SPEC.md §9, "Encoder").
//!
//! Planning is pure: it reads the encoder's mirror of the decoder's state and returns a
//! [`Plan`]; the encoder writes it and commits.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use bytes::Bytes;

use crate::compact::encode::align::{align, line_hashes, splice_keeping, Change, Pricing, Wanted};
use crate::compact::encode::prefix::{Prefix, Tables};
use crate::compact::op::{Op, Splice};
use crate::compact::state::{register_cost, Snapshot};
use crate::compact::table::Prehashed;
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
    /// The prefix hash of the register's header lines ([`Prefix`]): a quick filter before
    /// comparing lines.
    pub(crate) hash: u64,
    /// The hashes of the register's header lines (`align::line_hashes`), for the edits
    /// that start from it.
    pub(crate) lines: Vec<u64>,
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
    /// Is this a template: the current state as it is, stored before a plan that edits away
    /// from it (SPEC.md §9.5)? Written first; `at` is unused.
    pub(crate) template: bool,
}

/// A plan whose edits from the current state cost at least this many bytes leaves a state
/// worth coming back to: it is stored first, unless it lies within this many bytes of lines
/// of a register (SPEC.md §9.5).
const TEMPLATE_MIN: usize = 16;

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
    /// Or the header lines are reached by these changes from the start's (SPEC.md §9.5).
    pub(crate) changes: Option<Vec<Change>>,
    /// The new base is made by editing the start's (`U:`): (offset, replaced length, text
    /// length), the text being the target's bytes from the offset on.
    pub(crate) rebase: Option<(usize, usize, usize)>,
    pub(crate) saves: Vec<Save>,
    /// The suffix is the target from this byte on.
    pub(crate) suffix: usize,
    pub(crate) cost: usize,
    /// What editing the current state's header lines and base into the request's would cost
    /// (0 if not weighed): how far the request leaves the current state.
    pub(crate) leave: usize,
    /// Bytes the registers will hold after the saves.
    pub(crate) held: usize,
    /// For a plan that edits: the most state bytes the current state counts on the way.
    pub(crate) peak: usize,
}

impl Plan {
    /// The plan when the state already holds everything: just the issuing line.
    #[inline]
    pub(crate) fn steady(head: &Head, last_length: Option<u64>) -> Plan {
        let (from, suffix) = (head.parts.headers.len(), head.parts.target.len());
        let cost = issue_cost(0, head.framing, last_length);
        Plan {
            load: None,
            version: false,
            method: false,
            base: None,
            from,
            changes: None,
            rebase: None,
            saves: Vec::new(),
            suffix,
            cost,
            leave: 0,
            held: 0,
            peak: 0,
        }
    }

    /// Does this plan write the issuing line alone, leaving the state as it is?
    pub(crate) fn only_issues(&self, head: &Head) -> bool {
        self.load.is_none()
            && !self.version
            && !self.method
            && self.base.is_none()
            && self.saves.is_empty()
            && self.changes.is_none()
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

/// What the planner sees: the mirror state, the encoder's registers, and the prefix tables
/// of the heads it plans with.
pub(crate) struct View<'a> {
    pub(crate) current: &'a Snapshot,
    /// Made for the request and, with header editing off, the requests ahead.
    pub(crate) tables: &'a Tables,
    pub(crate) regs: &'a [Reg],
    pub(crate) index: &'a Index,
    pub(crate) max_registers: usize,
    /// Bytes the registers count against `max_state_bytes` (SPEC.md §7.2).
    pub(crate) register_bytes: usize,
    /// The decoder's limit on state and registers together.
    pub(crate) max_state_bytes: usize,
    pub(crate) max_headers: usize,
    /// With header editing on: how lines are priced, and how many registers (the most
    /// recently used) are tried as starts for an edit.
    pub(crate) editing: Option<(Pricing<'a>, usize)>,
    /// Bytes of state lines written since a register last held the current state.
    pub(crate) drift: usize,
    /// For a response stream, the length a `+:` without one repeats (SPEC.md §13.4); `None`
    /// for requests (which always give the length) and before the first `+:`.
    pub(crate) last_length: Option<u64>,
    /// A response stream: the status is one `C:` line, and the issuing lines take no suffix.
    pub(crate) responses: bool,
}

impl<'a> View<'a> {
    /// Optional saves keep the registers within half the state limit, leaving the rest for
    /// the current state.
    fn save_budget(&self) -> usize {
        self.max_state_bytes / 2
    }

    /// The prefix table of `head` (the request, or one ahead).
    #[inline]
    pub(crate) fn prefixes(&self, head: &Head) -> &'a [Prefix] {
        self.tables.of(head)
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

/// Cost of appending lines `from..to` of a head whose prefix table is `p` (`H:` + line +
/// CRLF each).
pub(crate) fn header_cost(p: &[Prefix], from: usize, to: usize) -> usize {
    p[to].end - p[from].end + 2 * (to - from)
}

/// Common prefix of two heads' header lists, in lines, by their prefix tables, given that
/// both have `from` lines whose prefixes hash alike (each hash covers every line before it,
/// so the hashes before agree too): an estimate, used only where a wrong answer costs
/// bytes, not correctness.
fn common_lines_hashed(a: &[Prefix], b: &[Prefix], from: usize) -> usize {
    let (pa, pb) = (&a[from..], &b[from..]);
    from + pa.iter().zip(pb).take_while(|(x, y)| x.hash == y.hash).count().saturating_sub(1)
}

/// Registers by the hash of their header lines ([`Prefix`]).
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

/// Cost of the issuing line for a suffix of `len` bytes. `last_length` is the length a
/// response's `+:` repeats.
fn issue_cost(len: usize, framing: Framing, last_length: Option<u64>) -> usize {
    match framing {
        Framing::Length(n) if last_length == Some(n) => 4,
        Framing::Length(n) | Framing::Announced(n) => 5 + len + decimal_len(n),
        Framing::None | Framing::Chunked | Framing::Close => 4 + len,
        Framing::AnnouncedChunked => 12,
    }
}

/// What the base choice needs to know of the targets in view: for the request and the next
/// [`ESTIMATE_AHEAD`], each target's length and its common prefix with the request's target.
/// Where fewer requests are in view, the last one is assumed to repeat: streams are feeds,
/// and this keeps a short capture encoded the way the same requests open a long feed
/// (SPEC.md §9.2).
///
/// A base of `len` bytes costs a target that starts with it its length less `len` (the
/// suffix), and one that does not a new base line (4 + its length) and no suffix. With
/// header editing a new base is at most about [`REBASE`] bytes (a `U:` edit, or a register
/// that holds it), so that is the most a target is charged.
struct Targets {
    /// Distinct (length, common prefix length) pairs and how many targets have each, in the
    /// order first met (the request's own first); `len` of them in use. Feeds repeat
    /// targets, so there are usually few.
    items: [(usize, usize, usize); VIEW],
    len: usize,
    /// The most a target that does not share the base is charged.
    rebase: usize,
}

/// Targets a [`Targets`] weighs: the request's and [`ESTIMATE_AHEAD`] more.
const VIEW: usize = ESTIMATE_AHEAD + 1;

/// What a new base costs a target at most, with header editing (see [`Targets`]).
const REBASE: usize = 12;

impl Targets {
    fn new(target: &[u8], ahead: &[Head], editing: bool) -> Targets {
        let rebase = if editing { REBASE } else { usize::MAX };
        let mut targets = Targets { items: [(0, 0, 0); VIEW], len: 0, rebase };
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
        match self.items[..self.len].iter_mut().find(|c| (c.0, c.1) == (len, common)) {
            Some(c) => c.2 += n,
            None => {
                self.items[self.len] = (len, common, n);
                self.len += 1;
            }
        }
    }

    /// Estimated cost of the suffixes with a base that is the request target's first `len`
    /// bytes: a target that does not start with it is charged a new base.
    fn estimate(&self, len: usize) -> usize {
        self.items[..self.len]
            .iter()
            .map(|&(t, common, n)| n * if common >= len { t - len } else { (4 + t).min(self.rebase) })
            .sum()
    }

    /// The best new base among the whole target and its common prefixes with the next
    /// targets: `(estimated cost including the B: line, base length)`. Of equal estimates,
    /// the length met first wins.
    fn best_new(&self) -> (usize, usize) {
        let mut best = (usize::MAX, 0);
        for &(_, len, _) in &self.items[..self.len] {
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

/// [`choose_base`], with a new base made by editing the start's (`U:`) where that is
/// shorter than setting it, if editing is on. Returns (new base length, edit, cost now).
fn choose_base_edit(
    current: &[u8],
    target: &[u8],
    targets: &Targets,
    best_new: (usize, usize),
    editing: bool,
) -> (Option<usize>, Option<(usize, usize, usize)>, usize) {
    let (base, cost) = choose_base(current, target, targets, best_new);
    if let (Some(len), true) = (base, editing) {
        let (off, cut, text) = splice_keeping(current, &target[..len], 0);
        let edit = Op::EditBase(Splice { at: off, len: cut, text: &target[off..off + text] }).encoded_len();
        if edit < cost {
            return (base, Some((off, cut, text)), edit);
        }
    }
    (base, None, cost)
}

/// What a plan from `snap` (the current state, or register `load`) costs before its header
/// lines: `<:`, `V:` and `M:` where they change, the base (`B:`, or `U:` with `editing`) and
/// the issuing line. Its header lines are to be appended from those `snap` holds.
fn from_start(
    view: &View<'_>,
    head: &Head,
    load: Option<usize>,
    snap: &Snapshot,
    targets: &Targets,
    best_new: (usize, usize),
    editing: bool,
) -> Plan {
    let mut cost = load.map_or(0, |i| 4 + view.regs[i].name.len());
    let version = snap.version != Some(head.parts.version);
    cost += if version { 12 } else { 0 };
    let (method, base, rebase, suffix) = if view.responses {
        // One `C:` line sets status code (the method's place) and reason (the base's).
        let (code, reason) = (&head.parts.method, &head.parts.target[..]);
        let status = snap.method.as_ref() != Some(code) || snap.base[..] != *reason;
        cost += if status { Op::Status(code, reason).encoded_len() } else { 0 };
        cost += issue_cost(0, head.framing, view.last_length);
        (status, status.then_some(reason.len()), None, reason.len())
    } else {
        let method = snap.method.as_ref() != Some(&head.parts.method);
        cost += if method { 4 + head.parts.method.len() } else { 0 };
        let (base, rebase, base_cost) = choose_base_edit(&snap.base, &head.parts.target, targets, best_new, editing);
        cost += base_cost;
        let suffix = base.unwrap_or(snap.base.len());
        cost += issue_cost(head.parts.target.len() - suffix, head.framing, None);
        (method, base, rebase, suffix)
    };
    let from = snap.headers.len();
    Plan {
        load,
        version,
        method,
        base,
        from,
        changes: None,
        rebase,
        saves: Vec::new(),
        suffix,
        cost,
        leave: 0,
        held: 0,
        peak: 0,
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
        return Ok(Plan::steady(head, view.last_length));
    }
    let mut best: Option<Plan> = None;
    // Starting points: the current state, and the registers whose header lines may be a
    // prefix of the request's (found by hash), longest first.
    // Ties go to the current state, then to the lowest register index: the choice is the
    // least by (cost, rank), whatever the order they are looked at in. So a start's lines are
    // compared with the request's only if it would be chosen over the best one so far: the
    // comparison is most of the cost of a start.
    let rank = |load: Option<usize>| load.map_or(0, |i| i + 1);
    let targets = Targets::new(&head.parts.target, ahead, view.editing.is_some());
    let best_new = targets.best_new();
    let table = view.prefixes(head);
    let loads = table.iter().rev().flat_map(|p| view.index.get(p.hash)).map(|&i| (Some(i), &view.regs[i].snap));
    let h = &head.parts.headers;
    for (load, snap) in std::iter::once((None, cur)).chain(loads) {
        if snap.headers.as_block().len() > h.as_block().len() || snap.headers.len() > h.len() {
            continue; // Not a prefix.
        }
        let mut plan = from_start(view, head, load, snap, &targets, best_new, view.editing.is_some());
        // If the start's block is a prefix of the request's, the rest is appended.
        plan.cost += header_cost(table, plan.from, h.len());
        let better = |b: &Plan| plan.cost < b.cost || (plan.cost == b.cost && rank(load) < rank(b.load));
        if best.as_ref().is_none_or(better) && is_prefix(&snap.headers, h) {
            best = Some(plan);
        }
    }
    if let Some((pricing, effort)) = &view.editing {
        if let Some(edited) = plan_edit(view, head, &targets, best_new, pricing, *effort, best.as_ref()) {
            best = Some(edited);
        }
    }
    // (A `let else` rather than `ok_or`: an error made, and dropped, on every plan costs a call.)
    let Some(mut plan) = best else {
        return Err(ErrorKind::Unencodable("no register holds a prefix of the request's header lines"));
    };
    plan_saves(view, head, ahead, complete, &mut plan)?;
    Ok(plan)
}

/// The cheapest plan that edits the header lines of a start state (the current one, or one of
/// the `effort` registers used last) into the request's, if it is cheaper than `best`.
fn plan_edit(
    view: &View<'_>,
    head: &Head,
    targets: &Targets,
    best_new: (usize, usize),
    pricing: &Pricing<'_>,
    effort: usize,
    best: Option<&Plan>,
) -> Option<Plan> {
    // The `effort` registers used last, most recent first.
    let mut recent: Vec<usize> = if effort == 0 { Vec::new() } else { (0..view.regs.len()).collect() };
    if recent.len() > effort {
        recent.select_nth_unstable_by_key(effort, |&i| std::cmp::Reverse(view.regs[i].used));
        recent.truncate(effort);
    }
    let mut wanted: Option<Wanted<'_>> = None;
    // Registers whose lines come closest first (by the lower bound on their edits; ties to
    // the most recent), so the best plan so far soon rules out the others unaligned.
    if !recent.is_empty() {
        let want = wanted.get_or_insert_with(|| Wanted::new(head, pricing));
        recent.sort_unstable_by_key(|&i| (want.lower_bound(&view.regs[i].lines), std::cmp::Reverse(view.regs[i].used)));
    }
    let mut current = Vec::new();
    let starts = std::iter::once((None, view.current)).chain(recent.into_iter().map(|i| (Some(i), &view.regs[i].snap)));
    let mut found: Option<Plan> = None;
    let mut leave = 0;
    for (load, snap) in starts {
        let mut plan = from_start(view, head, load, snap, targets, best_new, true);
        let bound = found.as_ref().or(best).map_or(usize::MAX, |b| b.cost);
        // The current state is always weighed: how far the request leaves it decides a
        // template save.
        if plan.cost >= bound && load.is_some() {
            continue;
        }
        let want = wanted.get_or_insert_with(|| Wanted::new(head, pricing));
        let hashes = match load {
            Some(i) => &view.regs[i].lines,
            None => {
                line_hashes(snap.headers.as_block(), &mut current);
                &current
            }
        };
        if load.is_some() && plan.cost + want.lower_bound(hashes) >= bound {
            // The shortcut beside the general path: the skipped start could not have won.
            debug_assert!(
                plan.cost + align(snap.headers.as_block(), hashes, want).cost >= bound,
                "the lower bound skipped a start that was cheaper"
            );
            continue;
        }
        let script = align(snap.headers.as_block(), hashes, want);
        plan.cost += script.cost;
        if load.is_none() {
            // How far the request's lines are from the current state's, not counting the
            // words edited in place (an id, a page number): those change with every request
            // and a template would not spare them.
            leave = script.structural;
        }
        // The list on the way must stay within the limits, with the largest base and method
        // the plan holds at any point.
        let others = 8
            + snap.base.len().max(plan.suffix)
            + snap.method.as_ref().map_or(0, Bytes::len).max(head.parts.method.len());
        let fits = script.peak_lines <= view.max_headers
            && others + script.peak_bytes + view.register_bytes <= view.max_state_bytes;
        if plan.cost < bound && fits {
            plan.from = head.parts.headers.len();
            plan.changes = Some(script.changes);
            plan.peak = others + script.peak_bytes;
            found = Some(plan);
        }
    }
    if let Some(plan) = &mut found {
        plan.leave = leave;
    }
    found
}

/// The slot for one more save: a new register while there is room, else the least recently
/// used one that is not the anchor, not loaded by this plan and not already taken by it.
fn pick_slot(view: &View<'_>, plan: &Plan, next_new: usize, taken: &[usize]) -> Option<Slot> {
    if next_new < view.max_registers {
        return Some(Slot::New(next_new));
    }
    view.regs
        .iter()
        .enumerate()
        .filter(|(i, r)| !r.anchor && !taken.contains(i) && plan.load != Some(*i))
        .min_by_key(|(_, r)| r.used)
        .map(|(i, _)| Slot::Reuse(i))
}

/// Name length and counted bytes of the register a slot names (0 freed for a new one).
fn slot_cost(view: &View<'_>, slot: Slot) -> (usize, usize) {
    match slot {
        Slot::New(i) => (register_name_len(i), 0),
        Slot::Reuse(i) => (view.regs[i].name.len(), register_cost(view.regs[i].name.len(), view.regs[i].snap.bytes)),
    }
}

/// For a plan that edits far away from the current state, stores that state first as a
/// template for requests like it that come back, if no register holds it and the registers
/// stay within their half of the state limit.
fn plan_template(view: &View<'_>, head: &Head, plan: &mut Plan) {
    if view.drift < TEMPLATE_MIN || plan.leave < TEMPLATE_MIN || view.current.headers.is_empty() {
        return;
    }
    let Some(slot) = pick_slot(view, plan, view.regs.len(), &[]) else { return };
    let (name_len, freed) = slot_cost(view, slot);
    let held = view.register_bytes - freed + register_cost(name_len, view.current.bytes);
    let peak = view.current.bytes.max(view.start_bytes(plan)).max(head.byte_len()).max(plan.peak);
    if held > view.save_budget() || held + peak > view.max_state_bytes {
        return;
    }
    plan.cost += 4 + name_len;
    plan.held = held;
    plan.saves.push(Save { at: 0, slot, anchor: false, template: true });
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
    if plan.changes.is_some() {
        plan_template(view, head, plan);
        return Ok(());
    }
    if from == n {
        return Ok(());
    }
    let mut points: Vec<(usize, bool)> = Vec::new();
    // With editing, any list can be reached from any other: no anchor is needed.
    if !view.regs.iter().any(|r| r.anchor) && view.editing.is_none() {
        let shared_by_all = if complete {
            ahead.iter().map(|next| common_lines(&head.parts.headers, &next.parts.headers)).min().unwrap_or(n)
        } else {
            0
        };
        if shared_by_all < n {
            points.push((shared_by_all.max(from), true));
        }
    }
    // Saves that pay for themselves within the next requests. (With editing a later request
    // reaches its lines by edits and templates, which these estimates do not weigh.)
    let price = 2 * (4 + register_name_len(view.regs.len()));
    let mine = view.prefixes(head);
    let ahead = if view.editing.is_some() { &[] } else { ahead };
    for next in ahead.iter().take(ESTIMATE_AHEAD) {
        // Most requests ahead part from this one before `from`: a differing hash there says
        // so without walking the lines before it (the first hashes always agree, so the
        // shared count would be below `from`).
        let theirs = view.prefixes(next);
        if theirs.get(from).is_none_or(|p| p.hash != mine[from].hash) {
            continue;
        }
        let shared = common_lines_hashed(mine, theirs, from);
        if shared >= n || shared < from || points.iter().any(|&(at, _)| at == shared) {
            continue;
        }
        // The best start `next` would have without a save here.
        let registered = theirs.iter().rposition(|p| !view.index.get(p.hash).is_empty());
        let existing = registered.into_iter().chain(points.iter().map(|&(at, _)| at).filter(|&at| at <= shared)).max();
        if existing.is_none_or(|e| e < shared && header_cost(theirs, e, shared) > price) {
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
        let slot = pick_slot(view, plan, next_new, &taken);
        let (name_len, freed) = match slot {
            Some(slot) => slot_cost(view, slot),
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
        plan.saves.extend(slot.map(|slot| Save { at, slot, anchor, template: false }));
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
    8 + base + head.parts.method.len() + view.prefixes(head)[at].end - 2 * at
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
