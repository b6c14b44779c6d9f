//! Streaming image digests and public-key hints.
//!
//! wolfBoot's digest covers the header up to the digest field's tag, then the
//! payload; the public-key hint is the same hash over the key bytes as the
//! keystore holds them (raw X||Y for ECC, raw keys for EdDSA, DER for RSA).

use core::fmt;

use subtle::ConstantTimeEq;
use wolfboot_image_format::HashAlgorithm;

use crate::error::VerifyError;

/// Largest digest any supported algorithm produces (SHA-384, SHA3-384).
pub const MAX_DIGEST_LEN: usize = 48;

/// A digest value: the algorithm that made it and its bytes.
///
/// Comparisons ([`PartialEq`], [`Digest::ct_eq`]) run in constant time.
#[derive(Clone, Copy)]
pub struct Digest {
    algorithm: HashAlgorithm,
    bytes: [u8; MAX_DIGEST_LEN],
}

impl Digest {
    /// A digest from its bytes, or `None` when their length is not the
    /// algorithm's digest length.
    pub fn from_slice(algorithm: HashAlgorithm, value: &[u8]) -> Option<Self> {
        if value.len() != algorithm.digest_len() {
            return None;
        }
        let mut bytes = [0u8; MAX_DIGEST_LEN];
        bytes.get_mut(..value.len())?.copy_from_slice(value);
        Some(Digest { algorithm, bytes })
    }

    /// The algorithm that made this digest.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The digest bytes (32 or 48 of them).
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.algorithm.digest_len().min(MAX_DIGEST_LEN);
        self.bytes.get(..len).unwrap_or(&self.bytes)
    }

    /// Constant-time comparison with a stored digest value.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        // Slices of different lengths compare unequal (length is public).
        bool::from(self.as_bytes().ct_eq(other))
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm && self.ct_eq(other.as_bytes())
    }
}

impl Eq for Digest {}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({}:", self.algorithm)?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A digest being computed, over whichever algorithms this build enables.
#[derive(Clone)]
pub struct ImageHasher {
    inner: Inner,
}

// The hash states live inline (no heap); their sizes differ by design.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Inner {
    #[cfg(feature = "sha256")]
    Sha256(crate::sha256::Sha256),
    #[cfg(feature = "sha384")]
    Sha384(sha2::Sha384),
    #[cfg(feature = "sha3")]
    Sha3_384(sha3::Sha3_384),
    /// Keeps the enum inhabited-checkable when no hash feature is enabled.
    #[allow(dead_code)]
    Never(core::convert::Infallible),
}

impl ImageHasher {
    /// Start a digest, or [`VerifyError::UnsupportedHash`] when the
    /// algorithm's feature is not enabled.
    #[cfg_attr(
        not(any(feature = "sha256", feature = "sha384", feature = "sha3")),
        allow(unreachable_code, unused_variables)
    )]
    pub fn new(algorithm: HashAlgorithm) -> Result<Self, VerifyError> {
        let inner = match algorithm {
            #[cfg(feature = "sha256")]
            HashAlgorithm::Sha256 => Inner::Sha256(crate::sha256::Sha256::new()),
            #[cfg(feature = "sha384")]
            HashAlgorithm::Sha384 => Inner::Sha384(<sha2::Sha384 as sha2::Digest>::new()),
            #[cfg(feature = "sha3")]
            HashAlgorithm::Sha3_384 => Inner::Sha3_384(<sha3::Sha3_384 as sha3::Digest>::new()),
            #[allow(unreachable_patterns)]
            other => return Err(VerifyError::UnsupportedHash(other)),
        };
        Ok(ImageHasher { inner })
    }

    /// Whether this build can compute digests of this algorithm.
    pub fn supports(algorithm: HashAlgorithm) -> bool {
        match algorithm {
            HashAlgorithm::Sha256 => cfg!(feature = "sha256"),
            HashAlgorithm::Sha384 => cfg!(feature = "sha384"),
            HashAlgorithm::Sha3_384 => cfg!(feature = "sha3"),
        }
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> HashAlgorithm {
        match &self.inner {
            #[cfg(feature = "sha256")]
            Inner::Sha256(_) => HashAlgorithm::Sha256,
            #[cfg(feature = "sha384")]
            Inner::Sha384(_) => HashAlgorithm::Sha384,
            #[cfg(feature = "sha3")]
            Inner::Sha3_384(_) => HashAlgorithm::Sha3_384,
            Inner::Never(n) => match *n {},
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            #[cfg(feature = "sha256")]
            Inner::Sha256(h) => h.update(data),
            #[cfg(feature = "sha384")]
            Inner::Sha384(h) => sha2::Digest::update(h, data),
            #[cfg(feature = "sha3")]
            Inner::Sha3_384(h) => sha3::Digest::update(h, data),
            Inner::Never(n) => {
                let _ = data;
                match *n {}
            }
        }
    }

    /// Finish, returning the digest.
    #[cfg_attr(
        not(any(feature = "sha256", feature = "sha384", feature = "sha3")),
        allow(unreachable_code, unused_variables)
    )]
    pub fn finalize(self) -> Digest {
        let algorithm = self.algorithm();
        let mut bytes = [0u8; MAX_DIGEST_LEN];
        let (head, _) = bytes.split_at_mut(algorithm.digest_len().min(MAX_DIGEST_LEN));
        match self.inner {
            #[cfg(feature = "sha256")]
            Inner::Sha256(h) => {
                // `head` is the digest's length, so this always converts.
                if let Ok(out) = <&mut [u8; crate::sha256::DIGEST_LEN]>::try_from(head) {
                    h.finalize_into(out);
                }
            }
            #[cfg(feature = "sha384")]
            Inner::Sha384(h) => head.copy_from_slice(sha2::Digest::finalize(h).as_slice()),
            #[cfg(feature = "sha3")]
            Inner::Sha3_384(h) => head.copy_from_slice(sha3::Digest::finalize(h).as_slice()),
            Inner::Never(n) => {
                let _ = head;
                match n {}
            }
        }
        Digest { algorithm, bytes }
    }

    /// Finish, writing the digest to the start of `out`; returns the number
    /// of bytes written (the digest length, or less when `out` is shorter).
    pub fn finalize_into(self, out: &mut [u8]) -> usize {
        let digest = self.finalize();
        let src = digest.as_bytes();
        let n = src.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    }
}

/// Digest of `data` in one call.
pub fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Result<Digest, VerifyError> {
    let mut h = ImageHasher::new(algorithm)?;
    h.update(data);
    Ok(h.finalize())
}

/// The public-key hint an image signed with `pubkey` carries: the image's
/// hash over the key bytes as the keystore stores them (for `--no-sign`
/// images, over no bytes at all).
pub fn key_hint(algorithm: HashAlgorithm, pubkey: &[u8]) -> Result<Digest, VerifyError> {
    digest(algorithm, pubkey)
}
