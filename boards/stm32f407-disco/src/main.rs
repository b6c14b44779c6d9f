//! The wolfboot-rs bootloader for the STM32F407G-DISC1.
//!
//! Reset → UART banner → the swap state machine decides (resume an
//! interrupted swap, roll back an unconfirmed image, install a triggered
//! update, fall back to UPDATE) with every image verified against the
//! embedded keystore → jump to the verified image in BOOT.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use wolfboot_board_stm32f407_disco::console::Usart2;

    wolfboot_mcu_boot::plain_bootloader! {
        board: wolfboot_board_stm32f407_disco,
        // SAFETY: the only UART user in the bootloader.
        console: unsafe { Usart2::new() },
        banner: "wolfboot-rs bootloader (stm32f407-disco)",
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "wolfboot-stm32f407-disco is firmware: build it for thumbv7em-none-eabihf (see README.md)"
    );
}
