//! Truncated, random and adversarial headers: typed errors, never a panic.

use wolfboot_image_format::{wire, HeaderError, Image, ImageHeader};
use wolfboot_test_vectors as vectors;

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn exercise(bytes: &[u8]) {
    for size in [256usize, 512, 1024] {
        if let Ok(h) = ImageHeader::parse(bytes, size) {
            let _ = (
                h.version(),
                h.timestamp(),
                h.image_type(),
                h.digest(),
                h.delta(),
            );
            let _ = (h.pubkey_hint(), h.signature(), h.total_size());
            for t in h.tlvs() {
                assert!(t.offset + 4 + t.value.len() <= size);
            }
        }
    }
    let _ = Image::parse_auto(bytes);
}

#[test]
fn every_truncation_of_real_images_is_an_error_not_a_panic() {
    for file in [
        "ecc256_sha256_v668_signed.bin",
        "rsa4096_sha384_v457_signed.bin",
    ] {
        let full = vectors::read(file);
        for len in 0..full.len() {
            exercise(&full[..len]);
            let r = Image::parse_auto(&full[..len]);
            assert!(r.is_err(), "{file} cut at {len} parsed");
        }
        assert!(Image::parse_auto(&full).is_ok());
    }
}

#[test]
fn random_and_mutated_headers_never_panic() {
    let base = vectors::read("ecc256_sha256_v668_signed.bin");
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for round in 0..20_000 {
        let mut buf = if round % 2 == 0 {
            base.clone()
        } else {
            let mut v = vec![0u8; 2048];
            v.iter_mut().for_each(|b| *b = rng.next() as u8);
            v[..4].copy_from_slice(&wire::IMAGE_MAGIC.to_le_bytes());
            v
        };
        for _ in 0..(rng.next() % 8 + 1) {
            let at = (rng.next() as usize) % 300;
            buf[at] = rng.next() as u8;
        }
        let cut = (rng.next() as usize) % (buf.len() + 1);
        exercise(&buf[..cut]);
        exercise(&buf);
    }
}

#[test]
fn length_field_overflowing_the_header_stops_the_walk() {
    let mut h = vec![0xFFu8; 256];
    h[..4].copy_from_slice(&wire::IMAGE_MAGIC.to_le_bytes());
    h[8..12].copy_from_slice(&[0x01, 0x00, 0xF8, 0x00]); // version, len 248: too long
    let hdr = ImageHeader::parse(&h, 256).unwrap();
    assert_eq!(hdr.tlvs().count(), 0);
    assert_eq!(
        hdr.version(),
        Err(HeaderError::MissingTlv(wire::tlv::VERSION))
    );
    h[8..12].copy_from_slice(&[0x01, 0x00, 0x08, 0x00]); // version with 8 bytes
    let hdr = ImageHeader::parse(&h, 256).unwrap();
    assert_eq!(
        hdr.version(),
        Err(HeaderError::BadTlvLength(wire::tlv::VERSION))
    );
}

#[test]
fn bad_header_sizes_are_rejected() {
    let base = vectors::read("ecc256_sha256_v668_signed.bin");
    for size in [0usize, 8, 255, 300, 128, 1 << 17] {
        assert_eq!(
            ImageHeader::parse(&base, size),
            Err(HeaderError::BadHeaderSize)
        );
    }
}

#[test]
fn size_field_past_the_end_is_payload_truncated() {
    let mut img = vectors::read("ecc256_sha256_v668_signed.bin");
    img[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(Image::parse(&img, 256), Err(HeaderError::PayloadTruncated));
}
