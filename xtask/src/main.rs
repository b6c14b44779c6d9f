//! `cargo xtask <command>`: the project's chores in plain Rust.
//!
//! Every step prints the command it runs; a failing step stops the run with
//! the step named and a non-zero exit.

mod demo;
mod mps2;
mod steps;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--quick]         fmt check, clippy -D warnings, every test, sim scenarios, demo (what CI runs)
  demo                   the update story on the sim board: sign, boot, update, confirm, roll back, refuse
  build --board NAME [--sign ALG] [--hash H]
                         build bootloader, test app, signed image and factory image
                         (boards: sim, mps2-an385)
  run --board mps2-an385 [--sign ALG] [--hash H]
                         build, then boot the firmware under QEMU
  size --board mps2-an385
                         bootloader text/data/bss per signature algorithm (SHA-256)
  bench                  verify and sign timings, flash operations per update
  help                   this text";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "test" => steps::test(rest),
        "demo" => demo::demo(rest),
        "build" => steps::build(rest),
        "bench" => steps::bench(rest),
        "run" => steps::run_board(rest),
        "size" => steps::size(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
