// The memory map of wolfboot-rs on the BBC micro:bit (nRF51822: 256 KiB
// flash at 0 in 1 KiB pages, 16 KiB RAM at 0x2000_0000), as plain numbers.
//
// `build.rs` includes this file to write the linker scripts, and the library
// re-exports it as `layout`, so linker and code never disagree.
//
// | range                     | size     | use                                     |
// |---------------------------|----------|-----------------------------------------|
// | 0x0000_0000..0x0000_C000  | 48 KiB   | bootloader (vector table at 0)          |
// | 0x0000_C000..0x0002_4000  | 96 KiB   | BOOT partition (header, then the app)   |
// | 0x0002_4000..0x0003_C000  | 96 KiB   | UPDATE partition                        |
// | 0x0003_C000..0x0003_C400  | 1 KiB    | SWAP (one page)                         |
// | 0x0003_C400..0x0004_0000  | 15 KiB   | free (application data)                 |
// | 0x2000_0000..0x2000_3F00  | 16 KiB-256 | RAM (bootloader, then application)    |
// | 0x2000_3F00..0x2000_4000  | 256 B    | test control block (see `testctl`)      |

/// Start of the flash array.
pub const CHIP_FLASH_BASE: u32 = 0x0000_0000;
/// Size of the flash array (nRF51822 QFAA: 256 pages of 1 KiB).
pub const CHIP_FLASH_SIZE: u32 = 0x0004_0000;

/// Bootloader region: vector table at 0, code and read-only data.
pub const BOOTLOADER_ADDRESS: u32 = CHIP_FLASH_BASE;
/// Bootloader region size.
pub const BOOTLOADER_SIZE: u32 = 0x0000_C000;

/// First address the flash driver may touch (window offset 0): BOOT. The
/// bootloader lies below it and cannot be erased through the driver.
pub const FLASH_BASE: u32 = BOOTLOADER_ADDRESS + BOOTLOADER_SIZE;
/// Size of the driver's window: BOOT to the end of the flash array.
pub const FLASH_SIZE: u32 = CHIP_FLASH_BASE + CHIP_FLASH_SIZE - FLASH_BASE;

/// NVMC page (erase unit) and wolfBoot's `WOLFBOOT_SECTOR_SIZE`.
pub const SECTOR_SIZE: u32 = 0x400;

/// BOOT and UPDATE size (`WOLFBOOT_PARTITION_SIZE`).
pub const PARTITION_SIZE: u32 = 0x0001_8000;
/// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
pub const BOOT_ADDRESS: u32 = FLASH_BASE;
/// `WOLFBOOT_PARTITION_UPDATE_ADDRESS`.
pub const UPDATE_ADDRESS: u32 = BOOT_ADDRESS + PARTITION_SIZE;
/// `WOLFBOOT_PARTITION_SWAP_ADDRESS` (one page).
pub const SWAP_ADDRESS: u32 = UPDATE_ADDRESS + PARTITION_SIZE;
/// SWAP size: one sector.
pub const SWAP_SIZE: u32 = SECTOR_SIZE;

/// RAM.
pub const RAM_BASE: u32 = 0x2000_0000;
/// RAM size (nRF51822 QFAA).
pub const RAM_SIZE: u32 = 0x0000_4000;
/// Test control block: the last 256 bytes of RAM, outside both linker
/// scripts (see `testctl`).
pub const TESTCTL_ADDRESS: u32 = RAM_BASE + RAM_SIZE - 0x100;
/// RAM given to the linker: everything below the control block; the stack
/// starts at its top.
pub const LINKER_RAM_SIZE: u32 = TESTCTL_ADDRESS - RAM_BASE;

/// UART TX pin of the micro:bit (P0.24, to the interface MCU's USB serial).
pub const UART_TX_PIN: u32 = 24;

/// External interrupts of the nRF51 (vector table entries after the 16
/// system exceptions).
pub const IRQ_COUNT: usize = 32;
