//! The wolfboot-rs bootloader for QEMU ast1030-evb with UPDATE and SWAP on
//! an external SPI NOR.
//!
//! Reset → UART banner → (harness: load `internal.bin`) → probe the SPI NOR
//! (JEDEC ID, SFDP) → the swap state machine decides (resume an interrupted
//! swap, roll back, install a triggered update, fall back) with UPDATE and
//! SWAP decrypted on the fly with the key stored at the end of BOOT, every
//! image verified against the embedded keystore → jump to BOOT.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{entry, exception, ExceptionFrame};
    use wolfboot_board_ast1030_evb::{
        chip, jump, layout, print_chip, take_flash, testctl,
        uart::{Console, Uart},
        TakeError, DEVICE, IMAGE_HEADER_SIZE,
    };
    use wolfboot_board_mps2_an385::verifier::KeystoreVerifier;
    use wolfboot_mcu_boot::report;
    use wolfboot_swap_state_machine::{BootError, Bootloader, FixedSetup};

    wolfboot_swap_state_machine::build_setup!(
        /// Layout and options, as constants folded into the code.
        BoardSetup {
            layout: DEVICE.layout,
            config: DEVICE.boot_config().with_header_size(IMAGE_HEADER_SIZE),
        }
    );

    #[allow(dead_code)]
    mod keys {
        include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
    }

    #[entry]
    fn main() -> ! {
        // SAFETY: the only UART user in the bootloader.
        let mut con = unsafe { Uart::new() };
        con.println("wolfboot-rs bootloader (ast1030-evb, UPDATE+SWAP on SPI NOR)");
        let settings = testctl::settings();
        // SAFETY: the only flash and FMC owner; the bootloader lives below
        // FLASH_BASE and holds no reference into BOOT's SRAM.
        let flash = match unsafe { take_flash(settings, true) } {
            Ok(f) => f,
            Err(TakeError::Spi(_)) => halt(&mut con, "spi-nor: probe failed"),
            Err(TakeError::TooSmall(info)) => {
                print_chip(&mut con, &info);
                halt(&mut con, "spi-nor: chip too small for the layout")
            }
        };
        print_chip(&mut con, chip(&flash));
        let verifier = KeystoreVerifier::fixed(&keys::KEYSTORE);
        let setup = FixedSetup::<BoardSetup>::new();
        let Ok(mut bootloader) = Bootloader::with_setup(flash, verifier, setup) else {
            halt(&mut con, "bad partition layout")
        };
        match bootloader.boot() {
            Ok(decision) => {
                con.print("boot: ");
                report::print_action(&mut con, &decision.action);
                con.print("; version ");
                con.dec(decision.image.version);
                con.println("");
                let entry = layout::BOOT_ADDRESS + decision.image.header_size as u32;
                let end = layout::BOOT_ADDRESS + layout::PARTITION_SIZE - layout::SECTOR_SIZE;
                let err = jump::boot(entry, end);
                con.print("boot: bad vector table ");
                con.hex(err.value());
                con.println("");
            }
            Err(e @ BootError::NoBootableImage { .. }) => report::print_boot_error(&mut con, &e),
            Err(BootError::Flash(f)) => {
                con.print("boot: flash failure on ");
                con.println(match f.device {
                    wolfboot_hal_flash::Device::Internal => "internal flash",
                    wolfboot_hal_flash::Device::External => "SPI NOR",
                });
            }
            Err(_) => con.println("boot: unsupported layout or trailer"),
        }
        halt(&mut con, "halted")
    }

    /// wolfBoot_panic: nothing bootable. Under the harness, end the run.
    fn halt(con: &mut Uart, why: &str) -> ! {
        con.println(why);
        if testctl::settings().is_some() {
            testctl::end_run("bootloader halted");
        }
        loop {
            cortex_m::asm::wfi();
        }
    }

    #[exception]
    unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
        testctl::end_run("hard fault")
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        cortex_m::asm::udf()
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "wolfboot-ast1030-evb is firmware: build it with `cargo xtask build --board ast1030-evb`"
    );
}
