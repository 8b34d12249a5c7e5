//! Size and count limits that bound the memory a peer or a capture can make us hold.

/// Limits enforced by the decoder, the plain parser and the encoder (SPEC.md §7).
///
/// Every field has a safe default (see [`Limits::default`]); set them with the chainable
/// setters. **Raising a limit raises the memory an untrusted peer can make you hold:** the
/// decoder holds at most `max_line` bytes of an unfinished line, `max_state_bytes` of state and
/// registers, and (only in whole-request mode) `max_body` bytes of one body.
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
}

impl Default for Limits {
    /// `max_line` 64 KiB, `max_registers` 256, `max_headers` 256, `max_state_bytes` 1 MiB,
    /// `max_body` 16 MiB.
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_registers: 256,
            max_headers: 256,
            max_state_bytes: 1024 * 1024,
            max_body: 16 * 1024 * 1024,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident / $get:ident : $ty:ty;)*) => {
        impl Limits {
            $(
                $(#[$doc])*
                #[must_use = "Limits setters return a new value"]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }

                $(#[$doc])*
                pub fn $get(&self) -> $ty {
                    self.$name
                }
            )*
        }
    };
}

setters! {
    /// Longest line, CRLF included: an opcode line, a request-line, a field line, a chunk-size
    /// line or a trailer line. Default 65,536.
    max_line / get_max_line: usize;
    /// Most registers a compact stream may hold at once. Default 256.
    max_registers / get_max_registers: usize;
    /// Most header lines in one state or one plain request (and trailer lines in one chunked
    /// body). Default 256.
    max_headers / get_max_headers: usize;
    /// Most bytes of version, base, method and header lines, counted over the current state and
    /// every register (each register counted in full, though copies share memory).
    /// Default 1,048,576.
    max_state_bytes / get_max_state_bytes: usize;
    /// Largest body the whole-request calls (`decode`, `decode_slice`) hold;
    /// the event calls stream bodies of any size. Default 16,777,216.
    max_body / get_max_body: u64;
}
