//! The swap state machine's image check, done by `wolfboot-verify` with the
//! bootloader's keystore.
//!
//! `wolfboot-swap-state-machine` asks an [`ImageVerifier`] whether the image
//! at the start of BOOT or UPDATE may run; this one answers with
//! [`wolfboot_verify::verify_image`]: header, key hint in the keystore,
//! digest over header prefix and payload, signature. Images must be
//! application images (partition id 1) that fit the partition less its
//! trailer sector.

use wolfboot_hal_flash::PartitionId;
use wolfboot_swap_state_machine::{
    ImageInfo, ImageSource as SwapSource, ImageVerifier, VerifyError as SwapError,
};
use wolfboot_verify::{
    verify_image, ImageSource, Keystore, SourceError, VerifyError, VerifyOptions,
};

use crate::layout::{IMAGE_HEADER_SIZE, PARTITION_SIZE, SECTOR_SIZE};

/// wolfBoot's partition id of application images (`HDR_IMG_TYPE_APP`).
const APP_PARTITION_ID: u8 = 1;

/// Verifies images against a keystore (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct KeystoreVerifier<'k> {
    keystore: &'k Keystore<'k>,
}

impl<'k> KeystoreVerifier<'k> {
    /// A verifier trusting the keys of `keystore`.
    pub const fn new(keystore: &'k Keystore<'k>) -> Self {
        KeystoreVerifier { keystore }
    }

    /// Options used for every image: signed application images, at most a
    /// partition less its trailer sector, every enabled hash.
    pub const fn options() -> VerifyOptions<'static> {
        let mut opts = VerifyOptions::new();
        opts.partition_id = Some(APP_PARTITION_ID);
        opts.max_image_size = Some(PARTITION_SIZE - SECTOR_SIZE);
        opts
    }
}

/// `wolfboot-verify`'s view of the state machine's partition reader.
struct Source<'a>(&'a mut dyn SwapSource);

impl ImageSource for Source<'_> {
    fn len(&self) -> u32 {
        self.0.size()
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let end = offset
            .checked_add(u32::try_from(buf.len()).map_err(|_| SourceError::OutOfBounds)?)
            .ok_or(SourceError::OutOfBounds)?;
        if end > self.0.size() {
            return Err(SourceError::OutOfBounds);
        }
        self.0
            .read(offset, buf)
            .map_err(|_| SourceError::Flash(embedded_storage::nor_flash::NorFlashErrorKind::Other))
    }
}

/// The state machine's coarser reason for a `wolfboot-verify` refusal.
pub fn to_swap_error(e: VerifyError) -> SwapError {
    match e {
        VerifyError::BadMagic => SwapError::BadMagic,
        VerifyError::TooLarge | VerifyError::PayloadTruncated => SwapError::SizeOutOfRange,
        VerifyError::HashMismatch => SwapError::IntegrityMismatch,
        VerifyError::BadSignature | VerifyError::BadPublicKey => SwapError::SignatureInvalid,
        VerifyError::UnknownKey | VerifyError::KeyNotPermitted | VerifyError::WrongAlgorithm => {
            SwapError::UnknownKey
        }
        VerifyError::UnsupportedAlgorithm(_)
        | VerifyError::UnsupportedHash(_)
        | VerifyError::UnsignedNotAllowed
        | VerifyError::WrongPartition { .. } => SwapError::Unsupported,
        VerifyError::Source(_) => SwapError::Read,
        _ => SwapError::MalformedHeader,
    }
}

impl ImageVerifier for KeystoreVerifier<'_> {
    fn verify(
        &mut self,
        _part: PartitionId,
        image: &mut dyn SwapSource,
    ) -> Result<ImageInfo, SwapError> {
        let mut header = [0u8; IMAGE_HEADER_SIZE as usize];
        let v = verify_image(
            &mut Source(image),
            &mut header,
            self.keystore,
            &Self::options(),
        )
        .map_err(to_swap_error)?;
        Ok(ImageInfo {
            version: v.version,
            payload_size: v.payload_size,
            header_size: u32::try_from(v.header_size).map_err(|_| SwapError::MalformedHeader)?,
            image_type: v.image_type.0,
        })
    }
}

#[cfg(all(test, feature = "ecc256", feature = "sha256"))]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::vec::Vec;
    use wolfboot_verify::{parse_keystore_slot, KeySlot};

    /// A partition holding `bytes`, as the state machine would hand it over.
    struct Part(Vec<u8>);

    impl SwapSource for Part {
        fn size(&self) -> u32 {
            PARTITION_SIZE
        }
        fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SwapError> {
            let o = offset as usize;
            for (i, b) in buf.iter_mut().enumerate() {
                *b = self.0.get(o + i).copied().unwrap_or(0xFF);
            }
            Ok(())
        }
    }

    fn vectors() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
        dir.is_dir().then_some(dir)
    }

    fn check(dir: &Path, slot: &KeySlot<'_>, file: &str) -> Result<ImageInfo, SwapError> {
        let slots = [*slot];
        let keystore = Keystore::new(&slots);
        let image = std::fs::read(dir.join(file)).unwrap();
        KeystoreVerifier::new(&keystore).verify(PartitionId::Boot, &mut Part(image))
    }

    /// wolfBoot-made images (../shared/vectors) against wolfBoot's keystore.der.
    #[test]
    fn wolfboot_vectors() {
        let Some(dir) = vectors() else {
            std::eprintln!("shared/vectors not found: skipped");
            return;
        };
        let ks = std::fs::read(dir.join("keys/ecc256/keystore.der")).unwrap();
        let slot = parse_keystore_slot(&ks).unwrap();
        let info = check(&dir, &slot, "ecc256_sha256_v668_signed.bin").unwrap();
        assert_eq!(info.version, 668);
        assert_eq!(info.header_size, 256);
        assert_eq!(info.payload_size, 4096);
        assert_eq!(
            check(&dir, &slot, "invalid_payload_bitflip.bin"),
            Err(SwapError::IntegrityMismatch)
        );
        assert_eq!(
            check(&dir, &slot, "invalid_signature_bitflip.bin"),
            Err(SwapError::SignatureInvalid)
        );
        assert_eq!(
            check(&dir, &slot, "invalid_magic.bin"),
            Err(SwapError::BadMagic)
        );
        assert_eq!(
            check(&dir, &slot, "invalid_pubkey_hint.bin"),
            Err(SwapError::UnknownKey)
        );
        assert_eq!(
            check(&dir, &slot, "invalid_version_changed.bin"),
            Err(SwapError::IntegrityMismatch)
        );
    }
}
