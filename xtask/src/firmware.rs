//! What the QEMU boards' firmware builds share: finding a toolchain that can
//! build `core` for a bare-metal target (rustup's, or Debian's rustc-web with
//! `-Z build-std`, see `docs/toolchain.md`) and a cargo command that
//! inherits nothing from the outer cargo.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::util::root;

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
    // ARMv7E-M builds' ECC256 (P256-Cortex-M4) has a C part: the compiler
    // and the newlib headers it includes <string.h> from.
    let c_part: &[(&str, &str)] = if target.starts_with("thumbv7em") {
        &[
            ("arm-none-eabi-gcc", "gcc-arm-none-eabi"),
            ("/usr/include/newlib/string.h", "libnewlib-dev"),
        ]
    } else {
        &[]
    };
    for (tool, package) in tools.iter().chain(c_part) {
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

/// `cargo build --release` of the firmware crate in `dir` for `target`
/// (the `--target` included: [`target_spec`]), with nothing inherited from
/// the outer cargo that would change its flags (`CARGO_TARGET_DIR`
/// included: callers set their own if they want one).
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
    match stable_view(dir) {
        Some(seen) => {
            c.current_dir(&seen);
            c.arg("--manifest-path").arg(seen.join("Cargo.toml"));
        }
        None => {
            c.current_dir(dir);
        }
    }
    match tc {
        Toolchain::Rustup => c.args(["--target", target]),
        Toolchain::BuildStd => match target_spec(target) {
            Some(spec) => c.arg("-Zjson-target-spec").arg("--target").arg(spec),
            None => c.args(["--target", target]),
        },
    };
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

/// `text data bss` of a firmware ELF (llvm-size, Berkeley format), and how
/// many symbols name `panic` or `fmt` (none may be linked into a bootloader:
/// panics abort, and formatting machinery costs kilobytes).
pub fn elf_size(elf: &Path) -> Result<(Vec<u64>, usize), String> {
    let out = Command::new("llvm-size")
        .arg(elf)
        .output()
        .map_err(|e| format!("llvm-size: {e}"))?;
    if !out.status.success() {
        return Err(format!("llvm-size {} failed", elf.display()));
    }
    let nums: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .take(3)
        .filter_map(|n| n.parse().ok())
        .collect();
    if nums.len() != 3 {
        return Err(format!(
            "llvm-size {}: no text/data/bss line",
            elf.display()
        ));
    }
    // Demangled names: a mangled name also carries crate hashes, whose
    // letters can spell "fmt" (qemu-virt-aarch64's ed448 build did).
    let nm = Command::new("llvm-nm")
        .arg("-C")
        .arg(elf)
        .output()
        .map_err(|e| format!("llvm-nm: {e}"))?;
    let panic_symbols = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter(|l| is_panic_or_fmt(l))
        .count();
    Ok((nums, panic_symbols))
}

/// Whether a demangled symbol belongs to the panic or formatting machinery.
fn is_panic_or_fmt(symbol: &str) -> bool {
    [
        "core::fmt::",
        "core::panicking::",
        "panic_fmt",
        "rust_begin_unwind",
        "panic_bounds_check",
    ]
    .iter()
    .any(|m| symbol.contains(m))
}

/// [`elf_size`] of a bootloader: its `text data bss`, or an error naming
/// `label` when panic or formatting symbols are linked in.
pub fn bootloader_size(elf: &Path, label: &str) -> Result<Vec<u64>, String> {
    let (nums, panic_symbols) = elf_size(elf)?;
    if panic_symbols != 0 {
        return Err(format!(
            "{label}: {panic_symbols} panic/fmt symbols linked into the bootloader"
        ));
    }
    Ok(nums)
}

/// `cargo test --lib` of the firmware crate in `dir` (relative to the
/// checkout) on the host, in one target folder shared by every board: the
/// crypto and flash crates their tests use are compiled once, not per board.
pub fn host_unit_tests(label: &str, dir: &str) -> Result<(), String> {
    crate::util::run(
        label,
        Command::new("cargo")
            .current_dir(root().join(dir))
            .env("CARGO_TARGET_DIR", root().join("target/board-host-tests"))
            .args(["test", "--lib", "--target", "x86_64-unknown-linux-gnu"]),
    )
}

/// `target`'s built-in specification with frame pointers left to the
/// compiler, written to `target/specs/<target>.json` (seen through
/// [`STABLE_ROOT`]); `None` when the target does not force them, or the
/// file cannot be made (the build then uses the built-in target).
///
/// Rust's Thumb targets force a frame pointer in every function (r7, kept
/// so that a debugger can walk the stack past `noreturn` calls): r7 is
/// then never a free register and most functions set it up and restore it.
/// Left to the compiler, every Thumb bootloader is about 0.5 to 1.1 KB
/// smaller and its hot loops have one more register (numbers in
/// docs/benchmarks.md). A target given as a `.json` file needs
/// `-Zjson-target-spec` and `-Zbuild-std`, so only the [`Toolchain::BuildStd`]
/// builds use it; its file name keeps the target's name, so the output
/// folder (`target/<target>/release`), `[target.<target>]` configuration and
/// the `cc` crate's `CFLAGS_<target>` apply as before. Generated from the
/// rustc in use rather than committed: the specification format follows
/// the compiler.
pub fn target_spec(target: &str) -> Option<PathBuf> {
    /// Each target's answer, made once per process.
    type Made = (String, Option<PathBuf>);
    static SPECS: std::sync::Mutex<Vec<Made>> = std::sync::Mutex::new(Vec::new());
    let mut specs = SPECS.lock().ok()?;
    if let Some((_, made)) = specs.iter().find(|(t, _)| t == target) {
        return made.clone();
    }
    let made = write_target_spec(target).unwrap_or_else(|why| {
        // The build goes on with the built-in target: correct, but larger
        // than the size budgets allow. Say why.
        eprintln!("xtask: note: {target} built with forced frame pointers: {why}");
        None
    });
    specs.push((target.to_string(), made.clone()));
    made
}

fn write_target_spec(target: &str) -> Result<Option<PathBuf>, String> {
    let out = Command::new("/usr/bin/rustc")
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["-Zunstable-options", "--print", "target-spec-json"])
        .args(["--target", target])
        .output()
        .map_err(|e| format!("/usr/bin/rustc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustc --print target-spec-json failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let spec = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let forced = "\"frame-pointer\": \"always\"";
    if !spec.contains(forced) {
        return Ok(None);
    }
    let spec = spec.replace(forced, "\"frame-pointer\": \"may-omit\"");
    let dir = build_root().join("target").join("specs");
    let path = dir.join(format!("{target}.json"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(spec.as_str()) {
        // A fresh file renamed into place: cargo never sees half of one.
        let fresh = dir.join(format!("{target}.json.{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&fresh, &spec))
            .and_then(|()| std::fs::rename(&fresh, &path))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(Some(path))
}

/// The fixed path through which firmware builds see the checkout.
///
/// Cargo derives each path crate's `-C metadata` (and so every symbol's
/// crate hash) from its absolute path when the crate lies outside the
/// building workspace, as `crates/*` do for every firmware crate. Symbol
/// names decide the order of functions in the LTO output, and with it the
/// alignment padding around Thumb literal pools: the same commit built in
/// `/work/main` and in `/check/work/main` gave bootloaders 4 bytes apart,
/// enough to fail a size budget with no margin. Built through one fixed
/// path, the same sources give the same code wherever they are checked out.
pub const STABLE_ROOT: &str = "/tmp/wolfboot-rs";

/// `dir` (a folder of this checkout) seen through [`STABLE_ROOT`], which
/// now points at this checkout; `None` where that cannot be arranged (no
/// symlinks, `STABLE_ROOT` is not ours to replace, `dir` outside the
/// checkout): the build then runs from the real path, correct but with
/// sizes that may differ by a few bytes from other checkouts.
///
/// The first call takes an exclusive lock for the rest of this process, so
/// two checkouts building firmware at once take turns instead of
/// re-pointing the link under each other's builds.
fn stable_view(dir: &Path) -> Option<PathBuf> {
    static LINK: OnceLock<Option<(File, PathBuf)>> = OnceLock::new();
    let (_lock, checkout) = LINK.get_or_init(link_checkout).as_ref()?;
    let dir = dir.canonicalize().ok()?;
    let rel = dir.strip_prefix(checkout).ok()?;
    Some(Path::new(STABLE_ROOT).join(rel))
}

/// The checkout as firmware builds see it: [`STABLE_ROOT`] when it could be
/// pointed at this checkout, the real path otherwise. For scripts that run
/// cargo themselves (`WOLFBOOT_FW_ROOT` of the MPS2 harness).
pub fn build_root() -> PathBuf {
    let root = root();
    stable_view(&root).unwrap_or(root)
}

#[cfg(unix)]
fn link_checkout() -> Option<(File, PathBuf)> {
    let checkout = root().canonicalize().ok()?;
    let warn = |why: String| {
        eprintln!(
            "xtask: note: firmware builds from {} ({why}); sizes may differ by a few bytes from a build through {STABLE_ROOT}",
            checkout.display()
        );
    };
    let lock = match File::create(format!("{STABLE_ROOT}.lock")) {
        Ok(f) => f,
        Err(e) => {
            warn(format!("{STABLE_ROOT}.lock: {e}"));
            return None;
        }
    };
    if let Err(e) = lock.lock() {
        warn(format!("locking {STABLE_ROOT}.lock: {e}"));
        return None;
    }
    let link = Path::new(STABLE_ROOT);
    if std::fs::read_link(link).ok().as_deref() != Some(checkout.as_path()) {
        // Replace atomically: a fresh link renamed over the old one.
        let fresh = PathBuf::from(format!("{STABLE_ROOT}.{}", std::process::id()));
        let _ = std::fs::remove_file(&fresh);
        let made = std::os::unix::fs::symlink(&checkout, &fresh)
            .and_then(|()| std::fs::rename(&fresh, link));
        if let Err(e) = made {
            let _ = std::fs::remove_file(&fresh);
            warn(format!("cannot point {STABLE_ROOT} at it: {e}"));
            return None;
        }
    }
    Some((lock, checkout))
}

#[cfg(not(unix))]
fn link_checkout() -> Option<(File, PathBuf)> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn panic_and_fmt_symbols_are_told_from_crate_hashes() {
        use super::is_panic_or_fmt;
        assert!(is_panic_or_fmt("00001234 T core::panicking::panic_fmt"));
        assert!(is_panic_or_fmt(
            "00001234 t <u32 as core::fmt::Display>::fmt"
        ));
        assert!(is_panic_or_fmt("00001234 T rust_begin_unwind"));
        assert!(!is_panic_or_fmt(
            "00001234 t wolfboot_qemu_virt_aarch64::firmware::halt"
        ));
        assert!(!is_panic_or_fmt("00001234 t _RNvCsbhsmjLWqfMT_4main"));
    }
}
