//! The sim board's boot cost, counted in instructions with callgrind: the
//! whole `wolfboot-sim --no-exec` process (loader, flash file, verification)
//! booting a 148,352-byte ECC256/SHA-256 image with nothing pending.
//!
//! wolfBoot's simulator boots the same image size in 27.24 M instructions
//! (measured the same way); instruction counts do not depend on the machine's
//! load, so the figure is comparable between runs and machines.

use std::path::Path;
use std::process::Command;

use wolfboot_board_sim::config::{BOOT_ADDRESS, CLASSIC_HEADER_SIZE as HEADER_SIZE, FLASH_SIZE};
use wolfboot_board_sim::harness::{Binaries, Device};

use crate::util::{render, target_dir};

/// Size of the signed image booted (header included), as in wolfBoot's run.
const IMAGE_SIZE: usize = 148_352;
/// wolfBoot's simulator on the same image, for the comparison column.
const WOLFBOOT_SIM_BOOT: u64 = 27_240_000;

/// Print the callgrind count of one boot; says so and returns `Ok` when
/// valgrind is not installed (it is a benchmark, not a test).
pub fn bench(bins: &Binaries) -> Result<(), String> {
    println!("==> sim board: instructions of one boot (callgrind, whole process)");
    if !crate::firmware::which("valgrind") {
        println!("    skipped: valgrind not found (Debian package `valgrind`)");
        return Ok(());
    }
    let dir = target_dir().join("xtask-bench-simboot");
    let dev = Device::new(&dir, bins.clone())?;
    // A deterministic payload: the count must not depend on the run.
    let payload_len = IMAGE_SIZE - HEADER_SIZE;
    let payload: Vec<u8> = (0..payload_len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    let app = dir.join("bench-app.bin");
    std::fs::write(&app, &payload).map_err(|e| format!("{}: {e}", app.display()))?;
    let mut sign = Command::new(&bins.sign_cli);
    sign.current_dir(&dir)
        .args(["--ecc256", "--sha256", "--header-size"])
        .arg(HEADER_SIZE.to_string())
        .arg(&app)
        .arg(&dev.key)
        .arg("1");
    let out = sign
        .output()
        .map_err(|e| format!("{}: {e}", render(&sign)))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            render(&sign),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let image = std::fs::read(dir.join("bench-app_v1_signed.bin"))
        .map_err(|e| format!("signed bench image: {e}"))?;
    if image.len() != IMAGE_SIZE {
        return Err(format!(
            "signed bench image is {} bytes, expected {IMAGE_SIZE}",
            image.len()
        ));
    }
    let mut flash = vec![0xFF; FLASH_SIZE as usize];
    flash[BOOT_ADDRESS as usize..][..image.len()].copy_from_slice(&image);
    let flash_file = dir.join("bench-flash.dd");
    std::fs::write(&flash_file, &flash).map_err(|e| format!("{}: {e}", flash_file.display()))?;

    let count = callgrind(&bins.bootloader, &flash_file, &dir.join("callgrind.out"))?;
    println!(
        "    boot of a {IMAGE_SIZE}-byte ECC256/SHA-256 image, nothing pending: {:.2} M instructions \
         (wolfBoot's sim: {:.2} M, ratio {:.2})",
        count as f64 / 1e6,
        WOLFBOOT_SIM_BOOT as f64 / 1e6,
        count as f64 / WOLFBOOT_SIM_BOOT as f64
    );
    Ok(())
}

/// Run `wolfboot-sim --no-exec` on `flash` under callgrind; the total count.
fn callgrind(bootloader: &Path, flash: &Path, out_file: &Path) -> Result<u64, String> {
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(bootloader)
        .arg("--flash")
        .arg(flash)
        .arg("--no-exec");
    println!("    $ {}", render(&cmd));
    let out = cmd.output().map_err(|e| format!("valgrind: {e}"))?;
    // The bootloader reports on stderr, beside valgrind's own lines.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = stderr
        .lines()
        .find(|l| l.starts_with("wolfboot-sim:"))
        .unwrap_or("");
    if !out.status.success() || !report.contains("action=none version=1") {
        return Err(format!(
            "the sim bootloader did not boot the bench image: {}",
            if report.is_empty() {
                stderr.trim()
            } else {
                report
            }
        ));
    }
    // "==PID== Collected : N"
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| "callgrind printed no instruction count".to_string())
}
