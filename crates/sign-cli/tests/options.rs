//! The less common `sign` options: header size, header-only and digest-only
//! output, custom field files, certificate chain, bootloader updates,
//! unsigned images, and the `sign` binary name.

mod common;

use common::*;
use std::process::Command;
use wolfboot_test_vectors as tv;

fn key(kdir: &str) -> String {
    tv::path(&format!("keys/{kdir}/{kdir}.der"))
        .display()
        .to_string()
}

fn pubkey(kdir: &str) -> std::path::PathBuf {
    tv::path(&format!("keys/{kdir}/{kdir}_pub.der"))
}

#[test]
fn header_size_option_and_environment() {
    let dir = scratch("header-size");
    std::fs::copy(tv::path("payload_255.bin"), dir.join("fw.bin")).unwrap();
    run_ok(
        &dir,
        &[
            "--ecc256",
            "--header-size",
            "1024",
            "-o",
            "big.bin",
            "fw.bin",
            &key("ecc256"),
            "4",
        ],
    );
    let bytes = std::fs::read(dir.join("big.bin")).unwrap();
    assert_eq!(bytes.len(), 1024 + 255);
    run_ok(
        &dir,
        &[
            "verify",
            "big.bin",
            "--pubkey",
            pubkey("ecc256").to_str().unwrap(),
            "--header-size",
            "1024",
        ],
    );
    let (ok, line) = python_check(
        &dir.join("big.bin"),
        Some(&pubkey("ecc256")),
        &["--header-size", "1024"],
    );
    assert!(ok, "{line}");
    let out = run_ok(
        &dir,
        &["inspect", "--json", "--header-size", "1024", "big.bin"],
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["header_size"], 1024);
    assert_eq!(j["digest_ok"], true);
    // A smaller size than the key type needs is ignored, as wolfBoot does.
    run_ok(
        &dir,
        &[
            "--ed448",
            "--header-size",
            "256",
            "-o",
            "ed448.bin",
            "fw.bin",
            &key("ed448"),
            "4",
        ],
    );
    assert_eq!(
        std::fs::read(dir.join("ed448.bin")).unwrap().len(),
        512 + 255
    );

    let out = Command::new(bin())
        .args(["--ecc256", "-o", "env.bin", "fw.bin", &key("ecc256"), "4"])
        .current_dir(&dir)
        .env("IMAGE_HEADER_SIZE", "2048")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(dir.join("env.bin")).unwrap().len(),
        2048 + 255
    );
}

#[test]
fn header_only_and_digest_only() {
    let dir = scratch("partial-outputs");
    std::fs::copy(tv::path("payload_4096.bin"), dir.join("fw.bin")).unwrap();
    let common = ["--ed25519", "--sha384", "--timestamp", "77"];
    run_ok(
        &dir,
        &[&common[..], &["fw.bin", &key("ed25519"), "8"]].concat(),
    );
    run_ok(
        &dir,
        &[
            &common[..],
            &["--header-only", "fw.bin", &key("ed25519"), "8"],
        ]
        .concat(),
    );
    let pubk = pubkey("ed25519").display().to_string();
    run_ok(
        &dir,
        &[&common[..], &["--sha-only", "fw.bin", &pubk, "8"]].concat(),
    );
    let full = std::fs::read(dir.join("fw_v8_signed.bin")).unwrap();
    let header = std::fs::read(dir.join("fw_v8_header.bin")).unwrap();
    let digest = std::fs::read(dir.join("fw_v8_digest.bin")).unwrap();
    assert_eq!(header.len(), 256);
    assert_eq!(&full[..256], &header[..]);
    let h = wolfboot_image_format::ImageHeader::parse_auto(&full).unwrap();
    assert_eq!(h.digest().unwrap().value, &digest[..]);
}

#[test]
fn custom_file_cert_chain_and_bootloader_update() {
    let dir = scratch("custom-file");
    std::fs::copy(tv::path("payload_4096.bin"), dir.join("fw.bin")).unwrap();
    std::fs::write(dir.join("blob.bin"), [1u8, 2, 3, 4, 5]).unwrap();
    std::fs::write(dir.join("chain.pem"), vec![0x5Au8; 300]).unwrap();
    run_ok(
        &dir,
        &[
            "--ecc384",
            "--sha384",
            "--wolfboot-update",
            "--custom-tlv-file",
            "0x40",
            "blob.bin",
            "--custom-tlv",
            "0x41",
            "8",
            "18446744073709551615",
            "--cert-chain",
            "chain.pem",
            "fw.bin",
            &key("ecc384"),
            "3",
        ],
    );
    let img = dir.join("fw_v3_signed.bin");
    let p = pubkey("ecc384");
    run_ok(
        &dir,
        &[
            "verify",
            img.to_str().unwrap(),
            "--pubkey",
            p.to_str().unwrap(),
            "--id",
            "0",
        ],
    );
    let (ok, line) = python_check(&img, Some(&p), &["--expect-partition", "0"]);
    assert!(ok, "{line}");
    let out = run_ok(&dir, &["inspect", "--json", img.to_str().unwrap()]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tlvs = j["tlvs"].as_array().unwrap();
    let find = |tag: u64| tlvs.iter().find(|t| t["tag"] == tag).unwrap();
    assert_eq!(find(0x40)["hex"], "0102030405");
    assert_eq!(find(0x41)["value"]["le"], u64::MAX);
    assert_eq!(find(0x23)["length"], 300);
    // Custom values start 8-byte aligned, as wolfBoot lays them out.
    for t in [0x40u64, 0x41, 0x23] {
        assert_eq!((find(t)["offset"].as_u64().unwrap() + 4) % 8, 0);
    }
    assert_eq!(j["header_size"], 1024, "fields outgrow 512 bytes");
}

#[test]
fn unsigned_images() {
    let dir = scratch("nosign");
    std::fs::copy(tv::path("payload_1.bin"), dir.join("fw.bin")).unwrap();
    run_ok(&dir, &["--no-sign", "--sha3", "fw.bin", "11"]);
    let img = dir.join("fw_v11_signed.bin");
    let (ok, line) = python_check(&img, None, &[]);
    assert!(ok, "{line}");
    run_ok(&dir, &["verify", img.to_str().unwrap(), "--allow-unsigned"]);
    let line = run_err(
        &dir,
        &[
            "verify",
            img.to_str().unwrap(),
            "--pubkey",
            pubkey("ecc256").to_str().unwrap(),
        ],
    );
    assert!(
        line.contains("unsigned") || line.contains("verification failed"),
        "{line}"
    );
}

#[test]
fn sign_binary_name() {
    let dir = scratch("sign-bin");
    std::fs::copy(tv::path("payload_255.bin"), dir.join("firmware.bin")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sign"))
        .args([
            "--ed25519",
            "--sha256",
            "firmware.bin",
            &key("ed25519"),
            "2",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_valid_both(&dir.join("firmware_v2_signed.bin"), &pubkey("ed25519"), &[]);
}

#[test]
fn explicit_sign_subcommand_and_end_of_options() {
    let dir = scratch("sign-sub");
    std::fs::copy(tv::path("payload_255.bin"), dir.join("-weird.bin")).unwrap();
    run_ok(
        &dir,
        &[
            "sign",
            "--ecc521",
            "--sha256",
            "--",
            "-weird.bin",
            &key("ecc521"),
            "6",
        ],
    );
    assert_valid_both(&dir.join("-weird_v6_signed.bin"), &pubkey("ecc521"), &[]);
}
