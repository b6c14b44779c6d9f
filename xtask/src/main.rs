//! `cargo xtask <command>`: the project's chores in plain Rust.
//!
//! Every step prints the command it runs; a failing step stops the run with
//! the step named and a non-zero exit.

mod bench;
mod chip_cases;
mod chips;
mod cli;
mod commands;
mod demo;
mod ecdsa_check;
mod ed25519_check;
mod firmware;
mod fuzz;
mod glitch;
mod mps2;
mod ota;
mod setup;
mod simboot;
mod spi;
mod util;
mod virt;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Test { quick } => commands::test(quick),
        Command::Demo { ota, pq } => demo::demo(ota, pq),
        Command::Serve { listen, rest } => ota::serve(&listen, &rest),
        Command::Build(b) => commands::build(&b.board, &b.options),
        Command::Run(b) => commands::run_board(&b.board, &b.options),
        Command::Size { board } => commands::size(&board),
        Command::Bench { board, sign } => commands::bench(board.as_deref(), sign.as_deref()),
        Command::EcdsaCheck { board } => commands::ecdsa_check(&board),
        Command::Ed25519Check { board } => commands::ed25519_check(&board),
        Command::Fuzz { targets, seconds } => fuzz::fuzz(&targets, seconds),
        Command::Glitch {
            board,
            stride,
            armored_only,
        } => glitch::glitch(&board, stride, armored_only),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
