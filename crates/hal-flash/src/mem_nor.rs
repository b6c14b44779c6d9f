//! [`MemFlash`] with its geometry in the type: an `embedded-storage`
//! `NorFlash` (and, with feature `async`, an `embedded-storage-async` one),
//! for code written against those traits, with the rules, counters and
//! power cuts of [`MemFlash`].

use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};

use crate::error::FlashError;
use crate::flash::Flash;
use crate::mem::{MemFlash, MemFlashConfig};

/// A [`MemFlash`] of `ERASE_SIZE`-byte sectors programmed in `WRITE_SIZE`
/// units, typed so that it implements `NorFlash` (whose geometry is
/// associated constants). Every access goes to the [`MemFlash`] inside.
#[derive(Debug)]
pub struct MemNorFlash<const ERASE_SIZE: usize, const WRITE_SIZE: usize> {
    mem: MemFlash,
}

impl<const E: usize, const W: usize> MemNorFlash<E, W> {
    /// Wrap `mem`; [`FlashError::InvalidGeometry`] unless its erase and
    /// write sizes are `E` and `W` and it erases to 0xFF (as `NorFlash`
    /// assumes).
    pub fn new(mem: MemFlash) -> Result<Self, FlashError> {
        let c = mem.config();
        if c.erase_size as usize != E || c.write_size as usize != W || c.erased_byte != 0xFF {
            return Err(FlashError::InvalidGeometry);
        }
        Ok(MemNorFlash { mem })
    }

    /// An erased flash of `size` bytes.
    pub fn erased(size: u32) -> Result<Self, FlashError> {
        let (Ok(e), Ok(w)) = (u32::try_from(E), u32::try_from(W)) else {
            return Err(FlashError::InvalidGeometry);
        };
        Self::new(MemFlash::new(MemFlashConfig::new(size, e, w))?)
    }

    /// The flash inside (contents, counters, power).
    pub fn mem(&self) -> &MemFlash {
        &self.mem
    }

    /// The flash inside, to plant contents.
    pub fn mem_mut(&mut self) -> &mut MemFlash {
        &mut self.mem
    }

    /// Unwrap.
    pub fn into_mem(self) -> MemFlash {
        self.mem
    }
}

impl<const E: usize, const W: usize> ErrorType for MemNorFlash<E, W> {
    type Error = FlashError;
}

impl<const E: usize, const W: usize> ReadNorFlash for MemNorFlash<E, W> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        Flash::read(&mut self.mem, offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.mem.contents().len()
    }
}

impl<const E: usize, const W: usize> NorFlash for MemNorFlash<E, W> {
    const WRITE_SIZE: usize = W;
    const ERASE_SIZE: usize = E;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        Flash::erase(&mut self.mem, from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        Flash::write(&mut self.mem, offset, bytes)
    }
}

#[cfg(feature = "async")]
impl<const E: usize, const W: usize> embedded_storage_async::nor_flash::ReadNorFlash
    for MemNorFlash<E, W>
{
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        Flash::read(&mut self.mem, offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.mem.contents().len()
    }
}

#[cfg(feature = "async")]
impl<const E: usize, const W: usize> embedded_storage_async::nor_flash::NorFlash
    for MemNorFlash<E, W>
{
    const WRITE_SIZE: usize = W;
    const ERASE_SIZE: usize = E;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        Flash::erase(&mut self.mem, from, to)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        Flash::write(&mut self.mem, offset, bytes)
    }
}
