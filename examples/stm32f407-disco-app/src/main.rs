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
use wolfboot_libwolfboot::{PartitionId, PartitionState, WolfBoot, WolfBootConfig};
use wolfboot_mcu_boot::console::Console;

type App = WolfBoot<BoardFlashSet, { IMAGE_HEADER_SIZE as usize }>;

fn state_str(state: Option<PartitionState>) -> &'static str {
    match state {
        None => "none",
        Some(PartitionState::New) => "new",
        Some(PartitionState::Updating) => "updating",
        Some(PartitionState::FinalFlags) => "final",
        Some(PartitionState::Testing) => "testing",
        Some(PartitionState::Success) => "success",
        Some(_) => "other",
    }
}

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
    let mut wb = App::new(
        flash,
        WolfBootConfig {
            layout: PARTITIONS,
            trailer: TRAILER,
            secret: None,
        },
    );
    let version = wb.current_firmware_version().ok().flatten().unwrap_or(0);
    con.print("app: version ");
    con.dec(version);
    let state = wb.partition_state(PartitionId::Boot);
    con.print(", BOOT state ");
    con.println(state.map_or("unreadable", state_str));
    if state != Ok(Some(PartitionState::Success)) {
        match wb.success() {
            Ok(()) => con.println("app: confirmed (success)"),
            Err(_) => con.println("app: success failed"),
        }
    }
    let update_state = wb.partition_state(PartitionId::Update);
    match wb.update_firmware_version().ok().flatten() {
        _ if update_state == Ok(Some(PartitionState::Updating)) => {
            con.println("app: update already triggered (refused by the bootloader)")
        }
        Some(v) if v > version => {
            con.print("app: triggering update to version ");
            con.dec(v);
            con.println("");
            if wb.update_trigger().is_ok() {
                cortex_m::peripheral::SCB::sys_reset();
            }
            con.println("app: update_trigger failed");
        }
        _ => con.println("app: no newer image in UPDATE"),
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
