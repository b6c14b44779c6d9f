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

use wolfboot_board_sim::config::{BOOT_ADDRESS, HEADER_SIZE, UPDATE_ADDRESS};
use wolfboot_board_sim::harness::{Binaries, Device, Run};

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
    d.flip_bit(BOOT_ADDRESS + HEADER_SIZE as u32 + 1000)
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
