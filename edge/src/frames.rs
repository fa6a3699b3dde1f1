//! Following one direction of a tunnel frame by frame (RFC 6455 §5.2), from the frames' headers
//! alone, to tell which side began the closing handshake: the side that sends the first Close
//! frame (opcode 0x8, §5.5.1) closed the connection, whichever TCP connection ends first after
//! it. The server ends TCP first after every closing handshake (§7.1.1), so the order of the TCP
//! ends would name the origin for every close.
//!
//! Written here rather than taken from a WebSocket library: the relay never decodes a message,
//! never unmasks, never buffers a frame; it reads each header as the bytes pass and skips each
//! payload by its length, so a relayed byte costs nothing more than before. A library would parse
//! and own the frames, which is what the relay must not do (it passes the application's frames on
//! as they are, Autobahn|Testsuite checks it).

/// The opcode of a Close frame (RFC 6455 §5.5.1).
const CLOSE: u8 = 0x8;

/// The longest frame header: 2 bytes, an 8-byte extended length, a 4-byte masking key (§5.2).
const LONGEST_HEADER: usize = 14;

/// Where a direction's byte stream is, frame by frame.
#[derive(Debug)]
pub struct FrameWatch {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Reading a header: its bytes so far.
    Header { bytes: [u8; LONGEST_HEADER], have: usize },
    /// Skipping a payload: the bytes of it still to come.
    Payload(u64),
    /// Nothing more to learn: a Close frame was seen, or the bytes are not WebSocket frames
    /// (a reserved opcode), so nothing more is read from them.
    Done,
}

impl Default for FrameWatch {
    fn default() -> Self {
        Self { state: State::Header { bytes: [0; LONGEST_HEADER], have: 0 } }
    }
}

impl FrameWatch {
    /// Follows `bytes`, the next ones of the direction as relayed (in any pieces). `true` once,
    /// when they complete the header of the direction's first Close frame; `false` otherwise and
    /// ever after.
    pub fn close_seen(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Done => return false,
                State::Payload(remaining) => {
                    let skipped = (*remaining).min(bytes.len() as u64);
                    *remaining -= skipped;
                    bytes = &bytes[skipped as usize..];
                    if *remaining == 0 {
                        *self = Self::default();
                    }
                }
                State::Header { bytes: header, have } => {
                    let wanted = header_length(&header[..*have]);
                    let taken = (wanted - *have).min(bytes.len());
                    header[*have..*have + taken].copy_from_slice(&bytes[..taken]);
                    *have += taken;
                    bytes = &bytes[taken..];
                    // The second byte tells how long the header is: read on until all of it is in.
                    if *have < header_length(&header[..*have]) {
                        continue;
                    }
                    if !is_valid(header) {
                        self.state = State::Done;
                        return false;
                    }
                    if header[0] & 0x0f == CLOSE {
                        self.state = State::Done;
                        return true;
                    }
                    self.state = match payload_length(&header[..*have]) {
                        0 => State::Header { bytes: [0; LONGEST_HEADER], have: 0 },
                        length => State::Payload(length),
                    };
                }
            }
        }
        false
    }
}

/// Whether a header's first two bytes can begin a frame (§5.2, §5.5): an opcode that is not
/// reserved, no RSV2 or RSV3 bit (no extension in use defines them; permessage-deflate sets RSV1
/// alone), and a control frame whole (FIN) with at most 125 bytes.
fn is_valid(header: &[u8]) -> bool {
    let (first, second) = (header[0], header[1]);
    let opcode = first & 0x0f;
    let control = opcode & 0x8 != 0;
    matches!(opcode, 0x0..=0x2 | 0x8..=0xa)
        && first & 0x30 == 0
        && (!control || (first & 0x80 != 0 && second & 0x7f <= 125))
}

/// How long the header that starts with `start` is: 2 bytes until its second is known.
fn header_length(start: &[u8]) -> usize {
    let Some(second) = start.get(1) else { return 2 };
    let extended = match second & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let masking_key = if second & 0x80 != 0 { 4 } else { 0 };
    2 + extended + masking_key
}

/// The payload length a whole `header` gives (§5.2: 7 bits, or 16 or 64 after them).
fn payload_length(header: &[u8]) -> u64 {
    match header[1] & 0x7f {
        126 => u64::from(u16::from_be_bytes([header[2], header[3]])),
        127 => u64::from_be_bytes(header[2..10].try_into().expect("an 8-byte length")),
        short => u64::from(short),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A frame as RFC 6455 §5.2 lays it out, masked (as a client sends) or not.
    pub(crate) fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
        let mut bytes = vec![0x80 | opcode];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            short @ 0..=125 => bytes.push(mask_bit | short as u8),
            medium @ 126..=0xffff => {
                bytes.push(mask_bit | 126);
                bytes.extend_from_slice(&(medium as u16).to_be_bytes());
            }
            long => {
                bytes.push(mask_bit | 127);
                bytes.extend_from_slice(&(long as u64).to_be_bytes());
            }
        }
        if masked {
            let key = [1, 2, 3, 4];
            bytes.extend_from_slice(&key);
            bytes.extend(payload.iter().enumerate().map(|(index, byte)| byte ^ key[index % 4]));
        } else {
            bytes.extend_from_slice(payload);
        }
        bytes
    }

    /// Every way of cutting `stream` into two pieces, and byte by byte: where in it the close
    /// is seen, as an offset, must not depend on how the bytes arrive.
    fn close_seen_at(stream: &[u8]) -> Option<usize> {
        let mut found = None;
        let mut watch = FrameWatch::default();
        for (offset, byte) in stream.iter().enumerate() {
            if watch.close_seen(std::slice::from_ref(byte)) {
                assert!(found.is_none(), "seen once");
                found = Some(offset + 1);
            }
        }
        for cut in 0..=stream.len() {
            let mut watch = FrameWatch::default();
            let first = watch.close_seen(&stream[..cut]);
            let second = watch.close_seen(&stream[cut..]);
            assert_eq!(first || second, found.is_some(), "cut at {cut}");
            assert!(!(first && second), "seen once, cut at {cut}");
            if let Some(end_of_header) = found {
                assert_eq!(first, cut >= end_of_header, "cut at {cut}");
            }
        }
        found
    }

    #[test]
    fn the_first_close_is_seen_after_messages_of_every_length_whatever_the_pieces() {
        let mut stream = Vec::new();
        stream.extend(frame(0x1, b"hello", true));
        stream.extend(frame(0x2, &[7; 300], false));
        stream.extend(frame(0x9, b"", true));
        // A payload whose bytes look like a Close header must be skipped, not read as one.
        stream.extend(frame(0x2, &[0x88, 0x00], false));
        let close_starts = stream.len();
        stream.extend(frame(CLOSE, &[0x03, 0xe8], true));
        stream.extend(frame(CLOSE, b"", true));
        // The header of a masked Close with a 2-byte payload is 6 bytes.
        assert_eq!(close_seen_at(&stream), Some(close_starts + 6));
    }

    #[test]
    fn lengths_in_16_and_64_bits_are_skipped_whole() {
        let mut stream = frame(0x2, &vec![0x88; 70_000], false);
        let close_starts = stream.len();
        stream.extend(frame(CLOSE, b"", false));
        let mut watch = FrameWatch::default();
        assert!(!watch.close_seen(&stream[..close_starts]), "a 64-bit length: 70,000 bytes of 0x88 skipped");
        assert!(watch.close_seen(&stream[close_starts..]));
        let mut stream = frame(0x1, &[0x88; 126], true);
        stream.extend(frame(CLOSE, b"", true));
        assert!(close_seen_at(&stream).is_some(), "a 16-bit length");
    }

    #[test]
    fn bytes_that_are_not_websocket_frames_name_no_close() {
        // Opcode 0x5 is reserved (§5.2): whatever follows is not read as frames.
        let mut stream = vec![0x85, 0x00];
        stream.extend(frame(CLOSE, b"", false));
        assert_eq!(close_seen_at(&stream), None);
        // "h" is 0x68: opcode 8, but with RSV bits no extension defines.
        assert_eq!(close_seen_at(b"hello"), None);
        // A Close frame cut in pieces (no FIN), or longer than a control frame may be.
        assert_eq!(close_seen_at(&[0x08, 0x00]), None);
        assert_eq!(close_seen_at(&[0x88, 126, 0x00, 0x80]), None);
    }
}
