//! `sim-app`: the sim board's test application (wolfBoot's `test-app/app_sim.c`).
//!
//! Started by `wolfboot-sim` from BOOT; every argument is a command, run in
//! order:
//!
//! | command | effect |
//! | --- | --- |
//! | `get_version` | print the running (BOOT) firmware version |
//! | `get_state` | print `boot=STATE update=STATE` |
//! | `success` | confirm the running image (`wolfBoot_success`) |
//! | `update_trigger` | mark UPDATE for installation (`wolfBoot_update_trigger`) |
//! | `stage FILE` | stream FILE into UPDATE through `UpdateWriter`, verify, trigger |
//! | `stage-unchecked FILE` | test hook: copy FILE into UPDATE and trigger without verifying |
//! | `set_key FILE` | store the update-encryption key and nonce read from FILE (`wolfBoot_set_encrypt_key`) |
//! | `erase_key` | erase the stored key (`wolfBoot_erase_encrypt_key`) |
//! | `powerfail N` | cut the power after N more flash operations |
//! | `reset` | stop here |
//!
//! The flash file is `$WOLFBOOT_SIM_FLASH` and the update cipher
//! `$WOLFBOOT_SIM_ENCRYPT` (both set by the bootloader). With a cipher,
//! `stage` takes the encrypted image (`sign --encrypt`'s output).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use wolfboot_board_sim::config::{self, HEADER_SIZE, KEYSTORE};
use wolfboot_board_sim::flash::{self, SimFlash};
use wolfboot_hal_flash::PartitionId;
use wolfboot_libwolfboot::{PartitionState, VersionPolicy, WolfBoot};

type Lib = WolfBoot<SimFlash, HEADER_SIZE>;

fn state_name(s: Option<PartitionState>) -> String {
    s.map_or_else(|| "NONE".into(), |s| s.to_string().to_uppercase())
}

fn stage(lib: &mut Lib, file: &Path) -> Result<u32, String> {
    let mut input = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut writer = lib.update_writer().map_err(|e| e.to_string())?;
    // Receive in network-sized pieces, as a transport would deliver them.
    let mut chunk = [0u8; 1460];
    loop {
        let n = input.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        writer.write(&chunk[..n]).map_err(|e| e.to_string())?;
    }
    let staged = writer
        .finish(&KEYSTORE, VersionPolicy::NewerOnly)
        .map_err(|e| e.to_string())?;
    let image = staged.trigger().map_err(|e| e.to_string())?;
    Ok(image.version)
}

fn stage_unchecked(lib: &mut Lib, file: &Path) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let part = config::layout().get(PartitionId::Update);
    let end = (bytes.len() as u32).div_ceil(config::SECTOR_SIZE) * config::SECTOR_SIZE;
    part.erase(lib.flash_mut(), 0, end)
        .map_err(|e| e.to_string())?;
    part.write(lib.flash_mut(), 0, &bytes)
        .map_err(|e| e.to_string())?;
    lib.update_trigger().map_err(|e| e.to_string())
}

fn run(lib: &mut Lib, args: &[String]) -> Result<(), String> {
    let mut it = args.iter();
    while let Some(cmd) = it.next() {
        match cmd.as_str() {
            "get_version" => {
                let v = lib.current_firmware_version().map_err(|e| e.to_string())?;
                println!("{}", v.unwrap_or(0));
            }
            "get_state" => {
                let b = lib
                    .partition_state(PartitionId::Boot)
                    .map_err(|e| e.to_string())?;
                let u = lib
                    .partition_state(PartitionId::Update)
                    .map_err(|e| e.to_string())?;
                println!("boot={} update={}", state_name(b), state_name(u));
            }
            "success" => lib.success().map_err(|e| e.to_string())?,
            "update_trigger" => lib.update_trigger().map_err(|e| e.to_string())?,
            "stage" => {
                let file = it.next().ok_or("stage needs a file")?;
                let v = stage(lib, Path::new(file)).map_err(|e| format!("update refused: {e}"))?;
                println!("staged v{v}, triggered");
            }
            "stage-unchecked" => {
                let file = it.next().ok_or("stage-unchecked needs a file")?;
                stage_unchecked(lib, Path::new(file))?;
                println!("copied without verification, triggered");
            }
            "powerfail" => {
                let n = it.next().ok_or("powerfail needs a count")?;
                let n: u64 = n.parse().map_err(|_| format!("bad count `{n}`"))?;
                lib.flash_mut().0.mem().power().cut_after(n);
            }
            "set_key" => {
                let file = it.next().ok_or("set_key needs a key file")?;
                let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
                let secret = lib
                    .config()
                    .secret
                    .ok_or("set_key: the bootloader runs without --encrypt")?;
                let (k, n) = bytes
                    .split_at_checked(usize::from(secret.key_len))
                    .ok_or("set_key: key file too short")?;
                let n = n
                    .get(..usize::from(secret.nonce_len))
                    .ok_or("set_key: key file too short")?;
                lib.set_encrypt_key(k, n).map_err(|e| e.to_string())?;
                println!("encryption key stored");
            }
            "erase_key" => {
                lib.erase_encrypt_key().map_err(|e| e.to_string())?;
                println!("encryption key erased");
            }
            "reset" => return Ok(()),
            other => return Err(format!("unknown command `{other}`")),
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = flash::default_path();
    let flash = match flash::open(&path, None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("sim-app: error: {e}");
            return ExitCode::from(2);
        }
    };
    let encryption = match config::encryption_from_env() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("sim-app: error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut lib: Lib = WolfBoot::new(flash, config::app_config_for(encryption));
    let result = run(&mut lib, &args);
    let stats = flash::stats(lib.flash_mut());
    eprintln!("sim-app: {}", flash::describe(&stats));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if flash::power_is_off(lib.flash_mut()) => {
            eprintln!("sim-app: power failure ({e})");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("sim-app: {e}");
            ExitCode::FAILURE
        }
    }
}
