//! Run time shared by the bootloader and the application: the arm64 `Image`
//! header, the reset code, the exception vectors, and the few system
//! instructions the firmware needs (PSCI reset, semihosting exit, the
//! generic timer).
//!
//! `_start` (offset 0x40, after the `Image` header whose first word branches
//! to it): mask DAIF; stop with a message on the UART unless at EL1 (QEMU
//! `virt` starts bare-metal programs at EL1 unless `virtualization=on` or
//! `secure=on`; see the README); set the stack; allow FP/SIMD (`CPACR_EL1.FPEN`, the target
//! uses NEON registers); install the vectors; zero bss; call
//! `board_main(x0)`, which each binary defines. The MMU and the caches
//! stay off: every access is Device-nGnRnE, so the flash bank's command and
//! status reads never hit a stale cache line, and unaligned accesses are
//! avoided by the target (`+strict-align`).
//!
//! Linker symbols (from the linker scripts `build.rs` writes):
//! `__stack_top`, `__bss_start`, `__bss_end`, `__image_size`.

use crate::cfi::Clock;

core::arch::global_asm!(
    r#"
    .section .text.head, "ax"
    .global __image_header
__image_header:
    b       _start              // code0
    .long   0                   // code1
    .quad   0                   // text_offset: the load address is 2 MiB aligned
    .quad   __image_size        // image_size: image, bss and stack
    .quad   0x2                 // flags: little-endian, 4 KiB pages
    .quad   0, 0, 0             // res2..res4
    .long   0x644d5241          // "ARM\x64"
    .long   0                   // res5

    .section .text.start, "ax"
    .global _start
_start:
    msr     daifset, #0xf
    mov     x19, x0
    mrs     x1, CurrentEL
    cmp     x1, #(1 << 2)
    b.ne    8f
    adrp    x1, __stack_top
    add     x1, x1, :lo12:__stack_top
    mov     sp, x1
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    adrp    x1, __vectors
    add     x1, x1, :lo12:__vectors
    msr     vbar_el1, x1
    isb
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  mov     x0, x19
    bl      board_main
9:  wfi
    b       9b
    // Not at EL1: say so on the UART (QEMU's PL011 needs no set-up) and stop.
8:  adr     x1, 7f
    mov     x2, #{uart}
6:  ldrb    w3, [x1], #1
    cbz     w3, 9b
    str     w3, [x2]
    b       6b
7:  .asciz  "wolfboot-rs: not started at EL1 (see the README), stopped\r\n"
    .balign 4

    .section .text.vectors, "ax"
    .balign 0x800
    .global __vectors
__vectors:
    .irp    kind, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .balign 0x80
    mov     x0, #\kind
    b       __exception
    .endr
__exception:
    adrp    x4, __stack_top
    add     x4, x4, :lo12:__stack_top
    mov     sp, x4
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      board_exception
    b       9b
"#,
    uart = const crate::layout::UART0_BASE,
);

/// Wait for an interrupt (with DAIF masked: sleep until QEMU is killed).
pub fn wait_for_interrupt() {
    // SAFETY: `wfi` only suspends the CPU until an interrupt is pending; it
    // touches no memory.
    unsafe { core::arch::asm!("wfi", options(nomem, nostack, preserves_flags)) }
}

/// PSCI `SYSTEM_RESET` through `hvc` (QEMU's PSCI conduit for a guest
/// started at EL1 without firmware). QEMU then reloads the bootloader and
/// starts it again, with the flash as it is.
pub fn system_reset() -> ! {
    // SAFETY: a PSCI call: the hypervisor (QEMU) resets the machine and
    // does not return; no memory of this program is involved.
    unsafe {
        core::arch::asm!("hvc #0", in("x0") 0x8400_0009u64, options(nomem, nostack));
    }
    loop {
        wait_for_interrupt();
    }
}

/// `SYS_EXIT` with `ADP_Stopped_ApplicationExit`.
const SYS_EXIT: u64 = 0x18;
/// `ADP_Stopped_ApplicationExit`.
const APPLICATION_EXIT: u64 = 0x2_0026;

/// End the QEMU run with exit status `code` (semihosting, `-semihosting`).
/// Without a debugger or QEMU's semihosting this traps: only call it under
/// the test harness.
pub fn semihost_exit(code: u32) -> ! {
    let block = [APPLICATION_EXIT, u64::from(code)];
    // SAFETY: the semihosting trap (`hlt #0xf000`) with operation SYS_EXIT
    // reads the two-word parameter block, alive on the stack during the call.
    unsafe {
        core::arch::asm!(
            "hlt #0xf000",
            in("x0") SYS_EXIT,
            in("x1") block.as_ptr(),
            options(nostack, readonly),
        );
    }
    loop {
        wait_for_interrupt();
    }
}

/// The ARM generic timer's physical count (`CNTPCT_EL0`) as a [`Clock`].
#[derive(Debug, Default, Clone, Copy)]
pub struct GenericTimer;

impl Clock for GenericTimer {
    fn ticks(&mut self) -> u64 {
        let t: u64;
        // SAFETY: reading the counter register at EL1 has no side effect; the
        // `isb` keeps the read in program order.
        unsafe {
            core::arch::asm!("isb", "mrs {}, cntpct_el0", out(reg) t, options(nomem, nostack))
        };
        t
    }

    fn ticks_per_second(&self) -> u64 {
        let f: u64;
        // SAFETY: reading the frequency register has no side effect.
        unsafe { core::arch::asm!("mrs {}, cntfrq_el0", out(reg) f, options(nomem, nostack)) };
        // Never 0, even if firmware left it unset.
        f.max(1_000_000)
    }
}
