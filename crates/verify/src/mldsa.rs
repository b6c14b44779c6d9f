//! ML-DSA (FIPS 204) over the image digest, as wolfBoot signs it.
//!
//! wolfBoot's `sign` calls wolfCrypt's `wc_MlDsaKey_Sign` on the image
//! digest: pure ML-DSA (not HashML-DSA) with an empty context string, so
//! the message is the 32- or 48-byte digest itself. The keystore holds the
//! raw `pkEncode` public key; its size tells the level:
//!
//! | level | parameter set | public key | signature | feature |
//! | --- | --- | --- | --- | --- |
//! | 2 | ML-DSA-44 | 1312 B | 2420 B | `ml-dsa-44` |
//! | 3 | ML-DSA-65 | 1952 B | 3309 B | `ml-dsa-65` |
//! | 5 | ML-DSA-87 | 2592 B | 4627 B | `ml-dsa-87` |
//!
//! The arithmetic is RustCrypto's `ml-dsa` crate built without `alloc`:
//! the decoded key (with its expanded matrix Â) and the signature live on
//! the stack, so the caller's stack must hold them (see the crate README
//! for measured figures).

use wolfboot_image_format::wire::{keystore_size, pq_signature_size};

use crate::error::VerifyError;

/// The ML-DSA signature length for a public key of `pubkey_len` bytes, or
/// `None` when no level has keys of that size.
pub const fn signature_len(pubkey_len: usize) -> Option<usize> {
    match pubkey_len {
        keystore_size::ML_DSA_44 => Some(pq_signature_size::ML_DSA_44),
        keystore_size::ML_DSA_65 => Some(pq_signature_size::ML_DSA_65),
        keystore_size::ML_DSA_87 => Some(pq_signature_size::ML_DSA_87),
        _ => None,
    }
}

/// The ML-DSA level (2, 3 or 5) of a public key of `pubkey_len` bytes.
pub const fn level(pubkey_len: usize) -> Option<u8> {
    match pubkey_len {
        keystore_size::ML_DSA_44 => Some(2),
        keystore_size::ML_DSA_65 => Some(3),
        keystore_size::ML_DSA_87 => Some(5),
        _ => None,
    }
}

/// Check the ML-DSA signature `sig` over `msg` (the image digest) with the
/// raw public key `pubkey`, level chosen by the key size.
///
/// Errors: [`VerifyError::BadPublicKey`] for a key size of no level,
/// [`VerifyError::UnsupportedAlgorithm`] for a level this build lacks,
/// [`VerifyError::BadSignature`] for a signature of the wrong length, badly
/// encoded (hint out of range, coefficients out of bounds) or not verifying.
pub fn verify(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let _ = (msg, sig);
    if level(pubkey.len()).is_none() {
        return Err(VerifyError::BadPublicKey);
    }
    match pubkey.len() {
        #[cfg(feature = "ml-dsa-44")]
        keystore_size::ML_DSA_44 => verify_level::<ml_dsa::MlDsa44>(pubkey, msg, sig),
        #[cfg(feature = "ml-dsa-65")]
        keystore_size::ML_DSA_65 => verify_level::<ml_dsa::MlDsa65>(pubkey, msg, sig),
        #[cfg(feature = "ml-dsa-87")]
        keystore_size::ML_DSA_87 => verify_level::<ml_dsa::MlDsa87>(pubkey, msg, sig),
        _ => Err(VerifyError::UnsupportedAlgorithm(
            wolfboot_image_format::wire::auth::ML_DSA,
        )),
    }
}

#[cfg(any(feature = "ml-dsa-44", feature = "ml-dsa-65", feature = "ml-dsa-87"))]
fn verify_level<P: ml_dsa::MlDsaParams>(
    pubkey: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> Result<(), VerifyError> {
    use ml_dsa::{EncodedVerifyingKey, Signature, VerifyingKey};
    let enc = EncodedVerifyingKey::<P>::try_from(pubkey).map_err(|_| VerifyError::BadPublicKey)?;
    let sig = Signature::<P>::try_from(sig).map_err(|_| VerifyError::BadSignature)?;
    let key = VerifyingKey::<P>::decode(&enc);
    if key.verify_with_context(msg, &[], &sig) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}
