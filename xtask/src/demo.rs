//! `cargo xtask demo`: the whole update story on the sim board.

use std::path::{Path, PathBuf};

use wolfboot_board_sim::config::{BOOT_ADDRESS, UPDATE_ADDRESS};
use wolfboot_board_sim::harness::{Binaries, Device, Run};
use wolfboot_swap_state_machine::EncryptAlgorithm;

use crate::cli::BoardOptions;
use crate::util::{build_sim_binaries, cargo, render, root, run, target_dir};

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

    let mut rows = s.rows;
    rows.extend(encrypted_chapter(bins, &dir.join("encrypted"))?);
    rows.extend(delta_chapter(bins, &dir.join("delta"))?);

    println!(
        "\n{:<52} {:>7} {:>8} {:<24} flash erases/programs",
        "step", "booted", "state", "bootloader action"
    );
    println!("{}", "-".repeat(120));
    for r in &rows {
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

/// Whether any 16-byte block of `images` (not one repeated byte) appears in
/// UPDATE or SWAP of `flash`.
fn leaks_plaintext(flash: &[u8], images: &[Vec<u8>]) -> bool {
    let blocks: std::collections::HashSet<&[u8]> = images
        .iter()
        .flat_map(|i| i.chunks_exact(16))
        .filter(|b| b.iter().any(|x| *x != b[0]))
        .collect();
    flash
        .get(UPDATE_ADDRESS as usize..)
        .unwrap_or(&[])
        .chunks_exact(16)
        .any(|c| blocks.contains(c))
}

/// Encrypted updates (ChaCha20): the application stores the key, receives
/// the encrypted image; UPDATE and SWAP never hold plaintext.
fn encrypted_chapter(bins: &Binaries, dir: &Path) -> Result<Vec<Row>, String> {
    let alg = EncryptAlgorithm::ChaCha20;
    let dev = Device::new(dir, bins.clone())?.with_encryption(alg);
    println!(
        "\n=== encrypted updates ({alg}, wolfboot-sim --encrypt {})",
        alg.name()
    );
    println!("    $ {}", render(&dev.sign_command(1)));
    let v1 = dev.sign(1).map_err(|e| format!("step `sign v1`: {e}"))?;
    let v2 = dev.sign(2).map_err(|e| format!("step `sign v2`: {e}"))?;
    let enc2 = dev.deliverable(&v2);
    println!("    delivered: {}", enc2.display());
    dev.factory(&v1, None)?;
    let key = dev.encrypt_key(alg);
    let mut s = Story {
        dev,
        rows: Vec::new(),
    };
    s.boot(
        "[enc] v1 stores the key, stages encrypted v2",
        &["set_key", arg(&key)?, "success", "stage", arg(&enc2)?],
        1,
        "NONE",
    )?;
    s.boot(
        "[enc] reboot: decrypt, verify, swap; v2 confirms",
        &["get_version", "success"],
        2,
        "TESTING",
    )?;
    let flash = s.dev.read_flash()?;
    let plain = [
        std::fs::read(&v1).map_err(|e| e.to_string())?,
        std::fs::read(&v2).map_err(|e| e.to_string())?,
    ];
    if leaks_plaintext(&flash, &plain) {
        return Err("step `encrypted`: plaintext found in UPDATE or SWAP".into());
    }
    println!("    checked: no 16-byte block of v1 or v2 plaintext in UPDATE or SWAP");
    Ok(s.rows)
}

/// Delta updates: v2 shipped as a diff against v1, patched in place; the
/// inverse patch rolls it back.
fn delta_chapter(bins: &Binaries, dir: &Path) -> Result<Vec<Row>, String> {
    let dev = Device::new(dir, bins.clone())?;
    println!("\n=== delta updates (sign --delta, WOLFBOOT_SECTOR_SIZE=4096)");
    let v1 = dev.sign(1).map_err(|e| format!("step `sign v1`: {e}"))?;
    println!("    $ {}", render(&dev.sign_delta_command(2, &v1)));
    let diff = dev
        .sign_delta(2, &v1)
        .map_err(|e| format!("step `sign --delta`: {e}"))?;
    let full = std::fs::metadata(dir.join("sim-app_v2_signed.bin")).map_err(|e| e.to_string())?;
    let small = std::fs::metadata(&diff).map_err(|e| e.to_string())?;
    println!(
        "    v2: {} bytes as a full image, {} bytes as a delta image",
        full.len(),
        small.len()
    );
    dev.factory(&v1, None)?;
    let mut s = Story {
        dev,
        rows: Vec::new(),
    };
    s.boot(
        "[delta] v1 stages the diff image of v2",
        &["success", "stage", arg(&diff)?],
        1,
        "NONE",
    )?;
    s.boot(
        "[delta] reboot: patched in place, v2 never confirms",
        &["get_version"],
        2,
        "TESTING",
    )?;
    let r = s.boot(
        "[delta] reboot: inverse patch restores v1",
        &["get_version"],
        1,
        "SUCCESS",
    )?;
    if r.boot.as_ref().map(|b| b.action.as_str()) != Some("rolled-back") {
        return Err("step `delta rollback`: not rolled back".into());
    }
    let flash = s.dev.read_flash()?;
    let v1b = std::fs::read(&v1).map_err(|e| e.to_string())?;
    let at = BOOT_ADDRESS as usize;
    if flash.get(at..at + v1b.len()) != Some(&v1b[..]) {
        return Err("step `delta rollback`: BOOT is not v1 byte for byte".into());
    }
    println!("    checked: BOOT holds v1 byte for byte again");
    Ok(s.rows)
}

/// The sim device of `cargo xtask build|run --board sim [--encrypt ALG] [--delta]`:
/// v1 in the factory flash, v2 signed (encrypted, or as a delta image).
fn sim_device(o: &BoardOptions) -> Result<(Device, PathBuf, Option<PathBuf>), String> {
    o.only("sim", &["--encrypt", "--delta"])?;
    let bins = build_sim_binaries()?;
    let out = crate::util::target_dir().join("board-sim");
    let _ = std::fs::remove_dir_all(&out);
    let mut dev = Device::new(&out, bins)?;
    if let Some(alg) = o.cipher()? {
        dev = dev.with_encryption(alg);
    }
    let v1 = dev.sign(1)?;
    dev.factory(&v1, None)?;
    let update = if o.delta {
        Some(dev.sign_delta(2, &v1)?)
    } else if dev.encrypt.is_some() {
        Some(dev.deliverable(&dev.sign(2)?))
    } else {
        None
    };
    Ok((dev, v1, update))
}

/// `cargo xtask build --board sim [--encrypt ALG] [--delta]`.
pub fn build_sim(o: &BoardOptions) -> Result<(), String> {
    let (dev, v1, update) = sim_device(o)?;
    println!("sim board built:");
    println!("  bootloader:    {}", dev.bins.bootloader.display());
    println!("  test app:      {}", dev.bins.app.display());
    println!("  signed app v1: {}", v1.display());
    println!("  factory flash: {}", dev.flash.display());
    let enc = match dev.encrypt {
        Some(alg) => {
            let key = dev.encrypt_key(alg);
            println!("  cipher:        {alg} (key {})", key.display());
            format!(" --encrypt {}", alg.name())
        }
        None => String::new(),
    };
    if let Some(u) = &update {
        println!("  update v2:     {}", u.display());
    }
    println!(
        "run it: (cd {} && {}{enc} -- get_version get_state)",
        dev.dir.display(),
        dev.bins.bootloader.display()
    );
    Ok(())
}

/// `cargo xtask run --board sim [--encrypt ALG] [--delta]`: boot v1, stage v2
/// (encrypted or delta when asked), boot v2.
pub fn run_sim(o: &BoardOptions) -> Result<(), String> {
    let (dev, _v1, update) = sim_device(o)?;
    let mut first = vec!["get_version", "get_state"];
    let key = dev.encrypt.map(|alg| dev.encrypt_key(alg));
    if let Some(k) = &key {
        first.extend(["set_key", arg(k)?]);
    }
    if let Some(u) = &update {
        first.extend(["stage", arg(u)?]);
    }
    let r = dev.boot(&first)?;
    print!("{}{}", r.stderr, r.stdout);
    if update.is_some() {
        let r = dev.boot(&["get_version", "get_state"])?;
        print!("{}{}", r.stderr, r.stdout);
    }
    Ok(())
}

/// The sim board's programs built with its `pq` feature (hybrid ML-DSA-65 +
/// ECDSA P-384 keystore, 8 KiB headers), in their own target folder so that
/// the classic build's programs stay as they are.
pub fn build_sim_pq_binaries() -> Result<Binaries, String> {
    let dir = target_dir().join("sim-pq");
    run(
        "build sim bootloader and test app (post-quantum: --features pq)",
        cargo()
            .args([
                "build",
                "--profile",
                "sim",
                "-p",
                "wolfboot-board-sim",
                "--bins",
                "--features",
                "pq",
                "--target-dir",
            ])
            .arg(&dir),
    )?;
    run("build sign-cli", cargo().args(["build", "-p", "sign-cli"]))?;
    Ok(Binaries {
        bootloader: dir.join("sim/wolfboot-sim"),
        app: dir.join("sim/sim-app"),
        sign_cli: target_dir().join("debug/sign-cli"),
    })
}

/// The image with its hybrid secondary signature (field 0x22) overwritten
/// by padding: what an attacker who can forge only the ML-DSA half (or who
/// strips the ECDSA half) would ship.
fn strip_secondary_signature(image: &[u8]) -> Result<Vec<u8>, String> {
    use wolfboot_image_format::{wire::tlv, ImageHeader};
    let h = ImageHeader::parse(image, wolfboot_board_sim::config::PQ_HEADER_SIZE)
        .map_err(|e| format!("hybrid image: {e}"))?;
    let t = h
        .find_tlv(tlv::SECONDARY_SIGNATURE)
        .ok_or("hybrid image without a secondary signature")?;
    let mut out = image.to_vec();
    out[t.offset..t.offset + 4 + t.value.len()].fill(0xFF);
    Ok(out)
}

/// Post-quantum updates: hybrid ML-DSA-65 + ECDSA P-384 images (both
/// signatures over the same digest, both checked by the application's
/// `UpdateWriter` and by the bootloader); an image with its ECDSA half
/// stripped is refused by both.
pub fn pq_chapter(bins: &Binaries, dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    let dev = Device::new(dir, bins.clone())?.with_hybrid()?;
    println!(
        "
=== post-quantum updates (hybrid ML-DSA-65 + ECDSA P-384, 8 KiB headers)"
    );
    println!("    $ {}", render(&dev.sign_command(1)));
    let v1 = dev.sign(1).map_err(|e| format!("step `sign v1`: {e}"))?;
    let v2 = dev.sign(2).map_err(|e| format!("step `sign v2`: {e}"))?;
    let v3 = dev.sign(3).map_err(|e| format!("step `sign v3`: {e}"))?;
    // v4 signed with the ML-DSA key alone: a valid signature by a trusted
    // key, but not the hybrid the bootloader requires.
    let (ml_dsa, _) = dev.hybrid.clone().ok_or("hybrid keys missing")?;
    let mut sign4 = std::process::Command::new(&dev.bins.sign_cli);
    sign4
        .current_dir(dir)
        .env("ML_DSA_LEVEL", "3")
        .args(["--ml_dsa", "--sha256", "--header-size"])
        .arg(wolfboot_board_sim::config::PQ_HEADER_SIZE.to_string())
        .arg("sim-app.bin")
        .arg(&ml_dsa)
        .arg("4");
    println!("    $ {}", render(&sign4));
    let out = sign4.output().map_err(|e| format!("step `sign v4`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "step `sign v4`: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v4 = dir.join("sim-app_v4_signed.bin");
    let stripped = dir.join("sim-app_v3_stripped.bin");
    let bytes = std::fs::read(&v3).map_err(|e| e.to_string())?;
    std::fs::write(&stripped, strip_secondary_signature(&bytes)?).map_err(|e| e.to_string())?;
    println!(
        "    v3 with its ECDSA P-384 signature stripped -> {}",
        stripped.display()
    );
    dev.factory(&v1, None)?;
    let mut s = Story {
        dev,
        rows: Vec::new(),
    };
    s.boot(
        "[pq] boot hybrid v1",
        &["get_version", "get_state"],
        1,
        "NONE",
    )?;
    s.boot(
        "[pq] v1 stages hybrid v2 and triggers",
        &["stage", arg(&v2)?],
        1,
        "NONE",
    )?;
    s.boot(
        "[pq] reboot: both signatures verified, v2 confirms",
        &["get_version", "success"],
        2,
        "TESTING",
    )?;
    let r = s.boot(
        "[pq] stripped v3 offered: UpdateWriter refuses",
        &["stage", arg(&stripped)?],
        2,
        "SUCCESS",
    )?;
    if r.status == Some(0) || !r.stderr.contains("update refused") {
        return Err("step `[pq] stripped v3`: the application accepted it".into());
    }
    s.boot(
        "[pq] stripped v3 forced into UPDATE, triggered",
        &["stage-unchecked", arg(&stripped)?],
        2,
        "SUCCESS",
    )?;
    let r = s.boot(
        "[pq] reboot: bootloader refuses v3, v2 runs",
        &["get_version"],
        2,
        "SUCCESS",
    )?;
    if !r
        .boot
        .as_ref()
        .is_some_and(|b| b.action.starts_with("refused"))
    {
        return Err("step `[pq] refuse v3`: the bootloader did not refuse it".into());
    }
    s.boot(
        "[pq] ML-DSA-only v4 staged (valid, not hybrid)",
        &["stage", arg(&v4)?],
        2,
        "SUCCESS",
    )?;
    let r = s.boot(
        "[pq] reboot: hybrid required, v4 refused",
        &["get_version"],
        2,
        "SUCCESS",
    )?;
    if !r
        .boot
        .as_ref()
        .is_some_and(|b| b.action.starts_with("refused"))
    {
        return Err("step `[pq] refuse v4`: the bootloader accepted a single signature".into());
    }
    println!(
        "
{:<52} {:>7} {:>8} {:<24} flash erases/programs",
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
    println!(
        "
post-quantum chapter: ok (work folder {})",
        dir.display()
    );
    Ok(())
}

pub fn demo(ota: bool, pq_only: bool) -> Result<(), String> {
    if pq_only {
        // Only the post-quantum chapter.
        let pq = build_sim_pq_binaries()?;
        return pq_chapter(&pq, &root().join("target/demo-pq"));
    }
    let bins = build_sim_binaries()?;
    run_story(&bins, &root().join("target/demo"))?;
    let pq = build_sim_pq_binaries()?;
    pq_chapter(&pq, &root().join("target/demo-pq"))?;
    if ota {
        crate::ota::demo(&bins, &root().join("target/demo-ota"))?;
    }
    Ok(())
}
