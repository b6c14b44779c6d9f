//! The QEMU Cortex-M3 board `mps2-an385`: firmware builds (their own cargo
//! invocations: no_std, `thumbv7m-none-eabi`), QEMU runs, sizes, and the
//! end-to-end test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::steps::{root, run};

const BOARD: &str = "boards/mps2-an385";
const APP: &str = "examples/mps2-an385-app";
const TARGET: &str = "thumbv7m-none-eabi";
/// Test control block of the board (src/testctl.rs): magic and flags.
const TESTCTL: u32 = 0x203F_FF00;
const TESTCTL_MAGIC: u32 = 0x5742_5443;
const FILE_BACKED: u32 = 1;
/// The flash device spans 0x20000..0x400000; BOOT is at its start.
const FLASH_SIZE: usize = 0x0040_0000 - 0x0002_0000;

/// Signature algorithms the board can be built with (RSA needs a heap, which
/// this bootloader does not have).
pub const ALGORITHMS: [&str; 5] = ["ed25519", "ecc256", "ecc384", "ecc521", "ed448"];
const HASHES: [&str; 3] = ["sha256", "sha384", "sha3"];

/// How firmware is built on this machine.
enum Toolchain {
    /// rustup with the `thumbv7m-none-eabi` target installed.
    Rustup,
    /// Debian's rustc-web/cargo-web + rust-web-src: `-Z build-std=core`.
    BuildStd,
}

fn which(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        || Path::new(tool).is_file()
}

fn rustup_target_installed() -> bool {
    let out = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", TARGET])
        .output();
    let Ok(out) = out else { return false };
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && std::fs::read_dir(dir)
            .map(|mut d| {
                d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore")))
            })
            .unwrap_or(false)
}

/// Check the tools; one clear line naming the package when one is missing.
fn toolchain() -> Result<Toolchain, String> {
    for (tool, package) in [
        ("qemu-system-arm", "qemu-system-arm"),
        ("llvm-objcopy", "llvm"),
        ("llvm-size", "llvm"),
        ("llvm-nm", "llvm"),
    ] {
        if !which(tool) {
            return Err(format!(
                "`{tool}` not found: install the Debian package `{package}`"
            ));
        }
    }
    if rustup_target_installed() && which("rust-lld") {
        return Ok(Toolchain::Rustup);
    }
    for (tool, package) in [
        ("/usr/bin/rustc", "rustc-web"),
        ("/usr/bin/cargo", "cargo-web"),
        (
            "/usr/lib/rustlib/src/rust/library/core/Cargo.toml",
            "rust-web-src",
        ),
        ("ld.lld-22", "lld-22"),
    ] {
        if !which(tool) {
            return Err(format!(
                "`{tool}` not found: install the Debian package `{package}` (or `rustup target add {TARGET}`)"
            ));
        }
    }
    Ok(Toolchain::BuildStd)
}

/// `cargo build --release` of a firmware crate, in its own folder, with
/// nothing inherited from the outer cargo that would change its flags.
fn firmware_build(
    tc: &Toolchain,
    dir: &Path,
    features: Option<&str>,
    keystore: Option<&Path>,
) -> Command {
    let mut c = match tc {
        Toolchain::Rustup => {
            let mut c = Command::new("cargo");
            c.args([
                "build",
                "--release",
                "--config",
                "target.thumbv7m-none-eabi.linker=\"rust-lld\"",
            ]);
            c
        }
        Toolchain::BuildStd => {
            let mut c = Command::new("/usr/bin/cargo");
            c.arg("fw")
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1");
            c
        }
    };
    c.current_dir(dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "CARGO_MANIFEST_DIR",
    ] {
        c.env_remove(var);
    }
    if let Some(f) = features {
        c.args(["--no-default-features", "--features", f]);
    }
    if let Some(k) = keystore {
        c.env("WOLFBOOT_KEYSTORE_RS", k);
    }
    c
}

fn bootloader_elf() -> PathBuf {
    root()
        .join(BOARD)
        .join("target")
        .join(TARGET)
        .join("release/wolfboot-mps2-an385")
}

fn app_elf() -> PathBuf {
    root()
        .join(APP)
        .join("target")
        .join(TARGET)
        .join("release/mps2-an385-app")
}

fn opt(args: &[String], name: &str, default: &str) -> String {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == name {
            if let Some(v) = it.next() {
                return v.clone();
            }
        }
    }
    default.to_string()
}

/// Key pair of `sign` in `dir` (made once with our keygen).
fn ensure_key(sign_cli: &Path, dir: &Path, sign: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    if !dir.join("keystore.rs").is_file() {
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

/// `cargo xtask build --board mps2-an385 [--sign S] [--hash H]`.
pub fn build(args: &[String], sign_cli: &Path) -> Result<PathBuf, String> {
    let sign = opt(args, "--sign", "ecc256");
    let hash = opt(args, "--hash", "sha256");
    if !ALGORITHMS.contains(&sign.as_str()) {
        return Err(format!(
            "--sign {sign}: the mps2-an385 bootloader supports {}",
            ALGORITHMS.join(", ")
        ));
    }
    if !HASHES.contains(&hash.as_str()) {
        return Err(format!(
            "--hash {hash}: choose one of {}",
            HASHES.join(", ")
        ));
    }
    let tc = toolchain()?;
    let work = root()
        .join("target/board-mps2-an385")
        .join(format!("{sign}-{hash}"));
    let keystore = ensure_key(sign_cli, &work, &sign)?;
    run(
        "build mps2-an385 bootloader",
        &mut firmware_build(
            &tc,
            &root().join(BOARD),
            Some(&format!("{sign},{hash}")),
            Some(&keystore),
        ),
    )?;
    run(
        "build mps2-an385 test app (same algorithms and keystore)",
        &mut firmware_build(
            &tc,
            &root().join(APP),
            Some(&format!("{sign},{hash}")),
            Some(&keystore),
        ),
    )?;
    run(
        "app ELF to binary",
        Command::new("llvm-objcopy")
            .args(["-O", "binary"])
            .arg(app_elf())
            .arg(work.join("app.bin")),
    )?;
    let hash_flag = if hash == "sha3" {
        "--sha3".to_string()
    } else {
        format!("--{hash}")
    };
    run(
        "sign app v1",
        Command::new(sign_cli).current_dir(&work).args([
            &format!("--{sign}"),
            &hash_flag,
            "app.bin",
            "key.der",
            "1",
        ]),
    )?;
    let v1 = std::fs::read(work.join("app_v1_signed.bin")).map_err(|e| e.to_string())?;
    let mut flash = vec![0xFFu8; FLASH_SIZE];
    flash
        .get_mut(..v1.len())
        .ok_or("signed app larger than the flash")?
        .copy_from_slice(&v1);
    std::fs::write(work.join("flash.bin"), flash).map_err(|e| e.to_string())?;
    println!("mps2-an385 built:");
    println!("  bootloader:    {}", bootloader_elf().display());
    println!(
        "  signed app v1: {}",
        work.join("app_v1_signed.bin").display()
    );
    println!(
        "  factory flash: {} (BOOT at 0x20000)",
        work.join("flash.bin").display()
    );
    Ok(work)
}

/// The QEMU command line (file-backed flash from `flash.bin` in `work`).
pub fn qemu(work: &Path) -> Command {
    let mut c = Command::new("qemu-system-arm");
    c.current_dir(work)
        .args(["-machine", "mps2-an385", "-cpu", "cortex-m3", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(bootloader_elf())
        .args([
            "-device",
            &format!("loader,addr={TESTCTL:#x},data={TESTCTL_MAGIC:#x},data-len=4"),
        ])
        .args([
            "-device",
            &format!(
                "loader,addr={:#x},data={FILE_BACKED:#x},data-len=4",
                TESTCTL + 4
            ),
        ]);
    c
}

/// `cargo xtask run --board mps2-an385`.
pub fn run_board(args: &[String], sign_cli: &Path) -> Result<(), String> {
    let work = build(args, sign_cli)?;
    run("boot mps2-an385 under QEMU", &mut qemu(&work))
}

/// `cargo xtask size --board mps2-an385`: the bootloader per algorithm (SHA-256).
pub fn size(sign_cli: &Path) -> Result<(), String> {
    let tc = toolchain()?;
    let mut rows = Vec::new();
    for sign in ALGORITHMS {
        let work = root()
            .join("target/board-mps2-an385")
            .join(format!("size-{sign}"));
        let keystore = ensure_key(sign_cli, &work, sign)?;
        run(
            &format!("build bootloader with {sign} + sha256"),
            &mut firmware_build(
                &tc,
                &root().join(BOARD),
                Some(&format!("{sign},sha256")),
                Some(&keystore),
            ),
        )?;
        let out = Command::new("llvm-size")
            .arg(bootloader_elf())
            .output()
            .map_err(|e| format!("llvm-size: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let nums: Vec<u64> = text
            .lines()
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .take(3)
            .filter_map(|n| n.parse().ok())
            .collect();
        let nm = Command::new("llvm-nm")
            .arg(bootloader_elf())
            .output()
            .map_err(|e| format!("llvm-nm: {e}"))?;
        let panic_symbols = String::from_utf8_lossy(&nm.stdout)
            .lines()
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                l.contains("panic") || l.contains("fmt")
            })
            .count();
        if panic_symbols != 0 {
            return Err(format!(
                "{sign}: {panic_symbols} panic/fmt symbols linked into the bootloader"
            ));
        }
        rows.push((sign, nums));
    }
    println!("\nmps2-an385 bootloader size (SHA-256, opt-level z, LTO, panic immediate-abort)");
    println!(
        "{:<10} {:>8} {:>6} {:>6}   panic/fmt symbols",
        "signature", "text", "data", "bss"
    );
    for (sign, n) in rows {
        let g = |i: usize| n.get(i).map_or("?".to_string(), u64::to_string);
        println!("{:<10} {:>8} {:>6} {:>6}   0", sign, g(0), g(1), g(2));
    }
    Ok(())
}

/// The board's part of `cargo xtask test`.
pub fn test(sign_cli: &Path, quick: bool) -> Result<(), String> {
    toolchain()?;
    run(
        "mps2-an385 host unit tests (flash rules, jump checks, verifier)",
        Command::new("cargo")
            .current_dir(root().join(BOARD))
            .env_remove("CARGO_TARGET_DIR")
            .args(["test", "--lib", "--target", "x86_64-unknown-linux-gnu"]),
    )?;
    let e2e = root().join(BOARD).join("harness/e2e.py");
    let mut runs: Vec<Vec<&str>> = vec![vec!["--sign", "ecc256"]];
    if !quick {
        runs.push(vec!["--sign", "ed25519", "--tear", "--cut-stride", "3"]);
    }
    for args in runs {
        let mut c = Command::new("python3");
        c.arg(&e2e).args(&args).env("SIGN_CLI", sign_cli);
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO",
            "CARGO_MANIFEST_DIR",
        ] {
            c.env_remove(var);
        }
        run(
            &format!("QEMU end-to-end with power cuts ({})", args.join(" ")),
            &mut c,
        )?;
    }
    Ok(())
}
