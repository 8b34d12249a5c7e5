//! Requests in, compact bytes out: plan, then the plan's steps, each applied to the encoder's
//! mirror of the decoder's state and written.

mod align;
mod lookahead;
mod plan;
mod prefix;

pub use lookahead::{Drained, Emitted, Lookahead, Window};
pub use plan::Plan;

use bytes::BufMut;

use self::align::{line_hashes, Change, Pricing};
use self::plan::{header_cost, plan, register_name, Index, Reg, Save, Slot, View, ESTIMATE_AHEAD};
use self::prefix::{block_hash, Tables};
use crate::compact::edit::{edit_block, splice_into};
use crate::compact::op::{Op, Splice};
use crate::compact::state::{register_cost, Snapshot};
use crate::compact::statics;
use crate::compact::table::Table;
use crate::error::{Error, ErrorKind};
use crate::message::{decimal_len, write_decimal, Framing, Head, Headers, Held, Message, Parts};
use crate::wire::chars::common_prefix;
use crate::wire::huffman;
use crate::Limits;

/// Encodes requests into the compact syntax, choosing the shortest opcode sequence it can
/// find (SPEC.md §9).
///
/// The encoder keeps a mirror of the state the decoder on the other end will have, so it
/// knows what each request can reuse: the current version, base, method and header lines,
/// and the registers it created. It is deterministic: the same requests give the same bytes.
/// The mirror is the encoder's own (the decoder's [`State`](crate::State) is not shared): it
/// changes only by applying the steps the encoder writes, one function for every opcode.
///
/// Output goes to any [`BufMut`]: a `Vec<u8>`, a `BytesMut`, a fixed buffer. Nothing is
/// written for a request unless all of it fits: a `dst` short of room makes the call return
/// `ErrorKind::Unencodable` with [`Encoder::NO_ROOM`], having written and changed nothing, so
/// the same call can be made again once there is room.
///
/// [`Encoder::encode`] plans each request alone. Given the requests that follow
/// ([`Encoder::encode_head`], or [`Lookahead`] for streams) it also stores registers that
/// later requests will restore.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use streamline::{http1::Parser, Encoder};
///
/// let mut src = BytesMut::from(&b"POST /q HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"[..]);
/// let req = Parser::new().decode_eof(&mut src).unwrap().unwrap();
/// let mut out = Vec::new();
/// let mut encoder = Encoder::new();
/// encoder.encode(&req, &mut out).unwrap();
/// assert_eq!(out, b"V:HTTP/1.1\r\nB:/q\r\nM:POST\r\nH:Host: a\r\n+: 2\r\nhi");
/// out.clear();
/// encoder.encode(&req, &mut out).unwrap();
/// assert_eq!(out, b"+: 2\r\nhi");
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    /// The mirror's current state. Changed only by [`Encoder::apply`].
    current: Snapshot,
    /// What the registers count against `max_state_bytes` (SPEC.md §7.2): the sum of
    /// [`register_cost`] over `regs`, whose snapshots are the mirror's registers.
    register_bytes: usize,
    limits: Limits,
    regs: Vec<Reg>,
    /// The registers by the hash of their header lines.
    index: Index,
    tick: u64,
    failed: bool,
    /// Requests written: a refusal names request `requests + 1` ([`Error::request`]).
    requests: u64,
    /// The head the state was last built for (by a plan that changed it): the state holds
    /// its version, method and header lines, and a prefix of its target as base. A request
    /// sharing its parts needs only its issuing line when the base is the whole target
    /// (checked without comparing any bytes).
    last: Option<Head>,
    /// The steps of the plan being written (kept to reuse the allocation).
    steps: Vec<Step>,
    /// The prefix tables of the heads the last plan in full looked at.
    tables: Tables,
    /// Header editing (SPEC.md §4.10) on: the opcodes of the first version only if off.
    editing: bool,
    /// Field names (lowercase) whose values are never edited in part.
    sensitive: Vec<Vec<u8>>,
    /// Registers tried as starts for an edit.
    effort: usize,
    /// The mirror of the decoder's table of sent lines (kept only with editing on).
    table: Table,
    /// Where an edit builds the mirror's new header block.
    scratch: Vec<u8>,
    /// Bytes of state lines written since the current state was last stored or loaded: how
    /// far it has drifted from every register (0: a register holds it).
    drift: usize,
    /// Does this encoder write a response stream (SPEC.md §13)?
    responses: bool,
    /// Responses: the length of the last `+:` written, which a `+:` without one repeats.
    last_length: Option<u64>,
    /// Packed and static lines (SPEC.md §4.11, §4.12) on: a line is written in HPACK's
    /// Huffman code, or as an entry of the static list and its text, or both, where that is
    /// shorter.
    packing: bool,
    /// With packing on, where a plan's lines wait to be packed or copied (kept to reuse the
    /// allocation).
    lines: Vec<u8>,
    /// With packing on, where a line's static form is made (kept to reuse the allocation).
    static_line: Vec<u8>,
}

/// One step of writing a plan: an opcode line, or a run of `H:` lines, with its arguments
/// taken from the head being written and the encoder's registers. [`Encoder::apply`] applies
/// a step to the mirror (sharing the head's bytes rather than copying them) and
/// [`Encoder::write`] writes it: the same steps go through both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// `<:` register `i`.
    Load(usize),
    /// `V:` the head's version.
    Version,
    /// `B:` the first `len` bytes of the head's target.
    Base(usize),
    /// `C:` the response's status code and reason phrase.
    Status,
    /// `M:` the head's method.
    Method,
    /// `H:` the head's header lines `from..to`, one line each (the state holds the first
    /// `from` already).
    Headers { from: usize, to: usize },
    /// `>:` a register, with the header lines the state holds at that point.
    Store(Save),
    /// `U:` making the base the first `len` bytes of the head's target: `cut` bytes at `at`
    /// replaced by the target's `text` bytes from `at` on.
    EditBase { len: usize, at: usize, cut: usize, text: usize },
    /// One header edit (`H:`, `S:`, `R:`, `I:`, `D:`, `E:`).
    Change(Change),
    /// The issuing line: `-:`, `+:` or `*:` by the head's framing, with the target from
    /// byte `suffix` on.
    Issue { suffix: usize },
}

/// Field names never edited in part unless told otherwise ([`Encoder::sensitive`]).
const DEFAULT_SENSITIVE: [&[u8]; 2] = [b"authorization", b"proxy-authorization"];

/// Registers tried as starts for an edit unless told otherwise ([`Encoder::effort`]).
const DEFAULT_EFFORT: usize = 8;

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// The reason `ErrorKind::Unencodable` gives when `dst` has no room for the request: not
    /// a refusal (nothing was written or changed; call again with room).
    pub const NO_ROOM: &'static str = "no room in the output buffer";

    /// An encoder with [`Limits::default`]. The decoder must allow at least these limits.
    pub fn new() -> Self {
        Encoder::with_limits(Limits::default())
    }

    /// An encoder whose output stays within `limits`: a decoder with the same limits accepts it.
    pub fn with_limits(limits: Limits) -> Self {
        Encoder {
            current: Snapshot::default(),
            register_bytes: 0,
            limits,
            regs: Vec::new(),
            index: Index::default(),
            tick: 0,
            failed: false,
            requests: 0,
            last: None,
            steps: Vec::new(),
            tables: Tables::default(),
            editing: true,
            sensitive: DEFAULT_SENSITIVE.iter().map(|n| n.to_vec()).collect(),
            effort: DEFAULT_EFFORT,
            table: Table::indexed(limits.table_bytes),
            scratch: Vec::new(),
            drift: usize::MAX,
            responses: false,
            last_length: None,
            packing: false,
            static_line: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Makes this an encoder of responses (SPEC.md §13): it takes response heads and writes a
    /// compact response stream, which starts with its `C:` line. Call it before the first
    /// message: a stream keeps the direction it started in, so on an encoder that has written
    /// a request it changes nothing, and a response given to it is refused
    /// ([`ErrorKind::WrongDirection`](crate::ErrorKind::WrongDirection)), not written into the
    /// request stream.
    ///
    /// ```
    /// use streamline::{Encoder, Framing, Head, Headers, Response, Version};
    /// let mut headers = Headers::new();
    /// headers.push(b"Server: nginx")?;
    /// let head = Head::response(200, "OK".into(), Version::HTTP_11, headers, Framing::Length(3))?;
    /// let ack = Response::new(head, "OK\n".into())?;
    /// let mut encoder = Encoder::new().responses();
    /// let mut out = Vec::new();
    /// encoder.encode(&ack, &mut out)?;
    /// assert_eq!(out, b"C:200 OK\r\nV:HTTP/1.1\r\nH:Server: nginx\r\n+: 3\r\nOK\n");
    /// out.clear();
    /// encoder.encode(&ack, &mut out)?;
    /// assert_eq!(out, b"+:\r\nOK\n");
    /// # Ok::<(), streamline::Error>(())
    /// ```
    #[must_use]
    pub fn responses(mut self) -> Self {
        if self.requests == 0 {
            self.responses = true;
        }
        self
    }

    /// Turns header editing (SPEC.md §4.10) on (the default) or off. Off, the encoder writes
    /// only the opcodes of the format's first version (`V B M H > < - + *`), which a decoder
    /// without editing reads; on, a changed header line or base costs about the bytes that
    /// changed.
    ///
    /// Best set before the first request. Switched on later, the encoder starts its mirror of
    /// the decoder's table of sent lines afresh (entries count from the newest, so the lines
    /// sent from then on have the same indices in both) and reads the lines of the registers
    /// it saved meanwhile. Switched off later, a request may find no register to start from
    /// (the first version's opcodes cannot take a line away) and be refused as
    /// [`ErrorKind::Unencodable`](crate::ErrorKind::Unencodable), with nothing written.
    #[must_use]
    pub fn editing(mut self, on: bool) -> Self {
        if on && !self.editing {
            // With editing off, the table's mirror and the registers' line hashes were not
            // kept.
            self.table = Table::indexed(self.limits.table_bytes);
            for reg in &mut self.regs {
                line_hashes(reg.snap.headers.as_block(), &mut reg.lines);
            }
        }
        self.editing = on;
        self
    }

    /// Turns packed and static lines (SPEC.md §4.11, §4.12) on or off (the default). On,
    /// every line but a stream's first is written in the shortest of four forms: as it is;
    /// as a static line, `~N` and the text after entry N of the format's fixed list of
    /// common lines (`~3` for `H:Accept: */*`, `~1 example.com` for `H:Host: example.com`);
    /// or either of those as `~:LEN` and LEN bytes of HPACK's Huffman code (RFC 7541 Appendix
    /// B): about a fifth off text such as request ids, tokens and query strings, which the
    /// line opcodes cannot shorten. The stream is then no longer readable as text; a line of
    /// 8 bytes or fewer (a steady feed's `+: 66`) is never packed. A stream's first request
    /// then writes its version after its base and method, so that its `V:` line can be static.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use streamline::{http1, Decoder, Encoder};
    /// let mut plain = BytesMut::from(&b"GET /a HTTP/1.1\r\nX-Id: 9f3c7e1a-56b2-4d0e-8c11-2b7f0d9e4a63\r\n\r\n"[..]);
    /// let request = http1::Parser::new().decode(&mut plain)?.unwrap();
    /// let (mut text, mut packed) = (Vec::new(), Vec::new());
    /// Encoder::new().encode(&request, &mut text)?;
    /// Encoder::new().packing(true).encode(&request, &mut packed)?;
    /// assert!(packed.len() < text.len());
    /// let back = Decoder::new().decode(&mut BytesMut::from(&packed[..]))?.unwrap();
    /// assert_eq!(back, request);
    /// # Ok::<(), streamline::Error>(())
    /// ```
    #[must_use]
    pub fn packing(mut self, on: bool) -> Self {
        self.packing = on;
        self
    }

    /// Field names whose values are never edited in part (`E:`), only replaced whole (SPEC.md
    /// §12): a value that holds a secret then shares no part of itself with bytes an attacker
    /// chooses. Compared without regard to case. Default `Authorization` and
    /// `Proxy-Authorization`; add `Cookie` where cookies hold secrets an attacker could
    /// probe.
    #[must_use]
    pub fn sensitive<N: AsRef<[u8]>>(mut self, names: impl IntoIterator<Item = N>) -> Self {
        self.sensitive = names.into_iter().map(|n| n.as_ref().to_ascii_lowercase()).collect();
        self
    }

    /// How many registers (the most recently used) the planner tries as the start of a header
    /// edit, besides the current state. More finds cheaper edits on traffic that returns to
    /// earlier kinds of request, at the cost of one alignment each (BENCHMARKS.md). Default 8.
    #[must_use]
    pub fn effort(mut self, registers: usize) -> Self {
        self.effort = registers;
        self
    }

    /// Is the state's base the whole target of `head`, and its version, method and header
    /// lines those of `head`? Then the request needs only its issuing line. Lengths first,
    /// then the bytes; the header block a word at a time (see `plan::is_prefix` for why
    /// not `memcmp`); bytes that are the state's own (a head built from the parts it took,
    /// such as clones of the same `Headers`) are not compared at all.
    #[inline]
    fn holds(&self, parts: &Parts) -> bool {
        let cur = &self.current;
        // The same bytes (a head built from the parts the state took) need no comparing.
        let same = |a: &[u8], b: &[u8]| a.as_ptr() == b.as_ptr() || a == b;
        let (block, held) = (parts.headers.as_block(), cur.headers.as_block());
        cur.base.len() == parts.target.len()
            && cur.headers.len() == parts.headers.len()
            && held.len() == block.len()
            && cur.version == Some(parts.version)
            && cur.method.as_ref().is_some_and(|m| m.len() == parts.method.len() && same(m, &parts.method))
            && same(&cur.base, &parts.target)
            && (held.as_ptr() == block.as_ptr() || common_prefix(held, block) == block.len())
    }

    /// Plans a request without writing anything: the opcodes [`Encoder::encode_head`] would
    /// write now. `ahead` are the requests known to follow it; `complete` says there are no
    /// others.
    ///
    /// # Errors
    ///
    /// A request the encoder cannot express within its limits, numbered (from 1) among the
    /// requests this encoder has written ([`Error::request`]).
    pub fn plan(&self, head: &Head, ahead: &[Head], complete: bool) -> Result<Plan, Error> {
        if self.steady(head) {
            return Ok(Plan::steady(head, self.last_length));
        }
        let mut tables = Tables::default();
        tables.make(head, self.ahead_read(ahead));
        self.plan_in_full(head, ahead, complete, &tables).map_err(|kind| self.refusal(kind))
    }

    /// The requests ahead whose prefix tables the planner reads: with header editing off,
    /// those whose saves it weighs; none with it on.
    fn ahead_read<'a>(&self, ahead: &'a [Head]) -> &'a [Head] {
        if self.editing {
            &[]
        } else {
            &ahead[..ahead.len().min(ESTIMATE_AHEAD)]
        }
    }

    /// An error for the request being encoded now.
    fn refusal(&self, kind: ErrorKind) -> Error {
        Error::for_request(kind, self.requests + 1)
    }

    /// Is `head` a steady request, whose plan is [`Plan::steady`]: the state holds
    /// everything but its framing?
    #[inline]
    fn steady(&self, head: &Head) -> bool {
        // The steady case: the state holds everything but the framing. Its lines were checked
        // when they were written; only the framing line, which may differ from the last
        // request's, can be too long now. (The longest, `Content-Length: ` + 20 digits + CRLF,
        // is 40 bytes.) The same parts as the last head's are known to be held without
        // comparing bytes; a head built afresh with the same content is compared.
        let limits = &self.limits;
        let framing_fits = limits.max_line >= 40 || head.framing.line_len() <= limits.max_line;
        let same = self.last.as_ref().is_some_and(|last| last.same_parts(head))
            && self.current.base.len() == head.parts.target.len();
        framing_fits && (same || self.holds(&head.parts))
    }

    /// [`Encoder::plan`] for a request that is not steady, with the bare kind of a refusal:
    /// `tables` holds the prefix tables of `head` and of [`Encoder::ahead_read`].
    fn plan_in_full(&self, head: &Head, ahead: &[Head], complete: bool, tables: &Tables) -> Result<Plan, ErrorKind> {
        let limits = &self.limits;
        if head.parts.headers.len() > limits.max_headers {
            return Err(ErrorKind::Unencodable("more header lines than the max_headers limit"));
        }
        // Every line is `X:` + argument + CRLF; the longest arguments are a header line, the
        // method, and the target (as a base, or as a suffix with ` LEN` after it).
        let longest = tables.of(head).windows(2).map(|w| w[1].end - w[0].end - 2).max().unwrap_or(0);
        let length = match head.framing {
            Framing::Length(n) => 1 + decimal_len(n),
            _ => 0,
        };
        let line = 4 + longest.max(head.parts.method.len()).max(head.parts.target.len() + length);
        // The decoder also holds the plain request-line to the limit.
        // And the framing line it adds: `Content-Length: N` or `Transfer-Encoding: chunked`.
        let request_line = head.parts.method.len() + head.parts.target.len() + 12;
        let framing_line = head.framing.line_len();
        if line.max(request_line).max(framing_line) > limits.max_line {
            return Err(ErrorKind::Unencodable("a line would pass the max_line limit"));
        }
        let view = View {
            current: &self.current,
            tables,
            regs: &self.regs,
            index: &self.index,
            max_registers: limits.max_registers,
            register_bytes: self.register_bytes,
            max_state_bytes: limits.max_state_bytes,
            max_headers: limits.max_headers,
            editing: self.editing.then(|| {
                (Pricing { table: &self.table, sensitive: &self.sensitive, max_line: limits.max_line }, self.effort)
            }),
            drift: self.drift,
            last_length: self.last_length,
            responses: self.responses,
        };
        let plan = plan(&view, head, ahead, complete)?;
        // The state peaks at the start (just after a load), at the end (the whole head), or,
        // for an edit, on the way.
        let peak = view.start_bytes(&plan).max(head.byte_len()).max(plan.peak);
        if plan.held.max(self.register_bytes) + peak > limits.max_state_bytes {
            return Err(ErrorKind::Unencodable("head too large for the max_state_bytes limit"));
        }
        Ok(plan)
    }

    /// Writes the opcode lines for a request's head, ending with its issuing line; the caller
    /// writes the body bytes right after.
    ///
    /// # Errors
    ///
    /// A request the encoder cannot express within its limits: nothing is written, and the
    /// encoder refuses every later request (the decoder's state would no longer match).
    /// `Unencodable(`[`Encoder::NO_ROOM`]`)` if `dst` lacks room for [`Plan::cost`] bytes:
    /// nothing is written or changed.
    pub fn encode_head(
        &mut self,
        head: &Head,
        ahead: &[Head],
        complete: bool,
        dst: &mut impl BufMut,
    ) -> Result<Plan, Error> {
        self.encode_head_with_room(head, ahead, complete, 0, dst)
    }

    /// [`Encoder::encode_head`], requiring room for `more` bytes after the head.
    fn encode_head_with_room(
        &mut self,
        head: &Head,
        ahead: &[Head],
        complete: bool,
        more: usize,
        dst: &mut impl BufMut,
    ) -> Result<Plan, Error> {
        match self.try_encode_head(head, ahead, complete, more, dst) {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => Err(Error::from_kind(ErrorKind::Unencodable(Encoder::NO_ROOM))),
            Err(kind) => Err(self.refusal(kind)),
        }
    }

    /// [`Encoder::encode_head`] with `Ok(None)` for a `dst` without room for the head and
    /// `more` bytes (nothing written or changed); an error is a refusal.
    pub(crate) fn try_encode_head(
        &mut self,
        head: &Head,
        ahead: &[Head],
        complete: bool,
        more: usize,
        dst: &mut impl BufMut,
    ) -> Result<Option<Plan>, ErrorKind> {
        if self.failed {
            return Err(ErrorKind::Unencodable("an earlier request failed to encode"));
        }
        if head.is_response() != self.responses {
            return Err(ErrorKind::WrongDirection(if self.responses {
                "a request given to an encoder of responses"
            } else {
                "a response given to an encoder of requests (see Encoder::responses)"
            }));
        }
        // Bytes written before the plan, to make room for it (rarely any).
        let mut prelude = 0;
        let mut plan = if self.steady(head) {
            Plan::steady(head, self.last_length)
        } else {
            self.tables.make(head, self.ahead_read(ahead));
            match self.plan_in_full(head, ahead, complete, &self.tables) {
                Ok(plan) => plan,
                Err(kind) => {
                    let Some((trial, lines, plan)) = self.with_room_made(head, ahead, complete) else {
                        return Err(kind);
                    };
                    if dst.remaining_mut() < lines.len().saturating_add(plan.cost).saturating_add(more) {
                        return Ok(None);
                    }
                    *self = *trial;
                    dst.put_slice(&lines);
                    prelude = lines.len();
                    plan
                }
            }
        };
        if dst.remaining_mut() < plan.cost.saturating_add(more) {
            return Ok(None);
        }
        let emitted = if self.packing { self.emit_packed(&plan, head, dst) } else { self.emit(&plan, head, dst) };
        if let Err(kind) = emitted {
            self.failed = true;
            self.last = None;
            return Err(kind);
        }
        // A plan that changed the state makes this head the one the state was last built
        // for. One that only issued (a steady request) left the state, so `last` stands: the
        // same head, or one the state also holds (kept rather than replaced by an equal one).
        if !plan.only_issues(head) {
            self.last = Some(head.clone());
        }
        self.requests += 1;
        plan.cost += prelude;
        Ok(Some(plan))
    }

    /// A request no plan fits in the state limit beside the registers (the templates saved
    /// for earlier kinds of request take up to half the limit, and this head is bigger than
    /// the other half): with editing on, the registers are made small first. The current
    /// state's lines are deleted (`D:0 N`) and the largest registers overwritten with what
    /// is left (`>:`), until the head fits beside them; then the request is planned again.
    /// Tried on a copy of the encoder, given with the lines that made the room and the plan,
    /// so that a request it cannot help is refused with nothing changed; `None` then. Rare
    /// enough that the copy costs nothing that shows.
    #[cold]
    #[inline(never)]
    fn with_room_made(&self, head: &Head, ahead: &[Head], complete: bool) -> Option<(Box<Encoder>, Vec<u8>, Plan)> {
        if !self.editing || self.register_bytes == 0 {
            return None;
        }
        let mut trial = Box::new(self.clone());
        let lines = trial.make_room(head)?;
        trial.tables.make(head, trial.ahead_read(ahead));
        let plan = trial.plan_in_full(head, ahead, complete, &trial.tables).ok()?;
        Some((trial, lines, plan))
    }

    /// Applies and writes the steps that make room for `head` (see
    /// [`Encoder::with_room_made`]), giving their lines; `None` if the registers
    /// cannot be made small enough.
    fn make_room(&mut self, head: &Head) -> Option<Vec<u8>> {
        let max = self.limits.max_state_bytes;
        let mut lines = Vec::new();
        let count = self.current.headers.len();
        if count > 0 {
            let step = Step::Change(Change::Delete { at: 0, count });
            self.apply(step, head).ok()?;
            self.write(step, head, &mut lines);
        }
        let mut largest: Vec<usize> = (0..self.regs.len()).filter(|&i| !self.regs[i].anchor).collect();
        largest.sort_by_key(|&i| std::cmp::Reverse(self.regs[i].snap.bytes));
        for i in largest {
            let fits = self.register_bytes + head.byte_len().max(self.current.bytes) <= max;
            if fits || self.regs[i].snap.bytes <= self.current.bytes {
                break;
            }
            let step = Step::Store(Save { at: 0, slot: Slot::Reuse(i), anchor: false, template: true });
            self.apply(step, head).ok()?;
            self.write(step, head, &mut lines);
        }
        (self.register_bytes + head.byte_len() <= max).then_some(lines)
    }

    /// Writes one whole request (planned alone) and its body.
    ///
    /// # Errors
    ///
    /// As [`Encoder::encode_head`]; [`Encoder::NO_ROOM`] if `dst` lacks room for the head and
    /// the body.
    pub fn encode<M: Message>(&mut self, message: &M, dst: &mut impl BufMut) -> Result<(), Error> {
        self.encode_head_with_room(message.head(), &[], false, message.body().len(), dst)?;
        dst.put_slice(message.body());
        Ok(())
    }

    /// Writes a plan: its steps are applied to the mirror, and only if every one applies are
    /// they written, so a step the mirror refuses leaves `dst` as it was.
    fn emit(&mut self, plan: &Plan, head: &Head, dst: &mut impl BufMut) -> Result<(), ErrorKind> {
        self.tick += 1;
        // A plan that is its issuing line alone (a steady feed's) needs no list.
        if plan.only_issues(head) {
            let issue = Step::Issue { suffix: plan.suffix };
            self.apply(issue, head)?;
            self.write(issue, head, dst);
            self.issued(head);
            return Ok(());
        }
        let mut steps = std::mem::take(&mut self.steps);
        steps.clear();
        self.steps(plan, head, &mut steps);
        let applied = steps.iter().try_for_each(|&step| self.apply(step, head));
        if applied.is_ok() {
            let room = dst.remaining_mut();
            for &step in &steps {
                self.write(step, head, dst);
            }
            debug_assert_eq!(room - dst.remaining_mut(), plan.cost, "the plan's cost is what it writes");
        }
        self.steps = steps;
        // After edits the mirror holds the head's own list (equal to what they made).
        if applied.is_ok() && plan.changes.is_some() {
            self.current.headers = head.parts.headers.clone();
        }
        if applied.is_ok() {
            self.issued(head);
        }
        applied
    }

    /// After a response's issuing line is written: a `+:` without a length repeats its
    /// length from now on.
    #[inline]
    fn issued(&mut self, head: &Head) {
        if let (true, Framing::Length(n)) = (self.responses, head.framing) {
            self.last_length = Some(n);
        }
    }

    /// The steps of a plan, in the order they are written.
    fn steps(&self, plan: &Plan, head: &Head, steps: &mut Vec<Step>) {
        // A template keeps the current state as it is: before anything changes it.
        steps.extend(plan.saves.iter().filter(|s| s.template).map(|&s| Step::Store(s)));
        steps.extend(plan.load.map(Step::Load));
        // A response stream starts with its `C:` line (SPEC.md §13.1).
        if self.responses && plan.method {
            steps.push(Step::Status);
        }
        // With static lines on, a request stream's first line is its base or method line,
        // so that `V:HTTP/1.1` after it is `~0` (a stream's first line is never static).
        let version_last = self.packing && !self.responses && self.requests == 0;
        if plan.version && !version_last {
            steps.push(Step::Version);
        }
        // Base before method (the article's order), unless the method shrinks the state and
        // the base grows it: then the method goes first, so the state never passes the larger
        // of its sizes before and after.
        let start = plan.load.map_or(&self.current, |i| &self.regs[i].snap);
        let swap = plan.method
            && plan.base.is_some_and(|len| len > start.base.len())
            && start.method.as_ref().is_some_and(|m| head.parts.method.len() < m.len());
        let base = match (plan.base, plan.rebase) {
            (Some(len), Some((at, cut, text))) => Some(Step::EditBase { len, at, cut, text }),
            (base, _) => base.map(Step::Base),
        };
        let method = plan.method.then_some(Step::Method);
        let order = if swap { [method, base] } else { [base, method] };
        if !self.responses {
            steps.extend(order.into_iter().flatten());
        }
        if plan.version && version_last {
            steps.push(Step::Version);
        }
        if let Some(changes) = &plan.changes {
            steps.extend(changes.iter().map(|&c| Step::Change(c)));
            steps.push(Step::Issue { suffix: plan.suffix });
            return;
        }
        // Header lines up to each save, the save, and the lines after the last one.
        let mut lines = plan.from;
        for &save in plan.saves.iter().filter(|s| !s.template) {
            if save.at > lines {
                steps.push(Step::Headers { from: lines, to: save.at });
                lines = save.at;
            }
            steps.push(Step::Store(save));
        }
        let n = head.parts.headers.len();
        if lines < n {
            steps.push(Step::Headers { from: lines, to: n });
        }
        steps.push(Step::Issue { suffix: plan.suffix });
    }

    /// Applies one step to the mirror, as the decoder will apply the lines it writes, with
    /// the decoder's limits checked. The one place the mirror changes. Where the decoder
    /// copies (a base, a method, header lines), the mirror shares the head's bytes.
    fn apply(&mut self, step: Step, head: &Head) -> Result<(), ErrorKind> {
        let parts = &*head.parts;
        let max_state_bytes = self.limits.max_state_bytes;
        let too_large = ErrorKind::StateTooLarge { limit: max_state_bytes };
        // A register holds the state after a load or a store; other lines move it away.
        self.drift = match step {
            Step::Load(_) | Step::Store(_) => 0,
            Step::Issue { .. } => self.drift,
            _ => self.drift.saturating_add(self.step_len(step, head)),
        };
        let cur = &mut self.current;
        // Replacing `old` counted bytes with `new`, within the limit.
        let grow = |cur: &mut Snapshot, new: usize, old: usize| {
            if new > old && cur.bytes + self.register_bytes + (new - old) > max_state_bytes {
                return Err(too_large.clone());
            }
            cur.bytes = cur.bytes + new - old;
            Ok(())
        };
        match step {
            Step::Load(i) => {
                let reg = &mut self.regs[i];
                if self.register_bytes + reg.snap.bytes > max_state_bytes {
                    return Err(too_large);
                }
                cur.clone_from(&reg.snap);
                reg.used = self.tick;
            }
            Step::Version => {
                grow(cur, 8, cur.version.map_or(0, |_| 8))?;
                cur.version = Some(parts.version);
            }
            Step::Base(len) => {
                grow(cur, len, cur.base.len())?;
                cur.base = parts.target.prefix(len);
            }
            Step::EditBase { len, at, cut, text } => {
                let op = Op::EditBase(Splice { at, len: cut, text: &parts.target[at..at + text] });
                let mut base = Vec::with_capacity(len);
                splice_into(
                    &cur.base,
                    &Splice { at, len: cut, text: &parts.target[at..at + text] },
                    0,
                    &op,
                    &mut base,
                )?;
                debug_assert_eq!(base, parts.target[..len], "the edit makes the planned base");
                grow(cur, len, cur.base.len())?;
                cur.base = parts.target.prefix(len);
            }
            Step::Change(change) => {
                let op = change.op(head, self.tables.of(head));
                let mut out = std::mem::take(&mut self.scratch);
                let edited = edit_block(cur.headers.as_block(), cur.headers.len(), &op, &self.table.lines, &mut out);
                let result = edited.and_then(|edited| {
                    if edited.count > self.limits.max_headers {
                        return Err(ErrorKind::TooManyHeaders { limit: self.limits.max_headers });
                    }
                    grow(cur, out.len() - 2 * edited.count, cur.headers.byte_len())?;
                    if let Some((start, end)) = edited.sent {
                        self.table.sent(&out[start..end]);
                    }
                    // The new block becomes the mirror's own; its old one, if it was, is
                    // kept to write the next edit into.
                    let new = Held::Own(std::mem::take(&mut out));
                    if let Held::Own(old) = std::mem::replace(&mut cur.headers.block, new) {
                        out = old;
                    }
                    cur.headers.count = edited.count;
                    Ok(())
                });
                self.scratch = out;
                result?;
            }
            Step::Method => {
                grow(cur, parts.method.len(), cur.method.as_ref().map_or(0, |m| m.len()))?;
                cur.method = Some(parts.method.clone());
            }
            Step::Status => {
                let old = cur.method.as_ref().map_or(0, |m| m.len()) + cur.base.len();
                grow(cur, parts.method.len() + parts.target.len(), old)?;
                cur.method = Some(parts.method.clone());
                cur.base = parts.target.prefix(parts.target.len());
            }
            Step::Headers { from, to } => {
                debug_assert_eq!(cur.headers.len(), from, "the lines before are in place");
                if to > self.limits.max_headers {
                    return Err(ErrorKind::TooManyHeaders { limit: self.limits.max_headers });
                }
                let p = self.tables.of(head);
                let end = p[to].end;
                grow(cur, end - 2 * to, cur.headers.byte_len())?;
                if self.editing {
                    let block = parts.headers.as_block();
                    for k in from..to {
                        self.table.sent(&block[p[k].end..p[k + 1].end - 2]);
                    }
                }
                cur.headers = if to == parts.headers.len() {
                    parts.headers.clone()
                } else {
                    Headers::from_block(parts.headers.block.prefix(end), to)
                };
            }
            Step::Store(save) => {
                let i = match save.slot {
                    Slot::New(i) => {
                        debug_assert_eq!(i, self.regs.len(), "new registers are named in order");
                        if self.regs.len() >= self.limits.max_registers {
                            return Err(ErrorKind::TooManyRegisters { limit: self.limits.max_registers });
                        }
                        let name = register_name(i);
                        let snap = Snapshot::default();
                        self.regs.push(Reg { name, snap, hash: 0, lines: Vec::new(), used: 0, anchor: false });
                        self.regs.len() - 1
                    }
                    Slot::Reuse(i) => i,
                };
                let reg = &mut self.regs[i];
                let new = register_cost(reg.name.len(), cur.bytes);
                let old = match save.slot {
                    Slot::New(_) => 0,
                    Slot::Reuse(_) => register_cost(reg.name.len(), reg.snap.bytes),
                };
                let register_bytes = self.register_bytes + new - old;
                if cur.bytes + register_bytes > max_state_bytes {
                    return Err(too_large);
                }
                self.register_bytes = register_bytes;
                // Its own copy: what it counts is what it holds.
                reg.snap.copy_detached(cur);
                let hash =
                    if save.template { block_hash(cur.headers.as_block()) } else { self.tables.of(head)[save.at].hash };
                let old = std::mem::replace(&mut reg.hash, hash);
                reg.used = self.tick;
                reg.anchor |= save.anchor;
                if self.editing {
                    line_hashes(reg.snap.headers.as_block(), &mut reg.lines);
                }
                self.index.refile(i, old, hash);
            }
            // Issuing leaves the state as it is. (The plan checked the request-line and the
            // framing line against `max_line`, as the decoder does.)
            Step::Issue { suffix } => {
                self.table.issued();
                debug_assert!(
                    cur.version == Some(parts.version)
                        && cur.method.as_ref() == Some(&parts.method)
                        && cur.base[..] == parts.target[..suffix]
                        && cur.headers == parts.headers,
                    "the decoder would read another head than {head:?}"
                );
            }
        }
        Ok(())
    }

    /// Bytes one state-changing step writes.
    fn step_len(&self, step: Step, head: &Head) -> usize {
        let parts = &*head.parts;
        match step {
            Step::Version => 12,
            Step::Base(len) => 4 + len,
            Step::Method => 4 + parts.method.len(),
            Step::Status => Op::Status(&parts.method, &parts.target).encoded_len(),
            Step::Headers { from, to } => header_cost(self.tables.of(head), from, to),
            // Words edited in place do not move the state away from its kind (see
            // `plan::TEMPLATE_MIN`).
            Step::Change(Change::Edit { .. }) | Step::EditBase { .. } => 0,
            Step::Change(change) => change.op(head, self.tables.of(head)).encoded_len(),
            Step::Load(_) | Step::Store(_) | Step::Issue { .. } => 0,
        }
    }

    /// [`Encoder::emit`] with packed lines: the plan's lines are written to a buffer, then
    /// each is packed where that is shorter. (Out of the way of the unpacked path, which a
    /// steady feed's encoder takes.)
    #[cold]
    #[inline(never)]
    fn emit_packed(&mut self, plan: &Plan, head: &Head, dst: &mut impl BufMut) -> Result<(), ErrorKind> {
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        // Through `&mut Vec`, a type of its own, so that this is an instance of `emit` apart
        // from the one that writes to a caller's `Vec` (which keeps one caller, and is inlined
        // there as it was before packed lines).
        let emitted = self.emit(plan, head, &mut &mut lines);
        if emitted.is_ok() {
            self.put_lines(&lines, dst);
        }
        self.lines = lines;
        emitted
    }

    /// Writes whole lines, each in the shortest of its forms (SPEC.md §4.11, §4.12): as it
    /// is or static, and either of those packed; but a stream's first line as it is (nothing
    /// has been written before the first request's plan is).
    fn put_lines(&mut self, lines: &[u8], dst: &mut impl BufMut) {
        let mut start = 0;
        let mut form = std::mem::take(&mut self.static_line);
        for end in memchr::memchr_iter(b'\n', lines) {
            let line = &lines[start..=end];
            let first = start == 0 && self.requests == 0;
            start = end + 1;
            if first {
                dst.put_slice(line);
                continue;
            }
            let content = &line[..line.len() - 2];
            // Only `V:`, `M:`, `H:` and `C:` lines have static forms, and no line of 8 bytes
            // or fewer packs: a steady feed's `+: 66` is written as it is, at once.
            let named = matches!(content[0], b'H' | b'M' | b'V' | b'C');
            if !named && content.len() <= 8 {
                dst.put_slice(line);
                continue;
            }
            let mut stat: &[u8] = &[];
            if named {
                if let Some(i) = statics::shortest(content) {
                    form.clear();
                    statics::write(i, content, &mut form);
                    stat = &form;
                }
            }
            // The shortest of the line, its static form, and either packed, the first of
            // equals in that order. A packed line costs at least `~:N` CRLF and 5 bits a
            // byte: never less for 8 bytes or fewer.
            let packed = |text: &[u8]| {
                (text.len() > 8)
                    .then(|| huffman::encoded_len(text))
                    .map(|code| (2 + decimal_len(code as u64) + code, code))
            };
            // (A static form is only made where it is shorter than the line.)
            let mut best = if stat.is_empty() { (content.len(), content, None) } else { (stat.len(), stat, None) };
            for text in [content, stat] {
                if let Some((len, code)) = packed(text).filter(|&(len, _)| len < best.0) {
                    best = (len, text, Some(code));
                }
            }
            match best {
                (_, text, Some(code)) => {
                    dst.put_slice(b"~:");
                    write_decimal(code as u64, dst);
                    dst.put_slice(b"\r\n");
                    huffman::encode(text, dst);
                }
                (_, text, None) => {
                    dst.put_slice(text);
                    dst.put_slice(b"\r\n");
                }
            }
        }
        self.static_line = form;
    }

    /// Writes one step's lines (after [`Encoder::apply`] took it).
    fn write(&self, step: Step, head: &Head, dst: &mut impl BufMut) {
        let parts = &*head.parts;
        match step {
            Step::Load(i) => Op::Load(&self.regs[i].name).write(dst),
            Step::Version => Op::Version(parts.version).write(dst),
            Step::Base(len) => Op::Base(&parts.target[..len]).write(dst),
            Step::EditBase { at, cut, text, .. } => {
                Op::EditBase(Splice { at, len: cut, text: &parts.target[at..at + text] }).write(dst)
            }
            Step::Change(change) => change.op(head, self.tables.of(head)).write(dst),
            Step::Method => Op::Method(&parts.method).write(dst),
            Step::Status => Op::Status(&parts.method, &parts.target).write(dst),
            Step::Headers { from, to } => {
                // `H:` and the line with the CRLF that ends it in the block: what
                // `Op::Header(..).write` writes, in two copies instead of four.
                let (prefixes, block) = (self.tables.of(head), parts.headers.as_block());
                for line in prefixes[from..=to].windows(2) {
                    dst.put_slice(b"H:");
                    dst.put_slice(&block[line[0].end..line[1].end]);
                }
            }
            Step::Store(save) => {
                let i = match save.slot {
                    Slot::New(i) | Slot::Reuse(i) => i,
                };
                Op::Store(&self.regs[i].name).write(dst);
            }
            Step::Issue { suffix } => {
                let suffix = &parts.target[suffix..];
                match head.framing {
                    Framing::None => Op::Bodyless(suffix),
                    // (`emit` sets `last_length` after writing the issuing line.)
                    Framing::Length(n) if self.responses && self.last_length == Some(n) => Op::Again,
                    Framing::Length(n) => Op::WithBody(suffix, n),
                    Framing::Chunked => Op::Chunked(suffix),
                    Framing::Close => Op::Close,
                    framing => Op::Announce(framing),
                }
                .write(dst);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::message::Version;

    fn head(target: &'static str, host: &[u8], framing: Framing) -> Head {
        let mut headers = Headers::new();
        headers.push(host).unwrap();
        headers.push(b"Accept: */*").unwrap();
        Head::new(
            Bytes::from_static(b"POST"),
            Bytes::from_static(target.as_bytes()),
            Version::HTTP_11,
            headers,
            framing,
        )
        .unwrap()
    }

    /// A fresh head equal to the state takes the steady path without its prefix table being
    /// made (the general planner has it made); one byte off, it is planned in full.
    #[test]
    fn fresh_equal_head_is_steady_without_planning() {
        let mut enc = Encoder::new();
        let mut out = Vec::new();
        enc.encode_head(&head("/q", b"Host: a", Framing::Length(2)), &[], false, &mut out).unwrap();
        out.clear();
        let again = head("/q", b"Host: a", Framing::Length(5));
        assert_eq!(enc.encode_head(&again, &[], false, &mut out).unwrap().cost(), 6);
        assert_eq!(out, b"+: 5\r\n");
        assert!(!enc.tables.has(&again), "planned in full");
        let other = head("/q", b"Host: b", Framing::Length(5));
        assert!(!enc.holds(&other.parts));
        out.clear();
        enc.encode_head(&other, &[], false, &mut out).unwrap();
        assert!(enc.tables.has(&other));
        // The general planner agrees with the shortcut on a head it takes.
        let fresh = head("/q", b"Host: b", Framing::None);
        let mut tables = Tables::default();
        tables.make(&fresh, &[]);
        let view = View {
            current: &enc.current,
            tables: &tables,
            regs: &enc.regs,
            index: &enc.index,
            max_registers: enc.limits.max_registers,
            register_bytes: enc.register_bytes,
            max_state_bytes: enc.limits.max_state_bytes,
            max_headers: enc.limits.max_headers,
            editing: None,
            drift: 0,
            last_length: None,
            responses: false,
        };
        assert!(enc.holds(&fresh.parts));
        assert_eq!(plan(&view, &fresh, &[], false).unwrap(), enc.plan(&fresh, &[], false).unwrap());
    }
}
