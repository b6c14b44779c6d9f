//! wolfboot-rs on QEMU's AArch64 `virt` machine (Cortex-A53).
//!
//! A board crate only glues the machine to the generic crates:
//!
//! * [`layout`]: the memory map (BOOT, UPDATE, SWAP in flash bank 1; the
//!   bootloader, the application and the test control block in RAM) and the
//!   wolfBoot [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * [`cfi`]: a CFI parallel NOR flash driver (Intel command set) for the
//!   `wolfboot_hal_flash::Flash` contract: probe, block erase, word and
//!   buffered program, status polling with deadlines, typed errors.
//! * [`console`]: the PL011 UART, and number printing without `core::fmt`.
//! * [`jump`]: the arm64 `Image` header check, the copy to RAM and the entry.
//! * [`testctl`]: the control block through which a host harness chooses a
//!   power-cut point and reads flash operations on the UART.
//! * [`transfer`]: the framing of an update sent over the UART.
//! * [`verifier`]: the swap state machine's image check, by `wolfboot-verify`
//!   with the bootloader's keystore.
//! * `rt`, `bank` (target only): reset code, exception vectors, PSCI reset,
//!   semihosting exit, generic timer; the flash bank's bus.
//!
//! The bootloader binary is `src/main.rs`; the test application is
//! `examples/qemu-virt-aarch64-app`.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod cfi;
pub mod console;
pub mod jump;
pub mod layout;
pub mod testctl;
pub mod transfer;
pub mod verifier;

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
pub mod bank;
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
pub mod rt;

/// wolfBoot's trailer options for this board: its defaults (words may be
/// programmed again with more bits cleared, as Intel-command-set NOR allows,
/// so no `NVM_FLASH_WRITEONCE`; the flash erases to 0xFF, so no
/// `WOLFBOOT_FLAGS_INVERT`).
pub const TRAILER: wolfboot_swap_state_machine::TrailerConfig =
    wolfboot_swap_state_machine::TrailerConfig::DEFAULT;

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
pub use target::*;

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
mod target {
    use crate::cfi::{CfiError, CfiFlash};
    use crate::console::{Console, Pl011};
    use crate::{bank, rt, testctl};

    /// The flash of a firmware: bank 1 through the CFI driver, timed by the
    /// generic timer, watched by the test harness monitor.
    pub type BoardFlash = CfiFlash<bank::Bank1, rt::GenericTimer, testctl::HarnessMonitor>;

    /// The board flash as the generic crates' [`FlashSet`](wolfboot_hal_flash::FlashSet):
    /// one device holding BOOT, UPDATE and SWAP.
    pub type BoardFlashSet = wolfboot_hal_flash::SingleFlash<BoardFlash>;

    /// Probe flash bank 1 and take it.
    ///
    /// # Safety
    /// Call once per firmware; see [`bank::Bank1::new`].
    pub unsafe fn take_flash(
        settings: Option<testctl::Settings>,
    ) -> Result<BoardFlashSet, CfiError> {
        // SAFETY: forwarded to the caller.
        let bus = unsafe { bank::Bank1::new() };
        let monitor = testctl::HarnessMonitor::new(settings);
        CfiFlash::probe(bus, rt::GenericTimer, monitor).map(wolfboot_hal_flash::SingleFlash)
    }

    /// Where every exception ends: report it, and end the run under the
    /// harness. Called by the vectors in `rt` on a fresh stack.
    #[no_mangle]
    extern "C" fn board_exception(kind: u64, esr: u64, elr: u64, far: u64) -> ! {
        // SAFETY: the firmware is single-threaded and whatever was printing
        // will never run again.
        let mut con = unsafe { Pl011::steal() };
        con.print("fault: exception ");
        con.dec(kind as u32);
        con.print(" ESR ");
        con.hex(esr as u32);
        con.print(" ELR ");
        con.hex(elr as u32);
        con.print(" FAR ");
        con.hex(far as u32);
        con.println("");
        if testctl::settings().is_some() {
            rt::semihost_exit(testctl::EXIT_FAULT);
        }
        loop {
            rt::wait_for_interrupt();
        }
    }
}
