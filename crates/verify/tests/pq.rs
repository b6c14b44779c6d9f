//! Post-quantum and hybrid images made by wolfBoot's own keygen and sign
//! (`vectors/pq`): each verifies with its keystore at the bootloader's
//! header size; tampered payloads, signatures and keys are refused, each
//! with its own error; hybrid images need both signatures.

use std::time::Instant;

use wolfboot_image_format::wire::tlv;
use wolfboot_image_format::ImageHeader;
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    parse_keystore, verify_image, verify_image_bytes, AuthType, HybridError, KeySlot, Keystore,
    VerifyError, VerifyOptions,
};

const FOLDERS: [(&str, AuthType); 6] = [
    ("ml-dsa-44", AuthType::MlDsa),
    ("ml-dsa-65", AuthType::MlDsa),
    ("ml-dsa-87", AuthType::MlDsa),
    ("lms-l1-h10-w8", AuthType::Lms),
    ("xmss-sha2_10_256", AuthType::Xmss),
    ("hybrid-ml-dsa-65-ecc384", AuthType::MlDsa),
];

struct Vector {
    image: Vec<u8>,
    keystore: Vec<u8>,
    header_size: usize,
}

fn load(folder: &str) -> Vector {
    let header_size = String::from_utf8(tv::read(&format!("pq/{folder}/header_size")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    Vector {
        image: tv::read(&format!("pq/{folder}/image_v1_signed.bin")),
        keystore: tv::read(&format!("pq/{folder}/keystore.der")),
        header_size,
    }
}

fn slots(keystore: &[u8]) -> Vec<KeySlot<'_>> {
    parse_keystore(keystore).collect::<Result<_, _>>().unwrap()
}

fn check(image: &[u8], keystore: &[u8], header_size: usize) -> Result<(), VerifyError> {
    check_opts(image, keystore, header_size, &VerifyOptions::new())
}

fn check_opts(
    image: &[u8],
    keystore: &[u8],
    header_size: usize,
    opts: &VerifyOptions<'_>,
) -> Result<(), VerifyError> {
    let slots = slots(keystore);
    let ks = Keystore::new(&slots);
    let mut header = vec![0u8; header_size];
    let mut src = image;
    verify_image(&mut src, &mut header, &ks, opts).map(|_| ())
}

fn field_offset(image: &[u8], header_size: usize, tag: u16) -> (usize, usize) {
    let h = ImageHeader::parse(image, header_size).unwrap();
    let t = h.find_tlv(tag).unwrap();
    (t.offset + 4, t.value.len())
}

#[test]
fn every_pq_vector_verifies_with_its_keystore() {
    for (folder, auth) in FOLDERS {
        let v = load(folder);
        let slots = slots(&v.keystore);
        assert_eq!(slots[0].key_type, auth, "{folder}");
        let ks = Keystore::new(&slots);
        let mut header = vec![0u8; v.header_size];
        let mut src: &[u8] = &v.image;
        let t = Instant::now();
        let ok = verify_image(&mut src, &mut header, &ks, &VerifyOptions::new())
            .unwrap_or_else(|e| panic!("{folder}: {e}"));
        eprintln!(
            "{folder}: verified in {:?} (debug-profile build)",
            t.elapsed()
        );
        assert_eq!(ok.version, 1, "{folder}");
        assert_eq!(ok.image_type.auth(), Some(auth), "{folder}");
        assert_eq!(ok.header_size, v.header_size);
        // Sized from the file alone, as host tools do.
        verify_image_bytes(&v.image, &ks, &VerifyOptions::new())
            .unwrap_or_else(|e| panic!("{folder} (auto header size): {e}"));
    }
}

#[test]
fn pq_keystore_slots_have_wolfboot_sizes() {
    let sizes = [
        ("ml-dsa-44", vec![1312]),
        ("ml-dsa-65", vec![1952]),
        ("ml-dsa-87", vec![2592]),
        ("lms-l1-h10-w8", vec![60]),
        ("xmss-sha2_10_256", vec![68]),
        ("hybrid-ml-dsa-65-ecc384", vec![1952, 96]),
    ];
    for (folder, expect) in sizes {
        let v = load(folder);
        let got: Vec<usize> = slots(&v.keystore).iter().map(|s| s.pubkey.len()).collect();
        assert_eq!(got, expect, "{folder}");
    }
    // The hybrid's exported ML-DSA key is the keystore's first key.
    let v = load("hybrid-ml-dsa-65-ecc384");
    let pk = tv::read("pq/hybrid-ml-dsa-65-ecc384/pubkey_1.der");
    assert_eq!(slots(&v.keystore)[0].pubkey, &pk[..]);
}

#[test]
fn tampered_payload_is_a_hash_mismatch() {
    for (folder, _) in FOLDERS {
        let v = load(folder);
        for at in [v.header_size, v.image.len() - 1] {
            let mut img = v.image.clone();
            img[at] ^= 0x01;
            assert_eq!(
                check(&img, &v.keystore, v.header_size),
                Err(VerifyError::HashMismatch),
                "{folder} byte {at}"
            );
        }
    }
}

#[test]
fn tampered_signature_is_refused() {
    for (folder, _) in FOLDERS {
        let v = load(folder);
        let (off, len) = field_offset(&v.image, v.header_size, tlv::SIGNATURE);
        // First byte, a byte in the middle, the last byte.
        for at in [off, off + len / 2, off + len - 1] {
            let mut img = v.image.clone();
            img[at] ^= 0x40;
            assert_eq!(
                check(&img, &v.keystore, v.header_size),
                Err(VerifyError::BadSignature),
                "{folder} signature byte {}",
                at - off
            );
        }
    }
}

#[test]
fn wrong_key_is_refused() {
    // Each image against every other folder's keystore: no key matches the
    // hint. With the right hint but another key of the same type (the hint
    // pointed at a substituted key), the signature check fails.
    for (folder, _) in FOLDERS {
        let v = load(folder);
        for (other, _) in FOLDERS {
            if other == folder || (folder.contains("ml-dsa-65") && other.contains("ml-dsa-65")) {
                continue;
            }
            let o = load(other);
            assert_eq!(
                check(&v.image, &o.keystore, v.header_size),
                Err(VerifyError::UnknownKey),
                "{folder} with {other}'s keystore"
            );
        }
    }
    // Same-size key, different bytes, hint ignored by trusting the slot:
    // flip a key byte and let the hint follow (a keystore holding a key the
    // image was not signed with under the name of the right one).
    for (folder, _) in FOLDERS {
        let v = load(folder);
        let mut ks = v.keystore.clone();
        let last = 16 + slots(&v.keystore)[0].pubkey.len() - 1;
        ks[last] ^= 0x01;
        let slot = slots(&ks)[0];
        let img = rehint(&v.image, v.header_size, tlv::PUBKEY_HINT, &slot);
        let r = check(&img, &ks, v.header_size);
        assert!(
            matches!(r, Err(VerifyError::HashMismatch)),
            "{folder}: {r:?}"
        );
    }
}

/// The image with the key hint `tag` replaced by the hint of `slot` (the
/// digest is not recomputed: the header change is itself detected).
fn rehint(image: &[u8], header_size: usize, tag: u16, slot: &KeySlot<'_>) -> Vec<u8> {
    let (off, len) = field_offset(image, header_size, tag);
    let mut img = image.to_vec();
    let h = slot.hint(wolfboot_verify::HashAlgorithm::Sha256).unwrap();
    img[off..off + len].copy_from_slice(h.as_bytes());
    img
}

#[test]
fn pq_signature_with_a_substituted_key_is_refused() {
    // Verify the signature primitive directly: the right digest with a
    // modified key (the hint check bypassed) fails as a bad signature.
    for (folder, auth) in FOLDERS {
        let v = load(folder);
        let h = ImageHeader::parse(&v.image, v.header_size).unwrap();
        let digest = h.digest().unwrap();
        let sig = h.signature().unwrap();
        let mut key = slots(&v.keystore)[0].pubkey.to_vec();
        let p = wolfboot_verify::VerifyPolicy::new();
        let hash = wolfboot_verify::HashAlgorithm::Sha256;
        wolfboot_verify::verify_signature(auth, &key, hash, digest.value, sig, &p)
            .unwrap_or_else(|e| panic!("{folder}: {e}"));
        let last = key.len() - 1;
        key[last] ^= 0x01;
        assert_eq!(
            wolfboot_verify::verify_signature(auth, &key, hash, digest.value, sig, &p),
            Err(VerifyError::BadSignature),
            "{folder}"
        );
        let mut other = digest.value.to_vec();
        other[0] ^= 1;
        key[last] ^= 0x01;
        assert_eq!(
            wolfboot_verify::verify_signature(auth, &key, hash, &other, sig, &p),
            Err(VerifyError::BadSignature),
            "{folder}"
        );
    }
}

#[test]
fn truncated_or_padded_signature_is_a_length_error() {
    // Shrink the signature field's length by one: the field no longer has
    // the length the key's parameters give.
    for (folder, _) in FOLDERS {
        let v = load(folder);
        let (off, len) = field_offset(&v.image, v.header_size, tlv::SIGNATURE);
        let mut img = v.image.clone();
        img[off - 2..off].copy_from_slice(&((len - 1) as u16).to_le_bytes());
        assert_eq!(
            check(&img, &v.keystore, v.header_size),
            Err(VerifyError::BadTlvLength(tlv::SIGNATURE)),
            "{folder}"
        );
    }
}

const HYBRID: &str = "hybrid-ml-dsa-65-ecc384";

#[test]
fn hybrid_needs_both_signatures() {
    let v = load(HYBRID);
    let hs = v.header_size;
    check(&v.image, &v.keystore, hs).unwrap();
    let both = slots(&v.keystore);
    let ks = Keystore::new(&both);
    let ok = verify_image_bytes(&v.image, &ks, &VerifyOptions::new()).unwrap();
    assert_eq!(
        (ok.key_slot, ok.secondary),
        (Some(0), Some((AuthType::Ecc384, 1)))
    );
    let require = VerifyOptions {
        require_hybrid: true,
        ..VerifyOptions::new()
    };
    check_opts(&v.image, &v.keystore, hs, &require).unwrap();

    // Secondary signature stripped (its tag overwritten by padding: the
    // signatures are after the digest, so the digest still matches).
    let (off, len) = field_offset(&v.image, hs, tlv::SECONDARY_SIGNATURE);
    let mut img = v.image.clone();
    img[off - 4..off + len].fill(0xFF);
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::Hybrid(HybridError::MissingSignature))
    );

    // Secondary signature tampered.
    for at in [off, off + 47, off + len - 1] {
        let mut img = v.image.clone();
        img[at] ^= 0x01;
        assert_eq!(
            check(&img, &v.keystore, hs),
            Err(VerifyError::Hybrid(HybridError::BadSignature)),
            "secondary byte {}",
            at - off
        );
    }

    // Primary signature stripped.
    let (poff, plen) = field_offset(&v.image, hs, tlv::SIGNATURE);
    let mut img = v.image.clone();
    img[poff - 4..poff + plen].fill(0xFF);
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::MissingTlv(tlv::SIGNATURE))
    );

    // Primary and secondary signature swapped (tags exchanged).
    let mut img = v.image.clone();
    img[poff - 4..poff - 2].copy_from_slice(&tlv::SECONDARY_SIGNATURE.to_le_bytes());
    img[off - 4..off - 2].copy_from_slice(&tlv::SIGNATURE.to_le_bytes());
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::BadTlvLength(tlv::SIGNATURE))
    );

    // Secondary key missing from the keystore.
    let ks_primary_only = v.keystore[..16 + 1952].to_vec();
    assert_eq!(
        check(&v.image, &ks_primary_only, hs),
        Err(VerifyError::Hybrid(HybridError::UnknownKey))
    );

    // Secondary key not allowed for partition 1.
    let mut ks = v.keystore.clone();
    let second = 16 + 1952;
    ks[second + 8..second + 12].copy_from_slice(&(!0b10u32).to_le_bytes());
    assert_eq!(
        check(&v.image, &ks, hs),
        Err(VerifyError::Hybrid(HybridError::KeyNotPermitted))
    );

    // Secondary hint changed: resolved before the payload is read.
    let (o, _) = field_offset(&v.image, hs, tlv::SECONDARY_PUBKEY);
    let mut img = v.image.clone();
    img[o + 1] ^= 0x01;
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::Hybrid(HybridError::UnknownKey))
    );
    // Secondary cipher changed to another algorithm: the key is not of it.
    let (o, _) = field_offset(&v.image, hs, tlv::SECONDARY_CIPHER);
    let mut img = v.image.clone();
    img[o + 1] = AuthType::Ecc256.code();
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::Hybrid(HybridError::WrongAlgorithm))
    );
    img[o + 1] = AuthType::MlDsa.code();
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::Hybrid(HybridError::SameAlgorithm))
    );
    img[o] = 0x01;
    assert_eq!(
        check(&img, &v.keystore, hs),
        Err(VerifyError::Hybrid(HybridError::BadCipher(0x0b01)))
    );

    // Secondary key swapped for another trusted ECC384 key (its hint put
    // in the header): the digest covers the hint, so it no longer matches.
    let mut ks = v.keystore.clone();
    let mut extra = v.keystore[second..].to_vec();
    extra[0] = 9; // slot id
    extra[16] ^= 0x01; // another key
    ks.extend_from_slice(&extra);
    let other = slots(&ks)[2];
    let img = rehint(&v.image, hs, tlv::SECONDARY_PUBKEY, &other);
    assert_eq!(check(&img, &ks, hs), Err(VerifyError::HashMismatch));
}

#[test]
fn hybrid_can_be_required() {
    let require = VerifyOptions {
        require_hybrid: true,
        ..VerifyOptions::new()
    };
    let v = load("ml-dsa-65");
    assert_eq!(
        check_opts(&v.image, &v.keystore, v.header_size, &require),
        Err(VerifyError::Hybrid(HybridError::NotHybrid))
    );
}

#[test]
fn pq_verifiers_reject_garbage_without_panicking() {
    use wolfboot_verify::{verify_signature, HashAlgorithm, VerifyPolicy};
    let p = VerifyPolicy::new();
    let d = [0u8; 32];
    for (folder, auth) in FOLDERS {
        let v = load(folder);
        let key = slots(&v.keystore)[0].pubkey.to_vec();
        let h = ImageHeader::parse(&v.image, v.header_size).unwrap();
        let sig = h.signature().unwrap().to_vec();
        for len in [0, 1, 4, sig.len() - 1, sig.len() + 1] {
            let s = vec![0xA5u8; len];
            assert!(verify_signature(auth, &key, HashAlgorithm::Sha256, &d, &s, &p).is_err());
        }
        for s in [vec![0u8; sig.len()], vec![0xFFu8; sig.len()]] {
            assert!(verify_signature(auth, &key, HashAlgorithm::Sha256, &d, &s, &p).is_err());
        }
        for klen in [0, 1, key.len() - 1, key.len() + 1] {
            let k = vec![1u8; klen];
            assert!(
                verify_signature(auth, &k, HashAlgorithm::Sha256, &d, &sig, &p).is_err(),
                "{folder} key {klen}"
            );
        }
        // Header fields that announce out-of-range parameters.
        let mut k = key.clone();
        k[..4].copy_from_slice(&[0xFF; 4]);
        assert!(verify_signature(auth, &k, HashAlgorithm::Sha256, &d, &sig, &p).is_err());
        let mut s = sig.clone();
        s[..4].copy_from_slice(&[0xFF; 4]);
        assert!(verify_signature(auth, &key, HashAlgorithm::Sha256, &d, &s, &p).is_err());
    }
}
