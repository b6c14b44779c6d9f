//! Flash bank 1 of the virt machine as the CFI driver's [`Bus`]: 32-bit
//! volatile accesses at `FLASH_BASE + offset`.

use crate::cfi::Bus;
use crate::layout::{FLASH_BASE, FLASH_SIZE};

/// Flash bank 1 (`-drive if=pflash,unit=1`), 64 MiB at 0x0400_0000.
#[derive(Debug)]
pub struct Bank1 {
    _private: (),
}

impl Bank1 {
    /// Take the bank.
    ///
    /// # Safety
    /// At most one `Bank1` may exist at a time, and no Rust reference may
    /// point into the bank while it does: commands change what reads return.
    /// The bootloader and the application run from RAM, never from the bank.
    pub const unsafe fn new() -> Self {
        Bank1 { _private: () }
    }

    fn address(offset: u32) -> Option<usize> {
        (offset.is_multiple_of(4) && offset < FLASH_SIZE).then_some((FLASH_BASE + offset) as usize)
    }
}

impl Bus for Bank1 {
    fn read(&mut self, offset: u32) -> u32 {
        match Self::address(offset) {
            // SAFETY: a word-aligned address inside flash bank 1 (checked),
            // always mapped on the virt machine; no Rust reference aliases it
            // (see `Bank1::new`). Volatile: the value depends on the mode the
            // last command set.
            Some(a) => unsafe { core::ptr::read_volatile(a as *const u32) },
            None => u32::MAX,
        }
    }

    fn write(&mut self, offset: u32, value: u32) {
        if let Some(a) = Self::address(offset) {
            // SAFETY: as in `read`; a bus write to the bank is a command or
            // data cycle of the CFI protocol, which the driver sequences.
            unsafe { core::ptr::write_volatile(a as *mut u32, value) }
        }
    }
}
