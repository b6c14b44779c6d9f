// The memory map of wolfboot-rs on QEMU's AArch64 `virt` machine, as plain
// numbers.
//
// This file has no dependencies: `build.rs` includes it to write the linker
// script and the numbers it exports to applications, and the library
// re-exports it as `layout`, so the linker and the code cannot disagree.
//
// QEMU `virt` (`-machine virt -cpu cortex-a53 -m 128M`), the parts used here:
//
// | range                     | size     | use                                           |
// |---------------------------|----------|-----------------------------------------------|
// | 0x0000_0000..0x0400_0000  | 64 MiB   | flash bank 0 (firmware ROM; not used)         |
// | 0x0400_0000..0x0800_0000  | 64 MiB   | flash bank 1 (`-drive if=pflash,unit=1`)      |
// |   +0x0000_0000..+0x10_0000|  1 MiB   |   BOOT partition (header, then the app image) |
// |   +0x0010_0000..+0x20_0000|  1 MiB   |   UPDATE partition                            |
// |   +0x0020_0000..+0x24_0000|  256 KiB |   SWAP (one sector)                           |
// | 0x0900_0000               | 4 KiB    | PL011 UART (QEMU serial 0)                    |
// | 0x4000_0000..0x4008_0000  | 512 KiB  | RAM: QEMU's device tree blob                  |
// | 0x4008_0000..0x4020_0000  | 1.5 MiB  | RAM: the bootloader (`-kernel`), its stack    |
// | 0x4020_0000..0x4120_0000  | 16 MiB   | RAM: the application, copied from BOOT        |
// | 0x47FF_F000..0x4800_0000  | 4 KiB    | RAM: test control block (see `testctl`)       |

/// Flash bank 1 of the virt machine: the flash device of this port.
pub const FLASH_BASE: u32 = 0x0400_0000;
/// Size of flash bank 1 (the backing file must be exactly this large).
pub const FLASH_SIZE: u32 = 0x0400_0000;

/// Erase block of the bank (two interleaved x16 chips of 128 KiB blocks, as
/// QEMU's CFI query reports) and wolfBoot's `WOLFBOOT_SECTOR_SIZE`.
pub const SECTOR_SIZE: u32 = 0x0004_0000;
/// Program unit: one 32-bit bus word (one x16 word in each chip).
pub const WRITE_SIZE: u32 = 4;

/// BOOT and UPDATE size (`WOLFBOOT_PARTITION_SIZE`): four sectors.
pub const PARTITION_SIZE: u32 = 0x0010_0000;
/// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
pub const BOOT_ADDRESS: u32 = FLASH_BASE;
/// `WOLFBOOT_PARTITION_UPDATE_ADDRESS`.
pub const UPDATE_ADDRESS: u32 = BOOT_ADDRESS + PARTITION_SIZE;
/// `WOLFBOOT_PARTITION_SWAP_ADDRESS` (one sector).
pub const SWAP_ADDRESS: u32 = UPDATE_ADDRESS + PARTITION_SIZE;
/// SWAP size: one sector.
pub const SWAP_SIZE: u32 = SECTOR_SIZE;

/// PL011 UART (QEMU serial 0).
pub const UART0_BASE: u32 = 0x0900_0000;
/// PL011 reference clock on the virt machine (24 MHz), for the baud divisor.
pub const UART_CLOCK_HZ: u32 = 24_000_000;

/// Start of RAM.
pub const RAM_BASE: u32 = 0x4000_0000;
/// RAM size this port assumes (`-m 128M`, QEMU's default for `virt`).
pub const RAM_SIZE: u32 = 0x0800_0000;
/// Where QEMU places the device tree blob for an ELF `-kernel` (handed to
/// the application in `x0` when present).
pub const DTB_ADDRESS: u32 = RAM_BASE;

/// The bootloader: linked and loaded here by QEMU (`-kernel`), stack at the top.
pub const BOOTLOADER_ADDRESS: u32 = 0x4008_0000;
/// RAM of the bootloader: code, data, bss and stack.
pub const BOOTLOADER_SIZE: u32 = 0x0018_0000;

/// `WOLFBOOT_LOAD_ADDRESS`: the bootloader copies the verified image (the
/// payload after the header) here and enters it. 2 MiB aligned, so the
/// arm64 `Image` header's `text_offset` is 0.
pub const LOAD_ADDRESS: u32 = BOOTLOADER_ADDRESS + BOOTLOADER_SIZE;
/// RAM of the application from [`LOAD_ADDRESS`]: image, bss and stack.
pub const APP_RAM_SIZE: u32 = 0x0100_0000;

/// Test control block: the last 4 KiB of RAM, outside both linker scripts
/// (see `testctl`).
pub const TESTCTL_ADDRESS: u32 = RAM_BASE + RAM_SIZE - 0x1000;

/// Stack of either program (top of its RAM region).
pub const STACK_SIZE: u32 = 0x0001_0000;
