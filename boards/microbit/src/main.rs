//! The wolfboot-rs bootloader for the BBC micro:bit (nRF51822).
//!
//! Reset → UART banner → (test harness: load the flash file) → the swap
//! state machine decides (resume an interrupted swap, roll back an
//! unconfirmed image, install a triggered update, fall back to UPDATE) with
//! every image verified against the embedded keystore → jump to the verified
//! image in BOOT.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{entry, exception, ExceptionFrame};
    use wolfboot_board_microbit::{
        layout::{self, IMAGE_HEADER_SIZE},
        semihost, take_flash, testctl,
        verifier::KeystoreVerifier,
        DEVICE,
    };
    use wolfboot_mcu_boot::{console::Console, nrf_uart::NrfUart, Target};
    use wolfboot_swap_state_machine::FixedSetup;

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
        let mut con = unsafe { NrfUart::new(layout::UART_TX_PIN) };
        con.println("wolfboot-rs bootloader (microbit)");
        let settings = testctl::settings();
        if settings.is_some() {
            testctl::paint_stack();
        }
        // SAFETY: the only flash owner; the bootloader lives below the
        // window and holds no reference into it.
        if let Some(flash) = unsafe { take_flash(settings, true) } {
            let target = Target {
                boot_address: layout::BOOT_ADDRESS,
                rules: layout::VECTOR_RULES,
            };
            let verifier = KeystoreVerifier::fixed(&keys::KEYSTORE);
            let setup = FixedSetup::<BoardSetup>::new();
            wolfboot_mcu_boot::run(&mut con, flash, verifier, setup, &target);
        }
        con.println("halted");
        if settings.is_some() {
            semihost::exit(testctl::EXIT_NO_IMAGE);
        }
        loop {
            cortex_m::asm::wfi();
        }
    }

    #[exception]
    unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
        if testctl::settings().is_some() {
            semihost::exit(testctl::EXIT_FAULT);
        }
        loop {
            cortex_m::asm::wfi();
        }
    }

    /// The Cortex-M0 has no VTOR: after the jump, every exception and
    /// interrupt still enters through this bootloader's vector table at 0.
    /// All of them but HardFault land here (cortex-m-rt's `DefaultHandler`,
    /// which NMI, SVCall, PendSV, SysTick and the 32 interrupts default
    /// to) and are forwarded to the application's own handler: the entry
    /// of the exception number (IPSR) in the application's vector table at
    /// BOOT + header, entered with the exception frame untouched. The
    /// bootloader itself enables no interrupt, so nothing is forwarded
    /// before the application runs.
    #[unsafe(naked)]
    #[unsafe(no_mangle)]
    unsafe extern "C" fn DefaultHandler() {
        core::arch::naked_asm!(
            "mrs r0, IPSR",
            "lsls r0, r0, #2",
            "ldr r1, 2f",
            "ldr r0, [r1, r0]",
            "bx r0",
            ".p2align 2",
            "2: .word {table}",
            table = const layout::APP_ENTRY_ADDRESS,
        );
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
    eprintln!("wolfboot-microbit is firmware: build it for thumbv6m-none-eabi (see README.md)");
}
