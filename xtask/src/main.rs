//! `cargo xtask <command>`: the project's chores in plain Rust.
//!
//! Every step prints the command it runs; a failing step stops the run with
//! the step named and a non-zero exit.

mod bench;
mod chips;
mod commands;
mod demo;
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

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--quick]         fmt check, clippy -D warnings, every test, sim scenarios, demo (what CI runs)
  demo [--ota|--pq]      the update story on the sim board: sign, boot, update, confirm, roll back,
                         refuse, then an encrypted update, a delta update with rollback and a
                         hybrid post-quantum update (--ota: then an update over HTTPS from a
                         loopback server; --pq: only the post-quantum chapter)
  serve [ota-server options]
                         development HTTPS update server for the sim board (examples/sim-ota)
  build --board NAME [--sign ALG] [--hash H] [--encrypt chacha|aes128|aes256] [--delta]
                         build bootloader, test app, signed image and factory image
                         (boards: sim, mps2-an385, mps2-an386, qemu-virt-aarch64); --encrypt: updates
                         encrypted with that cipher; --delta: v2 also as a delta image
  run --board NAME [--sign ALG] [--hash H] [--encrypt ALG] [--delta]
                         build, then boot (sim: v1 stages v2, reboot; QEMU boards: under QEMU;
                         mps2-an385 with --encrypt/--delta: v1 stores the key, stages v2, v2 runs)
  size --board mps2-an385|mps2-an386|qemu-virt-aarch64
                         bootloader text/data/bss per signature algorithm (SHA-256;
                         mps2: also ecc256 with each cipher and with delta; fails when
                         a build exceeds boards/mps2-an385/size-budget.toml)
  build|run|size --board microbit|nrf52840-dk|stm32f407-disco [--sign ecc256|ed25519|ecc384] [--hash sha256|sha384]
                         real chips: bootloader, test app, signed v1 and v2, factory.bin for probe-rs;
                         run: microbit under QEMU (NVMC model), v1 stages v2 and v2 runs;
                         size: the bootloader per signature algorithm
  build|run|size --board ast1030-evb [--encrypt chacha|aes256]
                         external SPI NOR (QEMU w25q256): BOOT internal, UPDATE and SWAP
                         encrypted on the SPI flash; run --e2e [--cut-stride N]: the
                         end-to-end test with power cuts (N = 1: every flash operation)
  bench                  verify and sign timings, flash operations per update, the sim
                         board's boot instruction count (callgrind)
  bench --board sim      only the sim board's boot instruction count
  bench --board mps2-an385|mps2-an386 [--sign ALG]
                         instructions the bootloader executes (QEMU -icount): hash and
                         verify of a 102,400-byte image, whole boot, install
  fuzz [--target T]... [--seconds N]
                         cargo-fuzz targets of fuzz/, seeded, N s each (default 60; test: 15)
  glitch --board mps2-an385 [--stride N] [--armored-only]
                         single-fault injection campaign (instruction skip, loads and compares
                         forced to 0 / all ones) on the real bootloader, without and with the
                         `armored` hardening: outcome table, size and instruction cost
  help                   this text";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "test" => commands::test(rest),
        "demo" => demo::demo(rest),
        "serve" => ota::serve(rest),
        "build" => commands::build(rest),
        "fuzz" => fuzz::fuzz(rest),
        "glitch" => glitch::glitch(rest),
        "bench" => commands::bench(rest),
        "run" => commands::run_board(rest),
        "size" => commands::size(rest),
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
