//! Post-quantum and hybrid images through the command line: every wolfBoot
//! vector verifies with `verify --keystore --header-size`; tampering and
//! wrong keys are refused; `--lms` reproduces wolfBoot's image byte for
//! byte and never reuses a one-time leaf; `--ml_dsa` (alone and hybrid with
//! `--ecc384`) matches wolfBoot's header except the (randomized) signatures.

mod common;

use common::{run_err, run_in, run_ok, scratch};
use std::path::{Path, PathBuf};
use wolfboot_image_format::wire::tlv;
use wolfboot_image_format::ImageHeader;

const FOLDERS: [&str; 6] = [
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
    "lms-l1-h10-w8",
    "xmss-sha2_10_256",
    "hybrid-ml-dsa-65-ecc384",
];

fn vec_path(folder: &str, file: &str) -> PathBuf {
    wolfboot_test_vectors::path(&format!("pq/{folder}/{file}"))
}

fn header_size(folder: &str) -> String {
    std::fs::read_to_string(vec_path(folder, "header_size"))
        .unwrap()
        .trim()
        .to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn verify_accepts_every_pq_vector() {
    let dir = scratch("pq-verify");
    for folder in FOLDERS {
        let image = vec_path(folder, "image_v1_signed.bin");
        let ks = vec_path(folder, "keystore.der");
        let hs = header_size(folder);
        let out = run_ok(
            &dir,
            &[
                "verify",
                s(&image),
                "--keystore",
                s(&ks),
                "--header-size",
                &hs,
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(": OK (version 1"), "{folder}: {text}");
    }
}

#[test]
fn verify_refuses_tampering_and_wrong_keys() {
    let dir = scratch("pq-tamper");
    for folder in FOLDERS {
        let image = std::fs::read(vec_path(folder, "image_v1_signed.bin")).unwrap();
        let hs = header_size(folder);
        let n: usize = hs.parse().unwrap();
        let ks = vec_path(folder, "keystore.der");
        let h = ImageHeader::parse(&image, n).unwrap();
        let sig = h.find_tlv(tlv::SIGNATURE).unwrap();

        let mut payload = image.clone();
        payload[n + 10] ^= 1;
        let p = dir.join(format!("{folder}-payload.bin"));
        std::fs::write(&p, &payload).unwrap();
        let e = run_err(
            &dir,
            &["verify", s(&p), "--keystore", s(&ks), "--header-size", &hs],
        );
        assert!(e.contains("digest mismatch"), "{folder}: {e}");

        let mut signature = image.clone();
        signature[sig.offset + 4 + sig.value.len() / 2] ^= 1;
        let p = dir.join(format!("{folder}-sig.bin"));
        std::fs::write(&p, &signature).unwrap();
        let e = run_err(
            &dir,
            &["verify", s(&p), "--keystore", s(&ks), "--header-size", &hs],
        );
        assert!(e.contains("signature verification failed"), "{folder}: {e}");

        let other = if folder == "ml-dsa-44" {
            "ml-dsa-87"
        } else {
            "ml-dsa-44"
        };
        let wrong = vec_path(other, "keystore.der");
        let img = vec_path(folder, "image_v1_signed.bin");
        let e = run_err(
            &dir,
            &[
                "verify",
                s(&img),
                "--keystore",
                s(&wrong),
                "--header-size",
                &hs,
            ],
        );
        assert!(e.contains("matches no trusted key"), "{folder}: {e}");
    }
    // A hybrid image whose secondary signature is tampered.
    let folder = "hybrid-ml-dsa-65-ecc384";
    let mut image = std::fs::read(vec_path(folder, "image_v1_signed.bin")).unwrap();
    let h = ImageHeader::parse(&image, 8192).unwrap();
    let at = h.find_tlv(tlv::SECONDARY_SIGNATURE).unwrap().offset + 4;
    image[at] ^= 1;
    let p = dir.join("hybrid-secondary.bin");
    std::fs::write(&p, &image).unwrap();
    let ks = vec_path(folder, "keystore.der");
    let e = run_err(
        &dir,
        &[
            "verify",
            s(&p),
            "--keystore",
            s(&ks),
            "--header-size",
            "8192",
        ],
    );
    assert!(e.contains("secondary signature verification failed"), "{e}");
}

/// The payload of a vector image and its timestamp.
fn payload_of(folder: &str, dir: &Path) -> (PathBuf, u64) {
    let image = std::fs::read(vec_path(folder, "image_v1_signed.bin")).unwrap();
    let n: usize = header_size(folder).parse().unwrap();
    let h = ImageHeader::parse(&image, n).unwrap();
    let p = dir.join(format!("{folder}.bin"));
    std::fs::write(&p, &image[n..]).unwrap();
    (p, h.timestamp().unwrap().unwrap())
}

fn run_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(common::bin())
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn lms_signing_is_byte_identical_and_advances_the_leaf() {
    let dir = scratch("pq-lms");
    let folder = "lms-l1-h10-w8";
    let (payload, ts) = payload_of(folder, &dir);
    let theirs = std::fs::read(vec_path(folder, "image_v1_signed.bin")).unwrap();
    // wolfBoot signed v1 with leaf 1: a copy of its key, rewound to leaf 1.
    let mut key = std::fs::read(vec_path(folder, "wolfboot_signing_private_key.der")).unwrap();
    key[..8].copy_from_slice(&1u64.to_be_bytes());
    let key_path = dir.join("lms.der");
    std::fs::write(&key_path, &key).unwrap();
    let ts = ts.to_string();
    run_env(
        &dir,
        &[("IMAGE_HEADER_SIZE", "4096")],
        &[
            "--lms",
            "--sha256",
            "--timestamp",
            &ts,
            s(&payload),
            s(&key_path),
            "1",
        ],
    );
    let ours = std::fs::read(dir.join(format!("{folder}_v1_signed.bin"))).unwrap();
    assert!(ours == theirs, "LMS image differs from wolfBoot's");
    // The key file now names leaf 2, the rest unchanged.
    let after = std::fs::read(&key_path).unwrap();
    assert_eq!(after[..8], 2u64.to_be_bytes());
    assert_eq!(after[8..], key[8..]);

    // A key whose 1024 leaves are used is refused and left as it is.
    let mut spent = key.clone();
    spent[..8].copy_from_slice(&1024u64.to_be_bytes());
    std::fs::write(&key_path, &spent).unwrap();
    let e = run_err(&dir, &["--lms", s(&payload), s(&key_path), "3"]);
    assert!(e.contains("exhausted"), "{e}");
    assert_eq!(std::fs::read(&key_path).unwrap(), spent);
    assert!(!dir.join(format!("{folder}_v3_signed.bin")).exists());
}

#[test]
fn fresh_lms_keys_never_reuse_a_leaf() {
    let dir = scratch("pq-lms-fresh");
    let env = [("LMS_HEIGHT", "5"), ("LMS_WINTERNITZ", "4")];
    run_env(&dir, &env, &["keygen", "--lms", "-g", "lms.der"]);
    std::fs::write(dir.join("fw.bin"), b"firmware").unwrap();
    let mut leaves = Vec::new();
    for v in ["1", "2", "3"] {
        run_ok(&dir, &["--lms", "fw.bin", "lms.der", v]);
        let img = dir.join(format!("fw_v{v}_signed.bin"));
        run_ok(&dir, &["verify", s(&img), "--keystore", "keystore.der"]);
        let bytes = std::fs::read(&img).unwrap();
        let h = ImageHeader::parse_auto(&bytes).unwrap();
        leaves.push(u32::from_be_bytes(
            h.signature().unwrap()[4..8].try_into().unwrap(),
        ));
    }
    assert_eq!(leaves, [0, 1, 2]);
    // The last of the 32 leaves signs, then the key is exhausted.
    let mut key = std::fs::read(dir.join("lms.der")).unwrap();
    key[..8].copy_from_slice(&31u64.to_be_bytes());
    std::fs::write(dir.join("lms.der"), &key).unwrap();
    run_ok(&dir, &["--lms", "fw.bin", "lms.der", "4"]);
    run_ok(
        &dir,
        &["verify", "fw_v4_signed.bin", "--keystore", "keystore.der"],
    );
    let e = run_err(&dir, &["--lms", "fw.bin", "lms.der", "5"]);
    assert!(e.contains("exhausted"), "{e}");
    assert!(!dir.join("fw_v5_signed.bin").exists());
}

#[test]
fn ml_dsa_and_hybrid_match_wolfboot_but_for_the_signatures() {
    let dir = scratch("pq-mldsa");
    for (folder, level) in [("ml-dsa-87", "5"), ("hybrid-ml-dsa-65-ecc384", "3")] {
        let (payload, ts) = payload_of(folder, &dir);
        let hs = header_size(folder);
        let key = vec_path(folder, "wolfboot_signing_private_key.der");
        let ts = ts.to_string();
        let mut args = vec!["--ml_dsa", "--sha256"];
        let key2 = vec_path(folder, "wolfboot_signing_second_private_key.der");
        if folder.starts_with("hybrid") {
            args.push("--ecc384");
        }
        args.extend(["--timestamp", &ts, s(&payload), s(&key)]);
        if folder.starts_with("hybrid") {
            args.push(s(&key2));
        }
        args.push("1");
        run_env(
            &dir,
            &[("ML_DSA_LEVEL", level), ("IMAGE_HEADER_SIZE", &hs)],
            &args,
        );
        let ours = std::fs::read(dir.join(format!("{folder}_v1_signed.bin"))).unwrap();
        let theirs = std::fs::read(vec_path(folder, "image_v1_signed.bin")).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{folder}");
        let n: usize = hs.parse().unwrap();
        let (a, b) = (
            ImageHeader::parse(&ours, n).unwrap(),
            ImageHeader::parse(&theirs, n).unwrap(),
        );
        let mut masked = [ours.clone(), theirs.clone()];
        for (img, h) in masked.iter_mut().zip([&a, &b]) {
            for t in h.tlvs() {
                if t.tag == tlv::SIGNATURE || t.tag == tlv::SECONDARY_SIGNATURE {
                    img[t.offset + 4..t.offset + 4 + t.value.len()].fill(0);
                }
            }
        }
        assert!(
            masked[0] == masked[1],
            "{folder}: header or payload differs"
        );
        let ks = vec_path(folder, "keystore.der");
        let out = dir.join(format!("{folder}_v1_signed.bin"));
        run_ok(
            &dir,
            &[
                "verify",
                s(&out),
                "--keystore",
                s(&ks),
                "--header-size",
                &hs,
            ],
        );
    }
    // A level that contradicts the key file is refused.
    let (payload, _) = payload_of("ml-dsa-44", &dir);
    let key = vec_path("ml-dsa-44", "wolfboot_signing_private_key.der");
    let out = std::process::Command::new(common::bin())
        .args(["--ml_dsa", s(&payload), s(&key), "1"])
        .env("ML_DSA_LEVEL", "3")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ML_DSA_LEVEL=3"));
    // Hybrid needs both keys.
    let e = run_err(&dir, &["--ml_dsa", "--ecc384", s(&payload), s(&key), "1"]);
    assert!(e.contains("IMAGE KEY KEY2 VERSION"), "{e}");
    let _ = run_in;
}

#[test]
fn xmss_signing_is_byte_identical_and_advances_the_leaf() {
    let dir = scratch("pq-xmss");
    let folder = "xmss-sha2_10_256";
    let (payload, ts) = payload_of(folder, &dir);
    let theirs = std::fs::read(vec_path(folder, "image_v1_signed.bin")).unwrap();
    // wolfBoot signed v1 with leaf 1: a copy of its key, rewound to leaf 1.
    let mut key = std::fs::read(vec_path(folder, "wolfboot_signing_private_key.der")).unwrap();
    key[..4].copy_from_slice(&1u32.to_be_bytes());
    let key_path = dir.join("xmss.der");
    std::fs::write(&key_path, &key).unwrap();
    let ts = ts.to_string();
    run_env(
        &dir,
        &[("IMAGE_HEADER_SIZE", "8192")],
        &[
            "--xmss",
            "--sha256",
            "--timestamp",
            &ts,
            s(&payload),
            s(&key_path),
            "1",
        ],
    );
    let ours = std::fs::read(dir.join(format!("{folder}_v1_signed.bin"))).unwrap();
    assert!(ours == theirs, "XMSS image differs from wolfBoot's");
    let after = std::fs::read(&key_path).unwrap();
    assert_eq!(after[..4], 2u32.to_be_bytes());
    assert_eq!(after[4..], key[4..]);
    // An exhausted key is refused and left as it is.
    let mut spent = key.clone();
    spent[..4].copy_from_slice(&1024u32.to_be_bytes());
    std::fs::write(&key_path, &spent).unwrap();
    let e = run_err(&dir, &["--xmss", s(&payload), s(&key_path), "3"]);
    assert!(e.contains("exhausted"), "{e}");
    assert_eq!(std::fs::read(&key_path).unwrap(), spent);
}
