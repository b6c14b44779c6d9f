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
use wolfboot_firmware_build::{image_header_size, CortexMBoard, Layout};

fn main() {
    let header_size = image_header_size(256);
    assert!(
        header_size.is_power_of_two() && header_size <= SECTOR_SIZE,
        "WOLFBOOT_IMAGE_HEADER_SIZE must be a power of two up to the sector size here"
    );
    CortexMBoard {
        name: "the micro:bit",
        bootloader_flash: (BOOTLOADER_ADDRESS, BOOTLOADER_SIZE),
        bootloader_ram: (RAM_BASE, LINKER_RAM_SIZE),
        device_x: Some("/* nRF51: every interrupt uses DefaultHandler (see rt.rs) */\n"),
        layout: Layout {
            boot_address: BOOT_ADDRESS,
            partition_size: PARTITION_SIZE,
            sector_size: SECTOR_SIZE,
            image_header_size: header_size,
            ram_base: RAM_BASE,
            ram_size: LINKER_RAM_SIZE,
        },
    }
    .write();
}
