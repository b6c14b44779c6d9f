//! The commands that span boards (`test`, and `build`, `run`, `size`,
//! `bench` dispatched by `--board`), each a list of named steps. The
//! dispatcher: it calls the board modules, which use only `util`.

use std::path::Path;

use crate::util::{build_sign_cli, build_sim_binaries, cargo, run, target_dir};

pub fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
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

fn board_arg(args: &[String]) -> Result<String, String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--board" {
            return it
                .next()
                .cloned()
                .ok_or_else(|| "--board needs a name".to_string());
        }
        if let Some(b) = a.strip_prefix("--board=") {
            return Ok(b.to_string());
        }
    }
    Err("missing --board NAME (boards: sim, mps2-an385, mps2-an386, qemu-virt-aarch64)".into())
}

pub fn build(args: &[String]) -> Result<(), String> {
    let board = board_arg(args)?;
    match board.as_str() {
        "sim" => crate::demo::build_sim(args),
        "mps2-an385" | "mps2-an386" => {
            let sign_cli = build_sign_cli()?;
            crate::mps2::build(&mps2_board(&board)?, args, &sign_cli).map(|_| ())
        }
        "qemu-virt-aarch64" => crate::virt::build(args, &build_sign_cli()?).map(|_| ()),
        crate::spi::BOARD_NAME => crate::spi::build(args, &build_sign_cli()?).map(|_| ()),
        b if crate::chips::board(b).is_some() => {
            let b = crate::chips::board(b).ok_or("no board")?;
            crate::chips::build(b, args, &build_sign_cli()?).map(|_| ())
        }
        other => Err(format!(
            "unknown board `{other}` (boards: sim, mps2-an385, mps2-an386, qemu-virt-aarch64)"
        )),
    }
}

pub fn run_board(args: &[String]) -> Result<(), String> {
    match board_arg(args)?.as_str() {
        b @ ("mps2-an385" | "mps2-an386") => {
            crate::mps2::run_board(&mps2_board(b)?, args, &build_sign_cli()?)
        }
        "qemu-virt-aarch64" => crate::virt::run_board(args, &build_sign_cli()?),
        crate::spi::BOARD_NAME => crate::spi::run_board(args, &build_sign_cli()?),
        "sim" => crate::demo::run_sim(args),
        b if crate::chips::board(b).is_some() => {
            let b = crate::chips::board(b).ok_or("no board")?;
            crate::chips::run_board(b, args, &build_sign_cli()?)
        }
        other => Err(format!(
            "unknown board `{other}` (boards: sim, mps2-an385, mps2-an386, qemu-virt-aarch64)"
        )),
    }
}

pub fn size(args: &[String]) -> Result<(), String> {
    match board_arg(args)?.as_str() {
        b @ ("mps2-an385" | "mps2-an386") => {
            crate::mps2::size(&mps2_board(b)?, &build_sign_cli()?)
        }
        "qemu-virt-aarch64" => crate::virt::size(&build_sign_cli()?),
        crate::spi::BOARD_NAME => crate::spi::size(&build_sign_cli()?),
        b if crate::chips::board(b).is_some() => {
            let b = crate::chips::board(b).ok_or("no board")?;
            crate::chips::size(b, &build_sign_cli()?)
        }
        other => Err(format!(
            "size: board `{other}` is not a firmware board (boards: mps2-an385, mps2-an386, qemu-virt-aarch64)"
        )),
    }
}

fn mps2_board(name: &str) -> Result<crate::mps2::Board, String> {
    crate::mps2::board(name).ok_or_else(|| format!("unknown board `{name}`"))
}

pub fn bench(args: &[String]) -> Result<(), String> {
    if let Ok(b) = board_arg(args) {
        if b == "sim" {
            // The host bootloader's boot cost (xtask/src/simboot.rs).
            return crate::simboot::bench(&build_sim_binaries()?);
        }
        // On-chip instruction counts (xtask/src/bench.rs).
        return crate::bench::mps2(&mps2_board(&b)?, args, &build_sign_cli()?);
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
