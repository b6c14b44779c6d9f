//! Every way verification can fail, each its own variant.

use core::fmt;

use embedded_storage::nor_flash::NorFlashErrorKind;
use wolfboot_image_format::{HashAlgorithm, HeaderError};

/// Why an image source could not deliver bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceError {
    /// The read would go past the end of the source.
    OutOfBounds,
    /// The flash driver failed.
    Flash(NorFlashErrorKind),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::OutOfBounds => f.write_str("read past the end of the image source"),
            SourceError::Flash(kind) => write!(f, "flash read failed: {kind:?}"),
        }
    }
}

/// Why a binary keystore slot could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystoreError {
    /// Fewer bytes than the 16-byte slot header, or than its key size says.
    Truncated,
    /// The key type code is not one wolfBoot's keystore uses.
    UnknownKeyType(u32),
    /// The stored key size is not the size this key type needs (wolfBoot's
    /// keygen writes 0 for ECC P-521 keys, for instance).
    KeySizeMismatch {
        /// Size the key type needs (`KEYSTORE_PUBKEY_SIZE` for the type).
        expected: usize,
        /// Size the slot states.
        found: u32,
    },
    /// An RSA key whose DER encoding is malformed or does not fit the slot.
    BadDer,
}

impl fmt::Display for KeystoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeystoreError::Truncated => f.write_str("keystore slot truncated"),
            KeystoreError::UnknownKeyType(t) => write!(f, "unknown keystore key type {t}"),
            KeystoreError::KeySizeMismatch { expected, found } => {
                write!(f, "keystore key size {found}, expected {expected}")
            }
            KeystoreError::BadDer => f.write_str("keystore RSA key is not valid DER"),
        }
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The image does not start with `WOLF`.
    BadMagic,
    /// Fewer bytes than a header.
    Truncated,
    /// The header size (the buffer given, or the one asked for) is not a power
    /// of two between 256 bytes and 64 KiB.
    BadHeaderSize,
    /// Header plus payload exceed the space the image may occupy.
    TooLarge,
    /// The image is shorter than header plus the payload size it announces.
    PayloadTruncated,
    /// A header field the verification needs is absent.
    MissingTlv(u16),
    /// A header field has a length its type does not allow.
    BadTlvLength(u16),
    /// The image was built for another partition than the one expected.
    WrongPartition {
        /// Partition id the caller expects.
        expected: u8,
        /// Partition id in the image type.
        found: u8,
    },
    /// The digest recomputed over header and payload differs from the stored one.
    HashMismatch,
    /// The public-key hint matches no key of the keystore.
    UnknownKey,
    /// The key that signed the image may not sign for its partition.
    KeyNotPermitted,
    /// The image's signature algorithm is not the key's type.
    WrongAlgorithm,
    /// The signature does not verify.
    BadSignature,
    /// The public key cannot be decoded.
    BadPublicKey,
    /// The signature algorithm (auth type code) is unknown or not enabled in
    /// this build.
    UnsupportedAlgorithm(u8),
    /// The hash algorithm is not enabled in this build, or not allowed by the
    /// verification options.
    UnsupportedHash(HashAlgorithm),
    /// The image is unsigned and the options do not accept unsigned images.
    UnsignedNotAllowed,
    /// The image source failed.
    Source(SourceError),
    /// The primary signature verified, the secondary one of a hybrid image
    /// did not (or is missing); see [`HybridError`](crate::HybridError).
    Hybrid(crate::hybrid::HybridError),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::BadMagic => f.write_str("bad magic (not a wolfBoot image)"),
            VerifyError::Truncated => f.write_str("image header truncated"),
            VerifyError::BadHeaderSize => f.write_str("invalid header size"),
            VerifyError::TooLarge => f.write_str("image size exceeds the partition"),
            VerifyError::PayloadTruncated => f.write_str("image shorter than its size field"),
            VerifyError::MissingTlv(t) => write!(f, "missing header field 0x{t:04x}"),
            VerifyError::BadTlvLength(t) => write!(f, "header field 0x{t:04x} has a bad length"),
            VerifyError::WrongPartition { expected, found } => {
                write!(f, "image is for partition {found}, expected {expected}")
            }
            VerifyError::HashMismatch => f.write_str("image digest mismatch"),
            VerifyError::UnknownKey => f.write_str("public key hint matches no trusted key"),
            VerifyError::KeyNotPermitted => {
                f.write_str("key is not permitted to sign for this partition")
            }
            VerifyError::WrongAlgorithm => {
                f.write_str("image signature algorithm does not match the key type")
            }
            VerifyError::BadSignature => f.write_str("signature verification failed"),
            VerifyError::BadPublicKey => f.write_str("invalid public key"),
            VerifyError::UnsupportedAlgorithm(code) => {
                write!(
                    f,
                    "signature algorithm 0x{code:02x} not supported by this build"
                )
            }
            VerifyError::UnsupportedHash(alg) => {
                write!(f, "hash algorithm {alg} not supported or not allowed")
            }
            VerifyError::UnsignedNotAllowed => f.write_str("unsigned images are not accepted"),
            VerifyError::Source(e) => write!(f, "image source: {e}"),
            VerifyError::Hybrid(e) => write!(f, "hybrid image: {e}"),
        }
    }
}

impl From<HeaderError> for VerifyError {
    fn from(e: HeaderError) -> Self {
        match e {
            HeaderError::Truncated => VerifyError::Truncated,
            HeaderError::BadMagic => VerifyError::BadMagic,
            HeaderError::BadHeaderSize => VerifyError::BadHeaderSize,
            HeaderError::MissingTlv(t) => VerifyError::MissingTlv(t),
            HeaderError::BadTlvLength(t) => VerifyError::BadTlvLength(t),
            HeaderError::PayloadTruncated => VerifyError::PayloadTruncated,
            HeaderError::TooLarge => VerifyError::TooLarge,
        }
    }
}

impl From<SourceError> for VerifyError {
    fn from(e: SourceError) -> Self {
        VerifyError::Source(e)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VerifyError {}
#[cfg(feature = "std")]
impl std::error::Error for SourceError {}
#[cfg(feature = "std")]
impl std::error::Error for KeystoreError {}
