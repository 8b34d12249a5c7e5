//! Requests in, compact bytes out: plan, emit, commit, against a mirror of the decoder's state.

mod lookahead;
mod plan;

pub use lookahead::{Emitted, Lookahead, Window};
pub use plan::Plan;

use self::plan::{plan, register_name, Index, Reg, Slot, View};
use crate::compact::op::Op;
use crate::compact::state::State;
use crate::error::{Error, ErrorKind};
use crate::message::{decimal_len, Framing, Head, Headers, Request};
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
    /// Requests written: a refusal names request `requests + 1` ([`Error::request`]).
    requests: u64,
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
            requests: 0,
            last: None,
        }
    }

    /// Plans a request without writing anything: the opcodes [`Encoder::encode_head`] would
    /// write now. `ahead` are the requests known to follow it; `complete` says there are no
    /// others.
    pub fn plan(&self, head: &Head, ahead: &[Head], complete: bool) -> Result<Plan, Error> {
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
            return Err(Error::for_request(
                ErrorKind::Unencodable("more header lines than the max_headers limit"),
                self.requests + 1,
            ));
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
            return Err(Error::for_request(
                ErrorKind::Unencodable("a line would pass the max_line limit"),
                self.requests + 1,
            ));
        }
        let view = View {
            current: self.state.current(),
            regs: &self.regs,
            index: &self.index,
            max_registers: limits.max_registers,
            register_bytes: self.state.register_bytes,
            max_state_bytes: limits.max_state_bytes,
        };
        let plan = plan(&view, head, ahead, complete).map_err(|kind| Error::for_request(kind, self.requests + 1))?;
        // The state peaks at the start (just after a load) or at the end (the whole head).
        let peak = view.start_bytes(&plan).max(head.byte_len());
        if plan.held.max(self.state.register_bytes) + peak > limits.max_state_bytes {
            return Err(Error::for_request(
                ErrorKind::Unencodable("head too large for the max_state_bytes limit"),
                self.requests + 1,
            ));
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
    ) -> Result<Plan, Error> {
        if self.failed {
            return Err(Error::for_request(
                ErrorKind::Unencodable("an earlier request failed to encode"),
                self.requests + 1,
            ));
        }
        let plan = self.plan(head, ahead, complete)?;
        let start = dst.len();
        if let Err(kind) = self.emit(&plan, head, dst) {
            dst.truncate(start);
            self.failed = true;
            self.last = None;
            return Err(Error::for_request(kind, self.requests + 1));
        }
        if !self.last.as_ref().is_some_and(|last| last.same_parts(head)) {
            self.last = Some(head.clone());
        }
        self.requests += 1;
        Ok(plan)
    }

    /// Writes one whole request (planned alone) and its body.
    pub fn encode(&mut self, req: &Request, dst: &mut Vec<u8>) -> Result<(), Error> {
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
