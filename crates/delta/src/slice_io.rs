//! A [`PatchIo`] over two byte slices, for hosts and tests.

use crate::error::SliceIoError;
use crate::patch::PatchIo;

/// The source image and the patch, both in memory.
#[derive(Debug, Clone, Copy)]
pub struct SliceIo<'a> {
    /// The source the patch copies blocks from.
    pub base: &'a [u8],
    /// The patch stream.
    pub patch: &'a [u8],
}

fn copy_out(from: &[u8], offset: u32, buf: &mut [u8]) -> Option<()> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(buf.len())?;
    buf.copy_from_slice(from.get(start..end)?);
    Some(())
}

impl PatchIo for SliceIo<'_> {
    type Error = SliceIoError;

    fn read_base(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SliceIoError> {
        copy_out(self.base, offset, buf).ok_or(SliceIoError::BaseOutOfRange)
    }

    fn read_patch(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SliceIoError> {
        copy_out(self.patch, offset, buf).ok_or(SliceIoError::PatchOutOfRange)
    }
}
