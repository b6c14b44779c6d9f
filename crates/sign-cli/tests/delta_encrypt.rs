//! `--delta` and `--encrypt` against wolfBoot's own outputs: the patches we
//! make from wolfBoot's base and new images are wolfBoot's byte for byte,
//! our diff header is wolfBoot's but for the signature value, the images we
//! write verify (our verifier and the independent checker), and the
//! encrypted files decrypt to exactly the signed ones.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use wolfboot_encrypt::{Algorithm, Cipher};
use wolfboot_image_format::{AuthType, HashAlgorithm, ImageHeader};
use wolfboot_test_vectors as tv;

use sign_cli::delta::diff_payload;
use sign_cli::sign::{sign_payload, DeltaSpec, ImageSpec};

fn decrypt(alg: Algorithm, key_file: &str, bytes: &[u8]) -> Vec<u8> {
    let mut c = Cipher::from_key_file(alg, &tv::read(key_file)).unwrap();
    let mut v = bytes.to_vec();
    c.apply_keystream(0, &mut v);
    v
}

fn sign_with_sector(dir: &Path, sector: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env_remove("IMAGE_HEADER_SIZE");
    match sector {
        Some(s) => c.env("WOLFBOOT_SECTOR_SIZE", s),
        None => c.env_remove("WOLFBOOT_SECTOR_SIZE"),
    };
    c.output().unwrap()
}

#[test]
fn patches_of_wolfboot_images_are_wolfboots() {
    let base = tv::read("delta_base_v492_signed.bin");
    let new = tv::read("payload_delta_new_v503_signed.bin");
    let theirs = tv::read("payload_delta_new_v503_signed_diff.bin");
    let h = ImageHeader::parse_auto(&theirs).unwrap();
    let hs = h.header_size();
    let d = h.delta().unwrap().unwrap();
    let (payload, fwd, padded, inv) = diff_payload(&base, &new, 4096, false).unwrap();
    assert_eq!(fwd as u32, d.patch_len);
    assert_eq!(inv as u32, d.inverse_len);
    assert_eq!((padded + hs) as u32, d.inverse_offset);
    assert!(
        payload == theirs[hs..],
        "diff payload differs from wolfBoot's"
    );

    // The same fields and payload give wolfBoot's header, signature aside.
    let spec = ImageSpec {
        auth: AuthType::Ecc256,
        digest_info: false,
        hash: HashAlgorithm::Sha256,
        version: 503,
        timestamp: h.timestamp().unwrap(),
        partition_id: 1,
        custom_tlvs: &[],
        min_header_size: Some(hs),
        delta: Some(DeltaSpec {
            base_version: 492,
            patch_len: fwd as u32,
            inverse_offset: (padded + hs) as u32,
            inverse_len: inv as u32,
            base_hash: d.base_hash.unwrap().to_vec(),
        }),
    };
    let key = sign_cli::keys::load_private_key(&tv::path("keys/ecc256/ecc256.der"), None).unwrap();
    let ours = sign_payload(&spec, Some(&key), &payload).unwrap();
    let (sig_at, sig_len) = signature_range(&theirs).unwrap();
    assert_eq!(ours.header.len(), hs);
    assert_eq!(
        ours.header[..sig_at],
        theirs[..sig_at],
        "header before the signature"
    );
    assert_eq!(
        ours.header[sig_at + sig_len..],
        theirs[sig_at + sig_len..hs],
        "header after the signature"
    );
}

#[test]
fn delta_and_encrypt_from_the_command_line() {
    let dir = scratch("delta-encrypt");
    std::fs::copy(tv::path("payload_delta_new.bin"), dir.join("fw.bin")).unwrap();
    let base = tv::path("delta_base_v492_signed.bin");
    let key = tv::path("keys/ecc256/ecc256.der");
    let pubkey = tv::path("keys/ecc256/ecc256_pub.der");
    for (flag, alg, key_file) in [
        ("--chacha", Algorithm::ChaCha20, "enc_chacha.key"),
        ("--aes128", Algorithm::Aes128Ctr, "enc_aes128.key"),
        ("--aes256", Algorithm::Aes256Ctr, "enc_aes256.key"),
    ] {
        let enc_key = tv::path(key_file);
        let out = sign_with_sector(
            &dir,
            Some("4096"),
            &[
                "--ecc256",
                "--sha256",
                flag,
                "--encrypt",
                enc_key.to_str().unwrap(),
                "--delta",
                base.to_str().unwrap(),
                "fw.bin",
                key.to_str().unwrap(),
                "503",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let signed = std::fs::read(dir.join("fw_v503_signed.bin")).unwrap();
        let encrypted = std::fs::read(dir.join("fw_v503_signed_and_encrypted.bin")).unwrap();
        let diff = std::fs::read(dir.join("fw_v503_signed_diff.bin")).unwrap();
        let diff_enc = std::fs::read(dir.join("fw_v503_signed_diff_encrypted.bin")).unwrap();
        assert_eq!(header_size(&signed), 512, "{flag}: grown like wolfBoot's");
        assert_eq!(header_size(&diff), 512);
        let pad = alg.block_size() - 1;
        assert!(encrypted.len() >= signed.len() && encrypted.len() <= signed.len() + pad);
        assert_eq!(
            decrypt(alg, key_file, &encrypted)[..signed.len()],
            signed[..]
        );
        assert_ne!(encrypted[..signed.len()], signed[..]);
        assert_eq!(decrypt(alg, key_file, &diff_enc)[..diff.len()], diff[..]);
        assert_valid_both(
            &dir.join("fw_v503_signed.bin"),
            &pubkey,
            &["--header-size", "512"],
        );
        assert_valid_both(
            &dir.join("fw_v503_signed_diff.bin"),
            &pubkey,
            &["--header-size", "512"],
        );

        // The patches rebuild both images.
        let h = ImageHeader::parse_auto(&diff).unwrap();
        let d = h.delta().unwrap().unwrap();
        let fwd = &diff[512..512 + d.patch_len as usize];
        let io = d.inverse_offset as usize;
        assert_eq!(
            io % 64,
            0,
            "{flag}: forward patch padded to 64 when encrypting"
        );
        let inv = &diff[io..io + d.inverse_len as usize];
        let base_bytes = tv::read("delta_base_v492_signed.bin");
        assert_eq!(
            wolfboot_delta::apply(&base_bytes, fwd, 4096).unwrap(),
            signed
        );
        assert_eq!(
            wolfboot_delta::apply(&signed, inv, 4096).unwrap(),
            base_bytes
        );
    }
}

#[test]
fn delta_and_encrypt_errors_are_one_line() {
    let dir = scratch("delta-encrypt-errors");
    std::fs::copy(tv::path("payload_1.bin"), dir.join("fw.bin")).unwrap();
    std::fs::write(dir.join("short.key"), [7u8; 20]).unwrap();
    let base = tv::path("delta_base_v492_signed.bin");
    let key = tv::path("keys/ecc256/ecc256.der");
    let (b, k) = (base.to_str().unwrap(), key.to_str().unwrap());
    // No sector size for --delta.
    let out = sign_with_sector(&dir, None, &["--delta", b, "fw.bin", k, "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.lines().count() == 1, "{err}");
    assert!(err.contains("WOLFBOOT_SECTOR_SIZE"), "{err}");
    let out = sign_with_sector(&dir, Some("0x10000"), &["--delta", b, "fw.bin", k, "2"]);
    assert!(!out.status.success());
    // A base that is not a signed image.
    let line = run_err(&dir, &["--delta", "fw.bin", "fw.bin", k, "2"]);
    assert!(line.contains("delta base"), "{line}");
    // Key file too short, cipher without --encrypt.
    let line = run_err(
        &dir,
        &["--aes256", "--encrypt", "short.key", "fw.bin", k, "2"],
    );
    assert!(line.contains("48"), "{line}");
    run_err(&dir, &["--aes128", "fw.bin", k, "2"]);
}
