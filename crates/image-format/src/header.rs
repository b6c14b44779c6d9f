use crate::error::HeaderError;
use crate::types::{AuthType, DeltaInfo, HashAlgorithm, ImageType};
use crate::walk::TlvWalk;
use crate::wire::{self, tlv, IMAGE_HEADER_SIZE_DEFAULT, IMAGE_HEADER_SIZE_MAX};

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn le_u32(value: &[u8]) -> Option<u32> {
    let b: [u8; 4] = value.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// One field of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Type identifier (see [`wire::tlv`]).
    pub tag: u16,
    /// Offset of the field's tag from the start of the header.
    pub offset: usize,
    /// The value bytes.
    pub value: &'a [u8],
}

/// Iterator over the header fields, walking them exactly as wolfBoot's
/// `wolfBoot_find_header` does: padding bytes (0xFF) and odd offsets are
/// skipped, tag 0 ends the list, and a field that would not fit stops the walk.
/// It is [`TlvWalk`] over the header slice.
#[derive(Debug, Clone)]
pub struct Tlvs<'a> {
    header: &'a [u8],
    walk: TlvWalk,
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Tlv<'a>;

    fn next(&mut self) -> Option<Tlv<'a>> {
        // The walk never reads past `header.len()`, so a read error cannot
        // happen; it would end the iteration.
        let field = self.walk.next_field(&mut self.header).ok()??;
        let value = self.header.get(field.value_offset()..field.end())?;
        Some(Tlv {
            tag: field.tag,
            offset: field.offset,
            value,
        })
    }
}

/// A zero-copy view of a wolfBoot manifest header.
///
/// Construction checks the magic and that the slice holds the whole header;
/// every getter is checked and never panics, whatever the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader<'a> {
    bytes: &'a [u8],
}

/// A digest field and where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestField<'a> {
    /// Which algorithm the field names.
    pub algorithm: HashAlgorithm,
    /// The digest bytes.
    pub value: &'a [u8],
    /// Header bytes covered by the digest: everything before the field's tag.
    pub covered_header_len: usize,
}

impl<'a> ImageHeader<'a> {
    /// View the first `header_size` bytes of `image` as a header.
    ///
    /// `header_size` is the bootloader's `IMAGE_HEADER_SIZE`: a multiple of
    /// 256 from 256 to 64 KiB ([`wire::valid_header_size`]).
    pub fn parse(image: &'a [u8], header_size: usize) -> Result<Self, HeaderError> {
        if !wire::valid_header_size(header_size) {
            return Err(HeaderError::BadHeaderSize);
        }
        let magic = read_u32(image, 0).ok_or(HeaderError::Truncated)?;
        if magic != wire::IMAGE_MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let bytes = image.get(..header_size).ok_or(HeaderError::Truncated)?;
        Ok(ImageHeader { bytes })
    }

    /// View a header whose size is not known in advance (host tools).
    ///
    /// When `image` is exactly one image, its length gives the header size.
    /// Otherwise the header is sized the way wolfBoot's `sign` tool sizes it:
    /// the smallest power of two, at least the minimum for the image's key
    /// type, that holds every field up to the signature (or the digest for
    /// unsigned images). A bootloader knows its `IMAGE_HEADER_SIZE` and uses
    /// [`ImageHeader::parse`] instead.
    pub fn parse_auto(image: &'a [u8]) -> Result<Self, HeaderError> {
        let first = Self::parse(image, IMAGE_HEADER_SIZE_DEFAULT)?;
        // A file holding exactly one image tells its header size by its
        // length (a signer may have used a larger header than needed).
        let by_length = image.len().wrapping_sub(first.payload_size() as usize);
        // Powers of two, and multiples of 4 KiB (wolfBoot's 12288-byte
        // ML-DSA-87 headers): a cut image rarely passes for a whole one.
        if wire::valid_header_size(by_length)
            && (by_length.is_power_of_two() || by_length.is_multiple_of(4096))
            && by_length <= image.len()
        {
            if let Ok(h) = Self::parse(image, by_length) {
                if h.is_complete() {
                    return Ok(h);
                }
            }
        }
        let min = first
            .image_type()
            .ok()
            .and_then(ImageType::auth)
            .map_or(IMAGE_HEADER_SIZE_DEFAULT, AuthType::min_header_size);
        let mut size = min.max(IMAGE_HEADER_SIZE_DEFAULT);
        while size <= IMAGE_HEADER_SIZE_MAX {
            let Ok(candidate) = Self::parse(image, size) else {
                break;
            };
            if candidate.is_complete() {
                return Ok(candidate);
            }
            size *= 2;
        }
        // Nothing complete: report on the smallest plausible size so that the
        // caller sees which field is missing.
        Self::parse(image, min.max(IMAGE_HEADER_SIZE_DEFAULT))
    }

    /// Whether the fields a verifier needs (digest, and signature for signed
    /// images) are all inside this header.
    fn is_complete(&self) -> bool {
        let unsigned = matches!(
            self.image_type().ok().and_then(ImageType::auth),
            Some(AuthType::None)
        );
        self.digest().is_ok() && (unsigned || self.signature().is_some())
    }

    /// Size of the header (offset of the payload).
    pub fn header_size(&self) -> usize {
        self.bytes.len()
    }

    /// The header bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Payload size announced by the header.
    pub fn payload_size(&self) -> u32 {
        read_u32(self.bytes, 4).unwrap_or(0)
    }

    /// Header plus payload, or `None` on overflow.
    pub fn total_size(&self) -> Option<usize> {
        self.header_size().checked_add(self.payload_size() as usize)
    }

    /// All fields, in order.
    pub fn tlvs(&self) -> Tlvs<'a> {
        Tlvs {
            header: self.bytes,
            walk: TlvWalk::new(self.bytes.len()),
        }
    }

    /// The first field with this tag, as wolfBoot finds it.
    pub fn find_tlv(&self, tag: u16) -> Option<Tlv<'a>> {
        self.tlvs().find(|t| t.tag == tag)
    }

    /// The value of the first field with this tag.
    pub fn find(&self, tag: u16) -> Option<&'a [u8]> {
        self.find_tlv(tag).map(|t| t.value)
    }

    fn fixed<const N: usize>(&self, tag: u16) -> Result<[u8; N], HeaderError> {
        let value = self.find(tag).ok_or(HeaderError::MissingTlv(tag))?;
        value.try_into().map_err(|_| HeaderError::BadTlvLength(tag))
    }

    /// Firmware version.
    pub fn version(&self) -> Result<u32, HeaderError> {
        self.fixed::<4>(tlv::VERSION).map(u32::from_le_bytes)
    }

    /// Build timestamp, when present.
    pub fn timestamp(&self) -> Result<Option<u64>, HeaderError> {
        match self.fixed::<8>(tlv::TIMESTAMP) {
            Ok(b) => Ok(Some(u64::from_le_bytes(b))),
            Err(HeaderError::MissingTlv(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Image type (auth type, flags, partition id).
    pub fn image_type(&self) -> Result<ImageType, HeaderError> {
        self.fixed::<2>(tlv::IMG_TYPE)
            .map(|b| ImageType(u16::from_le_bytes(b)))
    }

    /// Hash of the signing public key, when present.
    pub fn pubkey_hint(&self) -> Option<&'a [u8]> {
        self.find(tlv::PUBKEY_HINT)
    }

    /// Signature bytes, when present.
    pub fn signature(&self) -> Option<&'a [u8]> {
        self.find(tlv::SIGNATURE)
    }

    /// The digest field of a given algorithm.
    pub fn digest_for(&self, algorithm: HashAlgorithm) -> Result<DigestField<'a>, HeaderError> {
        let tag = algorithm.tlv();
        let field = self.find_tlv(tag).ok_or(HeaderError::MissingTlv(tag))?;
        if field.value.len() != algorithm.digest_len() {
            return Err(HeaderError::BadTlvLength(tag));
        }
        Ok(DigestField {
            algorithm,
            value: field.value,
            covered_header_len: field.offset,
        })
    }

    /// The first digest field present (SHA-256, SHA-384 or SHA3-384).
    pub fn digest(&self) -> Result<DigestField<'a>, HeaderError> {
        let field = self
            .tlvs()
            .find(|t| HashAlgorithm::from_tlv(t.tag).is_some())
            .ok_or(HeaderError::MissingTlv(tlv::SHA256))?;
        let algorithm =
            HashAlgorithm::from_tlv(field.tag).ok_or(HeaderError::MissingTlv(tlv::SHA256))?;
        self.digest_for(algorithm)
    }

    /// The delta-update fields, for differential images.
    pub fn delta(&self) -> Result<Option<DeltaInfo<'a>>, HeaderError> {
        if !self.image_type()?.is_diff() {
            return Ok(None);
        }
        let get = |tag| -> Result<u32, HeaderError> {
            let v = self.find(tag).ok_or(HeaderError::MissingTlv(tag))?;
            le_u32(v).ok_or(HeaderError::BadTlvLength(tag))
        };
        Ok(Some(DeltaInfo {
            base_version: get(tlv::DELTA_BASE)?,
            patch_len: get(tlv::DELTA_SIZE)?,
            inverse_offset: get(tlv::DELTA_INVERSE)?,
            inverse_len: get(tlv::DELTA_INVERSE_SIZE)?,
            base_hash: self.find(tlv::DELTA_BASE_HASH),
        }))
    }
}

/// A header and the payload it announces, both in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image<'a> {
    /// The manifest header.
    pub header: ImageHeader<'a>,
    /// Exactly `header.payload_size()` bytes following the header.
    pub payload: &'a [u8],
}

impl<'a> Image<'a> {
    /// Split `bytes` into header and payload, with a known header size.
    /// Bytes past the payload (flash padding) are ignored.
    pub fn parse(bytes: &'a [u8], header_size: usize) -> Result<Self, HeaderError> {
        Self::from_header(bytes, ImageHeader::parse(bytes, header_size)?)
    }

    /// Split `bytes` into header and payload, sizing the header as
    /// [`ImageHeader::parse_auto`] does.
    pub fn parse_auto(bytes: &'a [u8]) -> Result<Self, HeaderError> {
        Self::from_header(bytes, ImageHeader::parse_auto(bytes)?)
    }

    fn from_header(bytes: &'a [u8], header: ImageHeader<'a>) -> Result<Self, HeaderError> {
        let end = header.total_size().ok_or(HeaderError::TooLarge)?;
        let payload = bytes
            .get(header.header_size()..end)
            .ok_or(HeaderError::PayloadTruncated)?;
        Ok(Image { header, payload })
    }

    /// Header and payload length together.
    pub fn total_size(&self) -> usize {
        self.header.header_size() + self.payload.len()
    }
}
