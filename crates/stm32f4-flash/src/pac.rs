//! The FLASH registers through the stm32-rs PAC (`stm32f4::stm32f407`), and
//! the flash array through raw pointers (the PAC describes registers only).

use stm32f4::stm32f407::FLASH;

use crate::{regs, FlashRegs};

/// The chip's FLASH interface.
pub struct Pac {
    flash: FLASH,
}

impl Pac {
    /// Take the FLASH peripheral.
    pub fn new(flash: FLASH) -> Self {
        Pac { flash }
    }

    /// Take the FLASH peripheral without the PAC's singleton.
    ///
    /// # Safety
    /// No other code may use the FLASH registers while this value exists,
    /// and no Rust reference may point into the flash window the driver is
    /// given (its contents change behind the compiler's back).
    pub unsafe fn steal() -> Self {
        // SAFETY: forwarded to the caller.
        Pac {
            flash: unsafe { FLASH::steal() },
        }
    }
}

impl core::fmt::Debug for Pac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pac(FLASH)")
    }
}

impl FlashRegs for Pac {
    fn read(&mut self, offset: u32) -> u32 {
        match offset {
            regs::ACR => self.flash.acr().read().bits(),
            regs::SR => self.flash.sr().read().bits(),
            regs::CR => self.flash.cr().read().bits(),
            // KEYR is write-only; the driver reads nothing else.
            _ => 0,
        }
    }

    fn write(&mut self, offset: u32, value: u32) {
        match offset {
            regs::KEYR => {
                self.flash.keyr().write(|w| w.key().set(value));
            }
            regs::ACR => {
                // SAFETY: the driver writes ACR's own value back with only
                // DCEN/DCRST changed (RM0090 bits).
                self.flash.acr().write(|w| unsafe { w.bits(value) });
            }
            regs::SR => {
                // SAFETY: only the write-1-to-clear flags EOP and the error
                // bits are written (RM0090 bits).
                self.flash.sr().write(|w| unsafe { w.bits(value) });
            }
            regs::CR => {
                // SAFETY: only PSIZE, SER, SNB (a sector of the map), STRT,
                // PG and LOCK are written (RM0090 bits).
                self.flash.cr().write(|w| unsafe { w.bits(value) });
            }
            _ => {}
        }
    }

    fn read_flash(&mut self, address: u32, buf: &mut [u8]) {
        let src = address as usize as *const u8;
        // SAFETY: the driver only reads inside its window of the flash array
        // (checked against the sector map at construction), always mapped
        // and readable; no Rust reference aliases it (see `steal`) and `buf`
        // is a distinct RAM buffer.
        unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) }
    }

    fn write_flash_word(&mut self, address: u32, word: u32) {
        let p = address as usize as *mut u32;
        // SAFETY: a word-aligned address inside the driver's window, written
        // while CR.PG is set with PSIZE ×32: the controller turns the store
        // into a program. Volatile keeps it in order with the SR polls.
        unsafe { core::ptr::write_volatile(p, word) }
    }
}
