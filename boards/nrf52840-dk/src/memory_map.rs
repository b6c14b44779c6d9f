// The memory map of wolfboot-rs on the nRF52840-DK (nRF52840: 1 MiB flash
// at 0 in 4 KiB pages, 256 KiB RAM at 0x2000_0000), as plain numbers: the
// partitions of wolfBoot's `config/examples/nrf52840.config`.
//
// `build.rs` includes this file to write the linker scripts, and the library
// re-exports it as `layout`, so linker and code never disagree.
//
// | range                     | size     | use                                     |
// |---------------------------|----------|-----------------------------------------|
// | 0x0000_0000..0x0002_0000  | 128 KiB  | bootloader (vector table at 0)          |
// | 0x0002_0000..0x0006_0000  | 256 KiB  | BOOT partition (header, then the app)   |
// | 0x0006_0000..0x000A_0000  | 256 KiB  | UPDATE partition                        |
// | 0x000A_0000..0x000E_0000  | 256 KiB  | free (application data)                 |
// | 0x000E_0000..0x000E_1000  | 4 KiB    | SWAP (one page)                         |
// | 0x000E_1000..0x0010_0000  | 124 KiB  | free                                    |
// | 0x2000_0000..0x2004_0000  | 256 KiB  | RAM (bootloader, then application)      |

/// Start of the flash array.
pub const CHIP_FLASH_BASE: u32 = 0x0000_0000;
/// Size of the flash array (nRF52840: 256 pages of 4 KiB).
pub const CHIP_FLASH_SIZE: u32 = 0x0010_0000;

/// Bootloader region: vector table at 0, code and read-only data.
pub const BOOTLOADER_ADDRESS: u32 = CHIP_FLASH_BASE;
/// Bootloader region size.
pub const BOOTLOADER_SIZE: u32 = 0x0002_0000;

/// First address the flash driver may touch (window offset 0): BOOT.
pub const FLASH_BASE: u32 = BOOTLOADER_ADDRESS + BOOTLOADER_SIZE;
/// Size of the driver's window: BOOT to the end of the flash array.
pub const FLASH_SIZE: u32 = CHIP_FLASH_BASE + CHIP_FLASH_SIZE - FLASH_BASE;

/// NVMC page (erase unit) and wolfBoot's `WOLFBOOT_SECTOR_SIZE`.
pub const SECTOR_SIZE: u32 = 0x1000;

/// BOOT and UPDATE size (`WOLFBOOT_PARTITION_SIZE`).
pub const PARTITION_SIZE: u32 = 0x0004_0000;
/// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
pub const BOOT_ADDRESS: u32 = FLASH_BASE;
/// `WOLFBOOT_PARTITION_UPDATE_ADDRESS`.
pub const UPDATE_ADDRESS: u32 = 0x0006_0000;
/// `WOLFBOOT_PARTITION_SWAP_ADDRESS` (one page).
pub const SWAP_ADDRESS: u32 = 0x000E_0000;
/// SWAP size: one sector.
pub const SWAP_SIZE: u32 = SECTOR_SIZE;

/// RAM.
pub const RAM_BASE: u32 = 0x2000_0000;
/// RAM size.
pub const RAM_SIZE: u32 = 0x0004_0000;
/// RAM given to the linker: all of it; the stack starts at its top.
pub const LINKER_RAM_SIZE: u32 = RAM_SIZE;

/// UART TX pin of the nRF52840-DK (P0.06, to the J-Link's USB serial port).
pub const UART_TX_PIN: u32 = 6;

/// External interrupts of the nRF52840 (vector table entries after the 16
/// system exceptions).
pub const IRQ_COUNT: usize = 48;
