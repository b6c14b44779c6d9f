//! The QEMU Cortex-M3 board `mps2-an385`: firmware builds (their own cargo
//! invocations: no_std, `thumbv7m-none-eabi`), QEMU runs, sizes, and the
//! end-to-end test.

use std::path::{Path, PathBuf};
use std::process::Command;

use wolfboot_swap_state_machine::EncryptAlgorithm;

use crate::firmware::{self, Toolchain};
use crate::steps::{root, run};

const BOARD: &str = "boards/mps2-an385";
const APP: &str = "examples/mps2-an385-app";
const TARGET: &str = "thumbv7m-none-eabi";
/// Test control block of the board (src/testctl.rs): magic and flags.
const TESTCTL: u32 = 0x203F_FF00;
const TESTCTL_MAGIC: u32 = 0x5742_5443;
const FILE_BACKED: u32 = 1;
/// The app stages the update inbox (`UpdateWriter`), triggers and resets.
const APP_STAGE: u32 = 16;
/// The app stores the key in the control block's key area (`set_encrypt_key`).
const APP_SET_KEY: u32 = 32;
/// Update inbox (RAM), its length word, and the key area of the control block.
const INBOX: u32 = 0x202F_FF00;
const INBOX_LEN: u32 = TESTCTL + 0x10;
const KEY_AREA: u32 = TESTCTL + 0x20;
const KEY_AREA_LEN: usize = 48;
/// `WOLFBOOT_SECTOR_SIZE` of the board (for `sign-cli --delta`).
const SECTOR_SIZE: u32 = 0x1000;
/// `IMAGE_HEADER_SIZE` of a delta build (the board's `delta` feature).
const DELTA_HEADER_SIZE: u32 = 512;
/// The flash device spans 0x20000..0x400000; BOOT is at its start.
const FLASH_SIZE: usize = 0x0040_0000 - 0x0002_0000;

/// Signature algorithms the board can be built with (RSA needs a heap, which
/// this bootloader does not have).
pub const ALGORITHMS: [&str; 5] = ["ed25519", "ecc256", "ecc384", "ecc521", "ed448"];
const HASHES: [&str; 3] = ["sha256", "sha384", "sha3"];

/// Check the tools this board needs and pick the firmware toolchain.
fn toolchain() -> Result<Toolchain, String> {
    firmware::toolchain(
        TARGET,
        &[
            ("qemu-system-arm", "qemu-system-arm"),
            ("llvm-objcopy", "llvm"),
            ("llvm-size", "llvm"),
            ("llvm-nm", "llvm"),
        ],
    )
}

/// `cargo build --release` of a firmware crate, in its own folder, with
/// nothing inherited from the outer cargo that would change its flags.
fn firmware_build(
    tc: &Toolchain,
    dir: &Path,
    features: Option<&str>,
    keystore: Option<&Path>,
) -> Command {
    let mut c = firmware::cargo_build(tc, TARGET, dir);
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

/// Update options of a build: `--encrypt ALG`, `--delta`.
#[derive(Debug, Clone, Copy, Default)]
struct Updates {
    encrypt: Option<EncryptAlgorithm>,
    delta: bool,
}

impl Updates {
    fn from_args(args: &[String]) -> Result<Updates, String> {
        let mut encrypt = None;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let name = match a.strip_prefix("--encrypt=") {
                Some(v) => v.to_string(),
                None if a == "--encrypt" => it
                    .next()
                    .cloned()
                    .ok_or("--encrypt needs chacha, aes128 or aes256")?,
                None => continue,
            };
            encrypt = Some(
                EncryptAlgorithm::from_name(&name)
                    .ok_or_else(|| format!("--encrypt {name}: choose chacha, aes128 or aes256"))?,
            );
        }
        Ok(Updates {
            encrypt,
            delta: args.iter().any(|a| a == "--delta"),
        })
    }

    /// Cargo features of both firmware crates, after `sign,hash`.
    fn features(&self) -> String {
        let mut f = String::new();
        if let Some(alg) = self.encrypt {
            f.push_str(&format!(",encrypt-{}", alg.name()));
        }
        if self.delta {
            f.push_str(",delta");
        }
        f
    }

    /// Suffix of the work folder.
    fn suffix(&self) -> String {
        self.features().replace(",encrypt", "").replace(',', "-")
    }

    /// `IMAGE_HEADER_SIZE` (the board's default for the features).
    fn header_size(&self) -> u32 {
        if self.delta {
            DELTA_HEADER_SIZE
        } else {
            256
        }
    }
}

/// The update-encryption key file of `alg` in `dir` (key then nonce, as
/// `sign-cli --encrypt` reads it), made once from the system's random source.
fn ensure_encrypt_key(dir: &Path, alg: EncryptAlgorithm) -> Result<PathBuf, String> {
    let path = dir.join(format!("encrypt_{}.key", alg.name()));
    if !path.is_file() {
        use std::io::Read;
        let mut key = vec![0u8; alg.key_len() + alg.nonce_len()];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        std::fs::write(&path, key).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(path)
}

/// What `build` made, for `run`.
pub struct Built {
    /// Work folder (`flash.bin`, keys, signed images).
    pub work: PathBuf,
    /// Update-encryption key file, with `--encrypt`.
    key: Option<PathBuf>,
    /// The v2 update to offer (encrypted and/or a diff image), with
    /// `--encrypt` or `--delta`.
    update: Option<PathBuf>,
}

/// `cargo xtask build --board mps2-an385 [--sign S] [--hash H] [--encrypt ALG] [--delta]`.
pub fn build(args: &[String], sign_cli: &Path) -> Result<Built, String> {
    let sign = opt(args, "--sign", "ecc256");
    let hash = opt(args, "--hash", "sha256");
    let updates = Updates::from_args(args)?;
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
        .join(format!("{sign}-{hash}{}", updates.suffix()));
    let keystore = ensure_key(sign_cli, &work, &sign)?;
    let key = match updates.encrypt {
        Some(alg) => Some(ensure_encrypt_key(&work, alg)?),
        None => None,
    };
    let features = format!("{sign},{hash}{}", updates.features());
    run(
        "build mps2-an385 bootloader",
        &mut firmware_build(&tc, &root().join(BOARD), Some(&features), Some(&keystore)),
    )?;
    run(
        "build mps2-an385 test app (same algorithms, options and keystore)",
        &mut firmware_build(&tc, &root().join(APP), Some(&features), Some(&keystore)),
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
    let sign_cmd = |version: &str, delta_base: Option<&str>| {
        let mut c = Command::new(sign_cli);
        c.current_dir(&work)
            .args([&format!("--{sign}"), &hash_flag, "--header-size"])
            .arg(updates.header_size().to_string());
        if let (Some(alg), Some(k)) = (updates.encrypt, &key) {
            c.arg(format!("--{}", alg.name())).arg("--encrypt").arg(k);
        }
        if let Some(base) = delta_base {
            c.env("WOLFBOOT_SECTOR_SIZE", SECTOR_SIZE.to_string())
                .args(["--delta", base]);
        }
        c.args(["app.bin", "key.der", version]);
        c
    };
    run("sign app v1", &mut sign_cmd("1", None))?;
    let update = if updates.delta {
        run(
            "sign app v2 and its diff image against v1",
            &mut sign_cmd("2", Some("app_v1_signed.bin")),
        )?;
        Some(work.join(if updates.encrypt.is_some() {
            "app_v2_signed_diff_encrypted.bin"
        } else {
            "app_v2_signed_diff.bin"
        }))
    } else if updates.encrypt.is_some() {
        run("sign and encrypt app v2", &mut sign_cmd("2", None))?;
        Some(work.join("app_v2_signed_and_encrypted.bin"))
    } else {
        None
    };
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
    if let (Some(alg), Some(k)) = (updates.encrypt, &key) {
        println!(
            "  cipher:        {} (key and nonce: {}; the app stores them with set_encrypt_key)",
            alg.name(),
            k.display()
        );
    }
    if updates.delta {
        println!(
            "  delta:         IMAGE_HEADER_SIZE {}",
            updates.header_size()
        );
    }
    if let Some(u) = &update {
        let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        println!(
            "  update v2:     {} ({} bytes; signed v2 {} bytes)",
            u.display(),
            len(u),
            len(&work.join("app_v2_signed.bin"))
        );
    }
    Ok(Built { work, key, update })
}

/// The QEMU command line: file-backed flash from `flash.bin` in `work`,
/// control-block `flags`, and extra `-device` loaders.
fn qemu(work: &Path, flags: u32, devices: &[String]) -> Command {
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
            &format!("loader,addr={:#x},data={flags:#x},data-len=4", TESTCTL + 4),
        ]);
    for d in devices {
        c.args(["-device", d]);
    }
    c
}

/// `cargo xtask run --board mps2-an385 [--encrypt ALG] [--delta]`: boot v1;
/// with `--encrypt` or `--delta` v1 also stores the key (`set_encrypt_key`),
/// streams v2 (encrypted and/or as a diff image) from the update inbox
/// through `UpdateWriter`, triggers it and resets; the bootloader installs
/// it and v2 runs, all in one QEMU run.
pub fn run_board(args: &[String], sign_cli: &Path) -> Result<(), String> {
    let built = build(args, sign_cli)?;
    let mut flags = FILE_BACKED;
    let mut devices = Vec::new();
    if let Some(k) = &built.key {
        let mut area = std::fs::read(k).map_err(|e| format!("{}: {e}", k.display()))?;
        area.resize(KEY_AREA_LEN, 0);
        std::fs::write(built.work.join("key-area.bin"), area).map_err(|e| e.to_string())?;
        devices.push(format!(
            "loader,file=key-area.bin,addr={KEY_AREA:#x},force-raw=on"
        ));
        flags |= APP_SET_KEY;
    }
    if let Some(u) = &built.update {
        let len = std::fs::metadata(u).map_err(|e| e.to_string())?.len();
        devices.push(format!(
            "loader,file={},addr={INBOX:#x},force-raw=on",
            u.display()
        ));
        devices.push(format!(
            "loader,addr={INBOX_LEN:#x},data={len:#x},data-len=4"
        ));
        flags |= APP_STAGE;
    }
    run(
        "boot mps2-an385 under QEMU",
        &mut qemu(&built.work, flags, &devices),
    )
}

/// Update options measured by `size`, with ECC256 (row label, features).
const SIZE_OPTIONS: [(&str, &str); 4] = [
    ("+chacha", "encrypt-chacha"),
    ("+aes128", "encrypt-aes128"),
    ("+aes256", "encrypt-aes256"),
    ("+delta", "delta"),
];

/// `cargo xtask size --board mps2-an385`: the bootloader per algorithm
/// (SHA-256), then ECC256 with each update cipher and with delta updates.
pub fn size(sign_cli: &Path) -> Result<(), String> {
    let tc = toolchain()?;
    let mut rows = Vec::new();
    let builds = ALGORITHMS
        .iter()
        .map(|sign| (sign.to_string(), *sign, String::new()))
        .chain(
            SIZE_OPTIONS
                .iter()
                .map(|(label, f)| (format!("ecc256{label}"), "ecc256", format!(",{f}"))),
        );
    for (label, sign, extra) in builds {
        let work = root()
            .join("target/board-mps2-an385")
            .join(format!("size-{sign}"));
        let keystore = ensure_key(sign_cli, &work, sign)?;
        run(
            &format!("build bootloader with {sign} + sha256{extra}"),
            &mut firmware_build(
                &tc,
                &root().join(BOARD),
                Some(&format!("{sign},sha256{extra}")),
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
                "{label}: {panic_symbols} panic/fmt symbols linked into the bootloader"
            ));
        }
        rows.push((label, nums));
    }
    println!("\nmps2-an385 bootloader size (SHA-256, opt-level z, LTO, panic immediate-abort)");
    println!(
        "{:<14} {:>8} {:>6} {:>6}   panic/fmt symbols",
        "signature", "text", "data", "bss"
    );
    for (label, n) in rows {
        let g = |i: usize| n.get(i).map_or("?".to_string(), u64::to_string);
        println!("{:<14} {:>8} {:>6} {:>6}   0", label, g(0), g(1), g(2));
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
        // Encrypted updates (AES-256-CTR): install, rollback, refusals, no
        // plaintext in UPDATE or SWAP at any cut; every 13th cut point
        // (72 of 928 operations).
        runs.push(vec![
            "--sign",
            "ecc256",
            "--encrypt",
            "aes256",
            "--cut-stride",
            "13",
        ]);
        // Delta updates: install by patch, rollback by inverse patch, bad
        // diffs refused; every 9th cut point of the patch and of the
        // inverse patch (49 + 48 of ~430 operations each), torn.
        runs.push(vec![
            "--sign",
            "ecc256",
            "--delta",
            "--tear",
            "--cut-stride",
            "9",
        ]);
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
