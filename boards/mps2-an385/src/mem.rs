//! `memcpy` and `memset` for the MPS2 firmware (ARMv7-M), small.
//!
//! `compiler_builtins` provides them (weak symbols), written for speed on
//! any alignment: 0.44 KB of a bootloader with their `__aeabi_*` entry
//! points. These are 106 bytes: a word loop when both addresses are word
//! aligned (the flash reads and the stack buffers of the boot path are),
//! a byte loop otherwise and for the last 0 to 3 bytes. The word loop is
//! as fast as `compiler_builtins`' aligned path (four instructions a word
//! for `memcpy`, three for `memset`); only misaligned copies, which the
//! boot path does not make in bulk, are slower. wolfBoot links its own
//! small `memcpy`/`memset` (`src/string.c`) for the same reason.
//!
//! Defined here (strong symbols) they replace `compiler_builtins`' for the
//! whole firmware: `memcpy`, `memset` and the ARM EABI entry points the
//! compiler calls, `__aeabi_memcpy{,4,8}`, `__aeabi_memset{,4,8}` (size
//! before value) and `__aeabi_memclr{,4,8}`. `memmove` and `memcmp` stay
//! `compiler_builtins`'. The check programs compare both with byte loops
//! on every alignment and on lengths 0 to 70 (`selfcheck::mem_routines`).

// The symbols follow the AAPCS and the C contracts of `memcpy` (regions
// valid, not overlapping) and `memset`; they touch only r0-r3 and r12 (the
// caller's scratch registers), no stack, and read and write exactly the
// `n` bytes the caller passes.
core::arch::global_asm!(
    ".section .text.wolfboot_mem,\"ax\",%progbits",
    ".p2align 1",
    // memcpy(dst r0, src r1, n r2) -> dst
    ".global memcpy",
    ".global __aeabi_memcpy",
    ".global __aeabi_memcpy4",
    ".global __aeabi_memcpy8",
    ".type memcpy, %function",
    ".type __aeabi_memcpy, %function",
    ".type __aeabi_memcpy4, %function",
    ".type __aeabi_memcpy8, %function",
    ".thumb_func",
    "memcpy:",
    ".thumb_func",
    "__aeabi_memcpy:",
    ".thumb_func",
    "__aeabi_memcpy4:",
    ".thumb_func",
    "__aeabi_memcpy8:",
    "mov r12, r0",
    "orr r3, r0, r1",
    "lsls r3, r3, #30", // both word aligned?
    "bne 3f",
    "subs r2, #4",
    "blo 2f",
    "1:",
    "ldr r3, [r1], #4",
    "str r3, [r0], #4",
    "subs r2, #4",
    "bhs 1b",
    "2:",
    "adds r2, #4", // the last 0 to 3 bytes
    "3:",
    "cbz r2, 4f",
    "5:",
    "ldrb r3, [r1], #1",
    "strb r3, [r0], #1",
    "subs r2, #1",
    "bne 5b",
    "4:",
    "mov r0, r12",
    "bx lr",
    // __aeabi_memclr{,4,8}(dst r0, n r1)
    ".global __aeabi_memclr",
    ".global __aeabi_memclr4",
    ".global __aeabi_memclr8",
    ".type __aeabi_memclr, %function",
    ".type __aeabi_memclr4, %function",
    ".type __aeabi_memclr8, %function",
    ".thumb_func",
    "__aeabi_memclr:",
    ".thumb_func",
    "__aeabi_memclr4:",
    ".thumb_func",
    "__aeabi_memclr8:",
    "mov r2, r1",
    "movs r1, #0",
    "b memset",
    // __aeabi_memset{,4,8}(dst r0, n r1, c r2)
    ".global __aeabi_memset",
    ".global __aeabi_memset4",
    ".global __aeabi_memset8",
    ".type __aeabi_memset, %function",
    ".type __aeabi_memset4, %function",
    ".type __aeabi_memset8, %function",
    ".thumb_func",
    "__aeabi_memset:",
    ".thumb_func",
    "__aeabi_memset4:",
    ".thumb_func",
    "__aeabi_memset8:",
    "mov r3, r1",
    "mov r1, r2",
    "mov r2, r3",
    // memset(dst r0, c r1, n r2) -> dst
    ".global memset",
    ".type memset, %function",
    ".thumb_func",
    "memset:",
    "mov r12, r0",
    "and r1, r1, #255",
    "orr r1, r1, r1, lsl #8",
    "orr r1, r1, r1, lsl #16", // the byte in all four lanes
    "lsls r3, r0, #30", // word aligned?
    "bne 3f",
    "subs r2, #4",
    "blo 2f",
    "1:",
    "str r1, [r0], #4",
    "subs r2, #4",
    "bhs 1b",
    "2:",
    "adds r2, #4",
    "3:",
    "cbz r2, 4f",
    "5:",
    "strb r1, [r0], #1",
    "subs r2, #1",
    "bne 5b",
    "4:",
    "mov r0, r12",
    "bx lr",
);
