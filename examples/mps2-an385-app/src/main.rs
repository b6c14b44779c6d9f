//! Test application for wolfboot-rs on QEMU mps2-an385.
//!
//! Linked at BOOT + header (see `build.rs`). It prints the version in its
//! own image header and BOOT's trailer state, confirms itself
//! (`wolfBoot_success`) unless the test control block says not to, triggers
//! the update staged in UPDATE when asked, the staged version is newer and
//! it was not triggered already
//! (`wolfBoot_update_trigger`, then a system reset into the bootloader), and
//! otherwise ends the QEMU run with status 0.
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};
use wolfboot_board_mps2_an385::{
    console::{Console, Uart},
    layout::{IMAGE_HEADER_SIZE, PARTITIONS},
    semihost, take_flash,
    testctl::{self, flags},
    BoardFlashSet, TRAILER,
};
use wolfboot_hal_flash::{Partition, PartitionId};
use wolfboot_image_format::ImageHeader;
use wolfboot_swap_state_machine::{app, PartitionState};

const HEADER_LEN: usize = IMAGE_HEADER_SIZE as usize;

/// Version in the header at the start of `part` (not verified: the
/// bootloader verified BOOT; UPDATE is only compared).
fn version_of(flash: &mut BoardFlashSet, part: Partition) -> Option<u32> {
    let mut header = [0u8; HEADER_LEN];
    part.read(flash, 0, &mut header).ok()?;
    ImageHeader::parse(&header, HEADER_LEN)
        .and_then(|h| h.version())
        .ok()
}

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
    let mut con = unsafe { Uart::new(115_200) };
    let settings = testctl::settings();
    let has = |f: u32| settings.is_some_and(|s| s.has(f));
    // SAFETY: the only flash owner. The application runs from BOOT and only
    // programs the BOOT trailer sector and UPDATE, which hold no Rust object.
    let mut flash = unsafe { take_flash(settings, false) };

    let version = version_of(&mut flash, PARTITIONS.boot).unwrap_or(0);
    con.print("app: version ");
    con.dec(version);
    let state = app::partition_state(&mut flash, &PARTITIONS, TRAILER, PartitionId::Boot);
    con.print(", BOOT state ");
    con.println(state.map_or("unreadable", state_str));

    if has(flags::APP_NO_CONFIRM) {
        con.println("app: not confirming");
    } else if state != Ok(Some(PartitionState::Success)) {
        match app::success(&mut flash, &PARTITIONS, TRAILER) {
            Ok(()) => con.println("app: confirmed (success)"),
            Err(_) => con.println("app: success failed"),
        }
    }

    if has(flags::APP_TRIGGER) {
        // Trigger once: an update the bootloader refused stays UPDATING.
        let update_state =
            app::partition_state(&mut flash, &PARTITIONS, TRAILER, PartitionId::Update);
        match version_of(&mut flash, PARTITIONS.update) {
            _ if update_state == Ok(Some(PartitionState::Updating)) => {
                con.println("app: update already triggered")
            }
            Some(v) if v > version => {
                con.print("app: triggering update to version ");
                con.dec(v);
                con.println("");
                if app::update_trigger(&mut flash, &PARTITIONS, TRAILER).is_ok() {
                    cortex_m::peripheral::SCB::sys_reset();
                }
                con.println("app: update_trigger failed");
            }
            _ => con.println("app: no newer update staged"),
        }
    }
    if settings.is_some() {
        con.print("app: flash operations so far ");
        con.dec(testctl::op_count());
        con.println("");
    }
    semihost::exit(0)
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    semihost::exit(testctl::EXIT_FAULT)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    cortex_m::asm::udf()
}
