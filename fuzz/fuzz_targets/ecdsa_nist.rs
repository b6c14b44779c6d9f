//! The bootloader's own ECDSA check (`wolfboot_verify::ecdsa_nist`, the Arm
//! backend for P-256 and P-384) against RustCrypto's `p256` / `p384` (the
//! backends of the host tools): the same verdict (accepted, bad key, bad
//! signature) on every input.
//!
//! Input: byte 0 picks the mode; its bit 1 the curve (0: P-256, 1: P-384,
//! field size F = 32 or 48 bytes).
//! * bit 0 clear: the next F bytes are a private key (skipped when not a
//!   valid scalar), the next 48 the digest (32 when bit 2 is set); the
//!   signature is RustCrypto's, then (byte 0 ≥ 8) one bit of signature ‖
//!   key is flipped, chosen by byte 0. Unflipped, both must accept.
//! * bit 0 set: key X ‖ Y (2F bytes), signature r ‖ s (2F), digest (the rest).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::seeds;
use wolfboot_verify::{ecdsa_nist, VerifyError};

/// RustCrypto's verdict and a fresh signature for one curve crate.
macro_rules! reference {
    ($name:ident, $sign:ident, $krate:ident) => {
        fn $name(key: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
            use $krate::ecdsa::signature::hazmat::PrehashVerifier as _;
            use $krate::ecdsa::{Signature, VerifyingKey};
            use $krate::elliptic_curve::point::AffineCoordinates as _;
            let (x, y) = key.split_at(key.len() / 2);
            let (Ok(x), Ok(y)) = (
                $krate::FieldBytes::try_from(x),
                $krate::FieldBytes::try_from(y),
            ) else {
                return Err(VerifyError::BadPublicKey);
            };
            let point: Option<$krate::AffinePoint> =
                $krate::AffinePoint::from_coordinates(&x, &y).into();
            let point = point.ok_or(VerifyError::BadPublicKey)?;
            let key = VerifyingKey::from_affine(point).map_err(|_| VerifyError::BadPublicKey)?;
            let sig = Signature::from_slice(sig).map_err(|_| VerifyError::BadSignature)?;
            key.verify_prehash(digest, &sig)
                .map_err(|_| VerifyError::BadSignature)
        }

        /// (raw key, raw signature) of `secret` over `digest`, if it is a key.
        fn $sign(secret: &[u8], digest: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
            use $krate::ecdsa::signature::hazmat::PrehashSigner as _;
            use $krate::ecdsa::{Signature, SigningKey};
            let signer = SigningKey::from_slice(secret).ok()?;
            let sig: Signature = signer.sign_prehash(digest).ok()?;
            let key = signer.verifying_key().to_sec1_point(false).as_bytes()[1..].to_vec();
            Some((key, sig.to_bytes().to_vec()))
        }
    };
}

reference!(p256_verdict, p256_sign, p256);
reference!(p384_verdict, p384_sign, p384);

fuzz_target!(
    init: {
        seeds::write_from_env("ecdsa_nist");
    },
    |data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let p384 = mode & 2 != 0;
        let field = if p384 { 48 } else { 32 };
        let (key, sig, digest) = if mode & 1 == 0 {
            let (Some(secret), Some(digest)) = (
                rest.get(..field),
                rest.get(field..field + if mode & 4 != 0 { 32 } else { 48 }),
            ) else {
                return;
            };
            let signed = if p384 {
                p384_sign(secret, digest)
            } else {
                p256_sign(secret, digest)
            };
            let Some((mut key, mut sig)) = signed else {
                return;
            };
            if mode >= 8 {
                let bit = usize::from(mode) * 7 % (32 * field);
                if bit < 16 * field {
                    sig[bit / 8] ^= 1 << (bit % 8);
                } else {
                    key[(bit - 16 * field) / 8] ^= 1 << (bit % 8);
                }
            }
            (key, sig, digest)
        } else {
            let (Some(key), Some(sig), Some(digest)) = (
                rest.get(..2 * field),
                rest.get(2 * field..4 * field),
                rest.get(4 * field..),
            ) else {
                return;
            };
            (key.to_vec(), sig.to_vec(), digest)
        };
        let (ours, theirs) = if p384 {
            (
                ecdsa_nist::verify_p384(&key, digest, &sig),
                p384_verdict(&key, digest, &sig),
            )
        } else {
            (
                ecdsa_nist::verify_p256(&key, digest, &sig),
                p256_verdict(&key, digest, &sig),
            )
        };
        assert_eq!(ours, theirs, "verdicts differ");
        if mode & 1 == 0 && mode < 8 {
            assert_eq!(ours, Ok(()), "a fresh signature was refused");
        }
    }
);
