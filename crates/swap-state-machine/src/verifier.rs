//! The bootloader's verifier: [`KeystoreVerifier`], an [`ImageVerifier`]
//! that checks images with [`wolfboot_verify::verify_image`] against a
//! keystore (feature `verify`).
//!
//! The image is read straight from the partition, header first into a
//! `HEADER_SIZE`-byte stack buffer, then the payload in small chunks through
//! the digest: no copy of the image, no allocation (RSA keys aside, see
//! `wolfboot-verify`). An image is accepted when it is an application image
//! (partition id 1, by default), fits the space the bootloader gives it (the
//! partition less its trailer area, [`ImageSource::size`]), its key hint
//! names a keystore key allowed to sign for it, and digest and signature
//! check out. Which algorithms are available is chosen with
//! `wolfboot-verify`'s features (`ecc256`, `sha256`, ...).
//!
//! ```
//! use wolfboot_swap_state_machine::{
//!     BootConfig, BootError, Bootloader, FlashSet, KeystoreVerifier, PartitionSet,
//! };
//! use wolfboot_verify::{AuthType, KeySlot, Keystore};
//!
//! /// X || Y of the ECC P-256 signing key (as in keygen's keystore).
//! static PUBKEY: [u8; 64] = [0x42; 64];
//! static SLOTS: [KeySlot<'static>; 1] = [KeySlot::new(0, AuthType::Ecc256, &PUBKEY)];
//! static KEYSTORE: Keystore<'static> = Keystore::new(&SLOTS);
//!
//! fn bootloader<F: FlashSet>(
//!     flash: F,
//!     layout: PartitionSet,
//! ) -> Result<Bootloader<F, KeystoreVerifier<'static, 256>>, BootError> {
//!     let config = BootConfig { header_size: 256, ..BootConfig::default() };
//!     Bootloader::new(flash, KeystoreVerifier::new(&KEYSTORE), layout, config)
//! }
//! ```

use wolfboot_hal_flash::{NorFlashErrorKind, PartitionId};
use wolfboot_verify::{Keystore, SourceError, VerifyOptions};

use crate::image::{ImageInfo, ImageSource, ImageVerifier, VerifyError};

/// wolfBoot's partition id of application images (`HDR_IMG_TYPE_APP`).
pub const APP_PARTITION_ID: u8 = 1;

/// Verifies images against a keystore with `wolfboot-verify`.
///
/// `HEADER_SIZE` is the bootloader's `IMAGE_HEADER_SIZE` (a multiple of 256
/// from 256 to 65536, as wolfBoot allows: 256 for ECC P-256 and Ed25519
/// builds, 12288 for ML-DSA-87); it should equal
/// [`BootConfig::header_size`](crate::BootConfig::header_size).
#[derive(Debug, Clone, Copy)]
pub struct KeystoreVerifier<'k, const HEADER_SIZE: usize = 256> {
    keystore: &'k Keystore<'k>,
    options: VerifyOptions<'k>,
    last_error: Option<wolfboot_verify::VerifyError>,
}

impl<'k, const HEADER_SIZE: usize> KeystoreVerifier<'k, HEADER_SIZE> {
    /// Compile-time check of `HEADER_SIZE`.
    const HEADER_SIZE_OK: () = assert!(
        HEADER_SIZE.is_multiple_of(256) && HEADER_SIZE >= 256 && HEADER_SIZE <= 0x1_0000,
        "HEADER_SIZE must be a multiple of 256 from 256 to 65536"
    );

    /// A verifier trusting the keys of `keystore`, for signed application
    /// images, every enabled hash algorithm.
    pub const fn new(keystore: &'k Keystore<'k>) -> Self {
        let mut options = VerifyOptions::new();
        options.partition_id = Some(APP_PARTITION_ID);
        Self::with_options(keystore, options)
    }

    /// A verifier with explicit options. `options.max_image_size`, when set,
    /// further limits the space the bootloader allows (never extends it);
    /// `options.partition_id` is used as given.
    pub const fn with_options(keystore: &'k Keystore<'k>, options: VerifyOptions<'k>) -> Self {
        let () = Self::HEADER_SIZE_OK;
        KeystoreVerifier {
            keystore,
            options,
            last_error: None,
        }
    }

    /// The trusted keys.
    pub fn keystore(&self) -> &'k Keystore<'k> {
        self.keystore
    }

    /// The options every image is checked with (before the size limit of
    /// the partition is applied).
    pub fn options(&self) -> &VerifyOptions<'k> {
        &self.options
    }

    /// `wolfboot-verify`'s detailed reason for the last refusal; `None`
    /// after an image verified (or before any verification).
    pub fn last_error(&self) -> Option<wolfboot_verify::VerifyError> {
        self.last_error
    }
}

impl<const HEADER_SIZE: usize> ImageVerifier for KeystoreVerifier<'_, HEADER_SIZE> {
    fn verify(
        &mut self,
        _part: PartitionId,
        image: &mut dyn ImageSource,
    ) -> Result<ImageInfo, VerifyError> {
        let limit = image.size();
        let mut options = self.options;
        options.max_image_size = Some(match options.max_image_size {
            Some(max) => max.min(limit),
            None => limit,
        });
        let mut header = [0u8; HEADER_SIZE];
        let mut source = Source(image);
        let result =
            wolfboot_verify::verify_image(&mut source, &mut header, self.keystore, &options)
                .and_then(|v| {
                    Ok(ImageInfo {
                        version: v.version,
                        payload_size: v.payload_size,
                        header_size: u32::try_from(v.header_size)
                            .map_err(|_| wolfboot_verify::VerifyError::BadHeaderSize)?,
                        image_type: v.image_type.0,
                    })
                });
        self.last_error = result.err();
        result.map_err(VerifyError::from)
    }
}

/// `wolfboot-verify`'s view of the state machine's image source.
struct Source<'a>(&'a mut dyn ImageSource);

impl wolfboot_verify::ImageSource for Source<'_> {
    fn len(&self) -> u32 {
        self.0.size()
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let end = u32::try_from(buf.len())
            .ok()
            .and_then(|n| offset.checked_add(n))
            .ok_or(SourceError::OutOfBounds)?;
        if end > self.0.size() {
            return Err(SourceError::OutOfBounds);
        }
        self.0
            .read(offset, buf)
            .map_err(|_| SourceError::Flash(NorFlashErrorKind::Other))
    }
}

/// The state machine's coarser reason for a `wolfboot-verify` refusal
/// (the detail stays available from [`KeystoreVerifier::last_error`]).
impl From<wolfboot_verify::VerifyError> for VerifyError {
    fn from(e: wolfboot_verify::VerifyError) -> Self {
        use wolfboot_verify::VerifyError as E;
        match e {
            E::BadMagic => VerifyError::BadMagic,
            E::Truncated | E::BadHeaderSize | E::MissingTlv(_) | E::BadTlvLength(_) => {
                VerifyError::MalformedHeader
            }
            E::TooLarge | E::PayloadTruncated => VerifyError::SizeOutOfRange,
            E::HashMismatch => VerifyError::IntegrityMismatch,
            E::BadSignature | E::BadPublicKey | E::Hybrid(_) => VerifyError::SignatureInvalid,
            E::UnknownKey | E::KeyNotPermitted | E::WrongAlgorithm => VerifyError::UnknownKey,
            E::WrongPartition { .. }
            | E::UnsupportedAlgorithm(_)
            | E::UnsupportedHash(_)
            | E::UnsignedNotAllowed => VerifyError::Unsupported,
            E::Source(_) => VerifyError::Read,
        }
    }
}
