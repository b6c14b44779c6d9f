//! wolfboot-rs on QEMU's `mps2-an385` (Cortex-M3).
//!
//! A board crate only glues the machine to the generic crates:
//!
//! * [`layout`]: the memory map (bootloader, BOOT, UPDATE, SWAP in the 4 MiB
//!   code SRAM) and the wolfBoot [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * [`flash`]: the code SRAM as an `embedded-storage` NOR flash with NOR rules enforced.
//! * [`console`]: the CMSDK UART0, and number printing without `core::fmt`.
//! * [`jump`]: checking an application vector table and handing over to it.
//! * [`testctl`]: the control block through which a host harness keeps the
//!   flash in a file and cuts power after N flash operations.
//! * [`verifier`]: the swap state machine's image check, by `wolfboot-verify`
//!   with the bootloader's keystore.
//! * `semihost` (target only): QEMU exit status and host file calls.
//!
//! The bootloader binary is `src/main.rs`; the test application is
//! `examples/mps2-an385-app`.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod console;
pub mod flash;
pub mod jump;
pub mod layout;
pub mod testctl;
pub mod verifier;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod semihost;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod rt;

/// The flash device of a firmware: the code SRAM above the bootloader,
/// watched by the test harness monitor.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlash = flash::SramFlash<flash::CodeSram, testctl::HarnessMonitor>;

/// The board flash as the generic crates' [`FlashSet`](wolfboot_hal_flash::FlashSet):
/// one internal device holding BOOT, UPDATE and SWAP.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlashSet =
    wolfboot_hal_flash::SingleFlash<wolfboot_hal_flash::NorFlashAdapter<BoardFlash>>;

/// Take the board flash: the code SRAM above the bootloader, watched by the
/// test harness (which, for the bootloader, loads `flash.bin` first).
///
/// # Safety
/// Call once per firmware; see [`flash::CodeSram::new`].
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_flash(settings: Option<testctl::Settings>, load: bool) -> BoardFlashSet {
    let monitor = testctl::HarnessMonitor::attach(settings, load);
    // SAFETY: forwarded to the caller.
    let cells = unsafe { flash::CodeSram::new() };
    wolfboot_hal_flash::SingleFlash(wolfboot_hal_flash::NorFlashAdapter(flash::SramFlash::new(
        cells, monitor,
    )))
}

/// wolfBoot's trailer options for this board: its defaults (words may be
/// programmed again with bits cleared, so no `NVM_FLASH_WRITEONCE`; flash
/// erases to 0xFF, so no `WOLFBOOT_FLAGS_INVERT`; no `TRAILER_SKIP`).
pub const TRAILER: wolfboot_swap_state_machine::TrailerConfig =
    wolfboot_swap_state_machine::TrailerConfig::DEFAULT;
