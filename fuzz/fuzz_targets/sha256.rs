//! The bootloader's own SHA-256 (`wolfboot_verify::sha256`) against
//! RustCrypto's `sha2` on arbitrary messages fed in arbitrary pieces.
//!
//! Input: byte 0 picks how the rest is cut (0 = whole; otherwise it seeds
//! the lengths of consecutive pieces, from 0 bytes to a few blocks); the
//! rest is the message. Asserts: the digest equals `sha2`'s, through
//! `Sha256` directly and through `ImageHasher` (what the verifier uses).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::Digest as _;
use wolfboot_fuzz::seeds;
use wolfboot_verify::{sha256::Sha256, HashAlgorithm, ImageHasher};

fuzz_target!(
    init: {
        seeds::write_from_env("sha256");
    },
    |data: &[u8]| {
        let Some((&cut, message)) = data.split_first() else {
            return;
        };
        let want = sha2::Sha256::digest(message);

        let mut ours = Sha256::new();
        let mut hasher = ImageHasher::new(HashAlgorithm::Sha256).expect("SHA-256 is built in");
        let mut rest = message;
        let mut x = u32::from(cut);
        while !rest.is_empty() {
            let n = if cut == 0 {
                rest.len()
            } else {
                // xorshift: piece lengths 0..=200 (some empty, some past a block)
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 201) as usize
            }
            .min(rest.len());
            let (piece, tail) = rest.split_at(n);
            ours.update(piece);
            hasher.update(piece);
            rest = tail;
        }
        assert_eq!(ours.finalize()[..], want[..], "Sha256 differs from sha2");
        assert_eq!(hasher.finalize().as_bytes(), &want[..], "ImageHasher differs from sha2");
    }
);
