//! The host "simulator" board, as wolfBoot's `TARGET=sim`.
//!
//! * [`config`]: the flash file layout (partition addresses and sizes), the
//!   header size and the trusted keystore.
//! * [`flash`]: the file-backed NOR flash both programs open.
//! * `harness` (feature `harness`): drives the real binaries for the demo and
//!   the scenario tests.
//!
//! The bootloader (`wolfboot-sim`) runs the boot decision of
//! `wolfboot-swap-state-machine` on the flash file, then runs the payload of
//! BOOT — a host executable — from memory. The test application (`sim-app`)
//! is that executable: it calls `wolfboot-libwolfboot` on the same file.

pub mod config;
pub mod flash;

#[cfg(feature = "harness")]
pub mod harness;
