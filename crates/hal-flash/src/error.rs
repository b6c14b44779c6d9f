//! Errors of the flash test doubles.

use core::fmt;
use embedded_storage::nor_flash::{NorFlashError, NorFlashErrorKind};

/// Error raised by [`MemFlash`](crate::MemFlash) / [`FileFlash`](crate::FileFlash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlashError {
    /// The access falls outside the device.
    OutOfBounds,
    /// Offset or length is not a multiple of the write / erase size.
    NotAligned,
    /// A program operation would turn a programmed bit back to its erased value.
    BitRaise {
        /// Absolute offset of the first offending byte.
        offset: u32,
    },
    /// A write unit was programmed twice without an erase in between
    /// (only an error when the flash is configured so).
    DoubleProgram {
        /// Absolute offset of the write unit.
        offset: u32,
    },
    /// Power was cut: this operation (and every later one until reboot) failed.
    PowerLoss,
    /// The geometry given at construction is not usable.
    InvalidGeometry,
    /// The backing file could not be read or written.
    Io,
}

impl FlashError {
    /// What went wrong, as fixed text (for consoles without formatting).
    pub const fn description(&self) -> &'static str {
        match self {
            FlashError::OutOfBounds => "flash access out of bounds",
            FlashError::NotAligned => "flash access not aligned",
            FlashError::BitRaise { .. } => "program would raise a bit back to erased",
            FlashError::DoubleProgram { .. } => "write unit programmed twice without erase",
            FlashError::PowerLoss => "power lost",
            FlashError::InvalidGeometry => "invalid flash geometry",
            FlashError::Io => "flash backing file I/O error",
        }
    }
}

impl fmt::Display for FlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())?;
        match self {
            FlashError::BitRaise { offset } | FlashError::DoubleProgram { offset } => {
                write!(f, " at {offset:#x}")
            }
            _ => Ok(()),
        }
    }
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            FlashError::NotAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}
