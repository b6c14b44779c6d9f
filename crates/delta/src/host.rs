//! In-place patch application simulated in memory, for hosts and tests.

use crate::error::{PatchError, SliceIoError};
use crate::patch::Patcher;
use crate::slice_io::SliceIo;

/// Apply `patch` to `base` the way a bootloader does, and return the new
/// image.
///
/// The simulated flash starts as a copy of `base`; output is produced one
/// `sector_size` sector at a time and each finished sector is written over
/// the flash before the next one is produced, so blocks that refer to
/// earlier sectors read the new image there (patches from
/// [`diff`](crate::diff()) need that). The source size is not capped at
/// `base.len()`: blocks may read new content written beyond the end of the
/// old image, but a block reaching past everything written so far fails with
/// [`SliceIoError::BaseOutOfRange`].
pub fn apply(
    base: &[u8],
    patch: &[u8],
    sector_size: u32,
) -> Result<Vec<u8>, PatchError<SliceIoError>> {
    let patch_size =
        u32::try_from(patch.len()).map_err(|_| PatchError::Io(SliceIoError::PatchOutOfRange))?;
    if sector_size == 0 {
        return Err(PatchError::EmptyOutput);
    }
    let mut patcher = Patcher::new(u32::MAX, patch_size).map_err(PatchError::into_io)?;
    let mut flash = base.to_vec();
    let mut sector = vec![0u8; sector_size as usize];
    let mut written = 0usize;
    loop {
        let mut len = 0usize;
        while let Some(room) = sector.get_mut(len..).filter(|r| !r.is_empty()) {
            let mut io = SliceIo {
                base: &flash,
                patch,
            };
            let n = patcher.fill(&mut io, room)?;
            if n == 0 {
                break;
            }
            len += n;
        }
        let produced = sector.get(..len).unwrap_or_default();
        let end = written + len;
        if flash.len() < end {
            flash.resize(end, 0xFF);
        }
        if let Some(dst) = flash.get_mut(written..end) {
            dst.copy_from_slice(produced);
        }
        written = end;
        if len < sector.len() {
            break;
        }
    }
    flash.truncate(written);
    Ok(flash)
}
