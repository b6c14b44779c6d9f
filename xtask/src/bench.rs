//! `cargo xtask bench --board mps2-an385|mps2-an386 [--sign ALG]`: what the
//! bootloader costs on the chip, in executed instructions, per signature
//! algorithm (SHA-256, a 102,400-byte payload).
//!
//! Method (docs/benchmarks.md): the bootloader is built with the board
//! crate's `bench` feature, which starts the CMSDK timer 0 first thing in
//! `main` and prints its readings; QEMU runs with `-icount shift=0`, where
//! virtual time advances one nanosecond per executed instruction and the
//! 25 MHz timer ticks once every 40 instructions. Figures:
//!
//! * hash + verify: one `verify_image` of the image in BOOT through the
//!   board's flash driver (header, key lookup, SHA-256 over header prefix
//!   and payload, signature); signature: the signature check alone; hash:
//!   the difference;
//! * boot: reset (start of `main`) to the jump into the application, nothing
//!   pending (BOOT holds the image, nothing else);
//! * install: the same with a newer image in UPDATE, triggered: verify it,
//!   swap it in sector by sector, verify the result, jump;
//! * stack: the peak stack of each of those boots, from RAM painted before
//!   the timer starts (the post-quantum verifiers need far more than the
//!   classic ones).

use std::path::Path;
use std::process::Command;

use crate::mps2::{self, Board};
use crate::util::run;

/// Payload bytes of the benchmark image (wolfBoot's figures use the same).
pub const PAYLOAD: usize = 102_400;
/// Instructions per CMSDK timer tick under `-icount shift=0`.
const INSTRUCTIONS_PER_TICK: u64 = 40;
/// Test control block (boards/mps2-an385/src/testctl.rs): magic, flags 0
/// (no file-backed flash, no power cut: the application confirms and ends
/// the QEMU run).
const TESTCTL: u32 = 0x203F_FF00;
const TESTCTL_MAGIC: u32 = 0x5742_5443;
/// BOOT's address; UPDATE follows it; partition size. Images are signed
/// with the algorithm's `IMAGE_HEADER_SIZE` (`mps2::header_size`), as
/// `cargo xtask build` signs them.
const BOOT_ADDRESS: u32 = 0x0002_0000;
const PARTITION_SIZE: usize = 0x0010_0000;

/// One bootloader run's readings, in timer ticks.
#[derive(Debug, Clone, Copy, Default)]
struct Reading {
    boot: u64,
    verify: u64,
    signature: u64,
    payload: u64,
    /// Peak stack of the boot in bytes (painted RAM, see the board's
    /// `bench` module).
    stack: u64,
}

fn parse(out: &str) -> Option<Reading> {
    let line = out.lines().find(|l| l.starts_with("bench: boot ticks"))?;
    if !line.trim_end().ends_with("; ok") {
        return None;
    }
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match nums.as_slice() {
        [boot, verify, signature, payload, stack, ..] => Some(Reading {
            boot: *boot,
            verify: *verify,
            signature: *signature,
            payload: *payload,
            stack: *stack,
        }),
        _ => None,
    }
}

/// Boot `elf` under QEMU (`-icount shift=0`) with `flash` loaded at BOOT;
/// the bootloader's reading and its output.
fn boot(board: &Board, work: &Path, elf: &Path, flash: &Path) -> Result<(Reading, String), String> {
    let mut c = Command::new("qemu-system-arm");
    c.current_dir(work)
        .args(["-machine", board.machine, "-cpu", board.cpu, "-nographic"])
        .args(["-icount", "shift=0"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .args(["-device"])
        .arg(format!(
            "loader,file={},addr={BOOT_ADDRESS:#x},force-raw=on",
            flash.display()
        ))
        .args([
            "-device",
            &format!("loader,addr={TESTCTL:#x},data={TESTCTL_MAGIC:#x},data-len=4"),
            "-device",
            &format!("loader,addr={:#x},data=0,data-len=4", TESTCTL + 4),
            "-device",
            &format!("loader,addr={:#x},data=0,data-len=4", TESTCTL + 8),
        ]);
    println!("==> {}", crate::util::render(&c));
    let out = c.output().map_err(|e| format!("qemu-system-arm: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    if !out.status.success() {
        return Err(format!(
            "{}: QEMU ended with {}:\n{text}",
            board.name, out.status
        ));
    }
    let reading = parse(&text).ok_or_else(|| format!("no bench figures in the output:\n{text}"))?;
    Ok((reading, text))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Figures of one algorithm, in instructions.
struct Row {
    sign: String,
    hash: u64,
    signature: u64,
    verify: u64,
    boot: u64,
    install: u64,
    payload: u64,
    /// Peak stack bytes: of the boot with nothing pending, of the install.
    stack_boot: u64,
    stack_install: u64,
}

fn measure(board: &Board, sign_cli: &Path, sign: &str) -> Result<Row, String> {
    let tc = mps2::toolchain(board)?;
    let work = mps2::work_root(board).join(format!("bench-{sign}"));
    let keystore = mps2::ensure_key(sign_cli, &work, sign)?;
    let header = mps2::header_size(sign).to_string();
    run(
        &format!("build {} bootloader ({sign}, sha256, bench)", board.name),
        mps2::firmware_build(
            &tc,
            board,
            &mps2::board_dir(),
            Some(&format!("{sign},sha256,bench")),
            Some(&keystore),
        )
        .env("WOLFBOOT_IMAGE_HEADER_SIZE", &header),
    )?;
    let elf = work.join("bootloader-bench.elf");
    std::fs::copy(mps2::bootloader_elf(board), &elf).map_err(|e| format!("copy ELF: {e}"))?;
    run(
        &format!("build {} test app ({sign}, sha256)", board.name),
        mps2::firmware_build(
            &tc,
            board,
            &mps2::app_dir(),
            Some(&format!("{sign},sha256")),
            Some(&keystore),
        )
        .env("WOLFBOOT_IMAGE_HEADER_SIZE", &header),
    )?;
    run(
        "app ELF to binary",
        Command::new("llvm-objcopy")
            .args(["-O", "binary"])
            .arg(mps2::app_elf(board))
            .arg(work.join("app.bin")),
    )?;
    // The app, padded with zeros to the benchmark payload size.
    let mut app = read(&work.join("app.bin"))?;
    if app.len() > PAYLOAD {
        return Err(format!(
            "test app is {} bytes, more than the {PAYLOAD}-byte benchmark payload",
            app.len()
        ));
    }
    app.resize(PAYLOAD, 0);
    write(&work.join("app.bin"), &app)?;
    for v in ["1", "2"] {
        run(
            &format!("sign the {PAYLOAD}-byte payload as v{v}"),
            mps2::signer(sign_cli, sign).current_dir(&work).args([
                &mps2::sign_flag(sign),
                "--sha256",
                "--header-size",
                &header,
                "app.bin",
                "key.der",
                v,
            ]),
        )?;
    }
    let v1 = read(&work.join("app_v1_signed.bin"))?;
    let v2 = read(&work.join("app_v2_signed.bin"))?;

    // Nothing pending: BOOT holds v1.
    let idle = work.join("flash-idle.bin");
    write(&idle, &v1)?;
    let (r, _) = boot(board, &work, &elf, &idle)?;
    if r.payload != PAYLOAD as u64 {
        return Err(format!("bench image payload is {} bytes", r.payload));
    }

    // Install: v2 in UPDATE, triggered (UPDATE's trailer: magic "BOOT" in
    // the last word, state UPDATING (0x70) in the byte before it).
    let mut flash = vec![0xFFu8; 2 * PARTITION_SIZE];
    flash[..v1.len()].copy_from_slice(&v1);
    flash[PARTITION_SIZE..PARTITION_SIZE + v2.len()].copy_from_slice(&v2);
    let end = 2 * PARTITION_SIZE;
    flash[end - 4..].copy_from_slice(b"BOOT");
    flash[end - 5] = 0x70;
    let pending = work.join("flash-install.bin");
    write(&pending, &flash)?;
    let (inst, out) = boot(board, &work, &elf, &pending)?;
    if !out.contains("boot: update installed; version 2") {
        return Err(format!("the install run did not install v2:\n{out}"));
    }
    let i = |ticks: u64| ticks * INSTRUCTIONS_PER_TICK;
    Ok(Row {
        sign: sign.to_string(),
        hash: i(r.verify.saturating_sub(r.signature)),
        signature: i(r.signature),
        verify: i(r.verify),
        boot: i(r.boot),
        install: i(inst.boot),
        payload: r.payload,
        stack_boot: r.stack,
        stack_install: inst.stack,
    })
}

fn mega(n: u64) -> String {
    format!("{:.2} M", n as f64 / 1e6)
}

/// `cargo xtask bench --board mps2-an385|mps2-an386 [--sign ALG]`.
pub fn mps2(board: &Board, sign: Option<&str>, sign_cli: &Path) -> Result<(), String> {
    let algs: Vec<String> = match sign.map(str::to_string) {
        Some(s) if mps2::ALGORITHMS.contains(&s.as_str()) => vec![s],
        Some(s) => {
            return Err(format!(
                "--sign {s}: choose one of {}",
                mps2::ALGORITHMS.join(", ")
            ))
        }
        None => mps2::ALGORITHMS.iter().map(|s| s.to_string()).collect(),
    };
    let mut rows = Vec::new();
    for sign in &algs {
        let r = measure(board, sign_cli, sign)?;
        println!(
            "bench {} {}: hash {} signature {} hash+verify {} boot {} install {} instructions; \
             stack {} boot, {} install bytes",
            board.name,
            r.sign,
            r.hash,
            r.signature,
            r.verify,
            r.boot,
            r.install,
            r.stack_boot,
            r.stack_install
        );
        rows.push(r);
    }
    println!(
        "\n{} bootloader, instructions executed (QEMU -icount shift=0, CMSDK timer: 40 per tick)",
        board.name
    );
    println!(
        "{} payload bytes, SHA-256; boot = start of main to the jump, nothing pending; \
         install = the same with a triggered update; stack = peak bytes of the install \
         (painted RAM)",
        rows.first().map_or(PAYLOAD as u64, |r| r.payload)
    );
    println!(
        "{:<10} {:>10} {:>10} {:>13} {:>10} {:>10} {:>9}",
        "signature", "hash", "signature", "hash+verify", "boot", "install", "stack"
    );
    for r in &rows {
        println!(
            "{:<10} {:>10} {:>10} {:>13} {:>10} {:>10} {:>9}",
            r.sign,
            mega(r.hash),
            mega(r.signature),
            mega(r.verify),
            mega(r.boot),
            mega(r.install),
            r.stack_boot.max(r.stack_install)
        );
    }
    println!("exact: signature hash signature hash+verify boot install");
    for r in &rows {
        println!(
            "  {} {} {} {} {} {}",
            r.sign, r.hash, r.signature, r.verify, r.boot, r.install
        );
    }
    Ok(())
}
