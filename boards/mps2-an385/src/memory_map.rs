// The memory map of wolfboot-rs on QEMU mps2-an385, as plain numbers.
//
// This file has no dependencies: `build.rs` includes it to write the linker
// scripts, and the library re-exports it as `layout`, so the linker and the
// code can never disagree.
//
// QEMU's mps2-an385 has 4 MiB of ZBT SSRAM1 at 0x0000_0000 (the code memory,
// writable) and 4 MiB of SSRAM2/3 at 0x2000_0000 (data RAM). The code SRAM
// plays the part of an internal NOR flash:
//
// | range                     | size      | use                                   |
// |---------------------------|-----------|---------------------------------------|
// | 0x0000_0000..0x0002_0000  | 128 KiB   | bootloader (vector table at 0x0)      |
// | 0x0002_0000..0x0012_0000  | 1 MiB     | BOOT partition (header, then the app) |
// | 0x0012_0000..0x0022_0000  | 1 MiB     | UPDATE partition                      |
// | 0x0022_0000..0x0022_1000  | 4 KiB     | SWAP (one sector)                     |
// | 0x0022_1000..0x0040_0000  | 1.87 MiB  | unused (still part of the flash device)|
// | 0x2000_0000..0x202F_FF00  | 3 MiB-256 | RAM (bootloader, then application)    |
// | 0x202F_FF00..0x203F_FF00  | 1 MiB     | update inbox (tests, see `testctl`)   |
// | 0x203F_FF00..0x2040_0000  | 256 B     | test control block (see `testctl`)    |

/// Start of the code SRAM (QEMU "mps.ssram1").
pub const CODE_SRAM_BASE: u32 = 0x0000_0000;
/// Size of the code SRAM.
pub const CODE_SRAM_SIZE: u32 = 0x0040_0000;

/// Bootloader region: vector table at 0x0, code and read-only data.
pub const BOOTLOADER_ADDRESS: u32 = CODE_SRAM_BASE;
/// Bootloader region size (128 KiB).
pub const BOOTLOADER_SIZE: u32 = 0x0002_0000;

/// First address of the emulated NOR flash device. Everything the bootloader
/// erases or programs lies in `[FLASH_BASE, FLASH_BASE + FLASH_SIZE)`; the
/// bootloader itself is outside the device and so cannot be overwritten.
/// Device offsets (what `embedded-storage` and `wolfboot-hal-flash` use) are
/// `address - FLASH_BASE`.
pub const FLASH_BASE: u32 = BOOTLOADER_ADDRESS + BOOTLOADER_SIZE;
/// Size of the emulated NOR flash device.
pub const FLASH_SIZE: u32 = CODE_SRAM_BASE + CODE_SRAM_SIZE - FLASH_BASE;

/// Erase unit of the emulated flash and wolfBoot's `WOLFBOOT_SECTOR_SIZE`.
pub const SECTOR_SIZE: u32 = 0x1000;
/// Program unit of the emulated flash (one 32-bit word).
pub const WRITE_SIZE: u32 = 4;

/// BOOT and UPDATE size (`WOLFBOOT_PARTITION_SIZE`).
pub const PARTITION_SIZE: u32 = 0x0010_0000;
/// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
pub const BOOT_ADDRESS: u32 = FLASH_BASE;
/// `WOLFBOOT_PARTITION_UPDATE_ADDRESS`.
pub const UPDATE_ADDRESS: u32 = BOOT_ADDRESS + PARTITION_SIZE;
/// `WOLFBOOT_PARTITION_SWAP_ADDRESS` (one sector).
pub const SWAP_ADDRESS: u32 = UPDATE_ADDRESS + PARTITION_SIZE;
/// SWAP size: one sector.
pub const SWAP_SIZE: u32 = SECTOR_SIZE;

/// Data RAM (QEMU "mps.ssram23").
pub const RAM_BASE: u32 = 0x2000_0000;
/// Data RAM size.
pub const RAM_SIZE: u32 = 0x0040_0000;
/// Test control block: the last 256 bytes of RAM, outside both linker
/// scripts so that neither the bootloader's nor the application's start-up
/// code touches it (see `testctl`).
pub const TESTCTL_ADDRESS: u32 = RAM_BASE + RAM_SIZE - 0x100;
/// Update inbox: RAM just below the control block where a test harness
/// pre-places a signed image (QEMU `-device loader,file=...`) for the test
/// application to stream into UPDATE, as a transport would deliver it. As
/// large as a partition; outside both linker scripts, so neither firmware's
/// data, bss or stack can overlap it (see `testctl`).
pub const INBOX_SIZE: u32 = PARTITION_SIZE;
/// Start of the update inbox.
pub const INBOX_ADDRESS: u32 = TESTCTL_ADDRESS - INBOX_SIZE;
/// RAM given to the linker (bootloader and application alike): everything
/// below the inbox. The stack starts at its top, `INBOX_ADDRESS`.
pub const LINKER_RAM_SIZE: u32 = INBOX_ADDRESS - RAM_BASE;

/// CMSDK APB UART0 (QEMU serial 0).
pub const UART0_BASE: u32 = 0x4000_4000;
/// APB clock of the AN385 image (25 MHz), for the UART baud divider.
pub const PCLK_HZ: u32 = 25_000_000;

/// Number of external interrupts of the AN385 NVIC (vector table entries
/// after the 16 system exceptions).
pub const IRQ_COUNT: usize = 32;
