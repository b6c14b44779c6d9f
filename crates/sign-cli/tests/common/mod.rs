//! Helpers shared by the integration tests: run the built binary, run the
//! independent Python checker, scratch directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `sign-cli` binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sign-cli")
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sign-cli-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Run the binary with `args` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("IMAGE_HEADER_SIZE")
        .output()
        .expect("run sign-cli")
}

/// Run the binary and require success.
pub fn run_ok(cwd: &Path, args: &[&str]) -> Output {
    let out = run_in(cwd, args);
    assert!(
        out.status.success(),
        "sign-cli {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run the binary, require failure with exactly one `sign-cli: error:` line
/// on stderr and no panic; returns that line.
pub fn run_err(cwd: &Path, args: &[&str]) -> String {
    let out = run_in(cwd, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "sign-cli {args:?} should fail");
    assert!(!stderr.contains("panicked"), "panic for {args:?}: {stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "backtrace for {args:?}: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one stderr line for {args:?}, got: {stderr}"
    );
    assert!(
        lines[0].starts_with("sign-cli: error: "),
        "bad error line for {args:?}: {stderr}"
    );
    lines[0].to_string()
}

/// The independent checker script.
pub fn checker() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent_verify.py")
}

/// Run the independent Python checker; returns (valid, its output line).
pub fn python_check(image: &Path, pubkey: Option<&Path>, extra: &[&str]) -> (bool, String) {
    let key = pubkey.map_or_else(|| "-".to_string(), |p| p.display().to_string());
    let out = Command::new("python3")
        .arg(checker())
        .arg(image)
        .arg(key)
        .args(extra)
        .output()
        .expect("python3 must be installed to run the independent checker");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("Traceback"),
        "independent checker crashed on {}: {stderr}",
        image.display()
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

/// Require the image to verify with both our `verify` and the Python checker.
pub fn assert_valid_both(image: &Path, pubkey: &Path, extra: &[&str]) {
    let cwd = image.parent().unwrap_or(Path::new("."));
    let img = image.display().to_string();
    let key = pubkey.display().to_string();
    run_ok(cwd, &["verify", &img, "--pubkey", &key]);
    let (ok, line) = python_check(image, Some(pubkey), extra);
    assert!(ok, "independent checker rejects {img}: {line}");
}

/// The timestamp stored in an image (None when absent).
pub fn image_timestamp(bytes: &[u8]) -> Option<u64> {
    wolfboot_image_format::ImageHeader::parse_auto(bytes)
        .expect("parse header")
        .timestamp()
        .expect("timestamp field")
}

/// Header size of an image, as its signer sized it.
pub fn header_size(bytes: &[u8]) -> usize {
    wolfboot_image_format::ImageHeader::parse_auto(bytes)
        .expect("parse header")
        .header_size()
}

/// Offset and length of the signature value in an image header.
pub fn signature_range(bytes: &[u8]) -> Option<(usize, usize)> {
    let h = wolfboot_image_format::ImageHeader::parse_auto(bytes).expect("parse header");
    h.find_tlv(wolfboot_image_format::wire::tlv::SIGNATURE)
        .map(|t| (t.offset + 4, t.value.len()))
}
