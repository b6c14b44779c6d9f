//! The board's numbers (`src/memory_map.rs`) for the shared build steps.
//!
//! `wolfboot_firmware_build::CortexMBoard` writes `device.x`, the
//! bootloader's `memory.x`, `config.rs` (`IMAGE_HEADER_SIZE` from
//! `WOLFBOOT_IMAGE_HEADER_SIZE`, default 256), `keystore.rs` (from
//! `WOLFBOOT_KEYSTORE_RS`, included by the bootloader binary only) and the
//! `links` metadata (`DEP_WOLFBOOT_MICROBIT_*`) an application's build script
//! places itself with.
#![allow(dead_code)]

#[path = "src/memory_map.rs"]
mod memory_map;
use memory_map::*;
use wolfboot_firmware_build::{cortex_m_board, image_header_size};

fn main() {
    let header_size = image_header_size(256);
    assert!(
        header_size.is_power_of_two() && header_size <= SECTOR_SIZE,
        "WOLFBOOT_IMAGE_HEADER_SIZE must be a power of two up to the sector size here"
    );
    cortex_m_board!(
        "the micro:bit",
        header_size,
        Some("/* nRF51: every interrupt uses DefaultHandler (see rt.rs) */\n")
    )
    .write();
}
