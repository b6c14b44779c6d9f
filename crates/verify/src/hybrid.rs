//! Hybrid images: two signatures over the same digest (wolfBoot's
//! `SIGN_SECONDARY`, e.g. ML-DSA-65 + ECDSA P-384).
//!
//! wolfBoot's `sign --ml_dsa --sha256 --ecc384 IMAGE KEY KEY2 VERSION`
//! writes, before the digest, the primary key hint (0x10), the secondary
//! cipher (0x11: the secondary auth code in the high byte of a u16) and the
//! secondary key hint (0x12); after the digest, the primary signature
//! (0x20) and the secondary signature (0x22). Both signatures are over the
//! same image digest, and the digest covers both hints and the secondary
//! cipher: that is what binds the two. Swapping in another secondary key or
//! algorithm changes the digest, which the primary signature vouches for;
//! the signatures themselves are not covered, so the verifier must insist
//! on the secondary one whenever the (authenticated) header announces it.
//!
//! The checks, each failing with its own [`HybridError`] (wrapped in
//! [`VerifyError::Hybrid`](crate::VerifyError::Hybrid)), run only after the
//! primary signature verified.

use core::fmt;

/// Why the secondary half of a hybrid image was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HybridError {
    /// The options require a hybrid image and the header announces no
    /// secondary signature (a single-signature image).
    NotHybrid,
    /// The secondary cipher field (0x11) is not a u16 or names no known
    /// signature algorithm (the raw field value).
    BadCipher(u16),
    /// The secondary algorithm is the primary one: not a hybrid.
    SameAlgorithm,
    /// The secondary algorithm is not enabled in this build (auth code).
    Unsupported(u8),
    /// The secondary key hint (0x12) is absent or not a digest long.
    MissingKeyHint,
    /// The secondary key hint names no keystore key.
    UnknownKey,
    /// The secondary key may not sign for the image's partition.
    KeyNotPermitted,
    /// The key the secondary hint names is not of the secondary algorithm.
    WrongAlgorithm,
    /// The secondary signature (0x22) is absent: stripped.
    MissingSignature,
    /// The secondary signature is not the algorithm's length.
    BadSignatureLength,
    /// The secondary signature does not verify.
    BadSignature,
}

impl fmt::Display for HybridError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HybridError::NotHybrid => f.write_str("image has no secondary signature"),
            HybridError::BadCipher(v) => write!(f, "invalid secondary cipher field 0x{v:04x}"),
            HybridError::SameAlgorithm => {
                f.write_str("secondary algorithm is the primary algorithm")
            }
            HybridError::Unsupported(code) => write!(
                f,
                "secondary algorithm 0x{code:02x} not supported by this build"
            ),
            HybridError::MissingKeyHint => f.write_str("secondary key hint missing or malformed"),
            HybridError::UnknownKey => f.write_str("secondary key hint matches no trusted key"),
            HybridError::KeyNotPermitted => {
                f.write_str("secondary key is not permitted to sign for this partition")
            }
            HybridError::WrongAlgorithm => {
                f.write_str("secondary key is not of the secondary algorithm")
            }
            HybridError::MissingSignature => f.write_str("secondary signature missing"),
            HybridError::BadSignatureLength => f.write_str("secondary signature has a bad length"),
            HybridError::BadSignature => f.write_str("secondary signature verification failed"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HybridError {}
