//! Failures: tampered images are refused with distinct messages; bad command
//! lines and bad files give one error line and a non-zero exit, never a panic.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use wolfboot_test_vectors as tv;

fn signed_image(dir: &Path, flag: &str, kdir: &str) -> (PathBuf, PathBuf) {
    let out = dir.join(format!("{kdir}.bin"));
    let key = tv::path(&format!("keys/{kdir}/{kdir}.der"));
    run_ok(
        dir,
        &[
            flag,
            "-o",
            out.to_str().unwrap(),
            tv::path("payload_4096.bin").to_str().unwrap(),
            key.to_str().unwrap(),
            "12",
        ],
    );
    (out, tv::path(&format!("keys/{kdir}/{kdir}_pub.der")))
}

fn tampered(src: &Path, name: &str, at: usize) -> PathBuf {
    let mut bytes = std::fs::read(src).unwrap();
    bytes[at] ^= 0x01;
    let dst = src.with_file_name(name);
    std::fs::write(&dst, bytes).unwrap();
    dst
}

#[test]
fn tampering_is_detected_with_distinct_messages() {
    let dir = scratch("tamper");
    for (flag, kdir) in [
        ("--ecc256", "ecc256"),
        ("--ed25519", "ed25519"),
        ("--rsa2048", "rsa2048"),
        ("--ed448", "ed448"),
    ] {
        let (img, pubkey) = signed_image(&dir, flag, kdir);
        let bytes = std::fs::read(&img).unwrap();
        let hs = header_size(&bytes);
        let h = wolfboot_image_format::ImageHeader::parse_auto(&bytes).unwrap();
        let hint_at = h
            .find_tlv(wolfboot_image_format::wire::tlv::PUBKEY_HINT)
            .unwrap()
            .offset
            + 4;
        let version_at = h
            .find_tlv(wolfboot_image_format::wire::tlv::VERSION)
            .unwrap()
            .offset
            + 4;
        let (sig_at, _) = signature_range(&bytes).unwrap();
        let cases = [
            ("payload.bin", hs + 100, "digest mismatch"),
            ("header.bin", version_at, "digest mismatch"),
            ("signature.bin", sig_at + 5, "signature verification failed"),
            (
                "hint.bin",
                hint_at,
                "public key hint matches no trusted key",
            ),
        ];
        let key = pubkey.to_str().unwrap();
        let mut messages = Vec::new();
        for (name, at, expected) in cases {
            let bad = tampered(&img, &format!("{kdir}-{name}"), at);
            let line = run_err(&dir, &["verify", bad.to_str().unwrap(), "--pubkey", key]);
            assert!(line.contains(expected), "{kdir} {name}: {line}");
            let (ok, why) = python_check(&bad, Some(&pubkey), &[]);
            assert!(
                !ok,
                "independent checker accepts tampered {kdir} {name}: {why}"
            );
            messages.push(line);
        }
        // Payload and header changes are both digest mismatches; the others differ.
        assert_ne!(messages[0], messages[2]);
        assert_ne!(messages[2], messages[3]);
        assert_ne!(messages[0], messages[3]);
        // Wrong key.
        let other = tv::path("keys/ecc384/ecc384_pub.der");
        let line = run_err(
            &dir,
            &[
                "verify",
                img.to_str().unwrap(),
                "--pubkey",
                other.to_str().unwrap(),
            ],
        );
        assert!(line.contains("verification failed"), "{line}");
        // Wrong partition.
        let line = run_err(
            &dir,
            &[
                "verify",
                img.to_str().unwrap(),
                "--pubkey",
                key,
                "--id",
                "2",
            ],
        );
        assert!(line.contains("partition"), "{line}");
        run_ok(
            &dir,
            &[
                "verify",
                img.to_str().unwrap(),
                "--pubkey",
                key,
                "--id",
                "1",
            ],
        );
    }
}

#[test]
fn truncated_and_foreign_files_are_refused() {
    let dir = scratch("foreign");
    let (img, pubkey) = signed_image(&dir, "--ecc256", "ecc256");
    let bytes = std::fs::read(&img).unwrap();
    let key = pubkey.to_str().unwrap();
    let cut = dir.join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() - 1]).unwrap();
    let line = run_err(&dir, &["verify", cut.to_str().unwrap(), "--pubkey", key]);
    assert!(line.contains("shorter"), "{line}");
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, vec![0x42u8; 600]).unwrap();
    let line = run_err(&dir, &["verify", junk.to_str().unwrap(), "--pubkey", key]);
    assert!(line.contains("magic"), "{line}");
    let line = run_err(&dir, &["inspect", junk.to_str().unwrap()]);
    assert!(line.contains("magic"), "{line}");
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    run_err(&dir, &["inspect", empty.to_str().unwrap()]);
    run_err(&dir, &["verify", empty.to_str().unwrap(), "--pubkey", key]);
}

#[test]
fn bad_command_lines() {
    let dir = scratch("badargs");
    std::fs::copy(tv::path("payload_255.bin"), dir.join("fw.bin")).unwrap();
    std::fs::copy(tv::path("keys/ecc256/ecc256.der"), dir.join("k.der")).unwrap();
    std::fs::write(
        dir.join("garbage.der"),
        b"this is not a key at all, just some text",
    )
    .unwrap();
    std::fs::write(dir.join("empty.der"), b"").unwrap();
    let mut wrong_pub = std::fs::read(dir.join("k.der")).unwrap();
    wrong_pub[3] ^= 0xFF;
    std::fs::write(dir.join("mismatch.der"), wrong_pub).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&[], "missing arguments"),
        (&["--ecc256"], "missing arguments"),
        (
            &["--ecc256", "fw.bin", "k.der"],
            "expected IMAGE KEY VERSION",
        ),
        (
            &["--ecc256", "fw.bin", "k.der", "1", "extra"],
            "expected IMAGE KEY VERSION",
        ),
        (
            &["--ecc256", "fw.bin", "k.der", "v1"],
            "invalid firmware version",
        ),
        (
            &["--ecc256", "fw.bin", "k.der", "99999999999"],
            "invalid firmware version",
        ),
        (&["--frobnicate", "fw.bin", "k.der", "1"], "unknown option"),
        (&["--manual-sign", "fw.bin", "k.der", "1"], "not supported"),
        (
            &["--ecc256", "--ed25519", "fw.bin", "k.der", "1"],
            "only one signature algorithm",
        ),
        (
            &["--id", "16", "fw.bin", "k.der", "1"],
            "invalid partition id",
        ),
        (&["--id"], "--id needs"),
        (
            &["--custom-tlv", "0x20", "4", "1", "fw.bin", "k.der", "1"],
            "invalid custom tag",
        ),
        (
            &["--custom-tlv", "0x40", "3", "1", "fw.bin", "k.der", "1"],
            "invalid custom tag len",
        ),
        (
            &["--custom-tlv", "0x40", "1", "0x100", "fw.bin", "k.der", "1"],
            "does not fit",
        ),
        (
            &[
                "--custom-tlv-buffer",
                "0x40",
                "xyz1",
                "fw.bin",
                "k.der",
                "1",
            ],
            "hex",
        ),
        (&["--custom-tlv", "0x40", "4"], "needs"),
        (
            &["--ecc256", "missing.bin", "k.der", "1"],
            "cannot read missing.bin",
        ),
        (
            &["--ecc256", "fw.bin", "missing.der", "1"],
            "cannot read missing.der",
        ),
        (
            &["--ecc256", "fw.bin", "garbage.der", "1"],
            "not a recognized private key",
        ),
        (
            &["fw.bin", "garbage.der", "1"],
            "not a recognized private key",
        ),
        (&["--ecc256", "fw.bin", "empty.der", "1"], "empty file"),
        (
            &["--ecc256", "fw.bin", "mismatch.der", "1"],
            "does not match",
        ),
        (
            &["--ed25519", "fw.bin", "k.der", "1"],
            "ecc256 key, but --ed25519",
        ),
        (
            &["--rsa2048", "fw.bin", "k.der", "1"],
            "ecc256 key, but --rsa2048",
        ),
        (
            &[
                "--ecc256",
                "-o",
                "no/such/dir/out.bin",
                "fw.bin",
                "k.der",
                "1",
            ],
            "cannot write",
        ),
        (
            &["--ecc256", "--header-size", "300", "fw.bin", "k.der", "1"],
            "multiple of 256",
        ),
        (&["verify"], "required"),
        (&["verify", "fw.bin"], "--pubkey"),
        (
            &["verify", "fw.bin", "--pubkey", "garbage.der"],
            "not a recognized public key",
        ),
        (
            &["verify", "fw.bin", "--id", "99", "--pubkey", "k.der"],
            "99",
        ),
        (&["inspect"], "required"),
        (&["inspect", "missing.bin"], "cannot read"),
        (&["keygen", "-g", "x.der"], "key type"),
        (
            &["keygen", "--ecc256", "--ed25519", "-g", "x.der"],
            "cannot be used",
        ),
        (&["keygen", "--bogus"], "unexpected argument"),
    ];
    for (args, expected) in cases {
        let line = run_err(&dir, args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    // A RSA-4096 key where --rsa2048 was asked for.
    let k4096 = tv::path("keys/rsa4096/rsa4096.der");
    let line = run_err(&dir, &["--rsa2048", "fw.bin", k4096.to_str().unwrap(), "1"]);
    assert!(line.contains("rsa4096 key, but --rsa2048"), "{line}");
    assert!(!dir.join("fw_v1_signed.bin").exists());
}

#[test]
fn help_and_version() {
    let dir = scratch("help");
    for args in [&["--help"][..], &["-h"], &["help"], &["sign", "--help"]] {
        let out = run_ok(&dir, args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("--ecc256") && text.contains("--custom-tlv"),
            "{text}"
        );
    }
    for sub in ["keygen", "inspect", "verify", "bench"] {
        let out = run_ok(&dir, &[sub, "--help"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{sub}"
        );
    }
    let out = run_ok(&dir, &["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("sign-cli"));
}
