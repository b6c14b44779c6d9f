//! What the state machine needs to know about images, and the verifier
//! contract it relies on for integrity and authenticity.

use core::fmt;

use wolfboot_encrypt::Cipher;
use wolfboot_hal_flash::{FlashFault, FlashSet, Partition, PartitionError, PartitionId};

use crate::constants::{
    HDR_IMG_TYPE, HDR_PADDING, HDR_VERSION, IMAGE_HEADER_OFFSET, WOLFBOOT_MAGIC,
};

/// Facts about a verified image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// Firmware version (header TLV 0x0001).
    pub version: u32,
    /// Payload size in bytes (header word at offset 4).
    pub payload_size: u32,
    /// Header size (`IMAGE_HEADER_SIZE`) the image was built with.
    pub header_size: u32,
    /// Image type (header TLV 0x0004): partition nibble | auth byte.
    pub image_type: u16,
}

impl ImageInfo {
    /// Header plus payload, in bytes.
    pub fn total_size(&self) -> u32 {
        self.header_size.saturating_add(self.payload_size)
    }
}

/// Why an image did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// Reading the image failed.
    Read,
    /// No `WOLF` magic.
    BadMagic,
    /// Header TLVs malformed, or a required field missing.
    MalformedHeader,
    /// Payload does not fit in the partition.
    SizeOutOfRange,
    /// Digest mismatch.
    IntegrityMismatch,
    /// Signature invalid.
    SignatureInvalid,
    /// No trusted key matches the image's key hint.
    UnknownKey,
    /// Algorithm or image type not supported by this verifier.
    Unsupported,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerifyError::Read => "image could not be read",
            VerifyError::BadMagic => "image magic missing",
            VerifyError::MalformedHeader => "image header malformed",
            VerifyError::SizeOutOfRange => "image size out of range",
            VerifyError::IntegrityMismatch => "image digest mismatch",
            VerifyError::SignatureInvalid => "image signature invalid",
            VerifyError::UnknownKey => "no trusted key for image",
            VerifyError::Unsupported => "image algorithm or type unsupported",
        })
    }
}

/// Read access to the bytes of one partition, for verifiers.
pub trait ImageSource {
    /// Bytes the image may occupy from the partition start: the partition
    /// less its trailer area when the bootloader asks ([`Bootloader`]
    /// passes [`Bootloader::image_area`]). Header plus payload must fit.
    ///
    /// [`Bootloader`]: crate::Bootloader
    /// [`Bootloader::image_area`]: crate::Bootloader::image_area
    fn size(&self) -> u32;
    /// Read `buf.len()` bytes at `offset` from the partition start (within
    /// [`ImageSource::size`]).
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), VerifyError>;
}

/// Integrity + authenticity check of an image in place. Implemented by the
/// crypto side (`wolfboot-verify`); the state machine only calls it.
pub trait ImageVerifier {
    /// Verify the image at the start of `part`: header, digest and signature.
    /// Return its facts only if everything checks out.
    fn verify(
        &mut self,
        part: PartitionId,
        image: &mut dyn ImageSource,
    ) -> Result<ImageInfo, VerifyError>;
}

/// An [`ImageSource`] over a partition of a [`FlashSet`], optionally
/// decrypting what it reads (encrypted UPDATE partitions).
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
    /// Decrypt what is read with `cipher`, the keystream position being the
    /// partition offset (wolfBoot's `ext_flash_decrypt_read`).
    pub fn decrypting(mut self, cipher: &'a mut Cipher) -> Self {
        self.cipher = Some(cipher);
        self
    }
    /// The last flash fault seen (power loss shows up here).
    pub fn fault(&self) -> Option<FlashFault> {
        self.fault
    }
}

impl<S: FlashSet + ?Sized> ImageSource for PartitionReader<'_, S> {
    fn size(&self) -> u32 {
        self.len
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), VerifyError> {
        let end = u32::try_from(buf.len())
            .ok()
            .and_then(|n| offset.checked_add(n));
        if end.is_none_or(|e| e > self.len) {
            return Err(VerifyError::Read);
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
                Err(VerifyError::Read)
            }
            Err(PartitionError::OutOfRange) => Err(VerifyError::Read),
        }
    }
}

/// Raw or decrypted byte access to one partition, for header walks.
pub(crate) struct PartBytes<'a, S: ?Sized> {
    pub set: &'a mut S,
    pub part: Partition,
    pub cipher: Option<&'a mut Cipher>,
}

impl<S: FlashSet + ?Sized> PartBytes<'_, S> {
    /// Read `buf` at `off`; `Ok(false)` when out of the partition.
    pub fn read(&mut self, off: u32, buf: &mut [u8]) -> Result<bool, FlashFault> {
        match self.part.read(self.set, off, buf) {
            Ok(()) => {
                if let Some(c) = self.cipher.as_deref_mut() {
                    c.apply_at(off, buf);
                }
                Ok(true)
            }
            Err(PartitionError::OutOfRange) => Ok(false),
            Err(PartitionError::Flash(f)) => Err(f),
        }
    }
}

/// Unverified header facts, read the way wolfBoot's `wolfBoot_open_image`
/// and `wolfBoot_find_header` do. Used for sizes and version comparisons
/// only — never to decide that something is bootable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderFacts {
    pub payload_size: u32,
    pub version: u32,
    pub image_type: u16,
}

/// Read the header facts of the image at the start of the partition; `None`
/// if the magic is missing or the size does not fit in the partition.
pub(crate) fn read_header<S: FlashSet + ?Sized>(
    bytes: &mut PartBytes<'_, S>,
    header_size: u32,
) -> Result<Option<HeaderFacts>, FlashFault> {
    let mut w = [0u8; 8];
    if !bytes.read(0, &mut w)? {
        return Ok(None);
    }
    let magic = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    let payload_size = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
    if magic != WOLFBOOT_MAGIC || payload_size > bytes.part.size.saturating_sub(header_size) {
        return Ok(None);
    }
    let version = find_tlv_u32(bytes, header_size, HDR_VERSION)?.unwrap_or(0);
    let image_type = find_tlv_u32(bytes, header_size, HDR_IMG_TYPE)?.unwrap_or(0) as u16;
    Ok(Some(HeaderFacts {
        payload_size,
        version,
        image_type,
    }))
}

/// Value of a 2- or 4-byte TLV (little endian).
pub(crate) fn find_tlv_u32<S: FlashSet + ?Sized>(
    bytes: &mut PartBytes<'_, S>,
    header_size: u32,
    wanted: u16,
) -> Result<Option<u32>, FlashFault> {
    let mut v = [0u8; 4];
    Ok(find_tlv(bytes, header_size, wanted, &mut v)?.map(|_| u32::from_le_bytes(v)))
}

/// Find TLV `wanted`, walking the header like wolfBoot: padding bytes and
/// odd offsets are skipped, type 0 ends, an oversized field stops the walk.
/// Copies up to `out.len()` bytes of its value into `out` and returns the
/// value's full length.
pub(crate) fn find_tlv<S: FlashSet + ?Sized>(
    bytes: &mut PartBytes<'_, S>,
    header_size: u32,
    wanted: u16,
    out: &mut [u8],
) -> Result<Option<u32>, FlashFault> {
    let mut p = IMAGE_HEADER_OFFSET;
    let mut tl = [0u8; 4];
    while p + 4 < header_size {
        if !bytes.read(p, &mut tl)? {
            return Ok(None);
        }
        let ty = u16::from_le_bytes([tl[0], tl[1]]);
        if ty == 0 {
            break;
        }
        if tl[0] == HDR_PADDING || !p.is_multiple_of(2) {
            p += 1;
            continue;
        }
        let len = u32::from(u16::from_le_bytes([tl[2], tl[3]]));
        if 4 + len > header_size - IMAGE_HEADER_OFFSET || p + 4 + len > header_size {
            break;
        }
        if ty == wanted {
            let n = (len as usize).min(out.len());
            let dst = out.get_mut(..n).unwrap_or(&mut []);
            if !bytes.read(p + 4, dst)? {
                return Ok(None);
            }
            return Ok(Some(len));
        }
        p += 4 + len;
    }
    Ok(None)
}
