//! HPACK's static Huffman code (RFC 7541 §5.2 and Appendix B), the code of packed lines
//! (SPEC.md §4.11).
//!
//! The code is canonical: the codes of one length are consecutive numbers in symbol order,
//! and each length's first code follows the last of the length before. So the code lengths
//! alone define it; the codes and the decoding tables are derived from them at compile time.
//! The derivation is checked against the RFC's worked examples and every code it lists by
//! the tests below, and against another implementation (httlib-huffman, a dev-dependency).

use bytes::BufMut;

/// RFC 7541 Appendix B: the length in bits of each symbol's code, symbols 0–255 and EOS (256).
const LENGTHS: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0x00
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 0x10
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 0x20
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 0x30
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 0x40
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 0x50
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 0x60
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 0x70
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 0x80
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 0x90
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 0xa0
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 0xb0
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 0xc0
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 0xd0
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 0xe0
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 0xf0
    30, // EOS
];

/// The end-of-string symbol: never in a string; its first bits are the padding.
const EOS: u16 = 256;
/// The longest code.
const MAX_LEN: usize = 30;
/// Codes up to this many bits decode with one look-up (every code of 8 bits or fewer: the
/// letters, digits and common punctuation).
const FAST_BITS: u32 = 8;

/// What the decoder keeps of the canonical code: per length, the first code, how many codes
/// have it, and where its symbols start in `symbols` (sorted by length, then value).
struct Canonical {
    codes: [u32; 257],
    first: [u32; MAX_LEN + 1],
    count: [u32; MAX_LEN + 1],
    offset: [u16; MAX_LEN + 1],
    symbols: [u16; 257],
    /// Indexed by the next `FAST_BITS` bits: `symbol | length << 9` of a code that short, 0
    /// if the code is longer.
    fast: [u16; 1 << FAST_BITS],
}

const fn canonical() -> Canonical {
    let mut c = Canonical {
        codes: [0; 257],
        first: [0; MAX_LEN + 1],
        count: [0; MAX_LEN + 1],
        offset: [0; MAX_LEN + 1],
        symbols: [0; 257],
        fast: [0; 1 << FAST_BITS],
    };
    let (mut code, mut placed, mut len) = (0u32, 0u16, 1);
    while len <= MAX_LEN {
        c.first[len] = code;
        c.offset[len] = placed;
        let mut symbol = 0;
        while symbol < 257 {
            if LENGTHS[symbol] as usize == len {
                c.codes[symbol] = code;
                c.symbols[placed as usize] = symbol as u16;
                if len as u32 <= FAST_BITS {
                    // Every index that starts with this code.
                    let spare = FAST_BITS - len as u32;
                    let mut low = 0;
                    while low < 1 << spare {
                        c.fast[((code << spare) | low) as usize] = symbol as u16 | (len as u16) << 9;
                        low += 1;
                    }
                }
                code += 1;
                placed += 1;
                c.count[len] += 1;
            }
            symbol += 1;
        }
        code <<= 1;
        len += 1;
    }
    c
}

static CODE: Canonical = canonical();

/// The bytes `text` takes in the code, padding included.
#[inline]
pub(crate) fn encoded_len(text: &[u8]) -> usize {
    let bits: usize = text.iter().map(|&b| usize::from(LENGTHS[usize::from(b)])).sum();
    bits.div_ceil(8)
}

/// Writes `text` in the code, padded to a whole byte with the first bits of EOS (all ones).
pub(crate) fn encode(text: &[u8], dst: &mut impl BufMut) {
    // `acc` holds the bits not yet written in its low `held` bits (at most 7 + 30).
    let (mut acc, mut held) = (0u64, 0u32);
    for &b in text {
        let len = u32::from(LENGTHS[usize::from(b)]);
        acc = (acc << len) | u64::from(CODE.codes[usize::from(b)]);
        held += len;
        while held >= 8 {
            held -= 8;
            dst.put_u8((acc >> held) as u8);
        }
        acc &= (1 << held) - 1;
    }
    if held > 0 {
        let pad = 8 - held;
        dst.put_u8(((acc << pad) | ((1 << pad) - 1)) as u8);
    }
}

/// Why a string is not one of the code (SPEC.md §4.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// It holds the EOS symbol.
    Eos,
    /// It ends in 8 or more bits that are no code, or in bits that are not EOS's first.
    Padding,
    /// It decodes to more than the given number of bytes.
    TooLong,
}

/// Appends what `code` decodes to to `dst`, at most `max` bytes; on an error `dst` holds what
/// was decoded before it.
pub(crate) fn decode(code: &[u8], dst: &mut Vec<u8>, max: usize) -> Result<(), Invalid> {
    // The next `held` bits of the input are the low bits of `acc`.
    let (mut acc, mut held, mut next) = (0u64, 0u32, 0);
    let limit = dst.len() + max;
    // While eight whole octets remain: refill to 56 bits or more in one load, then take
    // symbols while 30 bits (the longest code) are held, with no test for the end.
    while let Some(word) = code.get(next..).and_then(<[u8]>::first_chunk::<8>) {
        let take = (63 - held) / 8; // at least 4: fewer than 30 bits are held here
        let word = u64::from_be_bytes(*word);
        acc = (acc << (8 * take)) | (word >> (64 - 8 * take));
        held += 8 * take;
        next += take as usize;
        while held >= MAX_LEN as u32 {
            let (symbol, len) = symbol_at(acc, held);
            put(symbol, dst, limit)?;
            held -= len;
            acc &= (1 << held) - 1;
        }
    }
    // The rest, the padding checked.
    loop {
        while held <= 56 && next < code.len() {
            acc = (acc << 8) | u64::from(code[next]);
            held += 8;
            next += 1;
        }
        if held == 0 {
            return Ok(());
        }
        if next == code.len() && held < 8 && acc == (1 << held) - 1 {
            return Ok(()); // the padding: fewer than 8 bits, all ones
        }
        let (symbol, len) = symbol_at(acc, held);
        if len > held {
            // A code longer than what is left: the padding was not EOS's first bits, or
            // (for EOS's own 30 bits) was 8 bits or more.
            return Err(Invalid::Padding);
        }
        put(symbol, dst, limit)?;
        held -= len;
        acc &= (1 << held) - 1;
    }
}

/// Appends a decoded symbol to `dst`: refused if it is EOS, or if `dst` already holds
/// `limit` bytes.
#[inline]
fn put(symbol: u16, dst: &mut Vec<u8>, limit: usize) -> Result<(), Invalid> {
    if symbol == EOS {
        return Err(Invalid::Eos);
    }
    if dst.len() == limit {
        return Err(Invalid::TooLong);
    }
    dst.push(symbol as u8);
    Ok(())
}

/// The symbol whose code starts the `held` low bits of `acc`, and its length; past the end
/// the bits read as ones (the padding's), so a cut code comes back longer than `held`.
#[inline]
fn symbol_at(acc: u64, held: u32) -> (u16, u32) {
    let peek = |bits: u32| -> u32 {
        if held >= bits {
            ((acc >> (held - bits)) & ((1 << bits) - 1)) as u32
        } else {
            let short = bits - held;
            ((acc << short) | ((1 << short) - 1)) as u32
        }
    };
    let fast = CODE.fast[peek(FAST_BITS) as usize];
    if fast != 0 {
        return (fast & 0x1ff, u32::from(fast >> 9));
    }
    let mut len = FAST_BITS as usize + 1;
    loop {
        let value = peek(len as u32);
        let from = CODE.first[len];
        if value >= from && value - from < CODE.count[len] {
            let at = usize::from(CODE.offset[len]) + (value - from) as usize;
            return (CODE.symbols[at], len as u32);
        }
        // Every string of 30 bits starts with some code (EOS is the last one, all ones).
        len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(text, &mut out);
        assert_eq!(out.len(), encoded_len(text));
        out
    }

    fn unpacked(code: &[u8]) -> Result<Vec<u8>, Invalid> {
        let mut out = Vec::new();
        decode(code, &mut out, 1 << 20).map(|()| out)
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 7541 Appendix C.4 and C.6: the Huffman-coded strings of the worked examples.
    #[test]
    fn rfc_7541_examples() {
        let cases = [
            ("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"),
            ("no-cache", "a8eb 1064 9cbf"),
            ("custom-key", "25a8 49e9 5ba9 7d7f"),
            ("custom-value", "25a8 49e9 5bb8 e8b4 bf"),
            ("302", "6402"),
            ("private", "aec3 771a 4b"),
            ("Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"),
            ("https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"),
            (
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
                "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 \
                 b106 3d50 07",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(packed(text.as_bytes()), hex(code), "{text}");
            assert_eq!(unpacked(&hex(code)).unwrap(), text.as_bytes(), "{text}");
        }
    }

    /// A few codes as Appendix B lists them, from each end of the lengths.
    #[test]
    fn appendix_b_codes() {
        let listed = [
            (b'0', 0x0, 5),
            (b'a', 0x3, 5),
            (b' ', 0x14, 6),
            (b'A', 0x21, 6),
            (b'&', 0xf8, 8),
            (b'<', 0x7ffc, 15),
            (0, 0x1ff8, 13),
            (b'\n', 0x3ffffffc, 30),
            (255, 0x3ffffee, 26),
        ];
        for (symbol, code, len) in listed {
            assert_eq!((CODE.codes[usize::from(symbol)], LENGTHS[usize::from(symbol)]), (code, len), "{symbol}");
        }
        assert_eq!((CODE.codes[256], LENGTHS[256]), (0x3fffffff, 30), "EOS");
    }

    #[test]
    fn every_byte_round_trips_at_every_alignment() {
        for lead in 0..8 {
            for b in 0..=255u8 {
                let text: Vec<u8> = std::iter::repeat_n(b'0', lead).chain([b, b'a', b]).collect();
                assert_eq!(unpacked(&packed(&text)).unwrap(), text, "byte {b} after {lead}");
            }
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unpacked(&packed(&all)).unwrap(), all);
        assert_eq!(unpacked(&[]).unwrap(), b"");
    }

    #[test]
    fn padding_and_eos_are_checked() {
        // "0" is 00000: three bits of padding left, all ones.
        assert_eq!(unpacked(&[0b0000_0111]).unwrap(), b"0");
        // ... padding that is not ones.
        assert_eq!(unpacked(&[0b0000_0110]), Err(Invalid::Padding));
        // A whole byte of ones is padding of 8 bits.
        assert_eq!(unpacked(&[0xff]), Err(Invalid::Padding));
        assert_eq!(unpacked(&[0b0000_0111, 0xff]), Err(Invalid::Padding));
        // EOS itself, 30 ones, then two of padding.
        assert_eq!(unpacked(&[0xff, 0xff, 0xff, 0xff]), Err(Invalid::Eos));
        // A code cut short: '<' is 15 bits.
        assert_eq!(unpacked(&[0xff, 0xf8]).unwrap_err(), Invalid::Padding);
        let mut out = Vec::new();
        assert_eq!(decode(&packed(b"abc"), &mut out, 2), Err(Invalid::TooLong));
        assert_eq!(out, b"ab", "what came before the error is kept");
    }

    /// Long codes go through the decoder's fast loop (eight octets at a time): the same text,
    /// and the same errors, as through its careful one.
    #[test]
    fn long_codes_decode_alike() {
        let text: Vec<u8> = (0..3000u32).map(|i| b"0aZ-_.~!%\x7f\xfe eyJhbGci"[(i * 7 % 21) as usize]).collect();
        let code = packed(&text);
        assert_eq!(unpacked(&code).unwrap(), text);
        let mut out = Vec::new();
        assert_eq!(decode(&code, &mut out, 1000), Err(Invalid::TooLong));
        assert_eq!(out, text[..1000]);
        // EOS's 30 ones in the middle of a long code.
        let mut with_eos = packed(&text[..400]);
        with_eos.truncate(with_eos.len() - 1);
        with_eos.extend_from_slice(&[0xff; 5]);
        with_eos.extend_from_slice(&packed(&text[..400]));
        assert_eq!(unpacked(&with_eos), Err(Invalid::Eos));
    }

    /// Against another implementation (httlib-huffman): the same code for every string, and
    /// each decodes the other's.
    #[test]
    fn agrees_with_httlib() {
        use httlib_huffman::{decode as their_decode, encode as their_encode, DecoderSpeed};
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..2000 {
            let len = round % 97;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Mostly printable text, sometimes any byte.
                    if seed.is_multiple_of(8) {
                        (seed >> 8) as u8
                    } else {
                        0x20 + ((seed >> 8) % 95) as u8
                    }
                })
                .collect();
            let mut theirs = Vec::new();
            their_encode(&text, &mut theirs).unwrap();
            assert_eq!(packed(&text), theirs, "{text:?}");
            let mut back = Vec::new();
            their_decode(&theirs, &mut back, DecoderSpeed::FourBits).unwrap();
            assert_eq!(unpacked(&theirs).unwrap(), back);
        }
    }
}
