//! The compact grammar (SPEC.md §3), one function per rule, one line at a time: a plain match
//! for the opcode every line starts with, nom parsers for the arguments.
//!
//! Every function takes one line's content (CRLF already removed and checked by the caller)
//! and nom's error type never leaves this module: failures become [`ErrorKind`]s.

use nom::bytes::complete::{tag, take_while, take_while1, take_while_m_n};
use nom::combinator::{all_consuming, recognize, verify};
use nom::{IResult, Parser};

use crate::compact::op::{Op, Select, Source, Splice};
use crate::error::{escape, ErrorKind};
use crate::message::{check_target, Framing, Version};
use crate::wire::chars;

type Res<'a, O> = IResult<&'a [u8], O, ()>;

/// `opcode = "V" / "B" / "M" / "H" / ">" / "<" / "-" / "+" / "*" / "S" / "R" / "I" / "D" / "E" / "U"`
fn is_opcode(b: u8) -> bool {
    matches!(b, b'V' | b'B' | b'M' | b'H' | b'>' | b'<' | b'-' | b'+' | b'*' | b'S' | b'R' | b'I' | b'D' | b'E' | b'U')
}

/// `line = opcode ":" argument`
///
/// Matched on its first two bytes rather than with combinators: every line takes this step.
#[inline]
fn opcode_line(i: &[u8]) -> Option<(u8, &[u8])> {
    match i {
        [code, b':', argument @ ..] if is_opcode(*code) => Some((*code, argument)),
        _ => None,
    }
}

/// `visible = *VCHAR` (0x21–0x7E)
fn visible(i: &[u8]) -> Res<'_, &[u8]> {
    take_while(|b: u8| (0x21..=0x7e).contains(&b)).parse(i)
}

/// `length = "0" / %x31-39 0*18DIGIT`
fn length(i: &[u8]) -> Res<'_, u64> {
    let zero = tag(&b"0"[..]);
    let nonzero = recognize((
        take_while_m_n(1, 1, |b: u8| (b'1'..=b'9').contains(&b)),
        take_while_m_n(0, 18, |b: u8| b.is_ascii_digit()),
    ));
    let (rest, digits) = all_consuming(nom::branch::alt((nonzero, zero))).parse(i)?;
    Ok((rest, chars::parse_decimal(digits).unwrap_or(0)))
}

/// `body-arg = suffix SP length`
fn body_argument(i: &[u8]) -> Res<'_, (&[u8], u64)> {
    let (rest, (suffix, _, len)) = (visible, tag(&b" "[..]), length).parse(i)?;
    Ok((rest, (suffix, len)))
}

/// `version = "HTTP/" DIGIT "." DIGIT`
fn version(i: &[u8]) -> Res<'_, Version> {
    let digit = || take_while_m_n(1, 1, |b: u8| b.is_ascii_digit());
    let (rest, text) = all_consuming(recognize((tag(&b"HTTP/"[..]), digit(), tag(&b"."[..]), digit()))).parse(i)?;
    Ok((rest, Version::parse(text).ok_or(nom::Err::Error(()))?))
}

/// `name = 1*64VCHAR`
fn register_name(i: &[u8]) -> Res<'_, &[u8]> {
    all_consuming(verify(take_while1(|b: u8| (0x21..=0x7e).contains(&b)), |n: &[u8]| n.len() <= 64)).parse(i)
}

/// `method = token`
fn method(i: &[u8]) -> Res<'_, &[u8]> {
    all_consuming(take_while1(chars::is_tchar)).parse(i)
}

/// Parses one opcode line's content into an [`Op`].
#[inline]
pub(crate) fn parse_op(line: &[u8]) -> Result<Op<'_>, ErrorKind> {
    let Some((code, arg)) = opcode_line(line) else {
        return Err(line_shape_error(line));
    };
    // The commonest opcodes first; the last arm is `V`. Arguments taken as they are get the
    // checks `check_op` makes; `+:` and `V:` are parsed.
    let op = match code {
        b'H' if arg.first() != Some(&b'=') => Op::Header(arg),
        b'<' => Op::Load(arg),
        b'>' => Op::Store(arg),
        b'-' => Op::Bodyless(arg),
        b'+' => return with_body(line, arg),
        b'*' => Op::Chunked(arg),
        b'B' => Op::Base(arg),
        b'M' => Op::Method(arg),
        b'H' | b'S' | b'R' | b'I' | b'D' | b'E' | b'U' => return editing(code, line, arg),
        _ => return version(arg).map(|(_, v)| Op::Version(v)).map_err(|_| ErrorKind::InvalidVersion(escape(arg))),
    };
    check_op(&op).map(|()| op)
}

/// Checks the arguments of an [`Op`]: [`parse_op`] uses it for the ones it reads, and
/// `State::apply` for ones built by hand, so what `apply` accepts is what the decoder would
/// accept on the wire.
#[inline]
pub(crate) fn check_op(op: &Op<'_>) -> Result<(), ErrorKind> {
    match *op {
        Op::Version(_) => Ok(()),
        Op::Base(b) => check_target(b, "base"),
        Op::Method(m) => method(m).map(|_| ()).map_err(|_| ErrorKind::InvalidMethod(escape(m))),
        Op::Header(h) => header(h),
        Op::Store(n) | Op::Load(n) => register(n).map(|_| ()),
        Op::Bodyless(s) | Op::Chunked(s) => check_target(s, "suffix"),
        // `length` allows at most 19 digits.
        Op::WithBody(s, len) if len < 10_000_000_000_000_000_000 => check_target(s, "suffix"),
        Op::WithBody(..) => Err(ErrorKind::InvalidLength(escape(op.to_string().as_bytes()))),
        Op::HeaderEntry(i) => check_number(i, op),
        Op::Set(src) => check_source(src, op),
        Op::Replace(sel, src) | Op::Insert(sel, src) => check_select(sel, op).and_then(|()| check_source(src, op)),
        Op::Delete(sel, count) if count >= 1 => check_select(sel, op).and_then(|()| check_number(count, op)),
        Op::Delete(..) => Err(invalid_edit(op, "a count of 0")),
        Op::Edit(sel, splice) => check_select(sel, op).and_then(|()| check_splice(splice, op, false)),
        Op::EditBase(splice) => check_splice(splice, op, true),
        Op::Status(code, reason) => check_status(code, reason),
        Op::Again | Op::Close => Ok(()),
        Op::Announce(Framing::Announced(len)) if len < 10_000_000_000_000_000_000 => Ok(()),
        Op::Announce(Framing::AnnouncedChunked) => Ok(()),
        Op::Announce(_) => Err(ErrorKind::InvalidLength(escape(op.to_string().as_bytes()))),
    }
}

/// `status = 3DIGIT [ SP reason ]`: a code from 100 to 999 and a reason phrase of field-value
/// bytes (SPEC.md §13.2).
fn check_status(code: &[u8], reason: &[u8]) -> Result<(), ErrorKind> {
    let bad = |why| {
        let mut line = b"C:".to_vec();
        line.extend_from_slice(code);
        line.push(b' ');
        line.extend_from_slice(reason);
        ErrorKind::InvalidStatusLine { line: escape(&line), why }
    };
    match code {
        [b'1'..=b'9', b'0'..=b'9', b'0'..=b'9'] => {}
        _ => return Err(bad("expected 'C:' three digits from 100 to 999")),
    }
    if !chars::is_reason(reason) {
        return Err(bad("the reason phrase holds a control byte"));
    }
    Ok(())
}

/// Parses one opcode line's content of a response stream (SPEC.md §13.4) into an [`Op`].
#[inline]
pub(crate) fn parse_response_op(line: &[u8]) -> Result<Op<'_>, ErrorKind> {
    const SUFFIX: ErrorKind = ErrorKind::WrongDirection("a response's issuing line takes no suffix");
    let op = match line {
        [b'C', b':', arg @ ..] => {
            let (code, reason) = match arg {
                [code @ .., b' '] if code.len() == 3 => (code, &[][..]),
                _ if arg.len() > 3 && arg[3] == b' ' => (&arg[..3], &arg[4..]),
                _ => (arg, &[][..]),
            };
            Op::Status(code, reason)
        }
        [b'$', b':'] => Op::Close,
        [b'+', b':'] => Op::Again,
        [b'+', b':', b' ', ..] => return with_body(line, &line[2..]),
        [b'-', b':'] => Op::Bodyless(&[]),
        [b'-', b':', b' ', rest @ ..] if rest == b"chunked" => Op::Announce(Framing::AnnouncedChunked),
        [b'-', b':', b' ', rest @ ..] => match length(rest) {
            Ok((_, n)) => Op::Announce(Framing::Announced(n)),
            Err(_) => return Err(ErrorKind::InvalidLength(escape(line))),
        },
        [b'*', b':'] => Op::Chunked(&[]),
        [b'-' | b'+' | b'*' | b'$', b':', ..] => return Err(SUFFIX),
        [b'B' | b'M' | b'U', b':', ..] => {
            return Err(ErrorKind::WrongDirection("'B:', 'M:' and 'U:' are request opcodes; this is a response stream"))
        }
        _ => return parse_op(line),
    };
    check_op(&op).map(|()| op)
}

/// Values an editing opcode's numbers may take: at most nine digits.
const MAX_NUMBER: usize = 999_999_999;

fn invalid_edit(op: &Op<'_>, why: &'static str) -> ErrorKind {
    ErrorKind::InvalidEdit { line: escape(op.to_string().as_bytes()), why }
}

fn check_number(n: usize, op: &Op<'_>) -> Result<(), ErrorKind> {
    if n > MAX_NUMBER {
        return Err(invalid_edit(op, "a number of more than nine digits"));
    }
    Ok(())
}

fn check_select(sel: Select<'_>, op: &Op<'_>) -> Result<(), ErrorKind> {
    match sel {
        Select::Position(p) => check_number(p, op),
        Select::Name(n) if selector_name(n) => Ok(()),
        Select::Name(_) => Err(invalid_edit(op, "a selector that is neither a position nor a field name")),
    }
}

fn check_source(src: Source<'_>, op: &Op<'_>) -> Result<(), ErrorKind> {
    match src {
        Source::Line(l) => header(l),
        Source::Entry(i) => check_number(i, op),
    }
}

fn check_splice(splice: Splice<'_>, op: &Op<'_>, base: bool) -> Result<(), ErrorKind> {
    check_number(splice.at, op)?;
    check_number(splice.len, op)?;
    let ok = if base {
        splice.text.iter().all(|&b| (0x21..=0x7e).contains(&b))
    } else {
        splice.text.iter().all(|&b| chars::is_field_byte(b))
    };
    if !ok {
        return Err(invalid_edit(op, "text with a byte a field line or base may not hold"));
    }
    Ok(())
}

/// A name selector: a token that is not all digits (those are positions).
fn selector_name(n: &[u8]) -> bool {
    !n.is_empty() && n.iter().all(|&b| chars::is_tchar(b)) && !n.iter().all(u8::is_ascii_digit)
}

/// `number = "0" / %x31-39 0*8DIGIT`
pub(crate) fn number(i: &[u8]) -> Option<usize> {
    match i {
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] if i.len() <= 9 && i.iter().all(u8::is_ascii_digit) => {
            chars::parse_decimal(i).map(|n| n as usize)
        }
        _ => None,
    }
}

/// `selector = number / field-name` (a name that is not all digits)
fn selector(i: &[u8]) -> Option<Select<'_>> {
    if i.iter().all(u8::is_ascii_digit) {
        number(i).map(Select::Position)
    } else {
        selector_name(i).then_some(Select::Name(i))
    }
}

/// `source = field-line / "=" number`
fn source(i: &[u8]) -> Option<Source<'_>> {
    match i.strip_prefix(b"=") {
        Some(index) => number(index).map(Source::Entry),
        None => Some(Source::Line(i)),
    }
}

/// `splice = number SP number [ SP text ]`
fn splice(i: &[u8]) -> Option<Splice<'_>> {
    let mut parts = i.splitn(3, |&b| b == b' ');
    let at = number(parts.next()?)?;
    let len = number(parts.next()?)?;
    Some(Splice { at, len, text: parts.next().unwrap_or(&[]) })
}

/// Splits `SEL SP REST` at its first SP.
fn selected(i: &[u8]) -> Option<(Select<'_>, &[u8])> {
    let sp = memchr::memchr(b' ', i)?;
    Some((selector(&i[..sp])?, &i[sp + 1..]))
}

/// The editing opcodes' arguments (SPEC.md §4.10): `H:=`, `S:`, `R:`, `I:`, `D:`, `E:`, `U:`.
fn editing<'a>(code: u8, line: &[u8], arg: &'a [u8]) -> Result<Op<'a>, ErrorKind> {
    let op = match code {
        b'H' => arg.strip_prefix(b"=").and_then(number).map(Op::HeaderEntry),
        b'S' => source(arg).map(Op::Set),
        b'R' => selected(arg).and_then(|(sel, rest)| Some(Op::Replace(sel, source(rest)?))),
        b'I' => selected(arg).and_then(|(sel, rest)| Some(Op::Insert(sel, source(rest)?))),
        b'D' => match selected(arg) {
            Some((sel, count)) => number(count).filter(|&n| n >= 1).map(|n| Op::Delete(sel, n)),
            None => selector(arg).map(|sel| Op::Delete(sel, 1)),
        },
        b'E' => selected(arg).and_then(|(sel, rest)| Some(Op::Edit(sel, splice(rest)?))),
        _ => splice(arg).map(Op::EditBase),
    };
    let why = match code {
        b'H' => "expected 'H:=INDEX'",
        b'S' => "expected 'S:FIELD-LINE' or 'S:=INDEX'",
        b'R' => "expected 'R:SELECTOR FIELD-LINE' or 'R:SELECTOR =INDEX'",
        b'I' => "expected 'I:SELECTOR FIELD-LINE' or 'I:SELECTOR =INDEX'",
        b'D' => "expected 'D:SELECTOR' or 'D:SELECTOR COUNT'",
        b'E' => "expected 'E:SELECTOR AT LEN' or 'E:SELECTOR AT LEN TEXT'",
        _ => "expected 'U:AT LEN' or 'U:AT LEN TEXT'",
    };
    let op = op.ok_or_else(|| ErrorKind::InvalidEdit { line: escape(line), why })?;
    check_op(&op).map(|()| op)
}

/// `+:` argument, `line` being the whole line (for the error).
fn with_body<'a>(line: &[u8], arg: &'a [u8]) -> Result<Op<'a>, ErrorKind> {
    if let Some(len) = steady_length(arg) {
        return Ok(Op::WithBody(&[], len));
    }
    match body_argument(arg) {
        Ok((_, (suffix, len))) => Ok(Op::WithBody(suffix, len)),
        Err(_) => {
            let suffix = arg.split(|&b| b == b' ').next().unwrap_or(arg);
            check_target(suffix, "suffix")?;
            Err(ErrorKind::InvalidLength(escape(line)))
        }
    }
}

/// The argument of a steady feed's `+: LEN`, recognised without the general grammar. Accepts
/// exactly what `body_argument` accepts with an empty suffix; anything else is `None` and
/// goes the general way.
#[inline]
fn steady_length(arg: &[u8]) -> Option<u64> {
    let digits = arg.strip_prefix(b" ")?;
    match digits {
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] => chars::parse_decimal(digits),
        _ => None,
    }
}

/// A whole `+: LEN` CRLF line at the front of `src`, found without searching for the line
/// end: the body length and the line's length. Anything else (another line, a longer or
/// malformed one, an incomplete one) is `None` and goes the general way, which accepts and
/// rejects exactly as this does.
#[inline]
pub(crate) fn steady_line(src: &[u8]) -> Option<(u64, usize)> {
    let rest = src.strip_prefix(b"+: ")?;
    let mut n: u64 = 0;
    let mut i = 0;
    while let Some(&d) = rest.get(i) {
        if !d.is_ascii_digit() || i == 19 || (i == 1 && rest[0] == b'0') {
            break;
        }
        n = n * 10 + u64::from(d - b'0');
        i += 1;
    }
    match rest.get(i..i + 2) {
        Some(b"\r\n") if i > 0 => Some((n, 3 + i + 2)),
        _ => None,
    }
}

/// The three lines a changing stream is mostly made of, with their CRLF, recognised without
/// the general grammar: `-:` (a bodyless request from the state as it is), `<:` with a
/// one-byte register name, and `S:=` with a table index of one or two digits. Gives the
/// opcode and the line's length (CRLF included). Anything else (another line, a longer or
/// malformed one, an incomplete one) is `None` and goes the general way, which gives the same
/// opcode for each line this takes (the caller still checks the line against `max_line`).
#[inline]
pub(crate) fn short_line(src: &[u8]) -> Option<(Op<'_>, usize)> {
    let digit = |d: u8| usize::from(d - b'0');
    match *src {
        [b'-', b':', b'\r', b'\n', ..] => Some((Op::Bodyless(&[]), 4)),
        [b'<', b':', 0x21..=0x7e, b'\r', b'\n', ..] => Some((Op::Load(&src[2..3]), 5)),
        [b'S', b':', b'=', d @ b'0'..=b'9', b'\r', b'\n', ..] => Some((Op::Set(Source::Entry(digit(d))), 6)),
        [b'S', b':', b'=', d @ b'1'..=b'9', e @ b'0'..=b'9', b'\r', b'\n', ..] => {
            Some((Op::Set(Source::Entry(10 * digit(d) + digit(e))), 7))
        }
        _ => None,
    }
}

/// Why a line did not match `opcode ":" argument`.
fn line_shape_error(line: &[u8]) -> ErrorKind {
    match line {
        [] => ErrorKind::EmptyLine,
        [b'C' | b'$', b':', ..] => {
            ErrorKind::WrongDirection("'C:' and '$:' are response opcodes; this is a request stream")
        }
        [code, ..] if !is_opcode(*code) => ErrorKind::UnknownOpcode(escape(&line[..1])),
        _ => ErrorKind::MissingColon(escape(&line[..1])),
    }
}

/// `H:` argument: a field line that is not framing.
#[inline]
fn header(arg: &[u8]) -> Result<(), ErrorKind> {
    // There is no line folding in the compact syntax: a leading space is just a bad line.
    let name_len = chars::check_field_line(arg).map_err(|kind| match kind {
        ErrorKind::ObsFold => ErrorKind::InvalidHeader { line: escape(arg), why: "starts with whitespace" },
        other => other,
    })?;
    match chars::framing_name(&arg[..name_len]) {
        Some(_) => Err(ErrorKind::FramingHeader(escape(arg))),
        None => Ok(()),
    }
}

/// `>:` / `<:` argument.
fn register(arg: &[u8]) -> Result<&[u8], ErrorKind> {
    register_name(arg).map(|(_, n)| n).map_err(|_| ErrorKind::InvalidRegisterName(escape(arg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops() {
        assert_eq!(parse_op(b"V:HTTP/1.1"), Ok(Op::Version(Version::HTTP_11)));
        assert_eq!(parse_op(b"B:"), Ok(Op::Base(b"")));
        assert_eq!(parse_op(b"B:/x?y=1"), Ok(Op::Base(b"/x?y=1")));
        assert_eq!(parse_op(b"M:POST"), Ok(Op::Method(b"POST")));
        assert_eq!(parse_op(b"H:Host: a"), Ok(Op::Header(b"Host: a")));
        assert_eq!(parse_op(b">:config1"), Ok(Op::Store(b"config1")));
        assert_eq!(parse_op(b"<:config1"), Ok(Op::Load(b"config1")));
        assert_eq!(parse_op(b"-:"), Ok(Op::Bodyless(b"")));
        assert_eq!(parse_op(b"-:style.css"), Ok(Op::Bodyless(b"style.css")));
        assert_eq!(parse_op(b"+: 66"), Ok(Op::WithBody(b"", 66)));
        assert_eq!(parse_op(b"+:x 0"), Ok(Op::WithBody(b"x", 0)));
        assert_eq!(parse_op(b"+:x 9999999999999999999"), Ok(Op::WithBody(b"x", 9_999_999_999_999_999_999)));
        assert_eq!(parse_op(b"*:up"), Ok(Op::Chunked(b"up")));
    }

    /// Every pair of first bytes: an opcode and a colon go on to the argument, anything else
    /// is a line-shape error.
    #[test]
    fn line_shapes() {
        assert_eq!(parse_op(b""), Err(ErrorKind::EmptyLine));
        for code in 0..=255 {
            let shape = |line: &[u8]| {
                matches!(
                    parse_op(line),
                    Err(ErrorKind::UnknownOpcode(_) | ErrorKind::MissingColon(_) | ErrorKind::WrongDirection(_))
                )
            };
            let known = b"VBMH><-+*SRIDEU".contains(&code);
            assert_eq!(parse_op(&[code]), Err(line_shape_error(&[code])));
            assert!(shape(&[code]));
            for second in 0..=255 {
                let line = [code, second, b'1'];
                assert_eq!(shape(&line), !(known && second == b':'), "{line:x?}");
                if shape(&line) {
                    assert_eq!(parse_op(&line), Err(line_shape_error(&line)));
                }
            }
        }
    }

    #[test]
    fn steady_lines() {
        assert_eq!(steady_line(b"+: 66\r\nxx"), Some((66, 7)));
        assert_eq!(steady_line(b"+: 0\r\n"), Some((0, 6)));
        assert_eq!(steady_line(b"+: 9999999999999999999\r\n"), Some((9_999_999_999_999_999_999, 24)));
        for line in [&b"+: 01\r\n"[..], b"+: 10000000000000000000\r\n", b"+: \r\n", b"+: 6\n", b"+: 66", b"+:x 6\r\n"] {
            assert_eq!(steady_line(line), None, "{}", line.escape_ascii());
        }
    }

    /// Whatever `short_line` takes, the general path (line, then opcode) takes as the same
    /// opcode, in either direction; and it takes every line of its three shapes, so the
    /// general path is left only the others. Lines of every byte in each argument position,
    /// and near misses: a longer argument, a missing or bare CR, a leading zero.
    #[test]
    fn short_line_agrees_with_the_general_path() {
        let mut taken = 0;
        let mut check = |src: &[u8]| {
            let general = crate::wire::line::next_line(src, 64).ok().flatten().map(|line| {
                let content = &src[..line.content];
                (parse_op(content), parse_response_op(content), line.total)
            });
            let Some((op, total)) = short_line(src) else {
                // Not taken: not one of the three shapes, or not valid as one.
                let shaped = matches!(general, Some((Ok(Op::Bodyless(b"")), _, _)))
                    || matches!(general, Some((Ok(Op::Load([_])), _, _)))
                    || matches!(general, Some((Ok(Op::Set(Source::Entry(0..=99))), _, 6 | 7)));
                assert!(!shaped, "{} is left to the general path", src.escape_ascii());
                return;
            };
            taken += 1;
            assert_eq!(general, Some((Ok(op), Ok(op), total)), "{}", src.escape_ascii());
        };
        for tail in [&b""[..], b"\r\n", b"\r", b"\n", b"x\r\n", b"\r\nH:A: 1\r\n"] {
            check(&[b"-:", tail].concat());
            for b in 0..=255u8 {
                check(&[&b"<:"[..], &[b], tail].concat());
                check(&[&b"S:="[..], &[b], tail].concat());
                for c in b'0'..=b'9' {
                    check(&[&b"S:="[..], &[b, c], tail].concat());
                    check(&[&b"S:="[..], &[c, b], tail].concat());
                }
            }
        }
        check(b"S:=100\r\n");
        check(b"<:ab\r\n");
        check(b"S:A: 1\r\n");
        // For each of the two tails that start with CRLF: one `-:`, 94 names, 10 one-digit
        // indexes and 90 two-digit ones, made twice; and 10 one-digit indexes whose CR is
        // the argument byte before the LF tail.
        assert_eq!(taken, 2 * (1 + 94 + 10 + 2 * 90) + 10, "lines taken");
    }

    #[test]
    fn op_errors() {
        use ErrorKind::*;
        let err = |l: &[u8]| parse_op(l).unwrap_err();
        assert_eq!(err(b""), EmptyLine);
        assert_eq!(err(b"X:1"), UnknownOpcode("X".into()));
        assert_eq!(err(b"V"), MissingColon("V".into()));
        assert_eq!(err(b"V HTTP/1.1"), MissingColon("V".into()));
        assert!(matches!(err(b"V:HTTP/1"), InvalidVersion(_)));
        assert!(matches!(err(b"V:HTTP/1.1 "), InvalidVersion(_)));
        assert!(matches!(err(b"M:GE T"), InvalidMethod(_)));
        assert!(matches!(err(b"M:"), InvalidMethod(_)));
        assert!(matches!(err(b"B:/a b"), InvalidTarget { what: "base", .. }));
        assert!(matches!(err(b"-:a b"), InvalidTarget { what: "suffix", .. }));
        assert!(matches!(err(b"H:Content-Length: 5"), FramingHeader(_)));
        assert!(matches!(err(b"H:transfer-encoding: chunked"), FramingHeader(_)));
        assert!(matches!(err(b"H:Host : a"), WhitespaceBeforeColon(_)));
        assert!(matches!(err(b">:"), InvalidRegisterName(_)));
        assert!(matches!(err(&[b"<:".as_slice(), &[b'a'; 65]].concat()), InvalidRegisterName(_)));
        assert!(matches!(err(b"+:x"), InvalidLength(_)));
        assert!(matches!(err(b"+:x 01"), InvalidLength(_)));
        assert!(matches!(err(b"+:x 10000000000000000000"), InvalidLength(_)));
        assert!(matches!(err(b"+:x  1"), InvalidLength(_)));
        assert!(matches!(err(b"+:x 1 "), InvalidLength(_)));
        assert!(matches!(err(b"+:x -1"), InvalidLength(_)));
    }
}
