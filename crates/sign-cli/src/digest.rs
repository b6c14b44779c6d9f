//! Image digests: SHA-256, SHA-384 and SHA3-384.

use sha2::Digest as _;
use wolfboot_image_format::HashAlgorithm;

/// Hash the concatenation of `parts` with `alg`.
pub fn hash_parts(alg: HashAlgorithm, parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => {
            let mut h = sha2::Sha256::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        HashAlgorithm::Sha384 => {
            let mut h = sha2::Sha384::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        HashAlgorithm::Sha3_384 => {
            let mut h = sha3::Sha3_384::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
    }
}

/// Hash one buffer with `alg`.
pub fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    hash_parts(alg, &[data])
}
