//! Flash driver for Nordic's non-volatile memory controller (NVMC), as found
//! on the nRF51 and nRF52 families.
//!
//! The NVMC has the same register interface on both families:
//!
//! | register    | offset  | use here |
//! |-------------|---------|----------|
//! | `READY`     | `0x400` | bit 0: 1 when no erase or write is in progress |
//! | `CONFIG`    | `0x504` | `0` read only, `1` write enabled (WEN), `2` erase enabled (EEN) |
//! | `ERASEPAGE` | `0x508` | write a page's address to erase it (`ERASEPCR1` on the nRF51) |
//!
//! Programming is a plain 32-bit store to the flash address while `CONFIG`
//! is WEN; erasing a page is a store of its address to `ERASEPAGE` while
//! `CONFIG` is EEN. The page size differs: 1 KiB on the nRF51, 4 KiB on the
//! nRF52 ([`Nrf51Nvmc`], [`Nrf52Nvmc`]; the const parameter of [`Nvmc`]).
//!
//! [`Nvmc`] implements `embedded-storage`'s [`NorFlash`] (and so the
//! wolfboot-rs flash contract, `wolfboot_hal_flash::Flash`, as every `NorFlash` is)
//! over a window of the chip's flash (the partitions, not the bootloader):
//!
//! * **NOR rules are enforced by the driver**, whatever the silicon or an
//!   emulator does: a program that would turn a 0 bit into a 1 is refused with
//!   nothing written ([`NvmcError::WouldSetBits`]); offsets and lengths must
//!   be word-aligned (program) or page-aligned (erase) and inside the window.
//!   Words that already hold the value asked for are not programmed again
//!   (each write counts against the chip's limit on writes per word between
//!   erases).
//! * **Every wait for READY is bounded** ([`Nvmc::with_ready_polls`]): a
//!   controller that never becomes ready gives [`NvmcError::Timeout`] instead
//!   of hanging the bootloader.
//! * **Every operation is checked**: an erased page must read back as 0xFF,
//!   a programmed word as its new value ([`NvmcError::EraseFailed`],
//!   [`NvmcError::ProgramFailed`]).
//! * `CONFIG` goes back to read-only after every operation, errors included.
//!
//! The registers and the flash are reached through an [`NvmcBus`]: [`Mmio`]
//! on the chip, a register-level model in the host tests.
#![no_std]
#![warn(missing_docs)]

use core::fmt;

use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// NVMC register offsets and values.
pub mod regs {
    /// Base address of the NVMC on nRF51 and nRF52 parts.
    pub const NVMC_BASE: u32 = 0x4001_E000;
    /// `READY`: bit 0 set when the controller is idle.
    pub const READY: u32 = 0x400;
    /// `CONFIG`: access mode.
    pub const CONFIG: u32 = 0x504;
    /// `ERASEPAGE` (nRF52) / `ERASEPCR1` (nRF51): page address to erase.
    pub const ERASEPAGE: u32 = 0x508;
    /// `READY.READY`.
    pub const READY_READY: u32 = 1;
    /// `CONFIG`: read only.
    pub const CONFIG_REN: u32 = 0;
    /// `CONFIG`: write enabled.
    pub const CONFIG_WEN: u32 = 1;
    /// `CONFIG`: erase enabled.
    pub const CONFIG_EEN: u32 = 2;
}

/// How the driver reaches the NVMC registers and the flash array.
pub trait NvmcBus {
    /// Read the NVMC register at `offset` (see [`regs`]).
    fn read_reg(&mut self, offset: u32) -> u32;
    /// Write the NVMC register at `offset`.
    fn write_reg(&mut self, offset: u32, value: u32);
    /// Read `buf.len()` bytes of flash at absolute address `address`. The
    /// driver only asks for ranges inside its window.
    fn read_flash(&mut self, address: u32, buf: &mut [u8]);
    /// Store one word at the word-aligned absolute flash address `address`
    /// (a program while `CONFIG` is WEN).
    fn write_flash_word(&mut self, address: u32, word: u32);
}

/// The NVMC and the memory-mapped flash of the running chip.
#[derive(Debug)]
pub struct Mmio {
    nvmc: u32,
}

impl Mmio {
    /// The NVMC at [`regs::NVMC_BASE`].
    ///
    /// # Safety
    /// Only on an nRF51 or nRF52 (the register block and the flash must be
    /// mapped where the driver will touch them), with at most one `Mmio` in
    /// use at a time. While it is in use no Rust reference may point into
    /// the flash window given to [`Nvmc::new`]: its contents change behind
    /// the compiler's back.
    pub const unsafe fn new() -> Self {
        Mmio {
            nvmc: regs::NVMC_BASE,
        }
    }
}

impl NvmcBus for Mmio {
    fn read_reg(&mut self, offset: u32) -> u32 {
        let p = (self.nvmc + offset) as usize as *const u32;
        // SAFETY: a word-aligned NVMC register (fixed MMIO address on nRF51 and
        // nRF52, see `Mmio::new`); reading READY or CONFIG has no side effect.
        unsafe { core::ptr::read_volatile(p) }
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
        let p = (self.nvmc + offset) as usize as *mut u32;
        // SAFETY: as in `read_reg`; this `Mmio` is the only user of the block.
        unsafe { core::ptr::write_volatile(p, value) }
    }

    fn read_flash(&mut self, address: u32, buf: &mut [u8]) {
        let src = address as usize as *const u8;
        // SAFETY: the driver only reads inside its window of the flash array,
        // which is always mapped and readable; no Rust reference aliases it
        // (see `Mmio::new`) and `buf` is a distinct RAM buffer. Byte copies
        // are fine: reads of the flash array have no side effect.
        unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) }
    }

    fn write_flash_word(&mut self, address: u32, word: u32) {
        let p = address as usize as *mut u32;
        // SAFETY: a word-aligned address inside the driver's window of the
        // flash array (checked by the driver), written while CONFIG is WEN:
        // the NVMC turns the store into a program. Volatile keeps it in order
        // with the CONFIG and READY accesses.
        unsafe { core::ptr::write_volatile(p, word) }
    }
}

/// Error of an NVMC operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmcError {
    /// The access does not lie inside the driver's window.
    OutOfBounds,
    /// Offset or length is not a multiple of the word (program) or page
    /// (erase) size.
    NotAligned,
    /// The program would turn a 0 bit into a 1; nothing was written.
    WouldSetBits {
        /// Window offset of the first offending word.
        offset: u32,
    },
    /// `READY` did not come back within the poll bound.
    Timeout,
    /// An erased page does not read back as 0xFF.
    EraseFailed {
        /// Window offset of the page.
        offset: u32,
    },
    /// A programmed word does not read back as written.
    ProgramFailed {
        /// Window offset of the word.
        offset: u32,
    },
}

impl fmt::Display for NvmcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NvmcError::OutOfBounds => f.write_str("flash access out of bounds"),
            NvmcError::NotAligned => f.write_str("flash access not aligned"),
            NvmcError::WouldSetBits { offset } => {
                write!(f, "program at {offset:#x} would set bits (erase first)")
            }
            NvmcError::Timeout => f.write_str("NVMC not ready in time"),
            NvmcError::EraseFailed { offset } => {
                write!(f, "page at {offset:#x} not blank after erase")
            }
            NvmcError::ProgramFailed { offset } => {
                write!(f, "word at {offset:#x} does not read back after program")
            }
        }
    }
}

impl NorFlashError for NvmcError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            NvmcError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            NvmcError::NotAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// Default bound on `READY` polls per wait. The longest NVMC operation is a
/// page erase: 85 ms on the nRF52840 at 64 MHz (about 5.4 M cycles), 22.3 ms
/// on the nRF51 at 16 MHz; a poll takes several cycles (a peripheral load,
/// a test and a branch), so 4 M polls leave room for both.
pub const DEFAULT_READY_POLLS: u32 = 4_000_000;

/// Word size of the NVMC (program unit).
pub const WORD: u32 = 4;

/// The NVMC driving the flash window `[base, base + len)` (absolute
/// addresses); window offset 0 is `base`. `PAGE` is the erase unit.
#[derive(Debug)]
pub struct Nvmc<B, const PAGE: u32> {
    bus: B,
    base: u32,
    len: u32,
    ready_polls: u32,
}

/// The nRF51 NVMC (1 KiB pages).
pub type Nrf51Nvmc<B> = Nvmc<B, 1024>;
/// The nRF52 NVMC (4 KiB pages).
pub type Nrf52Nvmc<B> = Nvmc<B, 4096>;

/// Bytes compared per step (stack buffer).
const CHUNK: usize = 64;

impl<B: NvmcBus, const PAGE: u32> Nvmc<B, PAGE> {
    /// A driver for the window `[base, base + len)` of the flash; `None`
    /// unless both are page-aligned and the window does not wrap.
    pub fn new(bus: B, base: u32, len: u32) -> Option<Self> {
        let page_ok = PAGE.is_power_of_two() && PAGE >= WORD;
        (page_ok
            && base.is_multiple_of(PAGE)
            && len.is_multiple_of(PAGE)
            && base.checked_add(len).is_some())
        .then_some(Nvmc {
            bus,
            base,
            len,
            ready_polls: DEFAULT_READY_POLLS,
        })
    }

    /// Bound each wait for `READY` to `polls` reads (at least one).
    pub fn with_ready_polls(mut self, polls: u32) -> Self {
        self.ready_polls = polls.max(1);
        self
    }

    /// The bus (tests look at the model through it).
    pub fn bus(&mut self) -> &mut B {
        &mut self.bus
    }

    /// Absolute address of window offset 0.
    pub fn base(&self) -> u32 {
        self.base
    }

    fn check_range(&self, offset: u32, len: usize) -> Result<u32, NvmcError> {
        let len = u32::try_from(len).map_err(|_| NvmcError::OutOfBounds)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(len),
            _ => Err(NvmcError::OutOfBounds),
        }
    }

    fn wait_ready(&mut self) -> Result<(), NvmcError> {
        for _ in 0..self.ready_polls {
            if self.bus.read_reg(regs::READY) & regs::READY_READY != 0 {
                return Ok(());
            }
        }
        Err(NvmcError::Timeout)
    }

    /// Set `CONFIG` once the controller is idle.
    fn config(&mut self, mode: u32) -> Result<(), NvmcError> {
        self.wait_ready()?;
        self.bus.write_reg(regs::CONFIG, mode);
        self.wait_ready()
    }

    /// Back to read only, keeping the first error.
    fn read_only(&mut self, result: Result<(), NvmcError>) -> Result<(), NvmcError> {
        let back = self.config(regs::CONFIG_REN);
        result.and(back)
    }

    fn read_word(&mut self, offset: u32) -> u32 {
        let mut w = [0u8; 4];
        self.bus.read_flash(self.base + offset, &mut w);
        u32::from_le_bytes(w)
    }

    /// Erase the page at window offset `offset` (page-aligned, inside).
    fn erase_page(&mut self, offset: u32) -> Result<(), NvmcError> {
        let erased = self.config(regs::CONFIG_EEN).and_then(|()| {
            self.bus.write_reg(regs::ERASEPAGE, self.base + offset);
            self.wait_ready()
        });
        self.read_only(erased)?;
        let mut buf = [0u8; CHUNK];
        let mut at = 0;
        while at < PAGE {
            let n = (PAGE - at).min(CHUNK as u32);
            let chunk = buf.get_mut(..n as usize).ok_or(NvmcError::OutOfBounds)?;
            self.bus.read_flash(self.base + offset + at, chunk);
            if chunk.iter().any(|b| *b != 0xFF) {
                return Err(NvmcError::EraseFailed { offset });
            }
            at += n;
        }
        Ok(())
    }

    fn program(&mut self, offset: u32, bytes: &[u8]) -> Result<(), NvmcError> {
        let mut at = offset;
        for w in bytes.chunks_exact(WORD as usize) {
            let new = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if self.read_word(at) != new {
                self.bus.write_flash_word(self.base + at, new);
                self.wait_ready()?;
            }
            at += WORD;
        }
        Ok(())
    }
}

impl<B: NvmcBus, const PAGE: u32> ErrorType for Nvmc<B, PAGE> {
    type Error = NvmcError;
}

impl<B: NvmcBus, const PAGE: u32> ReadNorFlash for Nvmc<B, PAGE> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.check_range(offset, bytes.len())?;
        self.bus.read_flash(self.base + offset, bytes);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.len as usize
    }
}

impl<B: NvmcBus, const PAGE: u32> NorFlash for Nvmc<B, PAGE> {
    const WRITE_SIZE: usize = WORD as usize;
    const ERASE_SIZE: usize = PAGE as usize;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if from > to || to > self.len {
            return Err(NvmcError::OutOfBounds);
        }
        if !from.is_multiple_of(PAGE) || !to.is_multiple_of(PAGE) {
            return Err(NvmcError::NotAligned);
        }
        let mut page = from;
        while page < to {
            self.erase_page(page)?;
            page += PAGE;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !offset.is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD as usize) {
            return Err(NvmcError::NotAligned);
        }
        self.check_range(offset, bytes.len())?;
        // NOR rule first, for the whole call: nothing is written if any word
        // would need a 0 bit raised.
        let mut at = offset;
        for w in bytes.chunks_exact(WORD as usize) {
            let new = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if new & !self.read_word(at) != 0 {
                return Err(NvmcError::WouldSetBits { offset: at });
            }
            at += WORD;
        }
        let programmed = self
            .config(regs::CONFIG_WEN)
            .and_then(|()| self.program(offset, bytes));
        self.read_only(programmed)?;
        let mut at = offset;
        for w in bytes.chunks_exact(WORD as usize) {
            if self.read_word(at) != u32::from_le_bytes([w[0], w[1], w[2], w[3]]) {
                return Err(NvmcError::ProgramFailed { offset: at });
            }
            at += WORD;
        }
        Ok(())
    }
}

/// Words may be programmed again with more bits cleared (the nRF51 and
/// nRF52 allow a small number of writes per word between erases; the
/// driver skips words that already hold their value).
impl<B: NvmcBus, const PAGE: u32> MultiwriteNorFlash for Nvmc<B, PAGE> {}

#[cfg(test)]
mod tests;
