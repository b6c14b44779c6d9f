//! What every Cortex-M bootloader binary of wolfboot-rs shares, so that a
//! board crate is only its memory map, its flash driver and its console:
//!
//! * [`console`]: a byte sink with number printing, without `core::fmt`
//!   (several kilobytes and panic paths a bootloader does without).
//! * [`report`]: the boot decision and every refusal as console text.
//! * [`jump`]: checking an application's vector table and handing over to
//!   it (with or without VTOR: the Cortex-M0 has none).
//! * [`nrf_uart`]: the UART of the nRF51 and nRF52 (transmit only).
//! * [`run`] (target only): verify, decide, report and jump;
//!   [`plain_bootloader!`] the whole firmware of a board that needs no more.
//! * `semihost` (target only): ARM semihosting exit and host files, for
//!   the QEMU boards' test harnesses.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

mod board;
pub mod console;
pub mod jump;
pub mod nrf_uart;
pub mod report;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod run;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod semihost;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use run::{run, Target};
