//! What the QEMU boards' firmware builds share: finding a toolchain that can
//! build `core` for a bare-metal target (rustup's, or Debian's rustc-web with
//! `-Z build-std`, see `docs/toolchain.md`) and a cargo command that
//! inherits nothing from the outer cargo.

use std::path::Path;
use std::process::Command;

/// How firmware is built on this machine.
pub enum Toolchain {
    /// rustup with the board's target installed.
    Rustup,
    /// Debian's rustc-web/cargo-web + rust-web-src: `-Z build-std=core`
    /// (the firmware crates' `cargo fw` alias).
    BuildStd,
}

/// Whether `tool` is on `PATH` (or is an existing path).
pub fn which(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        || Path::new(tool).is_file()
}

fn rustup_target_installed(target: &str) -> bool {
    let out = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", target])
        .output();
    let Ok(out) = out else { return false };
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && std::fs::read_dir(dir)
            .map(|mut d| {
                d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore")))
            })
            .unwrap_or(false)
}

/// Check the board's `tools` (tool, Debian package) and pick the toolchain
/// for `target`; one clear line naming the package when one is missing.
pub fn toolchain(target: &str, tools: &[(&str, &str)]) -> Result<Toolchain, String> {
    for (tool, package) in tools {
        if !which(tool) {
            return Err(format!(
                "`{tool}` not found: install the Debian package `{package}`"
            ));
        }
    }
    if rustup_target_installed(target) && which("rust-lld") {
        return Ok(Toolchain::Rustup);
    }
    for (tool, package) in [
        ("/usr/bin/rustc", "rustc-web"),
        ("/usr/bin/cargo", "cargo-web"),
        (
            "/usr/lib/rustlib/src/rust/library/core/Cargo.toml",
            "rust-web-src",
        ),
        ("ld.lld-22", "lld-22"),
    ] {
        if !which(tool) {
            return Err(format!(
                "`{tool}` not found: install the Debian package `{package}` (or `rustup target add {target}`)"
            ));
        }
    }
    Ok(Toolchain::BuildStd)
}

/// `cargo build --release` of the firmware crate in `dir` for `target`,
/// with nothing inherited from the outer cargo that would change its flags
/// (`CARGO_TARGET_DIR` included: callers set their own if they want one).
pub fn cargo_build(tc: &Toolchain, target: &str, dir: &Path) -> Command {
    let mut c = match tc {
        Toolchain::Rustup => {
            let mut c = Command::new("cargo");
            c.args(["build", "--release", "--config"])
                .arg(format!("target.{target}.linker=\"rust-lld\""));
            c
        }
        Toolchain::BuildStd => {
            let mut c = Command::new("/usr/bin/cargo");
            c.arg("fw")
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1");
            c
        }
    };
    c.current_dir(dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "CARGO_MANIFEST_DIR",
    ] {
        c.env_remove(var);
    }
    c
}
