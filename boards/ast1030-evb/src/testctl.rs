//! The test control block: how `cargo xtask` drives the firmware under QEMU.
//!
//! QEMU runs with `-no-reboot`: every reset (the application's after it
//! triggered an update, the end of a test run, a power cut) ends QEMU
//! *gracefully*, so the SPI NOR model has written every completed program
//! and erase to its backing file (`m25p80` writes it back asynchronously;
//! a semihosting exit could lose the last ones). The harness then starts
//! QEMU again on the same files: the SPI flash file persists by itself, the
//! internal flash (SRAM) through `internal.bin`, which the bootloader loads
//! at boot and both firmwares write through after every completed operation
//! (semihosting).
//!
//! 256 bytes at [`TESTCTL_ADDRESS`], filled by QEMU's generic loader:
//!
//! | offset | written by | meaning |
//! |--------|------------|---------|
//! | 0x00 | harness | [`MAGIC`]; anything else disables the block |
//! | 0x04 | harness | [`flags`] |
//! | 0x08 | harness | `cut_at`: the power fails just before the N-th flash operation of this QEMU run, on either device (0: never) |
//! | 0x0C | firmware | flash operations so far in this run (one sector erase or one program call) |
//! | 0x10 | harness | length of the image in the update inbox |
//! | 0x20 | harness | 48 bytes: update-encryption key then nonce (`APP_SET_KEY`) |
//!
//! Every run ends with a line `run end: <why>, <N> flash operations` on the
//! UART and a system reset.

use crate::layout::{FLASH_BASE, FLASH_SIZE, INBOX_ADDRESS, INBOX_SIZE, TESTCTL_ADDRESS};

/// "CTBW" read as a little-endian word.
pub const MAGIC: u32 = 0x5742_5443;

/// Control flags (word at offset 4).
pub mod flags {
    /// The internal flash lives in `internal.bin` on the host.
    pub const FILE_BACKED: u32 = 1 << 0;
    /// The test application does not confirm itself (`wolfBoot_success`).
    pub const APP_NO_CONFIRM: u32 = 1 << 2;
    /// The test application streams the image in the update inbox into
    /// UPDATE through `UpdateWriter` and triggers it if it verified.
    pub const APP_STAGE: u32 = 1 << 4;
    /// The test application stores the key and nonce of the key area
    /// (`set_encrypt_key`) unless they are stored already.
    pub const APP_SET_KEY: u32 = 1 << 5;
}

/// Offsets inside the block.
pub mod offset {
    /// Magic word.
    pub const MAGIC: u32 = 0x00;
    /// Flags word.
    pub const FLAGS: u32 = 0x04;
    /// Power-cut operation number.
    pub const CUT_AT: u32 = 0x08;
    /// Operation counter (firmware-owned).
    pub const OP_COUNT: u32 = 0x0C;
    /// Length of the image in the update inbox.
    pub const INBOX_LEN: u32 = 0x10;
    /// Key area.
    pub const KEY: u32 = 0x20;
}

/// Size of the key area: the largest key + nonce (AES-256: 32 + 16).
pub const KEY_AREA: usize = 48;

/// Host file holding the internal flash (NUL-terminated for semihosting).
pub const FLASH_FILE: &[u8] = b"internal.bin\0";

/// The harness settings, if a control block is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    flags: u32,
}

impl Settings {
    /// Whether `flag` is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

fn word_ptr(offset: u32) -> *mut u32 {
    (TESTCTL_ADDRESS + offset) as usize as *mut u32
}

fn word(offset: u32) -> u32 {
    // SAFETY: the control block is 256 bytes of SRAM outside both linker
    // scripts (see `layout`), word aligned; nothing else owns it.
    unsafe { word_ptr(offset).read_volatile() }
}

fn set_word(offset: u32, value: u32) {
    // SAFETY: as in `word`; only the firmware-owned counter is written.
    unsafe { word_ptr(offset).write_volatile(value) }
}

/// The control block's settings, `None` without the magic word.
pub fn settings() -> Option<Settings> {
    (word(offset::MAGIC) == MAGIC).then(|| Settings {
        flags: word(offset::FLAGS),
    })
}

/// Flash operations so far in this QEMU run.
pub fn op_count() -> u32 {
    word(offset::OP_COUNT)
}

/// The image the harness placed in the update inbox (empty if none).
pub fn inbox() -> &'static [u8] {
    let len = word(offset::INBOX_LEN).min(INBOX_SIZE) as usize;
    // SAFETY: the inbox is SRAM outside both linker scripts, loaded by QEMU
    // before reset and never written by the firmware.
    unsafe { core::slice::from_raw_parts(INBOX_ADDRESS as usize as *const u8, len) }
}

/// The key area (key then nonce).
pub fn key_area() -> &'static [u8] {
    // SAFETY: 48 bytes inside the control block (see `word`), never written
    // by the firmware.
    unsafe {
        core::slice::from_raw_parts(
            (TESTCTL_ADDRESS + offset::KEY) as usize as *const u8,
            KEY_AREA,
        )
    }
}

/// End this run: print why and the operation count, then reset (which ends
/// QEMU under `-no-reboot`, after it flushed the SPI flash file).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn end_run(why: &str) -> ! {
    use crate::uart::{Console, Uart};
    // SAFETY: the run is over; nothing else prints any more.
    let mut con = unsafe { Uart::new() };
    con.print("run end: ");
    con.print(why);
    con.print(", ");
    con.dec(op_count());
    con.println(" flash operations");
    cortex_m::peripheral::SCB::sys_reset()
}

/// Count a flash operation about to start; at the harness's cut point the
/// power fails before it (the run ends here).
pub fn before_operation() {
    if settings().is_none() {
        return;
    }
    let n = op_count().wrapping_add(1);
    if word(offset::CUT_AT) == n {
        #[cfg(all(target_arch = "arm", target_os = "none"))]
        end_run("power cut");
    }
    set_word(offset::OP_COUNT, n);
}

/// BOOT's SRAM as the cells of the mps2 library's `SramFlash`.
#[derive(Debug)]
pub struct BootSram {
    _private: (),
}

impl BootSram {
    /// The cells.
    ///
    /// # Safety
    /// `[FLASH_BASE, FLASH_BASE + FLASH_SIZE)` must be owned by this object
    /// (no Rust reference into it elsewhere).
    pub const unsafe fn new() -> Self {
        BootSram { _private: () }
    }

    fn in_range(offset: u32, len: usize) -> bool {
        u32::try_from(len)
            .ok()
            .and_then(|l| offset.checked_add(l))
            .is_some_and(|end| end <= FLASH_SIZE)
    }
}

impl wolfboot_board_mps2_an385::flash::Cells for BootSram {
    fn capacity(&self) -> u32 {
        FLASH_SIZE
    }

    fn load(&self, offset: u32, buf: &mut [u8]) -> bool {
        if !Self::in_range(offset, buf.len()) {
            return false;
        }
        // SAFETY: inside the owned SRAM range (checked), not overlapping `buf`
        // (which is RAM above it).
        unsafe {
            core::ptr::copy_nonoverlapping(
                (FLASH_BASE + offset) as usize as *const u8,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        true
    }

    fn store_word(&mut self, offset: u32, word: u32) -> bool {
        if !offset.is_multiple_of(4) || !Self::in_range(offset, 4) {
            return false;
        }
        // SAFETY: an aligned word inside the owned SRAM range (checked).
        unsafe { ((FLASH_BASE + offset) as usize as *mut u32).write_volatile(word.to_le()) };
        true
    }
}

/// Counts internal-flash operations and writes them through to `internal.bin`.
#[derive(Debug)]
pub struct HarnessMonitor {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    file: Option<wolfboot_board_mps2_an385::semihost::HostFile>,
}

impl HarnessMonitor {
    /// Open (and with `load`, load) the internal flash file when the harness
    /// asks for it.
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    pub fn attach(settings: Option<Settings>, load: bool) -> Self {
        use wolfboot_board_mps2_an385::semihost::{HostFile, MODE_RW_BINARY};
        let file = match settings {
            Some(s) if s.has(flags::FILE_BACKED) => {
                let Some(f) = HostFile::open(FLASH_FILE, MODE_RW_BINARY) else {
                    end_run("internal.bin missing")
                };
                if load {
                    let len = f.len().unwrap_or(0).min(FLASH_SIZE as usize);
                    // SAFETY: `[FLASH_BASE, FLASH_BASE + len)` is BOOT's SRAM
                    // (len ≤ FLASH_SIZE), owned by the caller of `take_flash`.
                    let got = unsafe { f.read_raw(FLASH_BASE as usize as *mut u8, len) };
                    if got != len {
                        end_run("internal.bin unreadable");
                    }
                }
                Some(f)
            }
            _ => None,
        };
        HarnessMonitor { file }
    }
}

impl wolfboot_board_mps2_an385::flash::Monitor for HarnessMonitor {
    fn before(
        &mut self,
        _op: wolfboot_board_mps2_an385::flash::Operation,
    ) -> wolfboot_board_mps2_an385::flash::Power {
        before_operation();
        wolfboot_board_mps2_an385::flash::Power::On
    }

    #[cfg(all(target_arch = "arm", target_os = "none"))]
    fn changed(&mut self, offset: u32, len: u32) {
        if let Some(f) = &self.file {
            // SAFETY: `[FLASH_BASE + offset, +len)` lies in BOOT's SRAM (the
            // flash checked the range before changing it).
            let ok = f.seek(offset as usize)
                && unsafe {
                    f.write_raw((FLASH_BASE + offset) as usize as *const u8, len as usize)
                };
            if !ok {
                end_run("internal.bin write failed");
            }
        }
    }
}

/// A flash whose every program and (per sector) erase counts as one
/// operation for the harness's power cut.
#[derive(Debug)]
pub struct Counted<F>(pub F);

impl<F: wolfboot_hal_flash::Flash> wolfboot_hal_flash::Flash for Counted<F> {
    type Error = F::Error;

    fn geometry(&self) -> wolfboot_hal_flash::Geometry {
        self.0.geometry()
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Self::Error> {
        self.0.read(offset, buf)
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), Self::Error> {
        before_operation();
        self.0.write(offset, data)
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let sector = self.0.geometry().erase_size;
        let mut at = from;
        while at < to {
            let next = at.saturating_add(sector).min(to);
            before_operation();
            self.0.erase(at, next)?;
            at = next;
        }
        // An empty or inverted range: let the device judge it.
        if from >= to {
            self.0.erase(from, to)?;
        }
        Ok(())
    }
}
