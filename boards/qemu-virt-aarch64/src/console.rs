//! Console without `core::fmt`: the PL011 UART of the virt machine, and
//! number printing small enough for a bootloader.
//!
//! `core::fmt` costs kilobytes and brings panic paths with it, so the
//! firmware prints strings and numbers through [`Console`] instead.

use crate::layout::{UART0_BASE, UART_CLOCK_HZ};

pub use wolfboot_mcu_boot::console::{dec_digits, hex_digits, Console};

/// PL011 integer and fractional baud divisors for `baud` at `clock` Hz
/// (divisor = clock / (16 × baud), fraction in 64ths, rounded).
pub fn baud_divisors(clock: u32, baud: u32) -> (u32, u32) {
    let baud = u64::from(baud.max(1));
    // In 64ths of the divisor: clock × 4 / baud.
    let div64 = (u64::from(clock) * 4 + baud / 2) / baud;
    ((div64 >> 6) as u32, (div64 & 0x3F) as u32)
}

/// PL011 registers (offsets from the base) and bits.
mod reg {
    /// Data: write to transmit, read to receive (bits 8..11: errors).
    pub const DR: u32 = 0x00;
    /// Flags.
    pub const FR: u32 = 0x18;
    /// Integer baud divisor.
    pub const IBRD: u32 = 0x24;
    /// Fractional baud divisor.
    pub const FBRD: u32 = 0x28;
    /// Line control.
    pub const LCR_H: u32 = 0x2C;
    /// Control.
    pub const CR: u32 = 0x30;
    /// Interrupt mask (all masked: polled driver).
    pub const IMSC: u32 = 0x38;
    /// `FR.TXFF`: transmit FIFO full.
    pub const FR_TXFF: u32 = 1 << 5;
    /// `FR.RXFE`: receive FIFO empty.
    pub const FR_RXFE: u32 = 1 << 4;
    /// `LCR_H`: 8 data bits, FIFOs enabled (1 stop bit, no parity).
    pub const LCR_H_8N1_FIFO: u32 = (0b11 << 5) | (1 << 4);
    /// `CR`: UART, transmitter and receiver enabled.
    pub const CR_ENABLE: u32 = (1 << 0) | (1 << 8) | (1 << 9);
}

/// The virt machine's PL011 (QEMU serial 0): polled transmit and receive.
#[derive(Debug)]
pub struct Pl011 {
    _private: (),
}

impl Pl011 {
    /// Take the UART and set it up: `baud` 8N1, FIFOs on, interrupts masked.
    ///
    /// # Safety
    /// Only one `Pl011` may drive the UART at a time (see [`Pl011::steal`]),
    /// and the caller must run on the virt memory map.
    pub unsafe fn new(baud: u32) -> Self {
        let mut uart = Pl011 { _private: () };
        let (ibrd, fbrd) = baud_divisors(UART_CLOCK_HZ, baud);
        uart.write_reg(reg::CR, 0);
        uart.write_reg(reg::IMSC, 0);
        uart.write_reg(reg::IBRD, ibrd);
        uart.write_reg(reg::FBRD, fbrd);
        uart.write_reg(reg::LCR_H, reg::LCR_H_8N1_FIFO);
        uart.write_reg(reg::CR, reg::CR_ENABLE);
        uart
    }

    /// Another handle on a UART already set up by [`Pl011::new`].
    ///
    /// # Safety
    /// The caller makes sure the handles are not used concurrently (the
    /// firmware is single-threaded and no exception handler prints except
    /// on its way out).
    pub unsafe fn steal() -> Self {
        Pl011 { _private: () }
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
        let addr = (UART0_BASE + offset) as usize as *mut u32;
        // SAFETY: a register of the PL011 at its fixed, word-aligned MMIO
        // address on the virt machine; this handle owns it (see `new`).
        unsafe { core::ptr::write_volatile(addr, value) }
    }

    fn read_reg(&self, offset: u32) -> u32 {
        let addr = (UART0_BASE + offset) as usize as *const u32;
        // SAFETY: as in `write_reg`; reading FR has no side effect, reading
        // DR takes one byte from the receive FIFO, which is what the caller
        // asked for.
        unsafe { core::ptr::read_volatile(addr) }
    }

    /// One received byte, if the receive FIFO holds one.
    pub fn try_read(&mut self) -> Option<u8> {
        if self.read_reg(reg::FR) & reg::FR_RXFE != 0 {
            None
        } else {
            Some((self.read_reg(reg::DR) & 0xFF) as u8)
        }
    }
}

impl Console for Pl011 {
    fn put(&mut self, byte: u8) {
        while self.read_reg(reg::FR) & reg::FR_TXFF != 0 {}
        self.write_reg(reg::DR, u32::from(byte));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn baud_divisors_match_the_pl011_manual() {
        // 24 MHz / (16 × 115200) = 13.0208: IBRD 13, FBRD round(0.0208 × 64) = 1.
        assert_eq!(baud_divisors(24_000_000, 115_200), (13, 1));
        assert_eq!(baud_divisors(24_000_000, 9_600), (156, 16));
    }
}
