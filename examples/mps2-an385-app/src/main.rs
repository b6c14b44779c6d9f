//! Test application for wolfboot-rs on QEMU mps2-an385.
//!
//! Linked at BOOT + header (see `build.rs`). Everything it asks of the
//! bootloader goes through `wolfboot-libwolfboot` (the Rust `libwolfboot`):
//!
//! * prints its version (`current_firmware_version`) and BOOT's state;
//! * confirms itself (`success`) unless the test control block says not to;
//! * with `APP_STAGE`: streams the signed image the harness placed in the
//!   RAM update inbox into UPDATE through `UpdateWriter`, in [`CHUNK`]-byte
//!   pieces as a transport (UART, network) would hand them over, verifies it
//!   there (`finish` against the same keystore as the bootloader, no
//!   downgrade) and only then triggers it and resets into the bootloader.
//!   Nothing in this path depends on where the bytes come from;
//! * with `APP_SET_KEY` (builds with an `encrypt-*` feature): stores the
//!   update-encryption key and nonce the harness placed in the control block
//!   at the end of BOOT (`set_encrypt_key`, wolfBoot's
//!   `wolfBoot_set_encrypt_key`), unless they are already there; updates
//!   then arrive encrypted and stay encrypted in UPDATE;
//! * with `APP_TRIGGER`: the raw path, for testing the *bootloader's*
//!   checks: the harness wrote an image straight into UPDATE, and the app
//!   marks it `UPDATING` (`update_trigger`, no verification) if it is newer;
//! * otherwise ends the QEMU run with status 0.
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};
use wolfboot_board_mps2_an385::{
    console::{Console, Uart},
    layout::IMAGE_HEADER_SIZE,
    semihost, take_flash,
    testctl::{self, flags},
    BoardFlashSet, DEVICE,
};
use wolfboot_libwolfboot::{WolfBoot, WolfBootConfig};
use wolfboot_mcu_app::{
    key::store_key,
    stage::stage_slice,
    text::print_number_line,
    trigger::{trigger_newer, TriggerText},
    Running,
};

// `keys::KEYSTORE`: the keystore the bootloader was built with.
wolfboot_mcu_app::bootloader_keystore!();

/// Bytes handed to `UpdateWriter::write` at a time: a TCP segment's payload
/// on Ethernet, standing in for whatever the transport delivers.
const CHUNK: usize = 1460;

type App = WolfBoot<BoardFlashSet, { IMAGE_HEADER_SIZE as usize }>;

#[entry]
fn main() -> ! {
    // SAFETY: the only UART user in the application.
    let mut con = unsafe { Uart::new(115_200) };
    let settings = testctl::settings();
    let has = |f: u32| settings.is_some_and(|s| s.has(f));
    // SAFETY: the only flash owner. The application runs from BOOT and only
    // programs the BOOT trailer sector and UPDATE, which hold no Rust object.
    let flash = unsafe { take_flash(settings, false) };
    // The board's DEVICE, as a constant item: evaluated at compile time.
    const CONFIG: WolfBootConfig = WolfBootConfig::from_device(DEVICE);
    let mut wb = App::new(flash, CONFIG);

    let running = Running::report(&mut wb, &mut con);

    if has(flags::APP_SET_KEY) {
        // QEMU restores the control block at every reset, so this runs at
        // every start of the application: stored once.
        store_key(&mut wb, &mut con, &testctl::key_area());
    }

    running.confirm(&mut wb, &mut con, has(flags::APP_NO_CONFIRM));

    if has(flags::APP_STAGE) {
        // QEMU puts the inbox back at every reset; stage it once per run.
        match testctl::take_inbox() {
            Some(image) => {
                if stage_slice(&mut wb, &mut con, image, CHUNK, &keys::KEYSTORE) {
                    cortex_m::peripheral::SCB::sys_reset();
                }
            }
            None => con.println("app: inbox already staged"),
        }
    }

    // Raw `update_trigger` of what the host wrote into UPDATE (no check
    // here: the bootloader's verification is under test). Trigger once: an
    // update the bootloader refused stays UPDATING.
    if has(flags::APP_TRIGGER)
        && trigger_newer(&mut wb, &mut con, running.version, &TriggerText::TEST)
    {
        cortex_m::peripheral::SCB::sys_reset();
    }
    if settings.is_some() {
        print_number_line(
            &mut con,
            "app: flash operations so far ",
            testctl::op_count(),
        );
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
