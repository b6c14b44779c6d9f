//! `cargo xtask glitch --board mps2-an385`: the single-fault injection
//! campaign of `tools/glitch/glitch.py` on the real bootloader ELF, built
//! without and with the `armored` feature, and what the hardening costs.
//!
//! The images are signed by our `sign-cli` with a key made for the
//! campaign; their payload is a small synthetic application (a valid
//! vector table, then filler): the bootloader only verifies and jumps, so
//! a short payload keeps every faulted run short without changing the
//! decision code under test. The tampered variants (payload bit flip,
//! signature by an untrusted key, triggered tampered update) are made by
//! the script.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::firmware;
use crate::util::{cargo, root, run, target_dir};

/// The board, its Rust target and its crate.
const BOARD: &str = "mps2-an385";
const TARGET: &str = "thumbv7m-none-eabi";
const BOARD_DIR: &str = "boards/mps2-an385";

/// Payload bytes of the synthetic application.
const PAYLOAD_LEN: usize = 8 * 1024;
/// `IMAGE_HEADER_SIZE` of the mps2 ECC256 build.
const HEADER_SIZE: u32 = 256;
/// Where the application's vector table lands (BOOT + header).
const APP_VTOR: u32 = 0x0002_0000 + HEADER_SIZE;

/// The CI campaign (armored build only), within the CI budget on two
/// cores: the two BOOT scenarios (a faulted run ends within one
/// verification) every CI_BOOT_STRIDE-th window instruction, the update
/// scenario (a faulted run may verify BOOT twice more) every
/// CI_UPDATE_STRIDE-th.
const CI_BOOT_STRIDE: u32 = 6;
const CI_UPDATE_STRIDE: u32 = 60;
const BOOT_SCENARIOS: &str = "boot-bitflip,boot-untrusted";
const ALL_SCENARIOS: &str = "boot-bitflip,boot-untrusted,update-bitflip";

/// `cargo xtask glitch --board mps2-an385 [--stride N] [--armored-only]`.
pub fn glitch(board: &str, stride: u32, armored_only: bool) -> Result<(), String> {
    if board != BOARD {
        return Err("glitch: --board mps2-an385 is the board the campaign runs on".into());
    }
    run("build sign-cli", cargo().args(["build", "-p", "sign-cli"]))?;
    let sign_cli = target_dir().join("debug/sign-cli");
    campaign(&sign_cli, Some(stride), !armored_only)
}

/// The CI campaign: armored build, each fault model, a sample of the
/// window (see CI_BOOT_STRIDE); fails on any run of a tampered image.
pub fn test(sign_cli: &Path) -> Result<(), String> {
    campaign(sign_cli, None, false)
}

/// Build, sign, run: every `stride`-th window instruction of every
/// scenario, or (`None`) the CI sample.
fn campaign(sign_cli: &Path, stride: Option<u32>, with_plain: bool) -> Result<(), String> {
    check_python()?;
    let work = target_dir().join(format!("board-{BOARD}")).join("glitch");
    let keystore = ensure_key(sign_cli, &work)?;
    std::fs::write(work.join("payload.bin"), payload()).map_err(|e| e.to_string())?;
    for version in ["1", "2"] {
        run(
            &format!("sign the campaign payload v{version}"),
            Command::new(sign_cli).current_dir(&work).args([
                "--ecc256",
                "--sha256",
                "--header-size",
                &HEADER_SIZE.to_string(),
                "payload.bin",
                "key.der",
                version,
            ]),
        )?;
    }
    let armored = build_bootloader(&work, &keystore, true)?;
    let plain = if with_plain {
        Some(build_bootloader(&work, &keystore, false)?)
    } else {
        None
    };
    if let (Some(plain), Some(n)) = (&plain, stride) {
        run_script(
            &work,
            plain,
            ALL_SCENARIOS,
            n,
            true,
            false,
            "campaign without hardening",
        )?;
    }
    match stride {
        Some(n) => run_script(
            &work,
            &armored,
            ALL_SCENARIOS,
            n,
            true,
            true,
            "campaign with `armored`",
        )?,
        None => {
            run_script(
                &work,
                &armored,
                BOOT_SCENARIOS,
                CI_BOOT_STRIDE,
                false,
                true,
                "campaign with `armored` (tampered BOOT)",
            )?;
            run_script(
                &work,
                &armored,
                "update-bitflip",
                CI_UPDATE_STRIDE,
                false,
                true,
                "campaign with `armored` (tampered update)",
            )?;
        }
    }
    if let Some(plain) = &plain {
        let text = |elf: &Path| firmware::elf_size(elf).map(|(n, _)| n[0]);
        let (p, a) = (text(plain)?, text(&armored)?);
        println!(
            "armored cost: .text {p} -> {a} bytes (+{}); boot instructions: see the two \
             `boot instructions` lines above",
            a.saturating_sub(p)
        );
    }
    Ok(())
}

/// Python with unicorn, capstone and cryptography (installed by
/// `cargo xtask test`'s set-up).
fn check_python() -> Result<(), String> {
    let ok = Command::new("python3")
        .args(["-c", "import unicorn, capstone, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err(
            "the campaign needs Python's unicorn, capstone and cryptography: \
             python3 -m pip install unicorn capstone cryptography"
                .into(),
        )
    }
}

/// Build the bootloader (ECC256, SHA-256), with or without `armored`, in
/// the board's own target folder (its dependencies are shared with the
/// other mps2 builds), and keep a copy of the ELF in `work`.
fn build_bootloader(work: &Path, keystore: &Path, armored: bool) -> Result<PathBuf, String> {
    let tc = firmware::toolchain(TARGET, &[("llvm-size", "llvm")])?;
    let features = if armored {
        "ecc256,sha256,armored"
    } else {
        "ecc256,sha256"
    };
    let board = root().join(BOARD_DIR);
    let mut c = firmware::cargo_build(&tc, TARGET, &board);
    c.args(["--no-default-features", "--features", features])
        .env("WOLFBOOT_KEYSTORE_RS", keystore);
    run(
        &format!("build the {BOARD} bootloader ({features})"),
        &mut c,
    )?;
    let built = board
        .join("target")
        .join(TARGET)
        .join("release/wolfboot-mps2-an385");
    let elf = work.join(if armored {
        "bootloader-armored.elf"
    } else {
        "bootloader.elf"
    });
    std::fs::copy(&built, &elf).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(elf)
}

fn run_script(
    work: &Path,
    elf: &Path,
    scenarios: &str,
    stride: u32,
    measure: bool,
    armored: bool,
    step: &str,
) -> Result<(), String> {
    let mut c = Command::new("python3");
    c.arg(root().join("tools/glitch/glitch.py"))
        .arg("--elf")
        .arg(elf)
        .arg("--image")
        .arg(work.join("payload_v1_signed.bin"))
        .arg("--update")
        .arg(work.join("payload_v2_signed.bin"))
        .args(["--scenarios", scenarios])
        .args(["--stride", &stride.to_string()]);
    if measure {
        c.arg("--measure");
    }
    if armored {
        c.arg("--fail-on-tampered");
    }
    run(step, &mut c)
}

/// The campaign's ECC256 key pair in `dir` (made once with our keygen);
/// the keystore source the bootloader embeds.
fn ensure_key(sign_cli: &Path, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    if !dir.join("keystore.rs").is_file() {
        run(
            "keygen ecc256",
            Command::new(sign_cli)
                .current_dir(dir)
                .args(["keygen", "--ecc256", "-g", "key.der", "--force"]),
        )?;
    }
    Ok(dir.join("keystore.rs"))
}

/// The synthetic application: a Cortex-M vector table (initial stack
/// pointer in RAM, reset handler inside the image, Thumb bit set) and a
/// deterministic filler.
fn payload() -> Vec<u8> {
    let mut p = vec![0u8; PAYLOAD_LEN];
    let sp: u32 = 0x2001_0000;
    let reset: u32 = APP_VTOR + 0x400 + 1;
    p[0..4].copy_from_slice(&sp.to_le_bytes());
    p[4..8].copy_from_slice(&reset.to_le_bytes());
    let mut x: u32 = 0x1234_5678;
    for b in p.iter_mut().skip(8) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    p
}
