//! The flash device contract.

use embedded_storage::nor_flash::{NorFlash, NorFlashError, ReadNorFlash};

/// Geometry of a flash device, known at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Size of the device in bytes.
    pub capacity: u32,
    /// Smallest erasable unit (a "sector" in wolfBoot's words), in bytes.
    pub erase_size: u32,
    /// Program granularity in bytes: writes start on, and span, multiples of it.
    pub write_size: u32,
    /// Value of every byte after an erase (0xFF on almost all NOR flash).
    pub erased_byte: u8,
}

/// A NOR flash device: erase sets whole aligned sectors to the erased value,
/// program can only move bits away from their erased value.
///
/// This is the `embedded-storage` `NorFlash` contract with the geometry as
/// run-time values instead of associated constants. **Every**
/// `embedded-storage` [`NorFlash`] driver is a `Flash` as it is (blanket
/// implementation: `SingleFlash(my_driver)` is a complete flash set); types
/// whose geometry is only known at run time (the test doubles, a CFI flash
/// that reads its geometry from the chip) implement `Flash` directly.
pub trait Flash {
    /// Error type of the device.
    type Error: NorFlashError;
    /// Device geometry.
    fn geometry(&self) -> Geometry;
    /// Read `buf.len()` bytes at `offset` (any alignment).
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Self::Error>;
    /// Program `data` at `offset`; both aligned to the write size.
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), Self::Error>;
    /// Erase `[from, to)`; both aligned to the erase size.
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error>;
}

impl<F: NorFlash> Flash for F {
    type Error = F::Error;

    fn geometry(&self) -> Geometry {
        Geometry {
            capacity: u32::try_from(self.capacity()).unwrap_or(u32::MAX),
            erase_size: u32::try_from(F::ERASE_SIZE).unwrap_or(u32::MAX),
            write_size: u32::try_from(F::WRITE_SIZE).unwrap_or(u32::MAX),
            erased_byte: 0xFF,
        }
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Self::Error> {
        ReadNorFlash::read(self, offset, buf)
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), Self::Error> {
        NorFlash::write(self, offset, data)
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        NorFlash::erase(self, from, to)
    }
}
