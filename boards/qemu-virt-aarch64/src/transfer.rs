//! How an update travels over the UART to the test application.
//!
//! ```text
//! "WBUP"  length (u32 LE)  image (length bytes)  CRC-32 of the image (u32 LE)
//! ```
//!
//! The CRC is the IEEE one (zlib's `crc32`, reflected polynomial
//! 0xEDB88320). It only guards the transport: the image itself is
//! verified by `UpdateWriter::finish` (digest, signature, version) before
//! anything is triggered, and by the bootloader again before the swap.
//! Bytes before the magic are skipped, so line noise or a console echo
//! does not confuse the receiver. [`Receiver`] takes one byte at a time and
//! says what it was, so the application can stream the image into flash
//! without holding it in RAM.

/// Frame magic.
pub const MAGIC: [u8; 4] = *b"WBUP";

/// CRC-32 (IEEE 802.3, as zlib), computed incrementally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(u32::MAX)
    }
}

impl Crc32 {
    /// Add bytes.
    pub fn update(&mut self, data: &[u8]) {
        for b in data {
            self.0 ^= u32::from(*b);
            for _ in 0..8 {
                let mask = (self.0 & 1).wrapping_neg();
                self.0 = (self.0 >> 1) ^ (0xEDB8_8320 & mask);
            }
        }
    }

    /// The checksum of everything added.
    pub fn value(&self) -> u32 {
        !self.0
    }
}

/// Why a frame was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The announced length is 0 or larger than the receiver accepts.
    Length(u32),
    /// The CRC does not match the image.
    Crc {
        /// CRC sent.
        sent: u32,
        /// CRC of what arrived.
        computed: u32,
    },
}

/// What one received byte was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Part of the magic, the length or the CRC (or noise before the magic).
    Framing,
    /// The length is known: an image of this many bytes follows.
    Start(u32),
    /// A byte of the image.
    Data(u8),
    /// The frame is complete and its CRC matches.
    Done,
    /// The frame is refused; the receiver waits for a new magic.
    Failed(FrameError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Magic(usize),
    Length(usize),
    Data,
    Crc(usize),
}

/// Frame receiver, one byte at a time.
#[derive(Debug, Clone)]
pub struct Receiver {
    max_len: u32,
    state: State,
    word: [u8; 4],
    len: u32,
    got: u32,
    crc: Crc32,
}

impl Receiver {
    /// A receiver for images of at most `max_len` bytes.
    pub fn new(max_len: u32) -> Self {
        Receiver {
            max_len,
            state: State::Magic(0),
            word: [0; 4],
            len: 0,
            got: 0,
            crc: Crc32::default(),
        }
    }

    /// Image bytes received so far in the current frame.
    pub fn received(&self) -> u32 {
        self.got
    }

    /// Take the next byte.
    pub fn push(&mut self, byte: u8) -> Step {
        match self.state {
            State::Magic(n) => {
                let expected = MAGIC.get(n).copied().unwrap_or(0);
                self.state = if byte == expected {
                    if n + 1 == MAGIC.len() {
                        State::Length(0)
                    } else {
                        State::Magic(n + 1)
                    }
                } else if byte == MAGIC[0] {
                    State::Magic(1)
                } else {
                    State::Magic(0)
                };
                Step::Framing
            }
            State::Length(n) => match self.word_byte(n, byte) {
                None => {
                    self.state = State::Length(n + 1);
                    Step::Framing
                }
                Some(len) if len == 0 || len > self.max_len => self.fail(FrameError::Length(len)),
                Some(len) => {
                    self.len = len;
                    self.got = 0;
                    self.crc = Crc32::default();
                    self.state = State::Data;
                    Step::Start(len)
                }
            },
            State::Data => {
                self.crc.update(&[byte]);
                self.got += 1;
                if self.got == self.len {
                    self.state = State::Crc(0);
                }
                Step::Data(byte)
            }
            State::Crc(n) => match self.word_byte(n, byte) {
                None => {
                    self.state = State::Crc(n + 1);
                    Step::Framing
                }
                Some(sent) => {
                    let computed = self.crc.value();
                    if sent == computed {
                        self.state = State::Magic(0);
                        Step::Done
                    } else {
                        self.fail(FrameError::Crc { sent, computed })
                    }
                }
            },
        }
    }

    /// Store byte `n` of a little-endian word; the word once complete.
    fn word_byte(&mut self, n: usize, byte: u8) -> Option<u32> {
        if let Some(slot) = self.word.get_mut(n) {
            *slot = byte;
        }
        (n + 1 == self.word.len()).then(|| u32::from_le_bytes(self.word))
    }

    fn fail(&mut self, e: FrameError) -> Step {
        self.state = State::Magic(0);
        Step::Failed(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn frame(image: &[u8]) -> Vec<u8> {
        let mut crc = Crc32::default();
        crc.update(image);
        let mut f = MAGIC.to_vec();
        f.extend_from_slice(&(image.len() as u32).to_le_bytes());
        f.extend_from_slice(image);
        f.extend_from_slice(&crc.value().to_le_bytes());
        f
    }

    fn run(rx: &mut Receiver, bytes: &[u8]) -> (Vec<u8>, Vec<Step>) {
        let mut data = Vec::new();
        let mut events = Vec::new();
        for b in bytes {
            match rx.push(*b) {
                Step::Data(d) => data.push(d),
                Step::Framing => {}
                other => events.push(other),
            }
        }
        (data, events)
    }

    #[test]
    fn crc_matches_zlib() {
        let mut c = Crc32::default();
        c.update(b"123456789");
        assert_eq!(c.value(), 0xCBF4_3926);
        assert_eq!(Crc32::default().value(), 0);
    }

    #[test]
    fn receives_a_frame_after_noise() {
        let image: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut bytes = b"\r\nWB WBWBUX".to_vec();
        bytes.extend(frame(&image));
        let mut rx = Receiver::new(4096);
        let (data, events) = run(&mut rx, &bytes);
        assert_eq!(data, image);
        assert_eq!(events, [Step::Start(1000), Step::Done]);
        assert_eq!(rx.received(), 1000);
        // Ready for the next frame.
        let (data, events) = run(&mut rx, &frame(b"abcd"));
        assert_eq!(data, b"abcd");
        assert_eq!(events, [Step::Start(4), Step::Done]);
    }

    #[test]
    fn refuses_bad_frames() {
        let mut rx = Receiver::new(16);
        let (_, events) = run(&mut rx, &frame(&[7; 17]));
        assert_eq!(events[0], Step::Failed(FrameError::Length(17)));
        let mut rx = Receiver::new(16);
        let (_, events) = run(&mut rx, b"WBUP\0\0\0\0");
        assert_eq!(events, [Step::Failed(FrameError::Length(0))]);
        let mut f = frame(b"hello");
        f[9] ^= 1;
        let mut rx = Receiver::new(16);
        let (_, events) = run(&mut rx, &f);
        assert!(matches!(
            events[..],
            [Step::Start(5), Step::Failed(FrameError::Crc { .. })]
        ));
    }
}
