//! Example application for wolfboot-rs on the STM32F407G-DISC1.
//!
//! Linked at BOOT + header (see `build.rs`); everything it asks of the
//! bootloader goes through `wolfboot-libwolfboot`:
//!
//! * prints its version and BOOT's state on USART2 (TX on PA2, 115200 8N1,
//!   at the 16 MHz HSI the bootloader left running);
//! * confirms itself (`success`), so the bootloader keeps it;
//! * if UPDATE holds a newer image that is not yet triggered (put there with
//!   `probe-rs download --binary-format bin --base-address 0x08080000`, or by
//!   your own transport through `UpdateWriter`), marks it for installation
//!   (`update_trigger`) and resets: the bootloader verifies it and swaps
//!   it in, or refuses it and boots this version again.
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};
use stm32f4 as _;
use wolfboot_board_stm32f407_disco::{
    console::Usart2,
    layout::{IMAGE_HEADER_SIZE, PARTITIONS},
    take_flash, BoardFlashSet, TRAILER,
};
use wolfboot_libwolfboot::{WolfBoot, WolfBootConfig};
use wolfboot_mcu_app::{
    config,
    trigger::{trigger_newer, TriggerText},
    Running,
};
use wolfboot_mcu_boot::console::Console;

type App = WolfBoot<BoardFlashSet, { IMAGE_HEADER_SIZE as usize }>;

#[entry]
fn main() -> ! {
    // SAFETY: the only UART user in the application.
    let mut con = unsafe { Usart2::new() };
    // SAFETY: the only flash owner. The application runs from BOOT and only
    // programs the BOOT trailer sector and UPDATE's trailer.
    let Some(flash) = (unsafe { take_flash() }) else {
        con.println("app: flash window refused");
        idle()
    };
    const CONFIG: WolfBootConfig = config::plain(PARTITIONS, TRAILER);
    let mut wb = App::new(flash, CONFIG);
    let running = Running::start(&mut wb, &mut con, false);
    if trigger_newer(&mut wb, &mut con, running.version, &TriggerText::DEVICE) {
        cortex_m::peripheral::SCB::sys_reset();
    }
    idle()
}

fn idle() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    idle()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    cortex_m::asm::udf()
}
