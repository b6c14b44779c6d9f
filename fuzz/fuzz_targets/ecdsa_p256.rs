//! The bootloader's own ECDSA P-256 check (`wolfboot_verify::ecdsa_p256`,
//! the Cortex-M0/M3 backend) against RustCrypto's `p256` (the backend of
//! the host tools): the same verdict (accepted, bad key, bad signature) on
//! every input.
//!
//! Input: byte 0 picks the mode.
//! * even: bytes 1..33 are a private key (skipped when not a valid scalar),
//!   the next 32 (or 48 when byte 0 is a multiple of 4) the digest; the
//!   signature is RustCrypto's, then (byte 0 ≥ 2) one bit of signature ‖ key
//!   is flipped, chosen by byte 0. Unflipped, both must accept.
//! * odd: key X ‖ Y (64 bytes), signature r ‖ s (64), digest (the rest).
#![no_main]

use libfuzzer_sys::fuzz_target;
use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::point::AffineCoordinates as _;
use wolfboot_fuzz::seeds;
use wolfboot_verify::{ecdsa_p256, VerifyError};

fn rustcrypto(key: &[u8; 64], digest: &[u8], sig: &[u8; 64]) -> Result<(), VerifyError> {
    let (x, y) = key.split_at(32);
    let (Ok(x), Ok(y)) = (p256::FieldBytes::try_from(x), p256::FieldBytes::try_from(y)) else {
        return Err(VerifyError::BadPublicKey);
    };
    let point: Option<p256::AffinePoint> = p256::AffinePoint::from_coordinates(&x, &y).into();
    let point = point.ok_or(VerifyError::BadPublicKey)?;
    let key = VerifyingKey::from_affine(point).map_err(|_| VerifyError::BadPublicKey)?;
    let sig = Signature::from_slice(sig).map_err(|_| VerifyError::BadSignature)?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| VerifyError::BadSignature)
}

fuzz_target!(
    init: {
        seeds::write_from_env("ecdsa_p256");
    },
    |data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let (key, sig, digest) = if mode & 1 == 0 {
            let Some((secret, rest)) = rest.split_first_chunk::<32>() else {
                return;
            };
            let len = if mode % 4 == 0 { 48 } else { 32 };
            let Some(digest) = rest.get(..len) else {
                return;
            };
            let Ok(signer) = SigningKey::from_slice(secret) else {
                return;
            };
            let Ok(s) = signer.sign_prehash(digest) else {
                return;
            };
            let s: Signature = s;
            let mut sig = [0u8; 64];
            sig.copy_from_slice(&s.to_bytes());
            let point = *signer.verifying_key().as_affine();
            let mut key = [0u8; 64];
            key[..32].copy_from_slice(&point.x());
            let encoded = signer.verifying_key().to_sec1_point(false);
            key[32..].copy_from_slice(&encoded.as_bytes()[33..65]);
            if mode >= 2 {
                let bit = usize::from(mode) * 5 % 1024;
                if bit < 512 {
                    sig[bit / 8] ^= 1 << (bit % 8);
                } else {
                    key[(bit - 512) / 8] ^= 1 << (bit % 8);
                }
            }
            (key, sig, digest)
        } else {
            let Some((key, rest)) = rest.split_first_chunk::<64>() else {
                return;
            };
            let Some((sig, digest)) = rest.split_first_chunk::<64>() else {
                return;
            };
            (*key, *sig, digest)
        };
        let ours = ecdsa_p256::verify(&key, digest, &sig);
        assert_eq!(ours, rustcrypto(&key, digest, &sig), "verdicts differ");
        if mode == 0 {
            assert_eq!(ours, Ok(()), "a fresh signature was refused");
        }
    }
);
