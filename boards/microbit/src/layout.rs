//! The memory map (see the table in `memory_map.rs`) and the wolfBoot
//! partition set built from it.

include!("memory_map.rs");
include!(concat!(env!("OUT_DIR"), "/config.rs"));

const _: () = assert!(SWAP_ADDRESS + SWAP_SIZE <= CHIP_FLASH_BASE + CHIP_FLASH_SIZE);
const _: () = assert!(BOOT_ADDRESS == FLASH_BASE && FLASH_SIZE.is_multiple_of(SECTOR_SIZE));
const _: () = assert!(PARTITION_SIZE.is_multiple_of(SECTOR_SIZE));

/// Where the application's vector table is: BOOT plus the image header.
pub const APP_ENTRY_ADDRESS: u32 = BOOT_ADDRESS + IMAGE_HEADER_SIZE;

wolfboot_hal_flash::partitions_from_memory_map!();

/// The application's vector-table rules: no VTOR on the Cortex-M0.
pub const VECTOR_RULES: wolfboot_mcu_boot::jump::VectorRules =
    wolfboot_mcu_boot::jump::VectorRules {
        ram_start: RAM_BASE,
        ram_end: TESTCTL_ADDRESS,
        vtor_align: 256,
        has_vtor: false,
    };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_consistent() {
        assert_eq!(BOOT_ADDRESS, 0x0000_C000);
        assert_eq!(UPDATE_ADDRESS, 0x0002_4000);
        assert_eq!(SWAP_ADDRESS, 0x0003_C000);
        assert_eq!(TESTCTL_ADDRESS, 0x2000_3F00);
        assert_eq!(PARTITIONS.boot.offset, 0);
        assert_eq!(PARTITIONS.swap.offset, 2 * PARTITION_SIZE);
        assert_eq!(FLASH_SIZE, 0x0003_4000);
        // The trailer's sector flags (a nibble per sector) fit the last sector.
        const { assert!(PARTITION_SIZE / SECTOR_SIZE / 2 + 16 < SECTOR_SIZE) };
    }
}
