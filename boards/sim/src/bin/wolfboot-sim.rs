//! `wolfboot-sim`: the sim board's bootloader.
//!
//! ```text
//! wolfboot-sim [--flash FILE] [--encrypt chacha|aes128|aes256] [--powerfail-after N]
//!              [--no-exec] [--] [APP ARGS...]
//! ```
//!
//! `--encrypt ALG`: UPDATE holds images encrypted with ALG (wolfBoot's
//! `EXT_ENCRYPTED`), keyed by the secret the application stored at the end
//! of BOOT; the application is told the cipher through `WOLFBOOT_SIM_ENCRYPT`.
//! Delta images are always accepted.
//!
//! Runs the boot decision on the flash file (resume an interrupted swap,
//! install a triggered update, roll back an unconfirmed one, fall back in
//! an emergency), then runs the verified payload of BOOT — a host
//! executable — from memory with the remaining arguments, as wolfBoot's sim
//! does. `--powerfail-after N` cuts the power after N flash operations: the
//! program then stops at once (exit status 3), like a device losing power.
//!
//! One line on stderr reports the decision:
//! `wolfboot-sim: action=installed version=2 state=TESTING erases=… programs=… bytes_written=…`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use wolfboot_board_sim::config::{self, HEADER_SIZE, KEYSTORE};
use wolfboot_board_sim::flash::{self, SimFlash};
use wolfboot_hal_flash::PartitionId;
use wolfboot_swap_state_machine::verifier::KeystoreVerifier;
use wolfboot_swap_state_machine::{
    BootAction, BootDecision, BootError, Bootloader, PartitionState,
};

/// Exit status of a run stopped by a simulated power failure.
const EXIT_POWER_FAIL: u8 = 3;
/// Exit status when there is nothing bootable.
const EXIT_NO_IMAGE: u8 = 4;

struct Args {
    flash: PathBuf,
    powerfail_after: Option<u64>,
    exec: bool,
    encrypt: Option<wolfboot_swap_state_machine::EncryptAlgorithm>,
    app_args: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        flash: flash::default_path(),
        powerfail_after: None,
        exec: true,
        encrypt: None,
        app_args: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--flash" => args.flash = it.next().ok_or("--flash needs a file")?.into(),
            "--powerfail-after" => {
                let n = it.next().ok_or("--powerfail-after needs a number")?;
                args.powerfail_after =
                    Some(n.parse().map_err(|_| format!("bad operation count `{n}`"))?);
            }
            "--no-exec" => args.exec = false,
            "--encrypt" => {
                let n = it.next().ok_or("--encrypt needs a cipher")?;
                args.encrypt = Some(
                    wolfboot_swap_state_machine::EncryptAlgorithm::from_name(&n).ok_or_else(
                        || format!("unknown cipher `{n}` (chacha, aes128, aes256)"),
                    )?,
                );
            }
            "--" => {
                args.app_args.extend(it.by_ref());
            }
            "-h" | "--help" => {
                return Err("usage: wolfboot-sim [--flash FILE] [--powerfail-after N] [--no-exec] [--] [APP ARGS...]".into())
            }
            _ => {
                args.app_args.push(a);
                args.app_args.extend(it.by_ref());
            }
        }
    }
    Ok(args)
}

fn action_name(a: &BootAction) -> String {
    match a {
        BootAction::NoUpdate => "none".into(),
        BootAction::Installed => "installed".into(),
        BootAction::RolledBack => "rolled-back".into(),
        BootAction::FinishedInterrupted => "finished-interrupted".into(),
        BootAction::EmergencyFallback => "emergency-fallback".into(),
        BootAction::UpdateRefused(_) => "refused".into(),
    }
}

fn state_name(s: Option<PartitionState>) -> String {
    match s {
        None => "NONE".into(),
        Some(s) => s.to_string().to_uppercase(),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wolfboot-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let flash = match flash::open(&args.flash, args.powerfail_after) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("wolfboot-sim: error: {e}");
            return ExitCode::from(2);
        }
    };
    #[cfg(not(feature = "pq"))]
    let verifier = KeystoreVerifier::<HEADER_SIZE>::new(&KEYSTORE);
    // The post-quantum build accepts hybrid images only, as a wolfBoot
    // built with SIGN_SECONDARY: an image signed by one of the two keys
    // alone is refused.
    #[cfg(feature = "pq")]
    let verifier = {
        let mut options = KeystoreVerifier::<HEADER_SIZE>::new(&KEYSTORE).options();
        options.require_hybrid = true;
        KeystoreVerifier::<HEADER_SIZE>::with_options(&KEYSTORE, options)
    };
    let mut boot = match Bootloader::new(
        flash,
        verifier,
        config::layout(),
        config::boot_config(args.encrypt),
    ) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("wolfboot-sim: error: {e}");
            return ExitCode::from(2);
        }
    };
    let decision = match boot.boot() {
        Ok(d) => d,
        Err(e) => return report_failure(boot.flash(), &e),
    };
    let (flash, _) = boot.into_parts();
    report(&flash, &decision);
    if !args.exec {
        return ExitCode::SUCCESS;
    }
    match run_app(flash, &decision, &args) {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("wolfboot-sim: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(flash: &SimFlash, d: &BootDecision) {
    if let BootAction::UpdateRefused(reason) = &d.action {
        eprintln!("wolfboot-sim: update refused: {reason}");
    }
    eprintln!(
        "wolfboot-sim: action={} version={} state={} {}",
        action_name(&d.action),
        d.image.version,
        state_name(d.boot_state),
        flash::describe(&flash::stats(flash))
    );
}

fn report_failure(flash: &SimFlash, e: &BootError) -> ExitCode {
    if flash::power_is_off(flash) {
        eprintln!(
            "wolfboot-sim: power failure after {}",
            flash::describe(&flash::stats(flash))
        );
        return ExitCode::from(EXIT_POWER_FAIL);
    }
    eprintln!("wolfboot-sim: error: {e}");
    ExitCode::from(EXIT_NO_IMAGE)
}

/// Copy BOOT's verified payload into an anonymous memory file and replace
/// this process with it (wolfBoot's sim: `memfd_create` + `fexecve`).
fn run_app(
    mut flash: SimFlash,
    d: &BootDecision,
    args: &Args,
) -> Result<std::convert::Infallible, String> {
    let boot = config::layout().get(PartitionId::Boot);
    let mut payload = vec![0u8; d.image.payload_size as usize];
    let header_size = u32::try_from(d.image.header_size)
        .map_err(|_| format!("header size {} too large", d.image.header_size))?;
    boot.read(&mut flash, header_size, &mut payload)
        .map_err(|e| format!("reading BOOT: {e}"))?;
    drop(flash);
    let fd = rustix::fs::memfd_create("wolfboot-app", rustix::fs::MemfdFlags::empty())
        .map_err(|e| format!("memfd_create: {e}"))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(&payload)
        .map_err(|e| format!("writing the application to memory: {e}"))?;
    let fd_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
    let flash_path = std::fs::canonicalize(&args.flash).unwrap_or_else(|_| args.flash.clone());
    let err = Command::new(&fd_path)
        .args(&args.app_args)
        .env(config::FLASH_ENV, flash_path)
        .env(config::ENCRYPT_ENV, args.encrypt.map_or("", |a| a.name()))
        .exec();
    Err(format!("cannot start the application: {err}"))
}
