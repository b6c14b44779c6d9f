//! The AST1030 FMC (firmware SPI memory controller) in user mode, as an
//! `embedded-hal` 1.0 [`SpiDevice`] for the chip on chip select 0.
//!
//! In user mode every byte access to the chip's AHB window is one SPI byte:
//! a store shifts the byte out, a load shifts 0x00 out and returns what the
//! chip sent back. Chip select follows the CE0 control register: writing
//! "user mode" selects the chip, setting `CE_STOP_ACTIVE` deselects it. One
//! `transaction` is one chip-select window, which is what lets QEMU's
//! `m25p80` model (and a real chip) tell one command from the next.
//!
//! The window is half duplex (a byte is either sent or received), which is
//! all a SPI NOR command needs; full-duplex operations are refused with
//! [`SmcError::FullDuplex`].

use embedded_hal::spi::{self, ErrorKind, ErrorType, Operation, SpiDevice};

use crate::layout::{FMC_BASE, FMC_CE0_WINDOW};

/// FMC registers and bits.
pub mod reg {
    /// Configuration register: per-CE write enable.
    pub const CONF: u32 = 0x00;
    /// `CONF` bit: writes to CE0's window allowed.
    pub const CONF_ENABLE_W0: u32 = 1 << 16;
    /// CE0 control register.
    pub const CE0_CTRL: u32 = 0x10;
    /// `CE0_CTRL` command mode "user" (bits 1:0).
    pub const CTRL_USER_MODE: u32 = 0b11;
    /// `CE0_CTRL`: chip select inactive (high).
    pub const CTRL_CE_STOP_ACTIVE: u32 = 1 << 2;
}

/// Errors of the FMC user-mode device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmcError {
    /// A `Transfer` / `TransferInPlace` operation: the window is half duplex.
    FullDuplex,
}

impl spi::Error for SmcError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// The chip on FMC chip select 0.
#[derive(Debug)]
pub struct FmcCe0 {
    _private: (),
}

impl FmcCe0 {
    /// Enable writes to CE0's window, switch CE0 to user mode and deselect it.
    ///
    /// # Safety
    /// The FMC registers and CE0's window must be used by this object only.
    pub unsafe fn new() -> Self {
        let mut fmc = FmcCe0 { _private: () };
        let conf = fmc.read_reg(reg::CONF);
        fmc.write_reg(reg::CONF, conf | reg::CONF_ENABLE_W0);
        fmc.write_reg(reg::CE0_CTRL, reg::CTRL_USER_MODE);
        fmc.write_reg(
            reg::CE0_CTRL,
            reg::CTRL_USER_MODE | reg::CTRL_CE_STOP_ACTIVE,
        );
        fmc
    }

    fn read_reg(&self, offset: u32) -> u32 {
        // SAFETY: an FMC register (fixed MMIO, word aligned), owned by `self`.
        unsafe { ((FMC_BASE + offset) as usize as *const u32).read_volatile() }
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
        // SAFETY: as in `read_reg`.
        unsafe { ((FMC_BASE + offset) as usize as *mut u32).write_volatile(value) }
    }

    fn select(&mut self, on: bool) {
        let ctrl = if on {
            reg::CTRL_USER_MODE
        } else {
            reg::CTRL_USER_MODE | reg::CTRL_CE_STOP_ACTIVE
        };
        self.write_reg(reg::CE0_CTRL, ctrl);
    }

    fn send(&mut self, byte: u8) {
        // SAFETY: CE0's AHB window, owned by `self`; in user mode a byte store
        // is one SPI byte out.
        unsafe { (FMC_CE0_WINDOW as usize as *mut u8).write_volatile(byte) }
    }

    fn receive(&mut self) -> u8 {
        // SAFETY: as in `send`; a byte load is one SPI byte in.
        unsafe { (FMC_CE0_WINDOW as usize as *const u8).read_volatile() }
    }
}

impl ErrorType for FmcCe0 {
    type Error = SmcError;
}

impl SpiDevice for FmcCe0 {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), SmcError> {
        if operations
            .iter()
            .any(|op| matches!(op, Operation::Transfer(..) | Operation::TransferInPlace(_)))
        {
            return Err(SmcError::FullDuplex);
        }
        self.select(true);
        for op in operations.iter_mut() {
            match op {
                Operation::Write(bytes) => {
                    for &b in bytes.iter() {
                        self.send(b);
                    }
                }
                Operation::Read(buf) => {
                    for b in buf.iter_mut() {
                        *b = self.receive();
                    }
                }
                Operation::DelayNs(ns) => {
                    // No timer needed: QEMU's chip is never busy, and a real
                    // board would use its HAL's delay here.
                    for _ in 0..*ns / 8 {
                        core::hint::spin_loop();
                    }
                }
                Operation::Transfer(..) | Operation::TransferInPlace(_) => {}
            }
        }
        self.select(false);
        Ok(())
    }
}
