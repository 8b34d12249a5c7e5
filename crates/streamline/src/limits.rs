//! Size and count limits that bound the memory a peer or a capture can make us hold.

/// Limits enforced by the decoder, the plain parser and the encoder (SPEC.md §7).
///
/// Every field has a safe default (see [`Limits::default`]); set them with the chainable
/// setters. **Raising a limit raises the memory an untrusted peer can make you hold:** the
/// decoder holds at most `max_line` bytes of an unfinished line, state and registers that count
/// at most `max_state_bytes` (which bounds their real memory within a factor of two, see
/// [`Limits::REGISTER_OVERHEAD`]), and (only in whole-request mode) `max_body` bytes of one body.
///
/// # Examples
///
/// ```
/// let limits = streamline::Limits::default().max_registers(16).max_line(4096);
/// assert_eq!(limits.get_max_registers(), 16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_line: usize,
    pub(crate) max_registers: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_state_bytes: usize,
    pub(crate) max_body: u64,
    pub(crate) table_bytes: usize,
}

impl Default for Limits {
    /// `max_line` 64 KiB, `max_registers` 256, `max_headers` 256, `max_state_bytes` 1 MiB,
    /// `max_body` 16 MiB, `table_bytes` 4 KiB.
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_registers: 256,
            max_headers: 256,
            max_state_bytes: 1024 * 1024,
            max_body: 16 * 1024 * 1024,
            table_bytes: 4096,
        }
    }
}

impl Limits {
    /// What every register counts against [`Limits::max_state_bytes`] besides its name's
    /// length and its state's bytes (SPEC.md §7.2): 256. It is the memory a register takes
    /// whatever it holds, so that many small registers count about what they occupy.
    ///
    /// On a 64-bit target a register is a 128-byte entry of the register table (a 120-byte
    /// saved state and its packed name; 152 bytes with a name of eight bytes or more, which
    /// also gets an allocation of its own) and a control byte. The table is at most 7/8 full
    /// and doubles when it grows, so an entry takes 147 to 295 bytes of the table's memory,
    /// and a register whose base, method and header lines are its own adds three 24-byte
    /// share counts. Measured with a counting allocator (`tests/state_memory.rs`), a register
    /// with next to nothing in it holds 147 to 374 bytes (445 with a long name), so the
    /// registers' real memory stays within twice what they count; while the table grows, the
    /// old and the new table are briefly both held (at most about 2.2 times).
    pub const REGISTER_OVERHEAD: usize = 256;

    /// The most bytes the compact form of a line adds to the plain line it carries (SPEC.md
    /// §7.4): 2 for a field line (`H:` before it, and the CR LF both have), 11 for a target
    /// (`+:` before it and ` LEN` after it, LEN at most 19 digits as the plain reader takes
    /// it, where the plain request-line has a method of at least one byte, two spaces and
    /// the version).
    pub const COMPACT_LINE_GROWTH: usize = 11;

    /// These limits with `max_line` [`Limits::COMPACT_LINE_GROWTH`] shorter: the limits to
    /// read plain messages with that a compact encoder working to these limits is to carry
    /// (a proxy's clients' requests, a gateway's upstream's answers). Every line read within
    /// them fits in its opcode line, so a line too long is refused as its own message's
    /// error, not found by the encoder, which would refuse every message after it. (A head is
    /// also refused by the encoder when its state bytes pass `max_state_bytes`, which the plain
    /// reader does not bound: see [`Head::state_bytes`](crate::Head::state_bytes).)
    #[must_use = "Limits setters return a new value"]
    pub fn for_compact(self) -> Self {
        let max_line = self.max_line.saturating_sub(Self::COMPACT_LINE_GROWTH);
        self.max_line(max_line)
    }

    /// Longest line, CRLF included: an opcode line, a request-line, a field line, a chunk-size
    /// line or a trailer line. Default 65,536.
    #[must_use = "Limits setters return a new value"]
    pub fn max_line(mut self, value: usize) -> Self {
        self.max_line = value;
        self
    }

    /// The value set by [`Limits::max_line`].
    pub fn get_max_line(&self) -> usize {
        self.max_line
    }

    /// Most registers a compact stream may hold at once. Default 256.
    #[must_use = "Limits setters return a new value"]
    pub fn max_registers(mut self, value: usize) -> Self {
        self.max_registers = value;
        self
    }

    /// The value set by [`Limits::max_registers`].
    pub fn get_max_registers(&self) -> usize {
        self.max_registers
    }

    /// Most header lines in one state or one plain request (and trailer lines in one chunked
    /// body). Default 256.
    #[must_use = "Limits setters return a new value"]
    pub fn max_headers(mut self, value: usize) -> Self {
        self.max_headers = value;
        self
    }

    /// The value set by [`Limits::max_headers`].
    pub fn get_max_headers(&self) -> usize {
        self.max_headers
    }

    /// Most state bytes: the bytes of version, base, method and header lines of the current
    /// state, and for every register [`Limits::REGISTER_OVERHEAD`], its name's length and the
    /// same bytes of its copy (each register counted in full, though copies share memory;
    /// SPEC.md §7.2). Default 1,048,576.
    #[must_use = "Limits setters return a new value"]
    pub fn max_state_bytes(mut self, value: usize) -> Self {
        self.max_state_bytes = value;
        self
    }

    /// The value set by [`Limits::max_state_bytes`].
    pub fn get_max_state_bytes(&self) -> usize {
        self.max_state_bytes
    }

    /// Largest body the whole-request calls (`decode`, `decode_slice`) hold;
    /// the event calls stream bodies of any size. Default 16,777,216.
    #[must_use = "Limits setters return a new value"]
    pub fn max_body(mut self, value: u64) -> Self {
        self.max_body = value;
        self
    }

    /// The value set by [`Limits::max_body`].
    pub fn get_max_body(&self) -> u64 {
        self.max_body
    }

    /// Size of the table of recently sent header lines (SPEC.md §5.4): each line counts its
    /// length and 32. Both ends of a stream must use the same value (like HPACK's
    /// SETTINGS_HEADER_TABLE_SIZE, it is agreed per connection); 0 turns the table off.
    /// The decoder holds at most about three times this many bytes for it. Default 4,096.
    #[must_use = "Limits setters return a new value"]
    pub fn table_bytes(mut self, value: usize) -> Self {
        self.table_bytes = value;
        self
    }

    /// The value set by [`Limits::table_bytes`].
    pub fn get_table_bytes(&self) -> usize {
        self.table_bytes
    }
}
