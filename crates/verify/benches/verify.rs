//! Verification cost per algorithm for a 100 KB image, from wolfBoot's own
//! vectors: hash throughput per hash algorithm over 100 KB, plus the
//! signature check per algorithm, measured on the vector images.
//!
//! Run with `cargo bench -p wolfboot-verify` (plain `std::time::Instant`, no
//! harness). Output: CSV `alg,hash,hash_us,sig_us,total_us_per_100KB` and a
//! full-image check on each vector.

use std::hint::black_box;
use std::time::{Duration, Instant};

use wolfboot_image_format::ImageHeader;
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    verify_image_bytes, verify_signature, AuthType, HashAlgorithm, ImageHasher, KeySlot, Keystore,
    VerifyOptions, VerifyPolicy,
};

const IMAGE_LEN: usize = 100 * 1024;

/// Mean time of `f` over enough runs to fill about `budget`.
fn time<R>(budget: Duration, mut f: impl FnMut() -> R) -> Duration {
    // Warm up and calibrate.
    let start = Instant::now();
    black_box(f());
    let once = start.elapsed().max(Duration::from_nanos(1));
    let runs = (budget.as_nanos() / once.as_nanos()).clamp(3, 10_000) as u32;
    let start = Instant::now();
    for _ in 0..runs {
        black_box(f());
    }
    start.elapsed() / runs
}

fn key_type(dir: &str) -> AuthType {
    AuthType::from_name(dir).unwrap_or_else(|| panic!("unknown key folder {dir}"))
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300),
    );
    let data: Vec<u8> = (0..IMAGE_LEN as u32).map(|i| (i * 13 + 32) as u8).collect();

    let mut hash_us = Vec::new();
    for alg in HashAlgorithm::ALL {
        let t = time(budget, || {
            let mut h = ImageHasher::new(alg).expect("hash enabled");
            for chunk in data.chunks(256) {
                h.update(chunk);
            }
            h.finalize()
        });
        let mbps = IMAGE_LEN as f64 / t.as_secs_f64() / 1e6;
        eprintln!(
            "hash {alg:9} {:>9.1} µs / 100 KB ({mbps:.0} MB/s)",
            t.as_secs_f64() * 1e6
        );
        hash_us.push((alg, t.as_secs_f64() * 1e6));
    }

    println!("alg,hash,hash_us,sig_us,total_us_per_100KB");
    let mut full = Vec::new();
    for e in tv::entries() {
        if e.kind != "signed_image" || e.valid != Some(true) || e.cmd.is_none() {
            continue;
        }
        let Some(pubkey_file) = e.pubkey.as_deref() else {
            continue;
        };
        let is_matrix = e.file.contains("_sha")
            || e.file.starts_with("rsapss")
            || e.file.starts_with("rsa2048_digestinfo");
        if !is_matrix || e.file.starts_with("rsa2048_plain") {
            continue;
        }
        let image = tv::read(&e.file);
        let key = tv::read(pubkey_file);
        let dir = pubkey_file.split('/').nth(1).expect("keys/<alg>/");
        let header = ImageHeader::parse_auto(&image).expect("header");
        let auth = header.image_type().expect("type").auth().expect("auth");
        let field = header.digest().expect("digest");
        let sig = header.signature().expect("signature");
        let policy = VerifyPolicy::new();
        let t_sig = time(budget, || {
            verify_signature(auth, &key, field.algorithm, field.value, sig, &policy).expect("valid")
        });
        let h = hash_us
            .iter()
            .find(|(a, _)| *a == field.algorithm)
            .map_or(0.0, |(_, us)| *us);
        let sig_us = t_sig.as_secs_f64() * 1e6;
        let name = e.alg.as_deref().unwrap_or(auth.name());
        println!(
            "{name},{},{h:.1},{sig_us:.1},{:.1}",
            field.algorithm,
            h + sig_us
        );

        let slots = [KeySlot::new(0, key_type(dir), &key)];
        let ks = Keystore::new(&slots);
        let opts = VerifyOptions::new();
        let t_full = time(budget, || {
            verify_image_bytes(&image, &ks, &opts).expect("valid")
        });
        full.push((e.file.clone(), image.len(), t_full));
    }

    eprintln!("\nfull verify_image_bytes on the vectors (image size as signed):");
    for (file, len, t) in full {
        eprintln!("{file:40} {len:>7} B {:>9.1} µs", t.as_secs_f64() * 1e6);
    }
}
