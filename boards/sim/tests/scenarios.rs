//! The sim board's stories, driving the real binaries (as wolfBoot's
//! `tools/scripts/sim-*.sh` do). The binaries are built small (they are
//! stored in flash), so `cargo xtask test` builds them and runs these tests
//! with `WOLFBOOT_SIM_BINS` / `WOLFBOOT_SIGN_CLI` set:
//!
//! ```text
//! cargo xtask test            # or, by hand:
//! cargo build --profile sim -p wolfboot-board-sim --bins && cargo build -p sign-cli
//! WOLFBOOT_SIM_BINS=target/sim WOLFBOOT_SIGN_CLI=target/debug/sign-cli \
//!   cargo test -p wolfboot-board-sim --features harness --test scenarios -- --ignored
//! ```

use std::path::PathBuf;
use std::time::Duration;

use wolfboot_board_sim::config::{self, BOOT_ADDRESS, CLASSIC_HEADER_SIZE, UPDATE_ADDRESS};
use wolfboot_board_sim::flash;
use wolfboot_board_sim::harness::{Binaries, Device, Run};
use wolfboot_hal_flash::PartitionId;
use wolfboot_libwolfboot::{PartitionState, WolfBoot};

fn device(name: &str) -> Device {
    let bins = Binaries::from_env()
        .expect("WOLFBOOT_SIM_BINS and WOLFBOOT_SIGN_CLI must be set: run `cargo xtask test`");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("sim-scenarios")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    Device::new(&dir, bins).unwrap()
}

/// A device with v1 in BOOT; returns it and the signed images v1..=v3.
fn factory(name: &str) -> (Device, Vec<PathBuf>) {
    let d = device(name);
    let images: Vec<PathBuf> = (1..=3).map(|v| d.sign(v).unwrap()).collect();
    d.factory(&images[0], None).unwrap();
    (d, images)
}

/// BOOT's image version and trailer state, read from the flash file as the
/// application reads them (`None` where absent or unreadable).
fn boot_partition_of(d: &Device) -> (Option<u32>, Option<PartitionState>) {
    let Ok(flash) = flash::open(&d.flash, None) else {
        return (None, None);
    };
    let mut lib: WolfBoot<_, CLASSIC_HEADER_SIZE> =
        WolfBoot::new(flash, config::app_config_for(None));
    (
        lib.current_firmware_version().ok().flatten(),
        lib.partition_state(PartitionId::Boot).ok().flatten(),
    )
}

fn arg(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn expect_boot(run: &Run, action: &str, version: u32, state: &str) {
    let b = run
        .boot
        .as_ref()
        .unwrap_or_else(|| panic!("no boot line: {}", run.stderr));
    assert_eq!(
        (b.action.as_str(), b.version, b.state.as_str()),
        (action, version, state),
        "{}",
        run.stderr
    );
}

#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn sunny_day_update_then_confirm() {
    let (d, img) = factory("sunny");
    let r = d.boot(&["get_version", "stage", arg(&img[1])]).unwrap();
    expect_boot(&r, "none", 1, "NONE");
    assert_eq!(r.first_line(), "1");
    assert!(r.stdout.contains("staged v2, triggered"), "{}", r.stderr);
    let r = d.boot(&["get_version", "get_state", "success"]).unwrap();
    expect_boot(&r, "installed", 2, "TESTING");
    assert_eq!(r.stdout, "2\nboot=TESTING update=NONE\n");
    let r = d.boot(&["get_version", "get_state"]).unwrap();
    expect_boot(&r, "none", 2, "SUCCESS");
    assert_eq!(r.stdout, "2\nboot=SUCCESS update=NONE\n");
    // The old image is kept in UPDATE as the backup.
    let flash = d.read_flash().unwrap();
    let v1 = std::fs::read(&img[0]).unwrap();
    let at = UPDATE_ADDRESS as usize;
    assert!(
        flash[at..at + v1.len()] == v1[..],
        "v1 is not the backup in UPDATE"
    );
}

#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn unconfirmed_update_is_rolled_back() {
    let (d, img) = factory("fallback");
    d.boot(&["stage", arg(&img[1])]).unwrap();
    let r = d.boot(&["get_version"]).unwrap();
    expect_boot(&r, "installed", 2, "TESTING");
    let r = d.boot(&["get_version", "get_state"]).unwrap();
    expect_boot(&r, "rolled-back", 1, "SUCCESS");
    assert_eq!(r.first_line(), "1");
    let flash = d.read_flash().unwrap();
    let v1 = std::fs::read(&img[0]).unwrap();
    let at = BOOT_ADDRESS as usize;
    assert!(
        flash[at..at + v1.len()] == v1[..],
        "rollback did not restore v1 exactly"
    );
}

#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn power_failure_during_the_swap_resumes() {
    let (d, img) = factory("powerfail");
    d.boot(&["stage", arg(&img[1])]).unwrap();
    let triggered = d.read_flash().unwrap();
    // Count the flash operations of the whole update once.
    let full = d.boot(&["get_version"]).unwrap();
    let b = full.boot.clone().unwrap();
    let total = b.erases + b.programs;
    assert!(total > 100, "update too small to be interesting: {b:?}");
    // Cut at a spread of points (every operation is covered by the in-memory
    // harness of swap-state-machine; here the real programs and file do it).
    let mut points: Vec<u64> = (0..12).chain((12..total).step_by(41)).collect();
    points.push(total - 1);
    let mut resumed = 0;
    for &k in &points {
        std::fs::write(&d.flash, &triggered).unwrap();
        let cut = d.boot_with_power_cut(k, &["get_version"]).unwrap();
        assert!(
            cut.power_failed(),
            "cut at {k} did not stop the run: {}",
            cut.stderr
        );
        // A second cut during the resume, then a clean boot.
        let again = d.boot_with_power_cut(7, &["get_version"]).unwrap();
        let r = if again.power_failed() {
            d.boot(&["get_version", "get_state"]).unwrap()
        } else {
            again
        };
        let boot = r
            .boot
            .as_ref()
            .unwrap_or_else(|| panic!("cut {k}: {}", r.stderr));
        assert_eq!(boot.version, 2, "cut {k}: {}", r.stderr);
        assert_eq!(boot.state, "TESTING", "cut {k}: {}", r.stderr);
        assert_eq!(r.first_line(), "2", "cut {k}");
        resumed += 1;
    }
    eprintln!(
        "sim power cuts: {resumed} cut points of {total} flash operations, each resumed to v2"
    );
    assert_eq!(resumed, points.len());
}

#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn killing_the_bootloader_at_random_instants_resumes() {
    let (d, img) = factory("sigkill");
    d.boot(&["stage", arg(&img[1])]).unwrap();
    // How long an uninterrupted update takes here: kills land inside it.
    let triggered = d.read_flash().unwrap();
    let started = std::time::Instant::now();
    let out = d.boot_no_exec().output().unwrap();
    let full = started.elapsed().as_micros().max(1000) as u32;
    assert!(String::from_utf8_lossy(&out.stderr).contains("action=installed"));
    std::fs::write(&d.flash, &triggered).unwrap();
    let mut seed = 0x9E37_79B9u32;
    let mut kills = 0;
    let mut finished = None;
    for _ in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let mut child = d
            .boot_no_exec()
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A quarter of the update at most, so several kills land before it completes.
        std::thread::sleep(Duration::from_micros(u64::from(seed % (full / 4).max(500))));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            // A kill can land after the last flash operation of the update
            // and before the process exits: then the swap is complete, and
            // the next boot would (rightly) treat v2 as booted unconfirmed.
            if boot_partition_of(&d) == (Some(2), Some(PartitionState::Testing)) {
                finished = Some("version=2 state=TESTING (completed before the kill)".into());
                break;
            }
            continue;
        }
        // It ran to the end on its own: the update is complete.
        let out = child.wait_with_output().unwrap();
        finished = Some(String::from_utf8_lossy(&out.stderr).into_owned());
        break;
    }
    let report = match finished {
        Some(stderr) => stderr,
        None => d.boot(&["get_version"]).unwrap().stderr,
    };
    assert!(kills > 0, "no run was killed mid-way");
    assert!(report.contains("version=2 state=TESTING"), "{report}");
    assert_eq!(
        boot_partition_of(&d),
        (Some(2), Some(PartitionState::Testing))
    );
    // The next boot (no confirmation) rolls back to v1, intact.
    let r = d.boot(&["get_version"]).unwrap();
    expect_boot(&r, "rolled-back", 1, "SUCCESS");
    let v1 = std::fs::read(&img[0]).unwrap();
    let flash = d.read_flash().unwrap();
    let at = BOOT_ADDRESS as usize;
    assert!(flash[at..at + v1.len()] == v1[..]);
    eprintln!("sim SIGKILL: {kills} kills at random instants, then the update completed");
}

#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn emergency_fallback_when_boot_is_corrupt() {
    let d = device("emergency");
    let v1 = d.sign(1).unwrap();
    let v2 = d.sign(2).unwrap();
    d.factory(&v1, Some(&v2)).unwrap();
    // Corrupt BOOT's payload: it no longer verifies.
    d.flip_bit(BOOT_ADDRESS + CLASSIC_HEADER_SIZE as u32 + 1000)
        .unwrap();
    let r = d.boot(&["get_version"]).unwrap();
    expect_boot(&r, "emergency-fallback", 2, "TESTING");
    assert_eq!(r.first_line(), "2");
}

#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn tampered_or_truncated_updates_are_refused_before_and_after_trigger() {
    let (d, img) = factory("tamper");
    let mut bad = std::fs::read(&img[1]).unwrap();
    let n = bad.len();
    bad[n - 100] ^= 0x40;
    let tampered = d.dir.join("tampered.bin");
    std::fs::write(&tampered, &bad).unwrap();
    let truncated = d.dir.join("truncated.bin");
    std::fs::write(&truncated, &std::fs::read(&img[1]).unwrap()[..n / 2]).unwrap();
    // UpdateWriter refuses both: nothing triggered.
    for f in [&tampered, &truncated] {
        let r = d.boot(&["stage", arg(f)]).unwrap();
        assert_ne!(r.status, Some(0), "staging {} was accepted", f.display());
        assert!(r.stderr.contains("update refused"), "{}", r.stderr);
        let r = d.boot(&["get_state"]).unwrap();
        expect_boot(&r, "none", 1, "NONE");
        assert!(!r.stdout.contains("update=UPDATING"), "{}", r.stdout);
    }
    // Written behind the library's back and triggered: the bootloader refuses.
    for f in [&tampered, &truncated] {
        d.boot(&["stage-unchecked", arg(f)]).unwrap();
        let r = d.boot(&["get_version"]).unwrap();
        let b = r.boot.clone().unwrap();
        assert!(b.action.starts_with("refused"), "{}", r.stderr);
        assert_eq!((b.version, r.first_line()), (1, "1"));
    }
    // A downgrade is refused by both too.
    let r = d.boot(&["stage", arg(&img[2])]).unwrap();
    assert_eq!(r.status, Some(0));
    let r = d.boot(&["success"]).unwrap();
    expect_boot(&r, "installed", 3, "TESTING");
    let r = d.boot(&["stage", arg(&img[1])]).unwrap();
    assert!(r.stderr.contains("not newer"), "{}", r.stderr);
    d.boot(&["stage-unchecked", arg(&img[1])]).unwrap();
    let r = d.boot(&["get_version"]).unwrap();
    let b = r.boot.clone().unwrap();
    assert!(b.action.starts_with("refused"), "{}", r.stderr);
    assert_eq!(b.version, 3);
}

/// Blocks of `images` (16 bytes, not one repeated byte) found in UPDATE or
/// SWAP of the flash file: plaintext that leaked.
fn plaintext_in_update_or_swap(flash: &[u8], images: &[&[u8]]) -> Option<usize> {
    use std::collections::HashSet;
    let blocks: HashSet<&[u8]> = images
        .iter()
        .flat_map(|i| i.chunks_exact(16))
        // Blocks of only 0x00 and 0xFF say nothing about the image, and the
        // trailer's own flags (erased and programmed bytes) form such blocks:
        // they would match image padding and read as a false leak.
        .filter(|b| b.iter().any(|x| *x != 0x00 && *x != 0xFF))
        .collect();
    let from = UPDATE_ADDRESS as usize;
    flash[from..]
        .chunks_exact(16)
        .position(|c| blocks.contains(c))
}

/// Encrypted updates with each cipher: the application stores the key,
/// stages wolfBoot-format `_signed_and_encrypted.bin`, the bootloader
/// installs it, rolls it back when unconfirmed; no plaintext in UPDATE or
/// SWAP at any point.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn encrypted_update_and_rollback_each_cipher() {
    use wolfboot_swap_state_machine::EncryptAlgorithm;
    for alg in EncryptAlgorithm::ALL {
        let d = device(&format!("encrypted-{}", alg.name())).with_encryption(alg);
        let v1 = d.sign(1).unwrap();
        let v2 = d.sign(2).unwrap();
        d.factory(&v1, None).unwrap();
        let plain: Vec<Vec<u8>> = [&v1, &v2]
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let refs: Vec<&[u8]> = plain.iter().map(|v| v.as_slice()).collect();
        let key = d.encrypt_key(alg);
        let enc2 = d.deliverable(&v2);
        let r = d
            .boot(&["set_key", arg(&key), "success", "stage", arg(&enc2)])
            .unwrap();
        assert!(
            r.stdout.contains("staged v2, triggered"),
            "{alg}: {}",
            r.stderr
        );
        let r = d.boot(&["get_version"]).unwrap();
        expect_boot(&r, "installed", 2, "TESTING");
        let flash = d.read_flash().unwrap();
        assert_eq!(
            plaintext_in_update_or_swap(&flash, &refs),
            None,
            "{alg}: plaintext after install"
        );
        // Not confirmed: rolled back, still no plaintext.
        let r = d.boot(&["get_version"]).unwrap();
        expect_boot(&r, "rolled-back", 1, "SUCCESS");
        let flash = d.read_flash().unwrap();
        assert_eq!(
            plaintext_in_update_or_swap(&flash, &refs),
            None,
            "{alg}: after rollback"
        );
        // The key survived both swaps: the same update installs again.
        let r = d.boot(&["stage", arg(&enc2)]).unwrap();
        assert!(r.stdout.contains("staged v2"), "{alg}: {}", r.stderr);
        let r = d.boot(&["success"]).unwrap();
        expect_boot(&r, "installed", 2, "TESTING");
    }
}

/// Power cuts at a spread of points of an encrypted install; a device
/// holding another key refuses the update and keeps running.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn encrypted_update_power_cuts_and_wrong_key() {
    use wolfboot_swap_state_machine::EncryptAlgorithm;
    let alg = EncryptAlgorithm::Aes256Ctr;
    let d = device("encrypted-cuts").with_encryption(alg);
    let v1 = d.sign(1).unwrap();
    let v2 = d.sign(2).unwrap();
    d.factory(&v1, None).unwrap();
    let key = d.encrypt_key(alg);
    d.boot(&[
        "set_key",
        arg(&key),
        "success",
        "stage",
        arg(&d.deliverable(&v2)),
    ])
    .unwrap();
    let triggered = d.read_flash().unwrap();
    let full = d.boot(&["get_version"]).unwrap();
    let b = full.boot.clone().unwrap();
    let total = b.erases + b.programs;
    let plain = [std::fs::read(&v1).unwrap(), std::fs::read(&v2).unwrap()];
    let refs: Vec<&[u8]> = plain.iter().map(|v| v.as_slice()).collect();
    let mut points: Vec<u64> = (0..total).step_by(37).collect();
    points.push(total - 1);
    for &k in &points {
        std::fs::write(&d.flash, &triggered).unwrap();
        let cut = d.boot_with_power_cut(k, &["get_version"]).unwrap();
        assert!(cut.power_failed(), "cut at {k}: {}", cut.stderr);
        let flash = d.read_flash().unwrap();
        assert_eq!(
            plaintext_in_update_or_swap(&flash, &refs),
            None,
            "cut at {k}"
        );
        let r = d.boot(&["get_version"]).unwrap();
        let boot = r
            .boot
            .as_ref()
            .unwrap_or_else(|| panic!("cut {k}: {}", r.stderr));
        assert_eq!(
            (boot.version, boot.state.as_str()),
            (2, "TESTING"),
            "cut {k}: {}",
            r.stderr
        );
    }
    eprintln!(
        "sim encrypted power cuts: {} cut points of {total} operations",
        points.len()
    );

    // Another key on the device: the encrypted image is not even an image.
    let w = device("encrypted-wrong-key").with_encryption(alg);
    let v1 = w.sign(1).unwrap();
    let v2 = w.sign(2).unwrap();
    w.factory(&v1, None).unwrap();
    let other = w.dir.join("other.key");
    let mut k = std::fs::read(&key).unwrap();
    k[5] ^= 0x80;
    std::fs::write(&other, k).unwrap();
    let r = w
        .boot(&[
            "set_key",
            arg(&other),
            "success",
            "stage",
            arg(&w.deliverable(&v2)),
        ])
        .unwrap();
    assert!(r.stderr.contains("update refused"), "{}", r.stderr);
    // Forced in without verification: the bootloader refuses it, v1 stays.
    let before = w.read_flash().unwrap();
    w.boot(&["stage-unchecked", arg(&w.deliverable(&v2))])
        .unwrap();
    let r = w.boot(&["get_version"]).unwrap();
    expect_boot(&r, "refused", 1, "SUCCESS");
    let after = w.read_flash().unwrap();
    let b = BOOT_ADDRESS as usize;
    assert!(
        before[b..b + 0x2000] == after[b..b + 0x2000],
        "BOOT was touched"
    );
}

/// Delta update: sign v2 as a diff against v1, stage the small diff image,
/// the bootloader patches BOOT in place; unconfirmed, the inverse patch
/// brings v1 back. Power cuts during the patch resume. A diff for another
/// base is refused. Encrypted diffs work the same.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn delta_update_rollback_power_cuts_and_wrong_base() {
    let d = device("delta");
    let v1 = d.sign(1).unwrap();
    let diff2 = d.sign_delta(2, &v1).unwrap();
    let v2 = d.dir.join("sim-app_v2_signed.bin");
    let full = std::fs::metadata(&v2).unwrap().len();
    let small = std::fs::metadata(&diff2).unwrap().len();
    eprintln!("sim delta: v2 is {full} bytes, its diff image {small} bytes");
    assert!(small * 10 < full, "diff of a version bump should be small");
    d.factory(&v1, None).unwrap();
    d.boot(&["success", "stage", arg(&diff2)]).unwrap();
    let triggered = d.read_flash().unwrap();
    let r = d.boot(&["get_version"]).unwrap();
    expect_boot(&r, "installed", 2, "TESTING");
    let b = r.boot.clone().unwrap();
    let flash = d.read_flash().unwrap();
    let v2b = std::fs::read(&v2).unwrap();
    let at = BOOT_ADDRESS as usize;
    assert!(
        flash[at..at + v2b.len()] == v2b[..],
        "BOOT is not v2 byte for byte"
    );
    // Not confirmed: the inverse patch restores v1 exactly.
    let r = d.boot(&["get_version"]).unwrap();
    expect_boot(&r, "rolled-back", 1, "SUCCESS");
    let flash = d.read_flash().unwrap();
    let v1b = std::fs::read(&v1).unwrap();
    assert!(
        flash[at..at + v1b.len()] == v1b[..],
        "BOOT is not v1 byte for byte"
    );

    // Cuts during the forward patch.
    let total = b.erases + b.programs;
    let mut points: Vec<u64> = (0..total).step_by(53).collect();
    points.push(total - 1);
    for &k in &points {
        std::fs::write(&d.flash, &triggered).unwrap();
        let cut = d.boot_with_power_cut(k, &["get_version"]).unwrap();
        assert!(cut.power_failed(), "cut at {k}: {}", cut.stderr);
        let r = d.boot(&["get_version"]).unwrap();
        let boot = r
            .boot
            .as_ref()
            .unwrap_or_else(|| panic!("cut {k}: {}", r.stderr));
        assert_eq!(
            (boot.version, boot.state.as_str()),
            (2, "TESTING"),
            "cut {k}: {}",
            r.stderr
        );
    }
    eprintln!(
        "sim delta power cuts: {} cut points of {total} operations",
        points.len()
    );

    // A diff made against v2, offered to a device running v1: refused.
    let w = device("delta-wrong-base");
    let v1 = w.sign(1).unwrap();
    let v2 = w.sign(2).unwrap();
    let diff3 = w.sign_delta(3, &v2).unwrap();
    w.factory(&v1, None).unwrap();
    w.boot(&["success", "stage", arg(&diff3)]).unwrap();
    let r = w.boot(&["get_version"]).unwrap();
    expect_boot(&r, "refused", 1, "SUCCESS");

    // Encrypted delta.
    let e = device("delta-encrypted")
        .with_encryption(wolfboot_swap_state_machine::EncryptAlgorithm::ChaCha20);
    let v1 = e.sign(1).unwrap();
    let diff2 = e.sign_delta(2, &v1).unwrap();
    e.factory(&v1, None).unwrap();
    let key = e.encrypt_key(wolfboot_swap_state_machine::EncryptAlgorithm::ChaCha20);
    e.boot(&["set_key", arg(&key), "success", "stage", arg(&diff2)])
        .unwrap();
    let r = e.boot(&["get_version"]).unwrap();
    expect_boot(&r, "installed", 2, "TESTING");
    let r = e.boot(&["get_version"]).unwrap();
    expect_boot(&r, "rolled-back", 1, "SUCCESS");
}
