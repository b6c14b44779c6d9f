//! The test control block: how a host harness drives the firmware under QEMU.
//!
//! The code SRAM that plays the flash vanishes when QEMU exits, and QEMU
//! copies every `-kernel` / `-device loader` image back into RAM at each
//! system reset, so an image loaded that way would come back after the
//! application resets into the bootloader. For update, rollback and power-cut
//! tests the harness therefore keeps the flash in a host file and tells the
//! firmware, through 256 bytes at the top of RAM ([`TESTCTL_ADDRESS`]),
//! which it fills with QEMU's generic loader:
//!
//! ```text
//! -device loader,addr=0x203fff00,data=0x57425443,data-len=4   magic "CTBW"
//! -device loader,addr=0x203fff04,data=<FLAGS>,data-len=4
//! -device loader,addr=0x203fff08,data=<N>,data-len=4          cut power at op N (0: never)
//! ```
//!
//! | offset | written by | meaning |
//! |--------|------------|---------|
//! | 0x00   | harness    | [`MAGIC`]; anything else disables the block |
//! | 0x04   | harness    | [`flags`] |
//! | 0x08   | harness    | `cut_after`: power fails during the N-th flash operation (one sector erase or one program call) counted from QEMU start; 0 never |
//! | 0x0C   | firmware   | operations so far. QEMU zeroes RAM at start and keeps it across resets, and no loader image covers this word, so the count runs across the bootloader and application and across resets |
//! | 0x10   | harness    | `inbox_len`: bytes of the image the harness placed in the update inbox ([`INBOX_ADDRESS`](crate::layout::INBOX_ADDRESS)) |
//! | 0x14   | firmware   | [`INBOX_TAKEN`] once the application has streamed the inbox (QEMU restores the inbox and the harness words at every reset, but not this word, so the application stages it once per QEMU run) |
//! | 0x20   | harness    | 48 bytes: update-encryption key then nonce (a key file as `sign --encrypt` reads it) for [`flags::APP_SET_KEY`] |
//!
//! With [`flags::APP_STAGE`] the harness also loads a signed image into the
//! update inbox, the 1 MiB of RAM below the block
//! (`-device loader,file=image.bin,addr=0x202fff00` and its length at 0x10),
//! and the test application streams it through `UpdateWriter` in small
//! chunks, as a transport (UART, network) would deliver it.
//!
//! With [`flags::FILE_BACKED`] the bootloader loads the flash device
//! (`FLASH_BASE..` end of code SRAM) from `flash.bin` in QEMU's working
//! directory at every boot, and the bootloader and application write every
//! completed erase or program through to the file (semihosting
//! `SYS_SEEK` + `SYS_WRITE`). The file is thus the flash: QEMU can be killed or
//! power cut at any point and restarted on the same file. At the cut the
//! firmware ends QEMU with status [`EXIT_POWER_CUT`]; with [`flags::TEAR`] the
//! cut operation is half done first (torn erase or program).

use crate::layout::TESTCTL_ADDRESS;

/// "CTBW" read as a little-endian word.
pub const MAGIC: u32 = 0x5742_5443;

/// Control flags (word at offset 4).
pub mod flags {
    /// The flash lives in `flash.bin` on the host (loaded at boot, written through).
    pub const FILE_BACKED: u32 = 1 << 0;
    /// At the power cut, the operation is half done (torn) instead of not started.
    pub const TEAR: u32 = 1 << 1;
    /// The test application does not confirm itself (`wolfBoot_success`).
    pub const APP_NO_CONFIRM: u32 = 1 << 2;
    /// The test application triggers the update staged in UPDATE, then resets.
    pub const APP_TRIGGER: u32 = 1 << 3;
    /// The test application streams the image in the update inbox into
    /// UPDATE through `UpdateWriter` (verified there), and triggers it only
    /// if it verified; once per QEMU run.
    pub const APP_STAGE: u32 = 1 << 4;
    /// The test application stores the update-encryption key and nonce the
    /// harness placed at [`offset::KEY`](super::offset::KEY)
    /// (`set_encrypt_key`), unless the same ones are already stored (builds
    /// with an `encrypt-*` feature).
    pub const APP_SET_KEY: u32 = 1 << 5;
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
    /// Length of the image in the update inbox.
    pub const INBOX_LEN: u32 = 0x10;
    /// [`INBOX_TAKEN`](super::INBOX_TAKEN) once the inbox was staged (firmware-owned).
    pub const INBOX_STATE: u32 = 0x14;
    /// Update-encryption key then nonce ([`KEY_AREA`](super::KEY_AREA)
    /// bytes; a cipher uses the first key + nonce length of them), for
    /// [`flags::APP_SET_KEY`](super::flags::APP_SET_KEY).
    pub const KEY: u32 = 0x20;
}

/// Bytes of the key area of the block: the longest key (32) and nonce (16).
pub const KEY_AREA: usize = 48;
const _: () = assert!(offset::KEY as usize + KEY_AREA <= 0x100 && KEY_AREA.is_multiple_of(4));

/// Value of the firmware-owned inbox word once the application has staged
/// the inbox ("STGD").
pub const INBOX_TAKEN: u32 = 0x4447_5453;

/// QEMU exit status of a power cut.
pub const EXIT_POWER_CUT: u32 = 99;
/// QEMU exit status when the bootloader finds nothing to boot.
pub const EXIT_NO_IMAGE: u32 = 2;
/// QEMU exit status of a hard fault.
pub const EXIT_FAULT: u32 = 3;
/// QEMU exit status when the harness set-up is wrong (e.g. no `flash.bin`).
pub const EXIT_HARNESS: u32 = 4;

/// Name of the host file backing the flash (NUL-terminated for semihosting).
pub const FLASH_FILE: &[u8] = b"flash.bin\0";

/// What the harness asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// [`flags`] bits.
    pub flags: u32,
    /// Power fails during operation number `cut_after` (0: never).
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

    /// How much of operation number `count` (of `len` bytes) completes: all of
    /// it unless it is the cut one.
    pub fn power_for(&self, count: u32, len: u32) -> crate::flash::Power {
        if self.cut_after == 0 || count != self.cut_after {
            crate::flash::Power::On
        } else if self.has(flags::TEAR) {
            crate::flash::Power::FailsAfter(len / 2)
        } else {
            crate::flash::Power::FailsAfter(0)
        }
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
    use crate::flash::{Monitor, Operation, Power};
    use crate::layout::{FLASH_BASE, FLASH_SIZE, INBOX_ADDRESS, INBOX_SIZE};
    use crate::semihost::{self, HostFile};

    /// The operation counter (firmware-owned word of the control block).
    pub fn op_count() -> u32 {
        // SAFETY: see `settings`.
        unsafe { word_ptr(offset::OP_COUNT).read_volatile() }
    }

    fn set_op_count(n: u32) {
        // SAFETY: see `settings`; the firmware is single-threaded and no
        // interrupt handler touches the block.
        unsafe { word_ptr(offset::OP_COUNT).write_volatile(n) }
    }

    /// The image the harness placed in the update inbox (empty when the
    /// length word is 0; at most [`INBOX_SIZE`] bytes), if the application
    /// has not taken it yet in this QEMU run. Marks it taken.
    pub fn take_inbox() -> Option<&'static [u8]> {
        // SAFETY: see `settings`; the inbox word is firmware-owned.
        let (len, state) = unsafe {
            (
                word_ptr(offset::INBOX_LEN).read_volatile(),
                word_ptr(offset::INBOX_STATE).read_volatile(),
            )
        };
        if state == INBOX_TAKEN {
            return None;
        }
        // SAFETY: as above.
        unsafe { word_ptr(offset::INBOX_STATE).write_volatile(INBOX_TAKEN) };
        let len = len.min(INBOX_SIZE) as usize;
        // SAFETY: the inbox is RAM at a fixed address that both linker
        // scripts leave out (no Rust object lives there), only QEMU's loader
        // writes it (at reset, before any firmware runs), and `len` is
        // clamped to its size.
        Some(unsafe { core::slice::from_raw_parts(INBOX_ADDRESS as usize as *const u8, len) })
    }

    /// The key area of the block ([`offset::KEY`]): key then nonce, for
    /// [`flags::APP_SET_KEY`].
    pub fn key_area() -> [u8; KEY_AREA] {
        let mut key = [0u8; KEY_AREA];
        for (i, chunk) in key.chunks_exact_mut(4).enumerate() {
            // SAFETY: see `settings`; the key area lies inside the block.
            let w = unsafe { word_ptr(offset::KEY + 4 * i as u32).read_volatile() };
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        key
    }

    /// The flash [`Monitor`] of a test run: counts operations, writes them
    /// through to `flash.bin`, and cuts power when told.
    #[derive(Debug)]
    pub struct HarnessMonitor {
        settings: Option<Settings>,
        file: Option<HostFile>,
    }

    impl HarnessMonitor {
        /// A monitor that does nothing (no control block).
        pub const fn inactive() -> Self {
            HarnessMonitor {
                settings: None,
                file: None,
            }
        }

        /// Attach to the harness described by `settings`. With
        /// [`flags::FILE_BACKED`], open `flash.bin`, and when `load` is set
        /// (the bootloader, at each boot) copy it into the flash device.
        /// Ends the run with [`EXIT_HARNESS`] if the file cannot be used.
        pub fn attach(settings: Option<Settings>, load: bool) -> Self {
            let Some(s) = settings else {
                return Self::inactive();
            };
            let mut file = None;
            if s.has(flags::FILE_BACKED) {
                let Some(f) = HostFile::open(FLASH_FILE, semihost::MODE_RW_BINARY) else {
                    semihost::exit(EXIT_HARNESS)
                };
                if load {
                    let len = f.len().unwrap_or(0).min(FLASH_SIZE as usize);
                    // SAFETY: `[FLASH_BASE, FLASH_BASE + len)` is code SRAM
                    // above the bootloader (len ≤ FLASH_SIZE), and no
                    // `CodeSram` exists yet, so nothing else accesses it.
                    let read = unsafe { f.read_raw(FLASH_BASE as usize as *mut u8, len) };
                    if !f.seek(0) || read != len || len == 0 {
                        semihost::exit(EXIT_HARNESS);
                    }
                }
                file = Some(f);
            }
            HarnessMonitor {
                settings: Some(s),
                file,
            }
        }

        /// Whether a control block is present.
        pub fn settings(&self) -> Option<Settings> {
            self.settings
        }
    }

    impl Monitor for HarnessMonitor {
        fn before(&mut self, op: Operation) -> Power {
            let Some(s) = self.settings else {
                return Power::On;
            };
            let n = op_count().wrapping_add(1);
            set_op_count(n);
            let len = match op {
                Operation::Erase { len, .. } | Operation::Program { len, .. } => len,
            };
            s.power_for(n, len)
        }

        fn changed(&mut self, offset: u32, len: u32) {
            if let Some(f) = &self.file {
                // SAFETY: the flash driver reports ranges inside the device,
                // i.e. readable code SRAM at FLASH_BASE + offset.
                let ok = f.seek(offset as usize)
                    && unsafe {
                        f.write_raw((FLASH_BASE + offset) as usize as *const u8, len as usize)
                    };
                if !ok {
                    semihost::exit(EXIT_HARNESS);
                }
            }
        }

        fn power_lost(&mut self) {
            semihost::exit(EXIT_POWER_CUT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flash::Power;

    #[test]
    fn magic_gates_the_block() {
        assert_eq!(Settings::from_words(0, 1, 2), None);
        let s = Settings::from_words(MAGIC, flags::FILE_BACKED, 7).unwrap();
        assert!(s.has(flags::FILE_BACKED) && !s.has(flags::TEAR));
        assert_eq!(&MAGIC.to_le_bytes(), b"CTBW");
        assert_eq!(&INBOX_TAKEN.to_le_bytes(), b"STGD");
    }

    #[test]
    fn cut_only_at_the_chosen_operation() {
        let s = Settings {
            flags: 0,
            cut_after: 3,
        };
        assert_eq!(s.power_for(2, 4096), Power::On);
        assert_eq!(s.power_for(3, 4096), Power::FailsAfter(0));
        assert_eq!(s.power_for(4, 4096), Power::On);
        let torn = Settings {
            flags: flags::TEAR,
            cut_after: 3,
        };
        assert_eq!(torn.power_for(3, 4096), Power::FailsAfter(2048));
        assert_eq!(Settings::default().power_for(0, 4), Power::On);
    }
}
