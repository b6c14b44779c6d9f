//! The post-quantum signature checks (ML-DSA-44/65/87, LMS, XMSS) on
//! hostile signatures and keys, starting from wolfBoot's own vectors.
//!
//! Input: byte 0 picks the scheme (a vector of `vectors/pq`), byte 1 what
//! the rest replaces: 0 the signature, 1 the public key, 2 the digest.
//!
//! Asserts, beyond "never panics": a check that succeeds was given the
//! vector's own signature, key and digest (no other bytes verify), and a
//! signature whose length is not the key's is refused before any hashing
//! as a bad signature.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::pq::{vectors, PqVector};
use wolfboot_fuzz::seeds;
use wolfboot_verify::{verify_signature, HashAlgorithm, VerifyPolicy};

static VECTORS: OnceLock<Vec<PqVector>> = OnceLock::new();

fuzz_target!(
    init: {
        seeds::write_from_env("pq_signatures");
    },
    |data: &[u8]| {
        let all = VECTORS.get_or_init(vectors);
        let [sel, mode, rest @ ..] = data else {
            return;
        };
        let Some(v) = all.get(usize::from(*sel) % all.len().max(1)) else {
            return;
        };
        let (mut key, mut sig, mut digest) = (&v.key[..], &v.signature[..], &v.digest[..]);
        match mode % 3 {
            0 => sig = rest,
            1 => key = rest,
            _ => digest = rest,
        }
        if digest.len() != 32 {
            return;
        }
        let r = verify_signature(
            v.auth,
            key,
            HashAlgorithm::Sha256,
            digest,
            sig,
            &VerifyPolicy::new(),
        );
        if r.is_ok() {
            assert_eq!(key, &v.key[..], "{}: another key verified", v.name);
            assert_eq!(sig, &v.signature[..], "{}: another signature verified", v.name);
            assert_eq!(digest, &v.digest[..], "{}: another digest verified", v.name);
        }
        if key == &v.key[..] && sig.len() != v.signature.len() {
            assert!(r.is_err(), "{}: a signature of the wrong length verified", v.name);
        }
    }
);
