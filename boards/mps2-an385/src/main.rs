//! The wolfboot-rs bootloader for QEMU mps2-an385.
//!
//! Reset → UART banner → (test harness: load the flash file) → the swap
//! state machine decides (resume an interrupted swap, roll back an
//! unconfirmed image, install a triggered update, fall back to UPDATE) with
//! every image verified against the embedded keystore → jump to the verified
//! image in BOOT. With an `encrypt-*` feature UPDATE (and SWAP) hold
//! ciphertext, decrypted with the key stored at the end of BOOT; with
//! `delta` a diff image in UPDATE patches BOOT in place.
//!
//! With `quiet` (what a product ships, and what `cargo xtask size`
//! measures) nothing is printed and there is no test harness: no control
//! block, no semihosting, the flash as QEMU's loader left it.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::entry;
    #[cfg(not(feature = "quiet"))]
    use cortex_m_rt::{exception, ExceptionFrame};
    use wolfboot_board_mps2_an385::{
        console::Console, jump, layout, verifier::KeystoreVerifier, BoardSetup, BANNER,
    };
    #[cfg(not(feature = "quiet"))]
    use wolfboot_board_mps2_an385::{console::Uart, semihost, take_flash, testctl, BoardFlashSet};
    #[cfg(feature = "quiet")]
    use wolfboot_board_mps2_an385::{take_quiet_flash, QuietFlashSet};
    #[cfg(feature = "quiet")]
    use wolfboot_mcu_boot::console::Silent;
    use wolfboot_mcu_boot::report;
    #[cfg(feature = "armored")]
    use wolfboot_swap_state_machine::armored::{require_granted, Verdict};
    use wolfboot_swap_state_machine::FixedSetup;

    #[allow(dead_code)]
    mod keys {
        include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
    }

    #[cfg(all(feature = "quiet", feature = "bench"))]
    compile_error!("`bench` prints its figures on the UART: not with `quiet`");

    /// The bootloader: over the harness-watched flash, or (feature `quiet`)
    /// over the bare flash.
    #[cfg(not(feature = "quiet"))]
    type Bootloader = wolfboot_board_mps2_an385::BoardBootloader<KeystoreVerifier<'static>>;
    #[cfg(feature = "quiet")]
    type Bootloader =
        wolfboot_board_mps2_an385::BoardBootloader<KeystoreVerifier<'static>, QuietFlashSet>;

    /// The console (banner printed), the flash, and whether a test harness
    /// drives this run.
    #[cfg(not(feature = "quiet"))]
    fn take_board() -> (Uart, BoardFlashSet, bool) {
        // SAFETY: the only UART user in the bootloader.
        let mut con = unsafe { Uart::new(115_200) };
        con.println(BANNER);
        let settings = testctl::settings();
        // SAFETY: the only flash owner; the bootloader lives below FLASH_BASE
        // and holds no reference into the flash device.
        let flash = unsafe { take_flash(settings, true) };
        (con, flash, settings.is_some())
    }

    /// Feature `quiet`: no console, the flash as QEMU's loader left it, no
    /// harness.
    #[cfg(feature = "quiet")]
    fn take_board() -> (Silent, QuietFlashSet, bool) {
        let mut con = Silent;
        con.println(BANNER);
        // SAFETY: the only flash owner; the bootloader lives below FLASH_BASE
        // and holds no reference into the flash device.
        let flash = unsafe { take_quiet_flash() };
        (con, flash, false)
    }

    #[entry]
    fn main() -> ! {
        #[cfg(feature = "bench")]
        wolfboot_board_mps2_an385::bench::paint_stack();
        #[cfg(feature = "bench")]
        wolfboot_board_mps2_an385::bench::start();
        let (mut con, flash, harness) = take_board();
        let verifier = KeystoreVerifier::fixed(&keys::KEYSTORE);
        let setup = FixedSetup::<BoardSetup>::new();
        let Ok(mut bootloader) = Bootloader::with_setup(flash, verifier, setup) else {
            con.println("bad partition layout");
            halt(&mut con, harness)
        };
        let result = bootloader.boot();
        #[cfg(feature = "armored")]
        let first = Verdict::of(&result);
        match result {
            Ok(decision) => {
                con.print("boot: ");
                report::print_action(&mut con, &decision.action);
                con.print("; version ");
                con.dec(decision.image.version);
                con.println("");
                #[cfg(not(feature = "armored"))]
                let entry = layout::BOOT_ADDRESS + decision.image.header_size as u32;
                #[cfg(feature = "armored")]
                let entry = armored_entry(&mut bootloader, first);
                let end = layout::BOOT_ADDRESS + layout::PARTITION_SIZE - layout::SECTOR_SIZE;
                #[cfg(feature = "bench")]
                bench_report(&mut con, &mut bootloader);
                let err = jump::boot(entry, end);
                con.print("boot: bad vector table ");
                con.hex(err.value());
                con.println("");
            }
            Err(e) => report::print_boot_error(&mut con, &e),
        }
        halt(&mut con, harness)
    }

    /// Feature `bench`: the whole boot in timer ticks (read before anything
    /// else is printed here), then one more verification of BOOT, timed
    /// (see the board's `bench` module). One line each, read by
    /// `cargo xtask bench`.
    #[cfg(feature = "bench")]
    fn bench_report(con: &mut Uart, bootloader: &mut Bootloader) {
        use wolfboot_board_mps2_an385::bench;
        let boot = bench::ticks();
        let stack = bench::stack_high_water();
        let f = bench::measure_boot_image(&mut bootloader.flash_mut().0, &keys::KEYSTORE);
        con.print("bench: boot ticks ");
        con.dec(boot);
        con.print("; verify ticks ");
        con.dec(f.verify);
        con.print("; signature ticks ");
        con.dec(f.signature);
        con.print("; payload ");
        con.dec(f.payload);
        con.print("; stack bytes ");
        con.dec(stack);
        con.println(if f.ok { "; ok" } else { "; FAILED" });
    }

    /// Feature `armored`: BOOT is verified a second time right before the
    /// jump, both verdicts are required (twice, around the computation of
    /// the entry point), and the entry point comes from the second
    /// verification. Anything else ends in the fail loop.
    #[cfg(feature = "armored")]
    fn armored_entry(bootloader: &mut Bootloader, first: Verdict) -> u32 {
        let (second, info) = bootloader.confirm_boot();
        require_granted(first, second, fail_loop);
        let Some(info) = info else { fail_loop() };
        let entry = layout::BOOT_ADDRESS + info.header_size as u32;
        require_granted(second, first, fail_loop);
        entry
    }

    /// Feature `armored`: the fail loop. Interrupts off, then only branches
    /// back to the loop start: a skipped branch falls onto the next one, so
    /// no single skipped instruction leaves the loop.
    #[cfg(feature = "armored")]
    #[inline(never)]
    fn fail_loop() -> ! {
        cortex_m::interrupt::disable();
        // SAFETY: branches only; no memory, stack or register is touched.
        unsafe {
            core::arch::asm!(
                "2:",
                "b 2b",
                "b 2b",
                "b 2b",
                "b 2b",
                options(noreturn, nomem, nostack)
            )
        }
    }

    /// wolfBoot_panic: nothing bootable. Under the harness, end the run.
    fn halt(con: &mut impl Console, harness: bool) -> ! {
        con.println("halted");
        #[cfg(not(feature = "quiet"))]
        if harness {
            semihost::exit(testctl::EXIT_NO_IMAGE);
        }
        #[cfg(feature = "quiet")]
        let _ = harness;
        #[cfg(feature = "armored")]
        fail_loop();
        #[cfg(not(feature = "armored"))]
        loop {
            cortex_m::asm::wfi();
        }
    }

    /// Under the harness a fault ends the run. A quiet bootloader keeps
    /// cortex-m-rt's handler (a loop).
    #[cfg(not(feature = "quiet"))]
    #[exception]
    unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
        if testctl::settings().is_some() {
            semihost::exit(testctl::EXIT_FAULT);
        }
        loop {
            cortex_m::asm::wfi();
        }
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        // With `panic = "immediate-abort"` this is never called: a panic is a
        // trap instruction (HardFault).
        cortex_m::asm::udf()
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("wolfboot-mps2-an385 is firmware: build it for thumbv7m-none-eabi (see README.md)");
}
