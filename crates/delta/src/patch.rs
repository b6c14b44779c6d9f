//! The streaming patch applier: no heap, no panics, a 64-byte patch cache.
//!
//! [`Patcher`] walks the patch once, from start to end. Each call to
//! [`Patcher::fill`] produces the next bytes of the new image into the
//! caller's buffer; a block copy that does not fit is resumed by the next
//! call, so the output is the same whatever the buffer sizes. Block copies
//! are read from the source straight into the output buffer, one read per
//! block (or per part of a block that fits).
//!
//! For an in-place update the caller writes each finished sector of output
//! back over the source before asking for bytes of the following sector,
//! exactly as wolfBoot does (it writes to the swap sector, then copies the
//! swap sector over the boot partition).

use core::convert::Infallible;

use crate::error::PatchError;
use crate::{BLOCK_HDR_SIZE, ESC};

/// Patch bytes read from [`PatchIo::read_patch`] at a time.
const CACHE_SIZE: usize = 64;

/// Where the patcher reads: the source (base) image and the patch stream.
pub trait PatchIo {
    /// Why a read failed.
    type Error;

    /// Fill `buf` with the source bytes starting at `offset`. The patcher
    /// has already checked that the range lies within the source size it was
    /// given.
    fn read_base(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Self::Error>;

    /// Fill `buf` with the patch bytes starting at `offset`. The patcher
    /// never reads past the patch size it was given.
    fn read_patch(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Self::Error>;
}

/// The state of one patch application.
///
/// After an error the patcher's state is unspecified: start over.
#[derive(Debug, Clone)]
pub struct Patcher {
    base_size: u32,
    patch_size: u32,
    /// Offset in the patch of the next byte to decode.
    p_off: u32,
    /// Source offset of the rest of the block being copied.
    blk_off: u32,
    /// Bytes of the block being copied still to produce (0: none).
    blk_left: u32,
    /// Patch offset of `cache[0]`.
    cache_start: u32,
    /// Valid bytes in `cache`.
    cache_len: u32,
    cache: [u8; CACHE_SIZE],
}

impl Patcher {
    /// Start applying a patch of `patch_size` bytes to a source of
    /// `base_size` bytes (blocks reaching past `base_size` are refused).
    /// Zero sizes are refused, as `wb_patch_init` refuses them.
    pub const fn new(base_size: u32, patch_size: u32) -> Result<Self, PatchError<Infallible>> {
        if base_size == 0 || patch_size == 0 {
            return Err(PatchError::ZeroSize);
        }
        Ok(Patcher {
            base_size,
            patch_size,
            p_off: 0,
            blk_off: 0,
            blk_left: 0,
            cache_start: 0,
            cache_len: 0,
            cache: [0; CACHE_SIZE],
        })
    }

    /// Produce the next bytes of the new image into `out`; returns how many
    /// were written, fewer than `out.len()` only when the patch ends, and 0
    /// once it has ended. `out` may have any non-zero length.
    pub fn fill<I: PatchIo>(
        &mut self,
        io: &mut I,
        out: &mut [u8],
    ) -> Result<usize, PatchError<I::Error>> {
        if out.is_empty() {
            return Err(PatchError::EmptyOutput);
        }
        let mut done = 0usize;
        while let Some(room) = out.get_mut(done..).filter(|r| !r.is_empty()) {
            if self.blk_left > 0 {
                done += self.copy_block(io, room)?;
                continue;
            }
            let left = self.patch_size.saturating_sub(self.p_off);
            if left == 0 {
                break;
            }
            let [h0, h1, h2, h3, h4, h5] = self.peek(io, left.min(BLOCK_HDR_SIZE as u32))?;
            if h0 != ESC {
                put_first(room, h0);
                self.p_off += 1;
                done += 1;
            } else if left < 2 {
                return Err(PatchError::TruncatedEscape { at: self.p_off });
            } else if h1 == ESC {
                put_first(room, ESC);
                self.p_off += 2;
                done += 1;
            } else if left < BLOCK_HDR_SIZE as u32 {
                return Err(PatchError::TruncatedHeader { at: self.p_off });
            } else {
                let offset = u32::from_be_bytes([0, h1, h2, h3]);
                let len = u16::from_be_bytes([h4, h5]);
                if offset > self.base_size || u32::from(len) > self.base_size - offset {
                    return Err(PatchError::OutOfBounds { offset, len });
                }
                self.blk_off = offset;
                self.blk_left = u32::from(len);
                self.p_off += BLOCK_HDR_SIZE as u32;
            }
        }
        Ok(done)
    }

    /// Whether the whole patch has been applied.
    pub const fn is_finished(&self) -> bool {
        self.blk_left == 0 && self.p_off >= self.patch_size
    }

    /// Offset in the patch of the next byte to decode.
    pub const fn patch_offset(&self) -> u32 {
        self.p_off
    }

    /// The source size given to [`Patcher::new`].
    pub const fn base_size(&self) -> u32 {
        self.base_size
    }

    /// The patch size given to [`Patcher::new`].
    pub const fn patch_size(&self) -> u32 {
        self.patch_size
    }

    /// Copy as much of the current block as fits in `room`; returns how much.
    fn copy_block<I: PatchIo>(
        &mut self,
        io: &mut I,
        room: &mut [u8],
    ) -> Result<usize, PatchError<I::Error>> {
        let n = room.len().min(self.blk_left as usize);
        if let Some(dst) = room.get_mut(..n) {
            io.read_base(self.blk_off, dst).map_err(PatchError::Io)?;
        }
        // `n <= blk_left <= u16::MAX`, and `blk_off + blk_left <= base_size`.
        let n32 = n as u32;
        self.blk_off = self.blk_off.wrapping_add(n32);
        self.blk_left -= n32;
        Ok(n)
    }

    /// The next `need` (1..=6) patch bytes, through the cache; the bytes
    /// past `need` are zero.
    fn peek<I: PatchIo>(
        &mut self,
        io: &mut I,
        need: u32,
    ) -> Result<[u8; BLOCK_HDR_SIZE], PatchError<I::Error>> {
        let cached_end = self.cache_start.saturating_add(self.cache_len);
        if self.p_off < self.cache_start || self.p_off.saturating_add(need) > cached_end {
            let len = self
                .patch_size
                .saturating_sub(self.p_off)
                .min(CACHE_SIZE as u32);
            let buf = self
                .cache
                .get_mut(..len as usize)
                .ok_or(PatchError::TruncatedHeader { at: self.p_off })?;
            io.read_patch(self.p_off, buf).map_err(PatchError::Io)?;
            self.cache_start = self.p_off;
            self.cache_len = len;
        }
        let skip = self.p_off.saturating_sub(self.cache_start) as usize;
        let mut head = [0u8; BLOCK_HDR_SIZE];
        let cached = self.cache.iter().skip(skip).take(need as usize);
        for (d, s) in head.iter_mut().zip(cached) {
            *d = *s;
        }
        Ok(head)
    }
}

fn put_first(room: &mut [u8], byte: u8) {
    if let Some(slot) = room.first_mut() {
        *slot = byte;
    }
}
