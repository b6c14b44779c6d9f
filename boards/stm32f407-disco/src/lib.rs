//! wolfboot-rs on the STM32F407G-DISC1 (STM32F407VG, Cortex-M4F).
//!
//! A board crate only glues the chip to the generic crates:
//!
//! * [`layout`]: the memory map (bootloader in the small sectors 0-4, BOOT,
//!   UPDATE and SWAP in 128 KiB sectors) and the wolfBoot
//!   [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * the flash: `wolfboot-stm32f4-flash`'s driver over sectors 5-11, with the
//!   registers from the stm32-rs PAC.
//! * `console` (target only): USART2 TX on PA2.
//! * [`verifier`]: the image check with the bootloader's keystore.
//!
//! The bootloader binary is `src/main.rs`; the example application is
//! `examples/stm32f407-disco-app`.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

pub mod layout;
pub mod verifier;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod console;

/// The FLASH driver over the window (BOOT to the end of flash).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlash = wolfboot_stm32f4_flash::Stm32f4Flash<wolfboot_stm32f4_flash::Pac>;

/// The board flash as the generic crates' [`FlashSet`](wolfboot_hal_flash::FlashSet).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlashSet = wolfboot_hal_flash::SingleFlash<BoardFlash>;

/// Take the board flash; `None` if the window does not suit the driver (a
/// memory map error, caught by the layout tests).
///
/// # Safety
/// Call once per firmware; see [`wolfboot_stm32f4_flash::Pac::steal`]. The
/// application runs from BOOT but only programs BOOT's trailer sector and
/// UPDATE, which hold no Rust object.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_flash() -> Option<BoardFlashSet> {
    // SAFETY: forwarded to the caller.
    let regs = unsafe { wolfboot_stm32f4_flash::Pac::steal() };
    let flash = BoardFlash::new(regs, layout::FLASH_BASE, layout::FLASH_SIZE)?;
    Some(wolfboot_hal_flash::SingleFlash(flash))
}

/// wolfBoot's trailer options for this board: its defaults, as wolfBoot's
/// `stm32f4.config` (`NVM_FLASH_WRITEONCE=0`).
pub const TRAILER: wolfboot_swap_state_machine::TrailerConfig =
    wolfboot_swap_state_machine::TrailerConfig::DEFAULT;
