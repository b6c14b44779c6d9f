//! The bootloader's own Ed25519 check (`wolfboot_verify::ed25519`) against
//! `ed25519-dalek`'s `VerifyingKey::verify`, the crate the host tools sign
//! with: the same verdict (accepted, bad key, bad signature) on every input.
//!
//! Input: byte 0 picks the mode.
//! * even: bytes 1..33 seed a signing key, the rest is the message; the
//!   signature is dalek's, then (byte 0 ≥ 2) one bit of signature ‖ key is
//!   flipped, chosen by byte 0. Unflipped, both must accept.
//! * odd: key (32 bytes), signature (64), message (the rest) as given.
#![no_main]

use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::seeds;
use wolfboot_verify::{ed25519, VerifyError};

fn dalek(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), VerifyError> {
    let key = VerifyingKey::from_bytes(key).map_err(|_| VerifyError::BadPublicKey)?;
    key.verify(msg, &ed25519_dalek::Signature::from_bytes(sig))
        .map_err(|_| VerifyError::BadSignature)
}

fuzz_target!(
    init: {
        seeds::write_from_env("ed25519");
    },
    |data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let (key, sig, msg) = if mode & 1 == 0 {
            let Some((seed, msg)) = rest.split_first_chunk::<32>() else {
                return;
            };
            let signer = SigningKey::from_bytes(seed);
            let mut key = signer.verifying_key().to_bytes();
            let mut sig = signer.sign(msg).to_bytes();
            if mode >= 2 {
                let bit = usize::from(mode) * 3 % 768;
                if bit < 512 {
                    sig[bit / 8] ^= 1 << (bit % 8);
                } else {
                    key[(bit - 512) / 8] ^= 1 << (bit % 8);
                }
            }
            (key, sig, msg)
        } else {
            let Some((key, rest)) = rest.split_first_chunk::<32>() else {
                return;
            };
            let Some((sig, msg)) = rest.split_first_chunk::<64>() else {
                return;
            };
            (*key, *sig, msg)
        };
        let ours = ed25519::verify(&key, msg, &sig);
        assert_eq!(ours, dalek(&key, msg, &sig), "verdicts differ");
        if mode == 0 {
            assert_eq!(ours, Ok(()), "a fresh signature was refused");
        }
    }
);
