//! Console output without `core::fmt`: the CMSDK APB UART of the AN385, and
//! number printing small enough for a bootloader.
//!
//! `core::fmt` costs several kilobytes and brings panic paths with it, so the
//! bootloader prints strings and numbers through [`Console`] instead.

use crate::layout::{PCLK_HZ, UART0_BASE};

/// Where text goes: a byte sink with number helpers.
pub trait Console {
    /// Send one byte.
    fn put(&mut self, byte: u8);

    /// Send a string.
    fn print(&mut self, s: &str) {
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
    }

    /// Send a string and a line break.
    fn println(&mut self, s: &str) {
        self.print(s);
        self.print("\n");
    }

    /// Print `value` in decimal.
    fn dec(&mut self, value: u32) {
        let mut digits = [0u8; 10];
        let n = dec_digits(value, &mut digits);
        for d in digits.iter().skip(10 - n) {
            self.put(*d);
        }
    }

    /// Print `value` as `0x` and eight hex digits.
    fn hex(&mut self, value: u32) {
        self.print("0x");
        for d in hex_digits(value) {
            self.put(d);
        }
    }
}

/// Right-aligned decimal digits of `value` in `out`; returns how many.
pub fn dec_digits(mut value: u32, out: &mut [u8; 10]) -> usize {
    let mut n = 0;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
        n += 1;
        if value == 0 {
            break;
        }
    }
    n
}

/// The eight hex digits of `value`, most significant first.
pub fn hex_digits(value: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, slot) in out.iter_mut().enumerate() {
        let nibble = (value >> (28 - 4 * i)) & 0xF;
        *slot = b"0123456789abcdef"[nibble as usize];
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    struct Sink(Vec<u8>);
    impl Console for Sink {
        fn put(&mut self, byte: u8) {
            self.0.push(byte);
        }
    }

    #[test]
    fn numbers() {
        let mut s = Sink(Vec::new());
        s.dec(0);
        s.print(" ");
        s.dec(4_294_967_295);
        s.print(" ");
        s.dec(1234);
        s.print(" ");
        s.hex(0x0002_0100);
        s.println("");
        assert_eq!(s.0, b"0 4294967295 1234 0x00020100\r\n");
    }
}
