//! What every xtask module uses: the repository root, cargo, and running a
//! named step. A leaf: it imports no other xtask module, so any module can
//! use it and the command modules above it never form a cycle.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use wolfboot_board_sim::harness::Binaries;

/// Repository root (the workspace folder holding `xtask/`), found at run
/// time: a checkout that was moved or copied after the xtask was built runs
/// its commands in its own folder, not in the one the binary was built in.
pub fn root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(find_root).clone()
}

fn find_root() -> PathBuf {
    let is_root = |d: &Path| d.join("xtask/Cargo.toml").is_file() && d.join("Cargo.toml").is_file();
    // `cargo xtask` (cargo run) names the xtask package's folder at run time.
    let from_cargo = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|d| d.parent().map(Path::to_path_buf));
    let from_cwd = std::env::current_dir().ok();
    let from_exe = std::env::current_exe().ok();
    for start in [from_cargo, from_cwd, from_exe].into_iter().flatten() {
        if let Some(d) = start.ancestors().find(|d| is_root(d)) {
            return d.to_path_buf();
        }
    }
    PathBuf::from(".")
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Run one named step; fail with its name.
pub fn run(step: &str, cmd: &mut Command) -> Result<(), String> {
    println!("==> {step}: {}", render(cmd));
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("step `{step}` could not start: {e}"))?;
    if !status.success() {
        return Err(format!("step `{step}` failed ({status})"));
    }
    println!("    {step}: ok ({:.1}s)", started.elapsed().as_secs_f64());
    Ok(())
}

pub fn render(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Build the sim board's programs (small, they live in flash) and sign-cli.
pub fn build_sim_binaries() -> Result<Binaries, String> {
    run(
        "build sim bootloader and test app",
        cargo().args([
            "build",
            "--profile",
            "sim",
            "-p",
            "wolfboot-board-sim",
            "--bins",
        ]),
    )?;
    run("build sign-cli", cargo().args(["build", "-p", "sign-cli"]))?;
    let t = target_dir();
    Ok(Binaries {
        bootloader: t.join("sim/wolfboot-sim"),
        app: t.join("sim/sim-app"),
        sign_cli: t.join("debug/sign-cli"),
    })
}

/// Build sign-cli (debug) and return its path.
pub fn build_sign_cli() -> Result<PathBuf, String> {
    run("build sign-cli", cargo().args(["build", "-p", "sign-cli"]))?;
    Ok(target_dir().join("debug/sign-cli"))
}
