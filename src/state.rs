//! The connection's memory: version, base, method, header lines, and named registers (SPEC.md §5).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{escape, ErrorKind};
use crate::op::Op;
use crate::request::{Framing, Head, Headers, Parts, Version};
use crate::Limits;

/// One complete state: what a register holds and what the current state is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) version: Option<Version>,
    pub(crate) base: Bytes,
    pub(crate) method: Option<Bytes>,
    pub(crate) headers: Headers,
    /// Bytes counted against [`Limits::max_state_bytes`].
    pub(crate) bytes: usize,
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

/// The decoder's state machine: applies opcodes and issues requests.
///
/// Kept separate from the decoder so the encoder can mirror exactly what the decoder on the
/// other end will hold.
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) current: Snapshot,
    pub(crate) registers: HashMap<Bytes, Snapshot, BuildHasherDefault<Fnv>>,
    /// Sum of `bytes` over registers plus their names' lengths.
    pub(crate) register_bytes: usize,
    limits: Limits,
    /// The parts of a request issued with an empty suffix from the current state, made on
    /// first use and dropped when the state changes: a steady feed builds them once.
    issued: Option<Arc<Parts>>,
}

impl State {
    /// The initial state: version and method unset, empty base, no header lines, no registers.
    pub fn new(limits: Limits) -> Self {
        State { current: Snapshot::default(), registers: HashMap::default(), register_bytes: 0, limits, issued: None }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes counted against [`Limits::max_state_bytes`] now.
    pub fn bytes(&self) -> usize {
        self.current.bytes + self.register_bytes
    }

    /// Applies one opcode. Returns the head of the request it issues, if it is `-:`, `+:` or
    /// `*:`; issuing leaves the state as it was.
    pub fn apply(&mut self, op: &Op<'_>) -> Result<Option<Head>, ErrorKind> {
        let mut slot = None;
        Ok(if self.apply_into(op, &mut slot)? { slot } else { None })
    }

    /// Like [`State::apply`], but an issued head goes into `slot`, reusing what is there: in a
    /// steady feed only the framing changes, so nothing is allocated or reference-counted.
    /// Returns whether a request was issued.
    pub(crate) fn apply_into(&mut self, op: &Op<'_>, slot: &mut Option<Head>) -> Result<bool, ErrorKind> {
        let cur = &self.current;
        if !matches!(op, Op::Store(_) | Op::Bodyless(_) | Op::WithBody(..) | Op::Chunked(_)) {
            self.issued = None;
        }
        match *op {
            Op::Version(v) => {
                let old = cur.version.map_or(0, |_| 8);
                self.check_growth(8, old)?;
                self.current.version = Some(v);
                self.current.bytes = self.current.bytes + 8 - old;
            }
            Op::Base(b) => {
                let old = cur.base.len();
                self.check_growth(b.len(), old)?;
                self.current.bytes = self.current.bytes + b.len() - self.current.base.len();
                self.current.base = Bytes::copy_from_slice(b);
            }
            Op::Method(m) => {
                let old = cur.method.as_ref().map_or(0, Bytes::len);
                self.check_growth(m.len(), old)?;
                self.current.bytes = self.current.bytes + m.len() - old;
                self.current.method = Some(Bytes::copy_from_slice(m));
            }
            Op::Header(h) => {
                if cur.headers.len() >= self.limits.max_headers {
                    return Err(ErrorKind::TooManyHeaders { limit: self.limits.max_headers });
                }
                self.check_growth(h.len(), 0)?;
                self.current.bytes += h.len();
                self.current.headers.push_unchecked(Bytes::copy_from_slice(h));
            }
            Op::Store(name) => {
                let new = self.current.bytes + name.len();
                let old = self.registers.get(name).map(|r| r.bytes + name.len());
                if old.is_none() && self.registers.len() >= self.limits.max_registers {
                    return Err(ErrorKind::TooManyRegisters { limit: self.limits.max_registers });
                }
                let after = self.bytes() + new - old.unwrap_or(0);
                if after > self.limits.max_state_bytes {
                    return Err(ErrorKind::StateTooLarge { limit: self.limits.max_state_bytes });
                }
                self.register_bytes = self.register_bytes + new - old.unwrap_or(0);
                self.registers.insert(Bytes::copy_from_slice(name), self.current.clone());
            }
            Op::Load(name) => {
                let reg = self.registers.get(name).ok_or_else(|| ErrorKind::UnknownRegister(escape(name)))?;
                if self.register_bytes + reg.bytes > self.limits.max_state_bytes {
                    return Err(ErrorKind::StateTooLarge { limit: self.limits.max_state_bytes });
                }
                self.current = reg.clone();
            }
            Op::Bodyless(s) => return self.issue(s, Framing::None, slot).map(|()| true),
            Op::WithBody(s, n) => return self.issue(s, Framing::Length(n), slot).map(|()| true),
            Op::Chunked(s) => return self.issue(s, Framing::Chunked, slot).map(|()| true),
        }
        Ok(false)
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
        match (slot, &self.issued) {
            (Some(head), Some(parts)) => Arc::ptr_eq(&head.parts, parts),
            _ => false,
        }
    }

    /// Puts the head `-:`/`+:`/`*:` issue into `slot`. The steady case (empty suffix, state
    /// unchanged, slot holding the same parts) only writes the framing.
    fn issue(&mut self, suffix: &[u8], framing: Framing, slot: &mut Option<Head>) -> Result<(), ErrorKind> {
        // The framing line must fit the line limit the plain reader enforces.
        let framing_line = framing.line_len();
        if framing_line > self.limits.max_line {
            return Err(ErrorKind::LineTooLong { limit: self.limits.max_line });
        }
        if suffix.is_empty()
            && (framing != Framing::Chunked || self.current.version.is_some_and(Version::chunked_allowed))
        {
            if let Some(parts) = &self.issued {
                match slot {
                    Some(head) if Arc::ptr_eq(&head.parts, parts) => head.framing = framing,
                    _ => *slot = Some(Head { parts: parts.clone(), framing }),
                }
                return Ok(());
            }
        }
        let cur = &self.current;
        let method = cur.method.clone().ok_or(ErrorKind::NoMethod)?;
        let version = cur.version.ok_or(ErrorKind::NoVersion)?;
        if framing == Framing::Chunked && !version.chunked_allowed() {
            return Err(ErrorKind::ChunkedBeforeHttp11(version.to_string()));
        }
        // So must the plain request-line.
        if method.len() + cur.base.len() + suffix.len() + 12 > self.limits.max_line {
            return Err(ErrorKind::LineTooLong { limit: self.limits.max_line });
        }
        let target = if suffix.is_empty() {
            cur.base.clone()
        } else {
            let mut t = BytesMut::with_capacity(cur.base.len() + suffix.len());
            t.put_slice(&cur.base);
            t.put_slice(suffix);
            t.freeze()
        };
        if target.is_empty() {
            return Err(ErrorKind::EmptyTarget);
        }
        let parts = Parts::new(method, target, version, cur.headers.clone());
        if suffix.is_empty() {
            self.issued = Some(parts.clone());
        }
        *slot = Some(Head { parts, framing });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: &mut State, lines: &[&[u8]]) -> Result<Vec<Head>, ErrorKind> {
        let mut heads = Vec::new();
        for line in lines {
            let op = crate::syntax::parse_op(line)?;
            heads.extend(state.apply(&op)?);
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
        assert_eq!(heads[0].target(), "/a");
        assert_eq!(heads[1].target(), "/ab");
    }

    #[test]
    fn registers_copy_whole_state() {
        let mut s = State::new(Limits::default());
        let lines: [&[u8]; 10] =
            [b"V:HTTP/1.1", b"M:GET", b"B:/", b"H:A: 1", b">:r", b"H:B: 2", b"M:PUT", b"<:r", b"H:C: 3", b"-:x"];
        let heads = run(&mut s, &lines).unwrap();
        assert_eq!(heads[0].method(), "GET");
        assert_eq!(&heads[0].headers()[..], &[Bytes::from("A: 1"), Bytes::from("C: 3")]);
        assert_eq!(run(&mut s, &[b"<:nope"]), Err(ErrorKind::UnknownRegister("nope".into())));
        let c = &s.current;
        assert_eq!(c.bytes, 8 + c.base.len() + c.method.as_ref().map_or(0, Bytes::len) + c.headers.byte_len());
    }

    #[test]
    fn limits_enforced() {
        let mut s = State::new(Limits::default().max_registers(2).max_headers(2).max_state_bytes(40));
        assert_eq!(run(&mut s, &[b">:a", b">:b", b">:a"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b">:c"]), Err(ErrorKind::TooManyRegisters { limit: 2 }));
        assert_eq!(run(&mut s, &[b"H:A: 1", b"H:B: 2"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b"H:C: 3"]), Err(ErrorKind::TooManyHeaders { limit: 2 }));
        let mut s = State::new(Limits::default().max_state_bytes(20));
        assert_eq!(run(&mut s, &[b"H:A: 0123456789"]).map(|h| h.len()), Ok(0));
        assert_eq!(run(&mut s, &[b">:r"]), Err(ErrorKind::StateTooLarge { limit: 20 }));
        assert_eq!(run(&mut s, &[b"B:0123456789"]), Err(ErrorKind::StateTooLarge { limit: 20 }));
    }
}
