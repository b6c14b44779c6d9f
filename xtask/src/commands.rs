//! The commands that span boards (`test`, and `build`, `run`, `size`,
//! `bench` dispatched by `--board`), each a list of named steps. The
//! dispatcher: it calls the board modules, which use only `util`.

use std::path::Path;

use crate::cli::BoardOptions;
use crate::util::{build_sign_cli, build_sim_binaries, cargo, run, target_dir};

pub fn test(quick: bool) -> Result<(), String> {
    crate::setup::ensure_prerequisites()?;
    run(
        "format check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "bootloader crates without std (default features)",
        cargo().args([
            "build",
            "-p",
            "wolfboot-image-format",
            "-p",
            "wolfboot-verify",
            "-p",
            "wolfboot-hal-flash",
            "-p",
            "wolfboot-swap-state-machine",
            "-p",
            "wolfboot-libwolfboot",
            "-p",
            "wolfboot-encrypt",
            "-p",
            "wolfboot-delta",
        ]),
    )?;
    run(
        "unit, integration and interop tests",
        cargo().args(["test", "--workspace", "--all-features"]),
    )?;
    // Every cargo-fuzz target for a short smoke run (see xtask/src/fuzz.rs).
    crate::fuzz::smoke()?;
    let bins = build_sim_binaries()?;
    run(
        "sim board scenarios (real binaries, power cuts, kills)",
        cargo()
            .args([
                "test",
                "-p",
                "wolfboot-board-sim",
                "--features",
                "harness",
                "--test",
                "scenarios",
                "--",
                "--ignored",
                "--test-threads",
                "2",
            ])
            .env(
                "WOLFBOOT_SIM_BINS",
                bins.bootloader.parent().unwrap_or(Path::new(".")),
            )
            .env("WOLFBOOT_SIGN_CLI", &bins.sign_cli),
    )?;
    crate::ota::test(&bins)?;
    crate::mps2::test(&bins.sign_cli, quick)?;
    crate::virt::test(&bins.sign_cli, quick)?;
    crate::chips::test(&bins.sign_cli, quick)?;
    crate::spi::test(&bins.sign_cli, quick)?;
    crate::glitch::test(&bins.sign_cli)?;
    if !quick {
        println!("==> demo");
        crate::demo::run_story(&bins, &target_dir().join("xtask-test-demo"))?;
        let pq = crate::demo::build_sim_pq_binaries()?;
        crate::demo::pq_chapter(&pq, &target_dir().join("xtask-test-demo-pq"))?;
    }
    println!("xtask test: all steps passed");
    Ok(())
}

/// The boards `--board` accepts, for error messages.
const BOARDS: &str = "sim, mps2-an385, mps2-an386, qemu-virt-aarch64, microbit, nrf52840-dk, \
                      stm32f407-disco, ast1030-evb";

/// `cargo xtask build --board NAME [options]`.
pub fn build(board: &str, o: &BoardOptions) -> Result<(), String> {
    match board {
        "sim" => crate::demo::build_sim(o),
        "mps2-an385" | "mps2-an386" => {
            crate::mps2::build(&mps2_board(board)?, o, &build_sign_cli()?).map(|_| ())
        }
        "qemu-virt-aarch64" => crate::virt::build(o, &build_sign_cli()?).map(|_| ()),
        crate::spi::BOARD_NAME => crate::spi::build(o, &build_sign_cli()?).map(|_| ()),
        b => match crate::chips::board(b) {
            Some(chip) => crate::chips::build(chip, o, &build_sign_cli()?).map(|_| ()),
            None => Err(format!("unknown board `{b}` (boards: {BOARDS})")),
        },
    }
}

/// `cargo xtask run --board NAME [options]`.
pub fn run_board(board: &str, o: &BoardOptions) -> Result<(), String> {
    match board {
        "sim" => crate::demo::run_sim(o),
        "mps2-an385" | "mps2-an386" => {
            crate::mps2::run_board(&mps2_board(board)?, o, &build_sign_cli()?)
        }
        "qemu-virt-aarch64" => crate::virt::run_board(o, &build_sign_cli()?),
        crate::spi::BOARD_NAME => crate::spi::run_board(o, &build_sign_cli()?),
        b => match crate::chips::board(b) {
            Some(chip) => crate::chips::run_board(chip, o, &build_sign_cli()?),
            None => Err(format!("unknown board `{b}` (boards: {BOARDS})")),
        },
    }
}

/// `cargo xtask size --board NAME`.
pub fn size(board: &str) -> Result<(), String> {
    match board {
        "mps2-an385" | "mps2-an386" => crate::mps2::size(&mps2_board(board)?, &build_sign_cli()?),
        "qemu-virt-aarch64" => crate::virt::size(&build_sign_cli()?),
        crate::spi::BOARD_NAME => crate::spi::size(&build_sign_cli()?),
        b => match crate::chips::board(b) {
            Some(chip) => crate::chips::size(chip, &build_sign_cli()?),
            None => Err(format!(
                "size: `{b}` is not a firmware board (boards: {})",
                BOARDS.trim_start_matches("sim, ")
            )),
        },
    }
}

/// `cargo xtask ecdsa-check --board mps2-an385|mps2-an386`.
pub fn ecdsa_check(board: &str) -> Result<(), String> {
    crate::mps2::ecdsa_check(&mps2_board(board)?, &build_sign_cli()?)
}

/// `cargo xtask ed25519-check --board mps2-an385|mps2-an386`.
pub fn ed25519_check(board: &str) -> Result<(), String> {
    crate::mps2::ed25519_check(&mps2_board(board)?, &build_sign_cli()?)
}

fn mps2_board(name: &str) -> Result<crate::mps2::Board, String> {
    crate::mps2::board(name).ok_or_else(|| format!("unknown board `{name}`"))
}

/// `cargo xtask bench [--board NAME [--sign ALG]]`.
pub fn bench(board: Option<&str>, sign: Option<&str>) -> Result<(), String> {
    if let Some(b) = board {
        if b == "sim" {
            // The host bootloader's boot cost (xtask/src/simboot.rs).
            return crate::simboot::bench(&build_sim_binaries()?);
        }
        // On-chip instruction counts (xtask/src/bench.rs).
        return crate::bench::mps2(&mps2_board(b)?, sign, &build_sign_cli()?);
    }
    run(
        "verify cost per algorithm (100 KB image)",
        cargo().args(["bench", "-p", "wolfboot-verify", "--bench", "verify"]),
    )?;
    run(
        "sign time per algorithm (1 MiB payload)",
        cargo().args([
            "run",
            "--release",
            "-p",
            "sign-cli",
            "--example",
            "bench_sign",
        ]),
    )?;
    run(
        "flash operations per update, confirm and rollback",
        cargo().args([
            "run",
            "--release",
            "-p",
            "wolfboot-swap-state-machine",
            "--features",
            "opcount",
            "--example",
            "opcount",
        ]),
    )?;
    let bins = build_sim_binaries()?;
    crate::simboot::bench(&bins)?;
    println!("==> sim board: flash operations of the demo story");
    crate::demo::run_story(&bins, &target_dir().join("xtask-bench-demo"))
}
