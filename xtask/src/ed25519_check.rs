//! The on-chip Ed25519 check (`mps2-an385 Ed25519 on the chip` and the
//! same on mps2-an386 in `cargo xtask test`): the cases the host writes for the board's
//! `ed25519-check` program, each with ed25519-dalek's verdict (the crate
//! our host tools sign with), and the QEMU run that compares the chip's
//! verdicts with them. The program also compares the chip's field
//! multiplication (assembly on ARMv7-M and ARMv7E-M) with the portable one.
//!
//! The cases: wolfBoot's own Ed25519 images (key, digest field and
//! signature as its C `sign` wrote them; SHA-256, SHA-384 and SHA3-384
//! digests), signatures of our own over 32- and 48-byte digests, and the
//! edges: s equal to ℓ, above it or all ones; a non-canonical R; keys that
//! are not on the curve, non-canonical, of small order (the identity with
//! s = 0 and R the identity, which a cofactorless verifier accepts), or
//! "negative zero"; a changed digest, and single bit flips in key,
//! signature and digest.

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256, Sha384};
use wolfboot_image_format::{AuthType, HashAlgorithm};
use wolfboot_verify::{verify_signature, VerifyPolicy};

/// Bytes of one case: verdict, digest length, key, R||s, digest (48
/// bytes, the first `digest length` used). `src/bin/ed25519-check.rs`
/// reads the same.
pub const CASE_LEN: usize = 2 + 32 + 64 + 48;

/// The group order ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The field prime p = 2^255 − 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// `a + b` on 256-bit little-endian integers, modulo 2^256.
fn add(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

/// A little-endian 256-bit number with only `low` in its lowest byte and
/// `top` in its highest.
fn small(low: u8, top: u8) -> [u8; 32] {
    let mut v = [0u8; 32];
    v[0] = low;
    v[31] |= top;
    v
}

/// One Ed25519 verification to make on the chip.
#[derive(Clone)]
pub struct Case {
    pub key: [u8; 32],
    /// The digest (32 or 48 bytes): the signed message.
    pub digest: Vec<u8>,
    /// R||s.
    pub sig: [u8; 64],
}

impl Case {
    /// ed25519-dalek's verdict (`VerifyingKey::verify`: cofactorless,
    /// s below ℓ, no small-order check).
    pub fn dalek(&self) -> bool {
        VerifyingKey::from_bytes(&self.key).is_ok_and(|k| {
            k.verify(&self.digest, &Signature::from_bytes(&self.sig))
                .is_ok()
        })
    }

    /// Ours, through the host build of `wolfboot-verify`.
    fn ours(&self) -> bool {
        let hash = if self.digest.len() == 48 {
            HashAlgorithm::Sha384
        } else {
            HashAlgorithm::Sha256
        };
        verify_signature(
            AuthType::Ed25519,
            &self.key,
            hash,
            &self.digest,
            &self.sig,
            &VerifyPolicy::new(),
        )
        .is_ok()
    }

    fn with_r(&self, r: &[u8]) -> Case {
        let mut c = self.clone();
        c.sig[..32].copy_from_slice(r);
        c
    }

    fn with_s(&self, s: &[u8]) -> Case {
        let mut c = self.clone();
        c.sig[32..].copy_from_slice(s);
        c
    }

    fn with_key(&self, key: [u8; 32]) -> Case {
        Case {
            key,
            ..self.clone()
        }
    }

    fn flipped(&self, field: usize, bit: usize) -> Case {
        let mut c = self.clone();
        let v: &mut [u8] = match field {
            0 => &mut c.key,
            1 => &mut c.sig,
            _ => &mut c.digest,
        };
        let bit = bit % (v.len() * 8);
        v[bit / 8] ^= 1 << (bit % 8);
        c
    }

    fn encode(&self, accepted: bool) -> [u8; CASE_LEN] {
        let mut out = [0u8; CASE_LEN];
        out[0] = u8::from(accepted);
        out[1] = self.digest.len() as u8;
        out[2..34].copy_from_slice(&self.key);
        out[34..98].copy_from_slice(&self.sig);
        out[98..98 + self.digest.len()].copy_from_slice(&self.digest);
        out
    }
}

/// wolfBoot's valid Ed25519 images from the repository's vectors.
fn wolfboot_cases() -> Result<Vec<Case>, String> {
    crate::chip_cases::wolfboot_signatures("ed25519")?
        .into_iter()
        .map(|w| {
            Ok(Case {
                key: w
                    .key
                    .try_into()
                    .map_err(|_| "an Ed25519 key is not 32 bytes")?,
                sig: w
                    .sig
                    .try_into()
                    .map_err(|_| "an Ed25519 signature is not 64 bytes")?,
                digest: w.digest,
            })
        })
        .collect()
}

/// A signature of our own: key `i`, over a SHA-256 (or SHA-384) digest.
fn own_case(i: u32, sha384: bool) -> Case {
    let seed: [u8; 32] = Sha256::digest(format!("ed25519-check key {i}").as_bytes()).into();
    let key = SigningKey::from_bytes(&seed);
    let msg = format!("ed25519-check message {i}");
    let digest = if sha384 {
        Sha384::digest(msg.as_bytes()).to_vec()
    } else {
        Sha256::digest(msg.as_bytes()).to_vec()
    };
    Case {
        key: key.verifying_key().to_bytes(),
        sig: key.sign(&digest).to_bytes(),
        digest,
    }
}

/// The first y from 2 up whose encoding is not a point (no x for it).
fn off_curve_key() -> [u8; 32] {
    (2u8..)
        .map(|y| small(y, 0))
        .find(|k| VerifyingKey::from_bytes(k).is_err())
        .unwrap_or([0u8; 32])
}

/// Every case with ed25519-dalek's verdict; fails if our host verifier
/// disagrees with it anywhere (the generator checks itself), or if a case
/// meant to be accepted is not.
pub fn cases() -> Result<Vec<(Case, bool)>, String> {
    let mut accept = wolfboot_cases()?;
    let own: Vec<Case> = (0..12).map(|i| own_case(i, i % 3 == 2)).collect();
    accept.extend(own.iter().cloned());
    // The identity as key, R the identity, s = 0: [0]B − [k]O = O.
    let identity = small(1, 0);
    let mut small_order = own[0].with_key(identity).with_r(&identity);
    small_order.sig[32..].fill(0);
    accept.push(small_order);

    let base = &own[0];
    let s = &base.sig[32..];
    let mut edges = vec![
        base.with_s(&ELL),
        base.with_s(&add(s, &ELL)),
        base.with_s(&[0xff; 32]),
        base.with_s(&small(0, 0x80)),
        base.with_s(&small(0, 0)),
        base.with_r(&add(&base.sig[..32], &P)),
        base.with_r(&P),
        base.with_key(off_curve_key()),
        base.with_key(P),
        base.with_key(add(&base.key, &small(19, 0x80))),
        base.with_key(small(1, 0x80)),
        base.with_key(add(&P, &small(0xff, 0))),
        base.with_key([0xff; 32]),
        base.with_key(small(0, 0)),
        // y = −1: the point of order 2.
        base.with_key(add(&P, &[0xff; 32])),
        base.flipped(2, 0),
    ];
    // Single bit flips across key, signature and digest of every own case.
    for (i, c) in own.iter().enumerate() {
        for field in 0..3 {
            edges.push(c.flipped(field, i * 37 + field * 101 + 5));
        }
    }
    let mut out = Vec::new();
    for (i, c) in accept.into_iter().enumerate() {
        if !c.dalek() {
            return Err(format!(
                "Ed25519 case generator: ed25519-dalek refuses case {i}, meant to be accepted"
            ));
        }
        out.push(c);
    }
    out.extend(edges);
    let mut judged = Vec::new();
    for (i, c) in out.into_iter().enumerate() {
        let want = c.dalek();
        if c.ours() != want {
            return Err(format!(
                "Ed25519 case generator: the host verifier and ed25519-dalek disagree on case {i}"
            ));
        }
        judged.push((c, want));
    }
    Ok(judged)
}

/// Write the cases to `path`; returns how many.
pub fn write_cases(path: &Path) -> Result<usize, String> {
    crate::chip_cases::write_judged(path, &cases()?, Case::encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_has_both_verdicts() {
        let cases = cases().unwrap();
        let accepted = cases.iter().filter(|(_, v)| *v).count();
        // wolfBoot's five images, twelve of ours and the small-order one.
        let (wolfboot, ours, small_order) = (5, 12, 1);
        assert!(accepted >= wolfboot + ours + small_order, "{accepted}");
        assert!(
            cases.len() - accepted >= 12 + 36,
            "{}",
            cases.len() - accepted
        );
        assert!(cases.iter().any(|(c, _)| c.digest.len() == 48));
    }

    #[test]
    fn ell_and_p_are_the_curve_constants() {
        // ℓ = 2^252 + 27742317777372353535851937790883648493.
        let low = u128::from_le_bytes(ELL[..16].try_into().unwrap());
        assert_eq!(low, 27742317777372353535851937790883648493);
        assert_eq!(ELL[16..31], [0u8; 15]);
        assert_eq!(ELL[31], 0x10);
        // p + 19 = 2^255.
        assert_eq!(add(&P, &small(19, 0)), small(0, 0x80));
    }
}
