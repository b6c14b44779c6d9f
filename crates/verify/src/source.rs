//! Where the bytes of an image come from.
//!
//! The verifier reads the header once, then streams the payload through the
//! digest in small chunks, so an image can be verified straight from flash
//! without being copied to RAM.

use embedded_storage::nor_flash::{NorFlashError, ReadNorFlash};

use crate::error::SourceError;

/// Random-access, read-only bytes of an image (a partition, a file, a slice).
pub trait ImageSource {
    /// Number of readable bytes (a partition's size).
    fn len(&self) -> u32;

    /// Whether there are no bytes at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fill `buf` with the bytes at `offset`; fails without reading when the
    /// range goes past [`ImageSource::len`].
    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError>;
}

impl ImageSource for &[u8] {
    fn len(&self) -> u32 {
        u32::try_from(<[u8]>::len(self)).unwrap_or(u32::MAX)
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let start = usize::try_from(offset).map_err(|_| SourceError::OutOfBounds)?;
        let end = start
            .checked_add(buf.len())
            .ok_or(SourceError::OutOfBounds)?;
        let src = self.get(start..end).ok_or(SourceError::OutOfBounds)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl<S: ImageSource + ?Sized> ImageSource for &mut S {
    fn len(&self) -> u32 {
        (**self).len()
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        (**self).read_at(offset, buf)
    }
}

/// Bounce buffer for flashes whose reads must be aligned: the largest
/// `READ_SIZE` supported is this many bytes.
const BOUNCE_LEN: usize = 64;

/// A window of a NOR flash (typically a partition) read as an image.
///
/// Reads honour the flash's `READ_SIZE` alignment: unaligned requests go
/// through a small stack buffer (flashes with a `READ_SIZE` above 64 bytes
/// must be read at aligned offsets and lengths).
pub struct FlashSource<'f, F: ReadNorFlash> {
    flash: &'f mut F,
    base: u32,
    len: u32,
}

impl<'f, F: ReadNorFlash> FlashSource<'f, F> {
    /// The `len` bytes of `flash` from offset `base`; fails when the window
    /// does not fit the flash.
    pub fn new(flash: &'f mut F, base: u32, len: u32) -> Result<Self, SourceError> {
        let end = u64::from(base) + u64::from(len);
        if end > capacity(&*flash) {
            return Err(SourceError::OutOfBounds);
        }
        Ok(FlashSource { flash, base, len })
    }

    /// Offset of the window in the flash.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// Give the flash back.
    pub fn into_inner(self) -> &'f mut F {
        self.flash
    }

    fn read_aligned(&mut self, mut addr: u32, mut buf: &mut [u8]) -> Result<(), SourceError> {
        let rs = F::READ_SIZE.max(1);
        if rs == 1 {
            return self.flash.read(addr, buf).map_err(flash_err);
        }
        if rs > BOUNCE_LEN {
            // Only aligned requests can be served.
            return self.flash.read(addr, buf).map_err(flash_err);
        }
        let rs32 = u32::try_from(rs).map_err(|_| SourceError::OutOfBounds)?;
        let chunk = BOUNCE_LEN - BOUNCE_LEN % rs;
        let mut bounce = [0u8; BOUNCE_LEN];
        while !buf.is_empty() {
            let aligned = addr - addr % rs32;
            let skip = (addr - aligned) as usize;
            let want = (skip + buf.len()).min(chunk);
            let padded = want.div_ceil(rs) * rs;
            let tmp = bounce.get_mut(..padded).ok_or(SourceError::OutOfBounds)?;
            self.flash.read(aligned, tmp).map_err(flash_err)?;
            let n = want - skip;
            let (head, rest) = core::mem::take(&mut buf).split_at_mut(n);
            head.copy_from_slice(tmp.get(skip..want).ok_or(SourceError::OutOfBounds)?);
            buf = rest;
            addr = addr
                .checked_add(u32::try_from(n).map_err(|_| SourceError::OutOfBounds)?)
                .ok_or(SourceError::OutOfBounds)?;
        }
        Ok(())
    }
}

fn capacity<F: ReadNorFlash>(flash: &F) -> u64 {
    flash.capacity() as u64
}

fn flash_err<E: NorFlashError>(e: E) -> SourceError {
    SourceError::Flash(e.kind())
}

impl<F: ReadNorFlash> ImageSource for FlashSource<'_, F> {
    fn len(&self) -> u32 {
        self.len
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let n = u32::try_from(buf.len()).map_err(|_| SourceError::OutOfBounds)?;
        let end = offset.checked_add(n).ok_or(SourceError::OutOfBounds)?;
        if end > self.len {
            return Err(SourceError::OutOfBounds);
        }
        if buf.is_empty() {
            return Ok(());
        }
        let addr = self
            .base
            .checked_add(offset)
            .ok_or(SourceError::OutOfBounds)?;
        self.read_aligned(addr, buf)
    }
}
