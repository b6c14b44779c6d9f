//! The commands, each a list of named steps.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Repository root (the workspace folder above `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
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

fn render(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    run("format check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(
        "clippy",
        cargo().args(["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"]),
    )?;
    run("unit and integration tests", cargo().args(["test", "--workspace", "--all-features"]))?;
    if !quick {
        run(
            "no_std build of the bootloader crates (default features)",
            cargo().args([
                "build",
                "-p",
                "wolfboot-image-format",
                "-p",
                "wolfboot-verify",
            ]),
        )?;
    }
    println!("xtask test: all steps passed");
    Ok(())
}

pub fn demo(_args: &[String]) -> Result<(), String> {
    Err("the sim board is not built yet".into())
}

pub fn build(_args: &[String]) -> Result<(), String> {
    Err("no boards yet".into())
}

pub fn bench(_args: &[String]) -> Result<(), String> {
    Err("no benchmarks yet".into())
}
