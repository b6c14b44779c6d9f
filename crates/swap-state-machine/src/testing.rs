//! Test support (feature `testing`): the real swap over any flash, without
//! cryptography, for flash drivers' and layouts' tests and for the
//! operation counts of [`opcount`](crate::opcount).
//!
//! * [`synthetic_image`]: a header with magic, size, version and type (as
//!   wolfBoot lays them out) and a payload that differs per version.
//! * [`HeaderOnlyVerifier`]: accepts such an image without a digest or
//!   signature: what is under test is the flash path.
//! * [`install_and_roll_back`]: trigger, install, check both partitions,
//!   boot unconfirmed, check the rollback; panics on any deviation.
//!
//! Test code: it allocates and panics, unlike the rest of the crate.

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use wolfboot_hal_flash::{Flash, PartitionId, PartitionSet, SingleFlash};
use wolfboot_image_format::wire::{tlv, IMAGE_MAGIC};
use wolfboot_image_format::{HashAlgorithm, ImageType};
use wolfboot_verify::{Digest, ImageSource, VerifiedImage, VerifyError};

use crate::boot::{BootAction, BootConfig, Bootloader};
use crate::image::ImageVerifier;

/// Little-endian word at `at` of `bytes` (0 when out of range).
fn word(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Accepts any image with the magic, a payload that fits its partition and
/// the version and type where [`synthetic_image`] puts them. No digest is
/// computed (a zero SHA-256 value stands in).
#[derive(Debug, Clone, Copy)]
pub struct HeaderOnlyVerifier {
    /// `IMAGE_HEADER_SIZE` of the images.
    pub header_size: u32,
}

impl HeaderOnlyVerifier {
    /// A verifier for images with `header_size`-byte headers.
    pub const fn new(header_size: u32) -> Self {
        HeaderOnlyVerifier { header_size }
    }
}

impl ImageVerifier for HeaderOnlyVerifier {
    fn verify(
        &mut self,
        _part: PartitionId,
        image: &mut dyn ImageSource,
    ) -> Result<VerifiedImage, VerifyError> {
        let mut h = [0u8; 24];
        image.read_at(0, &mut h)?;
        if word(&h, 0) != IMAGE_MAGIC {
            return Err(VerifyError::BadMagic);
        }
        let payload_size = word(&h, 4);
        if payload_size > image.len().saturating_sub(self.header_size) {
            return Err(VerifyError::TooLarge);
        }
        let digest = Digest::from_slice(HashAlgorithm::Sha256, &[0; 32])
            .ok_or(VerifyError::UnsupportedHash(HashAlgorithm::Sha256))?;
        Ok(VerifiedImage {
            version: word(&h, 12),
            image_type: ImageType((word(&h, 20) & 0xFFFF) as u16),
            header_size: self.header_size as usize,
            payload_size,
            digest,
            key_slot: None,
            secondary: None,
        })
    }
}

/// An application image of `payload` bytes after a `header_size`-byte
/// header holding the magic, the size, a version TLV and a type TLV.
pub fn synthetic_image(version: u32, payload: u32, header_size: u32) -> Vec<u8> {
    let mut img = vec![0xFFu8; (header_size + payload) as usize];
    let mut put = |at: usize, b: &[u8]| {
        if let Some(d) = img.get_mut(at..at + b.len()) {
            d.copy_from_slice(b);
        }
    };
    put(0, &IMAGE_MAGIC.to_le_bytes());
    put(4, &payload.to_le_bytes());
    put(8, &tlv::VERSION.to_le_bytes());
    put(10, &4u16.to_le_bytes());
    put(12, &version.to_le_bytes());
    put(16, &tlv::IMG_TYPE.to_le_bytes());
    put(18, &2u16.to_le_bytes());
    put(20, &0x0201u16.to_le_bytes());
    put(22, &0u16.to_le_bytes());
    for (i, b) in img.iter_mut().enumerate().skip(header_size as usize) {
        *b = (i.wrapping_mul(31) ^ version as usize) as u8;
    }
    img
}

/// With `old` in BOOT and `new` in UPDATE of `layout` on `flash` (both
/// written by the caller, [`synthetic_image`]s): trigger, boot (installs
/// `new`, keeps `old` in UPDATE), boot again unconfirmed (rolls back to
/// `old`), checking the action, the version and both partitions' bytes at
/// each step. Returns the flash for driver-specific checks.
///
/// # Panics
/// On any deviation (it is a test).
pub fn install_and_roll_back<F: Flash>(
    flash: F,
    layout: PartitionSet,
    header_size: u32,
    old: &[u8],
    new: &[u8],
) -> F {
    let config = BootConfig {
        header_size,
        ..BootConfig::default()
    };
    let verifier = HeaderOnlyVerifier::new(header_size);
    let mut boot = Bootloader::new(SingleFlash(flash), verifier, layout, config)
        .expect("the layout suits the flash");
    let read = |boot: &mut Bootloader<SingleFlash<F>, _>, part: PartitionId, len: usize| {
        let mut b = vec![0u8; len];
        layout
            .get(part)
            .read(boot.flash_mut(), 0, &mut b)
            .expect("read back");
        b
    };
    boot.update_trigger().expect("trigger");
    let d = boot.boot().expect("install");
    assert_eq!(
        (d.action, d.image.version),
        (BootAction::Installed, word(new, 12))
    );
    assert!(
        read(&mut boot, PartitionId::Boot, new.len()) == new,
        "BOOT holds the update"
    );
    assert!(
        read(&mut boot, PartitionId::Update, old.len()) == old,
        "UPDATE keeps the old image"
    );
    // Not confirmed: the next boot swaps the old image back.
    let d = boot.boot().expect("roll back");
    assert_eq!(
        (d.action, d.image.version),
        (BootAction::RolledBack, word(old, 12))
    );
    assert!(
        read(&mut boot, PartitionId::Boot, old.len()) == old,
        "BOOT holds the old image again"
    );
    boot.into_parts().0 .0
}
