//! The test control block: how a host harness drives the firmware under
//! QEMU's `microbit` machine.
//!
//! QEMU models the nRF51 NVMC (`hw/nvram/nrf51_nvm.c`), but its flash is not
//! backed by a file and vanishes when QEMU exits. For update, rollback and
//! power-cut tests the harness keeps the flash window (BOOT to the end of
//! flash) in `flash.bin` on the host and tells the firmware so through 256
//! bytes at the top of RAM ([`TESTCTL_ADDRESS`]), filled with QEMU's
//! generic loader:
//!
//! ```text
//! -device loader,addr=0x20003f00,data=0x57425443,data-len=4   magic "CTBW"
//! -device loader,addr=0x20003f04,data=<FLAGS>,data-len=4
//! -device loader,addr=0x20003f08,data=<N>,data-len=4          cut power before op N (0: never)
//! ```
//!
//! | offset | written by | meaning |
//! |--------|------------|---------|
//! | 0x00   | harness    | [`MAGIC`]; anything else disables the block |
//! | 0x04   | harness    | [`flags`] |
//! | 0x08   | harness    | `cut_after`: power fails just before the N-th flash operation (one page erase or one program call), counted from QEMU start; 0 never |
//! | 0x0C   | firmware   | operations so far (QEMU keeps RAM across resets and no loader image covers this word) |
//! | 0x10   | firmware   | [`INBOX_TAKEN`] once the application has streamed `inbox.bin` |
//! | 0x14   | firmware   | [`FLASH_LOADED`] once the bootloader has loaded `flash.bin` in this QEMU run |
//! | 0x18   | firmware   | [`STACK_PAINTED`] once the bootloader has filled the free RAM with a pattern in this QEMU run (the application reports the stack's high-water mark at its end) |
//!
//! With [`flags::FILE_BACKED`] the bootloader, at its first start in a QEMU
//! run, programs `flash.bin` into the flash window through the NVMC driver
//! (each page that differs is erased and programmed; semihosting `SYS_READ`
//! brings the file in page by page), and every completed erase or program
//! of the bootloader or the application is written through to the file
//! (semihosting `SYS_SEEK` + `SYS_WRITE` of the flash range just changed).
//! The file is thus the flash: at the cut the firmware ends QEMU with
//! [`EXIT_POWER_CUT`] before the operation starts, and the next QEMU run
//! starts from the file. QEMU keeps the flash across the application's
//! system reset into the bootloader, so the file is read once per run.
//!
//! With [`flags::APP_STAGE`] the application streams `inbox.bin` (a signed
//! image, read through semihosting in small pieces, as a transport would
//! deliver it) into UPDATE through `UpdateWriter`, once per QEMU run.

use crate::layout::TESTCTL_ADDRESS;

/// "CTBW" read as a little-endian word.
pub const MAGIC: u32 = 0x5742_5443;

/// Control flags (word at offset 4).
pub mod flags {
    /// The flash window lives in `flash.bin` on the host.
    pub const FILE_BACKED: u32 = 1 << 0;
    /// The test application does not confirm itself (`wolfBoot_success`).
    pub const APP_NO_CONFIRM: u32 = 1 << 2;
    /// The test application triggers what the host wrote into UPDATE
    /// (`update_trigger`, unchecked), then resets.
    pub const APP_TRIGGER: u32 = 1 << 3;
    /// The test application streams `inbox.bin` through `UpdateWriter` and
    /// triggers it if it verified; once per QEMU run.
    pub const APP_STAGE: u32 = 1 << 4;
}

/// Offsets inside the block.
pub mod offset {
    /// Magic word.
    pub const MAGIC: u32 = 0x00;
    /// Flags word.
    pub const FLAGS: u32 = 0x04;
    /// Power-cut operation number.
    pub const CUT_AFTER: u32 = 0x08;
    /// Operation counter (firmware-owned).
    pub const OP_COUNT: u32 = 0x0C;
    /// [`INBOX_TAKEN`](super::INBOX_TAKEN) (firmware-owned).
    pub const INBOX_STATE: u32 = 0x10;
    /// [`FLASH_LOADED`](super::FLASH_LOADED) (firmware-owned).
    pub const FLASH_STATE: u32 = 0x14;
    /// [`STACK_PAINTED`](super::STACK_PAINTED) (firmware-owned).
    pub const STACK_STATE: u32 = 0x18;
}

/// The application has staged the inbox in this run ("STGD").
pub const INBOX_TAKEN: u32 = 0x4447_5453;
/// The bootloader has loaded `flash.bin` in this run ("LOAD").
pub const FLASH_LOADED: u32 = 0x4441_4F4C;

/// The bootloader has painted the free RAM in this run ("PNTD").
pub const STACK_PAINTED: u32 = 0x4454_4E50;

/// QEMU exit status of a power cut.
pub const EXIT_POWER_CUT: u32 = 99;
/// QEMU exit status when the bootloader finds nothing to boot.
pub const EXIT_NO_IMAGE: u32 = 2;
/// QEMU exit status of a hard fault.
pub const EXIT_FAULT: u32 = 3;
/// QEMU exit status when the harness set-up is wrong (e.g. no `flash.bin`).
pub const EXIT_HARNESS: u32 = 4;

/// Host file backing the flash window (NUL-terminated for semihosting).
pub const FLASH_FILE: &[u8] = b"flash.bin\0";
/// Host file the application stages with [`flags::APP_STAGE`].
pub const INBOX_FILE: &[u8] = b"inbox.bin\0";

/// What the harness asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// [`flags`] bits.
    pub flags: u32,
    /// Power fails before operation number `cut_after` (0: never).
    pub cut_after: u32,
}

impl Settings {
    /// Settings from the first three words of the block, if the magic matches.
    pub fn from_words(magic: u32, flags: u32, cut_after: u32) -> Option<Settings> {
        (magic == MAGIC).then_some(Settings { flags, cut_after })
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether power fails before operation number `count`.
    pub fn cuts_before(&self, count: u32) -> bool {
        self.cut_after != 0 && count == self.cut_after
    }
}

#[cfg_attr(not(target_os = "none"), allow(dead_code))]
fn word_ptr(off: u32) -> *mut u32 {
    (TESTCTL_ADDRESS + off) as usize as *mut u32
}

/// Read the control block; `None` when the harness did not fill it.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn settings() -> Option<Settings> {
    // SAFETY: the control block is 256 bytes of RAM at a fixed address that
    // both linker scripts leave out, so no Rust object lives there; the words
    // are aligned.
    let (magic, flags, cut) = unsafe {
        (
            word_ptr(offset::MAGIC).read_volatile(),
            word_ptr(offset::FLAGS).read_volatile(),
            word_ptr(offset::CUT_AFTER).read_volatile(),
        )
    };
    Settings::from_words(magic, flags, cut)
}

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use target::*;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod target {
    use super::*;
    use crate::layout::{FLASH_BASE, FLASH_SIZE, SECTOR_SIZE};
    use crate::semihost::{self, HostFile};
    use embedded_storage::nor_flash::{ErrorType, MultiwriteNorFlash, NorFlash, ReadNorFlash};

    fn read_word(off: u32) -> u32 {
        // SAFETY: see `settings`.
        unsafe { word_ptr(off).read_volatile() }
    }

    fn write_word(off: u32, v: u32) {
        // SAFETY: see `settings`; the firmware is single-threaded and no
        // interrupt handler touches the block.
        unsafe { word_ptr(off).write_volatile(v) }
    }

    /// The operation counter.
    pub fn op_count() -> u32 {
        read_word(offset::OP_COUNT)
    }

    /// `inbox.bin`, open for reading, unless the application staged it
    /// already in this QEMU run (marks it taken).
    pub fn take_inbox() -> Option<HostFile> {
        if read_word(offset::INBOX_STATE) == INBOX_TAKEN {
            return None;
        }
        write_word(offset::INBOX_STATE, INBOX_TAKEN);
        HostFile::open(INBOX_FILE, semihost::MODE_READ_BINARY)
    }

    /// Pattern of unused stack words (see [`paint_stack`]).
    const STACK_PAINT: u32 = 0x5354_4B21;

    extern "C" {
        /// End of `.bss` (cortex-m-rt's linker script): the stack may grow
        /// down to here.
        static mut __ebss: u32;
    }

    fn stack_floor() -> u32 {
        // Only the address is taken, nothing is read through it.
        (&raw const __ebss) as u32
    }

    /// Fill the RAM between the end of the statics and 256 bytes below the
    /// current stack pointer with a pattern (bootloader, under the harness,
    /// once per QEMU run), so that [`stack_high_water`] can tell how deep the
    /// stack went in every boot and application run since.
    pub fn paint_stack() {
        if read_word(offset::STACK_STATE) == STACK_PAINTED {
            return;
        }
        write_word(offset::STACK_STATE, STACK_PAINTED);
        let top = cortex_m::register::msp::read().saturating_sub(256) & !3;
        let mut at = (stack_floor() + 3) & !3;
        while at < top {
            // SAFETY: `[__ebss, msp - 256)` is RAM that holds no static (it
            // lies past `.bss`) and no live stack frame (it lies 256 bytes
            // below the stack pointer, and nothing is called in between).
            unsafe { (at as usize as *mut u32).write_volatile(STACK_PAINT) };
            at += 4;
        }
    }

    /// Bytes of RAM below the control block that the stack has used since
    /// [`paint_stack`] (bootloader and application together): from the top
    /// of the stack down to the lowest word no longer holding the pattern.
    pub fn stack_high_water() -> u32 {
        let mut at = (stack_floor() + 3) & !3;
        while at < TESTCTL_ADDRESS {
            // SAFETY: a word-aligned RAM address between the end of `.bss`
            // and the control block; reading it has no side effect.
            if unsafe { (at as usize as *const u32).read_volatile() } != STACK_PAINT {
                break;
            }
            at += 4;
        }
        TESTCTL_ADDRESS - at
    }

    /// A flash driver seen through the harness: counts operations, cuts
    /// power before the chosen one, writes completed ones through to
    /// `flash.bin`. Without a control block it only forwards.
    #[derive(Debug)]
    pub struct HarnessFlash<F> {
        inner: F,
        settings: Option<Settings>,
        file: Option<HostFile>,
    }

    impl<F: NorFlash> HarnessFlash<F> {
        /// Attach `inner` to the harness described by `settings`. With
        /// [`flags::FILE_BACKED`], open `flash.bin`, and when `load` is set
        /// (the bootloader) program it into the flash window unless that was
        /// done already in this QEMU run. Ends the run with [`EXIT_HARNESS`]
        /// if the file cannot be used.
        pub fn attach(mut inner: F, settings: Option<Settings>, load: bool) -> Self {
            let mut file = None;
            if settings.is_some_and(|s| s.has(flags::FILE_BACKED)) {
                let Some(f) = HostFile::open(FLASH_FILE, semihost::MODE_RW_BINARY) else {
                    semihost::exit(EXIT_HARNESS)
                };
                if load && read_word(offset::FLASH_STATE) != FLASH_LOADED {
                    if f.len() != Some(FLASH_SIZE as usize) || !load_file(&mut inner, &f) {
                        semihost::exit(EXIT_HARNESS)
                    }
                    write_word(offset::FLASH_STATE, FLASH_LOADED);
                }
                file = Some(f);
            }
            HarnessFlash {
                inner,
                settings,
                file,
            }
        }

        fn before(&mut self) {
            if let Some(s) = self.settings {
                let n = op_count().wrapping_add(1);
                write_word(offset::OP_COUNT, n);
                if s.cuts_before(n) {
                    semihost::exit(EXIT_POWER_CUT)
                }
            }
        }

        fn changed(&mut self, offset: u32, len: u32) {
            if let Some(f) = &self.file {
                // SAFETY: the driver reports ranges inside its window, i.e.
                // readable flash at FLASH_BASE + offset.
                let ok = f.seek(offset as usize)
                    && unsafe {
                        f.write_raw((FLASH_BASE + offset) as usize as *const u8, len as usize)
                    };
                if !ok {
                    semihost::exit(EXIT_HARNESS);
                }
            }
        }
    }

    /// Program `file` into the flash window page by page, erasing and
    /// programming only the pages that differ.
    fn load_file<F: NorFlash>(flash: &mut F, file: &HostFile) -> bool {
        let mut want = [0u8; SECTOR_SIZE as usize];
        let mut have = [0u8; SECTOR_SIZE as usize];
        let mut page = 0;
        while page < FLASH_SIZE {
            // SAFETY: `want` is a distinct, writable stack buffer.
            let n = unsafe { file.read_raw(want.as_mut_ptr(), want.len()) };
            if n != want.len() || flash.read(page, &mut have).is_err() {
                return false;
            }
            if want != have
                && (flash.erase(page, page + SECTOR_SIZE).is_err()
                    || flash.write(page, &want).is_err())
            {
                return false;
            }
            page += SECTOR_SIZE;
        }
        true
    }

    impl<F: NorFlash> ErrorType for HarnessFlash<F> {
        type Error = F::Error;
    }

    impl<F: NorFlash> ReadNorFlash for HarnessFlash<F> {
        const READ_SIZE: usize = F::READ_SIZE;
        fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
            self.inner.read(offset, bytes)
        }
        fn capacity(&self) -> usize {
            self.inner.capacity()
        }
    }

    impl<F: NorFlash> NorFlash for HarnessFlash<F> {
        const WRITE_SIZE: usize = F::WRITE_SIZE;
        const ERASE_SIZE: usize = F::ERASE_SIZE;

        fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
            if self.settings.is_none() {
                return self.inner.erase(from, to);
            }
            // One operation per page, so a cut can fall between pages.
            let page = F::ERASE_SIZE as u32;
            let mut at = from;
            while at < to {
                let end = at.saturating_add(page).min(to);
                self.before();
                self.inner.erase(at, end)?;
                self.changed(at, end - at);
                at = end;
            }
            // An empty or inverted range: let the driver judge it.
            if from >= to {
                self.inner.erase(from, to)?;
            }
            Ok(())
        }

        fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
            self.before();
            self.inner.write(offset, bytes)?;
            self.changed(offset, bytes.len() as u32);
            Ok(())
        }
    }

    impl<F: MultiwriteNorFlash> MultiwriteNorFlash for HarnessFlash<F> {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_gates_the_block() {
        assert_eq!(Settings::from_words(0, 1, 2), None);
        let s = Settings::from_words(MAGIC, flags::FILE_BACKED, 7).unwrap();
        assert!(s.has(flags::FILE_BACKED) && !s.has(flags::APP_STAGE));
        assert_eq!(&MAGIC.to_le_bytes(), b"CTBW");
        assert_eq!(&INBOX_TAKEN.to_le_bytes(), b"STGD");
        assert_eq!(&FLASH_LOADED.to_le_bytes(), b"LOAD");
        assert_eq!(&STACK_PAINTED.to_le_bytes(), b"PNTD");
    }

    #[test]
    fn cut_only_before_the_chosen_operation() {
        let s = Settings {
            flags: 0,
            cut_after: 3,
        };
        assert!(!s.cuts_before(2) && s.cuts_before(3) && !s.cuts_before(4));
        assert!(!Settings::default().cuts_before(0));
    }
}
