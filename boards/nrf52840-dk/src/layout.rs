//! The memory map (see the table in `memory_map.rs`) and the wolfBoot
//! partition set built from it.

include!("memory_map.rs");
include!(concat!(env!("OUT_DIR"), "/config.rs"));

const _: () = assert!(SWAP_ADDRESS + SWAP_SIZE <= CHIP_FLASH_BASE + CHIP_FLASH_SIZE);
const _: () = assert!(UPDATE_ADDRESS >= BOOT_ADDRESS + PARTITION_SIZE);
const _: () = assert!(SWAP_ADDRESS >= UPDATE_ADDRESS + PARTITION_SIZE);
const _: () = assert!(BOOT_ADDRESS == FLASH_BASE && FLASH_SIZE.is_multiple_of(SECTOR_SIZE));

/// Where the application's vector table is: BOOT plus the image header.
pub const APP_ENTRY_ADDRESS: u32 = BOOT_ADDRESS + IMAGE_HEADER_SIZE;

wolfboot_hal_flash::partitions_from_memory_map!();

/// The application's vector-table rules: VTOR, 64 entries (256 bytes).
pub const VECTOR_RULES: wolfboot_mcu_boot::jump::VectorRules =
    wolfboot_mcu_boot::jump::VectorRules {
        ram_start: RAM_BASE,
        ram_end: RAM_BASE + RAM_SIZE,
        vtor_align: 256,
        has_vtor: true,
    };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_wolfboot_nrf52840_config() {
        // config/examples/nrf52840.config
        assert_eq!(BOOT_ADDRESS, 0x20000);
        assert_eq!(UPDATE_ADDRESS, 0x60000);
        assert_eq!(SWAP_ADDRESS, 0xE0000);
        assert_eq!(PARTITION_SIZE, 0x40000);
        assert_eq!(SECTOR_SIZE, 0x1000);
        assert_eq!(PARTITIONS.update.offset, 0x40000);
        assert!(APP_ENTRY_ADDRESS.is_multiple_of(VECTOR_RULES.vtor_align));
        // The trailer's sector flags (a nibble per sector) fit the last sector.
        const { assert!(PARTITION_SIZE / SECTOR_SIZE / 2 + 16 < SECTOR_SIZE) };
    }
}
