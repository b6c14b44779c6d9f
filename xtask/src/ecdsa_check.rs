//! The on-chip ECDSA P-256 check (`mps2-an386 ECDSA P-256 on the chip` in
//! `cargo xtask test`): the cases the host writes for the board's
//! `ecdsa-check` program, each with RustCrypto's verdict, and the QEMU run
//! that compares the chip's verdicts with them.
//!
//! The cases: wolfBoot's own ECC256 images (key, digest field and signature
//! as its C `sign` wrote them; SHA-256, SHA-384 and SHA3-384 digests),
//! signatures of our signer over SHA-256 and SHA-384 digests and their
//! high-S twins (accepted, as wolfBoot accepts them), and what must be
//! refused: r or s zero, equal to n, above n or all ones; a coordinate
//! equal to p or all ones, a key off the curve, the identity's zero key,
//! a changed digest, and single bit flips in key, signature and digest.

use std::path::Path;

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256, Sha384};
use wolfboot_image_format::{AuthType, HashAlgorithm};
use wolfboot_verify::{verify_signature, VerifyPolicy};

/// Bytes of one case: verdict, digest length, X||Y, r||s, digest (48 bytes,
/// the first `digest length` used). `src/bin/ecdsa-check.rs` reads the same.
pub const CASE_LEN: usize = 2 + 64 + 64 + 48;

/// The order n of the P-256 group, big-endian.
const N: [u8; 32] = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
/// The field prime p of P-256, big-endian.
const P: [u8; 32] = hex32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

/// `a - b` on 256-bit big-endian integers (a ≥ b).
fn sub(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = d.rem_euclid(256) as u8;
    }
    out
}

/// One ECDSA P-256 verification to make on the chip.
#[derive(Clone)]
pub struct Case {
    /// X||Y.
    pub key: Vec<u8>,
    /// The digest (32 or 48 bytes).
    pub digest: Vec<u8>,
    /// r||s.
    pub sig: Vec<u8>,
}

impl Case {
    /// RustCrypto's verdict, through the host build of `wolfboot-verify`.
    pub fn accepted(&self) -> bool {
        let hash = if self.digest.len() == 48 {
            HashAlgorithm::Sha384
        } else {
            HashAlgorithm::Sha256
        };
        verify_signature(
            AuthType::Ecc256,
            &self.key,
            hash,
            &self.digest,
            &self.sig,
            &VerifyPolicy::new(),
        )
        .is_ok()
    }

    fn with_sig(&self, r: &[u8], s: &[u8]) -> Case {
        Case {
            sig: [r, s].concat(),
            ..self.clone()
        }
    }

    fn with_key(&self, x: &[u8], y: &[u8]) -> Case {
        Case {
            key: [x, y].concat(),
            ..self.clone()
        }
    }

    fn flipped(&self, field: usize, bit: usize) -> Case {
        let mut c = self.clone();
        // A P-256 signature covers only the leftmost 256 bits of a longer
        // digest: flips land there.
        let (v, len) = match field {
            0 => (&mut c.key, 64),
            1 => (&mut c.sig, 64),
            _ => (&mut c.digest, 32),
        };
        let bit = bit % (len * 8);
        v[bit / 8] ^= 1 << (bit % 8);
        c
    }

    fn encode(&self, accepted: bool) -> [u8; CASE_LEN] {
        let mut out = [0u8; CASE_LEN];
        out[0] = u8::from(accepted);
        out[1] = self.digest.len() as u8;
        out[2..66].copy_from_slice(&self.key);
        out[66..130].copy_from_slice(&self.sig);
        out[130..130 + self.digest.len()].copy_from_slice(&self.digest);
        out
    }
}

/// wolfBoot's valid ECC256 images from the repository's vectors.
fn wolfboot_cases() -> Result<Vec<Case>, String> {
    Ok(crate::chip_cases::wolfboot_signatures("ecc256")?
        .into_iter()
        .map(|w| Case {
            key: w.key,
            digest: w.digest,
            sig: w.sig,
        })
        .collect())
}

/// A signature of our own: key `i`, over a SHA-256 (or SHA-384) digest.
fn own_case(i: u32, sha384: bool) -> Case {
    let seed = Sha256::digest(format!("ecdsa-check key {i}").as_bytes());
    let key = SigningKey::from_slice(&seed).expect("a SHA-256 output is a valid P-256 scalar");
    let msg = format!("ecdsa-check message {i}");
    let digest = if sha384 {
        Sha384::digest(msg.as_bytes()).to_vec()
    } else {
        Sha256::digest(msg.as_bytes()).to_vec()
    };
    let sig: Signature = key.sign_prehash(&digest).expect("signing a digest");
    let point = key.verifying_key().to_sec1_point(false);
    Case {
        key: point.as_bytes()[1..].to_vec(),
        digest,
        sig: sig.to_bytes().to_vec(),
    }
}

/// Every case with RustCrypto's verdict; fails if a case meant to be
/// accepted or refused is not (the generator checks itself).
pub fn cases() -> Result<Vec<(Case, bool)>, String> {
    let mut accept = wolfboot_cases()?;
    let own: Vec<Case> = (0..12).map(|i| own_case(i, i % 4 == 3)).collect();
    for c in &own {
        let (r, s) = c.sig.split_at(32);
        // The high-S twin: (r, n - s) verifies as well.
        accept.push(c.with_sig(r, &sub(&N, s)));
    }
    accept.extend(own.iter().cloned());
    let base = &own[0];
    let (r, s) = base.sig.split_at(32);
    let (x, y) = base.key.split_at(32);
    let zero = [0u8; 32];
    // y with its lowest bit flipped: (x, y') is not on the curve.
    let mut off_curve_y: [u8; 32] = y.try_into().map_err(|_| "key of 64 bytes")?;
    off_curve_y[31] ^= 1;
    let ones = [0xffu8; 32];
    let mut n_plus_r = sub(&N, &zero);
    n_plus_r[31] = n_plus_r[31].wrapping_add(1);
    let mut refuse = vec![
        base.with_sig(&zero, s),
        base.with_sig(r, &zero),
        base.with_sig(&N, s),
        base.with_sig(r, &N),
        base.with_sig(&n_plus_r, s),
        base.with_sig(r, &n_plus_r),
        base.with_sig(&ones, s),
        base.with_sig(r, &ones),
        base.with_sig(&zero, &zero),
        base.with_key(&P, y),
        base.with_key(x, &P),
        base.with_key(&ones, y),
        base.with_key(x, &ones),
        base.with_key(&zero, &zero),
        base.with_key(x, &off_curve_y),
        base.flipped(2, 0),
    ];
    // Single bit flips across key, signature and digest of every own case.
    for (i, c) in own.iter().enumerate() {
        for field in 0..3 {
            refuse.push(c.flipped(field, i * 37 + field * 101 + 5));
        }
    }
    let mut out = Vec::new();
    for (cases, want) in [(accept, true), (refuse, false)] {
        for (i, c) in cases.into_iter().enumerate() {
            let got = c.accepted();
            if got != want {
                return Err(format!(
                    "ECDSA case generator: RustCrypto {} case {i} meant to be {}",
                    if got { "accepts" } else { "refuses" },
                    if want { "accepted" } else { "refused" }
                ));
            }
            out.push((c, got));
        }
    }
    Ok(out)
}

/// Write the cases to `path`; returns how many.
pub fn write_cases(path: &Path) -> Result<usize, String> {
    crate::chip_cases::write_judged(path, &cases()?, Case::encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_accepts_and_refuses_what_it_means_to() {
        let cases = cases().unwrap();
        let accepted = cases.iter().filter(|(_, v)| *v).count();
        assert!(accepted >= 24 + 5, "{accepted}");
        assert!(cases.len() - accepted >= 16 + 36);
    }

    #[test]
    fn n_minus_s_is_the_high_s_twin() {
        let one = {
            let mut v = [0u8; 32];
            v[31] = 1;
            v
        };
        let t = sub(&N, &one);
        assert_eq!(t[31], 0x50);
        assert_eq!(sub(&t, &t), [0u8; 32]);
    }
}
