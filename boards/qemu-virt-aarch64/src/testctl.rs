//! The test control block: how a host harness drives the firmware under QEMU.
//!
//! Here the flash needs no help: flash bank 1 is QEMU's CFI flash model
//! backed by a host file (`-drive if=pflash,unit=1,format=raw,file=...`),
//! written through by QEMU at every completed erase and program. A power cut
//! is the harness killing QEMU (`SIGKILL`) and starting it again on the same
//! file. The control block only says *where* to cut, and lets the firmware
//! report what it does, through 4 KiB at the top of RAM
//! ([`TESTCTL_ADDRESS`]) that the harness fills with QEMU's generic loader:
//!
//! ```text
//! -device loader,addr=0x47fff000,data=0x56544257,data-len=4   magic "WBTV"
//! -device loader,addr=0x47fff004,data=<FLAGS>,data-len=4
//! -device loader,addr=0x47fff008,data=<N>,data-len=4          cut at operation N (0: never)
//! ```
//!
//! | offset | written by | meaning |
//! |--------|------------|---------|
//! | 0x00   | harness    | [`MAGIC`]; anything else: no harness (the firmware then never exits QEMU) |
//! | 0x04   | harness    | [`flags`] |
//! | 0x08   | harness    | `cut_at`: the N-th flash operation (one block erase or one program call) counted from QEMU start is a power cut; 0 never |
//! | 0x0C   | firmware   | operations so far. QEMU zeroes RAM when it starts and keeps it across resets, and no loader image covers this word, so the count runs across the bootloader and the application and across resets |
//! | 0x10   | firmware   | [`RECEIVED`] once the application has taken an update from the UART in this QEMU run |
//!
//! At the cut the firmware prints `cut: power cut at flash operation N` and
//! stops in a `wfi` loop; the harness, reading the UART, kills QEMU there.
//! With [`flags::TEAR`] the operation is half done first (see
//! [`Cut::Midway`]).

use crate::cfi::Cut;
use crate::layout::TESTCTL_ADDRESS;

/// "WBTV" read as a little-endian word.
pub const MAGIC: u32 = 0x5654_4257;

/// Control flags (word at offset 4).
pub mod flags {
    /// At the cut, the operation is half done (torn program, erase started)
    /// instead of not started.
    pub const TEAR: u32 = 1 << 1;
    /// The test application does not confirm itself (`wolfBoot_success`).
    pub const APP_NO_CONFIRM: u32 = 1 << 2;
    /// The test application waits for an update on the UART (once per QEMU
    /// run), stages it through `UpdateWriter` and triggers it if it verifies.
    pub const APP_RECEIVE: u32 = 1 << 4;
    /// Print every flash operation on the UART (`op N erase|program ...`).
    pub const TRACE: u32 = 1 << 5;
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
    /// [`RECEIVED`](super::RECEIVED) once an update was taken (firmware-owned).
    pub const RECEIVED: u32 = 0x10;
}

/// Value of the firmware-owned word once the application has taken an
/// update from the UART ("RCVD").
pub const RECEIVED: u32 = 0x4456_4352;

/// QEMU exit status when the bootloader finds nothing to boot.
pub const EXIT_NO_IMAGE: u32 = 2;
/// QEMU exit status of a CPU exception.
pub const EXIT_FAULT: u32 = 3;
/// QEMU exit status when the flash cannot be driven (no CFI flash, layout).
pub const EXIT_FLASH: u32 = 4;

/// What the harness asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// [`flags`] bits.
    pub flags: u32,
    /// Power fails at operation number `cut_at` (0: never).
    pub cut_at: u32,
}

impl Settings {
    /// Settings from the first three words of the block, if the magic matches.
    pub fn from_words(magic: u32, flags: u32, cut_at: u32) -> Option<Settings> {
        (magic == MAGIC).then_some(Settings { flags, cut_at })
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// What happens at operation number `count`: nothing unless it is the
    /// cut one.
    pub fn cut_for(&self, count: u32) -> Cut {
        if self.cut_at == 0 || count != self.cut_at {
            Cut::No
        } else if self.has(flags::TEAR) {
            Cut::Midway
        } else {
            Cut::Before
        }
    }
}

#[cfg_attr(not(target_os = "none"), allow(dead_code))]
fn word_ptr(off: u32) -> *mut u32 {
    (TESTCTL_ADDRESS + off) as usize as *mut u32
}

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
pub use target::*;

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
mod target {
    use super::*;
    use crate::cfi::{Monitor, Operation};
    use crate::console::{Console, Pl011};

    fn read_word(off: u32) -> u32 {
        // SAFETY: the control block is 4 KiB of RAM at a fixed, aligned
        // address that both linker scripts leave out, so no Rust object
        // lives there; only the harness (QEMU's loader, before the CPU runs)
        // and this module write it.
        unsafe { word_ptr(off).read_volatile() }
    }

    fn write_word(off: u32, value: u32) {
        // SAFETY: as in `read_word`; the firmware is single-threaded and no
        // exception handler writes the block.
        unsafe { word_ptr(off).write_volatile(value) }
    }

    /// Read the control block; `None` when the harness did not fill it.
    pub fn settings() -> Option<Settings> {
        Settings::from_words(
            read_word(offset::MAGIC),
            read_word(offset::FLAGS),
            read_word(offset::CUT_AT),
        )
    }

    /// The operation counter.
    pub fn op_count() -> u32 {
        read_word(offset::OP_COUNT)
    }

    /// Whether an update has already been taken from the UART in this QEMU
    /// run; marks it taken.
    pub fn take_receive() -> bool {
        if read_word(offset::RECEIVED) == RECEIVED {
            return false;
        }
        write_word(offset::RECEIVED, RECEIVED);
        true
    }

    /// The flash [`Monitor`] of a test run: counts operations, traces them,
    /// and stops at the cut for the harness to kill QEMU.
    #[derive(Debug)]
    pub struct HarnessMonitor {
        settings: Option<Settings>,
    }

    impl HarnessMonitor {
        /// A monitor for `settings` (`None`: does nothing).
        pub const fn new(settings: Option<Settings>) -> Self {
            HarnessMonitor { settings }
        }
    }

    fn describe(con: &mut Pl011, op: Operation) {
        let (what, offset, len) = match op {
            Operation::Erase { offset, len } => ("erase ", offset, len),
            Operation::Program { offset, len } => ("program ", offset, len),
        };
        con.print(what);
        con.hex(offset);
        con.print(" +");
        con.dec(len);
    }

    impl Monitor for HarnessMonitor {
        fn before(&mut self, op: Operation) -> Cut {
            let Some(s) = self.settings else {
                return Cut::No;
            };
            let n = op_count().wrapping_add(1);
            write_word(offset::OP_COUNT, n);
            if s.has(flags::TRACE) {
                // SAFETY: a second handle on the UART for one line; the
                // firmware is single-threaded, so lines do not interleave.
                let mut con = unsafe { Pl011::steal() };
                con.print("op ");
                con.dec(n);
                con.print(" ");
                describe(&mut con, op);
                con.println("");
            }
            s.cut_for(n)
        }

        fn cut(&mut self, op: Operation) {
            // SAFETY: as in `before`; nothing else runs after this.
            let mut con = unsafe { Pl011::steal() };
            con.print("cut: power cut at flash operation ");
            con.dec(op_count());
            con.print(" (");
            describe(&mut con, op);
            con.println(")");
            // The harness kills QEMU here: stop with the flash as it is.
            loop {
                crate::rt::wait_for_interrupt();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_gates_the_block() {
        assert_eq!(Settings::from_words(0, 1, 2), None);
        let s = Settings::from_words(MAGIC, flags::APP_RECEIVE, 7).unwrap();
        assert!(s.has(flags::APP_RECEIVE) && !s.has(flags::TEAR));
        assert_eq!(&MAGIC.to_le_bytes(), b"WBTV");
        assert_eq!(&RECEIVED.to_le_bytes(), b"RCVD");
    }

    #[test]
    fn cut_only_at_the_chosen_operation() {
        let s = Settings {
            flags: 0,
            cut_at: 3,
        };
        assert_eq!(s.cut_for(2), Cut::No);
        assert_eq!(s.cut_for(3), Cut::Before);
        assert_eq!(s.cut_for(4), Cut::No);
        let torn = Settings {
            flags: flags::TEAR,
            cut_at: 3,
        };
        assert_eq!(torn.cut_for(3), Cut::Midway);
        assert_eq!(Settings::default().cut_for(0), Cut::No);
    }
}
