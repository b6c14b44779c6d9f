//! Test-only access to the images, keys and flash dumps made by wolfBoot's own
//! C tools, kept in the repository's `vectors/` folder (`manifest.json` and
//! the READMEs there say how each file was made); `$WOLFBOOT_VECTORS` points
//! elsewhere.
//!
//! Every test that uses this crate fails loudly when the vectors are missing,
//! unless `WOLFBOOT_VECTORS_OPTIONAL=1` is set: a silently skipped interop test
//! proves nothing.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One entry of `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// File name relative to the vectors folder.
    pub file: String,
    /// `private_key`, `public_key`, `keystore`, `payload`, `signed_image`,
    /// `encrypted_image`, `delta_image`.
    pub kind: String,
    /// Whether the image must verify (images only).
    pub valid: Option<bool>,
    /// Signature algorithm name as wolfBoot's `sign` flag spells it.
    pub alg: Option<String>,
    /// Hash algorithm: sha256, sha384, sha3.
    pub hash: Option<String>,
    /// Firmware version signed into the image.
    pub version: Option<u32>,
    /// Payload file the image was made from.
    pub payload: Option<String>,
    /// Public key the image verifies with (or fails with, for invalid entries).
    pub pubkey: Option<String>,
    /// Why an invalid image is invalid.
    pub reason: Option<String>,
    /// Command that made the file.
    pub cmd: Option<String>,
    /// Encryption key file.
    pub key_file: Option<String>,
    /// Delta base image.
    pub base: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    entries: Vec<Entry>,
}

/// The vectors folder, or `None` when absent and optional.
pub fn dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("WOLFBOOT_VECTORS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.join("manifest.json").is_file() {
            return Some(c);
        }
    }
    if std::env::var_os("WOLFBOOT_VECTORS_OPTIONAL").is_some() {
        eprintln!("wolfBoot vectors not found: skipped (WOLFBOOT_VECTORS_OPTIONAL)");
        return None;
    }
    panic!("wolfBoot vectors not found: expected vectors/manifest.json in the repository or $WOLFBOOT_VECTORS");
}

/// Every entry of the manifest (empty when the vectors are optional and absent).
pub fn entries() -> Vec<Entry> {
    let Some(d) = dir() else { return Vec::new() };
    let text = std::fs::read_to_string(d.join("manifest.json")).expect("read manifest.json");
    let m: Manifest = serde_json::from_str(&text).expect("parse manifest.json");
    m.entries
}

/// Read a vector file.
pub fn read(file: &str) -> Vec<u8> {
    let d = dir().expect("vectors present");
    std::fs::read(d.join(file)).unwrap_or_else(|e| panic!("read vector {file}: {e}"))
}

/// Path of a vector file.
pub fn path(file: &str) -> PathBuf {
    dir().expect("vectors present").join(file)
}
