//! The wolfboot-rs bootloader for the nRF52840-DK.
//!
//! Reset → UART banner → the swap state machine decides (resume an
//! interrupted swap, roll back an unconfirmed image, install a triggered
//! update, fall back to UPDATE) with every image verified against the
//! embedded keystore → jump to the verified image in BOOT.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use wolfboot_mcu_boot::nrf_uart::NrfUart;

    wolfboot_mcu_boot::plain_bootloader! {
        board: wolfboot_board_nrf52840_dk,
        // SAFETY: the only UART user in the bootloader.
        console: unsafe { NrfUart::new(layout::UART_TX_PIN) },
        banner: "wolfboot-rs bootloader (nrf52840-dk)",
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "wolfboot-nrf52840-dk is firmware: build it for thumbv7em-none-eabihf (see README.md)"
    );
}
