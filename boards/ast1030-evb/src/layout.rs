//! The memory map (see the table in `memory_map.rs`) and the wolfBoot
//! partition set: BOOT on the internal device, UPDATE and SWAP on the SPI NOR.

include!("memory_map.rs");

use wolfboot_hal_flash::{Device, Partition, PartitionSet};

const _: () = assert!(RAM_BASE + LINKER_RAM_SIZE == INBOX_ADDRESS);
const _: () = assert!(INBOX_ADDRESS < TESTCTL_ADDRESS);
const _: () = assert!(FLASH_BASE + FLASH_SIZE == RAM_BASE);
const _: () = assert!(UPDATE_OFFSET.is_multiple_of(SECTOR_SIZE));
// UPDATE above 16 MiB: every UPDATE and SWAP access uses 4-byte addresses.
const _: () = assert!(UPDATE_OFFSET >= 1 << 24);

/// BOOT internal (device offset 0), UPDATE and SWAP on the SPI NOR.
pub const PARTITIONS: PartitionSet = PartitionSet {
    boot: Partition::new(Device::Internal, 0, PARTITION_SIZE),
    update: Partition::new(Device::External, UPDATE_OFFSET, PARTITION_SIZE),
    swap: Partition::new(Device::External, SWAP_OFFSET, SWAP_SIZE),
    sector_size: SECTOR_SIZE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_consistent() {
        assert_eq!(BOOT_ADDRESS, 0x0002_0000);
        assert_eq!(RAM_BASE, 0x0006_0000);
        assert_eq!(INBOX_ADDRESS, 0x0009_0000);
        assert_eq!(TESTCTL_ADDRESS, 0x000B_FF00);
        assert_eq!(SWAP_OFFSET, 0x0104_0000);
    }
}
