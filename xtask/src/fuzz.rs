//! `cargo xtask fuzz [--target T]... [--seconds N]`: the cargo-fuzz targets
//! of `fuzz/`, each seeded and run for N seconds, one after the other.
//!
//! Targets are discovered with `cargo fuzz list` (the `[[bin]]` entries of
//! `fuzz/Cargo.toml`), so a target added there is run here and by
//! `cargo xtask test` without touching this file. Every target is built
//! once (`-O --debug-assertions`: arithmetic overflow is a crash; no
//! sanitizer, the crates under test forbid `unsafe`), then run with:
//!
//! * its corpus `fuzz/corpus/<target>` (kept between runs, ignored by git),
//!   seeded by the target itself at start (`WOLFBOOT_FUZZ_SEEDS`);
//! * the dictionary `fuzz/dict/<target>.dict`, or `fuzz/dict/tlv.dict`;
//! * a 10 s limit per input (a slower input is reported as a hang).
//!
//! libFuzzer's output goes to `target/fuzz-logs/<target>.log`; a summary
//! line per target (executions, speed, corpus growth) is printed. A crash
//! fails the step with the reproducer's path (`fuzz/artifacts/<target>/`).

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::{render, root, run};

/// Seconds per target in `cargo xtask test`.
pub const SMOKE_SECONDS: u64 = 15;
/// Seconds per target of `cargo xtask fuzz` without `--seconds`.
pub const DEFAULT_SECONDS: u64 = 60;

/// `cargo +nightly fuzz ...` from the repository root, with nothing of the
/// outer (stable) cargo's environment that would pin another toolchain.
fn cargo_fuzz() -> Command {
    let mut c = Command::new("cargo");
    c.arg("+nightly").arg("fuzz").current_dir(root());
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
    ] {
        c.env_remove(var);
    }
    c
}

/// Build options shared by `build` and `run` (same artifacts).
const BUILD_FLAGS: [&str; 4] = ["-O", "--debug-assertions", "--sanitizer", "none"];

/// The targets `cargo fuzz list` reports.
pub fn targets() -> Result<Vec<String>, String> {
    let out = cargo_fuzz()
        .arg("list")
        .output()
        .map_err(|e| format!("cannot run `cargo +nightly fuzz list`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo +nightly fuzz list` failed ({}): {}\n\
             cargo-fuzz and the nightly toolchain are needed: \
             `rustup toolchain install nightly`, `cargo install cargo-fuzz --locked`",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let list: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if list.is_empty() {
        return Err("`cargo fuzz list` found no target in fuzz/Cargo.toml".into());
    }
    Ok(list)
}

/// What libFuzzer reported for one run.
#[derive(Debug, Default)]
struct Stats {
    execs: u64,
    per_sec: u64,
    new_units: u64,
    peak_rss_mb: u64,
    corpus_files: usize,
}

fn stat(log: &str, key: &str) -> u64 {
    log.lines()
        .filter_map(|l| l.strip_prefix(key))
        .filter_map(|v| v.trim_start_matches(':').trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

fn run_one(target: &str, seconds: u64, seed: Option<u32>) -> Result<Stats, String> {
    let base = root();
    let corpus = base.join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)
        .map_err(|e| format!("corpus folder {}: {e}", corpus.display()))?;
    let dict = Some(base.join(format!("fuzz/dict/{target}.dict")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| base.join("fuzz/dict/tlv.dict"));
    let logs = crate_target_dir().join("fuzz-logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let log_path = logs.join(format!("{target}.log"));
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;

    let mut cmd = cargo_fuzz();
    cmd.args(["run", target])
        .arg(&corpus)
        .args(BUILD_FLAGS)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-dict={}", dict.display()))
        .args(["-timeout=10", "-print_final_stats=1"])
        .args(seed.map(|n| format!("-seed={n}")))
        .env("WOLFBOOT_FUZZ_SEEDS", &corpus)
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
    println!("==> fuzz {target} for {seconds} s: {}", render(&cmd));
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("fuzz {target} could not start: {e}"))?;
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let artifact = text
            .lines()
            .filter_map(|l| l.split("Test unit written to ").nth(1))
            .next_back()
            .unwrap_or("(none written)");
        return Err(format!(
            "fuzz target `{target}` failed ({status}) after {:.0} s\n{}\n\
             reproducer: {artifact}\nfull log: {}\n\
             replay: cargo +nightly fuzz run {target} {artifact} {}",
            started.elapsed().as_secs_f64(),
            tail.join("\n"),
            log_path.display(),
            BUILD_FLAGS.join(" ")
        ));
    }
    Ok(Stats {
        execs: stat(&text, "stat::number_of_executed_units"),
        per_sec: stat(&text, "stat::average_exec_per_sec"),
        new_units: stat(&text, "stat::new_units_added"),
        peak_rss_mb: stat(&text, "stat::peak_rss_mb"),
        corpus_files: std::fs::read_dir(&corpus).map_or(0, |d| d.count()),
    })
}

fn crate_target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Build every target, then run `which` (every target when empty) for
/// `seconds` each; print one summary line per target.
pub fn run_targets(which: &[String], seconds: u64, seed: Option<u32>) -> Result<(), String> {
    let all = targets()?;
    let chosen: Vec<String> = if which.is_empty() {
        all.clone()
    } else {
        for t in which {
            if !all.contains(t) {
                return Err(format!(
                    "unknown fuzz target `{t}` (targets: {})",
                    all.join(", ")
                ));
            }
        }
        which.to_vec()
    };
    run(
        "build fuzz targets",
        cargo_fuzz().arg("build").args(BUILD_FLAGS),
    )?;
    let mut lines = Vec::new();
    for t in &chosen {
        let s = run_one(t, seconds, seed)?;
        let line = format!(
            "  {t:<16} {:>12} execs {:>7}/s  {:>5} new units  corpus {:>5} files  peak {:>4} MB",
            s.execs, s.per_sec, s.new_units, s.corpus_files, s.peak_rss_mb
        );
        println!("    {}", line.trim_start());
        lines.push(line);
    }
    println!(
        "fuzz: {} target(s), {seconds} s each, no crash\n{}",
        chosen.len(),
        lines.join("\n")
    );
    Ok(())
}

/// The smoke run of `cargo xtask test`: every target, [`SMOKE_SECONDS`] each.
pub fn smoke() -> Result<(), String> {
    // A fixed libFuzzer seed: the smoke run is the same walk on every CI
    // machine (a regression gate); longer runs explore with random seeds.
    run_targets(&[], SMOKE_SECONDS, Some(1))
}

/// `cargo xtask fuzz [--target T]... [--seconds N]`: `targets` (all when
/// empty), `seconds` each, random seeds.
pub fn fuzz(targets: &[String], seconds: u64) -> Result<(), String> {
    run_targets(targets, seconds, None)
}
