//! Console output without `core::fmt`: the CMSDK APB UART of the AN385, and
//! number printing small enough for a bootloader.
//!
//! `core::fmt` costs several kilobytes and brings panic paths with it, so the
//! bootloader prints strings and numbers through [`Console`] instead.

use crate::layout::{PCLK_HZ, UART0_BASE};

pub use wolfboot_mcu_boot::console::{dec_digits, hex_digits, Console};

/// CMSDK APB UART registers (offsets from the base).
mod reg {
    /// Data: write to transmit.
    pub const DATA: u32 = 0x00;
    /// State: bit 0 transmit buffer full.
    pub const STATE: u32 = 0x04;
    /// Control: bit 0 transmit enable.
    pub const CTRL: u32 = 0x08;
    /// Baud divider (at least 16, or QEMU ignores the UART).
    pub const BAUDDIV: u32 = 0x10;
    /// `STATE.TXFULL`.
    pub const STATE_TX_FULL: u32 = 1 << 0;
    /// `CTRL.TXEN`.
    pub const CTRL_TX_EN: u32 = 1 << 0;
}

/// UART0 of the AN385 (QEMU's first serial port), transmit only.
#[derive(Debug)]
pub struct Uart {
    _private: (),
}

impl Uart {
    /// Take UART0 and enable its transmitter at `baud`.
    ///
    /// # Safety
    /// Only one `Uart` may drive UART0 at a time (the registers are not
    /// shared safely), and the caller must run on the AN385 memory map.
    pub unsafe fn new(baud: u32) -> Self {
        let mut uart = Uart { _private: () };
        let div = (PCLK_HZ / baud.max(1)).max(16);
        uart.write_reg(reg::BAUDDIV, div);
        uart.write_reg(reg::CTRL, reg::CTRL_TX_EN);
        uart
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
        let addr = (UART0_BASE + offset) as usize as *mut u32;
        // SAFETY: a register of the CMSDK UART0 block (fixed MMIO address on
        // the AN385, word-aligned); this `Uart` owns it (see `Uart::new`).
        unsafe { core::ptr::write_volatile(addr, value) }
    }

    fn read_reg(&self, offset: u32) -> u32 {
        let addr = (UART0_BASE + offset) as usize as *const u32;
        // SAFETY: as in `write_reg`; reading STATE has no side effect.
        unsafe { core::ptr::read_volatile(addr) }
    }
}

impl Console for Uart {
    fn put(&mut self, byte: u8) {
        while self.read_reg(reg::STATE) & reg::STATE_TX_FULL != 0 {}
        self.write_reg(reg::DATA, u32::from(byte));
    }
}
