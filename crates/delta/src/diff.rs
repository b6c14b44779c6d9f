//! The diff generator, byte-for-byte compatible with wolfBoot's `wb_diff`
//! as `sign --delta` drives it.
//!
//! The patch is produced in chunks of at most one sector, each chunk ending
//! early enough to leave room for a block header; where a chunk ends changes
//! the encoding, so the chunking is reproduced too.
//!
//! At each position of the new image (B), in order of preference:
//!
//! 1. the first offset of the old image (A), at or after the start of the
//!    current sector, where the next 6 bytes of B appear. The copy grows
//!    while the bytes agree, but stops before the last byte of the current
//!    sector and before the last byte of A. No search is made when fewer
//!    than 6 bytes are left in the sector.
//! 2. otherwise, the first offset of B at least one sector before the
//!    current sector where those 6 bytes appear. The copy grows while the
//!    bytes agree, up to 65535 bytes, stopping before the last byte ahead of
//!    the current sector.
//! 3. otherwise one literal byte (`ESC` doubled).
//!
//! Offsets whose top byte would be `ESC` (0x7f0000..=0x7fffff) are never
//! used: the header would read as an escaped literal. The last 6 bytes of B
//! are always literals unless a copy covers them.
//!
//! wolfBoot scans A (and B) linearly for each position; this module finds
//! the same first occurrence with a sorted index of 6-byte keys.

use crate::error::DiffError;
use crate::{BLOCK_HDR_SIZE, ESC};

/// Largest image `diff` accepts, as `sign` does (16 MiB: block offsets are
/// 24-bit).
pub const MAX_IMAGE_SIZE: usize = 1 << 24;

const HDR: usize = BLOCK_HDR_SIZE;
/// Lowest and highest source offsets whose top byte is `ESC`.
const ESC_OFF_FIRST: usize = (ESC as usize) << 16;
const ESC_OFF_END: usize = ((ESC as usize) + 1) << 16;
/// Longest block a header can describe.
const MAX_BLOCK: usize = u16::MAX as usize;

/// The patch that turns `base` into `new`, exactly as wolfBoot's `sign`
/// writes it for one direction with `WOLFBOOT_SECTOR_SIZE=sector_size`
/// (without the zero padding `sign` adds after the forward patch).
///
/// The patch must be applied in place with the same sector size (see
/// [`apply`](crate::apply())).
pub fn diff(base: &[u8], new: &[u8], sector_size: u32) -> Result<Vec<u8>, DiffError> {
    if base.is_empty() || new.is_empty() {
        return Err(DiffError::EmptyImage);
    }
    if base.len() > MAX_IMAGE_SIZE || new.len() > MAX_IMAGE_SIZE {
        return Err(DiffError::ImageTooLarge);
    }
    if !(8..=0xFFFF).contains(&sector_size) {
        return Err(DiffError::SectorSize(sector_size));
    }
    let sector = sector_size as usize;
    let mut ctx = DiffCtx {
        a: base,
        b: new,
        sector,
        off_b: 0,
        a_index: KeyIndex::new(base),
        b_index: KeyIndex::new(new),
    };
    let mut patch = Vec::with_capacity(new.len() / 8);
    // `sign` asks for sector-sized chunks until one comes back empty.
    while ctx.chunk(&mut patch, sector) > 0 {}
    Ok(patch)
}

/// The 6 bytes at `pos` as one number, if there are 6 bytes there.
fn key_at(data: &[u8], pos: usize) -> Option<u64> {
    let bytes = data.get(pos..pos.checked_add(HDR)?)?;
    Some(bytes.iter().fold(0u64, |k, &b| (k << 8) | u64::from(b)))
}

/// How many leading bytes `x` and `y` share, counting at most `cap`.
fn common_prefix(x: &[u8], y: &[u8], cap: usize) -> usize {
    x.iter()
        .zip(y)
        .take(cap)
        .take_while(|(p, q)| p == q)
        .count()
}

/// Every offset of an image that starts 6 bytes, sorted by (bytes, offset).
struct KeyIndex<'a> {
    data: &'a [u8],
    positions: Vec<u32>,
}

impl<'a> KeyIndex<'a> {
    fn new(data: &'a [u8]) -> Self {
        let count = data.len().saturating_sub(HDR - 1);
        // Images are at most 16 MiB, so offsets fit in u32.
        let mut positions: Vec<u32> = (0..count as u32).collect();
        positions.sort_unstable_by_key(|&p| (key_at(data, p as usize), p));
        KeyIndex { data, positions }
    }

    /// The lowest offset at or after `from` that starts with `key`.
    fn next(&self, key: u64, from: usize) -> Option<usize> {
        let i = self
            .positions
            .partition_point(|&p| (key_at(self.data, p as usize), p as usize) < (Some(key), from));
        let pos = *self.positions.get(i)? as usize;
        (key_at(self.data, pos) == Some(key)).then_some(pos)
    }

    /// The lowest usable offset in `from..=last` that starts with `key`.
    fn first(&self, key: u64, from: usize, last: usize) -> Option<usize> {
        let mut pos = self.next(key, from)?;
        if (ESC_OFF_FIRST..ESC_OFF_END).contains(&pos) {
            pos = self.next(key, from.max(ESC_OFF_END))?;
        }
        (pos <= last).then_some(pos)
    }
}

struct DiffCtx<'a> {
    a: &'a [u8],
    b: &'a [u8],
    sector: usize,
    /// Next byte of B to encode.
    off_b: usize,
    a_index: KeyIndex<'a>,
    b_index: KeyIndex<'a>,
}

impl DiffCtx<'_> {
    /// One `wb_diff` call with an output buffer of `len` (>= 8) bytes:
    /// appends at most `len` bytes to `patch` and returns how many.
    fn chunk(&mut self, patch: &mut Vec<u8>, len: usize) -> usize {
        let b = self.b;
        let start = patch.len();
        let room = |patch: &Vec<u8>| patch.len() - start;
        if self.off_b >= b.len() {
            return 0;
        }
        let lit_end = len - HDR;
        while self.off_b + HDR < b.len() && room(patch) < lit_end {
            let off_b = self.off_b;
            let sector_start = off_b / self.sector * self.sector;
            let block = key_at(b, off_b).and_then(|key| {
                self.forward(key, off_b, sector_start)
                    .or_else(|| self.backward(key, off_b, sector_start))
            });
            if let Some((src, size)) = block {
                let [_, o0, o1, o2] = (src as u32).to_be_bytes();
                let [s0, s1] = (size as u16).to_be_bytes();
                patch.extend_from_slice(&[ESC, o0, o1, o2, s0, s1]);
                self.off_b += size;
            } else if !self.literal(patch, room(patch), lit_end) {
                break;
            }
        }
        while room(patch) < lit_end && self.off_b < b.len() {
            if !self.literal(patch, room(patch), lit_end) {
                break;
            }
        }
        room(patch)
    }

    /// Encode B's next byte as a literal, unless an escaped `ESC` would
    /// reach the last `HDR` bytes of the chunk (`used` bytes written, the
    /// chunk's literals end at `lit_end`). Returns whether it was encoded.
    fn literal(&mut self, patch: &mut Vec<u8>, used: usize, lit_end: usize) -> bool {
        let Some(&byte) = self.b.get(self.off_b) else {
            return false;
        };
        if byte == ESC {
            if used + 1 >= lit_end {
                return false;
            }
            patch.extend_from_slice(&[ESC, ESC]);
        } else {
            patch.push(byte);
        }
        self.off_b += 1;
        true
    }

    /// A copy from A at or after the current sector: (offset, length).
    fn forward(&self, key: u64, off_b: usize, sector_start: usize) -> Option<(usize, usize)> {
        let (a, b) = (self.a, self.b);
        let sector_end = sector_start + self.sector;
        if sector_end - off_b < HDR {
            return None;
        }
        let src = self
            .a_index
            .first(key, sector_start, a.len().checked_sub(HDR)?)?;
        // Neither A's last byte nor the sector's last byte is ever copied.
        let cap = a
            .len()
            .saturating_sub(src + HDR + 1)
            .min(sector_end.saturating_sub(off_b + HDR + 1));
        let same = common_prefix(a.get(src + HDR..)?, b.get(off_b + HDR..)?, cap);
        Some((src, HDR + same))
    }

    /// A copy from B at least one sector before the current one.
    fn backward(&self, key: u64, off_b: usize, sector_start: usize) -> Option<(usize, usize)> {
        let b = self.b;
        let last = sector_start.checked_sub(self.sector)?;
        let src = self.b_index.first(key, 0, last)?;
        // The byte just before the current sector is never copied.
        let cap = sector_start
            .saturating_sub(src + HDR + 1)
            .min(MAX_BLOCK - HDR);
        let same = common_prefix(b.get(src + HDR..)?, b.get(off_b + HDR..)?, cap);
        Some((src, HDR + same))
    }
}
