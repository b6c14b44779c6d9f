//! The QEMU AArch64 board `qemu-virt-aarch64`: firmware builds (their own
//! cargo invocations: no_std, `aarch64-unknown-none`), QEMU runs, sizes, and
//! the end-to-end test with power cuts by killing QEMU.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::cli::BoardOptions;
use crate::firmware::{self, Toolchain};
use crate::util::{root, run};

const BOARD: &str = "boards/qemu-virt-aarch64";
const APP: &str = "examples/qemu-virt-aarch64-app";
const TARGET: &str = "aarch64-unknown-none";
const QEMU: &str = "qemu-system-aarch64";
/// Test control block of the board (src/testctl.rs): address and magic.
const TESTCTL: u32 = 0x47FF_F000;
const TESTCTL_MAGIC: u32 = 0x5654_4257;
/// Flash bank 1: the backing file must be exactly this large; BOOT at 0.
const FLASH_SIZE: usize = 64 << 20;

/// Signature algorithms the board can be built with (RSA needs a heap,
/// which this bootloader does not have), with wolfBoot's header size.
const ALGORITHMS: [(&str, u32); 5] = [
    ("ecc256", 256),
    ("ed25519", 256),
    ("ecc384", 512),
    ("ecc521", 512),
    ("ed448", 512),
];
const HASHES: [&str; 3] = ["sha256", "sha384", "sha3"];

/// Check the tools this board needs and pick the firmware toolchain.
fn toolchain() -> Result<Toolchain, String> {
    firmware::toolchain(
        TARGET,
        &[
            (QEMU, "qemu-system-arm"),
            ("python3", "python3"),
            ("llvm-objcopy", "llvm"),
            ("llvm-size", "llvm"),
            ("llvm-nm", "llvm"),
        ],
    )
}

/// Target directory shared by the bootloader and the application: both
/// build `core` and the crypto crates with the same flags.
fn firmware_target_dir() -> PathBuf {
    root().join("target/board-qemu-virt-aarch64/cargo")
}

/// `cargo build --release` of a firmware crate, in its own folder, with
/// nothing inherited from the outer cargo that would change its flags.
fn firmware_build(
    tc: &Toolchain,
    dir: &Path,
    features: &str,
    keystore: &Path,
    header_size: u32,
) -> Command {
    let mut c = firmware::cargo_build(tc, TARGET, dir);
    c.env("CARGO_TARGET_DIR", firmware_target_dir())
        .env("WOLFBOOT_KEYSTORE_RS", keystore)
        .env("WOLFBOOT_IMAGE_HEADER_SIZE", header_size.to_string())
        .args(["--no-default-features", "--features", features]);
    c
}

fn bootloader_elf() -> PathBuf {
    firmware_target_dir()
        .join(TARGET)
        .join("release/wolfboot-qemu-virt-aarch64")
}

fn app_elf() -> PathBuf {
    firmware_target_dir()
        .join(TARGET)
        .join("release/qemu-virt-aarch64-app")
}

/// Key pair of `sign` in `dir` (made once with our keygen).
fn ensure_key(sign_cli: &Path, dir: &Path, sign: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    if !dir.join("keystore.rs").is_file() || !dir.join("key.der").is_file() {
        run(
            &format!("keygen {sign}"),
            Command::new(sign_cli).current_dir(dir).args([
                "keygen",
                &format!("--{sign}"),
                "-g",
                "key.der",
                "--force",
            ]),
        )?;
    }
    Ok(dir.join("keystore.rs"))
}

/// Build bootloader and application for `sign`/`hash` in the work folder
/// `work` (keys made there once); returns the header size.
fn build_in(sign_cli: &Path, sign: &str, hash: &str, work: &Path) -> Result<u32, String> {
    let Some(&(_, header_size)) = ALGORITHMS.iter().find(|(a, _)| *a == sign) else {
        let names: Vec<&str> = ALGORITHMS.iter().map(|(a, _)| *a).collect();
        return Err(format!(
            "--sign {sign}: the qemu-virt-aarch64 bootloader supports {}",
            names.join(", ")
        ));
    };
    if !HASHES.contains(&hash) {
        return Err(format!(
            "--hash {hash}: choose one of {}",
            HASHES.join(", ")
        ));
    }
    let tc = toolchain()?;
    let keystore = ensure_key(sign_cli, work, sign)?;
    let features = format!("{sign},{hash}");
    run(
        "build qemu-virt-aarch64 bootloader",
        &mut firmware_build(&tc, &root().join(BOARD), &features, &keystore, header_size),
    )?;
    run(
        "build qemu-virt-aarch64 test app (same algorithms and keystore)",
        &mut firmware_build(&tc, &root().join(APP), &features, &keystore, header_size),
    )?;
    run(
        "app ELF to binary (arm64 Image)",
        Command::new("llvm-objcopy")
            .args(["-O", "binary"])
            .arg(app_elf())
            .arg(work.join("app.bin")),
    )?;
    Ok(header_size)
}

fn sign_app(
    sign_cli: &Path,
    work: &Path,
    sign: &str,
    hash: &str,
    header_size: u32,
    version: u32,
) -> Result<PathBuf, String> {
    let hash_flag = if hash == "sha3" {
        "--sha3".to_string()
    } else {
        format!("--{hash}")
    };
    run(
        &format!("sign app v{version}"),
        Command::new(sign_cli).current_dir(work).args([
            &format!("--{sign}"),
            &hash_flag,
            "--header-size",
            &header_size.to_string(),
            "app.bin",
            "key.der",
            &version.to_string(),
        ]),
    )?;
    Ok(work.join(format!("app_v{version}_signed.bin")))
}

/// `cargo xtask build --board qemu-virt-aarch64 [--sign S] [--hash H]`:
/// bootloader, test app, signed v1 and the factory flash image.
pub fn build(o: &BoardOptions, sign_cli: &Path) -> Result<PathBuf, String> {
    o.only("qemu-virt-aarch64", &["--sign", "--hash"])?;
    let (sign, hash) = (o.sign(), o.hash());
    let work = root()
        .join("target/board-qemu-virt-aarch64")
        .join(format!("{sign}-{hash}"));
    let header_size = build_in(sign_cli, sign, hash, &work)?;
    let v1 = sign_app(sign_cli, &work, sign, hash, header_size, 1)?;
    let v1 = std::fs::read(v1).map_err(|e| e.to_string())?;
    let mut flash = vec![0xFFu8; FLASH_SIZE];
    flash
        .get_mut(..v1.len())
        .ok_or("signed app larger than the flash")?
        .copy_from_slice(&v1);
    std::fs::write(work.join("flash.bin"), flash).map_err(|e| e.to_string())?;
    println!("qemu-virt-aarch64 built:");
    println!("  bootloader:    {}", bootloader_elf().display());
    println!(
        "  signed app v1: {}",
        work.join("app_v1_signed.bin").display()
    );
    println!(
        "  factory flash: {} (flash bank 1, BOOT at 0x04000000)",
        work.join("flash.bin").display()
    );
    Ok(work)
}

/// The QEMU command line: flash bank 1 backed by `flash.bin` in `work`, the
/// test control block present (no flags: the app confirms and ends the run).
fn qemu(work: &Path) -> Command {
    let mut c = Command::new(QEMU);
    c.current_dir(work)
        .args(["-machine", "virt", "-cpu", "cortex-a53", "-m", "128M"])
        .args(["-nodefaults", "-no-user-config", "-display", "none"])
        .args(["-serial", "stdio", "-semihosting", "-kernel"])
        .arg(bootloader_elf())
        .args(["-drive", "if=pflash,unit=1,format=raw,file=flash.bin"])
        .args([
            "-device",
            &format!("loader,addr={TESTCTL:#x},data={TESTCTL_MAGIC:#x},data-len=4"),
        ]);
    c
}

/// `cargo xtask run --board qemu-virt-aarch64`.
pub fn run_board(o: &BoardOptions, sign_cli: &Path) -> Result<(), String> {
    let work = build(o, sign_cli)?;
    run("boot qemu-virt-aarch64 under QEMU", &mut qemu(&work))
}

/// `cargo xtask size --board qemu-virt-aarch64`: the bootloader per
/// algorithm (SHA-256).
pub fn size(sign_cli: &Path) -> Result<(), String> {
    let mut rows = Vec::new();
    for (sign, _) in ALGORITHMS {
        let work = root()
            .join("target/board-qemu-virt-aarch64")
            .join(format!("{sign}-sha256"));
        build_in(sign_cli, sign, "sha256", &work)?;
        let nums = firmware::bootloader_size(&bootloader_elf(), sign)?;
        rows.push((sign, nums));
    }
    println!(
        "\nqemu-virt-aarch64 bootloader size (SHA-256, opt-level z, LTO, panic immediate-abort)"
    );
    println!(
        "{:<10} {:>8} {:>6} {:>10}   panic/fmt symbols",
        "signature", "text", "data", "bss+stack"
    );
    for (sign, n) in rows {
        let g = |i: usize| n.get(i).map_or("?".to_string(), u64::to_string);
        println!("{:<10} {:>8} {:>6} {:>10}   0", sign, g(0), g(1), g(2));
    }
    Ok(())
}

/// The board's part of `cargo xtask test`: host unit tests, firmware build,
/// and the QEMU end-to-end test with power cuts (fewer with `--quick`).
pub fn test(sign_cli: &Path, quick: bool) -> Result<(), String> {
    let started = Instant::now();
    toolchain()?;
    firmware::host_unit_tests(
        "qemu-virt-aarch64 host unit tests (CFI driver, Image header, UART frames)",
        BOARD,
    )?;
    let work = root().join("target/board-qemu-virt-aarch64/e2e-ecc256");
    build_in(sign_cli, "ecc256", "sha256", &work)?;
    let (cuts, kills) = if quick { ("24", "4") } else { ("120", "16") };
    let mut c = Command::new("python3");
    c.arg(root().join(BOARD).join("harness/e2e.py"))
        .arg("--work")
        .arg(&work)
        .arg("--bootloader")
        .arg(bootloader_elf())
        .arg("--sign-cli")
        .arg(sign_cli)
        .args(["--sign", "ecc256", "--cuts", cuts, "--kills", kills]);
    run(
        &format!("qemu-virt-aarch64 end-to-end, power cuts by killing QEMU (--cuts {cuts} --kills {kills})"),
        &mut c,
    )?;
    println!(
        "    qemu-virt-aarch64: all steps ok ({:.0}s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
