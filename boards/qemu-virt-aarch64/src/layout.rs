//! The memory map (see the table in `memory_map.rs`) and the wolfBoot
//! partition set built from it.

include!("memory_map.rs");
include!(concat!(env!("OUT_DIR"), "/config.rs"));

const _: () = assert!(SWAP_ADDRESS + SWAP_SIZE <= FLASH_BASE + FLASH_SIZE);
const _: () = assert!(PARTITION_SIZE.is_multiple_of(SECTOR_SIZE));
const _: () = assert!(LOAD_ADDRESS.is_multiple_of(0x0020_0000));
const _: () = assert!(LOAD_ADDRESS >= BOOTLOADER_ADDRESS + BOOTLOADER_SIZE);
const _: () = assert!(LOAD_ADDRESS + APP_RAM_SIZE <= TESTCTL_ADDRESS);
// Every image that fits a partition fits the application's RAM.
const _: () = assert!(PARTITION_SIZE <= APP_RAM_SIZE);

wolfboot_hal_flash::partitions_from_memory_map!();

/// Bytes of BOOT an image (header and payload) may occupy: all but the
/// trailer sector.
pub const IMAGE_AREA: u32 = PARTITION_SIZE - SECTOR_SIZE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_consistent() {
        assert_eq!(PARTITIONS.boot.offset, 0);
        assert_eq!(PARTITIONS.update.offset, 0x0010_0000);
        assert_eq!(PARTITIONS.swap.offset, 0x0020_0000);
        assert_eq!(SWAP_ADDRESS, 0x0420_0000);
        assert_eq!(LOAD_ADDRESS, 0x4020_0000);
        assert_eq!(TESTCTL_ADDRESS, 0x47FF_F000);
        assert_eq!(FLASH_SIZE % SECTOR_SIZE, 0);
        assert_eq!(IMAGE_AREA, 3 * SECTOR_SIZE);
    }
}
