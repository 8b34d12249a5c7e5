//! The connection's memory: version, base, method, header lines, and named registers (SPEC.md §5).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::compact::edit::{line_starts, plan_edit, splice_into};
use crate::compact::op::Op;
use crate::compact::table::Table;
use crate::error::{escape, Error, ErrorKind};
use crate::message::{assign, may_have_body, status_code, Framing, Head, Headers, Held, Parts, Version};
use crate::Limits;

/// One complete state: what a register holds and what the current state is.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) version: Option<Version>,
    pub(crate) base: Bytes,
    pub(crate) method: Option<Bytes>,
    pub(crate) headers: Headers,
    /// State bytes (SPEC.md §7.2): what [`Limits::max_state_bytes`] counts for this state.
    pub(crate) bytes: usize,
}

/// What a register named `name_len` bytes holding a state of `state_bytes` state bytes counts
/// against [`Limits::max_state_bytes`] (SPEC.md §7.2): the decoder and the encoder's planner
/// both count with this, so they agree on which saves fit.
#[inline]
pub(crate) fn register_cost(name_len: usize, state_bytes: usize) -> usize {
    Limits::REGISTER_OVERHEAD + name_len + state_bytes
}

impl Clone for Snapshot {
    fn clone(&self) -> Self {
        Snapshot {
            version: self.version,
            base: self.base.clone(),
            method: self.method.clone(),
            headers: self.headers.clone(),
            bytes: self.bytes,
        }
    }

    /// Loading a register mostly replaces parts with the same ones (the method, often the
    /// base): those are kept without touching their reference counts.
    fn clone_from(&mut self, source: &Self) {
        self.assign_all_but_headers(source);
        self.headers.assign(&source.headers);
    }
}

impl Snapshot {
    /// Makes this a copy of `source` that holds bytes of its own. The encoder's mirror shares
    /// the heads it is given (its base, method and lines are slices of a head's bytes); a
    /// register that shared them would keep each whole head alive for a few bytes it counts,
    /// so a register's real memory would be many times what `max_state_bytes` bounds.
    pub(crate) fn copy_detached(&mut self, source: &Snapshot) {
        self.version = source.version;
        self.base = Bytes::copy_from_slice(&source.base);
        self.method = source.method.as_deref().map(Bytes::copy_from_slice);
        let block = source.headers.as_block();
        self.headers = Headers::from_block(Bytes::copy_from_slice(block), source.headers.len());
        self.bytes = source.bytes;
    }

    /// Takes version, base, method and byte count from `source`, keeping what is already the
    /// same without touching its reference count.
    fn assign_all_but_headers(&mut self, source: &Snapshot) {
        self.version = source.version;
        assign(&mut self.base, &source.base);
        match (&mut self.method, &source.method) {
            (Some(m), Some(src)) => assign(m, src),
            (m, src) => m.clone_from(src),
        }
        self.bytes = source.bytes;
    }
}

/// FNV-1a, for register names: short keys, where SipHash's set-up dominates. A peer that
/// picks colliding names gains little: at most `max_registers` entries share a bucket.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The registers by name. A one-byte name (all the encoder writes for its first 62
/// registers) finds its register through a table of the 256 bytes, with no hashing; a name of
/// up to seven bytes is keyed by one word, its bytes and its length packed together, so a
/// lookup hashes and compares a word; a longer name by its bytes.
#[derive(Debug, Clone, Default)]
struct Registers {
    /// For each byte, 1 + the index in `one` of the register it names (0: none); made, 256
    /// entries, by the first one-byte name.
    byte: Vec<u16>,
    one: Vec<Saved>,
    short: HashMap<u64, Saved, BuildHasherDefault<WordHash>>,
    long: HashMap<Bytes, Saved, BuildHasherDefault<Fnv>>,
}

/// A register: the state saved, and where each line of its header block starts, so a load
/// needs no scan of the block before the edits that usually follow it. The index is at most
/// [`Limits::max_headers`] words a register.
#[derive(Debug, Clone, Default)]
struct Saved {
    state: Snapshot,
    starts: Vec<usize>,
}

impl Registers {
    /// The word for a short name: its bytes, and its length in the byte above them, so no two
    /// names pack alike.
    #[inline]
    fn word(name: &[u8]) -> Option<u64> {
        (name.len() <= 7).then(|| name.iter().rev().fold(name.len() as u64, |w, &b| (w << 8) | u64::from(b)))
    }

    /// Where a one-byte name's register is in `one`, if it has one.
    #[inline]
    fn one_index(&self, b: u8) -> Option<usize> {
        self.byte.get(usize::from(b)).and_then(|&i| usize::from(i).checked_sub(1))
    }

    #[inline]
    fn get(&self, name: &[u8]) -> Option<&Saved> {
        match *name {
            [b] => self.one_index(b).map(|i| &self.one[i]),
            _ => match Registers::word(name) {
                Some(w) => self.short.get(&w),
                None => self.long.get(name),
            },
        }
    }

    #[inline]
    fn get_mut(&mut self, name: &[u8]) -> Option<&mut Saved> {
        match *name {
            [b] => self.one_index(b).map(|i| &mut self.one[i]),
            _ => match Registers::word(name) {
                Some(w) => self.short.get_mut(&w),
                None => self.long.get_mut(name),
            },
        }
    }

    fn insert(&mut self, name: &[u8], saved: Saved) {
        match *name {
            [b] => match self.one_index(b) {
                Some(i) => self.one[i] = saved,
                None => {
                    self.byte.resize(256, 0);
                    self.one.push(saved);
                    // At most 256 one-byte names: the index always fits.
                    self.byte[usize::from(b)] = u16::try_from(self.one.len()).unwrap_or(u16::MAX);
                }
            },
            _ => match Registers::word(name) {
                Some(w) => {
                    self.short.insert(w, saved);
                }
                None => {
                    self.long.insert(Bytes::copy_from_slice(name), saved);
                }
            },
        }
    }

    fn len(&self) -> usize {
        self.one.len() + self.short.len() + self.long.len()
    }
}

/// A hasher for one-word keys: a multiply that spreads every bit of the word over the high
/// half, folded onto the low half (the map uses both).
#[derive(Default)]
struct WordHash(u64);

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        let h = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

/// The decoder's state machine: applies opcodes and issues requests.
///
/// Kept separate from the decoder so a caller can apply opcodes one by one. (The encoder keeps
/// a mirror of its own, changed by the steps it writes: see `Encoder`.)
#[derive(Debug, Clone)]
pub struct State {
    current: Snapshot,
    registers: Registers,
    /// Sum of [`register_cost`] over the registers.
    register_bytes: usize,
    limits: Limits,
    /// Does the slot given to [`State::apply_into`] hold the head an empty suffix issues from
    /// the current state? Set by such an issue, cleared by any change of state and by an issue
    /// with a suffix: a steady feed builds its head once and then only sets its framing. (A
    /// flag, not a reference to the parts: holding one cost an atomic increment and decrement
    /// a request.) Only a slot kept from call to call (the decoder's) ever finds it set with
    /// a head in it; a fresh slot takes the general path.
    issued: bool,
    /// Where the bytes that change with every request go (header blocks and targets): copied
    /// into chunks of [`ARENA_CHUNK`] bytes and split off as `Bytes` that share a chunk, so a
    /// request built from opcode lines costs no allocation of its own. A chunk lives while
    /// any piece of it does; registers hold none (see [`Block::Cut`]), nor do bases and
    /// methods, which change rarely and get allocations of their own.
    arena: Arena,
    /// Where the current header block is.
    block: Block,
    /// The table of recently sent header lines (SPEC.md §5.4).
    table: Table,
    /// Where `E:` makes its line (kept to reuse the allocation).
    scratch: Vec<u8>,
    /// Where each line of the current header block starts, kept up to date by every opcode
    /// that changes the block (`H:`, the edits, `<:`, which takes the register's own index),
    /// so the editing opcodes find their lines without searching the block.
    starts: Vec<usize>,
    /// Is this a response stream's state (SPEC.md §13)? Its status code is held where a
    /// request's method is, its reason phrase where a request's base is.
    responses: bool,
    /// The length of the last `+:` issued: what a response's `+:` without a length repeats.
    pub(crate) last_length: Option<u64>,
}

/// Where the current header block is (its line count is always `current.headers.count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// `current.headers.block`, shared with a register or a request's head: a register may
    /// take it as it is.
    Held,
    /// `current.headers.block`, cut from the arena: a register takes a copy of its own, so
    /// the arena's chunks hold only short-lived pieces and are soon free for reuse.
    Cut,
    /// The arena's content: a register load copies a small block there and `H:` lines
    /// extend it. `current.headers.block` is stale until [`State::freeze`] cuts it off; a
    /// borrowed read's head copies it from there without cutting it.
    Open,
}

/// Header blocks up to this size are copied by a register load (cheaper than taking a
/// reference); bigger ones are shared, so that a stream of loads costs a peer as much as it
/// costs the decoder.
const LOAD_COPY: usize = 2 * 1024;

/// Size of the arena's chunks: large enough that a browsing session's heads (a few hundred
/// bytes each) need a new chunk only every few requests, small enough that the chunks in use
/// and in reserve (ten at most) stay far below the state's own limit.
const ARENA_CHUNK: usize = 8 * 1024;

impl State {
    /// The initial state of a request stream: version and method unset, empty base, no header
    /// lines, no registers.
    pub fn new(limits: Limits) -> Self {
        State::with_direction(limits, false)
    }

    /// The initial state of a response stream (SPEC.md §13): version and status unset, no
    /// header lines, no registers.
    pub fn for_responses(limits: Limits) -> Self {
        State::with_direction(limits, true)
    }

    pub(crate) fn with_direction(limits: Limits, responses: bool) -> Self {
        State {
            responses,
            last_length: None,
            current: Snapshot::default(),
            registers: Registers::default(),
            register_bytes: 0,
            limits,
            issued: false,
            arena: Arena::default(),
            block: Block::Held,
            table: Table::new(limits.table_bytes),
            scratch: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// The table's line `index` (0 the newest), as `=INDEX` names it (SPEC.md §5.4).
    pub fn table_entry(&self, index: usize) -> Option<&[u8]> {
        self.table.get(index)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes counted against [`Limits::max_state_bytes`] now.
    pub fn bytes(&self) -> usize {
        self.current.bytes + self.register_bytes
    }

    /// Splits the header block `H:` lines have been extending off the arena, so the current
    /// state holds it.
    #[inline]
    fn freeze(&mut self) {
        if self.block == Block::Open {
            self.current.headers.block = Held::Shared(self.arena.chunk.split().freeze());
            self.block = Block::Cut;
        }
    }

    /// The current header block's bytes, wherever they are.
    #[inline]
    fn block_bytes(&self) -> &[u8] {
        match self.block {
            Block::Open => &self.arena.chunk,
            Block::Held | Block::Cut => &self.current.headers.block,
        }
    }

    /// Applies `B:` with the base's own copy.
    fn set_base(&mut self, base: Bytes) -> Result<(), ErrorKind> {
        let old = self.current.base.len();
        self.check_growth(base.len(), old)?;
        self.issued = false;
        self.current.bytes = self.current.bytes + base.len() - old;
        self.current.base = base;
        Ok(())
    }

    /// Applies one opcode. Returns the head of the request it issues, if it is `-:`, `+:` or
    /// `*:`; issuing leaves the state as it was.
    ///
    /// The opcode's arguments are checked as the decoder checks those it reads (an `Op` built
    /// by hand could hold a CR LF, say), with the same errors. An error has no position: the
    /// caller applies an opcode, not bytes (a [`Decoder`](crate::Decoder) places the same
    /// errors in its stream).
    ///
    /// ```
    /// use streamline::{ErrorKind, Limits, Op, State, Version};
    /// let mut state = State::new(Limits::default());
    /// state.apply(&Op::Version(Version::HTTP_11))?;
    /// let err = state.apply(&Op::Bodyless(b"/")).unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::NoMethod);
    /// assert_eq!(err.offset(), None);
    /// # Ok::<(), streamline::Error>(())
    /// ```
    pub fn apply(&mut self, op: &Op<'_>) -> Result<Option<Head>, Error> {
        crate::compact::syntax::check_op(op).map_err(Error::from_kind)?;
        self.check_direction(op).map_err(Error::from_kind)?;
        self.apply_trusted(op).map_err(Error::from_kind)
    }

    /// Is `op` an opcode of this state's direction (what the decoder's parser makes sure of)?
    fn check_direction(&self, op: &Op<'_>) -> Result<(), ErrorKind> {
        let wrong = match op {
            Op::Status(..) | Op::Close | Op::Again | Op::Announce(_) if !self.responses => {
                "a response opcode applied to a request stream's state"
            }
            Op::Base(_) | Op::Method(_) | Op::EditBase(_) if self.responses => {
                "a request opcode applied to a response stream's state"
            }
            Op::Bodyless(s) | Op::Chunked(s) | Op::WithBody(s, _) if self.responses && !s.is_empty() => {
                "a response's issuing line takes no suffix"
            }
            _ => return Ok(()),
        };
        Err(ErrorKind::WrongDirection(wrong))
    }

    /// [`State::apply`] for an opcode whose arguments are known to be valid.
    fn apply_trusted(&mut self, op: &Op<'_>) -> Result<Option<Head>, ErrorKind> {
        let mut slot = None;
        Ok(if self.apply_into(op, &mut slot)? { slot } else { None })
    }

    /// Like [`State::apply`], but an issued head goes into `slot`, reusing what is there: in a
    /// steady feed only the framing changes, so nothing is allocated or reference-counted.
    /// Returns whether a request was issued.
    pub(crate) fn apply_into(&mut self, op: &Op<'_>, slot: &mut Option<Head>) -> Result<bool, ErrorKind> {
        let cur = &self.current;
        if !matches!(
            op,
            Op::Store(_)
                | Op::Bodyless(_)
                | Op::WithBody(..)
                | Op::Chunked(_)
                | Op::Again
                | Op::Announce(_)
                | Op::Close
        ) {
            self.issued = false;
        }
        match *op {
            Op::Version(v) => {
                let old = cur.version.map_or(0, |_| 8);
                self.check_growth(8, old)?;
                self.current.version = Some(v);
                self.current.bytes = self.current.bytes + 8 - old;
            }
            Op::Base(b) => self.set_base(Bytes::copy_from_slice(b))?,
            Op::Method(m) => {
                let old = cur.method.as_ref().map_or(0, Bytes::len);
                self.check_growth(m.len(), old)?;
                self.current.bytes = self.current.bytes + m.len() - old;
                self.current.method = Some(Bytes::copy_from_slice(m));
            }
            Op::Header(h) => self.push_header(h)?,
            Op::Store(name) => {
                let new = register_cost(name.len(), self.current.bytes);
                let old = self.registers.get(name).map(|r| register_cost(name.len(), r.state.bytes));
                if old.is_none() && self.registers.len() >= self.limits.max_registers {
                    return Err(ErrorKind::TooManyRegisters { limit: self.limits.max_registers });
                }
                let after = self.bytes() + new - old.unwrap_or(0);
                if after > self.limits.max_state_bytes {
                    return Err(ErrorKind::StateTooLarge { limit: self.limits.max_state_bytes });
                }
                self.register_bytes = self.register_bytes + new - old.unwrap_or(0);
                // A register keeps a copy of its own of a block that is open or cut from the
                // arena; the current state shares it.
                if self.block != Block::Held {
                    self.current.headers.block = Held::Shared(Bytes::copy_from_slice(self.block_bytes()));
                    self.arena.chunk.clear();
                    self.block = Block::Held;
                }
                match self.registers.get_mut(name) {
                    Some(reg) => {
                        reg.state.clone_from(&self.current);
                        reg.starts.clone_from(&self.starts);
                    }
                    None => {
                        let saved = Saved { state: self.current.clone(), starts: self.starts.clone() };
                        self.registers.insert(name, saved);
                    }
                }
            }
            Op::Load(name) => self.load(name)?,
            Op::EditBase(splice) => {
                let mut base = Vec::with_capacity(cur.base.len() + splice.text.len());
                splice_into(&cur.base, &splice, 0, op, &mut base)?;
                self.set_base(Bytes::from(base))?;
            }
            Op::HeaderEntry(_) | Op::Set(_) | Op::Replace(..) | Op::Insert(..) | Op::Delete(..) | Op::Edit(..) => {
                self.edit_headers(op)?
            }
            Op::Status(code, reason) => {
                let old = cur.method.as_ref().map_or(0, Bytes::len) + cur.base.len();
                self.check_growth(code.len() + reason.len(), old)?;
                self.current.bytes = self.current.bytes + code.len() + reason.len() - old;
                if self.current.method.as_deref() != Some(code) {
                    self.current.method = Some(Bytes::copy_from_slice(code));
                }
                if self.current.base[..] != *reason {
                    self.current.base = Bytes::copy_from_slice(reason);
                }
            }
            Op::Bodyless(s) => return self.issue(s, Framing::None, slot).map(|()| true),
            Op::WithBody(s, n) => return self.issue(s, Framing::Length(n), slot).map(|()| true),
            Op::Chunked(s) => return self.issue(s, Framing::Chunked, slot).map(|()| true),
            Op::Again => {
                let Some(n) = self.last_length else { return Err(ErrorKind::NoLength) };
                return self.issue(b"", Framing::Length(n), slot).map(|()| true);
            }
            Op::Announce(framing) => return self.issue(b"", framing, slot).map(|()| true),
            Op::Close => return self.issue(b"", Framing::Close, slot).map(|()| true),
        }
        Ok(false)
    }

    /// Applies `<:`.
    ///
    /// Not inlined: inlined into `apply_into` it cost the browse decode 9 % of its speed
    /// (criterion, `browse_decode/streamline_decode_slice`, 7.3 M/s against 6.7 M/s).
    #[inline(never)]
    fn load(&mut self, name: &[u8]) -> Result<(), ErrorKind> {
        self.issued = false;
        let saved = self.registers.get(name).ok_or_else(|| ErrorKind::UnknownRegister(escape(name)))?;
        let reg = &saved.state;
        if self.register_bytes + reg.bytes > self.limits.max_state_bytes {
            return Err(ErrorKind::StateTooLarge { limit: self.limits.max_state_bytes });
        }
        self.starts.clone_from(&saved.starts);
        let cur = &mut self.current;
        cur.assign_all_but_headers(reg);
        self.arena.chunk.clear();
        if reg.headers.block.len() <= LOAD_COPY {
            // Copied into the arena as the open block, where the `H:` lines that
            // usually follow extend it: no reference count is taken.
            self.arena.reserve(reg.headers.block.len());
            self.arena.chunk.extend_from_slice(&reg.headers.block);
            self.block = Block::Open;
            cur.headers.count = reg.headers.count;
            if !cur.headers.block.is_empty() {
                cur.headers.block = Held::default();
            }
        } else {
            // A big block is shared, so a load costs the same whatever its size; the
            // first `H:` after it copies it.
            self.block = Block::Held;
            cur.headers.assign(&reg.headers);
        }
        Ok(())
    }

    /// Applies an opcode that edits the header list (SPEC.md §4.10): what it does is found and
    /// checked against the limits first, then made in place in the open header block.
    #[inline(never)]
    fn edit_headers(&mut self, op: &Op<'_>) -> Result<(), ErrorKind> {
        self.issued = false;
        let mut made = std::mem::take(&mut self.scratch);
        let result = self.commit_edit(op, &mut made);
        self.scratch = made;
        result
    }

    fn commit_edit(&mut self, op: &Op<'_>, made: &mut Vec<u8>) -> Result<(), ErrorKind> {
        let count = self.current.headers.count;
        let block: &[u8] = match self.block {
            Block::Open => &self.arena.chunk,
            Block::Held | Block::Cut => &self.current.headers.block,
        };
        let old_len = block.len();
        // The index kept up to date is the index a fresh scan makes (the fast path beside
        // the general one, checked wherever debug assertions are on: every test and fuzz run).
        debug_assert!(
            {
                let mut fresh = Vec::new();
                line_starts(block, &mut fresh);
                fresh == self.starts && fresh.len() == count
            },
            "the line-start index drifted from the block"
        );
        let edit = plan_edit(block, &self.starts, op, &self.table.lines, made)?;
        if edit.count > self.limits.max_headers {
            return Err(ErrorKind::TooManyHeaders { limit: self.limits.max_headers });
        }
        let added = edit.line.map_or(0, |l| l.len() + 2);
        // The line made fits `max_line` as it would be written out (SPEC.md §4.10): an `E:`
        // of a few bytes could otherwise grow one line past any the plain form carries.
        if added > self.limits.max_line {
            return Err(ErrorKind::LineTooLong { limit: self.limits.max_line });
        }
        let new_len = old_len - (edit.rest - edit.cut) + added;
        let (old, new) = (old_len - 2 * count, new_len - 2 * edit.count);
        if new > old && self.bytes() + (new - old) > self.limits.max_state_bytes {
            return Err(ErrorKind::StateTooLarge { limit: self.limits.max_state_bytes });
        }
        // The block becomes the arena's open one, if it is not yet (as `H:` makes it).
        if self.block == Block::Open {
            self.arena.reserve(added);
        } else {
            debug_assert!(self.arena.chunk.is_empty(), "no open block, nothing in the chunk");
            self.arena.reserve(old_len + added);
            self.arena.chunk.extend_from_slice(&self.current.headers.block);
            self.block = Block::Open;
            if !self.current.headers.block.is_empty() {
                self.current.headers.block = Held::default();
            }
        }
        // The lines after the edit move once, to where the new line ends, and the new line
        // is written in the gap.
        let chunk = &mut self.arena.chunk;
        let end = edit.cut + added;
        if end > edit.rest {
            chunk.resize(new_len, 0);
        }
        chunk.copy_within(edit.rest..old_len, end);
        chunk.truncate(new_len);
        if let Some(line) = edit.line {
            chunk[edit.cut..end - 2].copy_from_slice(line);
            chunk[end - 2..end].copy_from_slice(b"\r\n");
        }
        // The line starts after the edit move by what it added or took away.
        let shift = added as isize - (edit.rest - edit.cut) as isize;
        for start in &mut self.starts[edit.first + edit.removed..] {
            *start = start.wrapping_add_signed(shift);
        }
        match (edit.removed, edit.line) {
            // A line replaced (most edits): its start stays.
            (1, Some(_)) => {}
            (0, Some(_)) => self.starts.insert(edit.first, edit.cut),
            (n, inserted) => {
                self.starts.splice(edit.first..edit.first + n, inserted.map(|_| edit.cut));
            }
        }
        self.current.bytes = self.current.bytes + new - old;
        self.current.headers.count = edit.count;
        if edit.sent {
            let line = &self.arena.chunk[edit.cut..edit.cut + added - 2];
            self.table.sent(line);
        }
        Ok(())
    }

    /// Applies `H:` with this (checked) line.
    #[inline]
    pub(crate) fn push_header(&mut self, h: &[u8]) -> Result<(), ErrorKind> {
        self.issued = false;
        if self.current.headers.len() >= self.limits.max_headers {
            return Err(ErrorKind::TooManyHeaders { limit: self.limits.max_headers });
        }
        self.check_growth(h.len(), 0)?;
        self.current.bytes += h.len();
        // The first line after a change of state starts a new block from a copy of the
        // current one; the lines after it extend that block in place.
        let open = self.block == Block::Open;
        let copied = if open { 0 } else { self.current.headers.block.len() };
        self.arena.reserve(copied + h.len() + 2);
        if !open {
            self.arena.chunk.extend_from_slice(&self.current.headers.block);
            self.block = Block::Open;
        }
        self.starts.push(self.arena.chunk.len());
        self.arena.chunk.extend_from_slice(h);
        self.arena.chunk.extend_from_slice(b"\r\n");
        self.current.headers.count += 1;
        self.table.sent(h);
        Ok(())
    }

    /// Rejects a change that replaces `old` counted bytes with `new` if it would pass the limit.
    fn check_growth(&self, new: usize, old: usize) -> Result<(), ErrorKind> {
        if new > old && self.bytes() + (new - old) > self.limits.max_state_bytes {
            return Err(ErrorKind::StateTooLarge { limit: self.limits.max_state_bytes });
        }
        Ok(())
    }

    /// Is the head in `slot` the one an empty suffix issues from the current state (so only
    /// its framing needs setting)?
    #[inline]
    pub(crate) fn reissues(&self, slot: &Option<Head>) -> bool {
        self.issued && slot.is_some()
    }

    /// Puts the head `-:`/`+:`/`*:` issue into `slot`. The steady case (empty suffix, state
    /// unchanged, slot holding the same parts) only writes the framing.
    fn issue(&mut self, suffix: &[u8], framing: Framing, slot: &mut Option<Head>) -> Result<(), ErrorKind> {
        // The framing line must fit the line limit the plain reader enforces.
        let framing_line = framing.line_len();
        if framing_line > self.limits.max_line {
            return Err(ErrorKind::LineTooLong { limit: self.limits.max_line });
        }
        if let Framing::Length(n) = framing {
            self.last_length = Some(n);
        }
        if suffix.is_empty() && (!framing.is_chunked() || self.current.version.is_some_and(Version::chunked_allowed)) {
            if let (true, Some(head)) = (self.issued, slot.as_mut()) {
                // Nothing waits for the table: every opcode that sends a line clears `issued`.
                head.framing = framing;
                return Ok(());
            }
        }
        let cur = &self.current;
        let responses = self.responses;
        // (`let else` rather than `ok_or`: an error made, and dropped, on every issue was 1.5 %
        // of the browse decode.)
        let Some(method) = cur.method.as_ref() else {
            return Err(if responses { ErrorKind::NoStatus } else { ErrorKind::NoMethod });
        };
        let Some(version) = cur.version else { return Err(ErrorKind::NoVersion) };
        if framing.is_chunked() && !version.chunked_allowed() {
            return Err(ErrorKind::ChunkedBeforeHttp11(version.to_string()));
        }
        // So must the plain request-line (or status-line, as long).
        if method.len() + cur.base.len() + suffix.len() + 12 > self.limits.max_line {
            return Err(ErrorKind::LineTooLong { limit: self.limits.max_line });
        }
        if cur.base.is_empty() && suffix.is_empty() && !responses {
            return Err(ErrorKind::EmptyTarget);
        }
        if responses && framing.has_body() {
            let status = status_code(method);
            if !may_have_body(status) {
                return Err(ErrorKind::BodyNotAllowed { status });
            }
        }
        // The request is issued: the lines sent for it enter the table.
        self.table.issued();
        self.issued = suffix.is_empty();
        // The slot's parts are nobody else's (a borrowed read is done with them): rebuilt in
        // place from the state, the open header block included, without sharing anything.
        if let Some(head) = slot.as_mut() {
            if let Some(parts) = Arc::get_mut(&mut head.parts) {
                parts.rebuild(responses, method, &[&cur.base, suffix], version, self.block_bytes(), cur.headers.count);
                head.framing = framing;
                return Ok(());
            }
        }
        let method = method.clone();
        self.freeze();
        let target =
            if suffix.is_empty() { self.current.base.clone() } else { self.arena.put(&[&self.current.base, suffix]) };
        let headers = self.current.headers.clone();
        let parts = if responses {
            Parts::new_response(method, target, version, headers)
        } else {
            Parts::new(method, target, version, headers)
        };
        *slot = Some(Head { parts, framing });
        Ok(())
    }
}

/// Where the state's per-request bytes are written (see [`State`]'s `arena`).
#[derive(Debug, Clone)]
struct Arena {
    /// The chunk being written: its content is the open header block, if any.
    chunk: BytesMut,
    /// Chunks written before, kept to be used again once no piece of them is held any more:
    /// allocating and freeing chunks at a feed's pace makes the allocator hand pages back
    /// to the system and fault them in again, which cost more than the decoding itself.
    spare: Vec<BytesMut>,
    /// Bytes allocated for `chunk` ([`ARENA_CHUNK`], or more for a big header block).
    size: usize,
}

impl Default for Arena {
    fn default() -> Self {
        // The first chunk is allocated on first use, at the usual size.
        Arena { chunk: BytesMut::new(), spare: Vec::new(), size: ARENA_CHUNK }
    }
}

/// Chunks an [`Arena`] keeps for reuse.
const SPARE_CHUNKS: usize = 8;

impl Arena {
    /// Makes room for `n` more bytes, moving the content (an open header block) to another
    /// chunk if this one is full: a spare nothing holds any more, else a new one.
    #[inline]
    fn reserve(&mut self, n: usize) {
        if self.chunk.capacity() - self.chunk.len() < n && !self.chunk.try_reclaim(n) {
            self.next_chunk(n);
        }
    }

    #[cold]
    fn next_chunk(&mut self, n: usize) {
        let need = self.chunk.len() + n;
        // An open block too big for a chunk gets one of twice its size, so a long run of
        // `H:` lines moves it a logarithmic number of times, not once per line.
        let (mut fresh, size) = if need > ARENA_CHUNK {
            (BytesMut::with_capacity(2 * need), 2 * need)
        } else {
            match self.spare.iter_mut().position(|c| c.try_reclaim(need)) {
                Some(i) => (self.spare.swap_remove(i), ARENA_CHUNK),
                None => (BytesMut::with_capacity(ARENA_CHUNK), ARENA_CHUNK),
            }
        };
        fresh.extend_from_slice(&self.chunk);
        let mut old = std::mem::replace(&mut self.chunk, fresh);
        // Only chunks of the usual size are kept for reuse: a big one is freed with its last
        // piece.
        if std::mem::replace(&mut self.size, size) == ARENA_CHUNK {
            old.clear();
            if self.spare.len() == SPARE_CHUNKS {
                self.spare.remove(0);
            }
            self.spare.push(old);
        }
    }

    /// Copies `pieces` (there being no open block) and splits them off as one `Bytes`.
    fn put(&mut self, pieces: &[&[u8]]) -> Bytes {
        self.reserve(pieces.iter().map(|p| p.len()).sum());
        for piece in pieces {
            self.chunk.extend_from_slice(piece);
        }
        self.chunk.split().freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: &mut State, lines: &[&[u8]]) -> Result<Vec<Head>, ErrorKind> {
        let mut heads = Vec::new();
        for line in lines {
            let op = crate::compact::syntax::parse_op(line)?;
            heads.extend(state.apply(&op).map_err(Error::into_kind)?);
        }
        Ok(heads)
    }

    #[test]
    fn issue_requires_method_version_target() {
        let mut s = State::new(Limits::default());
        assert_eq!(run(&mut s, &[b"-:/"]), Err(ErrorKind::NoMethod));
        assert_eq!(run(&mut s, &[b"M:GET", b"-:/"]), Err(ErrorKind::NoVersion));
        assert_eq!(run(&mut s, &[b"V:HTTP/1.1", b"-:"]), Err(ErrorKind::EmptyTarget));
        let heads = run(&mut s, &[b"B:/a", b"-:", b"-:b"]).unwrap();
        assert_eq!(heads[0].target(), b"/a");
        assert_eq!(heads[1].target(), b"/ab");
    }

    #[test]
    fn registers_copy_whole_state() {
        let mut s = State::new(Limits::default());
        let lines: [&[u8]; 10] =
            [b"V:HTTP/1.1", b"M:GET", b"B:/", b"H:A: 1", b">:r", b"H:B: 2", b"M:PUT", b"<:r", b"H:C: 3", b"-:x"];
        let heads = run(&mut s, &lines).unwrap();
        assert_eq!(heads[0].method(), "GET");
        assert_eq!(heads[0].headers().as_block(), b"A: 1\r\nC: 3\r\n");
        assert_eq!(heads[0].headers().iter().collect::<Vec<_>>(), [&b"A: 1"[..], b"C: 3"]);
        assert_eq!(run(&mut s, &[b"<:nope"]), Err(ErrorKind::UnknownRegister("nope".into())));
        let c = &s.current;
        assert_eq!(c.bytes, 8 + c.base.len() + c.method.as_ref().map_or(0, Bytes::len) + c.headers.byte_len());
    }

    /// SPEC.md §5.2: a register is found by its whole name, whatever its length: one byte (the
    /// table of bytes), two to seven (one word), eight and more (the bytes), with names that
    /// share a first byte or a prefix, saved over and loaded back, each with its own lines.
    #[test]
    fn registers_by_each_kind_of_name() {
        let names: [&[u8]; 7] = [b"a", b"b", b"ab", b"abcdefg", b"abcdefgh", b"abcdefghi", b"A"];
        let mut s = State::new(Limits::default());
        run(&mut s, &[b"V:HTTP/1.1", b"M:GET", b"B:/"]).unwrap();
        for (i, name) in names.iter().enumerate() {
            let lines = [format!("H:N{i}: {i}").into_bytes(), [&b">:"[..], name].concat(), b"D:0".to_vec()];
            run(&mut s, &lines.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap();
        }
        // Saved over: the second save of a name replaces the first.
        run(&mut s, &[b"H:Again: 1", b">:ab", b"D:0"]).unwrap();
        for (i, name) in names.iter().enumerate() {
            let heads = run(&mut s, &[&[&b"<:"[..], name].concat(), b"S:Edited: yes", b"-:"]).unwrap();
            let want = if *name == b"ab" {
                "Again: 1\r\nEdited: yes\r\n".to_string()
            } else {
                format!("N{i}: {i}\r\nEdited: yes\r\n")
            };
            assert_eq!(heads[0].headers().as_block(), want.as_bytes(), "register {}", escape(name));
        }
        assert_eq!(s.registers.len(), names.len());
        assert_eq!(run(&mut s, &[b"<:c"]), Err(ErrorKind::UnknownRegister("c".into())));
        assert_eq!(run(&mut s, &[b"<:abcdef"]), Err(ErrorKind::UnknownRegister("abcdef".into())));
        assert_eq!(run(&mut s, &[b"<:abcdefghij"]), Err(ErrorKind::UnknownRegister("abcdefghij".into())));
    }

    #[test]
    fn limits_enforced() {
        let o = Limits::REGISTER_OVERHEAD;
        let mut s = State::new(Limits::default().max_registers(2).max_headers(2).max_state_bytes(2 * o + 40));
        assert_eq!(run(&mut s, &[b">:a", b">:b", b">:a"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b">:c"]), Err(ErrorKind::TooManyRegisters { limit: 2 }));
        assert_eq!(run(&mut s, &[b"H:A: 1", b"H:B: 2"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b"H:C: 3"]), Err(ErrorKind::TooManyHeaders { limit: 2 }));
        let mut s = State::new(Limits::default().max_state_bytes(20));
        assert_eq!(run(&mut s, &[b"H:A: 0123456789"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b">:r"]), Err(ErrorKind::StateTooLarge { limit: 20 }));
        assert_eq!(run(&mut s, &[b"B:0123456789"]), Err(ErrorKind::StateTooLarge { limit: 20 }));
        // A register counts the overhead, its name and its copy's bytes: after a 13-byte
        // line, `>:r` takes the total to 13 + o + 1 + 13.
        let mut s = State::new(Limits::default().max_state_bytes(o + 26));
        assert_eq!(run(&mut s, &[b"H:A: 0123456789"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b">:r"]), Err(ErrorKind::StateTooLarge { limit: o + 26 }));
        let mut s = State::new(Limits::default().max_state_bytes(o + 27));
        assert_eq!(run(&mut s, &[b"H:A: 0123456789", b">:r"]).map(|h| h.len()), Ok(0));
        assert_eq!(s.bytes(), o + 27);
        assert_eq!(run(&mut s, &[b"M:G"]), Err(ErrorKind::StateTooLarge { limit: o + 27 }));
        // Storing again under the same name replaces the register's count.
        assert_eq!(run(&mut s, &[b">:r"]).map(|h| h.len()), Ok(0));
        assert_eq!(s.bytes(), o + 27);
    }

    /// [`Limits::REGISTER_OVERHEAD`] was chosen from these sizes (its documentation says how):
    /// if a register's entry grows, the overhead must be measured again
    /// (`tests/state_memory.rs`).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn register_entries_are_no_bigger_than_the_overhead_assumes() {
        assert!(std::mem::size_of::<Snapshot>() <= 120);
        assert!(std::mem::size_of::<(u64, Snapshot)>() <= 128);
        assert!(std::mem::size_of::<(Bytes, Snapshot)>() <= 152);
    }
}
