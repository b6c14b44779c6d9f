//! The memory map (see the table in `memory_map.rs`) and the wolfBoot
//! partition set built from it.

include!("memory_map.rs");
include!(concat!(env!("OUT_DIR"), "/config.rs"));

const _: () = assert!(SWAP_ADDRESS + SWAP_SIZE <= CODE_SRAM_BASE + CODE_SRAM_SIZE);
const _: () = assert!(BOOT_ADDRESS == FLASH_BASE && FLASH_SIZE.is_multiple_of(SECTOR_SIZE));
const _: () = assert!(APP_ENTRY_ADDRESS.is_multiple_of(256));

/// Where the application's vector table is: BOOT plus the image header.
pub const APP_ENTRY_ADDRESS: u32 = BOOT_ADDRESS + IMAGE_HEADER_SIZE;

wolfboot_hal_flash::partitions_from_memory_map!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_consistent() {
        assert_eq!(BOOT_ADDRESS, 0x0002_0000);
        assert_eq!(UPDATE_ADDRESS, 0x0012_0000);
        assert_eq!(SWAP_ADDRESS, 0x0022_0000);
        assert_eq!(FLASH_SIZE % SECTOR_SIZE, 0);
        assert_eq!(APP_ENTRY_ADDRESS % 128, 0);
        assert_eq!(TESTCTL_ADDRESS, 0x203F_FF00);
        assert_eq!(INBOX_ADDRESS, 0x202F_FF00);
        assert_eq!(INBOX_ADDRESS + INBOX_SIZE, TESTCTL_ADDRESS);
        assert_eq!(RAM_BASE + LINKER_RAM_SIZE, INBOX_ADDRESS);
        assert_eq!(PARTITIONS.boot.offset, 0);
        assert_eq!(PARTITIONS.swap.offset, 2 * PARTITION_SIZE);
    }
}
