//! wolfboot-rs on the BBC micro:bit (nRF51822, Cortex-M0) and QEMU's
//! `microbit` machine.
//!
//! A board crate only glues the chip to the generic crates:
//!
//! * [`layout`]: the memory map (bootloader, BOOT, UPDATE, SWAP in the
//!   256 KiB flash) and the wolfBoot [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * the flash: `wolfboot-nrf-nvmc`'s driver over the window from BOOT to the
//!   end of flash (1 KiB pages), seen through [`testctl`]'s harness wrapper.
//! * the console: `wolfboot-mcu-boot`'s nRF UART on P0.24.
//! * [`testctl`]: the control block through which a host harness keeps the
//!   flash in a file and cuts power before the N-th flash operation.
//! * [`verifier`]: the image check with the bootloader's keystore.
//! * `semihost` (target only): QEMU exit status and host file calls.
//!
//! The bootloader binary is `src/main.rs`; the test application is
//! `examples/microbit-app`.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod layout;
pub mod testctl;
pub mod verifier;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use wolfboot_mcu_boot::semihost;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod rt;

/// The NVMC driver over the flash window (BOOT to the end of flash).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type Nvmc = wolfboot_nrf_nvmc::Nrf51Nvmc<wolfboot_nrf_nvmc::Mmio>;

/// The flash device of a firmware: the NVMC driver, watched by the harness.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlash = testctl::HarnessFlash<Nvmc>;

/// The board flash as the generic crates' [`FlashSet`](wolfboot_hal_flash::FlashSet).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlashSet = wolfboot_hal_flash::SingleFlash<BoardFlash>;

/// Take the board flash; `load`: the bootloader (loads `flash.bin` under
/// the harness). `None` if the window does not suit the driver (a memory
/// map error, caught by the layout tests).
///
/// # Safety
/// Call once per firmware; see [`wolfboot_nrf_nvmc::Mmio::new`]. No Rust
/// reference may point into the window (BOOT to the end of flash) while the
/// result is in use: the application runs from BOOT but only programs BOOT's
/// trailer sector and UPDATE.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_flash(settings: Option<testctl::Settings>, load: bool) -> Option<BoardFlashSet> {
    // SAFETY: forwarded to the caller.
    let bus = unsafe { wolfboot_nrf_nvmc::Mmio::new() };
    let nvmc = Nvmc::new(bus, layout::FLASH_BASE, layout::FLASH_SIZE)?;
    let flash = testctl::HarnessFlash::attach(nvmc, settings, load);
    Some(wolfboot_hal_flash::SingleFlash(flash))
}

/// wolfBoot's trailer options for this board: its defaults (words may be
/// programmed again with bits cleared, flash erases to 0xFF).
pub const TRAILER: wolfboot_swap_state_machine::TrailerConfig =
    wolfboot_swap_state_machine::TrailerConfig::DEFAULT;

/// What bootloader and application agree on, defined once: the layout
/// ([`layout::PARTITIONS`]) and [`TRAILER`]; updates are not encrypted.
pub const DEVICE: wolfboot_swap_state_machine::DeviceConfig =
    wolfboot_swap_state_machine::DeviceConfig::new(layout::PARTITIONS).with_trailer(TRAILER);
