//! Test application for wolfboot-rs on QEMU virt (AArch64).
//!
//! The bootloader copies it from BOOT to the load address and enters it
//! (arm64 `Image` header, see the board's `jump` module). Everything it asks
//! of the bootloader goes through `wolfboot-libwolfboot`:
//!
//! * prints its version (`current_firmware_version`) and BOOT's state;
//! * confirms itself (`success`) unless the test control block says not to;
//! * waits for an update on the UART (a `WBUP` frame, see the board's
//!   `transfer` module) and streams it into UPDATE through `UpdateWriter`
//!   as it arrives, 512 bytes at a time; only once the frame's CRC matched
//!   and `finish` verified the image in place (same keystore as the
//!   bootloader, no downgrade) does it trigger the update and reset into
//!   the bootloader (PSCI `SYSTEM_RESET`). Under the test harness it waits
//!   only with `APP_RECEIVE`, once per QEMU run; without the harness it
//!   waits for updates forever, as a device would;
//! * under the harness, prints the flash operation count and ends the QEMU
//!   run with status 0.
#![no_std]
#![no_main]

use wolfboot_board_qemu_virt_aarch64::{
    cfi::{CfiError, Clock},
    console::{Console, Pl011},
    layout::{IMAGE_HEADER_SIZE, PARTITIONS},
    rt::{self, GenericTimer},
    take_flash,
    testctl::{self, flags},
    transfer::{FrameError, Receiver, Step},
    BoardFlashSet, TRAILER,
};
use wolfboot_libwolfboot::{UpdateError, VersionPolicy, WolfBoot, WolfBootConfig};
use wolfboot_mcu_app::{config, text::print_update_error, Running};

// `keys::KEYSTORE`: the keystore the bootloader was built with.
wolfboot_mcu_app::bootloader_keystore!();

/// Bytes handed to `UpdateWriter::write` at a time.
const CHUNK: usize = 512;

/// How long to wait for the first byte of an update, and between bytes, in
/// seconds.
const FIRST_BYTE_TIMEOUT_S: u64 = 60;
const BYTE_TIMEOUT_S: u64 = 10;

/// How often an empty UART is looked at (see `next_byte`).
const POLLS_PER_SECOND: u64 = 200_000;

type App = WolfBoot<BoardFlashSet, { IMAGE_HEADER_SIZE as usize }>;

/// `UpdateError` as text; after a flash error, the CFI driver's last error.
fn print_refusal(con: &mut Pl011, wb: &mut App, e: &UpdateError) {
    let UpdateError::Io(_) = e else {
        return print_update_error(con, e);
    };
    con.print("flash error");
    if let Some(e) = wb.flash_mut().0.last_error() {
        con.print(": ");
        print_cfi_error(con, e);
    }
}

fn print_cfi_error(con: &mut Pl011, e: CfiError) {
    con.print(e.name());
    if let Some(offset) = e.offset() {
        con.print(" at ");
        con.hex(offset);
    }
}

/// Why receiving stopped before an image could be staged.
enum Stop {
    Timeout,
    Frame(FrameError),
    Update(UpdateError),
}

/// Next byte from the UART, waiting at most `seconds`.
///
/// Between two looks at an empty receive FIFO it waits a few microseconds
/// on the generic timer: under QEMU every UART register access takes the
/// emulator's global lock, and a guest polling it back to back can keep
/// QEMU's I/O thread (which feeds the UART from the host) from running.
fn next_byte(con: &mut Pl011, seconds: u64) -> Option<u8> {
    let mut timer = GenericTimer;
    let start = timer.ticks();
    let budget = seconds.saturating_mul(timer.ticks_per_second());
    let pause = timer.ticks_per_second() / POLLS_PER_SECOND;
    loop {
        if let Some(b) = con.try_read() {
            return Some(b);
        }
        let now = timer.ticks();
        if now.wrapping_sub(start) > budget {
            return None;
        }
        while timer.ticks().wrapping_sub(now) < pause {}
    }
}

/// Receive one frame and stream its image through an `UpdateWriter`;
/// returns the version staged (verified, not yet triggered).
fn receive(wb: &mut App, con: &mut Pl011) -> Result<u32, Stop> {
    let mut rx = Receiver::new(wb.max_image_size());
    let len = loop {
        match rx.push(next_byte(con, FIRST_BYTE_TIMEOUT_S).ok_or(Stop::Timeout)?) {
            Step::Start(len) => break len,
            Step::Failed(e) => return Err(Stop::Frame(e)),
            _ => {}
        }
    };
    con.print("app: receiving ");
    con.dec(len);
    con.println(" bytes through UpdateWriter");
    let mut writer = wb
        .update_writer()
        .map_err(|e| Stop::Update(UpdateError::Io(e)))?;
    let mut chunk = [0u8; CHUNK];
    let mut n = 0;
    loop {
        match rx.push(next_byte(con, BYTE_TIMEOUT_S).ok_or(Stop::Timeout)?) {
            Step::Data(b) => {
                if let Some(slot) = chunk.get_mut(n) {
                    *slot = b;
                    n += 1;
                }
                if n == CHUNK {
                    writer.write(&chunk).map_err(Stop::Update)?;
                    n = 0;
                }
            }
            Step::Done => break,
            Step::Failed(e) => return Err(Stop::Frame(e)),
            _ => {}
        }
    }
    writer
        .write(chunk.get(..n).unwrap_or(&[]))
        .map_err(Stop::Update)?;
    let staged = writer
        .finish(&keys::KEYSTORE, VersionPolicy::NewerOnly)
        .map_err(Stop::Update)?;
    let version = staged.image().version;
    staged
        .trigger()
        .map_err(|e| Stop::Update(UpdateError::Io(e)))?;
    Ok(version)
}

/// Wait for an update, stage and trigger it; reset into the bootloader if
/// one was triggered.
fn update_over_uart(wb: &mut App, con: &mut Pl011, harness: bool) {
    con.println("app: ready for update (WBUP frame on the UART)");
    match receive(wb, con) {
        Ok(version) => {
            con.print("app: staged version ");
            con.dec(version);
            con.println(", update triggered");
            if harness {
                con.print("app: triggered after flash operation ");
                con.dec(testctl::op_count());
                con.println("");
            }
            rt::system_reset()
        }
        Err(Stop::Timeout) => con.println("app: no update received"),
        Err(Stop::Frame(FrameError::Length(len))) => {
            con.print("app: update refused: length ");
            con.dec(len);
            con.println("");
        }
        Err(Stop::Frame(FrameError::Crc { .. })) => {
            con.println("app: update refused: transport CRC mismatch")
        }
        Err(Stop::Update(e)) => {
            con.print("app: update refused: ");
            print_refusal(con, wb, &e);
            con.println("");
        }
    }
}

#[no_mangle]
extern "C" fn board_main(_dtb: u64) -> ! {
    // SAFETY: the only UART owner in the application (the flash monitor
    // borrows it for single lines, see testctl).
    let mut con = unsafe { Pl011::new(115_200) };
    let settings = testctl::settings();
    let harness = settings.is_some();
    let has = |f: u32| settings.is_some_and(|s| s.has(f));
    // SAFETY: the only flash owner; the application runs from RAM and holds
    // no reference into the flash bank.
    let flash = match unsafe { take_flash(settings) } {
        Ok(flash) => flash,
        Err(e) => {
            con.print("app: flash: ");
            print_cfi_error(&mut con, e);
            con.println("");
            end(harness, testctl::EXIT_FLASH)
        }
    };
    const CONFIG: WolfBootConfig = config::plain(PARTITIONS, TRAILER);
    let mut wb = App::new(flash, CONFIG);

    Running::start(&mut wb, &mut con, has(flags::APP_NO_CONFIRM));

    if !harness {
        loop {
            update_over_uart(&mut wb, &mut con, false);
        }
    }
    if has(flags::APP_RECEIVE) {
        // QEMU restores the control block at every reset: take one update
        // per QEMU run, not one per boot.
        if testctl::take_receive() {
            update_over_uart(&mut wb, &mut con, true);
        } else {
            con.println("app: update already received");
        }
    }
    con.print("app: flash operations so far ");
    con.dec(testctl::op_count());
    con.println("");
    end(true, 0)
}

/// End the run under the harness; otherwise stop.
fn end(harness: bool, code: u32) -> ! {
    if harness {
        rt::semihost_exit(code);
    }
    loop {
        rt::wait_for_interrupt();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // With `panic = "immediate-abort"` this is never called.
    loop {
        rt::wait_for_interrupt();
    }
}
