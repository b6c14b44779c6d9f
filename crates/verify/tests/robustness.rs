//! Truncated, random and mutated inputs never panic; flash-backed sources
//! verify like slices.

mod common;

use common::XorShift;
use embedded_storage::nor_flash::{ErrorType, NorFlashError, NorFlashErrorKind, ReadNorFlash};
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    key_hint, verify_image, verify_image_bytes, FlashSource, HashAlgorithm, ImageHasher,
    ImageSource, KeySlot, Keystore, SourceError, VerifyError, VerifyOptions,
};

fn keystore_bytes() -> Vec<(wolfboot_verify::AuthType, Vec<u8>)> {
    use wolfboot_verify::AuthType::*;
    [
        (Ed25519, "ed25519"),
        (Ed448, "ed448"),
        (Ecc256, "ecc256"),
        (Ecc384, "ecc384"),
        (Ecc521, "ecc521"),
        (Rsa2048, "rsa2048"),
        (Rsa3072, "rsa3072"),
        (Rsa4096, "rsa4096"),
    ]
    .into_iter()
    .map(|(t, a)| (t, tv::read(&format!("keys/{a}/{a}_pub.der"))))
    .collect()
}

fn with_all_keys<R>(f: impl FnOnce(&Keystore<'_>) -> R) -> R {
    let keys = keystore_bytes();
    let slots: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, (t, k))| KeySlot::new(i as u32, *t, k))
        .collect();
    f(&Keystore::new(&slots))
}

const PERMISSIVE: VerifyOptions<'static> = VerifyOptions {
    allow_unsigned: true,
    ..VerifyOptions::new()
};

#[test]
fn every_truncation_is_refused_without_panicking() {
    with_all_keys(|ks| {
        for file in [
            "ecc256_sha256_v668_signed.bin",
            "rsa4096_sha384_v457_signed.bin",
            "nosign_sha256_v32_signed.bin",
        ] {
            let image = tv::read(file);
            assert!(verify_image_bytes(&image, ks, &PERMISSIVE).is_ok());
            let hs = wolfboot_image_format::ImageHeader::parse_auto(&image)
                .unwrap()
                .header_size();
            for n in 0..image.len() {
                let cut = &image[..n];
                let r = verify_image_bytes(cut, ks, &PERMISSIVE);
                let want = if n < hs {
                    VerifyError::Truncated
                } else {
                    VerifyError::PayloadTruncated
                };
                // parse_auto may settle on a smaller header for a short image;
                // any refusal is fine as long as it is a truncation or the
                // fields it then cannot find.
                match r {
                    Err(e) if e == want => {}
                    Err(VerifyError::Truncated | VerifyError::PayloadTruncated) => {}
                    Err(VerifyError::MissingTlv(_) | VerifyError::BadTlvLength(_)) if n < hs => {}
                    other => panic!("{file} cut at {n}: {other:?}"),
                }
                let mut hdr = vec![0u8; hs];
                let mut src = cut;
                let r = verify_image(&mut src, &mut hdr, ks, &PERMISSIVE);
                assert_eq!(r, Err(want), "{file} streaming cut at {n}");
            }
        }
    });
}

#[test]
fn random_mutations_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let files = [
        "ed25519_sha256_v262_signed.bin",
        "ed448_sha3_v484_signed.bin",
        "ecc521_sha256_v30_signed.bin",
        "rsa2048_sha256_v400_signed.bin",
        "rsapss2048_v326_signed.bin",
        "custom_tlv_string_v822_signed.bin",
        "nosign_sha256_v32_signed.bin",
    ];
    let images: Vec<Vec<u8>> = files.iter().map(|f| tv::read(f)).collect();
    with_all_keys(|ks| {
        for round in 0..3000 {
            let base = &images[rng.below(images.len())];
            let hs = wolfboot_image_format::ImageHeader::parse_auto(base)
                .unwrap()
                .header_size();
            let mut img = base.clone();
            // Mutate 1..8 header bytes, sometimes lengths and tags specifically.
            for _ in 0..1 + rng.below(8) {
                let at = 4 + rng.below(hs - 4);
                img[at] = rng.next_u64() as u8;
            }
            if round % 5 == 0 {
                let cut = rng.below(img.len());
                img.truncate(cut);
            }
            let r = verify_image_bytes(&img, ks, &PERMISSIVE);
            if img.len() >= hs {
                let mut hdr = vec![0u8; hs];
                let mut src: &[u8] = &img;
                let _ = verify_image(&mut src, &mut hdr, ks, &PERMISSIVE);
            }
            // Must not verify unless the mutations hit only bytes outside the
            // digest's coverage that do not matter (padding, or a byte left
            // equal).
            if r.is_ok() {
                let changed: Vec<usize> = (0..hs.min(img.len()))
                    .filter(|&i| img[i] != base[i])
                    .collect();
                let field = wolfboot_image_format::ImageHeader::parse_auto(base)
                    .unwrap()
                    .digest()
                    .unwrap();
                assert!(
                    changed.iter().all(|&i| i >= field.covered_header_len),
                    "round {round}: a covered header byte changed yet verified: {changed:?}"
                );
            }
        }
        // Fully random headers behind a valid magic.
        for _ in 0..2000 {
            let len = rng.below(2048);
            let mut img: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            if len >= 4 {
                img[..4].copy_from_slice(b"WOLF");
            }
            if len >= 8 && rng.below(2) == 0 {
                img[4..8].copy_from_slice(&((rng.below(64)) as u32).to_le_bytes());
            }
            assert!(verify_image_bytes(&img, ks, &PERMISSIVE).is_err());
            let mut hdr = [0u8; 256];
            let mut src: &[u8] = &img;
            assert!(verify_image(&mut src, &mut hdr, ks, &PERMISSIVE).is_err());
        }
    });
}

#[test]
fn header_buffer_size_is_checked() {
    let image = tv::read("ed25519_sha256_v262_signed.bin");
    with_all_keys(|ks| {
        for n in [0usize, 4, 255, 300, 128] {
            let mut hdr = vec![0u8; n];
            let mut src: &[u8] = &image;
            assert_eq!(
                verify_image(&mut src, &mut hdr, ks, &VerifyOptions::new()),
                Err(VerifyError::BadHeaderSize),
                "{n}"
            );
        }
        // A bigger header size than the image was built with: the digest
        // then covers other bytes as header, so the image cannot verify.
        let mut hdr = vec![0u8; 512];
        let mut src: &[u8] = &image;
        assert!(verify_image(&mut src, &mut hdr, ks, &VerifyOptions::new()).is_err());
    });
}

/// A simple in-memory NOR flash with a configurable read alignment,
/// counting reads.
struct TestFlash<const RS: usize> {
    mem: Vec<u8>,
    reads: usize,
    largest_read: usize,
}

#[derive(Debug)]
struct FlashErr(NorFlashErrorKind);

impl NorFlashError for FlashErr {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl<const RS: usize> ErrorType for TestFlash<RS> {
    type Error = FlashErr;
}

impl<const RS: usize> ReadNorFlash for TestFlash<RS> {
    const READ_SIZE: usize = RS;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashErr> {
        if !(offset as usize).is_multiple_of(RS) || !bytes.len().is_multiple_of(RS) {
            return Err(FlashErr(NorFlashErrorKind::NotAligned));
        }
        let start = offset as usize;
        let src = self
            .mem
            .get(start..start + bytes.len())
            .ok_or(FlashErr(NorFlashErrorKind::OutOfBounds))?;
        bytes.copy_from_slice(src);
        self.reads += 1;
        self.largest_read = self.largest_read.max(bytes.len());
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

fn flash_with_image<const RS: usize>(image: &[u8], base: usize, part: usize) -> TestFlash<RS> {
    let mut mem = vec![0xFFu8; base + part + 4096];
    mem[base..base + image.len()].copy_from_slice(image);
    TestFlash {
        mem,
        reads: 0,
        largest_read: 0,
    }
}

#[test]
fn verifies_straight_from_flash() {
    let image = tv::read("ecc384_sha3_v500_signed.bin"); // 70001-byte payload, 512 header
    let key = tv::read("keys/ecc384/ecc384_pub.der");
    let slots = [KeySlot::new(3, wolfboot_verify::AuthType::Ecc384, &key)];
    let ks = Keystore::new(&slots);
    let part = 128 * 1024;
    let opts = VerifyOptions {
        partition_id: Some(1),
        max_image_size: Some(part as u32 - 64),
        ..VerifyOptions::new()
    };

    let mut flash = flash_with_image::<1>(&image, 0x2_0000, part);
    let mut src = FlashSource::new(&mut flash, 0x2_0000, part as u32).unwrap();
    assert_eq!(src.len(), part as u32);
    let mut hdr = [0u8; 512];
    let v = verify_image(&mut src, &mut hdr, &ks, &opts).unwrap();
    assert_eq!(
        (v.version, v.key_slot, v.header_size, v.payload_size),
        (500, Some(3), 512, 70001)
    );
    // Header, then the payload in chunks of 1 KiB (the hashing buffer on
    // the stack; larger reads cost a bootloader stack, smaller ones time).
    assert!(flash.largest_read <= 1024, "reads in small chunks");

    // A flash that only reads aligned 8-byte units (odd payload length).
    let mut flash = flash_with_image::<8>(&image, 0x1_0000, part);
    let mut src = FlashSource::new(&mut flash, 0x1_0000, part as u32).unwrap();
    assert!(verify_image(&mut src, &mut hdr, &ks, &opts).is_ok());
    // Unaligned reads through the source work too.
    let mut b = [0u8; 13];
    src.read_at(3, &mut b).unwrap();
    assert_eq!(&b, &image[3..16]);

    // Tampered flash contents are refused.
    let mut flash = flash_with_image::<1>(&image, 0, part);
    flash.mem[512 + 40000] ^= 1;
    let mut src = FlashSource::new(&mut flash, 0, part as u32).unwrap();
    assert_eq!(
        verify_image(&mut src, &mut hdr, &ks, &opts),
        Err(VerifyError::HashMismatch)
    );

    // A partition too small for the announced payload.
    let mut flash = flash_with_image::<1>(&image, 0, part);
    let mut src = FlashSource::new(&mut flash, 0, 60000).unwrap();
    assert_eq!(
        verify_image(&mut src, &mut hdr, &ks, &VerifyOptions::new()),
        Err(VerifyError::PayloadTruncated)
    );

    // Windows past the flash end, reads past the window end.
    let mut flash = flash_with_image::<1>(&image, 0, part);
    let cap = flash.mem.len() as u32;
    assert!(FlashSource::new(&mut flash, cap - 10, 11).is_err());
    let mut src = FlashSource::new(&mut flash, 0, 100).unwrap();
    assert_eq!(
        src.read_at(90, &mut [0u8; 11]),
        Err(SourceError::OutOfBounds)
    );
    assert_eq!(
        src.read_at(u32::MAX, &mut [0u8; 2]),
        Err(SourceError::OutOfBounds)
    );
}

#[test]
fn flash_errors_surface_as_source_errors() {
    struct Broken;
    impl ErrorType for Broken {
        type Error = FlashErr;
    }
    impl ReadNorFlash for Broken {
        const READ_SIZE: usize = 1;
        fn read(&mut self, _: u32, _: &mut [u8]) -> Result<(), FlashErr> {
            Err(FlashErr(NorFlashErrorKind::Other))
        }
        fn capacity(&self) -> usize {
            1 << 20
        }
    }
    let mut flash = Broken;
    let mut src = FlashSource::new(&mut flash, 0, 4096).unwrap();
    let mut hdr = [0u8; 256];
    assert_eq!(
        verify_image(
            &mut src,
            &mut hdr,
            &Keystore::new(&[]),
            &VerifyOptions::new()
        ),
        Err(VerifyError::Source(SourceError::Flash(
            NorFlashErrorKind::Other
        )))
    );
}

#[test]
fn streaming_hash_matches_one_shot() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 13 + 32) as u8).collect();
    for alg in HashAlgorithm::ALL {
        let one = key_hint(alg, &data).unwrap();
        let mut h = ImageHasher::new(alg).unwrap();
        assert_eq!(h.algorithm(), alg);
        for chunk in data.chunks(777) {
            h.update(chunk);
        }
        let mut out = [0u8; 64];
        let n = h.clone().finalize_into(&mut out);
        assert_eq!(n, alg.digest_len());
        assert_eq!(&out[..n], one.as_bytes());
        assert_eq!(h.finalize(), one);
        let mut short = [0u8; 8];
        assert_eq!(ImageHasher::new(alg).unwrap().finalize_into(&mut short), 8);
    }
    // Known answer: SHA-256 of nothing (the --no-sign key hint).
    assert_eq!(
        key_hint(HashAlgorithm::Sha256, &[]).unwrap().to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn random_signatures_and_keys_are_refused_without_panicking() {
    use wolfboot_verify::{verify_signature, AuthType, VerifyPolicy};
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let policy = VerifyPolicy::new();
    let keys = keystore_bytes();
    let mut algs: Vec<(AuthType, Vec<u8>)> = keys.clone();
    let rsa2048 = keys
        .iter()
        .find(|(t, _)| *t == AuthType::Rsa2048)
        .unwrap()
        .1
        .clone();
    algs.push((AuthType::RsaPss2048, rsa2048));
    for (auth, key) in &algs {
        for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let digest: Vec<u8> = (0..hash.digest_len())
                .map(|_| rng.next_u64() as u8)
                .collect();
            for round in 0..40 {
                let mut sig: Vec<u8> = (0..auth.signature_len())
                    .map(|_| rng.next_u64() as u8)
                    .collect();
                if round == 0 {
                    sig.fill(0);
                } else if round == 1 {
                    sig.fill(0xFF);
                }
                let r = verify_signature(*auth, key, hash, &digest, &sig, &policy);
                assert_eq!(r, Err(VerifyError::BadSignature), "{auth} round {round}");
                // A random key of the right length.
                let mut k = key.clone();
                let from = if auth.name().starts_with("rsa") {
                    24
                } else {
                    0
                };
                for b in &mut k[from..] {
                    *b = rng.next_u64() as u8;
                }
                let r = verify_signature(*auth, &k, hash, &digest, &sig, &policy);
                assert!(
                    matches!(
                        r,
                        Err(VerifyError::BadPublicKey | VerifyError::BadSignature)
                    ),
                    "{auth} random key: {r:?}"
                );
            }
        }
    }
}
