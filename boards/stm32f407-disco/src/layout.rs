//! The memory map (see the table in `memory_map.rs`) and the wolfBoot
//! partition set built from it.

include!("memory_map.rs");
include!(concat!(env!("OUT_DIR"), "/config.rs"));

const _: () = assert!(SWAP_ADDRESS + SWAP_SIZE <= CHIP_FLASH_BASE + CHIP_FLASH_SIZE);
const _: () = assert!(BOOT_ADDRESS == FLASH_BASE && FLASH_SIZE.is_multiple_of(SECTOR_SIZE));

/// Where the application's vector table is: BOOT plus the image header.
pub const APP_ENTRY_ADDRESS: u32 = BOOT_ADDRESS + IMAGE_HEADER_SIZE;

wolfboot_hal_flash::partitions_from_memory_map!();

/// The application's vector-table rules: VTOR with 512-byte granularity.
pub const VECTOR_RULES: wolfboot_mcu_boot::jump::VectorRules =
    wolfboot_mcu_boot::jump::VectorRules {
        ram_start: RAM_BASE,
        ram_end: RAM_BASE + RAM_SIZE,
        vtor_align: 512,
        has_vtor: true,
    };

#[cfg(test)]
mod tests {
    use super::*;
    use wolfboot_stm32f4_flash::{sector_at, SECTOR_SIZE as DRIVER_SECTOR};

    #[test]
    fn bootloader_in_small_sectors_partitions_in_128k_sectors() {
        // The bootloader region is sectors 0-4 exactly.
        assert_eq!(sector_at(BOOTLOADER_ADDRESS).unwrap().number, 0);
        let last = sector_at(BOOTLOADER_ADDRESS + BOOTLOADER_SIZE - 1).unwrap();
        assert_eq!((last.number, last.size), (4, 0x1_0000));
        // BOOT, UPDATE, SWAP start on 128 KiB sectors (5, 8, 11), and every
        // sector from BOOT to the end is 128 KiB.
        assert_eq!(SECTOR_SIZE, DRIVER_SECTOR);
        assert_eq!(sector_at(BOOT_ADDRESS).unwrap().number, 5);
        assert_eq!(sector_at(UPDATE_ADDRESS).unwrap().number, 8);
        assert_eq!(sector_at(SWAP_ADDRESS).unwrap().number, 11);
        let mut a = FLASH_BASE;
        while a < CHIP_FLASH_BASE + CHIP_FLASH_SIZE {
            let s = sector_at(a).unwrap();
            assert_eq!((s.offset + CHIP_FLASH_BASE, s.size), (a, 0x2_0000));
            a += s.size;
        }
        // wolfBoot's stm32f4.config: BOOT at 0x20000, sector size 0x20000.
        assert_eq!(BOOT_ADDRESS - CHIP_FLASH_BASE, 0x20000);
        assert!(APP_ENTRY_ADDRESS.is_multiple_of(VECTOR_RULES.vtor_align));
    }
}
