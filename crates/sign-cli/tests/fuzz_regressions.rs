//! Inputs found by the fuzz targets (`fuzz/`), kept as plain tests.

use sign_cli::keys::{parse_private_key, parse_public_key, KeyKind, PrivateKey};
use wolfboot_test_vectors as tv;

/// `key_files`: any 57 bytes were taken as a raw Ed448 public key, so a
/// keystore could be given a key the bootloader cannot decode (every image
/// would then be refused with a bad public key).
#[test]
fn raw_ed448_public_key_must_be_a_curve_point() {
    let not_a_point: [u8; 57] = [
        0xb2, 0x73, 0x50, 0x98, 0x44, 0x26, 0x7f, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xb6, 0xf9, 0xb6, 0xfa, 0xd5, 0x25, 0x38, 0x5b, 0x2c, 0x5a, 0x0b, 0x18, 0xa5, 0xab, 0x52,
        0xfd, 0xe0, 0xe6, 0x55, 0x89, 0x5b, 0xfb, 0x7f, 0xec, 0x7f, 0x48, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xb6, 0xf9, 0xb6, 0xfa, 0xd5, 0x25, 0x38, 0x5b, 0x2c,
    ];
    assert!(parse_public_key(&not_a_point).is_err());

    // wolfBoot's own raw Ed448 public key still reads.
    let real = tv::read("keys/ed448/ed448_pub.der");
    assert_eq!(real.len(), 57);
    let k = parse_public_key(&real).unwrap();
    assert_eq!((k.kind, k.bytes), (KeyKind::Ed448, real));
}

/// `key_files`: a raw Ed25519 key file (seed then public key) whose seed
/// happens to start with `-----BEGIN ` was taken for PEM and refused.
#[test]
fn raw_key_starting_like_pem_armour_reads_as_raw() {
    let mut seed = [b'Z'; 32];
    seed[..11].copy_from_slice(b"-----BEGIN ");
    let key = PrivateKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)));
    let raw = key.to_wolfboot_raw().unwrap();
    assert!(raw.starts_with(b"-----BEGIN "));
    let again = parse_private_key(&raw, Some(KeyKind::Ed25519)).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    // Real PEM that does not decode is still reported as such.
    let err = parse_private_key(b"-----BEGIN ZZZ\nnot base64\n", None).unwrap_err();
    assert!(err.contains("PEM"), "{err}");
}
