// The memory map of wolfboot-rs on the STM32F407G-DISC1 (STM32F407VG: 1 MiB
// flash at 0x0800_0000 in sectors of 4 × 16 KiB, 1 × 64 KiB, 7 × 128 KiB;
// 128 KiB SRAM at 0x2000_0000), as plain numbers.
//
// `build.rs` includes this file to write the linker scripts, and the library
// re-exports it as `layout`, so linker and code never disagree.
//
// As in wolfBoot's `config/examples/stm32f4.config`, the bootloader lives
// in the small sectors 0-4 and BOOT, UPDATE and SWAP in 128 KiB sectors
// (`WOLFBOOT_SECTOR_SIZE=0x20000`, BOOT at 0x0802_0000). wolfBoot makes each
// partition one sector; this swap state machine needs the trailer in a
// sector of its own and two sectors at least before it, so each partition
// is three sectors (the image may use the first two, 256 KiB):
//
// | range                     | sectors | size     | use                                 |
// |---------------------------|---------|----------|-------------------------------------|
// | 0x0800_0000..0x0802_0000  | 0-4     | 128 KiB  | bootloader (vector table first)     |
// | 0x0802_0000..0x0808_0000  | 5-7     | 384 KiB  | BOOT partition (header, then app)   |
// | 0x0808_0000..0x080E_0000  | 8-10    | 384 KiB  | UPDATE partition                    |
// | 0x080E_0000..0x0810_0000  | 11      | 128 KiB  | SWAP (one sector)                   |
// | 0x2000_0000..0x2002_0000  |         | 128 KiB  | SRAM1+2 (bootloader, then app)      |

/// Start of the flash array.
pub const CHIP_FLASH_BASE: u32 = 0x0800_0000;
/// Size of the flash array.
pub const CHIP_FLASH_SIZE: u32 = 0x0010_0000;

/// Bootloader region: sectors 0-4.
pub const BOOTLOADER_ADDRESS: u32 = CHIP_FLASH_BASE;
/// Bootloader region size.
pub const BOOTLOADER_SIZE: u32 = 0x0002_0000;

/// First address the flash driver may touch (window offset 0): BOOT.
pub const FLASH_BASE: u32 = BOOTLOADER_ADDRESS + BOOTLOADER_SIZE;
/// Size of the driver's window: BOOT to the end of flash (sectors 5-11).
pub const FLASH_SIZE: u32 = CHIP_FLASH_BASE + CHIP_FLASH_SIZE - FLASH_BASE;

/// Erase unit in the window and wolfBoot's `WOLFBOOT_SECTOR_SIZE`.
pub const SECTOR_SIZE: u32 = 0x0002_0000;

/// BOOT and UPDATE size (`WOLFBOOT_PARTITION_SIZE`): three sectors.
pub const PARTITION_SIZE: u32 = 3 * SECTOR_SIZE;
/// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
pub const BOOT_ADDRESS: u32 = FLASH_BASE;
/// `WOLFBOOT_PARTITION_UPDATE_ADDRESS`.
pub const UPDATE_ADDRESS: u32 = BOOT_ADDRESS + PARTITION_SIZE;
/// `WOLFBOOT_PARTITION_SWAP_ADDRESS` (one sector).
pub const SWAP_ADDRESS: u32 = UPDATE_ADDRESS + PARTITION_SIZE;
/// SWAP size: one sector.
pub const SWAP_SIZE: u32 = SECTOR_SIZE;

/// RAM (SRAM1 and SRAM2, contiguous; the 64 KiB CCM RAM is not used).
pub const RAM_BASE: u32 = 0x2000_0000;
/// RAM size.
pub const RAM_SIZE: u32 = 0x0002_0000;
/// RAM given to the linker: all of it; the stack starts at its top.
pub const LINKER_RAM_SIZE: u32 = RAM_SIZE;

/// Default `IMAGE_HEADER_SIZE` of this board: 512, so that the
/// application's vector table (98 entries) sits on the 512-byte boundary
/// the STM32F4's VTOR needs (its `TBLOFF` field is bits 29:9).
pub const DEFAULT_HEADER_SIZE: u32 = 512;
