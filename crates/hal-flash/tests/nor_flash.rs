//! Any `embedded-storage` `NorFlash` driver is a flash as it is, and a
//! partition of it is a `NorFlash` again.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use wolfboot_hal_flash::{
    Device, Flash, FlashSet, Geometry, Partition, PartitionError, SingleFlash,
};

/// A third-party driver: nothing but the embedded-storage traits.
struct RamNor {
    bytes: [u8; 4 * 1024],
}

#[derive(Debug, PartialEq)]
struct RamNorError(NorFlashErrorKind);

impl NorFlashError for RamNorError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl ErrorType for RamNor {
    type Error = RamNorError;
}

impl ReadNorFlash for RamNor {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), RamNorError> {
        let at = offset as usize;
        let src = self
            .bytes
            .get(at..at + bytes.len())
            .ok_or(RamNorError(NorFlashErrorKind::OutOfBounds))?;
        bytes.copy_from_slice(src);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for RamNor {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = 1024;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), RamNorError> {
        if !from.is_multiple_of(1024) || !to.is_multiple_of(1024) {
            return Err(RamNorError(NorFlashErrorKind::NotAligned));
        }
        self.bytes
            .get_mut(from as usize..to as usize)
            .ok_or(RamNorError(NorFlashErrorKind::OutOfBounds))?
            .fill(0xFF);
        Ok(())
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), RamNorError> {
        if !offset.is_multiple_of(4) || !bytes.len().is_multiple_of(4) {
            return Err(RamNorError(NorFlashErrorKind::NotAligned));
        }
        let at = offset as usize;
        let dst = self
            .bytes
            .get_mut(at..at + bytes.len())
            .ok_or(RamNorError(NorFlashErrorKind::OutOfBounds))?;
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d &= *s;
        }
        Ok(())
    }
}

fn ram_nor() -> RamNor {
    RamNor {
        bytes: [0xFF; 4 * 1024],
    }
}

#[test]
fn a_nor_flash_driver_is_a_flash_without_wrappers() {
    let mut drv = ram_nor();
    assert_eq!(
        Flash::geometry(&drv),
        Geometry {
            capacity: 4096,
            erase_size: 1024,
            write_size: 4,
            erased_byte: 0xFF
        }
    );
    Flash::write(&mut drv, 8, b"WOLF").unwrap();
    // A flash set straight from the driver.
    let mut set = SingleFlash(drv);
    let mut b = [0u8; 4];
    set.read(Device::External, 8, &mut b).unwrap();
    assert_eq!(&b, b"WOLF");
    let fault = set.write(Device::Internal, 2, b"WOLF").unwrap_err();
    assert_eq!(
        (fault.device, fault.kind),
        (Device::Internal, NorFlashErrorKind::NotAligned)
    );
}

#[test]
fn a_partition_of_a_nor_flash_is_a_nor_flash() {
    let mut drv = ram_nor();
    let update = Partition::new(Device::Internal, 2048, 1024);
    {
        let mut view = update.view(&mut drv);
        // Generic code that knows only embedded-storage.
        fn store<N: NorFlash>(n: &mut N, data: &[u8]) -> Result<(), N::Error> {
            n.erase(0, N::ERASE_SIZE as u32)?;
            n.write(0, data)
        }
        assert_eq!(ReadNorFlash::capacity(&view), 1024);
        store(&mut view, b"image!!!").unwrap();
        // Nothing outside the window.
        assert_eq!(
            NorFlash::write(&mut view, 1024, b"evil").unwrap_err(),
            PartitionError::OutOfRange
        );
        assert_eq!(
            NorFlash::erase(&mut view, 1024, 2048).unwrap_err().kind(),
            NorFlashErrorKind::OutOfBounds
        );
        let mut b = [0u8; 8];
        ReadNorFlash::read(&mut view, 0, &mut b).unwrap();
        assert_eq!(&b, b"image!!!");
    }
    assert_eq!(&drv.bytes[2048..2056], b"image!!!");
    assert!(drv.bytes[..2048].iter().all(|b| *b == 0xFF));
    assert!(drv.bytes[3072..].iter().all(|b| *b == 0xFF));
}
