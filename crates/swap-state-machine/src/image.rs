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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;
    use wolfboot_encrypt::Algorithm;
    use wolfboot_hal_flash::{Device, Flash, MemFlash, MemFlashConfig, PowerSupply, SingleFlash};

    const PSIZE: u32 = 0x2000;
    const HDR: u32 = 256;

    fn part() -> Partition {
        Partition::new(Device::Internal, 0, PSIZE)
    }

    /// Magic, payload size, a padding byte, then (at the even offset 10)
    /// version 7, a second version field (ignored: the first counts), and
    /// the image type 0x0201 as a 2-byte field.
    fn header(payload: u32) -> Vec<u8> {
        let mut h = std::vec![0xFFu8; HDR as usize];
        h[..4].copy_from_slice(&wire::IMAGE_MAGIC.to_le_bytes());
        h[4..8].copy_from_slice(&payload.to_le_bytes());
        h[8] = 0xFF;
        h[9] = 0xFF;
        h[10..18].copy_from_slice(&[1, 0, 4, 0, 7, 0, 0, 0]);
        h[18..26].copy_from_slice(&[1, 0, 4, 0, 9, 0, 0, 0]);
        h[26..32].copy_from_slice(&[4, 0, 2, 0, 0x01, 0x02]);
        h[32..36].copy_from_slice(&[0, 0, 0, 0]);
        h
    }

    fn flash_with(bytes: &[u8]) -> SingleFlash<MemFlash> {
        let mut f = MemFlash::new(MemFlashConfig::new(PSIZE, 0x1000, 8)).unwrap();
        f.poke(0, bytes).unwrap();
        SingleFlash(f)
    }

    fn facts(payload: u32) -> HeaderFacts {
        HeaderFacts {
            payload_size: payload,
            version: 7,
            image_type: ImageType(0x0201),
        }
    }

    #[test]
    fn header_facts_walk_like_wolfboot() {
        let mut f = flash_with(&header(100));
        let mut r = PartitionReader::new(&mut f, part());
        assert_eq!(r.header_facts(HDR), Ok(Some(facts(100))));
        let mut v = [0u8; 2];
        assert_eq!(r.find_tlv(HDR, tlv::IMG_TYPE, &mut v), Ok(Some(2)));
        assert_eq!(v, [0x01, 0x02]);
        // Absent field; a payload that does not fit; no magic.
        assert_eq!(r.find_tlv_u32(HDR, tlv::TIMESTAMP), Ok(None));
        let mut f = flash_with(&header(PSIZE - HDR + 1));
        let mut r = PartitionReader::new(&mut f, part());
        assert_eq!(r.header_facts(HDR), Ok(None));
        let mut f = flash_with(&[0u8; 8]);
        let mut r = PartitionReader::new(&mut f, part());
        assert_eq!(r.header_facts(HDR), Ok(None));
    }

    #[test]
    fn encrypted_headers_are_read_through_the_cipher() {
        let key = [0x11u8; 32];
        let nonce = [0x22u8; 12];
        let mut cipher = Cipher::new(Algorithm::ChaCha20, &key, &nonce).unwrap();
        let mut ct = header(100);
        cipher.apply_at(0, &mut ct);
        let mut f = flash_with(&ct);
        let mut r = PartitionReader::new(&mut f, part()).decrypting(Some(&mut cipher));
        assert_eq!(r.header_facts(HDR), Ok(Some(facts(100))));
        // The same bytes read raw are not an image.
        let mut r = PartitionReader::new(&mut f, part());
        assert_eq!(r.header_facts(HDR), Ok(None));
    }

    #[test]
    fn reads_are_bounded_and_faults_are_errors() {
        let mut f = flash_with(&header(100));
        let mut r = PartitionReader::with_len(&mut f, part(), 300);
        let mut b = [0u8; 4];
        assert_eq!(r.read_at(296, &mut b), Ok(()));
        assert_eq!(r.read_at(297, &mut b), Err(SourceError::OutOfBounds));
        assert_eq!(r.read_at(u32::MAX, &mut b), Err(SourceError::OutOfBounds));
        assert_eq!(r.fault(), None);
        // A header larger than the partition: the walk runs out of the
        // partition, which reads as "absent", not as a fault.
        let mut big = header(0);
        big.resize(PSIZE as usize, 0xFF);
        let mut f = flash_with(&big);
        let mut r = PartitionReader::new(&mut f, part());
        assert_eq!(r.find_tlv_u32(0x4000, tlv::TIMESTAMP), Ok(None));

        let power = PowerSupply::new();
        let mut m =
            MemFlash::with_power(MemFlashConfig::new(PSIZE, 0x1000, 8), power.clone()).unwrap();
        m.poke(0, &header(100)).unwrap();
        let mut f = SingleFlash(m);
        power.cut_after(0);
        assert!(f.0.erase(0x1000, 0x2000).is_err(), "power now off");
        let mut r = PartitionReader::new(&mut f, part());
        assert!(matches!(r.read_at(0, &mut b), Err(SourceError::Flash(_))));
        assert!(r.fault().is_some());
        let mut r = PartitionReader::new(&mut f, part());
        assert!(r.header_facts(HDR).is_err());
        assert!(r.find_tlv_u32(HDR, tlv::VERSION).is_err());
    }
}
