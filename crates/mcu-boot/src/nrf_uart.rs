//! The UART of the nRF51 and nRF52 (`UART0` at 0x4000_2000, the legacy
//! non-DMA UART the nRF52840 still has), transmit only.
//!
//! Start-up: `PSELTXD` = the TX pin, `BAUDRATE`, `ENABLE` = 4, task
//! `STARTTX`; then each byte is written to `TXD` and sent once
//! `EVENTS_TXDRDY` is set (cleared before the next byte).

use crate::console::Console;

/// UART0 base address on nRF51 and nRF52.
pub const UART0_BASE: u32 = 0x4000_2000;

/// Register offsets and values.
pub mod reg {
    /// Task: start transmitter.
    pub const TASKS_STARTTX: u32 = 0x008;
    /// Event: byte sent.
    pub const EVENTS_TXDRDY: u32 = 0x11C;
    /// Enable: 4 = UART enabled.
    pub const ENABLE: u32 = 0x500;
    /// TX pin select.
    pub const PSELTXD: u32 = 0x50C;
    /// Byte to send.
    pub const TXD: u32 = 0x51C;
    /// Baud rate.
    pub const BAUDRATE: u32 = 0x524;
    /// `ENABLE` value of the UART.
    pub const ENABLE_UART: u32 = 4;
    /// `BAUDRATE` value for 115200 baud.
    pub const BAUD_115200: u32 = 0x01D7_E000;
}

/// Bound on `EVENTS_TXDRDY` polls per byte: a byte takes about 87 µs at
/// 115200 baud (5,600 cycles at 64 MHz); a UART that never reports a byte
/// sent drops output instead of hanging the bootloader.
const TX_POLLS: u32 = 100_000;

/// UART0 of an nRF51 or nRF52, transmit only.
#[derive(Debug)]
pub struct NrfUart {
    base: u32,
}

impl NrfUart {
    /// Take UART0 and start its transmitter at 115200 baud on pin `tx_pin`.
    ///
    /// # Safety
    /// Only on an nRF51 or nRF52, with no other user of UART0.
    pub unsafe fn new(tx_pin: u32) -> Self {
        let mut u = NrfUart { base: UART0_BASE };
        u.write(reg::PSELTXD, tx_pin);
        u.write(reg::BAUDRATE, reg::BAUD_115200);
        u.write(reg::ENABLE, reg::ENABLE_UART);
        u.write(reg::EVENTS_TXDRDY, 0);
        u.write(reg::TASKS_STARTTX, 1);
        u
    }

    fn write(&mut self, offset: u32, value: u32) {
        let p = (self.base + offset) as usize as *mut u32;
        // SAFETY: a word-aligned register of UART0 (fixed MMIO address on
        // nRF51/nRF52, see `new`), owned by this value.
        unsafe { core::ptr::write_volatile(p, value) }
    }

    fn read(&self, offset: u32) -> u32 {
        let p = (self.base + offset) as usize as *const u32;
        // SAFETY: as in `write`; reading an event register has no side effect.
        unsafe { core::ptr::read_volatile(p) }
    }
}

impl Console for NrfUart {
    fn put(&mut self, byte: u8) {
        self.write(reg::EVENTS_TXDRDY, 0);
        self.write(reg::TXD, u32::from(byte));
        for _ in 0..TX_POLLS {
            if self.read(reg::EVENTS_TXDRDY) != 0 {
                break;
            }
        }
    }
}
