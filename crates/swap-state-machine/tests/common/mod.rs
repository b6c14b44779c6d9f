//! Test support: a real SHA-256 integrity verifier for wolfBoot images and
//! flash setups.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use wolfboot_image_format::{HashAlgorithm, ImageType};
use wolfboot_swap_state_machine::{
    ImageSource, ImageVerifier, PartitionId, VerifiedImage, VerifyError,
};

pub const HDR: u32 = 256;

/// Checks the SHA-256 TLV of a wolfBoot image: digest of the header up to
/// the SHA TLV, then the payload. Signatures are not checked (that is
/// `wolfboot-verify`'s job); the digest is real.
#[derive(Default)]
pub struct Sha256Verifier {
    pub calls: u64,
}

fn tlv(h: &[u8], wanted: u16) -> Option<(usize, usize)> {
    let mut p = 8usize;
    while p + 4 < h.len() {
        let ty = u16::from_le_bytes([h[p], h[p + 1]]);
        if ty == 0 {
            return None;
        }
        if h[p] == 0xFF || p % 2 == 1 {
            p += 1;
            continue;
        }
        let len = u16::from_le_bytes([h[p + 2], h[p + 3]]) as usize;
        if p + 4 + len > h.len() {
            return None;
        }
        if ty == wanted {
            return Some((p, len));
        }
        p += 4 + len;
    }
    None
}

impl ImageVerifier for Sha256Verifier {
    fn verify(
        &mut self,
        _part: PartitionId,
        img: &mut dyn ImageSource,
    ) -> Result<VerifiedImage, VerifyError> {
        self.calls += 1;
        let mut h = [0u8; HDR as usize];
        img.read_at(0, &mut h)?;
        if h[..4] != *b"WOLF" {
            return Err(VerifyError::BadMagic);
        }
        let size = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        if size > img.len().saturating_sub(HDR) {
            return Err(VerifyError::TooLarge);
        }
        let field = |tag: u16, len: usize| match tlv(&h, tag) {
            None => Err(VerifyError::MissingTlv(tag)),
            Some((_, l)) if l != len => Err(VerifyError::BadTlvLength(tag)),
            Some((p, _)) => Ok(p),
        };
        let vp = field(1, 4)?;
        let tp = field(4, 2)?;
        let sp = field(3, 32)?;
        tlv(&h, 0x20).ok_or(VerifyError::MissingTlv(0x20))?;
        let mut d = Sha256::new();
        d.update(&h[..sp]);
        let mut buf = [0u8; 1024];
        let mut off = 0;
        while off < size {
            let n = (size - off).min(1024) as usize;
            img.read_at(HDR + off, &mut buf[..n])?;
            d.update(&buf[..n]);
            off += n as u32;
        }
        let digest = d.finalize();
        if digest[..] != h[sp + 4..sp + 36] {
            return Err(VerifyError::HashMismatch);
        }
        Ok(VerifiedImage {
            version: u32::from_le_bytes([h[vp + 4], h[vp + 5], h[vp + 6], h[vp + 7]]),
            image_type: ImageType(u16::from_le_bytes([h[tp + 4], h[tp + 5]])),
            header_size: HDR as usize,
            payload_size: size,
            digest: wolfboot_verify::Digest::from_slice(HashAlgorithm::Sha256, &digest).unwrap(),
            key_slot: None,
            secondary: None,
        })
    }
}

/// A file of the wolfBoot vectors (`wolfboot-test-vectors`).
pub fn vector(name: &str) -> Vec<u8> {
    wolfboot_test_vectors::read(name)
}

/// The ECC P-256 keystore that signed the ecc256 vectors (`keys/ecc256`).
pub fn ecc256_keystore() -> &'static wolfboot_verify::Keystore<'static> {
    static KS: std::sync::OnceLock<wolfboot_verify::Keystore<'static>> = std::sync::OnceLock::new();
    KS.get_or_init(|| keystore_from("keys/ecc256/keystore.der"))
}

/// The Ed25519 keystore that signed the ed25519 vectors (`keys/ed25519`).
pub fn ed25519_keystore() -> &'static wolfboot_verify::Keystore<'static> {
    static KS: std::sync::OnceLock<wolfboot_verify::Keystore<'static>> = std::sync::OnceLock::new();
    KS.get_or_init(|| keystore_from("keys/ed25519/keystore.der"))
}

fn keystore_from(file: &str) -> wolfboot_verify::Keystore<'static> {
    let bytes: &'static [u8] = Box::leak(wolfboot_test_vectors::read(file).into_boxed_slice());
    let slots: Vec<_> = wolfboot_verify::parse_keystore(bytes)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(!slots.is_empty(), "{file}: no key");
    wolfboot_verify::Keystore::new(Box::leak(slots.into_boxed_slice()))
}

/// Either verifier, so one harness runs with both.
pub enum TestVerifier {
    /// SHA-256 digest only (fast).
    Digest(Sha256Verifier),
    /// The real one: keystore, digest and signature.
    Keys(wolfboot_swap_state_machine::KeystoreVerifier<'static, { HDR as usize }>),
    /// The real one for 512-byte headers (delta builds, as wolfBoot's sign sizes them).
    Keys512(wolfboot_swap_state_machine::KeystoreVerifier<'static, 512>),
}

impl TestVerifier {
    pub fn keys(ks: &'static wolfboot_verify::Keystore<'static>) -> Self {
        TestVerifier::Keys(wolfboot_swap_state_machine::KeystoreVerifier::new(ks))
    }
}

impl ImageVerifier for TestVerifier {
    fn verify(
        &mut self,
        part: PartitionId,
        img: &mut dyn ImageSource,
    ) -> Result<VerifiedImage, VerifyError> {
        match self {
            TestVerifier::Digest(v) => v.verify(part, img),
            TestVerifier::Keys(v) => v.verify(part, img),
            TestVerifier::Keys512(v) => v.verify(part, img),
        }
    }
}
