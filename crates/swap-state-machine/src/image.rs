//! The verifier contract the state machine relies on for integrity and
//! authenticity, the partition reader every image read goes through, and
//! the unverified header facts the swap needs for sizes and versions.
//!
//! There is one vocabulary for images: the source is
//! [`wolfboot_verify::ImageSource`], a verified image is
//! [`wolfboot_verify::VerifiedImage`], a refusal is
//! [`wolfboot_verify::VerifyError`] (all re-exported at the crate root), and
//! header fields are found with [`wolfboot_image_format::walk`], the same TLV
//! walk the verifier uses on the header in memory.

use wolfboot_encrypt::Cipher;
use wolfboot_hal_flash::{FlashFault, FlashSet, Partition, PartitionError, PartitionId};
use wolfboot_image_format::walk::{self, TlvRead, TlvWalk};
use wolfboot_image_format::wire::{self, tlv};
use wolfboot_image_format::ImageType;
use wolfboot_verify::{ImageSource, SourceError, VerifiedImage, VerifyError};

/// Integrity + authenticity check of an image in place. Implemented by the
/// crypto side ([`KeystoreVerifier`](crate::KeystoreVerifier) with
/// `wolfboot-verify`); the state machine only calls it.
pub trait ImageVerifier {
    /// Verify the image at the start of `image` (partition `part`): header,
    /// digest and signature. Return its facts only if everything checks
    /// out. Header plus payload must fit [`ImageSource::len`]: the
    /// partition less its trailer area when the bootloader asks
    /// ([`Bootloader::image_area`](crate::Bootloader::image_area)).
    fn verify(
        &mut self,
        part: PartitionId,
        image: &mut dyn ImageSource,
    ) -> Result<VerifiedImage, VerifyError>;
}

/// An [`ImageSource`] over a partition of a [`FlashSet`], optionally
/// decrypting what it reads (encrypted UPDATE partitions). Flash faults are
/// reported as [`SourceError::Flash`] and kept whole in
/// [`PartitionReader::fault`] (power loss shows up there).
#[derive(Debug)]
pub struct PartitionReader<'a, S: ?Sized> {
    set: &'a mut S,
    partition: Partition,
    len: u32,
    fault: Option<FlashFault>,
    cipher: Option<&'a mut Cipher>,
}

impl<'a, S: FlashSet + ?Sized> PartitionReader<'a, S> {
    /// Reader of the whole of `partition` on `set`.
    pub fn new(set: &'a mut S, partition: Partition) -> Self {
        Self::with_len(set, partition, partition.size)
    }
    /// Reader of the first `len` bytes of `partition` (at most its size),
    /// e.g. the image area before the trailer.
    pub fn with_len(set: &'a mut S, partition: Partition, len: u32) -> Self {
        PartitionReader {
            set,
            partition,
            len: len.min(partition.size),
            fault: None,
            cipher: None,
        }
    }
    /// Decrypt what is read with `cipher` when there is one, the keystream
    /// position being the partition offset (wolfBoot's
    /// `ext_flash_decrypt_read`); `None` reads the bytes as stored.
    pub fn decrypting(mut self, cipher: Option<&'a mut Cipher>) -> Self {
        self.cipher = cipher;
        self
    }
    /// The last flash fault seen (power loss shows up here).
    pub fn fault(&self) -> Option<FlashFault> {
        self.fault
    }
}

impl<S: FlashSet + ?Sized> ImageSource for PartitionReader<'_, S> {
    fn len(&self) -> u32 {
        self.len
    }
    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let end = u32::try_from(buf.len())
            .ok()
            .and_then(|n| offset.checked_add(n));
        if end.is_none_or(|e| e > self.len) {
            return Err(SourceError::OutOfBounds);
        }
        match self.partition.read(self.set, offset, buf) {
            Ok(()) => {
                if let Some(c) = self.cipher.as_deref_mut() {
                    c.apply_at(offset, buf);
                }
                Ok(())
            }
            Err(PartitionError::Flash(f)) => {
                self.fault = Some(f);
                Err(SourceError::Flash(f.kind))
            }
            Err(PartitionError::OutOfRange) => Err(SourceError::OutOfBounds),
        }
    }
}

/// The header walk reads through the same bounds, decryption and fault
/// record ([`PartitionReader::fault`] tells a flash fault from a read out of
/// the partition).
impl<S: FlashSet + ?Sized> TlvRead for PartitionReader<'_, S> {
    type Error = SourceError;

    fn read_tlv_bytes(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), SourceError> {
        let offset = u32::try_from(offset).map_err(|_| SourceError::OutOfBounds)?;
        self.read_at(offset, buf)
    }
}

impl<S: FlashSet + ?Sized> PartitionReader<'_, S> {
    /// A lookup's outcome for the state machine: a flash fault is an error
    /// (run again after reset), bytes out of the partition mean "absent".
    fn settle<T, E>(&self, r: Result<Option<T>, E>) -> Result<Option<T>, FlashFault> {
        match (r, self.fault) {
            (Ok(v), _) => Ok(v),
            (Err(_), Some(f)) => Err(f),
            (Err(_), None) => Ok(None),
        }
    }

    /// Find field `tag` of the header of `header_size` bytes, as wolfBoot's
    /// `wolfBoot_find_header` finds it ([`TlvWalk`]); copy up to
    /// `out.len()` bytes of its value into `out` and return the value's
    /// full length. `None` when absent or out of the partition, a flash
    /// fault as an error.
    pub(crate) fn find_tlv(
        &mut self,
        header_size: u32,
        tag: u16,
        out: &mut [u8],
    ) -> Result<Option<usize>, FlashFault> {
        let r = match TlvWalk::new(header_size as usize).find(self, tag) {
            Ok(Some(field)) => walk::read_value(self, &field, out).map(|_| Some(field.len)),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        self.settle(r)
    }

    /// The first 4 bytes of field `tag` as a little-endian number
    /// (zero-extended when shorter).
    pub(crate) fn find_tlv_u32(
        &mut self,
        header_size: u32,
        tag: u16,
    ) -> Result<Option<u32>, FlashFault> {
        let mut v = [0u8; 4];
        Ok(self
            .find_tlv(header_size, tag, &mut v)?
            .map(|_| u32::from_le_bytes(v)))
    }

    /// Unverified header facts of the image at the start of the partition,
    /// read the way wolfBoot's `wolfBoot_open_image` and
    /// `wolfBoot_find_header` do; `None` if the magic is missing or the
    /// payload does not fit in the partition. Used for sizes and version
    /// comparisons only — never to decide that something is bootable.
    pub(crate) fn header_facts(
        &mut self,
        header_size: u32,
    ) -> Result<Option<HeaderFacts>, FlashFault> {
        let mut w = [0u8; 8];
        let r = self.read_at(0, &mut w).map(Some);
        if self.settle(r)?.is_none() {
            return Ok(None);
        }
        let magic = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        let payload_size = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        if magic != wire::IMAGE_MAGIC
            || payload_size > self.partition.size.saturating_sub(header_size)
        {
            return Ok(None);
        }
        let version = self.find_tlv_u32(header_size, tlv::VERSION)?.unwrap_or(0);
        let image_type = self.find_tlv_u32(header_size, tlv::IMG_TYPE)?.unwrap_or(0);
        let image_type = ImageType(image_type as u16);
        Ok(Some(HeaderFacts {
            payload_size,
            version,
            image_type,
        }))
    }
}

/// Unverified header facts (see [`PartitionReader::header_facts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderFacts {
    pub payload_size: u32,
    pub version: u32,
    pub image_type: ImageType,
}
