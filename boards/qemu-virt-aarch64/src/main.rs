//! The wolfboot-rs bootloader for QEMU's AArch64 `virt` machine.
//!
//! Reset (QEMU `-kernel`, EL1, MMU and caches off) → UART banner → probe the
//! CFI flash in bank 1 → the swap state machine decides (resume an
//! interrupted swap, roll back an unconfirmed image, install a triggered
//! update, fall back to UPDATE) with every image verified against the
//! embedded keystore → copy the verified image to the load address and
//! enter it.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use wolfboot_board_qemu_virt_aarch64::{
        cfi::CfiError,
        console::{Console, Pl011},
        jump::{self, JumpError},
        layout::{IMAGE_HEADER_SIZE, PARTITIONS},
        rt, take_flash, testctl,
        verifier::KeystoreVerifier,
        TRAILER,
    };
    use wolfboot_mcu_boot::report;
    use wolfboot_swap_state_machine::{BootConfig, BootError, Bootloader, FixedSetup};

    wolfboot_swap_state_machine::build_setup!(
        /// Layout and options, as constants folded into the code.
        BoardSetup {
            layout: PARTITIONS,
            config: BootConfig::DEFAULT
                .with_trailer(TRAILER)
                .with_header_size(IMAGE_HEADER_SIZE),
        }
    );

    #[allow(dead_code)]
    mod keys {
        include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
    }

    #[no_mangle]
    extern "C" fn board_main(_x0: u64) -> ! {
        // SAFETY: the only UART owner in the bootloader (the flash monitor
        // borrows it for single lines, see testctl).
        let mut con = unsafe { Pl011::new(115_200) };
        con.println("wolfboot-rs bootloader (qemu-virt-aarch64)");
        let settings = testctl::settings();
        // SAFETY: the only flash owner; the bootloader runs from RAM and
        // holds no reference into the flash bank.
        let flash = match unsafe { take_flash(settings) } {
            Ok(flash) => flash,
            Err(e) => {
                con.print("flash: ");
                print_cfi_error(&mut con, e);
                con.println("");
                halt(&mut con, settings, testctl::EXIT_FLASH)
            }
        };
        let verifier = KeystoreVerifier::fixed(&keys::KEYSTORE);
        let setup = FixedSetup::<BoardSetup>::new();
        let mut bootloader = match Bootloader::with_setup(flash, verifier, setup) {
            Ok(b) => b,
            Err(_) => {
                con.println("boot: the partition layout does not fit the flash");
                halt(&mut con, settings, testctl::EXIT_FLASH)
            }
        };
        let code = match bootloader.boot() {
            Ok(decision) => {
                con.print("boot: ");
                report::print_action(&mut con, &decision.action);
                con.print("; version ");
                con.dec(decision.image.version);
                con.println("");
                let (mut flash, _) = bootloader.into_parts();
                let err = jump::load_and_enter(
                    &mut flash,
                    PARTITIONS.boot,
                    decision.image.header_size as u32,
                    decision.image.payload_size,
                );
                con.print("boot: not entering the image: ");
                con.println(match err {
                    JumpError::NotAnImage => "no arm64 Image header",
                    JumpError::BigEndian => "big-endian image",
                    JumpError::TextOffset(_) => "text_offset does not match the load address",
                    JumpError::ImageSize(_) => "image_size does not fit",
                    JumpError::Read => "flash read error",
                });
                testctl::EXIT_NO_IMAGE
            }
            Err(e @ BootError::NoBootableImage { .. }) => {
                report::print_boot_error(&mut con, &e);
                testctl::EXIT_NO_IMAGE
            }
            Err(BootError::Flash(_)) => {
                con.print("boot: flash failure: ");
                match bootloader.flash().0.last_error() {
                    Some(e) => print_cfi_error(&mut con, e),
                    None => con.print("read error"),
                }
                con.println("");
                testctl::EXIT_FLASH
            }
            Err(_) => {
                con.println("boot: unsupported layout or trailer");
                testctl::EXIT_FLASH
            }
        };
        halt(&mut con, settings, code)
    }

    fn print_cfi_error(con: &mut Pl011, e: CfiError) {
        con.print(e.name());
        if let Some(offset) = e.offset() {
            con.print(" at ");
            con.hex(offset);
        }
    }

    /// wolfBoot_panic: nothing to run. Under the harness, end the run with
    /// `code`; otherwise stop.
    fn halt(con: &mut Pl011, settings: Option<testctl::Settings>, code: u32) -> ! {
        con.println("halted");
        if settings.is_some() {
            rt::semihost_exit(code);
        }
        loop {
            rt::wait_for_interrupt();
        }
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        // With `panic = "immediate-abort"` this is never called: a panic is
        // a trap instruction (reported by the exception vectors).
        loop {
            rt::wait_for_interrupt();
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "wolfboot-qemu-virt-aarch64 is firmware: build it for aarch64-unknown-none (see README.md)"
    );
}
