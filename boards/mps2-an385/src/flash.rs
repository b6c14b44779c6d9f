//! A NOR flash emulated over the mps2-an385 code SRAM.
//!
//! QEMU's mps2-an385 has no flash: its code memory is SRAM, which can be
//! written freely. [`SramFlash`] makes it behave like a NOR flash so that the
//! bootloader's flash code is exercised as on a real chip:
//!
//! * erase works on whole [`SECTOR_SIZE`] sectors and sets every byte to 0xFF;
//! * program works on [`WRITE_SIZE`]-aligned words and can only clear bits: a
//!   program that would turn a 0 bit into a 1 is refused, with nothing
//!   written ([`SramFlashError::WouldSetBits`]). Programming a word again with
//!   bits only cleared is allowed, as on most NOR flash
//!   ([`MultiwriteNorFlash`]); wolfBoot's trailer updates rely on it;
//! * offsets and lengths are checked against the device ([`SramFlashError`]).
//!
//! The memory is reached through [`Cells`]: [`CodeSram`] on the target, a
//! plain buffer in the host unit tests. A [`Monitor`] sees every erase and
//! program, one sector or one write call at a time; the test harness uses it to
//! mirror the flash to a host file and to cut power after N operations
//! (see `testctl`).
//!
//! Why 4 KiB sectors and 4-byte words: 4 KiB is the most common small NOR erase
//! unit (SPI NOR subsectors, nRF52 and Kinetis pages) and wolfBoot's usual
//! `WOLFBOOT_SECTOR_SIZE`; with 1 MiB partitions it gives 256 swap steps whose
//! progress nibbles (128 bytes) fit the trailer in the last sector, and the
//! swap needs a single 4 KiB SWAP sector. A 32-bit word is what a Cortex-M3
//! stores in one bus access, so a power cut can never tear a word, and it is
//! the program unit of many MCU flashes (nRF52, Kinetis FTFA, STM32F1 programs
//! 16 bits). The swap-state-machine updates trailer bytes by read-modify-write
//! of whole words, which this flash allows since bits are only cleared.

use core::fmt;

use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

use crate::layout::{FLASH_BASE, FLASH_SIZE, SECTOR_SIZE, WRITE_SIZE};

/// The storage behind an [`SramFlash`]: byte reads and word stores at device
/// offsets. Implementations check bounds and alignment themselves and do
/// nothing (returning `false`) when they fail.
pub trait Cells {
    /// Size of the device in bytes.
    fn capacity(&self) -> u32;
    /// Copy `buf.len()` bytes from `offset`.
    fn load(&self, offset: u32, buf: &mut [u8]) -> bool;
    /// Store one little-endian word at a word-aligned `offset`.
    fn store_word(&mut self, offset: u32, word: u32) -> bool;
}

/// The code SRAM of the mps2-an385 from [`FLASH_BASE`] to its end, as
/// [`Cells`]. Device offset 0 is address [`FLASH_BASE`].
#[derive(Debug)]
pub struct CodeSram {
    _private: (),
}

impl CodeSram {
    /// Take the code SRAM above the bootloader.
    ///
    /// # Safety
    /// At most one `CodeSram` may exist at a time, and while it exists no Rust
    /// reference may point into `[FLASH_BASE, FLASH_BASE + FLASH_SIZE)`: the
    /// memory changes behind the compiler's back. The linker scripts keep the
    /// bootloader below `FLASH_BASE`; an application running from BOOT must
    /// not program the partition it runs from.
    pub const unsafe fn new() -> Self {
        CodeSram { _private: () }
    }

    fn in_range(offset: u32, len: usize) -> bool {
        match u32::try_from(len).ok().and_then(|l| offset.checked_add(l)) {
            Some(end) => end <= FLASH_SIZE,
            None => false,
        }
    }
}

impl Cells for CodeSram {
    fn capacity(&self) -> u32 {
        FLASH_SIZE
    }

    fn load(&self, offset: u32, buf: &mut [u8]) -> bool {
        if !Self::in_range(offset, buf.len()) {
            return false;
        }
        let src = (FLASH_BASE + offset) as usize as *const u8;
        // SAFETY: `[src, src + len)` lies in the code SRAM above the bootloader
        // (checked just above; FLASH_BASE is not 0, so `src` is not null), which
        // is always mapped and readable on this machine. No Rust reference
        // aliases it (see `CodeSram::new`), and `buf` is a distinct RAM buffer.
        unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
        true
    }

    fn store_word(&mut self, offset: u32, word: u32) -> bool {
        if !offset.is_multiple_of(4) || !Self::in_range(offset, 4) {
            return false;
        }
        let dst = (FLASH_BASE + offset) as usize as *mut u32;
        // SAFETY: `dst` is a word-aligned address inside the writable code SRAM
        // above the bootloader (checked above), not aliased by any Rust
        // reference (see `CodeSram::new`). Volatile keeps the stores in program
        // order with respect to the monitor's mirroring and power-cut calls.
        unsafe { core::ptr::write_volatile(dst, word.to_le()) };
        true
    }
}

/// One flash operation, as shown to a [`Monitor`] before it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Erase of one sector.
    Erase {
        /// Device offset of the sector.
        offset: u32,
        /// Sector size.
        len: u32,
    },
    /// Program of `len` bytes (one `write` call).
    Program {
        /// Device offset.
        offset: u32,
        /// Number of bytes.
        len: u32,
    },
}

/// Whether an operation completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// The operation completes.
    On,
    /// Power fails after the first `n` bytes of the operation have their new
    /// value (rounded down to whole words); the rest is left as it was.
    FailsAfter(u32),
}

/// Observer of flash operations (mirroring, operation counting, power cuts).
pub trait Monitor {
    /// Called before each operation.
    fn before(&mut self, _op: Operation) -> Power {
        Power::On
    }
    /// Called once `[offset, offset + len)` holds its new contents.
    fn changed(&mut self, _offset: u32, _len: u32) {}
    /// Called after a torn operation; on the target this ends the run.
    fn power_lost(&mut self) {}
}

/// A [`Monitor`] that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMonitor;

impl Monitor for NoMonitor {}

/// Error of an [`SramFlash`] operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SramFlashError {
    /// The access does not lie inside the device.
    OutOfBounds,
    /// Offset or length is not a multiple of the write size (program) or of
    /// the sector size (erase).
    NotAligned,
    /// The program would set a bit that is 0; nothing was written.
    WouldSetBits {
        /// Device offset of the first offending byte.
        offset: u32,
    },
    /// Power was lost during the operation (test harness only).
    PowerLost,
}

impl fmt::Display for SramFlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SramFlashError::OutOfBounds => f.write_str("flash access out of bounds"),
            SramFlashError::NotAligned => f.write_str("flash access not aligned"),
            SramFlashError::WouldSetBits { offset } => {
                write!(f, "program at {offset:#x} would set bits (erase first)")
            }
            SramFlashError::PowerLost => f.write_str("power lost during a flash operation"),
        }
    }
}

impl NorFlashError for SramFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            SramFlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            SramFlashError::NotAligned => NorFlashErrorKind::NotAligned,
            SramFlashError::WouldSetBits { .. } | SramFlashError::PowerLost => {
                NorFlashErrorKind::Other
            }
        }
    }
}

/// NOR flash over [`Cells`], observed by a [`Monitor`].
#[derive(Debug)]
pub struct SramFlash<C, M = NoMonitor> {
    cells: C,
    monitor: M,
}

/// Bytes compared per step when checking a program (stack buffer).
const CHECK_CHUNK: usize = 64;

impl<C: Cells, M: Monitor> SramFlash<C, M> {
    /// A flash over `cells`, reporting to `monitor`.
    pub const fn new(cells: C, monitor: M) -> Self {
        SramFlash { cells, monitor }
    }

    /// The monitor.
    pub fn monitor(&mut self) -> &mut M {
        &mut self.monitor
    }

    /// The underlying cells (to plant contents in tests).
    pub fn cells(&mut self) -> &mut C {
        &mut self.cells
    }

    fn range(&self, offset: u32, len: usize) -> Result<u32, SramFlashError> {
        let len = u32::try_from(len).map_err(|_| SramFlashError::OutOfBounds)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.cells.capacity() => Ok(len),
            _ => Err(SramFlashError::OutOfBounds),
        }
    }

    /// Fail the program unless every bit it sets to 1 is already 1.
    fn check_only_clears(&self, offset: u32, data: &[u8]) -> Result<(), SramFlashError> {
        let mut old = [0u8; CHECK_CHUNK];
        let mut at = offset;
        for chunk in data.chunks(CHECK_CHUNK) {
            let old = old
                .get_mut(..chunk.len())
                .ok_or(SramFlashError::OutOfBounds)?;
            if !self.cells.load(at, old) {
                return Err(SramFlashError::OutOfBounds);
            }
            if let Some(i) = old.iter().zip(chunk).position(|(o, n)| n & !o != 0) {
                return Err(SramFlashError::WouldSetBits {
                    offset: at + i as u32,
                });
            }
            at += chunk.len() as u32;
        }
        Ok(())
    }

    /// Bytes of an operation of `len` bytes that complete under `power`.
    fn completed(power: Power, len: u32) -> u32 {
        match power {
            Power::On => len,
            Power::FailsAfter(n) => n.min(len) / WRITE_SIZE * WRITE_SIZE,
        }
    }

    fn finish(&mut self, offset: u32, done: u32, power: Power) -> Result<(), SramFlashError> {
        if done > 0 {
            self.monitor.changed(offset, done);
        }
        match power {
            Power::On => Ok(()),
            Power::FailsAfter(_) => {
                self.monitor.power_lost();
                Err(SramFlashError::PowerLost)
            }
        }
    }
}

impl<C: Cells, M: Monitor> ErrorType for SramFlash<C, M> {
    type Error = SramFlashError;
}

impl<C: Cells, M: Monitor> ReadNorFlash for SramFlash<C, M> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.range(offset, bytes.len())?;
        if self.cells.load(offset, bytes) {
            Ok(())
        } else {
            Err(SramFlashError::OutOfBounds)
        }
    }

    fn capacity(&self) -> usize {
        self.cells.capacity() as usize
    }
}

impl<C: Cells, M: Monitor> NorFlash for SramFlash<C, M> {
    const WRITE_SIZE: usize = WRITE_SIZE as usize;
    const ERASE_SIZE: usize = SECTOR_SIZE as usize;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if from > to || to > self.cells.capacity() {
            return Err(SramFlashError::OutOfBounds);
        }
        if !from.is_multiple_of(SECTOR_SIZE) || !to.is_multiple_of(SECTOR_SIZE) {
            return Err(SramFlashError::NotAligned);
        }
        let mut sector = from;
        while sector < to {
            let power = self.monitor.before(Operation::Erase {
                offset: sector,
                len: SECTOR_SIZE,
            });
            let done = Self::completed(power, SECTOR_SIZE);
            let mut at = sector;
            while at < sector + done {
                if !self.cells.store_word(at, u32::MAX) {
                    return Err(SramFlashError::OutOfBounds);
                }
                at += WRITE_SIZE;
            }
            self.finish(sector, done, power)?;
            sector += SECTOR_SIZE;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !offset.is_multiple_of(WRITE_SIZE) || !bytes.len().is_multiple_of(WRITE_SIZE as usize) {
            return Err(SramFlashError::NotAligned);
        }
        let len = self.range(offset, bytes.len())?;
        self.check_only_clears(offset, bytes)?;
        let power = self.monitor.before(Operation::Program { offset, len });
        let done = Self::completed(power, len);
        let mut at = offset;
        for word in bytes.chunks_exact(4).take((done / WRITE_SIZE) as usize) {
            let w = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            if !self.cells.store_word(at, w) {
                return Err(SramFlashError::OutOfBounds);
            }
            at += WRITE_SIZE;
        }
        self.finish(offset, done, power)
    }
}

impl<C: Cells, M: Monitor> MultiwriteNorFlash for SramFlash<C, M> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Host stand-in for the code SRAM.
    struct Buf(Vec<u8>);

    impl Cells for Buf {
        fn capacity(&self) -> u32 {
            self.0.len() as u32
        }
        fn load(&self, offset: u32, buf: &mut [u8]) -> bool {
            let o = offset as usize;
            match self.0.get(o..o + buf.len()) {
                Some(src) => {
                    buf.copy_from_slice(src);
                    true
                }
                None => false,
            }
        }
        fn store_word(&mut self, offset: u32, word: u32) -> bool {
            let o = offset as usize;
            match self.0.get_mut(o..o + 4) {
                Some(dst) if o.is_multiple_of(4) => {
                    dst.copy_from_slice(&word.to_le_bytes());
                    true
                }
                _ => false,
            }
        }
    }

    #[derive(Default)]
    struct Log {
        ops: Vec<Operation>,
        changed: Vec<(u32, u32)>,
        cut_at: Option<(usize, u32)>,
        lost: bool,
    }

    impl Monitor for Log {
        fn before(&mut self, op: Operation) -> Power {
            self.ops.push(op);
            match self.cut_at {
                Some((n, done)) if n == self.ops.len() => Power::FailsAfter(done),
                _ => Power::On,
            }
        }
        fn changed(&mut self, offset: u32, len: u32) {
            self.changed.push((offset, len));
        }
        fn power_lost(&mut self) {
            self.lost = true;
        }
    }

    const CAP: usize = 4 * SECTOR_SIZE as usize;

    fn flash(fill: u8) -> SramFlash<Buf, Log> {
        SramFlash::new(Buf(vec![fill; CAP]), Log::default())
    }

    fn contents(f: &mut SramFlash<Buf, Log>) -> Vec<u8> {
        let mut v = vec![0; CAP];
        f.read(0, &mut v).unwrap();
        v
    }

    #[test]
    fn geometry() {
        let f = flash(0xFF);
        assert_eq!(f.capacity(), CAP);
        assert_eq!(<SramFlash<Buf, Log> as NorFlash>::ERASE_SIZE, 4096);
        assert_eq!(<SramFlash<Buf, Log> as NorFlash>::WRITE_SIZE, 4);
    }

    #[test]
    fn erase_sets_whole_sectors_to_ff() {
        let mut f = flash(0x00);
        f.erase(4096, 12288).unwrap();
        let c = contents(&mut f);
        assert!(c[..4096].iter().all(|b| *b == 0));
        assert!(c[4096..12288].iter().all(|b| *b == 0xFF));
        assert!(c[12288..].iter().all(|b| *b == 0));
        assert_eq!(
            f.monitor().ops,
            [
                Operation::Erase {
                    offset: 4096,
                    len: 4096
                },
                Operation::Erase {
                    offset: 8192,
                    len: 4096
                }
            ]
        );
        assert_eq!(f.monitor().changed, [(4096, 4096), (8192, 4096)]);
    }

    #[test]
    fn erase_checks_alignment_and_bounds() {
        let mut f = flash(0x00);
        assert_eq!(f.erase(1, 4096), Err(SramFlashError::NotAligned));
        assert_eq!(f.erase(0, 4095), Err(SramFlashError::NotAligned));
        assert_eq!(f.erase(8192, 4096), Err(SramFlashError::OutOfBounds));
        assert_eq!(
            f.erase(0, CAP as u32 + 4096),
            Err(SramFlashError::OutOfBounds)
        );
        assert_eq!(f.erase(4096, 4096), Ok(()));
        assert!(f.monitor().ops.is_empty());
        assert!(contents(&mut f).iter().all(|b| *b == 0));
    }

    #[test]
    fn program_clears_bits_and_reprogram_is_allowed() {
        let mut f = flash(0xFF);
        f.write(8, &[0xF0, 0x0F, 0xAA, 0x55]).unwrap();
        // Clearing more bits of the same word is allowed (trailer updates).
        f.write(8, &[0x70, 0x0F, 0x00, 0x55]).unwrap();
        let c = contents(&mut f);
        assert_eq!(&c[8..12], &[0x70, 0x0F, 0x00, 0x55]);
        assert_eq!(f.monitor().changed, [(8, 4), (8, 4)]);
    }

    #[test]
    fn program_that_sets_a_bit_is_refused_and_writes_nothing() {
        let mut f = flash(0xFF);
        f.write(0, &[0x00; 8]).unwrap();
        let before = contents(&mut f);
        assert_eq!(
            f.write(0, &[0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]),
            Err(SramFlashError::WouldSetBits { offset: 5 })
        );
        assert_eq!(contents(&mut f), before);
        assert_eq!(f.monitor().ops.len(), 1);
        assert_eq!(
            SramFlashError::WouldSetBits { offset: 5 }.kind(),
            NorFlashErrorKind::Other
        );
    }

    #[test]
    fn program_checks_alignment_and_bounds() {
        let mut f = flash(0xFF);
        assert_eq!(f.write(2, &[0; 4]), Err(SramFlashError::NotAligned));
        assert_eq!(f.write(0, &[0; 3]), Err(SramFlashError::NotAligned));
        assert_eq!(
            f.write(CAP as u32 - 4, &[0; 8]),
            Err(SramFlashError::OutOfBounds)
        );
        assert_eq!(
            f.write(u32::MAX - 3, &[0; 4]),
            Err(SramFlashError::OutOfBounds)
        );
        assert_eq!(
            f.write(u32::MAX - 7, &[0; 8]),
            Err(SramFlashError::OutOfBounds)
        );
        assert_eq!(
            SramFlashError::NotAligned.kind(),
            NorFlashErrorKind::NotAligned
        );
        assert_eq!(
            SramFlashError::OutOfBounds.kind(),
            NorFlashErrorKind::OutOfBounds
        );
        assert!(contents(&mut f).iter().all(|b| *b == 0xFF));
    }

    #[test]
    fn reads_are_bounds_checked_at_any_alignment() {
        let mut f = flash(0xFF);
        f.write(4, &[1, 2, 3, 4]).unwrap();
        let mut b = [0u8; 3];
        f.read(5, &mut b).unwrap();
        assert_eq!(b, [2, 3, 4]);
        assert_eq!(
            f.read(CAP as u32 - 2, &mut b),
            Err(SramFlashError::OutOfBounds)
        );
        assert_eq!(f.read(u32::MAX, &mut b), Err(SramFlashError::OutOfBounds));
    }

    #[test]
    fn power_cut_tears_a_program_after_whole_words() {
        let mut f = flash(0xFF);
        f.monitor().cut_at = Some((1, 6));
        assert_eq!(f.write(16, &[0u8; 16]), Err(SramFlashError::PowerLost));
        let c = contents(&mut f);
        assert_eq!(&c[16..20], &[0; 4]);
        assert!(c[20..32].iter().all(|b| *b == 0xFF));
        assert!(f.monitor().lost);
        assert_eq!(f.monitor().changed, [(16, 4)]);
    }

    #[test]
    fn power_cut_tears_an_erase_and_stops_the_following_sectors() {
        let mut f = flash(0x00);
        f.monitor().cut_at = Some((2, 2048));
        assert_eq!(f.erase(0, 3 * 4096), Err(SramFlashError::PowerLost));
        let c = contents(&mut f);
        assert!(c[..4096 + 2048].iter().all(|b| *b == 0xFF));
        assert!(c[4096 + 2048..].iter().all(|b| *b == 0x00));
        assert_eq!(f.monitor().ops.len(), 2);
    }

    #[test]
    fn power_cut_before_anything_changes_nothing() {
        let mut f = flash(0x00);
        f.monitor().cut_at = Some((1, 0));
        assert_eq!(f.erase(0, 4096), Err(SramFlashError::PowerLost));
        assert!(contents(&mut f).iter().all(|b| *b == 0));
        assert!(f.monitor().changed.is_empty());
    }
}
