//! `cargo xtask demo`: the whole update story on the sim board.

use std::path::{Path, PathBuf};

use wolfboot_board_sim::config::UPDATE_ADDRESS;
use wolfboot_board_sim::harness::{Binaries, Device, Run};

use crate::steps::{build_sim_binaries, render, root};

struct Row {
    step: &'static str,
    version: u32,
    state: String,
    action: String,
    flash: String,
}

struct Story {
    dev: Device,
    rows: Vec<Row>,
}

impl Story {
    /// Power on with `args` for the application; check what booted.
    fn boot(
        &mut self,
        step: &'static str,
        args: &[&str],
        expect_version: u32,
        expect_state: &str,
    ) -> Result<Run, String> {
        println!("\n--- {step}");
        println!("    $ wolfboot-sim -- {}", args.join(" "));
        let run = self
            .dev
            .boot(args)
            .map_err(|e| format!("step `{step}`: {e}"))?;
        for line in run.stdout.lines() {
            println!("    app: {line}");
        }
        for line in run.stderr.lines() {
            println!("    {line}");
        }
        let b = run
            .boot
            .clone()
            .ok_or_else(|| format!("step `{step}`: the bootloader reported no decision"))?;
        if b.version != expect_version || b.state != expect_state {
            return Err(format!(
                "step `{step}`: booted v{} in {} (expected v{expect_version} in {expect_state})",
                b.version, b.state
            ));
        }
        let app = run.app_flash.clone().unwrap_or_default();
        self.rows.push(Row {
            step,
            version: b.version,
            state: b.state.clone(),
            action: b.action.clone(),
            flash: format!(
                "{}/{} + app {}/{}",
                b.erases, b.programs, app.erases, app.programs
            ),
        });
        Ok(run)
    }
}

fn arg(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}

/// Run the story in `dir` with already-built programs.
pub fn run_story(bins: &Binaries, dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    let dev = Device::new(dir, bins.clone())?;
    println!("--- sign v1..v4 with the example key (boards/sim/keys/ecc256.der)");
    let mut images: Vec<PathBuf> = Vec::new();
    for v in 1..=4 {
        println!("    $ {}", render(&dev.sign_command(v)));
        images.push(dev.sign(v).map_err(|e| format!("step `sign v{v}`: {e}"))?);
    }
    // v4 is tampered with after signing: one payload byte flipped.
    let mut v4 = std::fs::read(&images[3]).map_err(|e| e.to_string())?;
    let n = v4.len();
    v4[n / 2] ^= 0x20;
    let tampered = dir.join("sim-app_v4_tampered.bin");
    std::fs::write(&tampered, &v4).map_err(|e| e.to_string())?;
    println!(
        "    tampered v4: one payload byte flipped -> {}",
        tampered.display()
    );
    dev.factory(&images[0], None)
        .map_err(|e| format!("step `factory image`: {e}"))?;
    println!("--- factory flash: v1 in BOOT -> {}", dev.flash.display());

    let mut s = Story {
        dev,
        rows: Vec::new(),
    };
    let (v2, v3) = (arg(&images[1])?, arg(&images[2])?);
    s.boot("boot v1", &["get_version", "get_state"], 1, "NONE")?;
    let r = s.boot(
        "v1 stages v2 (UpdateWriter) and triggers",
        &["stage", v2],
        1,
        "NONE",
    )?;
    if !r.stdout.contains("staged v2") {
        return Err("step `stage v2`: the application did not stage v2".into());
    }
    s.boot(
        "reboot: verify + swap, v2 runs TESTING and confirms",
        &["get_version", "get_state", "success"],
        2,
        "TESTING",
    )?;
    s.boot(
        "reboot: v2 stays (SUCCESS)",
        &["get_version", "get_state"],
        2,
        "SUCCESS",
    )?;
    s.boot("v2 stages v3 and triggers", &["stage", v3], 2, "SUCCESS")?;
    s.boot(
        "reboot: v3 runs TESTING, never confirms",
        &["get_version"],
        3,
        "TESTING",
    )?;
    let r = s.boot(
        "reboot: v3 rolled back to v2",
        &["get_version", "get_state"],
        2,
        "SUCCESS",
    )?;
    if r.boot.as_ref().map(|b| b.action.as_str()) != Some("rolled-back") {
        return Err("step `rollback`: the bootloader did not roll back".into());
    }
    let t = arg(&tampered)?;
    let r = s.boot(
        "tampered v4 offered: UpdateWriter refuses it",
        &["stage", t],
        2,
        "SUCCESS",
    )?;
    if r.status == Some(0) || !r.stderr.contains("update refused") {
        return Err("step `tampered v4`: the application accepted a tampered image".into());
    }
    s.boot(
        "tampered v4 forced into UPDATE and triggered",
        &["stage-unchecked", t],
        2,
        "SUCCESS",
    )?;
    let r = s.boot(
        "reboot: bootloader refuses v4, v2 keeps running",
        &["get_version"],
        2,
        "SUCCESS",
    )?;
    if !r
        .boot
        .as_ref()
        .is_some_and(|b| b.action.starts_with("refused"))
    {
        return Err("step `refuse v4`: the bootloader did not refuse the tampered image".into());
    }
    let flash = s.dev.read_flash()?;
    let at = UPDATE_ADDRESS as usize;
    if flash.get(at..at + 4) != Some(b"WOLF") {
        return Err("step `refuse v4`: UPDATE lost its image".into());
    }

    println!(
        "\n{:<52} {:>7} {:>8} {:<24} flash erases/programs",
        "step", "booted", "state", "bootloader action"
    );
    println!("{}", "-".repeat(120));
    for r in &s.rows {
        println!(
            "{:<52} {:>7} {:>8} {:<24} {}",
            r.step,
            format!("v{}", r.version),
            r.state,
            r.action,
            r.flash
        );
    }
    println!("\ndemo: ok (work folder {})", dir.display());
    Ok(())
}

pub fn demo(_args: &[String]) -> Result<(), String> {
    let bins = build_sim_binaries()?;
    run_story(&bins, &root().join("target/demo"))
}
