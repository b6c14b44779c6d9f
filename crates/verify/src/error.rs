//! Every way verification can fail, each its own variant.

use core::fmt;

use embedded_storage::nor_flash::NorFlashErrorKind;
use wolfboot_image_format::{HashAlgorithm, HeaderError};

/// Why an image source could not deliver bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceError {
    /// The read would go past the end of the source.
    OutOfBounds,
    /// The flash driver failed.
    Flash(NorFlashErrorKind),
}

impl SourceError {
    /// What went wrong, as fixed text (for consoles without formatting;
    /// [`Display`](fmt::Display) adds the details).
    pub const fn description(&self) -> &'static str {
        match self {
            SourceError::OutOfBounds => "read out of bounds",
            SourceError::Flash(_) => "flash read failed",
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())?;
        match self {
            SourceError::Flash(kind) => write!(f, ": {kind:?}"),
            SourceError::OutOfBounds => Ok(()),
        }
    }
}

/// Why a binary keystore slot could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
///
/// [`VerifyError::description`] is a short fixed text per variant (what a
/// bootloader prints on a console without `core::fmt`);
/// [`Display`](fmt::Display) starts with it and adds the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

impl VerifyError {
    /// What went wrong, as fixed text (for consoles without formatting;
    /// [`Display`](fmt::Display) starts with it and adds the details).
    pub const fn description(&self) -> &'static str {
        match self {
            VerifyError::BadMagic => "bad magic",
            VerifyError::Truncated => "header truncated",
            VerifyError::BadHeaderSize => "invalid header size",
            VerifyError::TooLarge => "image too large",
            VerifyError::PayloadTruncated => "image truncated",
            VerifyError::MissingTlv(_) => "missing header field",
            VerifyError::BadTlvLength(_) => "bad header field length",
            VerifyError::WrongPartition { .. } => "wrong partition",
            VerifyError::HashMismatch => "digest mismatch",
            VerifyError::UnknownKey => "unknown key",
            VerifyError::KeyNotPermitted => "key not permitted",
            VerifyError::WrongAlgorithm => "wrong algorithm",
            VerifyError::BadSignature => "bad signature",
            VerifyError::BadPublicKey => "bad public key",
            VerifyError::UnsupportedAlgorithm(_) => "unsupported algorithm",
            VerifyError::UnsupportedHash(_) => "unsupported hash",
            VerifyError::UnsignedNotAllowed => "unsigned image",
            VerifyError::Source(e) => e.description(),
            VerifyError::Hybrid(_) => "hybrid image refused",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())?;
        match self {
            VerifyError::BadMagic => f.write_str(" (not a wolfBoot image)"),
            VerifyError::TooLarge => f.write_str(" (exceeds the partition)"),
            VerifyError::PayloadTruncated => f.write_str(" (shorter than its size field)"),
            VerifyError::MissingTlv(t) | VerifyError::BadTlvLength(t) => write!(f, " 0x{t:04x}"),
            VerifyError::WrongPartition { expected, found } => {
                write!(f, " (image is for partition {found}, expected {expected})")
            }
            VerifyError::UnknownKey => f.write_str(" (public key hint matches no trusted key)"),
            VerifyError::KeyNotPermitted => {
                f.write_str(" (the key may not sign for this partition)")
            }
            VerifyError::WrongAlgorithm => {
                f.write_str(" (image signature algorithm does not match the key type)")
            }
            VerifyError::BadSignature => f.write_str(" (signature verification failed)"),
            VerifyError::UnsupportedAlgorithm(code) => {
                write!(f, " 0x{code:02x} (not supported by this build)")
            }
            VerifyError::UnsupportedHash(alg) => {
                write!(f, " {alg} (not supported or not allowed)")
            }
            VerifyError::UnsignedNotAllowed => f.write_str(" (not accepted)"),
            VerifyError::Source(SourceError::Flash(kind)) => write!(f, ": {kind:?}"),
            VerifyError::Hybrid(e) => write!(f, ": {e}"),
            _ => Ok(()),
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::hybrid::HybridError;
    use std::string::ToString;
    use std::vec::Vec;

    fn every_error() -> Vec<VerifyError> {
        std::vec![
            VerifyError::BadMagic,
            VerifyError::Truncated,
            VerifyError::BadHeaderSize,
            VerifyError::TooLarge,
            VerifyError::PayloadTruncated,
            VerifyError::MissingTlv(0x20),
            VerifyError::BadTlvLength(0x03),
            VerifyError::WrongPartition {
                expected: 1,
                found: 3,
            },
            VerifyError::HashMismatch,
            VerifyError::UnknownKey,
            VerifyError::KeyNotPermitted,
            VerifyError::WrongAlgorithm,
            VerifyError::BadSignature,
            VerifyError::BadPublicKey,
            VerifyError::UnsupportedAlgorithm(0x0F),
            VerifyError::UnsupportedHash(HashAlgorithm::Sha3_384),
            VerifyError::UnsignedNotAllowed,
            VerifyError::Source(SourceError::OutOfBounds),
            VerifyError::Source(SourceError::Flash(NorFlashErrorKind::Other)),
            VerifyError::Hybrid(HybridError::BadSignature),
        ]
    }

    #[test]
    fn display_starts_with_the_description() {
        let all = every_error();
        for e in &all {
            let d = e.description();
            assert!(!d.is_empty(), "{e:?}");
            assert!(e.to_string().starts_with(d), "{e:?}: {e} / {d}");
        }
        // One text per variant (Source: one per source error).
        let mut texts: Vec<_> = all.iter().map(VerifyError::description).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), all.len());
        for s in [
            SourceError::OutOfBounds,
            SourceError::Flash(NorFlashErrorKind::NotAligned),
        ] {
            assert!(s.to_string().starts_with(s.description()));
            assert_eq!(VerifyError::Source(s).description(), s.description());
        }
    }

    #[test]
    fn details_follow_the_description() {
        assert_eq!(
            VerifyError::MissingTlv(0x20).to_string(),
            "missing header field 0x0020"
        );
        assert_eq!(
            VerifyError::WrongPartition {
                expected: 1,
                found: 3
            }
            .to_string(),
            "wrong partition (image is for partition 3, expected 1)"
        );
        assert_eq!(
            VerifyError::BadSignature.to_string(),
            "bad signature (signature verification failed)"
        );
        assert_eq!(
            VerifyError::Hybrid(HybridError::BadSignature).to_string(),
            "hybrid image refused: secondary signature verification failed"
        );
    }
}
