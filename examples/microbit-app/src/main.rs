//! Test application for wolfboot-rs on the BBC micro:bit (and QEMU's
//! `microbit` machine).
//!
//! Linked at BOOT + header (see `build.rs`). Everything it asks of the
//! bootloader goes through `wolfboot-libwolfboot` (the Rust `libwolfboot`):
//!
//! * prints its version (`current_firmware_version`) and BOOT's state;
//! * confirms itself (`success`) unless the test control block says not to;
//! * with `APP_STAGE`: streams `inbox.bin` (a signed image on the host, read
//!   through semihosting) into UPDATE through `UpdateWriter`, in
//!   [`CHUNK`]-byte pieces as a transport (UART, radio) would hand them over,
//!   verifies it there (`finish` against the same keystore as the
//!   bootloader, no downgrade) and only then triggers it and resets into the
//!   bootloader;
//! * with `APP_TRIGGER`: the raw path, for testing the *bootloader's*
//!   checks: the harness wrote an image straight into UPDATE, and the app
//!   marks it `UPDATING` (`update_trigger`, no verification) if it is newer;
//! * then ends the QEMU run with status 0 under the harness, or idles.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_rt::{entry, exception, ExceptionFrame};
use wolfboot_board_microbit::{
    layout::{IMAGE_HEADER_SIZE, PARTITIONS, UART_TX_PIN},
    semihost::{self, HostFile},
    take_flash,
    testctl::{self, flags},
    BoardFlashSet, TRAILER,
};
use wolfboot_libwolfboot::{
    Error, PartitionId, PartitionState, UpdateError, VersionPolicy, WolfBoot, WolfBootConfig,
};
use wolfboot_mcu_boot::{console::Console, nrf_uart::NrfUart};

/// The keystore the bootloader was built with (`WOLFBOOT_KEYSTORE_RS`).
#[allow(dead_code)]
mod keys {
    include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
}

const HEADER_LEN: usize = IMAGE_HEADER_SIZE as usize;

/// Bytes handed to `UpdateWriter::write` at a time: a BLE-sized packet,
/// standing in for whatever the transport delivers.
const CHUNK: usize = 244;

type App = WolfBoot<BoardFlashSet, HEADER_LEN>;

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

/// `UpdateError` as text, without `core::fmt`.
fn print_update_error(con: &mut NrfUart, e: &UpdateError) {
    match e {
        UpdateError::Io(Error::Unconfirmed) => con.print("running image not confirmed"),
        UpdateError::Io(_) => con.print("flash error"),
        UpdateError::Header(_) => con.print("not a wolfBoot image"),
        UpdateError::TooLarge => con.print("too large"),
        UpdateError::ExtraData => con.print("more data than announced"),
        UpdateError::Incomplete { received, expected } => {
            con.print("incomplete (");
            con.dec(*received);
            con.print(" of ");
            con.dec(*expected);
            con.print(" bytes)");
        }
        UpdateError::Verify(v) => con.print(v.description()),
        UpdateError::Downgrade { current, offered } => {
            con.print("version ");
            con.dec(*offered);
            con.print(" not newer than ");
            con.dec(*current);
        }
        UpdateError::Aborted => con.print("aborted"),
        #[allow(unreachable_patterns)]
        _ => con.print("error"),
    }
}

/// The transport-agnostic update flow: feed the inbox to an `UpdateWriter`
/// chunk by chunk, verify, trigger. Returns whether an update was triggered.
fn stage(wb: &mut App, con: &mut NrfUart, inbox: &HostFile) -> bool {
    con.println("app: staging inbox.bin through UpdateWriter");
    let staged = match wb.update_writer() {
        Err(e) => Err(UpdateError::Io(e)),
        Ok(mut writer) => {
            let mut buf = [0u8; CHUNK];
            let mut sent = Ok(());
            loop {
                // SAFETY: `buf` is a distinct, writable stack buffer.
                let n = unsafe { inbox.read_raw(buf.as_mut_ptr(), CHUNK) };
                if n == 0 {
                    break;
                }
                sent = writer.write(&buf[..n]);
                if sent.is_err() {
                    break;
                }
            }
            match sent {
                Ok(()) => writer.finish(&keys::KEYSTORE, VersionPolicy::NewerOnly),
                Err(e) => Err(e),
            }
        }
    };
    match staged {
        Ok(update) => {
            con.print("app: staged version ");
            con.dec(update.image().version);
            con.println("");
            match update.trigger() {
                Ok(_) => true,
                Err(_) => {
                    con.println("app: update_trigger failed");
                    false
                }
            }
        }
        Err(e) => {
            con.print("app: update refused: ");
            print_update_error(con, &e);
            con.println("");
            false
        }
    }
}

#[entry]
fn main() -> ! {
    // SAFETY: the only UART user in the application.
    let mut con = unsafe { NrfUart::new(UART_TX_PIN) };
    let settings = testctl::settings();
    let has = |f: u32| settings.is_some_and(|s| s.has(f));
    // SAFETY: the only flash owner. The application runs from BOOT and only
    // programs the BOOT trailer sector and UPDATE, which hold no Rust object.
    let Some(flash) = (unsafe { take_flash(settings, false) }) else {
        con.println("app: flash window refused");
        semihost::exit(testctl::EXIT_HARNESS)
    };
    // The parts the board's DEVICE is made of (`WolfBootConfig::from_device`
    // costs this Cortex-M0 app 4 to 24 bytes).
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

    if has(flags::APP_NO_CONFIRM) {
        con.println("app: not confirming");
    } else if state != Ok(Some(PartitionState::Success)) {
        match wb.success() {
            Ok(()) => con.println("app: confirmed (success)"),
            Err(_) => con.println("app: success failed"),
        }
    }

    if has(flags::APP_STAGE) {
        // The inbox is staged once per QEMU run (not again after the reset).
        match testctl::take_inbox() {
            Some(inbox) => {
                if stage(&mut wb, &mut con, &inbox) {
                    cortex_m::peripheral::SCB::sys_reset();
                }
            }
            None => con.println("app: inbox already staged"),
        }
    }

    if has(flags::APP_TRIGGER) {
        // Raw `update_trigger` of what the host wrote into UPDATE (the
        // bootloader's verification is under test). Trigger once: an update
        // the bootloader refused stays UPDATING.
        let update_state = wb.partition_state(PartitionId::Update);
        match wb.update_firmware_version().ok().flatten() {
            _ if update_state == Ok(Some(PartitionState::Updating)) => {
                con.println("app: update already triggered")
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
            _ => con.println("app: no newer update staged"),
        }
    }
    if exception_through_the_bootloader() {
        con.println("app: PendSV handled here (forwarded by the bootloader)");
    } else {
        con.println("app: PendSV not handled");
    }
    if settings.is_some() {
        con.print("app: flash operations so far ");
        con.dec(testctl::op_count());
        con.print("; stack high-water mark ");
        con.dec(testctl::stack_high_water());
        con.println(" bytes");
        semihost::exit(0)
    }
    loop {
        cortex_m::asm::wfi();
    }
}

/// Set by this application's PendSV handler.
static TAKEN: AtomicBool = AtomicBool::new(false);

#[exception]
fn PendSV() {
    TAKEN.store(true, Ordering::Relaxed);
}

/// Take one PendSV exception (pended by software): the Cortex-M0 has no
/// VTOR, so it enters through the bootloader's vector table, which forwards
/// it to this application's handler.
fn exception_through_the_bootloader() -> bool {
    cortex_m::peripheral::SCB::set_pendsv();
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    TAKEN.load(Ordering::Relaxed)
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    semihost::exit(testctl::EXIT_FAULT)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    cortex_m::asm::udf()
}
