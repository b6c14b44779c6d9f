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
use wolfboot_libwolfboot::{WolfBoot, WolfBootConfig};
use wolfboot_mcu_app::{
    config,
    stage::stage,
    trigger::{trigger_newer, TriggerText},
    ImageSource, Running,
};
use wolfboot_mcu_boot::{console::Console, nrf_uart::NrfUart};

// `keys::KEYSTORE`: the keystore the bootloader was built with.
wolfboot_mcu_app::bootloader_keystore!();

/// Bytes handed to `UpdateWriter::write` at a time: a BLE-sized packet,
/// standing in for whatever the transport delivers.
const CHUNK: usize = 244;

type App = WolfBoot<BoardFlashSet, { IMAGE_HEADER_SIZE as usize }>;

/// The inbox file on the host, read [`CHUNK`] bytes at a time.
struct Inbox {
    file: HostFile,
    buf: [u8; CHUNK],
}

impl ImageSource for Inbox {
    /// A failed read ends the stream (`finish` finds the image incomplete).
    type Error = core::convert::Infallible;

    fn next_chunk(&mut self) -> Result<&[u8], Self::Error> {
        // SAFETY: `buf` is a distinct, writable buffer of `CHUNK` bytes.
        let n = unsafe { self.file.read_raw(self.buf.as_mut_ptr(), CHUNK) };
        Ok(self.buf.get(..n).unwrap_or_default())
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
    const CONFIG: WolfBootConfig = config::plain(PARTITIONS, TRAILER);
    let mut wb = App::new(flash, CONFIG);

    let running = Running::start(&mut wb, &mut con, has(flags::APP_NO_CONFIRM));

    if has(flags::APP_STAGE) {
        // The inbox is staged once per QEMU run (not again after the reset).
        match testctl::take_inbox() {
            Some(file) => {
                con.println("app: staging inbox.bin through UpdateWriter");
                let mut inbox = Inbox {
                    file,
                    buf: [0; CHUNK],
                };
                if stage(&mut wb, &mut con, &mut inbox, &keys::KEYSTORE) {
                    cortex_m::peripheral::SCB::sys_reset();
                }
            }
            None => con.println("app: inbox already staged"),
        }
    }

    // Raw `update_trigger` of what the host wrote into UPDATE (the
    // bootloader's verification is under test). Trigger once: an update
    // the bootloader refused stays UPDATING.
    if has(flags::APP_TRIGGER)
        && trigger_newer(&mut wb, &mut con, running.version, &TriggerText::TEST)
    {
        cortex_m::peripheral::SCB::sys_reset();
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
