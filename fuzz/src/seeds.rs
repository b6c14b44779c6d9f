//! Seed inputs, generated when a target starts (nothing large is committed).
//!
//! A target calls [`write_from_env`] from its `init` block: when
//! `WOLFBOOT_FUZZ_SEEDS` names a folder (`cargo xtask fuzz` sets it to the
//! target's corpus folder), the seeds are written there before libFuzzer
//! reads the corpus. Seeds come from the catalogue of signed images, the
//! fixed keys, and wolfBoot's own vectors (the repository's `vectors/`,
//! or `$WOLFBOOT_VECTORS`) when present.

use std::path::{Path, PathBuf};

use crate::images::{catalogue, key_files};

/// Largest vector file used as a seed (libFuzzer sizes `-max_len` from the
/// corpus; a 70 KB seed would slow every target down).
const MAX_SEED: u64 = 8192;

/// The wolfBoot vectors folder, when present.
pub fn vectors_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("WOLFBOOT_VECTORS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("manifest.json").is_file())
}

/// Files under `dir` (recursively) whose name ends with one of `exts`, at
/// most [`MAX_SEED`] bytes, named by their relative path.
fn files(dir: &Path, exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.to_string_lossy().to_string();
            let small = e.metadata().is_ok_and(|m| m.len() <= MAX_SEED);
            if small && exts.iter().any(|x| name.ends_with(x)) {
                if let Ok(bytes) = std::fs::read(&p) {
                    let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy();
                    out.push((format!("vector-{}", rel.replace('/', "_")), bytes));
                }
            }
        }
    }
    out.sort();
    out
}

/// Deterministic filler inputs for the structure-aware targets.
fn noise() -> Vec<(String, Vec<u8>)> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..12)
        .map(|i| {
            let len = 16 + 40 * i;
            let bytes = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            (format!("noise-{i:02}"), bytes)
        })
        .collect()
}

/// The seeds of `target`.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let vectors = vectors_dir();
    let images = || {
        let mut v: Vec<(String, Vec<u8>)> = catalogue()
            .iter()
            .map(|e| (format!("image-{}", e.name), e.bytes.clone()))
            .collect();
        if let Some(d) = &vectors {
            v.extend(files(d, &[".bin"]));
        }
        v
    };
    match target {
        "header_parser" => images(),
        // Mode byte 0: the rest is an image verified as is.
        "verify_image" => {
            let mut v: Vec<_> = images()
                .into_iter()
                .map(|(n, b)| (n, [&[0u8][..], &b].concat()))
                .collect();
            v.extend(noise());
            v
        }
        // First byte: expected key kind (0 = any).
        "key_files" => {
            let mut v: Vec<(String, Vec<u8>)> = key_files()
                .into_iter()
                .map(|(n, b)| (format!("key-{n}"), b))
                .collect();
            if let Some(d) = &vectors {
                v.extend(files(&d.join("keys"), &[""]));
            }
            v.into_iter()
                .map(|(n, b)| (n, [&[0u8][..], &b].concat()))
                .collect()
        }
        // Byte 0: the vector; byte 1: what the rest replaces (0 signature,
        // 1 key, 2 digest). Seeds: each vector's own parts.
        "pq_signatures" => {
            let mut v = Vec::new();
            for (i, pv) in crate::pq::vectors().iter().enumerate() {
                for (mode, part) in [(0u8, &pv.signature), (1, &pv.key), (2, &pv.digest)] {
                    let bytes = [&[i as u8, mode][..], part].concat();
                    v.push((format!("{}-{mode}", pv.name), bytes));
                }
            }
            v
        }
        // Key files and keystores of the post-quantum vectors.
        "pq_keys" => {
            let mut v = Vec::new();
            if let Some(d) = &vectors {
                for (n, b) in files(&d.join("pq"), &[".der"]) {
                    v.push((n, b));
                }
            }
            // An RSA slot: its DER key is shorter than the fixed field it
            // is stored in (the verifier trims it), unlike every other type.
            let mut rsa = Vec::new();
            for word in [
                0u32,
                u32::from(wolfboot_image_format::wire::auth::RSA2048),
                0xFFFF_FFFF,
                wolfboot_image_format::wire::keystore_size::RSA2048 as u32,
            ] {
                rsa.extend_from_slice(&word.to_le_bytes());
            }
            rsa.extend_from_slice(&[0x30, 0x03, 0x02, 0x01, 0x01]);
            rsa.resize(16 + wolfboot_image_format::wire::keystore_size::RSA2048, 0);
            v.push(("rsa2048-slot".into(), rsa));
            v.extend(noise());
            v
        }
        // Byte 0 even: a key seed and a message, signed; odd: key,
        // signature and message as given (here a valid triple).
        "ed25519" => {
            use ed25519_dalek::Signer as _;
            let mut v = Vec::new();
            for (i, msg) in [&b""[..], b"boot", &[0x5a; 32][..]].iter().enumerate() {
                let seed = [i as u8 + 1; 32];
                v.push((format!("sign-{i}"), [&[0u8][..], &seed, msg].concat()));
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                let sig = key.sign(msg).to_bytes();
                let pubkey = key.verifying_key().to_bytes();
                v.push((
                    format!("raw-{i}"),
                    [&[1u8][..], &pubkey, &sig, msg].concat(),
                ));
            }
            v
        }
        // Byte 0 bit 0 clear: private key and digest, signed by RustCrypto;
        // bit 1 picks P-384, bit 2 a 32-byte digest.
        "ecdsa_nist" => {
            let mut v = Vec::new();
            for (i, mode) in [0u8, 2, 4, 6].iter().enumerate() {
                let mut b = vec![*mode];
                b.extend_from_slice(&[i as u8 + 1; 48]);
                b.extend_from_slice(&[0x5a; 48]);
                v.push((format!("sign-{i}"), b));
            }
            v
        }
        _ => noise(),
    }
}

/// Write the seeds of `target` into `$WOLFBOOT_FUZZ_SEEDS`, if set.
pub fn write_from_env(target: &str) {
    let Some(dir) = std::env::var_os("WOLFBOOT_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("seed folder {}: {e}", dir.display());
    }
    for (name, bytes) in seeds(target) {
        let path = dir.join(format!("seed-{name}"));
        if let Err(e) = std::fs::write(&path, bytes) {
            panic!("seed {}: {e}", path.display());
        }
    }
}
