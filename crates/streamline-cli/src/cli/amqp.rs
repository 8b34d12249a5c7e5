//! What a message costs at least as an AMQP 0-9-1 `basic.publish` (AMQP 0-9-1 §2.3.5, §4.2).
//!
//! ```text
//! method frame      type 1 (1) channel (2) size (4)                          7
//!                   class-id 60 (2) method-id 40 (2)                          4
//!                   reserved-1 short (2)                                      2
//!                   exchange shortstr: length (1) + 0 bytes ("")              1
//!                   routing-key shortstr: length (1) + target (<= 255)        1 + n
//!                   bits: mandatory, immediate (1)                            1
//!                   frame-end 0xCE (1)                                        1
//! content header    type 2 (1) channel (2) size (4)                           7
//!                   class-id (2) weight (2) body-size (8)                    12
//!                   property-flags (2), no properties                         2
//!                   frame-end (1)                                             1
//! body frames       type 3 (1) channel (2) size (4) ... frame-end (1)         8 each,
//!                   payload <= frame-max - 8, frame-max 131,072               none if empty
//! ```
//!
//! The message goes to the default exchange (`""`) with the request target as routing key,
//! i.e. to a queue named after the target; a target over 255 bytes (the shortstr maximum)
//! is counted as 255. The body is the payload (a chunked body's chunk data). HTTP header
//! fields are not carried at all (no properties, no headers table), and the connection
//! handshake (protocol header, Start-Ok, Tune-Ok, Open, Channel.Open) is not counted: this is
//! the floor for a broker publish.

/// The method frame without its routing key: 7 + 4 + 2 + 1 + 1 + 1 + 1.
const METHOD_FRAME: u64 = 17;
/// The content header frame without properties.
const HEADER_FRAME: u64 = 22;
/// Framing of one body frame: 7-byte header and frame-end.
const BODY_FRAME: u64 = 8;
/// The frame-max this count assumes (RabbitMQ's default).
pub const FRAME_MAX: u64 = 131_072;
/// The longest short string.
const SHORTSTR_MAX: usize = 255;

/// Bytes beyond the payload for one `basic.publish` of `payload` bytes routed by `target`.
pub fn overhead(target: &[u8], payload: u64) -> u64 {
    let routing_key = target.len().min(SHORTSTR_MAX) as u64;
    METHOD_FRAME + routing_key + HEADER_FRAME + payload.div_ceil(FRAME_MAX - BODY_FRAME) * BODY_FRAME
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        // The OPRA quote: routing key "/receiver" (9 bytes), one body frame.
        assert_eq!(overhead(b"/receiver", 66), 26 + 22 + 8);
        assert_eq!(overhead(b"/", 0), 18 + 22);
        assert_eq!(overhead(b"/", FRAME_MAX - 8), 18 + 22 + 8);
        assert_eq!(overhead(b"/", FRAME_MAX - 7), 18 + 22 + 16);
        assert_eq!(overhead(&[b'a'; 300], 1), 17 + 255 + 22 + 8);
    }
}
