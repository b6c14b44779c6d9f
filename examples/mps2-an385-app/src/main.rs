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
use wolfboot_libwolfboot::{
    Error, PartitionId, PartitionState, UpdateError, VersionPolicy, WolfBoot, WolfBootConfig,
};

/// The keystore the bootloader was built with (`WOLFBOOT_KEYSTORE_RS`).
#[allow(dead_code)]
mod keys {
    include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
}

const HEADER_LEN: usize = IMAGE_HEADER_SIZE as usize;

/// Bytes handed to `UpdateWriter::write` at a time: a TCP segment's payload
/// on Ethernet, standing in for whatever the transport delivers.
const CHUNK: usize = 1460;

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
fn print_update_error(con: &mut Uart, e: &UpdateError) {
    match e {
        UpdateError::Io(Error::NoEncryptKey) => con.print("no encryption key stored"),
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

/// The transport-agnostic update flow: feed `image` to an `UpdateWriter`
/// chunk by chunk, verify, trigger. Returns whether an update was triggered.
fn stage(wb: &mut App, con: &mut Uart, image: &[u8]) -> bool {
    con.print("app: staging ");
    con.dec(image.len() as u32);
    con.println(" bytes through UpdateWriter");
    let staged = match wb.update_writer() {
        Err(e) => Err(UpdateError::Io(e)),
        Ok(mut writer) => {
            let mut sent = Ok(());
            for chunk in image.chunks(CHUNK) {
                sent = writer.write(chunk);
                if sent.is_err() {
                    break;
                }
            }
            match sent {
                // An empty inbox is an incomplete image: `finish` says so.
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

/// Store the key and nonce from the control block (`set_encrypt_key`),
/// unless the same ones are stored already (QEMU restores the control block
/// at every reset, so this runs at every start of the application).
fn set_key(wb: &mut App, con: &mut Uart) {
    let Some(secret) = wb.config().secret else {
        con.println("app: set_key: built without encryption");
        return;
    };
    let area = testctl::key_area();
    let (key, rest) = area.split_at(usize::from(secret.key_len));
    let nonce = &rest[..usize::from(secret.nonce_len)];
    let mut stored_key = [0u8; testctl::KEY_AREA];
    let mut stored_nonce = [0u8; testctl::KEY_AREA];
    let stored_key = &mut stored_key[..key.len()];
    let stored_nonce = &mut stored_nonce[..nonce.len()];
    if wb.get_encrypt_key(stored_key, stored_nonce) == Ok(true)
        && stored_key == key
        && stored_nonce == nonce
    {
        con.println("app: encryption key already stored");
        return;
    }
    match wb.set_encrypt_key(key, nonce) {
        Ok(()) => con.println("app: encryption key stored"),
        Err(_) => con.println("app: set_encrypt_key failed"),
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
    let flash = unsafe { take_flash(settings, false) };
    // The board's DEVICE, as a constant item: evaluated at compile time.
    const CONFIG: WolfBootConfig = WolfBootConfig::from_device(DEVICE);
    let mut wb = App::new(flash, CONFIG);

    let version = wb.current_firmware_version().ok().flatten().unwrap_or(0);
    con.print("app: version ");
    con.dec(version);
    let state = wb.partition_state(PartitionId::Boot);
    con.print(", BOOT state ");
    con.println(state.map_or("unreadable", state_str));

    if has(flags::APP_SET_KEY) {
        set_key(&mut wb, &mut con);
    }

    if has(flags::APP_NO_CONFIRM) {
        con.println("app: not confirming");
    } else if state != Ok(Some(PartitionState::Success)) {
        match wb.success() {
            Ok(()) => con.println("app: confirmed (success)"),
            Err(_) => con.println("app: success failed"),
        }
    }

    if has(flags::APP_STAGE) {
        // QEMU puts the inbox back at every reset; stage it once per run.
        match testctl::take_inbox() {
            Some(image) => {
                if stage(&mut wb, &mut con, image) {
                    cortex_m::peripheral::SCB::sys_reset();
                }
            }
            None => con.println("app: inbox already staged"),
        }
    }

    if has(flags::APP_TRIGGER) {
        // Raw `update_trigger` of what the host wrote into UPDATE (no check
        // here: the bootloader's verification is under test). Trigger once:
        // an update the bootloader refused stays UPDATING.
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
