//! The bookkeeping of an image arriving in chunks, without any flash access:
//! what the blocking [`UpdateWriter`](crate::UpdateWriter) and the async
//! writer (feature `async`) share. They feed it bytes, program what it says
//! is ready, and ask it whether the stream is complete.

use wolfboot_encrypt::Cipher;
use wolfboot_image_format::{wire, HeaderError};

use crate::error::{Error, UpdateError};

/// Bytes gathered in RAM before they are programmed (a multiple of the write
/// size, at most this many).
pub(crate) const STAGE: usize = 512;

/// The state of one incoming image whose header is `H` bytes.
#[derive(Debug)]
pub(crate) struct Intake<const H: usize> {
    /// Bytes of UPDATE an image may occupy.
    pub(crate) limit: u32,
    /// Bytes the stream may be padded to (16 for AES, else 1).
    pad: u32,
    write_size: usize,
    erased_byte: u8,
    /// Bytes accepted so far.
    pub(crate) received: u32,
    /// Header plus payload, once the first 8 bytes are known.
    pub(crate) expected: Option<u32>,
    first8: [u8; 8],
    stage: [u8; STAGE],
    stage_len: usize,
}

impl<const H: usize> Intake<H> {
    pub(crate) fn new(
        limit: u32,
        write_size: u32,
        erased_byte: u8,
        pad: u32,
    ) -> Result<Self, Error> {
        let write_size = write_size.max(1) as usize;
        if write_size > STAGE {
            return Err(Error::OutOfRange);
        }
        Ok(Intake {
            limit,
            pad: pad.max(1),
            write_size,
            erased_byte,
            received: 0,
            expected: None,
            first8: [0; 8],
            stage: [erased_byte; STAGE],
            stage_len: 0,
        })
    }

    /// Checks before a chunk of `len` bytes is taken: it must fit UPDATE and
    /// what the header announced.
    pub(crate) fn begin_chunk(&self, len: usize) -> Result<(), UpdateError> {
        let len = u32::try_from(len).map_err(|_| UpdateError::TooLarge)?;
        let end = self
            .received
            .checked_add(len)
            .ok_or(UpdateError::TooLarge)?;
        if end > self.limit {
            return Err(UpdateError::TooLarge);
        }
        if let Some(expected) = self.expected {
            if end > self.stream_limit(expected) {
                return Err(UpdateError::ExtraData);
            }
        }
        Ok(())
    }

    /// Take bytes of `chunk` until it ends or the stage is full; how many
    /// were taken. The header's first eight bytes are checked (through the
    /// cipher of an encrypted stream) as soon as they are in.
    pub(crate) fn take(
        &mut self,
        chunk: &[u8],
        cipher: Option<&mut Cipher>,
    ) -> Result<usize, UpdateError> {
        let room = STAGE - self.stage_len;
        let n = chunk.len().min(room);
        let bytes = chunk.get(..n).unwrap_or_default();
        let before = self.received as usize;
        for (i, &byte) in bytes.iter().enumerate() {
            if let Some(slot) = self.first8.get_mut(before + i) {
                *slot = byte;
            }
        }
        if let Some(dst) = self.stage.get_mut(self.stage_len..self.stage_len + n) {
            dst.copy_from_slice(bytes);
        }
        self.stage_len += n;
        self.received += n as u32;
        if before < 8 && self.received as usize >= 8 {
            self.check_preamble(cipher)?;
        }
        Ok(n)
    }

    /// Checks after a chunk: no more bytes than the header announced.
    pub(crate) fn end_chunk(&self) -> Result<(), UpdateError> {
        match self.expected {
            Some(expected) if self.received > self.stream_limit(expected) => {
                Err(UpdateError::ExtraData)
            }
            _ => Ok(()),
        }
    }

    /// Whether the stage must be programmed before more bytes are taken.
    pub(crate) fn stage_is_full(&self) -> bool {
        self.stage_len == STAGE
    }

    /// What to program now: partition offset and length of the staged
    /// bytes ready (whole write units; with `last`, everything, the final
    /// write unit padded with the erased value). `None` when nothing is.
    pub(crate) fn pending(&mut self, last: bool) -> Option<(u32, usize)> {
        let mut n = self.stage_len - self.stage_len % self.write_size;
        if last && n < self.stage_len {
            let padded = n + self.write_size;
            if let Some(pad) = self.stage.get_mut(self.stage_len..padded) {
                pad.fill(self.erased_byte);
            }
            n = padded;
        }
        if n == 0 {
            return None;
        }
        Some((self.received - self.stage_len as u32, n))
    }

    /// The first `n` staged bytes (as [`pending`](Self::pending) said).
    pub(crate) fn staged(&self, n: usize) -> Result<&[u8], UpdateError> {
        self.stage.get(..n).ok_or(UpdateError::TooLarge)
    }

    /// The first `n` staged bytes are in flash: drop them from the stage.
    pub(crate) fn programmed(&mut self, n: usize) {
        let keep = self.stage_len.saturating_sub(n);
        self.stage.copy_within(n..n + keep, 0);
        self.stage_len = keep;
    }

    /// The stream is over: the image length, or how much is missing.
    pub(crate) fn complete(&self) -> Result<u32, UpdateError> {
        let expected = self.expected.unwrap_or(u32::MAX);
        if self.received < expected || self.received > self.stream_limit(expected) {
            return Err(UpdateError::Incomplete {
                received: self.received,
                expected: self.expected.unwrap_or(0),
            });
        }
        Ok(expected)
    }

    /// Longest stream for an image of `expected` bytes (block padding).
    fn stream_limit(&self, expected: u32) -> u32 {
        expected.div_ceil(self.pad).saturating_mul(self.pad)
    }

    fn check_preamble(&mut self, cipher: Option<&mut Cipher>) -> Result<(), UpdateError> {
        let mut first8 = self.first8;
        if let Some(c) = cipher {
            c.apply_at(0, &mut first8);
        }
        let [m0, m1, m2, m3, s0, s1, s2, s3] = first8;
        if u32::from_le_bytes([m0, m1, m2, m3]) != wire::IMAGE_MAGIC {
            return Err(UpdateError::Header(HeaderError::BadMagic));
        }
        let payload = u32::from_le_bytes([s0, s1, s2, s3]);
        let total = payload.checked_add(H as u32).ok_or(UpdateError::TooLarge)?;
        if total > self.limit {
            return Err(UpdateError::TooLarge);
        }
        if self.received > self.stream_limit(total) {
            return Err(UpdateError::ExtraData);
        }
        self.expected = Some(total);
        Ok(())
    }
}
