//! Inputs made in memory: the built-in OPRA-style feed, and bytes already loaded.

use std::io;

use bytes::BytesMut;
use streamline_traffic::{self as traffic, Rng};

use crate::cli::io::{Source, CHUNK};

/// Body bytes of each quote in the built-in feed.
pub const OPRA_PAYLOAD: usize = 66;

/// The OPRA-style feed of `streamline_traffic::opra`, generated a piece at a time: the same bytes
/// as `traffic::opra(count, seed, payload)` without holding them all.
#[derive(Debug, Clone)]
pub struct Opra {
    rng: Rng,
    seq: u64,
    count: u64,
    payload: usize,
    /// Padding bytes the last quote started still needs.
    padding: usize,
    scratch: Vec<u8>,
}

impl Opra {
    /// `count` quotes of `payload` body bytes from `seed`.
    pub fn new(count: u64, seed: u64, payload: usize) -> Opra {
        Opra { rng: Rng::new(seed), seq: 0, count, payload, padding: 0, scratch: Vec::new() }
    }

    /// Appends quotes to `dst` until it has grown by at least `at_least` bytes or the feed
    /// ends; returns the number of quotes finished. A body's padding stops at `at_least` and
    /// goes on at the next call, so a body of any size is written in bounded memory.
    pub fn write(&mut self, dst: &mut Vec<u8>, at_least: usize) -> u64 {
        let start = dst.len();
        let mut finished = 0;
        while dst.len() - start < at_least {
            if self.padding == 0 {
                if self.seq == self.count {
                    break;
                }
                self.padding = traffic::opra_quote_start(&mut self.rng, self.seq, self.payload, dst);
                self.seq += 1;
            }
            let n = self.padding.min(at_least.saturating_sub(dst.len() - start));
            dst.resize(dst.len() + n, b'.');
            self.padding -= n;
            if self.padding == 0 {
                finished += 1;
            }
        }
        finished
    }

    /// Every quote is written whole.
    pub fn is_done(&self) -> bool {
        self.seq == self.count && self.padding == 0
    }
}

impl Source for Opra {
    fn fill(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        self.write(&mut scratch, CHUNK);
        buf.extend_from_slice(&scratch);
        let n = scratch.len();
        self.scratch = scratch;
        Ok(n)
    }
}

/// Bytes already in memory, handed out in [`CHUNK`] pieces like a file.
#[derive(Debug, Clone)]
pub struct Memory<'a> {
    rest: &'a [u8],
}

impl<'a> Memory<'a> {
    /// Reads `bytes`.
    pub fn new(bytes: &'a [u8]) -> Memory<'a> {
        Memory { rest: bytes }
    }
}

impl Source for Memory<'_> {
    #[inline]
    fn fill(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        let n = self.rest.len().min(CHUNK);
        let (piece, rest) = self.rest.split_at(n);
        buf.extend_from_slice(piece);
        self.rest = rest;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opra_pieces_are_the_library_feed() {
        let mut source = Opra::new(2000, 3, 40);
        let mut all = BytesMut::new();
        while source.fill(&mut all).unwrap() > 0 {}
        assert_eq!(&all[..], &traffic::opra(2000, 3, 40)[..]);
    }

    #[test]
    fn opra_bodies_bigger_than_a_piece() {
        let mut source = Opra::new(3, 4, 3 * CHUNK + 5);
        let mut all = BytesMut::new();
        let mut pieces = 0;
        while source.fill(&mut all).unwrap() > 0 {
            pieces += 1;
        }
        assert!(source.is_done());
        assert_eq!(pieces, 10);
        assert_eq!(&all[..], &traffic::opra(3, 4, 3 * CHUNK + 5)[..]);
    }

    #[test]
    fn memory_pieces() {
        let bytes: Vec<u8> = (0..CHUNK * 2 + 5).map(|i| i as u8).collect();
        let mut source = Memory::new(&bytes);
        let mut all = BytesMut::new();
        let sizes: Vec<usize> = std::iter::from_fn(|| Some(source.fill(&mut all).unwrap())).take(4).collect();
        assert_eq!(sizes, [CHUNK, CHUNK, 5, 0]);
        assert_eq!(&all[..], &bytes[..]);
    }
}
