//! Test application for wolfboot-rs on QEMU ast1030-evb (UPDATE and SWAP
//! on the external SPI NOR, encrypted).
//!
//! Linked at BOOT + header. Through `wolfboot-libwolfboot` only:
//!
//! * prints its version and BOOT's state;
//! * with `APP_SET_KEY`: stores the update key and nonce from the control
//!   block at the end of BOOT (`set_encrypt_key`) unless they are there;
//! * confirms itself (`success`) unless `APP_NO_CONFIRM`;
//! * with `APP_STAGE`: streams the encrypted signed image in the RAM update
//!   inbox through `UpdateWriter` onto UPDATE on the SPI NOR in
//!   [`CHUNK`]-byte pieces (ciphertext is stored as it arrives, checked
//!   through the key), and triggers it only if it verified;
//! * ends the run (`testctl::end_run`: a reset, which ends QEMU under
//!   `-no-reboot`; the harness boots again).
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};
use wolfboot_board_ast1030_evb::{
    take_flash,
    testctl::{self, flags},
    uart::Uart,
    BoardFlashSet, DEVICE, IMAGE_HEADER_SIZE,
};
use wolfboot_libwolfboot::{WolfBoot, WolfBootConfig};
use wolfboot_mcu_app::{key::store_key, stage::stage_slice, Running};

// `keys::KEYSTORE`: the keystore the bootloader was built with.
wolfboot_mcu_app::bootloader_keystore!();

/// Bytes handed to `UpdateWriter::write` at a time: a TCP segment's payload
/// on Ethernet, standing in for whatever the transport delivers.
const CHUNK: usize = 1460;

type App = WolfBoot<BoardFlashSet, { IMAGE_HEADER_SIZE as usize }>;

#[entry]
fn main() -> ! {
    // SAFETY: the only UART user in the application.
    let mut con = unsafe { Uart::new() };
    let settings = testctl::settings();
    let has = |f: u32| settings.is_some_and(|s| s.has(f));
    // SAFETY: the only flash and FMC owner. The application runs from BOOT
    // and only programs BOOT's last sector (trailer, key), which holds no
    // Rust object, and the SPI NOR.
    let flash = match unsafe { take_flash(settings, false) } {
        Ok(f) => f,
        Err(_) => testctl::end_run("app: spi-nor probe failed"),
    };
    // The board's DEVICE, as a constant item: evaluated at compile time.
    const CONFIG: WolfBootConfig = WolfBootConfig::from_device(DEVICE);
    let mut wb = App::new(flash, CONFIG);

    let running = Running::report(&mut wb, &mut con);

    if has(flags::APP_SET_KEY) {
        store_key(&mut wb, &mut con, testctl::key_area());
    }

    running.confirm(&mut wb, &mut con, has(flags::APP_NO_CONFIRM));

    if has(flags::APP_STAGE)
        && stage_slice(&mut wb, &mut con, testctl::inbox(), CHUNK, &keys::KEYSTORE)
    {
        testctl::end_run("app: update triggered");
    }
    testctl::end_run("app: done")
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    testctl::end_run("app: hard fault")
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    cortex_m::asm::udf()
}
