//! Interoperability with images, keys and keystores made by wolfBoot's own C
//! tools: every valid vector verifies, every invalid one fails for its reason.

mod common;

use common::{hash_of, key_type_of, valid_signed};
use wolfboot_image_format::ImageHeader;
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    parse_keystore, parse_keystore_slot, verify_image, verify_image_bytes, AuthType, KeySlot,
    Keystore, KeystoreError, VerifyError, VerifyOptions,
};

fn opts_for(unsigned: bool) -> VerifyOptions<'static> {
    VerifyOptions {
        allow_unsigned: unsigned,
        ..VerifyOptions::new()
    }
}

#[test]
fn every_valid_vector_verifies_with_its_pubkey() {
    let entries = valid_signed();
    assert!(
        entries.len() >= 30,
        "expected the whole vector set, got {}",
        entries.len()
    );
    for e in entries {
        let image = tv::read(&e.file);
        let (slots, unsigned) = match &e.pubkey {
            Some(p) => (
                vec![KeySlot::new(
                    7,
                    key_type_of(p),
                    Box::leak(tv::read(p).into_boxed_slice()),
                )],
                false,
            ),
            None => (Vec::new(), true),
        };
        let ks = Keystore::new(&slots);
        let v = verify_image_bytes(&image, &ks, &opts_for(unsigned))
            .unwrap_or_else(|err| panic!("{}: {err}", e.file));
        assert_eq!(Some(v.version), e.version, "{}", e.file);
        assert_eq!(
            v.key_slot,
            if unsigned { None } else { Some(7) },
            "{}",
            e.file
        );
        if let Some(h) = &e.hash {
            assert_eq!(v.digest.algorithm(), hash_of(h), "{}", e.file);
        }

        // Same result through the streaming path with a fixed header size.
        let hs = ImageHeader::parse_auto(&image).unwrap().header_size();
        let mut header_buf = vec![0u8; hs];
        let mut src: &[u8] = &image;
        let v2 = verify_image(&mut src, &mut header_buf, &ks, &opts_for(unsigned))
            .unwrap_or_else(|err| panic!("{} (streaming): {err}", e.file));
        assert_eq!(v, v2);
    }
}

#[test]
fn unsigned_vector_needs_opt_in_and_hint_is_hash_of_nothing() {
    let image = tv::read("nosign_sha256_v32_signed.bin");
    let ks = Keystore::new(&[]);
    assert_eq!(
        verify_image_bytes(&image, &ks, &VerifyOptions::new()),
        Err(VerifyError::UnsignedNotAllowed)
    );
    let v = verify_image_bytes(&image, &ks, &opts_for(true)).unwrap();
    assert_eq!(v.image_type.auth(), Some(AuthType::None));
    let header = ImageHeader::parse_auto(&image).unwrap();
    let empty = wolfboot_verify::key_hint(wolfboot_verify::HashAlgorithm::Sha256, &[]).unwrap();
    assert_eq!(header.pubkey_hint(), Some(empty.as_bytes()));
}

#[test]
fn every_valid_vector_verifies_with_the_keygen_keystore() {
    let mut checked = 0;
    for e in valid_signed() {
        let Some(p) = &e.pubkey else { continue };
        let dir = p.rsplit_once('/').unwrap().0;
        let ks_bytes = tv::read(&format!("{dir}/keystore.der"));
        let slot = match parse_keystore_slot(&ks_bytes) {
            Ok(s) => s,
            Err(KeystoreError::KeySizeMismatch {
                expected: 132,
                found: 0,
            }) => {
                // wolfBoot keygen quirk: the P-521 keystore.der has no key.
                assert_eq!(dir, "keys/ecc521");
                continue;
            }
            Err(err) => panic!("{dir}/keystore.der: {err}"),
        };
        assert_eq!(
            slot.pubkey,
            tv::read(p).as_slice(),
            "{dir}: slot key = exported key"
        );
        assert_eq!(slot.part_mask, 0xFFFF_FFFF);
        let slots = [slot];
        let v = verify_image_bytes(
            &tv::read(&e.file),
            &Keystore::new(&slots),
            &VerifyOptions::new(),
        )
        .unwrap_or_else(|err| panic!("{} with {dir}/keystore.der: {err}", e.file));
        assert_eq!(Some(v.version), e.version);
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn keystore_files_parse() {
    for (alg, ty, len) in [
        ("ed25519", AuthType::Ed25519, 32),
        ("ed448", AuthType::Ed448, 57),
        ("ecc256", AuthType::Ecc256, 64),
        ("ecc384", AuthType::Ecc384, 96),
        ("rsa2048", AuthType::Rsa2048, 294),
        ("rsa3072", AuthType::Rsa3072, 422),
        ("rsa4096", AuthType::Rsa4096, 550),
    ] {
        let bytes = tv::read(&format!("keys/{alg}/keystore.der"));
        let slots: Vec<_> = parse_keystore(&bytes).collect();
        assert_eq!(slots.len(), 1, "{alg}");
        let slot = slots[0].unwrap();
        assert_eq!(slot.slot_id, 0);
        assert_eq!(slot.key_type, ty);
        assert_eq!(slot.pubkey.len(), len, "{alg}");
    }
    // The P-521 slot written by wolfBoot's keygen states a key size of 0.
    let bytes = tv::read("keys/ecc521/keystore.der");
    assert_eq!(
        parse_keystore_slot(&bytes),
        Err(KeystoreError::KeySizeMismatch {
            expected: 132,
            found: 0
        })
    );
    // Every prefix of a slot is refused without panicking.
    let bytes = tv::read("keys/rsa2048/keystore.der");
    for n in 0..bytes.len() {
        assert_eq!(
            parse_keystore_slot(&bytes[..n]),
            Err(KeystoreError::Truncated),
            "{n}"
        );
    }
    let mut bad = bytes.clone();
    bad[4] = 0x42;
    assert_eq!(
        parse_keystore_slot(&bad),
        Err(KeystoreError::UnknownKeyType(0x42))
    );
}

fn expected_error(reason: &str) -> VerifyError {
    if reason.contains("bad magic") {
        VerifyError::BadMagic
    } else if reason.contains("truncated header") {
        VerifyError::Truncated
    } else if reason.contains("shorter than the size field") {
        VerifyError::PayloadTruncated
    } else if reason.contains("hint matches no key") || reason.contains("wrong key") {
        VerifyError::UnknownKey
    } else if reason.contains("hash mismatch") {
        VerifyError::HashMismatch
    } else if reason.contains("signature invalid") {
        VerifyError::BadSignature
    } else {
        panic!("no expected error for reason {reason:?}")
    }
}

#[test]
fn every_invalid_vector_fails_for_its_reason() {
    let invalid: Vec<_> = tv::entries()
        .into_iter()
        .filter(|e| e.kind == "signed_image" && e.valid == Some(false))
        .collect();
    assert!(invalid.len() >= 8);
    for e in invalid {
        let reason = e.reason.as_deref().unwrap();
        let want = expected_error(reason);
        let p = e.pubkey.as_deref().unwrap();
        let key = tv::read(p);
        let slots = [KeySlot::new(0, key_type_of(p), &key)];
        let ks = Keystore::new(&slots);
        let image = tv::read(&e.file);
        assert_eq!(
            verify_image_bytes(&image, &ks, &VerifyOptions::new()),
            Err(want),
            "{} ({reason})",
            e.file
        );
        // The streaming path reports the same (header size of the source image).
        let mut header_buf = [0u8; 256];
        let mut src: &[u8] = &image;
        assert_eq!(
            verify_image(&mut src, &mut header_buf, &ks, &VerifyOptions::new()),
            Err(want),
            "{} streaming",
            e.file
        );
    }
}

#[test]
fn ed25519_image_with_ecc256_key_is_unknown_key() {
    let key = tv::read("keys/ecc256/ecc256_pub.der");
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let r = verify_image_bytes(
        &tv::read("ed25519_sha256_v262_signed.bin"),
        &Keystore::new(&slots),
        &VerifyOptions::new(),
    );
    assert_eq!(r, Err(VerifyError::UnknownKey));
}

#[test]
fn second_slot_is_found() {
    let ecc = tv::read("keys/ecc256/ecc256_pub.der");
    let ed = tv::read("keys/ed25519/ed25519_pub.der");
    let rsa = tv::read("keys/rsa2048/keystore.der");
    let rsa_slot = parse_keystore_slot(&rsa).unwrap();
    let slots = [
        KeySlot::new(0, AuthType::Ecc256, &ecc),
        rsa_slot,
        KeySlot::new(5, AuthType::Ed25519, &ed),
    ];
    let ks = Keystore::new(&slots);
    let v = verify_image_bytes(
        &tv::read("ed25519_sha3_v508_signed.bin"),
        &ks,
        &VerifyOptions::new(),
    )
    .unwrap();
    assert_eq!(v.key_slot, Some(5));
    let v = verify_image_bytes(
        &tv::read("rsapss2048_v326_signed.bin"),
        &ks,
        &VerifyOptions::new(),
    )
    .unwrap();
    assert_eq!(v.key_slot, Some(0), "rsa keystore slot id is 0");
    assert_eq!(v.image_type.auth(), Some(AuthType::RsaPss2048));
}
