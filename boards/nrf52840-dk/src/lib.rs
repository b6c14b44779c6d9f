//! wolfboot-rs on the nRF52840-DK (nRF52840, Cortex-M4F).
//!
//! A board crate only glues the chip to the generic crates:
//!
//! * [`layout`]: the memory map (wolfBoot's `nrf52840.config` partitions)
//!   and the wolfBoot [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * the flash: `wolfboot-nrf-nvmc`'s driver (4 KiB pages) over the window
//!   from BOOT to the end of flash.
//! * the console: `wolfboot-mcu-boot`'s nRF UART on P0.06 (the J-Link's
//!   virtual COM port).
//! * [`verifier`]: the image check with the bootloader's keystore.
//!
//! The bootloader binary is `src/main.rs`; the test application is
//! `examples/nrf52840-dk-app`.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

pub mod layout;
pub mod verifier;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod rt;

/// The NVMC driver over the flash window (BOOT to the end of flash).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlash = wolfboot_nrf_nvmc::Nrf52Nvmc<wolfboot_nrf_nvmc::Mmio>;

/// The board flash as the generic crates' [`FlashSet`](wolfboot_hal_flash::FlashSet).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlashSet = wolfboot_hal_flash::SingleFlash<BoardFlash>;

/// Take the board flash; `None` if the window does not suit the driver (a
/// memory map error, caught by the layout tests).
///
/// # Safety
/// Call once per firmware; see [`wolfboot_nrf_nvmc::Mmio::new`]. No Rust
/// reference may point into the window (BOOT to the end of flash) while the
/// result is in use: the application runs from BOOT but only programs BOOT's
/// trailer sector and UPDATE.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_flash() -> Option<BoardFlashSet> {
    // SAFETY: forwarded to the caller.
    let bus = unsafe { wolfboot_nrf_nvmc::Mmio::new() };
    let nvmc = BoardFlash::new(bus, layout::FLASH_BASE, layout::FLASH_SIZE)?;
    Some(wolfboot_hal_flash::SingleFlash(nvmc))
}

/// wolfBoot's trailer options for this board: its defaults, as wolfBoot's
/// `nrf52840.config` (`NVM_FLASH_WRITEONCE=0`).
pub const TRAILER: wolfboot_swap_state_machine::TrailerConfig =
    wolfboot_swap_state_machine::TrailerConfig::DEFAULT;
