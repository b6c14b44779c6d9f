//! wolfBoot-compatible image signing: wolfBoot's `sign` command line, plus
//! `keygen`, `inspect`, `verify` and `bench` subcommands.
//!
//! * [`args`]: the `sign` command line, flag for flag as wolfBoot spells it.
//! * [`keys`]: key files (wolfBoot raw, PKCS#8, SEC1, PKCS#1), key generation
//!   and the signature primitives.
//! * [`run`]: the `sign` command carried out (uses the modules below it).
//! * [`sign`]: header layout, digest, signature, output file names.
//! * [`delta`]: `--delta` diff images.
//! * [`encryption`]: `--encrypt` key files and encrypted images.
//! * [`inspect`]: header fields decoded.
//! * [`verify`]: verification with `wolfboot-verify`, the bootloader's code.
//! * [`keystore`]: `keystore.der` slots and the Rust `keystore.rs`.
//! * [`bench`]: signing speed.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod bench;
pub mod cli;
pub mod delta;
pub mod encryption;
pub mod error;
pub mod inspect;
pub mod keys;
pub mod keystore;
pub mod lms;
pub mod mldsa;
pub mod pq;
pub mod run;
pub mod sign;
pub mod verify;
pub mod xmss;

pub use cli::run;
pub use error::{Error, Result};

/// Entry point shared by the binaries.
pub fn main_entry() -> ! {
    std::process::exit(run(std::env::args_os()))
}
