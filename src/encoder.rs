//! Requests in, compact bytes out: plan, emit, commit, against a mirror of the decoder's state.

use std::collections::VecDeque;

use crate::error::ErrorKind;
use crate::op::Op;
use crate::plan::{plan, register_name, Index, Plan, Reg, Slot, View};
use crate::request::{decimal_len, Framing, Head, Headers, Request};
use crate::state::State;
use crate::stream::Event;
use crate::Limits;

/// Encodes requests into the compact syntax, choosing the shortest opcode sequence it can
/// find (SPEC.md §9).
///
/// The encoder keeps a mirror of the state the decoder on the other end will have, so it
/// knows what each request can reuse: the current version, base, method and header lines,
/// and the registers it created. It is deterministic: the same requests give the same bytes.
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
/// assert_eq!(out, b"V:HTTP/1.1\r\nB:/q\r\nM:POST\r\n>:0\r\nH:Host: a\r\n+: 2\r\nhi");
/// out.clear();
/// encoder.encode(&req, &mut out).unwrap();
/// assert_eq!(out, b"+: 2\r\nhi");
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    state: State,
    regs: Vec<Reg>,
    /// The registers by the hash of their header lines.
    index: Index,
    tick: u64,
    failed: bool,
    /// The head written last: a request sharing its parts needs only its issuing line when
    /// the base is the whole target (checked without comparing any bytes).
    last: Option<Head>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// An encoder with [`Limits::default`]. The decoder must allow at least these limits.
    pub fn new() -> Self {
        Encoder::with_limits(Limits::default())
    }

    /// An encoder whose output stays within `limits`: a decoder with the same limits accepts it.
    pub fn with_limits(limits: Limits) -> Self {
        Encoder {
            state: State::new(limits),
            regs: Vec::new(),
            index: Index::default(),
            tick: 0,
            failed: false,
            last: None,
        }
    }

    /// Plans a request without writing anything: the opcodes [`Encoder::encode_head`] would
    /// write now. `ahead` are the requests known to follow it; `complete` says there are no
    /// others.
    pub fn plan(&self, head: &Head, ahead: &[Head], complete: bool) -> Result<Plan, ErrorKind> {
        if let Some(last) = &self.last {
            // The lines were checked when these parts were first written; only the framing
            // line, which may differ from the last request's, can be too long now.
            // (The longest, `Content-Length: ` + 20 digits + CRLF, is 40 bytes.)
            let max_line = self.state.limits().max_line;
            let framing_fits = max_line >= 40 || head.framing.line_len() <= max_line;
            if framing_fits && last.same_parts(head) && self.state.current().base.len() == head.parts.target.len() {
                return Ok(Plan::steady(head));
            }
        }
        let limits = self.state.limits();
        if head.parts.headers.len() > limits.max_headers {
            return Err(ErrorKind::Unencodable("more header lines than the max_headers limit"));
        }
        // Every line is `X:` + argument + CRLF; the longest arguments are a header line, the
        // method, and the target (as a base, or as a suffix with ` LEN` after it).
        let longest = head.prefixes().windows(2).map(|w| w[1].end - w[0].end - 2).max().unwrap_or(0);
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
            current: self.state.current(),
            regs: &self.regs,
            index: &self.index,
            max_registers: limits.max_registers,
            register_bytes: self.state.register_bytes,
            max_state_bytes: limits.max_state_bytes,
        };
        let plan = plan(&view, head, ahead, complete)?;
        // The state peaks at the start (just after a load) or at the end (the whole head).
        let peak = view.start_bytes(&plan).max(head.byte_len());
        if plan.held.max(self.state.register_bytes) + peak > limits.max_state_bytes {
            return Err(ErrorKind::Unencodable("head too large for the max_state_bytes limit"));
        }
        Ok(plan)
    }

    /// Writes the opcode lines for a request's head, ending with its issuing line; the caller
    /// writes the body bytes right after.
    pub fn encode_head(
        &mut self,
        head: &Head,
        ahead: &[Head],
        complete: bool,
        dst: &mut Vec<u8>,
    ) -> Result<Plan, ErrorKind> {
        if self.failed {
            return Err(ErrorKind::Unencodable("an earlier request failed to encode"));
        }
        let plan = self.plan(head, ahead, complete)?;
        let start = dst.len();
        if let Err(kind) = self.emit(&plan, head, dst) {
            dst.truncate(start);
            self.failed = true;
            self.last = None;
            return Err(kind);
        }
        if !self.last.as_ref().is_some_and(|last| last.same_parts(head)) {
            self.last = Some(head.clone());
        }
        Ok(plan)
    }

    /// Writes one whole request (planned alone) and its body.
    pub fn encode(&mut self, req: &Request, dst: &mut Vec<u8>) -> Result<(), ErrorKind> {
        self.encode_head(&req.head, &[], false, dst)?;
        dst.extend_from_slice(&req.body);
        Ok(())
    }

    /// Writes a plan and applies it to the mirror state.
    fn emit(&mut self, plan: &Plan, head: &Head, dst: &mut Vec<u8>) -> Result<(), ErrorKind> {
        self.tick += 1;
        if let Some(i) = plan.load {
            // The mirror shares the register's header block: the lines after it are not
            // applied one by one (see below), so a copy to extend would be wasted.
            self.state.load(&self.regs[i].name, true)?;
            Op::Load(&self.regs[i].name).write(dst);
            self.regs[i].used = self.tick;
        }
        if plan.version {
            self.put(&Op::Version(head.parts.version), dst)?;
        }
        // Base before method (the article's order), unless the method shrinks the state and
        // the base grows it: then the method goes first, so the state never passes the larger
        // of its sizes before and after.
        let base = plan.base.map(|len| Op::Base(&head.parts.target[..len]));
        let method = plan.method.then(|| Op::Method(&head.parts.method));
        let cur = self.state.current();
        let swap = plan.method
            && plan.base.is_some_and(|len| len > cur.base.len())
            && cur.method.as_ref().is_some_and(|m| head.parts.method.len() < m.len());
        let order = if swap { [method, base] } else { [base, method] };
        for op in order.into_iter().flatten() {
            match op {
                // The mirror shares the target's bytes (the decoder copies its base).
                Op::Base(base) => {
                    self.state.set_base(head.parts.target.prefix(base.len()))?;
                    op.write(dst);
                }
                _ => self.put(&op, dst)?,
            }
        }
        // The header lines are written without applying each to the mirror: at each save and
        // at the end, the mirror takes the head's own block up to that line (a slice, no copy).
        // The plan has checked every limit the lines could pass.
        let headers = &head.parts.headers;
        let prefixes = head.prefixes();
        let mut saves = plan.saves.iter().peekable();
        for (at, prefix) in prefixes.iter().enumerate().skip(plan.from) {
            if saves.peek().is_some_and(|s| s.at == at) && at > plan.from {
                self.state.set_headers(Headers::from_block(headers.block.prefix(prefix.end), at));
            }
            while let Some(save) = saves.next_if(|s| s.at == at) {
                let i = match save.slot {
                    Slot::New(i) => {
                        self.regs.push(Reg {
                            name: register_name(i),
                            snap: Default::default(),
                            hash: 0,
                            used: 0,
                            anchor: false,
                        });
                        self.regs.len() - 1
                    }
                    Slot::Reuse(i) => i,
                };
                let store = Op::Store(&self.regs[i].name);
                self.state.apply_trusted(&store)?;
                store.write(dst);
                self.regs[i].snap = self.state.current().clone();
                let old = std::mem::replace(&mut self.regs[i].hash, prefix.hash);
                self.index.refile(i, old, self.regs[i].hash);
                self.regs[i].used = self.tick;
                self.regs[i].anchor |= save.anchor;
            }
            if let Some(next) = prefixes.get(at + 1) {
                // `H:` and the line with the CRLF that ends it in the block: what
                // `Op::Header(..).write` writes, in two copies instead of four.
                dst.extend_from_slice(b"H:");
                dst.extend_from_slice(&headers.block[prefix.end..next.end]);
            }
        }
        if plan.from < headers.len() {
            self.state.set_headers(headers.clone());
        }
        let suffix = &head.parts.target[plan.suffix..];
        let issue = match head.framing {
            Framing::None => Op::Bodyless(suffix),
            Framing::Length(n) => Op::WithBody(suffix, n),
            Framing::Chunked => Op::Chunked(suffix),
        };
        issue.write(dst);
        // Issuing leaves the state as it was. (The mirror's header block is never open: it
        // takes the request's block, or a register's, never `H:` lines one by one.)
        if cfg!(debug_assertions) {
            let issued = self.state.apply_trusted(&issue)?;
            debug_assert_eq!(issued.as_ref(), Some(head), "the decoder would read another head");
        }
        Ok(())
    }

    fn put(&mut self, op: &Op<'_>, dst: &mut Vec<u8>) -> Result<(), ErrorKind> {
        self.state.apply_trusted(op)?;
        op.write(dst);
        Ok(())
    }
}

/// What [`Lookahead::emit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emitted {
    /// A request's opcode lines, this many bytes (the issuing line included).
    Head(usize),
    /// Body bytes, this many.
    Data(usize),
    /// A request finished.
    End,
}

/// The size of the window a [`Lookahead`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests held back to look at before the oldest is written. 0: none (lowest latency).
    pub requests: usize,
    /// Bytes held back at most (bodies, and heads counted as their method, target and header
    /// lines); past this the oldest items are written.
    pub bytes: usize,
}

impl Default for Window {
    /// 1,024 requests or 1 MiB.
    fn default() -> Self {
        Window { requests: 1024, bytes: 1 << 20 }
    }
}

/// An [`Encoder`] over a stream of [`Event`]s, holding back a window of requests so each is
/// planned knowing what follows (which registers will pay off, which base fits the next
/// targets). Memory is bounded by the [`Window`]; bodies of any size pass through.
///
/// ```
/// use bytes::BytesMut;
/// use streamline::{http1::Parser, Lookahead, Window, Encoder};
///
/// let mut src = BytesMut::from(&b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"[..]);
/// let mut parser = Parser::new();
/// let mut enc = Lookahead::new(Encoder::new(), Window::default());
/// let mut out = Vec::new();
/// while let Some(event) = parser.next_event_eof(&mut src).unwrap() {
///     enc.push(event);
///     while enc.emit(&mut out).unwrap().is_some() {}
/// }
/// enc.finish();
/// while enc.emit(&mut out).unwrap().is_some() {}
/// // The base is chosen for the targets in view, assuming the last one repeats.
/// assert_eq!(out, b"V:HTTP/1.1\r\nB:/\r\nM:GET\r\n-:a\r\nB:/b\r\n-:\r\n");
/// ```
#[derive(Debug)]
pub struct Lookahead {
    encoder: Encoder,
    window: Window,
    /// Heads, oldest first; those before `written` are out and dropped in batches, so the
    /// ones waiting always form one slice to plan with.
    heads: Vec<Head>,
    written: usize,
    /// Everything not written yet, in order.
    items: VecDeque<Item>,
    held: usize,
    finished: bool,
    /// Heads queued before the last [`Lookahead::flush`] and not written yet: they go out
    /// whatever the window.
    forced: usize,
    /// The refusal of a request, once one was refused: nothing of it or after it is written.
    failed: Option<ErrorKind>,
}

#[derive(Debug)]
enum Item {
    Head,
    Data(bytes::Bytes),
    End,
}

impl Lookahead {
    /// Wraps an encoder.
    pub fn new(encoder: Encoder, window: Window) -> Self {
        Lookahead {
            encoder,
            window,
            heads: Vec::new(),
            written: 0,
            items: VecDeque::new(),
            held: 0,
            finished: false,
            forced: 0,
            failed: None,
        }
    }

    /// Queues one event of the plain stream. After a refusal (see [`Lookahead::emit`]) events
    /// are dropped: nothing after a refused request is ever written.
    pub fn push(&mut self, event: Event) {
        if self.failed.is_some() {
            return;
        }
        match event {
            Event::Head(head) => {
                self.held += head.byte_len();
                self.heads.push(head);
                self.items.push_back(Item::Head);
            }
            Event::Data(data) => {
                self.held += data.len();
                self.items.push_back(Item::Data(data));
            }
            Event::End => self.items.push_back(Item::End),
        }
    }

    /// Queues a whole request: its head, body and end.
    pub fn push_request(&mut self, request: Request) {
        let (head, body) = request.into_parts();
        self.push(Event::Head(head));
        if !body.is_empty() {
            self.push(Event::Data(body));
        }
        self.push(Event::End);
    }

    /// Says no more events will come: the rest can be written, planned with full knowledge.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Lets everything queued now be written by the next calls to [`Lookahead::emit`],
    /// whatever the window, planned with what is in view; the connection goes on. For a live
    /// feed whose input has gone quiet: no request waits for a later one.
    pub fn flush(&mut self) {
        self.forced = self.heads.len() - self.written;
    }

    /// Writes the oldest queued item if the window is over its size (or after
    /// [`Lookahead::finish`]); `Ok(None)` when there is nothing to write now.
    ///
    /// # Errors
    ///
    /// A request the encoder cannot express (see [`Encoder::encode_head`]). The refusal is
    /// final: nothing of the refused request (its body, its end) and nothing queued after it
    /// is ever written, and every later call returns the same error. What was written before
    /// it is exactly the encoding of the requests before it.
    pub fn emit(&mut self, dst: &mut Vec<u8>) -> Result<Option<Emitted>, ErrorKind> {
        if let Some(kind) = &self.failed {
            return Err(kind.clone());
        }
        // Only heads wait for the window: the body and end of a request whose head is out
        // follow at once.
        let waiting = matches!(self.items.front(), Some(Item::Head));
        let over =
            self.forced > 0 || self.heads.len() - self.written > self.window.requests || self.held > self.window.bytes;
        if waiting && !(over || self.finished) {
            return Ok(None);
        }
        let Some(item) = self.items.pop_front() else { return Ok(None) };
        Ok(Some(match item {
            Item::Head => {
                let Some((head, ahead)) = self.heads[self.written..].split_first() else { return Ok(None) };
                let start = dst.len();
                if let Err(kind) = self.encoder.encode_head(head, ahead, self.finished, dst) {
                    self.failed = Some(kind.clone());
                    self.items.clear();
                    self.heads.clear();
                    self.written = 0;
                    self.held = 0;
                    self.forced = 0;
                    return Err(kind);
                }
                self.held -= head.byte_len();
                self.written += 1;
                self.forced = self.forced.saturating_sub(1);
                if self.written >= 64 && self.written * 2 >= self.heads.len() {
                    self.heads.drain(..self.written);
                    self.written = 0;
                }
                Emitted::Head(dst.len() - start)
            }
            Item::Data(data) => {
                self.held -= data.len();
                dst.extend_from_slice(&data);
                Emitted::Data(data.len())
            }
            Item::End => Emitted::End,
        }))
    }
}
