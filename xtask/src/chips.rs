//! The real-chip boards: `microbit` (nRF51822, Cortex-M0, end to end under
//! QEMU's `microbit` machine and its NVMC model), `nrf52840-dk` and
//! `stm32f407-disco` (Cortex-M4F, build and size only: QEMU models neither
//! flash controller). Firmware builds are their own cargo invocations, one
//! target directory per target triple shared by bootloader and application.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::BoardOptions;
use crate::firmware::{self, Toolchain};
use crate::util::{root, run};

/// A real-chip board.
pub struct Board {
    /// `--board` name.
    pub name: &'static str,
    /// Bootloader crate folder and binary name.
    dir: &'static str,
    bin: &'static str,
    /// Test application crate folder and binary name.
    app_dir: &'static str,
    app_bin: &'static str,
    target: &'static str,
    /// Address of the first flash byte (where `factory.bin` starts).
    flash_origin: u32,
    /// `WOLFBOOT_PARTITION_BOOT_ADDRESS`.
    boot_address: u32,
    /// Bytes from BOOT to the end of flash (`flash.bin` under QEMU).
    window: u32,
    /// The board's `IMAGE_HEADER_SIZE` (images are signed with it).
    header_size: u32,
    /// Signature algorithms the bootloader is built with.
    algorithms: &'static [&'static str],
    /// probe-rs chip name, for the printed hint.
    chip: &'static str,
}

/// The boards of this module.
pub const BOARDS: [Board; 3] = [
    Board {
        name: "microbit",
        dir: "boards/microbit",
        bin: "wolfboot-microbit",
        app_dir: "examples/microbit-app",
        app_bin: "microbit-app",
        target: "thumbv6m-none-eabi",
        flash_origin: 0,
        boot_address: 0x0000_C000,
        window: 0x0004_0000 - 0x0000_C000,
        header_size: 256,
        algorithms: &["ecc256", "ed25519", "ecc384"],
        chip: "nRF51822_xxAA",
    },
    Board {
        name: "nrf52840-dk",
        dir: "boards/nrf52840-dk",
        bin: "wolfboot-nrf52840-dk",
        app_dir: "examples/nrf52840-dk-app",
        app_bin: "nrf52840-dk-app",
        target: "thumbv7em-none-eabihf",
        flash_origin: 0,
        boot_address: 0x0002_0000,
        window: 0x0010_0000 - 0x0002_0000,
        header_size: 256,
        algorithms: &["ecc256", "ed25519", "ecc384"],
        chip: "nRF52840_xxAA",
    },
    Board {
        name: "stm32f407-disco",
        dir: "boards/stm32f407-disco",
        bin: "wolfboot-stm32f407-disco",
        app_dir: "examples/stm32f407-disco-app",
        app_bin: "stm32f407-disco-app",
        target: "thumbv7em-none-eabihf",
        flash_origin: 0x0800_0000,
        boot_address: 0x0802_0000,
        window: 0x0810_0000 - 0x0802_0000,
        // 512: the application's 98-entry vector table must sit on a
        // 512-byte boundary for the F4's VTOR.
        header_size: 512,
        algorithms: &["ecc256", "ed25519", "ecc384"],
        chip: "STM32F407VGTx",
    },
];

const HASHES: [&str; 2] = ["sha256", "sha384"];

/// The board called `name`, if it is one of this module's.
pub fn board(name: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.name == name)
}

fn toolchain(b: &Board) -> Result<Toolchain, String> {
    let mut tools = vec![
        ("llvm-objcopy", "llvm"),
        ("llvm-size", "llvm"),
        ("llvm-nm", "llvm"),
    ];
    if b.name == "microbit" {
        tools.push(("qemu-system-arm", "qemu-system-arm"));
    }
    firmware::toolchain(b.target, &tools)
}

/// Target directory of a target triple (bootloaders and apps share it).
fn target_dir(b: &Board) -> PathBuf {
    root().join("target/chips").join(b.target)
}

fn elf(b: &Board, bin: &str) -> PathBuf {
    target_dir(b).join(b.target).join("release").join(bin)
}

fn firmware_build(
    tc: &Toolchain,
    b: &Board,
    dir: &str,
    features: &str,
    keystore: &Path,
) -> Command {
    let mut c = firmware::cargo_build(tc, b.target, &root().join(dir));
    c.args(["--no-default-features", "--features", features])
        .env("WOLFBOOT_KEYSTORE_RS", keystore)
        .env("CARGO_TARGET_DIR", target_dir(b));
    c
}

/// Key pair of `sign` in `dir` (made once with our keygen).
fn ensure_key(sign_cli: &Path, dir: &Path, sign: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
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

fn objcopy(elf: &Path, out: &Path) -> Result<(), String> {
    run(
        "ELF to binary",
        Command::new("llvm-objcopy")
            .args(["-O", "binary"])
            .arg(elf)
            .arg(out),
    )
}

/// What `build` made.
pub struct Built {
    /// Work folder: keys, signed images, `flash.bin`, `factory.bin`.
    pub work: PathBuf,
    /// Bootloader ELF.
    pub bootloader: PathBuf,
}

/// `cargo xtask build --board B [--sign S] [--hash H]`: bootloader and test
/// application with one fresh key, the application signed as v1 and v2,
/// a factory image (bootloader + v1 at BOOT) and, for QEMU, `flash.bin`.
pub fn build(b: &Board, o: &BoardOptions, sign_cli: &Path) -> Result<Built, String> {
    o.only(b.name, &["--sign", "--hash"])?;
    let (sign, hash) = (o.sign().to_string(), o.hash().to_string());
    if !b.algorithms.contains(&sign.as_str()) {
        return Err(format!(
            "--sign {sign}: the {} bootloader is built with {}",
            b.name,
            b.algorithms.join(", ")
        ));
    }
    if !HASHES.contains(&hash.as_str()) {
        return Err(format!(
            "--hash {hash}: choose one of {}",
            HASHES.join(", ")
        ));
    }
    let tc = toolchain(b)?;
    let work = root()
        .join("target")
        .join(format!("board-{}", b.name))
        .join(format!("{sign}-{hash}"));
    let keystore = ensure_key(sign_cli, &work, &sign)?;
    let features = format!("{sign},{hash}");
    run(
        &format!("build {} bootloader", b.name),
        &mut firmware_build(&tc, b, b.dir, &features, &keystore),
    )?;
    run(
        &format!("build {} test app (same algorithms and keystore)", b.name),
        &mut firmware_build(&tc, b, b.app_dir, &features, &keystore),
    )?;
    let bootloader = elf(b, b.bin);
    objcopy(&elf(b, b.app_bin), &work.join("app.bin"))?;
    objcopy(&bootloader, &work.join("bootloader.bin"))?;
    for v in ["1", "2"] {
        run(
            &format!("sign app v{v}"),
            Command::new(sign_cli)
                .current_dir(&work)
                .args([&format!("--{sign}"), &format!("--{hash}"), "--header-size"])
                .arg(b.header_size.to_string())
                .args(["app.bin", "key.der", v]),
        )?;
    }
    let read = |name: &str| std::fs::read(work.join(name)).map_err(|e| format!("{name}: {e}"));
    let v1 = read("app_v1_signed.bin")?;
    let boot = read("bootloader.bin")?;
    let boot_off = (b.boot_address - b.flash_origin) as usize;
    if boot.len() > boot_off || v1.len() > b.window as usize {
        return Err(format!(
            "{}: bootloader or app larger than its region",
            b.name
        ));
    }
    let mut factory = vec![0xFFu8; boot_off + v1.len()];
    factory[..boot.len()].copy_from_slice(&boot);
    factory[boot_off..].copy_from_slice(&v1);
    std::fs::write(work.join("factory.bin"), &factory).map_err(|e| e.to_string())?;
    let mut flash = vec![0xFFu8; b.window as usize];
    flash[..v1.len()].copy_from_slice(&v1);
    std::fs::write(work.join("flash.bin"), flash).map_err(|e| e.to_string())?;
    println!("{} built:", b.name);
    println!("  bootloader:    {}", bootloader.display());
    println!(
        "  signed app v1: {}",
        work.join("app_v1_signed.bin").display()
    );
    println!(
        "  factory flash: {} (BOOT at {:#x})",
        work.join("factory.bin").display(),
        b.boot_address
    );
    println!(
        "  update v2:     {}",
        work.join("app_v2_signed.bin").display()
    );
    println!(
        "  flash it:      probe-rs download --chip {} --binary-format bin --base-address {:#x} {}",
        b.chip,
        b.flash_origin,
        work.join("factory.bin").display()
    );
    Ok(Built { work, bootloader })
}

/// Test control block of the microbit board (boards/microbit/src/testctl.rs).
const TESTCTL: u32 = 0x2000_3F00;
const TESTCTL_MAGIC: u32 = 0x5742_5443;
const FILE_BACKED: u32 = 1;
const APP_STAGE: u32 = 16;

/// `cargo xtask run --board microbit [--sign S] [--hash H]`: under QEMU,
/// v1 boots, streams v2 (`inbox.bin`) through `UpdateWriter`, triggers it
/// and resets; the bootloader swaps it in through the NVMC and v2 runs.
pub fn run_board(b: &Board, o: &BoardOptions, sign_cli: &Path) -> Result<(), String> {
    if b.name != "microbit" {
        return Err(format!(
            "run: QEMU models no flash controller of {}; flash factory.bin with probe-rs \
             (see {}/README.md)",
            b.name, b.dir
        ));
    }
    let built = build(b, o, sign_cli)?;
    std::fs::copy(
        built.work.join("app_v2_signed.bin"),
        built.work.join("inbox.bin"),
    )
    .map_err(|e| e.to_string())?;
    run(
        "boot microbit under QEMU (v1 stages v2 through UpdateWriter, swap, v2 runs)",
        Command::new("qemu-system-arm")
            .current_dir(&built.work)
            .args(["-M", "microbit", "-nographic"])
            .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
            .arg(&built.bootloader)
            .args([
                "-device",
                &format!("loader,addr={TESTCTL:#x},data={TESTCTL_MAGIC:#x},data-len=4"),
                "-device",
                &format!(
                    "loader,addr={:#x},data={:#x},data-len=4",
                    TESTCTL + 4,
                    FILE_BACKED | APP_STAGE
                ),
            ]),
    )
}

/// `cargo xtask size --board B`: the bootloader per signature algorithm
/// (SHA-256), with no panic or formatting code linked in.
pub fn size(b: &Board, sign_cli: &Path) -> Result<(), String> {
    let tc = toolchain(b)?;
    let mut rows = Vec::new();
    for sign in b.algorithms {
        let work = root()
            .join("target")
            .join(format!("board-{}", b.name))
            .join(format!("size-{sign}"));
        let keystore = ensure_key(sign_cli, &work, sign)?;
        run(
            &format!("build {} bootloader with {sign} + sha256", b.name),
            &mut firmware_build(&tc, b, b.dir, &format!("{sign},sha256"), &keystore),
        )?;
        let nums = firmware::bootloader_size(&elf(b, b.bin), sign)?;
        rows.push((sign.to_string(), nums));
    }
    println!(
        "\n{} bootloader size (SHA-256, opt-level z, LTO, panic immediate-abort)",
        b.name
    );
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

/// The real-chip boards' part of `cargo xtask test`: host unit tests of the
/// board crates, every board built (bootloader and app, ECC256), and the
/// microbit end-to-end story under QEMU with power cuts before flash
/// operations of one update (every 3rd of about 500; `--quick`: every 25th).
pub fn test(sign_cli: &Path, quick: bool) -> Result<(), String> {
    for b in &BOARDS {
        firmware::host_unit_tests(
            &format!("{} host unit tests (memory map, harness rules)", b.name),
            b.dir,
        )?;
    }
    let mut microbit = None;
    for b in &BOARDS {
        let built = build(b, &BoardOptions::default(), sign_cli)?;
        if b.name == "microbit" {
            microbit = Some(built);
        }
    }
    let b = board("microbit").ok_or("no microbit board")?;
    let built = microbit.ok_or("microbit not built")?;
    // Every flash operation of the update (504 cut points, about 1.5 min
    // on two cores); `--quick` samples every 25th.
    let stride = if quick { "25" } else { "1" };
    let mut c = Command::new("python3");
    c.arg(root().join(b.dir).join("harness/e2e.py"))
        .arg("--work")
        .arg(root().join("target/board-microbit/e2e"))
        .arg("--bootloader")
        .arg(&built.bootloader)
        .arg("--app-bin")
        .arg(built.work.join("app.bin"))
        .arg("--key")
        .arg(built.work.join("key.der"))
        .arg("--sign-cli")
        .arg(sign_cli)
        .args(["--cut-stride", stride, "--jobs", "2"]);
    run(
        &format!(
            "microbit end to end under QEMU (NVMC model, power cut before {} flash operation)",
            if stride == "1" {
                "every".to_string()
            } else {
                format!("every {stride}th")
            }
        ),
        &mut c,
    )
}
