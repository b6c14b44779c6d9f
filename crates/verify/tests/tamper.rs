//! Every algorithm × hash: each kind of tampering is refused with its own
//! error; options and policy refuse what they should.

mod common;

use common::{key_type_of, matrix};
use wolfboot_image_format::{wire::tlv, ImageHeader};
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    verify_image_bytes, verify_signature, AuthType, HashAlgorithm, KeySlot, Keystore, RsaEncoding,
    VerifyError, VerifyOptions, VerifyPolicy,
};

fn tlv_offset(image: &[u8], tag: u16) -> (usize, usize) {
    let h = ImageHeader::parse_auto(image).unwrap();
    let t = h.find_tlv(tag).unwrap();
    (t.offset + 4, t.value.len())
}

#[test]
fn tampering_is_refused_with_its_own_error() {
    let entries = matrix();
    assert!(entries.len() >= 26, "got {}", entries.len());
    for e in entries {
        let p = e.pubkey.as_deref().unwrap();
        let key = tv::read(p);
        let slots = [KeySlot::new(0, key_type_of(p), &key)];
        let ks = Keystore::new(&slots);
        let opts = VerifyOptions::new();
        let image = tv::read(&e.file);
        assert!(verify_image_bytes(&image, &ks, &opts).is_ok(), "{}", e.file);
        let header = ImageHeader::parse_auto(&image).unwrap();
        let hs = header.header_size();
        let payload_len = header.payload_size() as usize;

        // A payload byte (first, middle, last).
        for at in [hs, hs + payload_len / 2, hs + payload_len - 1] {
            let mut bad = image.clone();
            bad[at] ^= 0x01;
            assert_eq!(
                verify_image_bytes(&bad, &ks, &opts),
                Err(VerifyError::HashMismatch),
                "{} payload@{at}",
                e.file
            );
        }

        // The version (header, covered by the digest).
        let (off, _) = tlv_offset(&image, tlv::VERSION);
        let mut bad = image.clone();
        bad[off] ^= 0x01;
        assert_eq!(
            verify_image_bytes(&bad, &ks, &opts),
            Err(VerifyError::HashMismatch),
            "{} version",
            e.file
        );

        // The timestamp too.
        let (off, _) = tlv_offset(&image, tlv::TIMESTAMP);
        let mut bad = image.clone();
        bad[off + 3] ^= 0x80;
        assert_eq!(
            verify_image_bytes(&bad, &ks, &opts),
            Err(VerifyError::HashMismatch),
            "{} timestamp",
            e.file
        );

        // The stored digest itself.
        let alg = header.digest().unwrap().algorithm;
        let (off, len) = tlv_offset(&image, alg.tlv());
        let mut bad = image.clone();
        bad[off + len - 1] ^= 0x01;
        assert_eq!(
            verify_image_bytes(&bad, &ks, &opts),
            Err(VerifyError::HashMismatch),
            "{} digest",
            e.file
        );

        // The signature: first, middle and last byte.
        let (off, len) = tlv_offset(&image, tlv::SIGNATURE);
        for at in [off, off + len / 2, off + len - 1] {
            let mut bad = image.clone();
            bad[at] ^= 0x04;
            assert_eq!(
                verify_image_bytes(&bad, &ks, &opts),
                Err(VerifyError::BadSignature),
                "{} sig@{at}",
                e.file
            );
        }

        // The key hint.
        let (off, _) = tlv_offset(&image, tlv::PUBKEY_HINT);
        let mut bad = image.clone();
        bad[off] ^= 0x01;
        assert_eq!(
            verify_image_bytes(&bad, &ks, &opts),
            Err(VerifyError::UnknownKey),
            "{} hint",
            e.file
        );

        // The image type's auth byte moved to another (supported) algorithm:
        // the key type no longer matches.
        let (off, _) = tlv_offset(&image, tlv::IMG_TYPE);
        let mut bad = image.clone();
        let other = if key_type_of(p) == AuthType::Ed25519 {
            AuthType::Ecc256
        } else {
            AuthType::Ed25519
        };
        bad[off + 1] = other.code();
        let r = verify_image_bytes(&bad, &ks, &opts);
        // A header sized for a bigger key may now parse at another size, but
        // it must never verify.
        assert!(
            matches!(
                r,
                Err(VerifyError::WrongAlgorithm) | Err(VerifyError::BadTlvLength(tlv::SIGNATURE))
            ),
            "{} auth byte: {r:?}",
            e.file
        );
    }
}

#[test]
fn key_permission_mask_is_enforced() {
    let image = tv::read("partition_id_3_v606_signed.bin");
    let key = tv::read("keys/ed25519/ed25519_pub.der");
    let h = ImageHeader::parse_auto(&image).unwrap();
    assert_eq!(h.image_type().unwrap().partition_id(), 3);
    let with_mask = |part_mask| {
        let slots = [KeySlot {
            slot_id: 0,
            key_type: AuthType::Ed25519,
            part_mask,
            pubkey: &key,
        }];
        verify_image_bytes(&image, &Keystore::new(&slots), &VerifyOptions::new())
    };
    assert_eq!(with_mask(!(1 << 3)), Err(VerifyError::KeyNotPermitted));
    assert_eq!(with_mask(0b10), Err(VerifyError::KeyNotPermitted));
    assert_eq!(with_mask(0), Err(VerifyError::KeyNotPermitted));
    assert_eq!(with_mask(1 << 3).unwrap().version, 606);
    assert_eq!(with_mask(0xFFFF_FFFF).unwrap().version, 606);

    // The application image (partition 1) with an app-only key.
    let image = tv::read("ed25519_sha256_v262_signed.bin");
    let slots = [KeySlot {
        slot_id: 0,
        key_type: AuthType::Ed25519,
        part_mask: 0b10,
        pubkey: &key,
    }];
    assert!(verify_image_bytes(&image, &Keystore::new(&slots), &VerifyOptions::new()).is_ok());
    let slots = [KeySlot {
        slot_id: 0,
        key_type: AuthType::Ed25519,
        part_mask: 0b01,
        pubkey: &key,
    }];
    assert_eq!(
        verify_image_bytes(&image, &Keystore::new(&slots), &VerifyOptions::new()),
        Err(VerifyError::KeyNotPermitted)
    );
}

#[test]
fn slot_key_type_must_match_image_algorithm() {
    let image = tv::read("ed25519_sha256_v262_signed.bin");
    let key = tv::read("keys/ed25519/ed25519_pub.der");
    // Right bytes (so the hint matches), wrong declared type.
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    assert_eq!(
        verify_image_bytes(&image, &Keystore::new(&slots), &VerifyOptions::new()),
        Err(VerifyError::WrongAlgorithm)
    );
    // An RSA key serves PSS images of its size, not of another size.
    let rsa = tv::read("keys/rsa2048/rsa2048_pub.der");
    let pss = tv::read("rsapss2048_v326_signed.bin");
    let slots = [KeySlot::new(0, AuthType::Rsa2048, &rsa)];
    assert!(verify_image_bytes(&pss, &Keystore::new(&slots), &VerifyOptions::new()).is_ok());
    let slots = [KeySlot::new(0, AuthType::RsaPss2048, &rsa)];
    assert!(verify_image_bytes(
        &tv::read("rsa2048_sha256_v400_signed.bin"),
        &Keystore::new(&slots),
        &VerifyOptions::new()
    )
    .is_ok());
    let slots = [KeySlot::new(0, AuthType::Rsa3072, &rsa)];
    assert_eq!(
        verify_image_bytes(&pss, &Keystore::new(&slots), &VerifyOptions::new()),
        Err(VerifyError::WrongAlgorithm)
    );
}

#[test]
fn options_refuse_what_they_exclude() {
    let image = tv::read("ecc256_sha384_v389_signed.bin");
    let key = tv::read("keys/ecc256/ecc256_pub.der");
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let ks = Keystore::new(&slots);
    let total = image.len() as u32; // header + payload exactly

    let o = VerifyOptions {
        max_image_size: Some(total - 1),
        ..VerifyOptions::new()
    };
    assert_eq!(
        verify_image_bytes(&image, &ks, &o),
        Err(VerifyError::TooLarge)
    );
    let o = VerifyOptions {
        max_image_size: Some(total),
        ..VerifyOptions::new()
    };
    assert!(verify_image_bytes(&image, &ks, &o).is_ok());

    let o = VerifyOptions {
        allowed_hashes: &[HashAlgorithm::Sha256],
        ..VerifyOptions::new()
    };
    assert_eq!(
        verify_image_bytes(&image, &ks, &o),
        Err(VerifyError::UnsupportedHash(HashAlgorithm::Sha384))
    );

    let o = VerifyOptions {
        partition_id: Some(0),
        ..VerifyOptions::new()
    };
    assert_eq!(
        verify_image_bytes(&image, &ks, &o),
        Err(VerifyError::WrongPartition {
            expected: 0,
            found: 1
        })
    );
    let o = VerifyOptions {
        partition_id: Some(1),
        ..VerifyOptions::new()
    };
    assert!(verify_image_bytes(&image, &ks, &o).is_ok());

    // Hash-only acceptance needs the opt-in.
    let mut src: &[u8] = &image;
    let mut hdr = [0u8; 256];
    assert_eq!(
        wolfboot_verify::verify_integrity(&mut src, &mut hdr, &VerifyOptions::new()),
        Err(VerifyError::UnsignedNotAllowed)
    );
    let o = VerifyOptions {
        allow_unsigned: true,
        ..VerifyOptions::new()
    };
    let v = wolfboot_verify::verify_integrity(&mut src, &mut hdr, &o).unwrap();
    assert_eq!((v.version, v.key_slot), (389, None));
}

#[test]
fn rsa_encoding_policy() {
    let key = tv::read("keys/rsa2048/rsa2048_pub.der");
    let slots = [KeySlot::new(0, AuthType::Rsa2048, &key)];
    let ks = Keystore::new(&slots);
    let raw = tv::read("rsa2048_plain_v105_signed.bin");
    let info = tv::read("rsa2048_digestinfo_v924_signed.bin");
    let with = |enc| VerifyOptions {
        policy: VerifyPolicy { rsa_encoding: enc },
        ..VerifyOptions::new()
    };
    assert!(verify_image_bytes(&raw, &ks, &with(RsaEncoding::RawDigest)).is_ok());
    assert!(verify_image_bytes(&raw, &ks, &with(RsaEncoding::Either)).is_ok());
    assert_eq!(
        verify_image_bytes(&raw, &ks, &with(RsaEncoding::DigestInfo)),
        Err(VerifyError::BadSignature)
    );
    assert!(verify_image_bytes(&info, &ks, &with(RsaEncoding::DigestInfo)).is_ok());
    assert!(verify_image_bytes(&info, &ks, &with(RsaEncoding::Either)).is_ok());
    assert_eq!(
        verify_image_bytes(&info, &ks, &with(RsaEncoding::RawDigest)),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn verify_signature_rejects_malformed_inputs() {
    let p = VerifyPolicy::new();
    let d = [0u8; 32];
    let ed = tv::read("keys/ed25519/ed25519_pub.der");
    assert_eq!(
        verify_signature(
            AuthType::Ed25519,
            &ed[..31],
            HashAlgorithm::Sha256,
            &d,
            &[0; 64],
            &p
        ),
        Err(VerifyError::BadPublicKey)
    );
    assert_eq!(
        verify_signature(
            AuthType::Ed25519,
            &ed,
            HashAlgorithm::Sha256,
            &d[..31],
            &[0; 64],
            &p
        ),
        Err(VerifyError::BadTlvLength(tlv::SHA256))
    );
    assert_eq!(
        verify_signature(
            AuthType::Ed25519,
            &ed,
            HashAlgorithm::Sha256,
            &d,
            &[0; 63],
            &p
        ),
        Err(VerifyError::BadSignature)
    );
    // A point not on the curve.
    assert_eq!(
        verify_signature(
            AuthType::Ecc256,
            &[0x01; 64],
            HashAlgorithm::Sha256,
            &d,
            &[1; 64],
            &p
        ),
        Err(VerifyError::BadPublicKey)
    );
    let ecc = tv::read("keys/ecc521/ecc521_pub.der");
    assert_eq!(
        verify_signature(
            AuthType::Ecc521,
            &ecc,
            HashAlgorithm::Sha256,
            &d,
            &[0; 132],
            &p
        ),
        Err(VerifyError::BadSignature)
    );
    // RSA key of the wrong size for the algorithm, garbage DER.
    let rsa = tv::read("keys/rsa2048/rsa2048_pub.der");
    assert_eq!(
        verify_signature(
            AuthType::Rsa3072,
            &rsa,
            HashAlgorithm::Sha256,
            &d,
            &[0; 384],
            &p
        ),
        Err(VerifyError::BadPublicKey)
    );
    assert_eq!(
        verify_signature(
            AuthType::Rsa2048,
            &rsa[1..],
            HashAlgorithm::Sha256,
            &d,
            &[0; 256],
            &p
        ),
        Err(VerifyError::BadPublicKey)
    );
    // PSS is SHA-256/384 only.
    assert_eq!(
        verify_signature(
            AuthType::RsaPss2048,
            &rsa,
            HashAlgorithm::Sha3_384,
            &[0; 48],
            &[0; 256],
            &p
        ),
        Err(VerifyError::UnsupportedHash(HashAlgorithm::Sha3_384))
    );
    // An RSA key is no LMS key; "none" has no signature to check.
    assert_eq!(
        verify_signature(AuthType::Lms, &rsa, HashAlgorithm::Sha256, &d, &[0; 64], &p),
        Err(VerifyError::BadPublicKey)
    );
    assert_eq!(
        verify_signature(
            AuthType::None,
            &rsa,
            HashAlgorithm::Sha256,
            &d,
            &[0; 64],
            &p
        ),
        Err(VerifyError::UnsupportedAlgorithm(AuthType::None.code()))
    );
}
