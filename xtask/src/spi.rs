//! The external-SPI-flash board `ast1030-evb`: BOOT in internal flash,
//! UPDATE and SWAP encrypted on a SPI NOR (QEMU's `m25p80` model behind the
//! AST1030 FMC, chip select wired), driven by `crates/spi-nor`.
//!
//! `build`, `run`, `size`, and the end-to-end test: an encrypted update
//! staged by the application through `UpdateWriter` onto the SPI flash,
//! installed, confirmed; an unconfirmed one rolled back; and a power cut
//! before every flash operation of one update (on both devices, strided in
//! CI), with the SPI flash file searched for plaintext after every cut.
//! QEMU runs with `-no-reboot`: each reset ends QEMU gracefully (so the SPI
//! model's file is complete) and the harness starts it again on the same
//! files. See `docs/external-flash.md`.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wolfboot_swap_state_machine::EncryptAlgorithm;

use crate::cli::BoardOptions;
use crate::firmware::{self, Toolchain};
use crate::util::{root, run};

/// `--board` name.
pub const BOARD_NAME: &str = "ast1030-evb";
const BOARD: &str = "boards/ast1030-evb";
const APP: &str = "examples/ast1030-evb-app";
const TARGET: &str = "thumbv7em-none-eabi";
const MACHINE: &str = "ast1030-evb";
/// Default SPI NOR model: 32 MiB, SFDP, 4-byte addresses above 16 MiB.
const DEFAULT_MODEL: &str = "w25q256";

// The board's memory map (boards/ast1030-evb/src/memory_map.rs).
const BOOT_ADDRESS: u32 = 0x0002_0000;
const PARTITION_SIZE: usize = 0x0004_0000;
const UPDATE_OFFSET: usize = 0x0100_0000;
const SWAP_OFFSET: usize = UPDATE_OFFSET + PARTITION_SIZE;
const SECTOR: usize = 0x1000;
const TESTCTL: u32 = 0x000B_FF00;
const INBOX: u32 = 0x0009_0000;
const MAGIC: u32 = 0x5742_5443;
const FILE_BACKED: u32 = 1;
const APP_NO_CONFIRM: u32 = 4;
const APP_STAGE: u32 = 16;
const APP_SET_KEY: u32 = 32;
const KEY_AREA_LEN: usize = 48;
/// Every how many flash operations of the update `cargo xtask test` cuts power.
const CUT_STRIDE: u32 = 23;
/// Upper bound of one QEMU run (a run takes well under a second).
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Signature algorithms the board builds with.
const ALGORITHMS: [&str; 2] = ["ecc256", "ed25519"];
/// Ciphers of the UPDATE partition.
const CIPHERS: [EncryptAlgorithm; 2] = [EncryptAlgorithm::ChaCha20, EncryptAlgorithm::Aes256Ctr];

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

/// Target folder of the firmware, for bootloader and app and every feature
/// set: `core` (built with `-Z build-std`) and the shared crates are
/// compiled once, not once per cipher, and cargo keeps each feature set's
/// artefacts, so switching ciphers (as the test does) recompiles nothing on
/// a warm machine. `build` copies the bootloader it made into its work
/// folder before another build can replace it.
fn target_dir() -> PathBuf {
    root()
        .join("target")
        .join(format!("board-{BOARD_NAME}"))
        .join("fw")
}

fn bootloader_elf() -> PathBuf {
    target_dir()
        .join(TARGET)
        .join("release/wolfboot-ast1030-evb")
}

fn app_elf() -> PathBuf {
    target_dir().join(TARGET).join("release/ast1030-evb-app")
}

fn firmware_build(tc: &Toolchain, krate: &str, features: &str, keystore: &Path) -> Command {
    let mut c = firmware::cargo_build(tc, TARGET, &root().join(krate));
    c.args(["--no-default-features", "--features", features])
        .env("CARGO_TARGET_DIR", target_dir())
        .env("WOLFBOOT_KEYSTORE_RS", keystore);
    c
}

/// What `build` made.
pub struct Built {
    work: PathBuf,
    model: String,
    bootloader: PathBuf,
}

impl Built {
    fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }
}

/// `cargo xtask build --board ast1030-evb [--sign ecc256|ed25519] [--encrypt chacha|aes256] [--flash MODEL]`.
pub fn build(o: &BoardOptions, sign_cli: &Path) -> Result<Built, String> {
    o.only(
        BOARD_NAME,
        &[
            "--sign",
            "--hash",
            "--encrypt",
            "--flash",
            "--e2e",
            "--cut-stride",
        ],
    )?;
    let sign = o.sign().to_string();
    if !ALGORITHMS.contains(&sign.as_str()) {
        return Err(format!(
            "--sign {sign}: the {BOARD_NAME} board builds with {}",
            ALGORITHMS.join(", ")
        ));
    }
    if o.hash() != "sha256" {
        return Err(format!(
            "--hash {}: the {BOARD_NAME} board builds with sha256",
            o.hash()
        ));
    }
    let alg_name = o.encrypt.clone().unwrap_or_else(|| "aes256".into());
    let alg = EncryptAlgorithm::from_name(&alg_name)
        .filter(|a| CIPHERS.contains(a))
        .ok_or_else(|| {
            format!(
                "--encrypt {alg_name}: {BOARD_NAME} keeps UPDATE encrypted with chacha or aes256"
            )
        })?;
    let model = o.flash.clone().unwrap_or_else(|| DEFAULT_MODEL.into());
    let tc = toolchain()?;
    let work = root()
        .join("target")
        .join(format!("board-{BOARD_NAME}"))
        .join(format!("{sign}-{}", alg.name()));
    let keystore = ensure_key(sign_cli, &work, &sign)?;
    let key = work.join(format!("encrypt_{}.key", alg.name()));
    if !key.is_file() {
        let mut k = vec![0u8; alg.key_len() + alg.nonce_len()];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut k))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        std::fs::write(&key, k).map_err(|e| format!("{}: {e}", key.display()))?;
    }
    let features = format!("{sign},sha256,encrypt-{}", alg.name());
    run(
        &format!("build {BOARD_NAME} bootloader ({features})"),
        &mut firmware_build(&tc, BOARD, &features, &keystore),
    )?;
    run(
        &format!("build {BOARD_NAME} test app (same features and keystore)"),
        &mut firmware_build(&tc, APP, &features, &keystore),
    )?;
    run(
        "app ELF to binary",
        Command::new("llvm-objcopy")
            .args(["-O", "binary"])
            .arg(app_elf())
            .arg(work.join("app.bin")),
    )?;
    let sign_cmd = |version: &str, encrypt: bool| {
        let mut c = Command::new(sign_cli);
        c.current_dir(&work)
            .args([&format!("--{sign}"), "--sha256", "--header-size", "256"]);
        if encrypt {
            c.arg(format!("--{}", alg.name()))
                .arg("--encrypt")
                .arg(&key);
        }
        c.args(["app.bin", "key.der", version]);
        c
    };
    run("sign app v1", &mut sign_cmd("1", false))?;
    run("sign and encrypt app v2", &mut sign_cmd("2", true))?;
    let v1 = read(&work.join("app_v1_signed.bin"))?;
    if v1.len() > PARTITION_SIZE - SECTOR {
        return Err("signed app larger than BOOT".into());
    }
    let mut internal = vec![0xFFu8; PARTITION_SIZE];
    internal[..v1.len()].copy_from_slice(&v1);
    write(&work.join("factory-internal.bin"), &internal)?;
    let mut area = read(&key)?;
    area.resize(KEY_AREA_LEN, 0);
    write(&work.join("key-area.bin"), &area)?;
    // The ELF this test runs, out of reach of the next build.
    let bootloader = work.join("bootloader.elf");
    std::fs::copy(bootloader_elf(), &bootloader)
        .map_err(|e| format!("{}: {e}", bootloader.display()))?;
    println!("{BOARD_NAME} built:");
    println!("  bootloader:    {}", bootloader.display());
    println!(
        "  signed app v1: {}",
        work.join("app_v1_signed.bin").display()
    );
    println!(
        "  factory flash: {} (BOOT at {BOOT_ADDRESS:#x})",
        work.join("factory-internal.bin").display()
    );
    println!(
        "  spi flash:     QEMU {model} on FMC CE0, blank at first run (UPDATE at {UPDATE_OFFSET:#x}, SWAP at {SWAP_OFFSET:#x}, encrypted)"
    );
    println!(
        "  cipher:        {} (key and nonce: {}; the app stores them at the end of BOOT)",
        alg.name(),
        key.display()
    );
    println!(
        "  update v2:     {}",
        work.join("app_v2_signed_and_encrypted.bin").display()
    );
    Ok(Built {
        work,
        model,
        bootloader,
    })
}

/// Key pair of `sign` in `dir` (made once with sign-cli keygen).
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

fn read(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn write(p: &Path, data: &[u8]) -> Result<(), String> {
    std::fs::write(p, data).map_err(|e| format!("{}: {e}", p.display()))
}

/// A scenario's flash files, in their own folder.
struct Rig<'a> {
    built: &'a Built,
    dir: PathBuf,
    spi_size: usize,
}

/// One QEMU run's outcome.
struct RunOut {
    text: String,
    /// The `run end:` reason.
    end: String,
    /// Flash operations of the run.
    ops: u32,
}

impl RunOut {
    fn version(&self) -> Option<u32> {
        let at = self.text.find("app: version ")? + "app: version ".len();
        self.text[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }
}

impl<'a> Rig<'a> {
    /// Fresh files: factory internal flash, blank (erased) SPI chip.
    fn new(built: &'a Built, name: &str, spi_size: usize) -> Result<Self, String> {
        let dir = built.work.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::copy(built.path("factory-internal.bin"), dir.join("internal.bin"))
            .map_err(|e| e.to_string())?;
        write(&dir.join("spi.bin"), &vec![0xFF; spi_size])?;
        Ok(Rig {
            built,
            dir,
            spi_size,
        })
    }

    fn qemu(&self, flags: u32, cut_at: u32) -> Command {
        let b = self.built;
        let mut c = Command::new("qemu-system-arm");
        c.current_dir(&self.dir)
            .args(["-machine", &format!("{MACHINE},fmc-model={}", b.model)])
            .args(["-nographic", "-no-reboot", "-monitor", "none"])
            // The generic loader refuses files larger than the machine RAM
            // size, which ast1030-evb leaves at 0 (its SRAM is not "RAM").
            .args(["-m", "1M"])
            .args(["-serial", "stdio"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .args(["-drive", "if=mtd,format=raw,file=spi.bin"])
            .arg("-kernel")
            .arg(&b.bootloader);
        let word = |addr: u32, v: u32| format!("loader,addr={addr:#x},data={v:#x},data-len=4");
        c.args(["-device", &word(TESTCTL, MAGIC)])
            .args(["-device", &word(TESTCTL + 4, flags)])
            .args(["-device", &word(TESTCTL + 8, cut_at)]);
        if flags & APP_SET_KEY != 0 {
            c.arg("-device").arg(format!(
                "loader,file={},addr={:#x},force-raw=on",
                b.path("key-area.bin").display(),
                TESTCTL + 0x20
            ));
        }
        if flags & APP_STAGE != 0 {
            let update = b.path("app_v2_signed_and_encrypted.bin");
            let len = std::fs::metadata(&update).map(|m| m.len()).unwrap_or(0);
            c.arg("-device").arg(format!(
                "loader,file={},addr={INBOX:#x},force-raw=on",
                update.display()
            ));
            c.args(["-device", &word(TESTCTL + 0x10, len as u32)]);
        }
        c
    }

    /// Run QEMU once (one boot: bootloader, then the app up to its reset).
    fn boot(&self, flags: u32, cut_at: u32) -> Result<RunOut, String> {
        let mut child = self
            .qemu(flags, cut_at)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("qemu-system-arm: {e}"))?;
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
                break s;
            }
            if started.elapsed() > RUN_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "QEMU run in {} did not end within {}s",
                    self.dir.display(),
                    RUN_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut text = String::new();
        if let Some(mut o) = child.stdout.take() {
            let _ = o.read_to_string(&mut text);
        }
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let text = text.replace('\r', "");
        if !status.success() {
            return Err(format!("QEMU failed ({status}): {err}{text}"));
        }
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("run end: "))
            .ok_or_else(|| format!("run ended without a `run end:` line:\n{text}{err}"))?;
        let (end, rest) = line
            .split_once(", ")
            .ok_or_else(|| format!("bad end line `{line}`"))?;
        let ops = rest
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("bad end line `{line}`"))?;
        Ok(RunOut {
            end: end.to_string(),
            ops,
            text,
        })
    }

    fn spi(&self) -> Result<Vec<u8>, String> {
        let s = read(&self.dir.join("spi.bin"))?;
        if s.len() != self.spi_size {
            return Err(format!("spi.bin is {} bytes", s.len()));
        }
        Ok(s)
    }
}

/// 16-byte blocks of the plaintext images. Blocks made only of 0x00 and
/// 0xFF bytes are left out: erased flash and partition trailers (a magic
/// cleared to zero next to erased flags) are made of them, and they say
/// nothing about the firmware. (The first sweep found UPDATE's trailer,
/// `00000000 ff..ff`, equal to a block of header padding.)
fn plaintext_blocks(built: &Built) -> Result<HashSet<[u8; 16]>, String> {
    let v1 = read(&built.path("app_v1_signed.bin"))?;
    let v2 = read(&built.path("app_v2_signed.bin"))?;
    Ok(blocks_of(&[&v1, &v2]))
}

fn blocks_of(images: &[&[u8]]) -> HashSet<[u8; 16]> {
    let mut set = HashSet::new();
    for image in images {
        for block in image.chunks_exact(16) {
            if block.iter().any(|&b| b != 0x00 && b != 0xFF) {
                set.insert(<[u8; 16]>::try_from(block).unwrap_or([0; 16]));
            }
        }
    }
    set
}

/// Offset of the first plaintext block anywhere (any alignment) on the SPI
/// flash image; erased sectors are skipped.
fn find_plaintext(spi: &[u8], blocks: &HashSet<[u8; 16]>) -> Option<usize> {
    let erased: Vec<bool> = spi
        .chunks(SECTOR)
        .map(|s| s.iter().all(|&b| b == 0xFF))
        .collect();
    for s in 0..erased.len() {
        // A window starting here may reach into the next sector.
        if erased[s] && erased.get(s + 1).copied().unwrap_or(true) {
            continue;
        }
        let start = s * SECTOR;
        let end = (start + SECTOR).min(spi.len().saturating_sub(15));
        for at in start..end {
            let w: &[u8; 16] = spi[at..at + 16].try_into().ok()?;
            if blocks.contains(w) {
                return Some(at);
            }
        }
    }
    None
}

fn print_run(label: &str, out: &RunOut) {
    println!("--- {label}");
    for l in out.text.lines().filter(|l| !l.trim().is_empty()) {
        println!("    {l}");
    }
}

/// `cargo xtask run --board ast1030-evb [...]`: the story in QEMU runs:
/// v1 stores the key and stages encrypted v2 onto the SPI flash, the
/// bootloader installs it, v2 confirms; then the SPI flash is searched for
/// plaintext.
///
/// `--e2e [--cut-stride N]`: instead, the end-to-end test of `cargo xtask
/// test` for the `--encrypt` cipher (default both), every N-th cut point.
pub fn run_board(o: &BoardOptions, sign_cli: &Path) -> Result<(), String> {
    if o.e2e {
        let stride = o.cut_stride.unwrap_or(CUT_STRIDE);
        let ciphers: Vec<EncryptAlgorithm> = match o.cipher()? {
            Some(alg) if CIPHERS.contains(&alg) => vec![alg],
            Some(alg) => return Err(format!("--encrypt {}: chacha or aes256", alg.name())),
            None => CIPHERS.to_vec(),
        };
        for alg in ciphers {
            e2e(sign_cli, alg, stride)?;
        }
        return Ok(());
    }
    if o.cut_stride.is_some() {
        return Err("--cut-stride: only with --e2e".into());
    }
    let built = build(o, sign_cli)?;
    let rig = Rig::new(&built, "run", spi_size(&built.model)?)?;
    let blocks = plaintext_blocks(&built)?;
    let first = rig.boot(FILE_BACKED | APP_SET_KEY | APP_STAGE, 0)?;
    print_run(
        "boot 1: v1 stores the key, stages v2 on the SPI flash",
        &first,
    );
    let second = rig.boot(FILE_BACKED, 0)?;
    print_run("boot 2: the bootloader installs v2", &second);
    let spi = rig.spi()?;
    match find_plaintext(&spi, &blocks) {
        Some(at) => Err(format!("plaintext on the SPI flash at {at:#x}")),
        None => {
            println!(
                "spi.bin ({}): no 16-byte block of either image in plain text",
                rig.dir.join("spi.bin").display()
            );
            Ok(())
        }
    }
}

/// Bytes of the SPI NOR model `model` (QEMU's m25p80 table; the ones the
/// board has been run with).
fn spi_size(model: &str) -> Result<usize, String> {
    match model {
        "w25q256" | "mx25l25635e" | "mx25l25635f" | "n25q256a" | "is25lp256" => Ok(32 << 20),
        "w25q512jv" | "n25q512a" | "mx66l51235f" => Ok(64 << 20),
        other => Err(format!(
            "--flash {other}: UPDATE sits above 16 MiB; use a 32 or 64 MiB m25p80 model (w25q256, mx25l25635e, n25q256a, w25q512jv, ...)"
        )),
    }
}

/// Run boots until v2 runs confirmed (the app keeps staging v2 while v1
/// runs), at most `limit` boots; the first cuts power before its `cut`-th
/// flash operation counted over the whole sequence (0: no cut). Checks that
/// every boot reaches a legitimate application, and after the cut that no
/// plaintext is on the SPI flash. Returns (boots, flash operations).
fn update_until_v2(
    rig: &Rig,
    blocks: &HashSet<[u8; 16]>,
    mut cut: u32,
    limit: usize,
) -> Result<(usize, u32), String> {
    let mut ops = 0;
    let cut_point = cut;
    for boot in 1..=limit {
        let out = rig.boot(FILE_BACKED | APP_SET_KEY | APP_STAGE, cut)?;
        ops += out.ops;
        let bricked = |why: &str| {
            format!(
                "cut {cut_point}, boot {boot}: {why}\n{}",
                out.text.lines().collect::<Vec<_>>().join("\n")
            )
        };
        match out.end.as_str() {
            "power cut" => {
                if cut == 0 {
                    return Err(bricked("power cut without a cut point"));
                }
                if let Some(at) = find_plaintext(&rig.spi()?, blocks) {
                    return Err(bricked(&format!("plaintext on the SPI flash at {at:#x}")));
                }
                cut = 0;
                continue;
            }
            "app: done" | "app: update triggered" => {}
            other => return Err(bricked(&format!("run ended with `{other}`"))),
        }
        if cut > 0 {
            cut = cut.saturating_sub(out.ops);
            if cut == 0 {
                return Err(bricked("the cut point was passed without a cut"));
            }
        }
        match out.version() {
            Some(2) if out.end == "app: done" && !out.text.contains("success failed") => {
                if let Some(at) = find_plaintext(&rig.spi()?, blocks) {
                    return Err(bricked(&format!("plaintext on the SPI flash at {at:#x}")));
                }
                return Ok((boot, ops));
            }
            Some(1 | 2) => {}
            _ => return Err(bricked("no legitimate application ran")),
        }
    }
    Err(format!(
        "cut {cut_point}: v2 not running confirmed after {limit} boots ({})",
        rig.dir.display()
    ))
}

/// The end-to-end test of one cipher: update, rollback, power-cut sweep
/// (every `stride`-th operation of the update).
fn e2e(sign_cli: &Path, alg: EncryptAlgorithm, stride: u32) -> Result<(), String> {
    let options = BoardOptions {
        encrypt: Some(alg.name().to_string()),
        ..BoardOptions::default()
    };
    let built = build(&options, sign_cli)?;
    let size = spi_size(&built.model)?;
    let blocks = plaintext_blocks(&built)?;
    let started = Instant::now();
    println!(
        "==> {BOARD_NAME} {}: the driver probes QEMU's chips",
        alg.name()
    );
    probe_chips(&built)?;
    println!("==> {BOARD_NAME} {}: update without cuts", alg.name());
    let rig = Rig::new(&built, "e2e-update", size)?;
    let (boots, total) = update_until_v2(&rig, &blocks, 0, 3)?;
    if boots != 2 {
        return Err(format!("uncut update took {boots} boots, expected 2"));
    }
    println!("    v1 staged v2 (encrypted) on the SPI flash, bootloader installed it, v2 confirmed: {total} flash operations over both devices");

    println!(
        "==> {BOARD_NAME} {}: rollback of an unconfirmed update",
        alg.name()
    );
    let rig = Rig::new(&built, "e2e-rollback", size)?;
    let a = rig.boot(FILE_BACKED | APP_SET_KEY | APP_STAGE, 0)?;
    let b = rig.boot(FILE_BACKED | APP_NO_CONFIRM, 0)?;
    let c = rig.boot(FILE_BACKED, 0)?;
    if a.end != "app: update triggered"
        || b.version() != Some(2)
        || c.version() != Some(1)
        || !c.text.contains("rolled back")
    {
        return Err(format!(
            "rollback: expected v1 → v2 (unconfirmed) → v1 rolled back\n{}\n{}\n{}",
            a.text, b.text, c.text
        ));
    }
    if let Some(at) = find_plaintext(&rig.spi()?, &blocks) {
        return Err(format!("rollback: plaintext on the SPI flash at {at:#x}"));
    }
    println!("    v2 not confirmed → rolled back to v1, SPI flash still ciphertext only");

    let points: Vec<u32> = (1..=total).step_by(stride.max(1) as usize).collect();
    println!(
        "==> {BOARD_NAME} {}: power cut before flash operation k of the update, {} cut points (1 in {stride} of {total})",
        alg.name(),
        points.len()
    );
    let rig_name = "e2e-cut";
    let mut extra_boots = 0;
    for &k in &points {
        let rig = Rig::new(&built, rig_name, size)?;
        let (boots, _) = update_until_v2(&rig, &blocks, k, 8)?;
        extra_boots += boots;
    }
    println!(
        "    {} cuts: every boot ran v1 or v2, v2 confirmed in the end, no plaintext block on the SPI flash after any cut ({} boots, {:.1}s)",
        points.len(),
        extra_boots,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// QEMU chips the driver is run on, and the line the bootloader prints
/// after probing each: SFDP with 4-byte addresses (Winbond, Macronix), and
/// a chip sized from its JEDEC ID with 3-byte addresses (Micron `n25q128`,
/// too small for this layout, so the bootloader stops there).
const CHIPS: [(&str, &str); 3] = [
    (
        "w25q256",
        "spi-nor: JEDEC ef4019, 32768 KiB, page 256, 4-byte addresses, geometry from SFDP",
    ),
    (
        "mx25l25635e",
        "spi-nor: JEDEC c22019, 32768 KiB, page 256, 4-byte addresses, geometry from SFDP",
    ),
    (
        "n25q128",
        "spi-nor: JEDEC 20ba18, 16384 KiB, page 256, 3-byte addresses, geometry from JEDEC ID",
    ),
];

/// Probe each of [`CHIPS`] under QEMU with the bootloader (no flash files:
/// the chip model starts erased, the internal flash empty).
fn probe_chips(built: &Built) -> Result<(), String> {
    for (model, want) in CHIPS {
        let mut c = Command::new("qemu-system-arm");
        c.args(["-machine", &format!("{MACHINE},fmc-model={model}")])
            .args([
                "-nographic",
                "-no-reboot",
                "-monitor",
                "none",
                "-serial",
                "stdio",
            ])
            .arg("-kernel")
            .arg(&built.bootloader)
            .args([
                "-device",
                &format!("loader,addr={TESTCTL:#x},data={MAGIC:#x},data-len=4"),
            ])
            .stdin(Stdio::null());
        let out = c.output().map_err(|e| format!("qemu-system-arm: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
        let line = text.lines().find(|l| l.starts_with("spi-nor: "));
        if line != Some(want) || !text.contains("run end: ") {
            return Err(format!(
                "{model}: expected `{want}`, the bootloader printed:\n{text}"
            ));
        }
        println!("    {model}: {want}");
    }
    Ok(())
}

/// Part of `cargo xtask test`: host tests of the board, and the QEMU
/// end-to-end tests with both ciphers (strided power-cut sweeps).
pub fn test(sign_cli: &Path, quick: bool) -> Result<(), String> {
    toolchain()?;
    firmware::host_unit_tests("ast1030-evb host unit tests (layout, jump checks)", BOARD)?;
    let stride = if quick { 8 * CUT_STRIDE } else { CUT_STRIDE };
    for alg in CIPHERS {
        e2e(sign_cli, alg, stride)?;
    }
    Ok(())
}

/// `cargo xtask size --board ast1030-evb`: bootloader sizes per cipher, and
/// the share of the SPI NOR driver and FMC glue.
pub fn size(sign_cli: &Path) -> Result<(), String> {
    let tc = toolchain()?;
    let mut rows = Vec::new();
    for alg in CIPHERS {
        // The keystore of `build` (same folder): the ELF measured is the
        // one `build` and the test use, not a rebuild with other keys.
        let work = root()
            .join("target")
            .join(format!("board-{BOARD_NAME}"))
            .join(format!("ecc256-{}", alg.name()));
        let keystore = ensure_key(sign_cli, &work, "ecc256")?;
        let features = format!("ecc256,sha256,encrypt-{}", alg.name());
        run(
            &format!("build {BOARD_NAME} bootloader ({features})"),
            &mut firmware_build(&tc, BOARD, &features, &keystore),
        )?;
        let nums = firmware::bootloader_size(&bootloader_elf(), &features)?;
        let driver = driver_bytes(&bootloader_elf())?;
        // The two size probes of the board crate (src/bin): FMC device
        // with and without the whole driver.
        let probe = |bin: &str| {
            firmware::elf_size(&target_dir().join(TARGET).join("release").join(bin))
                .map(|(n, _)| n.first().copied().unwrap_or(0))
        };
        let whole = probe("spi-nor-size")?.saturating_sub(probe("spi-nor-size-base")?);
        rows.push((
            format!("ecc256+{}", alg.name()),
            nums,
            (driver.0, driver.1, whole),
        ));
    }
    println!("\n{BOARD_NAME} bootloader size (SHA-256, opt-level z, LTO, panic immediate-abort)");
    println!(
        "{:<14} {:>8} {:>6} {:>6}   panic/fmt symbols",
        "signature", "text", "data", "bss"
    );
    for (label, n, _) in &rows {
        let g = |i: usize| n.get(i).map_or("?".to_string(), u64::to_string);
        println!("{:<14} {:>8} {:>6} {:>6}   0", label, g(0), g(1), g(2));
    }
    for (label, _, (driver, glue, whole)) in &rows {
        println!(
            "{label}: SPI NOR driver {whole} B of .text (probe with SFDP, read, program, erase, verify, errors: spi-nor-size minus spi-nor-size-base)"
        );
        println!(
            "{label}: SPI NOR driver functions {driver} B, FMC SpiDevice + counting glue {glue} B (llvm-nm sizes of their own functions: a lower bound, LTO inlines the rest into callers)"
        );
    }
    Ok(())
}

/// Text bytes of symbols from `wolfboot_spi_nor` and of the board's FMC /
/// harness glue, as llvm-nm attributes them.
fn driver_bytes(elf: &Path) -> Result<(u64, u64), String> {
    let out = Command::new("llvm-nm")
        .args(["--print-size", "--size-sort", "-C"])
        .arg(elf)
        .output()
        .map_err(|e| format!("llvm-nm: {e}"))?;
    let mut driver = 0;
    let mut glue = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f = line.split_whitespace();
        let (Some(_), Some(size), Some(kind)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if !matches!(kind, "t" | "T") {
            continue;
        }
        let name: String = f.collect::<Vec<_>>().join(" ");
        let size = u64::from_str_radix(size, 16).unwrap_or(0);
        // By the function's own path (generic code of other crates
        // instantiated over the driver's types does not count).
        let own =
            |prefix: &str| name.starts_with(prefix) || name.starts_with(&format!("<{prefix}"));
        if own("wolfboot_spi_nor::") {
            driver += size;
        } else if own("wolfboot_board_ast1030_evb::smc::")
            || own("wolfboot_board_ast1030_evb::testctl::Counted")
        {
            glue += size;
        }
    }
    Ok((driver, glue))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_is_found_at_any_alignment_and_padding_is_not_plaintext() {
        let mut image: Vec<u8> = (0..64u32).map(|i| (i * 37 + 1) as u8).collect();
        image.extend_from_slice(&[0, 0, 0, 0]);
        image.extend_from_slice(&[0xFF; 12]);
        let blocks = blocks_of(&[&image]);
        assert_eq!(blocks.len(), 4, "the 00/FF block is not plaintext");
        let mut spi = vec![0xFFu8; 4 * SECTOR];
        assert_eq!(find_plaintext(&spi, &blocks), None);
        // Straddling a sector boundary, unaligned.
        spi[2 * SECTOR - 7..2 * SECTOR + 9].copy_from_slice(&image[16..32]);
        assert_eq!(find_plaintext(&spi, &blocks), Some(2 * SECTOR - 7));
        spi[2 * SECTOR - 7] ^= 1;
        assert_eq!(find_plaintext(&spi, &blocks), None);
        spi[3 * SECTOR + 100..3 * SECTOR + 116].copy_from_slice(&image[48..64]);
        assert_eq!(find_plaintext(&spi, &blocks), Some(3 * SECTOR + 100));
        // A block whose first bytes are 0xFF, starting in an erased sector.
        let mut block = [0xFFu8; 16];
        block[4..].copy_from_slice(&image[4..16]);
        let blocks = blocks_of(&[&block]);
        let mut spi = vec![0xFFu8; 3 * SECTOR];
        spi[SECTOR..SECTOR + 12].copy_from_slice(&block[4..]);
        assert_eq!(find_plaintext(&spi, &blocks), Some(SECTOR - 4));
    }
}
