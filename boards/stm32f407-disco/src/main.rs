//! The wolfboot-rs bootloader for the STM32F407G-DISC1.
//!
//! Reset → UART banner → the swap state machine decides (resume an
//! interrupted swap, roll back an unconfirmed image, install a triggered
//! update, fall back to UPDATE) with every image verified against the
//! embedded keystore → jump to the verified image in BOOT.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{entry, exception, ExceptionFrame};
    use wolfboot_board_stm32f407_disco::console::Usart2;
    use wolfboot_board_stm32f407_disco::{
        layout::{self, IMAGE_HEADER_SIZE, PARTITIONS},
        take_flash,
        verifier::KeystoreVerifier,
        TRAILER,
    };
    use wolfboot_mcu_boot::{console::Console, Target};
    use wolfboot_swap_state_machine::BootConfig;

    #[allow(dead_code)]
    mod keys {
        include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
    }

    #[entry]
    fn main() -> ! {
        // SAFETY: the only UART user in the bootloader.
        let mut con = unsafe { Usart2::new() };
        con.println("wolfboot-rs bootloader (stm32f407-disco)");
        // SAFETY: the only flash owner; the bootloader lives below the
        // window and holds no reference into it.
        if let Some(flash) = unsafe { take_flash() } {
            let config = BootConfig {
                trailer: TRAILER,
                header_size: IMAGE_HEADER_SIZE,
                ..BootConfig::default()
            };
            let target = Target {
                boot_address: layout::BOOT_ADDRESS,
                rules: layout::VECTOR_RULES,
            };
            let verifier = KeystoreVerifier::new(&keys::KEYSTORE);
            wolfboot_mcu_boot::run(&mut con, flash, verifier, PARTITIONS, config, &target);
        }
        con.println("halted");
        loop {
            cortex_m::asm::wfi();
        }
    }

    #[exception]
    unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
        loop {
            cortex_m::asm::wfi();
        }
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        // With `panic = "immediate-abort"` this is never called.
        cortex_m::asm::udf()
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "wolfboot-stm32f407-disco is firmware: build it for thumbv7em-none-eabihf (see README.md)"
    );
}
