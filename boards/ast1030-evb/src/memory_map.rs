// The memory map of wolfboot-rs on QEMU ast1030-evb, as plain numbers.
//
// No dependencies: `build.rs` includes it to write the linker scripts, and
// the library re-exports it as `layout`.
//
// QEMU's AST1030 (Cortex-M4) has 768 KiB of SRAM at 0x0 and no internal
// flash model; the FMC (firmware memory controller, 0x7E62_0000) drives SPI
// NOR chips on chip selects CE0/CE1, with their chip-select lines wired to
// the flash models. The SRAM plays the MCU's internal flash (BOOT only);
// UPDATE and SWAP live on the SPI NOR behind FMC CE0:
//
// | where                     | size        | use                                  |
// |---------------------------|-------------|--------------------------------------|
// | SRAM 0x0000_0000          | 128 KiB     | bootloader (vector table at 0x0)     |
// | SRAM 0x0002_0000          | 256 KiB     | internal flash = BOOT (key at its end)|
// | SRAM 0x0006_0000          | 192 KiB     | RAM (bootloader, then application)   |
// | SRAM 0x0009_0000          | 192 KiB-256 | update inbox (test harness)          |
// | SRAM 0x000B_FF00          | 256 B       | test control block                   |
// | SPI NOR 0x0100_0000       | 256 KiB     | UPDATE (encrypted), above 16 MiB     |
// | SPI NOR 0x0104_0000       | 4 KiB       | SWAP (encrypted)                     |

/// Start of the SRAM.
pub const SRAM_BASE: u32 = 0x0000_0000;
/// Size of the SRAM.
pub const SRAM_SIZE: u32 = 0x000C_0000;

/// Bootloader region.
pub const BOOTLOADER_ADDRESS: u32 = SRAM_BASE;
/// Bootloader region size (128 KiB).
pub const BOOTLOADER_SIZE: u32 = 0x0002_0000;

/// The internal flash device (SRAM playing NOR flash): BOOT and nothing else.
pub const FLASH_BASE: u32 = BOOTLOADER_ADDRESS + BOOTLOADER_SIZE;
/// Erase unit of both devices and wolfBoot's `WOLFBOOT_SECTOR_SIZE`.
pub const SECTOR_SIZE: u32 = 0x1000;
/// BOOT and UPDATE size (`WOLFBOOT_PARTITION_SIZE`).
pub const PARTITION_SIZE: u32 = 0x0004_0000;
/// Size of the internal flash device.
pub const FLASH_SIZE: u32 = PARTITION_SIZE;
/// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
pub const BOOT_ADDRESS: u32 = FLASH_BASE;

/// `WOLFBOOT_PARTITION_UPDATE_ADDRESS`: an offset on the SPI flash, above
/// 16 MiB so that every access uses 4-byte addresses on a 32 MiB chip.
pub const UPDATE_OFFSET: u32 = 0x0100_0000;
/// `WOLFBOOT_PARTITION_SWAP_ADDRESS` on the SPI flash (one sector).
pub const SWAP_OFFSET: u32 = UPDATE_OFFSET + PARTITION_SIZE;
/// SWAP size.
pub const SWAP_SIZE: u32 = SECTOR_SIZE;

/// RAM given to the linker (both firmwares): stack at its top.
pub const RAM_BASE: u32 = FLASH_BASE + FLASH_SIZE;
/// Linker RAM size.
pub const LINKER_RAM_SIZE: u32 = 0x0003_0000;
/// Test control block: the last 256 bytes of SRAM.
pub const TESTCTL_ADDRESS: u32 = SRAM_BASE + SRAM_SIZE - 0x100;
/// Update inbox: where the harness places a signed image for the app to stage.
pub const INBOX_ADDRESS: u32 = RAM_BASE + LINKER_RAM_SIZE;
/// Update inbox size.
pub const INBOX_SIZE: u32 = TESTCTL_ADDRESS - INBOX_ADDRESS;

/// FMC registers (CE0 control at +0x10, configuration at +0x00).
pub const FMC_BASE: u32 = 0x7E62_0000;
/// AHB window of the FMC's CE0 chip (in user mode: one SPI byte per access).
pub const FMC_CE0_WINDOW: u32 = 0x8000_0000;
/// UART5, a 16550 with 32-bit register spacing (QEMU serial 0).
pub const UART_BASE: u32 = 0x7E78_4000;
