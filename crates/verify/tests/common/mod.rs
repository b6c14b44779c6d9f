//! Helpers shared by the integration tests.
#![allow(dead_code)]

use wolfboot_test_vectors as tv;
use wolfboot_verify::{AuthType, HashAlgorithm};

/// Key type of a key folder name (`keys/<alg>/...`).
pub fn key_type_of(pubkey_path: &str) -> AuthType {
    let dir = pubkey_path.split('/').nth(1).expect("keys/<alg>/file");
    AuthType::from_name(dir).unwrap_or_else(|| panic!("unknown key folder {dir}"))
}

/// Hash named as the manifest spells it.
pub fn hash_of(name: &str) -> HashAlgorithm {
    HashAlgorithm::from_name(name).unwrap_or_else(|| panic!("unknown hash {name}"))
}

/// Valid signed images (not encrypted or delta entries).
pub fn valid_signed() -> Vec<tv::Entry> {
    tv::entries()
        .into_iter()
        .filter(|e| e.kind == "signed_image" && e.valid == Some(true))
        .collect()
}

/// The alg × hash matrix vectors (`<alg>_<hash>_v<N>_signed.bin`).
pub fn matrix() -> Vec<tv::Entry> {
    valid_signed()
        .into_iter()
        .filter(|e| {
            let f = &e.file;
            [
                "ed25519_",
                "ed448_",
                "ecc256_",
                "ecc384_",
                "ecc521_",
                "rsa2048_sha",
                "rsa3072_",
                "rsa4096_",
            ]
            .iter()
            .any(|p| f.starts_with(p))
        })
        .chain(
            valid_signed().into_iter().filter(|e| {
                e.file.starts_with("rsapss") || e.file.starts_with("rsa2048_digestinfo")
            }),
        )
        .collect()
}

/// A tiny deterministic PRNG for the randomized tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
