//! The Rust keystore that `keygen` writes compiles against wolfboot-verify
//! and verifies wolfBoot's images.

mod common;

use common::*;
use wolfboot_test_vectors as tv;

mod keys {
    include!("fixtures/keystore_vectors.rs");
}

const IMPORTS: [&str; 8] = [
    "keys/ed25519/ed25519_pub.der",
    "keys/ed448/ed448_pub.der",
    "keys/ecc256/ecc256_pub.der",
    "keys/ecc384/ecc384_pub.der",
    "keys/ecc521/ecc521_pub.der",
    "keys/rsa2048/rsa2048_pub.der",
    "keys/rsa3072/rsa3072_pub.der",
    "keys/rsa4096/rsa4096_pub.der",
];

#[test]
fn generated_source_is_the_fixture() {
    let dir = scratch("keystore-rs");
    let rs = dir.join("keystore.rs");
    let der = dir.join("keystore.der");
    let mut args = vec!["keygen".to_string()];
    for f in IMPORTS {
        args.push("-i".into());
        args.push(f.into());
    }
    args.extend(["--keystore-der".into(), der.display().to_string()]);
    args.extend(["--keystore-rs".into(), rs.display().to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    run_ok(&tv::dir().unwrap(), &argv);
    let fixture = include_str!("fixtures/keystore_vectors.rs");
    assert_eq!(std::fs::read_to_string(&rs).unwrap(), fixture);
    // The binary keystore holds the same slots, in order.
    let bin = std::fs::read(&der).unwrap();
    let slots: Vec<_> = wolfboot_verify::parse_keystore(&bin)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(slots.len(), keys::KEYSTORE_NUM_PUBKEYS);
    for (a, b) in slots.iter().zip(keys::KEYSTORE_SLOTS.iter()) {
        assert_eq!(a, b);
    }
}

#[test]
fn included_keystore_verifies_wolfboot_images() {
    let opts = wolfboot_verify::VerifyOptions::new();
    let mut n = 0;
    for e in tv::entries() {
        let signed = e.kind == "signed_image" && e.pubkey.is_some() && e.base.is_none();
        if !signed || e.file.starts_with("payload_delta") {
            continue;
        }
        let bytes = tv::read(&e.file);
        let r = wolfboot_verify::verify_image_bytes(&bytes, &keys::KEYSTORE, &opts);
        // The wrong-key entry is valid against the full keystore (its own key is in it).
        let wrong_key_only = e.reason.as_deref().is_some_and(|r| r.contains("wrong key"));
        assert_eq!(
            r.is_ok(),
            e.valid == Some(true) || wrong_key_only,
            "{}: {r:?}",
            e.file
        );
        n += 1;
    }
    assert!(n > 30);
}
