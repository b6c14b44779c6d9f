//! The command line, derived with clap: every command and option typed and
//! documented in one place (`cargo xtask help`, `cargo xtask help build`).

use clap::{Args, Parser, Subcommand};
use wolfboot_swap_state_machine::EncryptAlgorithm;

/// Project chores of wolfboot-rs: build, run, test, measure.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Format check, clippy -D warnings, every test, sim scenarios, QEMU
    /// end-to-end tests with power cuts, demo: what CI runs.
    Test {
        /// Fewer power cuts, no demo (a quick local check).
        #[arg(long)]
        quick: bool,
    },
    /// The update story on the sim board: sign, boot, update, confirm, roll
    /// back, refuse, then an encrypted update, a delta update with rollback
    /// and a hybrid post-quantum update.
    Demo {
        /// Then an update over HTTPS from a loopback server.
        #[arg(long)]
        ota: bool,
        /// Only the post-quantum chapter.
        #[arg(long, conflicts_with = "ota")]
        pq: bool,
    },
    /// Development HTTPS update server for the sim board (examples/sim-ota).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: String,
        /// Further options, passed to ota-server as they are.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
    /// Build bootloader, test app, signed images and factory image.
    ///
    /// Boards: sim, mps2-an385, mps2-an386, qemu-virt-aarch64, microbit,
    /// nrf52840-dk, stm32f407-disco, ast1030-evb.
    Build(BoardCommand),
    /// Build, then boot: sim (v1 stages v2, reboot), QEMU boards under QEMU
    /// (mps2 with --encrypt/--delta: v1 stores the key, stages v2, v2 runs;
    /// microbit: v1 stages v2 and v2 runs; ast1030-evb --e2e: the
    /// end-to-end test with power cuts).
    Run(BoardCommand),
    /// Bootloader text/data/bss per signature algorithm (SHA-256; mps2:
    /// also ECC256 with each cipher and with delta; fails when a build
    /// exceeds boards/mps2-an385/size-budget.toml).
    Size {
        /// mps2-an385, mps2-an386, qemu-virt-aarch64, microbit,
        /// nrf52840-dk, stm32f407-disco or ast1030-evb.
        #[arg(long)]
        board: String,
    },
    /// Without --board: verify and sign timings, flash operations per
    /// update, the sim board's boot instruction count (callgrind). With
    /// --board sim: only that; with an MPS2 board: instructions the
    /// bootloader executes under QEMU -icount (hash and verify of a
    /// 102,400-byte image, whole boot, install).
    Bench {
        /// sim, mps2-an385 or mps2-an386.
        #[arg(long)]
        board: Option<String>,
        /// MPS2: one signature algorithm instead of all.
        #[arg(long, value_name = "ALG")]
        sign: Option<String>,
    },
    /// The chip's ECDSA P-256 verdicts (wolfBoot's images, our signatures,
    /// edge cases) against RustCrypto's, under QEMU (part of `test`).
    EcdsaCheck {
        /// mps2-an385 or mps2-an386.
        #[arg(long)]
        board: String,
    },
    /// The chip's Ed25519: its field multiplication (assembly on the
    /// Cortex-M3 and M4) against the portable one, and its verdicts
    /// (wolfBoot's images, our signatures, edge cases) against
    /// ed25519-dalek's, under QEMU (part of `test`).
    Ed25519Check {
        /// mps2-an385 or mps2-an386.
        #[arg(long)]
        board: String,
    },
    /// The cargo-fuzz targets of fuzz/, seeded.
    Fuzz {
        /// Targets to run (repeat, or separate with commas); default: all.
        #[arg(long = "target", value_name = "T", value_delimiter = ',')]
        targets: Vec<String>,
        /// Seconds per target.
        #[arg(long, default_value_t = crate::fuzz::DEFAULT_SECONDS,
              value_parser = clap::value_parser!(u64).range(1..))]
        seconds: u64,
    },
    /// Single-fault injection campaign (instruction skip, loads and
    /// compares forced to 0 / all ones) on the real bootloader, without and
    /// with the `armored` hardening: outcome table, size and instruction cost.
    Glitch {
        /// The board the campaign runs on: mps2-an385.
        #[arg(long)]
        board: String,
        /// Inject at every N-th instruction of the trace.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        stride: u32,
        /// Only the hardened build.
        #[arg(long)]
        armored_only: bool,
    },
}

/// `--board NAME` and the options of `build` and `run`.
#[derive(Debug, Clone, Args)]
pub struct BoardCommand {
    /// The board.
    #[arg(long)]
    pub board: String,
    #[command(flatten)]
    pub options: BoardOptions,
}

/// What to build for a board; each board refuses what it does not offer.
#[derive(Debug, Clone, Default, Args)]
pub struct BoardOptions {
    /// Signature algorithm (default ecc256).
    #[arg(long, value_name = "ALG")]
    pub sign: Option<String>,
    /// Hash algorithm (default sha256).
    #[arg(long, value_name = "H")]
    pub hash: Option<String>,
    /// Updates encrypted with this cipher: chacha, aes128 or aes256.
    #[arg(long, value_name = "CIPHER")]
    pub encrypt: Option<String>,
    /// v2 also as a delta image.
    #[arg(long)]
    pub delta: bool,
    /// ast1030-evb: the QEMU SPI NOR model.
    #[arg(long, value_name = "MODEL")]
    pub flash: Option<String>,
    /// ast1030-evb run: the end-to-end test with power cuts.
    #[arg(long)]
    pub e2e: bool,
    /// ast1030-evb run --e2e: cut the power before every N-th flash
    /// operation (1: every one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub cut_stride: Option<u32>,
}

impl BoardOptions {
    /// The signature algorithm, `ecc256` unless asked otherwise.
    pub fn sign(&self) -> &str {
        self.sign.as_deref().unwrap_or("ecc256")
    }

    /// The hash algorithm, `sha256` unless asked otherwise.
    pub fn hash(&self) -> &str {
        self.hash.as_deref().unwrap_or("sha256")
    }

    /// The update cipher asked for, if any.
    pub fn cipher(&self) -> Result<Option<EncryptAlgorithm>, String> {
        self.encrypt
            .as_deref()
            .map(|name| {
                EncryptAlgorithm::from_name(name)
                    .ok_or_else(|| format!("--encrypt {name}: choose chacha, aes128 or aes256"))
            })
            .transpose()
    }

    /// Fail when an option outside `offered` (flag names) was given:
    /// `board` does not build or run what it asks for.
    pub fn only(&self, board: &str, offered: &[&str]) -> Result<(), String> {
        let given = [
            ("--sign", self.sign.is_some()),
            ("--hash", self.hash.is_some()),
            ("--encrypt", self.encrypt.is_some()),
            ("--delta", self.delta),
            ("--flash", self.flash.is_some()),
            ("--e2e", self.e2e),
            ("--cut-stride", self.cut_stride.is_some()),
        ];
        match given
            .iter()
            .find(|(flag, set)| *set && !offered.contains(flag))
        {
            Some((flag, _)) => Err(format!("{flag}: not offered on {board}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn board_options_parse_and_refuse_what_a_board_lacks() {
        let cli = Cli::try_parse_from([
            "xtask",
            "build",
            "--board",
            "mps2-an385",
            "--encrypt",
            "aes256",
            "--delta",
        ])
        .unwrap();
        let Command::Build(b) = cli.command else {
            panic!("not build")
        };
        assert_eq!(b.board, "mps2-an385");
        assert_eq!(b.options.sign(), "ecc256");
        assert_eq!(
            b.options.cipher().unwrap(),
            Some(EncryptAlgorithm::Aes256Ctr)
        );
        assert!(b
            .options
            .only("mps2-an385", &["--encrypt", "--delta"])
            .is_ok());
        assert_eq!(
            b.options.only("qemu-virt-aarch64", &["--sign", "--hash"]),
            Err("--encrypt: not offered on qemu-virt-aarch64".to_string())
        );
        let bad = BoardOptions {
            encrypt: Some("rot13".into()),
            ..BoardOptions::default()
        };
        assert!(bad.cipher().is_err());
        assert!(Cli::try_parse_from(["xtask", "build"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "glitch", "--board", "x", "--stride", "0"]).is_err());
    }

    #[test]
    fn fuzz_targets_repeat_or_split_on_commas() {
        let cli =
            Cli::try_parse_from(["xtask", "fuzz", "--target", "a,b", "--target", "c"]).unwrap();
        let Command::Fuzz { targets, seconds } = cli.command else {
            panic!("not fuzz")
        };
        assert_eq!(targets, ["a", "b", "c"]);
        assert_eq!(seconds, crate::fuzz::DEFAULT_SECONDS);
    }
}
