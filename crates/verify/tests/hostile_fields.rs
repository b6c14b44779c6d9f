//! Hostile header fields, each refused with its own error (or, for bytes no
//! signature covers, harmlessly ignored): lengths running past the header,
//! duplicated fields, the signature of another image, the key hint of
//! another key. Listed in docs/security.md.

use wolfboot_image_format::{wire::tlv, ImageHeader};
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    key_hint, verify_image, verify_image_bytes, AuthType, HashAlgorithm, KeySlot, Keystore,
    VerifyError, VerifyOptions,
};

/// ECC P-256, SHA-256, version 668: fields at 8 (version), 20 (timestamp),
/// 32 (type), 44 (hint), 84 (digest), 124 (signature, 64 bytes); the bytes
/// from 192 to the end of the 256-byte header are padding.
const V668: &str = "ecc256_sha256_v668_signed.bin";
/// Same key, same layout, version 470.
const V470: &str = "encrypted_aes128_v470_signed.bin";

fn ecc_key() -> Vec<u8> {
    tv::read("keys/ecc256/ecc256_pub.der")
}

/// Offset of the field's tag.
fn field(img: &[u8], tag: u16) -> usize {
    ImageHeader::parse(img, 256)
        .unwrap()
        .find_tlv(tag)
        .unwrap()
        .offset
}

/// Verify with the header size known (as a bootloader); the result of the
/// bootloader. A host tool, which sizes the header from its fields, must
/// accept or refuse alike (its reason may differ: with a field cut off it
/// tries larger headers).
fn verify(img: &[u8], ks: &Keystore<'_>) -> Result<u32, VerifyError> {
    let opts = VerifyOptions::new();
    let mut hdr = [0u8; 256];
    let mut src = img;
    let streamed = verify_image(&mut src, &mut hdr, ks, &opts).map(|v| v.version);
    let auto = verify_image_bytes(img, ks, &opts).map(|v| v.version);
    assert_eq!(
        streamed.ok(),
        auto.ok(),
        "bootloader and host tool disagree"
    );
    streamed
}

fn set_len(img: &mut [u8], tag: u16, len: u16) {
    let at = field(img, tag);
    img[at + 2..at + 4].copy_from_slice(&len.to_le_bytes());
}

#[test]
fn tlv_length_past_the_header_ends_the_walk() {
    let key = ecc_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let ks = Keystore::new(&slots);
    let good = tv::read(V668);
    assert_eq!(verify(&good, &ks), Ok(668));

    // The first field claims 64 KiB: no field is found at all.
    let mut img = good.clone();
    set_len(&mut img, tlv::VERSION, 0xFFFF);
    assert_eq!(
        verify(&img, &ks),
        Err(VerifyError::MissingTlv(tlv::IMG_TYPE))
    );

    // The hint claims more than the header can hold (4 + len > 256 - 8):
    // the walk stops before the digest.
    let mut img = good.clone();
    set_len(&mut img, tlv::PUBKEY_HINT, 249);
    assert_eq!(verify(&img, &ks), Err(VerifyError::MissingTlv(tlv::SHA256)));

    // The signature runs past the end of the header.
    let mut img = good.clone();
    set_len(&mut img, tlv::SIGNATURE, 0x100);
    assert_eq!(
        verify(&img, &ks),
        Err(VerifyError::MissingTlv(tlv::SIGNATURE))
    );

    // A digest one byte longer than SHA-256's.
    let mut img = good.clone();
    set_len(&mut img, tlv::SHA256, 33);
    assert_eq!(
        verify(&img, &ks),
        Err(VerifyError::BadTlvLength(tlv::SHA256))
    );

    // A signature of the wrong length for ECC P-256.
    let mut img = good;
    set_len(&mut img, tlv::SIGNATURE, 63);
    assert_eq!(
        verify(&img, &ks),
        Err(VerifyError::BadTlvLength(tlv::SIGNATURE))
    );
}

#[test]
fn duplicated_fields() {
    let key = ecc_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let ks = Keystore::new(&slots);
    let good = tv::read(V668);
    let sig_end = field(&good, tlv::SIGNATURE) + 4 + 64;
    assert!(good[sig_end..256].iter().all(|b| *b == 0xFF));

    // After the signature nothing is covered: a second version, digest or
    // image type there is never the one read (the first field wins, in the
    // verifier as in wolfBoot's walk), and the image still verifies as v668.
    let mut img = good.clone();
    let mut at = sig_end;
    for (tag, value) in [
        (tlv::VERSION, 9999u32.to_le_bytes().to_vec()),
        (tlv::IMG_TYPE, vec![0x00, 0x02]),
        (tlv::SHA256, vec![0u8; 32]),
    ] {
        img[at..at + 2].copy_from_slice(&tag.to_le_bytes());
        img[at + 2..at + 4].copy_from_slice(&(value.len() as u16).to_le_bytes());
        img[at + 4..at + 4 + value.len()].copy_from_slice(&value);
        at += 4 + value.len();
    }
    assert!(at <= 256);
    let h = ImageHeader::parse(&img, 256).unwrap();
    assert_eq!(h.tlvs().filter(|t| t.tag == tlv::VERSION).count(), 2);
    assert_eq!(h.version(), Ok(668));
    assert_eq!(verify(&img, &ks), Ok(668));

    // Before the digest, the padding is covered: a duplicate there (here a
    // second image type in the six bytes between the type and the hint)
    // changes what was signed.
    let mut img = good;
    let pad = field(&img, tlv::IMG_TYPE) + 6;
    assert_eq!(pad + 6, field(&img, tlv::PUBKEY_HINT));
    img[pad..pad + 6].copy_from_slice(&[0x04, 0x00, 0x02, 0x00, 0x00, 0x02]);
    assert_eq!(verify(&img, &ks), Err(VerifyError::HashMismatch));
}

#[test]
fn signature_or_header_of_another_image() {
    let key = ecc_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let ks = Keystore::new(&slots);
    let a = tv::read(V668);
    let b = tv::read(V470);
    assert_ne!(a[..256], b[..256]);
    assert_eq!(verify(&b, &ks), Ok(470));
    let sig = field(&a, tlv::SIGNATURE) + 4;
    assert_eq!(sig, field(&b, tlv::SIGNATURE) + 4);

    // A valid signature by the same key, of another image.
    let mut img = a.clone();
    img[sig..sig + 64].copy_from_slice(&b[sig..sig + 64]);
    assert_eq!(verify(&img, &ks), Err(VerifyError::BadSignature));

    // A whole valid header (digest and signature included) on another
    // payload of the size it announces.
    let mut img = b[..256].to_vec();
    img.resize(b.len(), 0);
    assert_eq!(verify(&img, &ks), Err(VerifyError::HashMismatch));
}

#[test]
fn key_hint_of_another_key() {
    let ecc = ecc_key();
    let ed = tv::read("keys/ed25519/ed25519_pub.der");
    // Another valid P-256 key: the curve's generator point.
    let g: Vec<u8> = [
        "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
        "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
    ]
    .concat()
    .as_bytes()
    .chunks(2)
    .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
    .collect();
    let slots = [
        KeySlot::new(0, AuthType::Ecc256, &ecc),
        KeySlot::new(1, AuthType::Ed25519, &ed),
        KeySlot::new(2, AuthType::Ecc256, &g),
    ];
    let ks = Keystore::new(&slots);
    let good = tv::read(V668);
    assert_eq!(verify(&good, &ks), Ok(668));
    let at = field(&good, tlv::PUBKEY_HINT) + 4;
    let with_hint = |key: &[u8]| {
        let mut img = good.clone();
        let h = key_hint(HashAlgorithm::Sha256, key).unwrap();
        img[at..at + 32].copy_from_slice(h.as_bytes());
        img
    };

    // A trusted key of another type.
    assert_eq!(
        verify(&with_hint(&ed), &ks),
        Err(VerifyError::WrongAlgorithm)
    );
    // A trusted key of the same type: the hint is covered by the digest.
    assert_eq!(verify(&with_hint(&g), &ks), Err(VerifyError::HashMismatch));
    // A key the keystore does not hold.
    assert_eq!(
        verify(&with_hint(&[0x42; 64]), &ks),
        Err(VerifyError::UnknownKey)
    );
}
