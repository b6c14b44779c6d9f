//! Flash driver for the STM32F4 FLASH peripheral: the STM32F405/407/415/417
//! (1 MiB, one bank, sectors of 4 × 16 KiB, 1 × 64 KiB, 7 × 128 KiB).
//!
//! The controller (RM0090, "Embedded Flash memory interface"):
//!
//! | register | offset | use here |
//! |----------|--------|----------|
//! | `ACR`    | `0x00` | data cache enable/reset (flushed after an erase) |
//! | `KEYR`   | `0x04` | unlock: `0x4567_0123` then `0xCDEF_89AB` |
//! | `SR`     | `0x0C` | `BSY` (16), error flags `PGSERR` `PGPERR` `PGAERR` `WRPERR` `OPERR`, `EOP` (write 1 to clear) |
//! | `CR`     | `0x10` | `LOCK` (31), `STRT` (16), `PSIZE` (9:8), `SNB` (6:3), `SER` (1), `PG` (0) |
//!
//! A sector erase is: wait `BSY` clear, unlock, clear the flags,
//! `CR = PSIZE | SER | SNB`, then set `STRT`, wait `BSY` clear, check the
//! flags, clear `CR`, lock. A program is `CR = PSIZE | PG`, then one store
//! per word, each followed by a `BSY` wait and a flag check. `PSIZE` is ×32
//! (word programming, for a 2.7–3.6 V supply such as the Discovery
//! board's 3 V).
//!
//! [`Stm32f4Flash`] implements `embedded-storage`'s [`NorFlash`] over a
//! window of **128 KiB sectors only** (sectors 5 to 11): the erase unit of
//! `NorFlash` is one size, and wolfBoot's `stm32f407-discovery` layout puts
//! the bootloader in the small sectors 0–4 and BOOT, UPDATE and SWAP in
//! 128 KiB ones (`WOLFBOOT_SECTOR_SIZE=0x20000`). The window is checked
//! against the sector map ([`SECTORS`]) at construction.
//!
//! As for every wolfboot-rs flash driver, NOR rules are enforced by the
//! driver ([`FlashError::WouldSetBits`], alignment, bounds), every `BSY`
//! wait is bounded ([`FlashError::Timeout`]), every erase and program is
//! read back, and the controller is locked again after every operation,
//! errors included (but for a timeout: `CR` must not be written while the
//! controller is still busy).
//!
//! Registers and flash array are reached through [`FlashRegs`]: the PAC's
//! register block on the chip (`Pac`, bare-metal ARM builds only, from the
//! stm32-rs `stm32f4` crate), a register-level model in the host tests.
#![no_std]
#![warn(missing_docs)]

use core::fmt;

use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod pac;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use pac::Pac;

/// FLASH register offsets and bits (RM0090).
pub mod regs {
    /// Base address of the FLASH interface registers.
    pub const FLASH_REGS: u32 = 0x4002_3C00;
    /// Access control register.
    pub const ACR: u32 = 0x00;
    /// Key register.
    pub const KEYR: u32 = 0x04;
    /// Status register.
    pub const SR: u32 = 0x0C;
    /// Control register.
    pub const CR: u32 = 0x10;

    /// First unlock key.
    pub const KEY1: u32 = 0x4567_0123;
    /// Second unlock key.
    pub const KEY2: u32 = 0xCDEF_89AB;

    /// `SR.EOP`: end of operation.
    pub const SR_EOP: u32 = 1 << 0;
    /// `SR.OPERR`: operation error.
    pub const SR_OPERR: u32 = 1 << 1;
    /// `SR.WRPERR`: write protection error.
    pub const SR_WRPERR: u32 = 1 << 4;
    /// `SR.PGAERR`: programming alignment error.
    pub const SR_PGAERR: u32 = 1 << 5;
    /// `SR.PGPERR`: programming parallelism error.
    pub const SR_PGPERR: u32 = 1 << 6;
    /// `SR.PGSERR`: programming sequence error.
    pub const SR_PGSERR: u32 = 1 << 7;
    /// `SR.BSY`: operation in progress.
    pub const SR_BSY: u32 = 1 << 16;
    /// Every error flag.
    pub const SR_ERRORS: u32 = SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR;

    /// `CR.PG`: programming.
    pub const CR_PG: u32 = 1 << 0;
    /// `CR.SER`: sector erase.
    pub const CR_SER: u32 = 1 << 1;
    /// `CR.SNB` position.
    pub const CR_SNB_SHIFT: u32 = 3;
    /// `CR.SNB` mask (after the shift): sectors 0–11 on the F405/407.
    pub const CR_SNB_MASK: u32 = 0xF;
    /// `CR.PSIZE` = ×32.
    pub const CR_PSIZE_X32: u32 = 2 << 8;
    /// `CR.PSIZE` mask.
    pub const CR_PSIZE_MASK: u32 = 3 << 8;
    /// `CR.STRT`: start the erase.
    pub const CR_STRT: u32 = 1 << 16;
    /// `CR.LOCK`.
    pub const CR_LOCK: u32 = 1 << 31;

    /// `ACR.DCEN`: data cache enable.
    pub const ACR_DCEN: u32 = 1 << 10;
    /// `ACR.DCRST`: data cache reset (only while the cache is disabled).
    pub const ACR_DCRST: u32 = 1 << 12;
}

/// Start of the flash array in the address space.
pub const FLASH_START: u32 = 0x0800_0000;

/// One sector of the flash array: its number (`SNB`), offset from
/// [`FLASH_START`] and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sector {
    /// Sector number (`CR.SNB`).
    pub number: u8,
    /// Offset from [`FLASH_START`].
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

const fn sector(number: u8, offset: u32, size: u32) -> Sector {
    Sector {
        number,
        offset,
        size,
    }
}

const K: u32 = 1024;

/// The sector map of the 1 MiB STM32F405/407/415/417.
pub const SECTORS: [Sector; 12] = [
    sector(0, 0, 16 * K),
    sector(1, 16 * K, 16 * K),
    sector(2, 32 * K, 16 * K),
    sector(3, 48 * K, 16 * K),
    sector(4, 64 * K, 64 * K),
    sector(5, 128 * K, 128 * K),
    sector(6, 256 * K, 128 * K),
    sector(7, 384 * K, 128 * K),
    sector(8, 512 * K, 128 * K),
    sector(9, 640 * K, 128 * K),
    sector(10, 768 * K, 128 * K),
    sector(11, 896 * K, 128 * K),
];

/// Size of the flash array.
pub const FLASH_LEN: u32 = 1024 * K;

/// Erase unit of [`Stm32f4Flash`]: the 128 KiB sectors.
pub const SECTOR_SIZE: u32 = 128 * K;

/// The sector holding absolute address `address`, if it is in the array.
pub fn sector_at(address: u32) -> Option<Sector> {
    let offset = address.checked_sub(FLASH_START)?;
    SECTORS
        .iter()
        .copied()
        .find(|s| offset >= s.offset && offset - s.offset < s.size)
}

/// How the driver reaches the FLASH registers and the flash array.
pub trait FlashRegs {
    /// Read the register at `offset` (see [`regs`]).
    fn read(&mut self, offset: u32) -> u32;
    /// Write the register at `offset`.
    fn write(&mut self, offset: u32, value: u32);
    /// Read `buf.len()` bytes of the array at absolute address `address`
    /// (only inside the driver's window).
    fn read_flash(&mut self, address: u32, buf: &mut [u8]);
    /// Store one word at the word-aligned absolute address `address` (a
    /// program while `CR.PG` is set).
    fn write_flash_word(&mut self, address: u32, word: u32);
}

/// Error of a FLASH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    /// The access does not lie inside the driver's window.
    OutOfBounds,
    /// Offset or length is not a multiple of the word (program) or sector
    /// (erase) size.
    NotAligned,
    /// The program would turn a 0 bit into a 1; nothing was written.
    WouldSetBits {
        /// Window offset of the first offending word.
        offset: u32,
    },
    /// `SR.BSY` did not clear within the poll bound.
    Timeout,
    /// `CR.LOCK` stayed set after the key sequence.
    Locked,
    /// The controller reported an error (`SR` error flags, as read).
    Controller {
        /// `SR` error bits.
        flags: u32,
    },
    /// An erased sector does not read back as 0xFF.
    EraseFailed {
        /// Window offset of the sector.
        offset: u32,
    },
    /// A programmed word does not read back as written.
    ProgramFailed {
        /// Window offset of the word.
        offset: u32,
    },
}

impl fmt::Display for FlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlashError::OutOfBounds => f.write_str("flash access out of bounds"),
            FlashError::NotAligned => f.write_str("flash access not aligned"),
            FlashError::WouldSetBits { offset } => {
                write!(f, "program at {offset:#x} would set bits (erase first)")
            }
            FlashError::Timeout => f.write_str("FLASH busy for too long"),
            FlashError::Locked => f.write_str("FLASH control register stays locked"),
            FlashError::Controller { flags } => write!(f, "FLASH error flags {flags:#x}"),
            FlashError::EraseFailed { offset } => {
                write!(f, "sector at {offset:#x} not blank after erase")
            }
            FlashError::ProgramFailed { offset } => {
                write!(f, "word at {offset:#x} does not read back after program")
            }
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

/// Default bound on `SR` polls per `BSY` wait. A 128 KiB sector erase takes
/// up to 2 s at ×32 (RM0090 / datasheet `t_ERASE128KB`); at 168 MHz that is
/// 336 M cycles, and a poll takes several cycles, so 200 M polls cover it at
/// any clock the part runs at.
pub const DEFAULT_BUSY_POLLS: u32 = 200_000_000;

/// Word size (program unit with `PSIZE` ×32).
pub const WORD: u32 = 4;

/// The FLASH interface driving the window `[base, base + len)` (absolute
/// addresses) of 128 KiB sectors; window offset 0 is `base`.
#[derive(Debug)]
pub struct Stm32f4Flash<R> {
    regs: R,
    base: u32,
    len: u32,
    busy_polls: u32,
}

/// Bytes compared per step (stack buffer).
const CHUNK: usize = 64;

impl<R: FlashRegs> Stm32f4Flash<R> {
    /// A driver for `[base, base + len)`; `None` unless the window is whole
    /// 128 KiB sectors of the array (sectors 5 to 11).
    pub fn new(regs: R, base: u32, len: u32) -> Option<Self> {
        if len == 0 {
            return None;
        }
        let end = base.checked_add(len)?;
        let first = sector_at(base)?;
        let last = sector_at(end.checked_sub(1)?)?;
        let whole = first.offset + FLASH_START == base
            && last.offset + last.size + FLASH_START == end
            && SECTORS
                .iter()
                .filter(|s| s.number >= first.number && s.number <= last.number)
                .all(|s| s.size == SECTOR_SIZE);
        whole.then_some(Stm32f4Flash {
            regs,
            base,
            len,
            busy_polls: DEFAULT_BUSY_POLLS,
        })
    }

    /// Bound each `BSY` wait to `polls` reads of `SR` (at least one).
    pub fn with_busy_polls(mut self, polls: u32) -> Self {
        self.busy_polls = polls.max(1);
        self
    }

    /// The register access (tests look at the model through it).
    pub fn regs(&mut self) -> &mut R {
        &mut self.regs
    }

    fn check_range(&self, offset: u32, len: usize) -> Result<u32, FlashError> {
        let len = u32::try_from(len).map_err(|_| FlashError::OutOfBounds)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(len),
            _ => Err(FlashError::OutOfBounds),
        }
    }

    fn wait_idle(&mut self) -> Result<(), FlashError> {
        for _ in 0..self.busy_polls {
            if self.regs.read(regs::SR) & regs::SR_BSY == 0 {
                return Ok(());
            }
        }
        Err(FlashError::Timeout)
    }

    /// Wait for the operation to end and check the error flags.
    fn finish_step(&mut self) -> Result<(), FlashError> {
        self.wait_idle()?;
        let flags = self.regs.read(regs::SR) & regs::SR_ERRORS;
        if flags != 0 {
            return Err(FlashError::Controller { flags });
        }
        Ok(())
    }

    /// Idle, unlocked, flags cleared.
    fn begin(&mut self) -> Result<(), FlashError> {
        self.wait_idle()?;
        if self.regs.read(regs::CR) & regs::CR_LOCK != 0 {
            self.regs.write(regs::KEYR, regs::KEY1);
            self.regs.write(regs::KEYR, regs::KEY2);
            if self.regs.read(regs::CR) & regs::CR_LOCK != 0 {
                return Err(FlashError::Locked);
            }
        }
        self.regs.write(regs::SR, regs::SR_ERRORS | regs::SR_EOP);
        Ok(())
    }

    /// Clear `CR` and lock, keeping the first error. Nothing is written to
    /// `CR` while an operation still runs (after a timeout).
    fn end(&mut self, result: Result<(), FlashError>) -> Result<(), FlashError> {
        if result == Err(FlashError::Timeout) {
            return result;
        }
        self.regs.write(regs::CR, 0);
        self.regs.write(regs::CR, regs::CR_LOCK);
        result
    }

    fn read_word(&mut self, offset: u32) -> u32 {
        let mut w = [0u8; 4];
        self.regs.read_flash(self.base + offset, &mut w);
        u32::from_le_bytes(w)
    }

    /// The data cache may hold the old contents of an erased sector: reset
    /// it (it must be disabled while reset), if it is enabled.
    fn flush_data_cache(&mut self) {
        let acr = self.regs.read(regs::ACR);
        if acr & regs::ACR_DCEN != 0 {
            self.regs.write(regs::ACR, acr & !regs::ACR_DCEN);
            self.regs
                .write(regs::ACR, (acr & !regs::ACR_DCEN) | regs::ACR_DCRST);
            self.regs.write(regs::ACR, acr & !regs::ACR_DCRST);
        }
    }

    fn erase_sector(&mut self, offset: u32) -> Result<(), FlashError> {
        let sector = sector_at(self.base + offset).ok_or(FlashError::OutOfBounds)?;
        let cr = regs::CR_PSIZE_X32
            | regs::CR_SER
            | ((u32::from(sector.number) & regs::CR_SNB_MASK) << regs::CR_SNB_SHIFT);
        let erased = self.begin().and_then(|()| {
            self.regs.write(regs::CR, cr);
            self.regs.write(regs::CR, cr | regs::CR_STRT);
            self.finish_step()
        });
        self.end(erased)?;
        self.flush_data_cache();
        let mut buf = [0u8; CHUNK];
        let mut at = 0;
        while at < SECTOR_SIZE {
            self.regs.read_flash(self.base + offset + at, &mut buf);
            if buf.iter().any(|b| *b != 0xFF) {
                return Err(FlashError::EraseFailed { offset });
            }
            at += CHUNK as u32;
        }
        Ok(())
    }

    fn program(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        self.begin()?;
        self.regs.write(regs::CR, regs::CR_PSIZE_X32 | regs::CR_PG);
        let mut at = offset;
        for w in bytes.chunks_exact(WORD as usize) {
            let new = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if self.read_word(at) != new {
                self.regs.write_flash_word(self.base + at, new);
                self.finish_step()?;
            }
            at += WORD;
        }
        Ok(())
    }
}

impl<R: FlashRegs> ErrorType for Stm32f4Flash<R> {
    type Error = FlashError;
}

impl<R: FlashRegs> ReadNorFlash for Stm32f4Flash<R> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.check_range(offset, bytes.len())?;
        self.regs.read_flash(self.base + offset, bytes);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.len as usize
    }
}

impl<R: FlashRegs> NorFlash for Stm32f4Flash<R> {
    const WRITE_SIZE: usize = WORD as usize;
    const ERASE_SIZE: usize = SECTOR_SIZE as usize;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if from > to || to > self.len {
            return Err(FlashError::OutOfBounds);
        }
        if !from.is_multiple_of(SECTOR_SIZE) || !to.is_multiple_of(SECTOR_SIZE) {
            return Err(FlashError::NotAligned);
        }
        let mut at = from;
        while at < to {
            self.erase_sector(at)?;
            at += SECTOR_SIZE;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !offset.is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD as usize) {
            return Err(FlashError::NotAligned);
        }
        self.check_range(offset, bytes.len())?;
        let mut at = offset;
        for w in bytes.chunks_exact(WORD as usize) {
            let new = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if new & !self.read_word(at) != 0 {
                return Err(FlashError::WouldSetBits { offset: at });
            }
            at += WORD;
        }
        let programmed = self.program(offset, bytes);
        self.end(programmed)?;
        let mut at = offset;
        for w in bytes.chunks_exact(WORD as usize) {
            if self.read_word(at) != u32::from_le_bytes([w[0], w[1], w[2], w[3]]) {
                return Err(FlashError::ProgramFailed { offset: at });
            }
            at += WORD;
        }
        Ok(())
    }
}

/// A word may be programmed again with more bits cleared (the F405/407
/// flash has no ECC words that would forbid it, and wolfBoot's trailer
/// updates on this part rely on it too); words that already hold their
/// value are skipped.
impl<R: FlashRegs> MultiwriteNorFlash for Stm32f4Flash<R> {}

#[cfg(test)]
mod tests;
