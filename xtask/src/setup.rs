//! What `cargo xtask test` needs beyond a Rust toolchain, installed when it
//! is missing: a fresh machine runs the README's test command as it is.
//!
//! Run as root, each missing piece is installed (Debian's packages with
//! `apt-get`, Python's `cryptography`, `unicorn` and `capstone` with pip,
//! the nightly toolchain with rustup, `cargo-fuzz` with `cargo install`);
//! otherwise the run stops with the one command to run first.

use std::process::{Command, Stdio};

use crate::util::run;

/// Debian packages for the firmware boards: a rustc that builds `core` for
/// any target with its library source, the bare-metal linker, QEMU (Arm and
/// AArch64), and llvm's objcopy/size/nm.
const DEBIAN_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld-22",
    "qemu-system-arm",
    "llvm",
    // P256-Cortex-M4's C part (ECC256 on the Cortex-M4 boards) and the
    // newlib headers it includes <string.h> from.
    "gcc-arm-none-eabi",
    "libnewlib-dev",
];

/// Install (as root) or name what is missing; `Ok` when all is there.
pub fn ensure_prerequisites() -> Result<(), String> {
    let root = is_root();
    let mut todo: Vec<String> = Vec::new();

    let missing = missing_debian_packages();
    if !missing.is_empty() {
        let list = missing.join(" ");
        if root {
            run(
                "install Debian packages",
                Command::new("apt-get").args(["update", "-qq"]),
            )?;
            run(
                "install Debian packages",
                Command::new("apt-get")
                    .args(["install", "-y", "-qq", "--no-install-recommends"])
                    .args(&missing)
                    .env("DEBIAN_FRONTEND", "noninteractive"),
            )?;
        } else {
            todo.push(format!(
                "sudo apt-get install -y --no-install-recommends {list}"
            ));
        }
    }

    // The independent signature checker of sign-cli's tests.
    if !succeeds(Command::new("python3").args(["-c", "import cryptography"])) {
        let mut pip = Command::new("python3");
        pip.args(["-m", "pip", "install", "--quiet", "cryptography"]);
        if !root {
            pip.arg("--user");
        }
        run("install Python's cryptography", &mut pip)?;
    }

    // The fault-injection campaign (tools/glitch): Unicorn and Capstone.
    if !succeeds(Command::new("python3").args(["-c", "import unicorn, capstone"])) {
        let mut pip = Command::new("python3");
        pip.args(["-m", "pip", "install", "--quiet", "unicorn", "capstone"]);
        if !root {
            pip.arg("--user");
        }
        run("install Python's unicorn and capstone", &mut pip)?;
    }

    // Fuzz smoke runs: cargo-fuzz on the nightly toolchain (rustup, no root).
    let has_nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.starts_with("nightly"))
        });
    if !has_nightly {
        run(
            "install the nightly toolchain (fuzzing)",
            Command::new("rustup").args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
            ]),
        )?;
    }
    if !succeeds(Command::new("cargo").args(["fuzz", "--version"])) {
        run(
            "install cargo-fuzz",
            Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]),
        )?;
    }

    if todo.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "missing prerequisites; run first: {}",
            todo.join(" && ")
        ))
    }
}

/// Packages of [`DEBIAN_PACKAGES`] not installed (none on a machine
/// without dpkg: there the firmware steps name what they miss themselves).
fn missing_debian_packages() -> Vec<&'static str> {
    if !succeeds(Command::new("dpkg-query").arg("--version")) {
        return Vec::new();
    }
    DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            let out = Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .stderr(Stdio::null())
                .output();
            !out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether `cmd` runs and exits 0 (its output discarded).
fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
