//! The QEMU MPS2 boards: `mps2-an385` (Cortex-M3, `thumbv7m-none-eabi`) and
//! its Cortex-M4 twin `mps2-an386` (`thumbv7em-none-eabi`: UMAAL and the DSP
//! instructions), one board crate and one test app built for either target:
//! firmware builds (their own cargo invocations, no_std), QEMU runs, sizes
//! with their committed budgets, and the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use wolfboot_swap_state_machine::EncryptAlgorithm;

use crate::cli::BoardOptions;
use crate::firmware::{self, Toolchain};
use crate::util::{root, run};

const BOARD: &str = "boards/mps2-an385";
const APP: &str = "examples/mps2-an385-app";

/// One of the MPS2 boards: the same crates, another target and QEMU machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Board {
    /// `--board` name.
    pub name: &'static str,
    /// Rust target of bootloader and app.
    pub target: &'static str,
    /// QEMU `-machine`.
    pub machine: &'static str,
    /// QEMU `-cpu`.
    pub cpu: &'static str,
}

/// QEMU's Cortex-M3 MPS2 image.
pub const AN385: Board = Board {
    name: "mps2-an385",
    target: "thumbv7m-none-eabi",
    machine: "mps2-an385",
    cpu: "cortex-m3",
};

/// QEMU's Cortex-M4 MPS2 image (same memory map and UART as AN385).
pub const AN386: Board = Board {
    name: "mps2-an386",
    target: "thumbv7em-none-eabi",
    machine: "mps2-an386",
    cpu: "cortex-m4",
};

/// The board called `name`, if it is an MPS2 board.
pub fn board(name: &str) -> Option<Board> {
    [AN385, AN386].into_iter().find(|b| b.name == name)
}
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
/// this bootloader does not have), then the post-quantum ones (issue 16; LMS
/// as L1-H10-W8, the wolfBoot vectors' parameters).
pub const ALGORITHMS: [&str; 9] = [
    "ed25519",
    "ecc256",
    "ecc384",
    "ecc521",
    "ed448",
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
    "lms",
];
const HASHES: [&str; 3] = ["sha256", "sha384", "sha3"];

/// Check the tools this board needs and pick the firmware toolchain.
pub fn toolchain(board: &Board) -> Result<Toolchain, String> {
    firmware::toolchain(
        board.target,
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
pub fn firmware_build(
    tc: &Toolchain,
    board: &Board,
    dir: &Path,
    features: Option<&str>,
    keystore: Option<&Path>,
) -> Command {
    let mut c = firmware::cargo_build(tc, board.target, dir);
    if let Some(f) = features {
        c.args(["--no-default-features", "--features", f]);
    }
    if let Some(k) = keystore {
        c.env("WOLFBOOT_KEYSTORE_RS", k);
    }
    c
}

/// The bootloader ELF of the last build for `board`.
pub fn bootloader_elf(board: &Board) -> PathBuf {
    root()
        .join(BOARD)
        .join("target")
        .join(board.target)
        .join("release/wolfboot-mps2-an385")
}

/// The test application ELF of the last build for `board`.
pub fn app_elf(board: &Board) -> PathBuf {
    root()
        .join(APP)
        .join("target")
        .join(board.target)
        .join("release/mps2-an385-app")
}

/// The board crate folder.
pub fn board_dir() -> PathBuf {
    root().join(BOARD)
}

/// The test application crate folder.
pub fn app_dir() -> PathBuf {
    root().join(APP)
}

/// Work folder of `board` (keys, signed images, flash files).
pub fn work_root(board: &Board) -> PathBuf {
    root().join("target").join(format!("board-{}", board.name))
}

/// Key pair of `sign` in `dir` (made once with our keygen).
pub fn ensure_key(sign_cli: &Path, dir: &Path, sign: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    if !dir.join("keystore.rs").is_file() {
        run(
            &format!("keygen {sign}"),
            signer(sign_cli, sign).current_dir(dir).args([
                "keygen",
                &sign_flag(sign),
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
    fn from_options(o: &BoardOptions) -> Result<Updates, String> {
        Ok(Updates {
            encrypt: o.cipher()?,
            delta: o.delta,
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

    /// `IMAGE_HEADER_SIZE` for signature `sign` with these options.
    fn header_size(&self, sign: &str) -> u32 {
        if self.delta {
            DELTA_HEADER_SIZE.max(header_size(sign))
        } else {
            header_size(sign)
        }
    }
}

/// `IMAGE_HEADER_SIZE` of a build with signature `sign`: wolfBoot's minimum
/// for the algorithm (256; 512 for ECC384, ECC521 and Ed448, whose fields do
/// not fit 256 bytes: `sign` makes their headers 512 bytes whatever it is
/// asked). Bootloader, app and signer must agree.
pub fn header_size(sign: &str) -> u32 {
    match sign {
        "ecc384" | "ecc521" | "ed448" => 512,
        // wolfBoot's post-quantum configurations (docs/post-quantum.md).
        "lms" => 4096,
        "ml-dsa-44" | "ml-dsa-65" => 8192,
        "ml-dsa-87" => 12288,
        _ => 256,
    }
}

/// sign-cli's flag for signature `sign` (`--ml_dsa` for every ML-DSA level).
pub fn sign_flag(sign: &str) -> String {
    match sign {
        "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87" => "--ml_dsa".to_string(),
        _ => format!("--{sign}"),
    }
}

/// sign-cli with the environment wolfBoot's tools read for `sign`'s
/// parameters: `ML_DSA_LEVEL` 2/3/5, LMS L1-H10-W8.
pub fn signer(sign_cli: &Path, sign: &str) -> Command {
    let mut c = Command::new(sign_cli);
    match sign {
        "ml-dsa-44" => c.env("ML_DSA_LEVEL", "2"),
        "ml-dsa-65" => c.env("ML_DSA_LEVEL", "3"),
        "ml-dsa-87" => c.env("ML_DSA_LEVEL", "5"),
        "lms" => c
            .env("LMS_LEVELS", "1")
            .env("LMS_HEIGHT", "10")
            .env("LMS_WINTERNITZ", "8"),
        _ => &mut c,
    };
    c
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

/// `cargo xtask build --board mps2-an385|mps2-an386 [--sign S] [--hash H] [--encrypt ALG] [--delta]`.
pub fn build(board: &Board, o: &BoardOptions, sign_cli: &Path) -> Result<Built, String> {
    o.only(board.name, &["--sign", "--hash", "--encrypt", "--delta"])?;
    let (sign, hash) = (o.sign().to_string(), o.hash().to_string());
    let updates = Updates::from_options(o)?;
    if !ALGORITHMS.contains(&sign.as_str()) {
        return Err(format!(
            "--sign {sign}: the {} bootloader supports {}",
            board.name,
            ALGORITHMS.join(", ")
        ));
    }
    if !HASHES.contains(&hash.as_str()) {
        return Err(format!(
            "--hash {hash}: choose one of {}",
            HASHES.join(", ")
        ));
    }
    let tc = toolchain(board)?;
    let work = work_root(board).join(format!("{sign}-{hash}{}", updates.suffix()));
    let keystore = ensure_key(sign_cli, &work, &sign)?;
    let key = match updates.encrypt {
        Some(alg) => Some(ensure_encrypt_key(&work, alg)?),
        None => None,
    };
    let features = format!("{sign},{hash}{}", updates.features());
    let header = updates.header_size(&sign).to_string();
    run(
        &format!("build {} bootloader", board.name),
        firmware_build(&tc, board, &board_dir(), Some(&features), Some(&keystore))
            .env("WOLFBOOT_IMAGE_HEADER_SIZE", &header),
    )?;
    run(
        &format!(
            "build {} test app (same algorithms, options and keystore)",
            board.name
        ),
        firmware_build(&tc, board, &app_dir(), Some(&features), Some(&keystore))
            .env("WOLFBOOT_IMAGE_HEADER_SIZE", &header),
    )?;
    run(
        "app ELF to binary",
        Command::new("llvm-objcopy")
            .args(["-O", "binary"])
            .arg(app_elf(board))
            .arg(work.join("app.bin")),
    )?;
    let hash_flag = if hash == "sha3" {
        "--sha3".to_string()
    } else {
        format!("--{hash}")
    };
    let sign_cmd = |version: &str, delta_base: Option<&str>| {
        let mut c = signer(sign_cli, &sign);
        c.current_dir(&work)
            .args([&sign_flag(&sign), &hash_flag, "--header-size"])
            .arg(updates.header_size(&sign).to_string());
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
    println!("{} built:", board.name);
    println!("  bootloader:    {}", bootloader_elf(board).display());
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
            updates.header_size(&sign)
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
fn qemu(board: &Board, work: &Path, flags: u32, devices: &[String]) -> Command {
    let mut c = Command::new("qemu-system-arm");
    c.current_dir(work)
        .args(["-machine", board.machine, "-cpu", board.cpu, "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(bootloader_elf(board))
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

/// `cargo xtask run --board mps2-an385|mps2-an386 [--encrypt ALG] [--delta]`: boot v1;
/// with `--encrypt` or `--delta` v1 also stores the key (`set_encrypt_key`),
/// streams v2 (encrypted and/or as a diff image) from the update inbox
/// through `UpdateWriter`, triggers it and resets; the bootloader installs
/// it and v2 runs, all in one QEMU run.
pub fn run_board(board: &Board, o: &BoardOptions, sign_cli: &Path) -> Result<(), String> {
    let built = build(board, o, sign_cli)?;
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
        &format!("boot {} under QEMU", board.name),
        &mut qemu(board, &built.work, flags, &devices),
    )
}

/// Update options measured by `size`, with ECC256 (row label, features).
const SIZE_OPTIONS: [(&str, &str); 4] = [
    ("+chacha", "encrypt-chacha"),
    ("+aes128", "encrypt-aes128"),
    ("+aes256", "encrypt-aes256"),
    ("+delta", "delta"),
];

/// The committed size budgets (`boards/mps2-an385/size-budget.toml`):
/// `.text` bytes per board (a `[board]` table) and build (`"label" = bytes`,
/// labels as in the `size` table).
pub fn budgets() -> Result<Vec<(String, String, u64)>, String> {
    let path = root().join(BOARD).join("size-budget.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut section = String::new();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().trim_matches('"').to_string();
            continue;
        }
        let bad = || format!("{}:{}: expected `\"label\" = bytes`", path.display(), n + 1);
        let (key, value) = line.split_once('=').ok_or_else(bad)?;
        let value: u64 = value.trim().replace('_', "").parse().map_err(|_| bad())?;
        if section.is_empty() {
            return Err(bad());
        }
        out.push((
            section.clone(),
            key.trim().trim_matches('"').to_string(),
            value,
        ));
    }
    Ok(out)
}

/// Which bootloader a budget holds: the quiet one a product ships
/// (feature `quiet`, the `size` table; section `[BOARD]`), or the one the
/// power-cut tests run, with console and test harness (section
/// `["BOARD harness"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// `--features …,quiet`.
    Quiet,
    /// Console and test harness.
    Harness,
}

impl Build {
    /// The budget file's section of `board` for this build.
    fn section(self, board: &Board) -> String {
        match self {
            Build::Quiet => board.name.to_string(),
            Build::Harness => format!("{} harness", board.name),
        }
    }
}

/// The budget of `label` in `section`, if one is committed.
fn budget_of(budgets: &[(String, String, u64)], section: &str, label: &str) -> Option<u64> {
    budgets
        .iter()
        .find(|(b, l, _)| b == section && l == label)
        .map(|(_, _, v)| *v)
}

/// Compare measured `.text` sizes (label, bytes) with the budgets of
/// `board`'s `build`: print the table, fail if a build exceeds its budget
/// or has none.
pub fn check_budgets(
    board: &Board,
    build: Build,
    measured: &[(String, u64)],
) -> Result<(), String> {
    let budgets = budgets()?;
    let section = build.section(board);
    println!("\n{section} size budgets (boards/mps2-an385/size-budget.toml)");
    println!(
        "{:<14} {:>8} {:>8} {:>7}",
        "signature", "text", "budget", "margin"
    );
    let mut over = Vec::new();
    for (label, text) in measured {
        match budget_of(&budgets, &section, label) {
            Some(b) => {
                let margin = b as i64 - *text as i64;
                println!(
                    "{:<14} {:>8} {:>8} {:>7}{}",
                    label,
                    text,
                    b,
                    margin,
                    if margin < 0 { "  OVER BUDGET" } else { "" }
                );
                if margin < 0 {
                    over.push(format!("{label} {text} > {b}"));
                }
            }
            None => {
                println!("{label:<14} {text:>8} {:>8}", "none");
                over.push(format!("{label}: no budget committed"));
            }
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{section} bootloader size budget exceeded: {}",
            over.join(", ")
        ))
    }
}

/// `cargo xtask size --board mps2-an385|mps2-an386`: the bootloader a
/// product ships (feature `quiet`: no console, no test harness) per
/// algorithm (SHA-256), then ECC256 with each update cipher and with delta
/// updates; then the comparison with the committed budgets (fails when a
/// build exceeds its budget).
pub fn size(board: &Board, sign_cli: &Path) -> Result<(), String> {
    let tc = toolchain(board)?;
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
        let work = work_root(board).join(format!("size-{sign}"));
        let keystore = ensure_key(sign_cli, &work, sign)?;
        run(
            &format!(
                "build {} bootloader with {sign} + sha256{extra}",
                board.name
            ),
            firmware_build(
                &tc,
                board,
                &board_dir(),
                Some(&format!("{sign},sha256{extra},quiet")),
                Some(&keystore),
            )
            .env(
                "WOLFBOOT_IMAGE_HEADER_SIZE",
                if extra.contains("delta") {
                    DELTA_HEADER_SIZE.max(header_size(sign))
                } else {
                    header_size(sign)
                }
                .to_string(),
            ),
        )?;
        let nums = firmware::bootloader_size(&bootloader_elf(board), &label)?;
        rows.push((label, nums));
    }
    println!(
        "\n{} bootloader size (quiet: no console, no test harness; SHA-256, opt-level z, LTO, panic immediate-abort)",
        board.name
    );
    println!(
        "{:<14} {:>8} {:>6} {:>6}   panic/fmt symbols",
        "signature", "text", "data", "bss"
    );
    for (label, n) in &rows {
        let g = |i: usize| n.get(i).map_or("?".to_string(), u64::to_string);
        println!("{:<14} {:>8} {:>6} {:>6}   0", label, g(0), g(1), g(2));
    }
    let measured: Vec<(String, u64)> = rows
        .iter()
        .map(|(l, n)| (l.clone(), n.first().copied().unwrap_or(u64::MAX)))
        .collect();
    check_budgets(board, Build::Quiet, &measured)
}

/// One QEMU end-to-end run of `harness/e2e.py` on `board`, then the size
/// budget check of the bootloader it built (label as in the `size` table;
/// the `harness` budgets) and, with `--quiet`, of the quiet bootloader it
/// built and booted too (the `size` table's budgets).
fn e2e(board: &Board, sign_cli: &Path, args: &[&str]) -> Result<(), String> {
    let script = root().join(BOARD).join("harness/e2e.py");
    let mut c = Command::new("python3");
    c.arg(&script)
        .args(["--board", board.name])
        .args(args)
        .env("SIGN_CLI", sign_cli)
        .env("WOLFBOOT_FW_ROOT", firmware::build_root());
    if let Some(spec) = firmware::target_spec(board.target) {
        // The same target the xtask's own builds use (no forced frame
        // pointers): the harness's bootloader is the one the budgets hold.
        c.env("WOLFBOOT_FW_TARGET_SPEC", spec);
    }
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
        &format!(
            "{} QEMU end-to-end with power cuts ({})",
            board.name,
            args.join(" ")
        ),
        &mut c,
    )?;
    let arg = |name: &str| {
        args.iter()
            .position(|a| *a == name)
            .and_then(|i| args.get(i + 1))
            .copied()
    };
    let mut label = arg("--sign").unwrap_or("ecc256").to_string();
    if let Some(e) = arg("--encrypt") {
        label.push_str(&format!("+{e}"));
    }
    if args.contains(&"--delta") {
        label.push_str("+delta");
    }
    // The copy the test ran (harness/e2e.py keeps it in its work folder,
    // `target/e2e-[BOARD-]SIGN[-CIPHER][-delta]` of the board crate).
    let prefix = if *board == AN385 {
        "e2e-".to_string()
    } else {
        format!("e2e-{}-", board.name)
    };
    let work = format!("{prefix}{}", label.replace('+', "-"));
    let elf = root()
        .join(BOARD)
        .join("target")
        .join(work)
        .join("bootloader.elf");
    let nums = firmware::bootloader_size(&elf, &format!("{} {label}", board.name))?;
    let text = |n: Vec<u64>| n.first().copied().unwrap_or(u64::MAX);
    check_budgets(board, Build::Harness, &[(label.clone(), text(nums))])?;
    if args.contains(&"--quiet") {
        let elf = elf.with_file_name("quiet-bootloader.elf");
        let nums = firmware::bootloader_size(&elf, &format!("{} {label} quiet", board.name))?;
        check_budgets(board, Build::Quiet, &[(label, text(nums))])?;
    }
    Ok(())
}

/// The MPS2 boards' part of `cargo xtask test`: host unit tests, then the
/// QEMU end-to-end tests with power cuts on mps2-an385 (every cut point for
/// ECC256, strided for the others) and on mps2-an386 (ECC256 and Ed25519,
/// strided: the state machine is the same code, the M4 build checks the
/// ARMv7E-M crypto and the board there). Every bootloader these tests build
/// is held to its committed size budget.
pub fn test(sign_cli: &Path, quick: bool) -> Result<(), String> {
    toolchain(&AN385)?;
    firmware::host_unit_tests(
        "mps2-an385 host unit tests (flash rules, jump checks, verifier)",
        BOARD,
    )?;
    // The chip's ECDSA P-256 verdicts against the host's: RustCrypto's
    // `p256` with 32-bit words here, P256-Cortex-M4 on mps2-an386 below.
    ecdsa_check(&AN385, sign_cli)?;
    // The Ed25519 field product is assembly on both cores (UMLAL here,
    // UMAAL on the Cortex-M4): checked against the portable one.
    ed25519_check(&AN385, sign_cli)?;
    e2e(&AN385, sign_cli, &["--sign", "ecc256", "--quiet"])?;
    if !quick {
        e2e(
            &AN385,
            sign_cli,
            &["--sign", "ed25519", "--tear", "--cut-stride", "3"],
        )?;
        // Encrypted updates (AES-256-CTR): install, rollback, refusals, no
        // plaintext in UPDATE or SWAP at any cut; every 5th cut point
        // (72 of 359 operations).
        e2e(
            &AN385,
            sign_cli,
            &[
                "--sign",
                "ecc256",
                "--encrypt",
                "aes256",
                "--cut-stride",
                "5",
            ],
        )?;
        // Delta updates: install by patch, rollback by inverse patch, bad
        // diffs refused; every 9th cut point of the patch and of the
        // inverse patch (45 + 45 of ~400 operations each), torn.
        e2e(
            &AN385,
            sign_cli,
            &["--sign", "ecc256", "--delta", "--tear", "--cut-stride", "9"],
        )?;
        // Post-quantum (issue 16): ML-DSA-87, whose 12288-byte header spans
        // three sectors, in the bootloader and in the app's UpdateWriter;
        // every 4th cut point, torn (90 of 357 operations).
        e2e(
            &AN385,
            sign_cli,
            &["--sign", "ml-dsa-87", "--tear", "--cut-stride", "4"],
        )?;
    }
    // mps2-an386: the same flows on the Cortex-M4 build, every 5th cut
    // point (56 of 278 for ECC256; torn, 58 of 286 for Ed25519): mps2-an385
    // sweeps every point, the M4 build adds its own crypto codegen.
    toolchain(&AN386)?;
    ecdsa_check(&AN386, sign_cli)?;
    ed25519_check(&AN386, sign_cli)?;
    e2e(
        &AN386,
        sign_cli,
        &["--sign", "ecc256", "--cut-stride", "5", "--quiet"],
    )?;
    if !quick {
        e2e(
            &AN386,
            sign_cli,
            &[
                "--sign",
                "ed25519",
                "--tear",
                "--cut-stride",
                "5",
                "--quiet",
            ],
        )?;
    }
    Ok(())
}

/// The chip's Ed25519 against the host's (the board's `ed25519-check`
/// program and xtask's `ed25519_check` cases): the field multiplication
/// (assembly on both cores) against the portable one on edge and
/// pseudo-random operands, SHA-256's assembly and the firmware's
/// `memcpy`/`memset` likewise, then every verdict against ed25519-dalek's,
/// on wolfBoot's Ed25519 images and every edge case, under QEMU.
pub fn ed25519_check(board: &Board, sign_cli: &Path) -> Result<(), String> {
    chip_check(
        board,
        sign_cli,
        &ChipCheck {
            program: "ed25519-check",
            sign: "ed25519",
            cases_file: "ed25519-cases.bin",
            write_cases: crate::ed25519_check::write_cases,
            step: |n| {
                format!("Ed25519 on the chip: field products, {n} verdicts against ed25519-dalek's")
            },
        },
    )
}

/// The chip's ECDSA P-256 verdicts against RustCrypto's (the board's
/// `ecdsa-check` program and xtask's `ecdsa_check` cases): on mps2-an386
/// this checks P256-Cortex-M4's assembly, on mps2-an385 wolfboot-verify's
/// own `ecdsa_nist`, on every wolfBoot ECC256 image and every edge case,
/// under QEMU.
pub fn ecdsa_check(board: &Board, sign_cli: &Path) -> Result<(), String> {
    chip_check(
        board,
        sign_cli,
        &ChipCheck {
            program: "ecdsa-check",
            sign: "ecc256",
            cases_file: "ecdsa-cases.bin",
            write_cases: crate::ecdsa_check::write_cases,
            step: |n| format!("ECDSA P-256 on the chip: {n} verdicts against RustCrypto's"),
        },
    )
}

/// One of the board's on-chip check programs (`src/bin/*-check.rs`).
struct ChipCheck {
    /// The program, its bin and its feature (`ecdsa-check`).
    program: &'static str,
    /// The signature algorithm it is built with.
    sign: &'static str,
    /// The cases file, as the program opens it over semihosting.
    cases_file: &'static str,
    /// Writes the cases file; returns how many cases.
    write_cases: fn(&Path) -> Result<usize, String>,
    /// The step's name after the board's, from the number of cases.
    step: fn(usize) -> String,
}

/// Build `check`'s program for `board` with its cases beside it, run it
/// under QEMU; its exit status is the verdict.
fn chip_check(board: &Board, sign_cli: &Path, check: &ChipCheck) -> Result<(), String> {
    let tc = toolchain(board)?;
    let work = work_root(board).join(check.program);
    let keystore = ensure_key(sign_cli, &work, check.sign)?;
    let cases = (check.write_cases)(&work.join(check.cases_file))?;
    let features = format!("{},sha256,{}", check.sign, check.program);
    run(
        &format!("build {} {}", board.name, check.program),
        firmware_build(&tc, board, &board_dir(), Some(&features), Some(&keystore))
            .args(["--bin", check.program])
            .env(
                "WOLFBOOT_IMAGE_HEADER_SIZE",
                header_size(check.sign).to_string(),
            ),
    )?;
    let elf = root()
        .join(BOARD)
        .join("target")
        .join(board.target)
        .join("release")
        .join(check.program);
    let mut c = Command::new("timeout");
    c.current_dir(&work)
        .args(["300", "qemu-system-arm"])
        .args(["-machine", board.machine, "-cpu", board.cpu, "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf);
    run(&format!("{} {}", board.name, (check.step)(cases)), &mut c)
}
