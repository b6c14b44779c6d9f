//! Host-side header layout, field for field as wolfBoot's `sign` writes it.

use crate::types::{AuthType, HashAlgorithm, ImageType};
use crate::wire::{self, tlv, IMAGE_HEADER_SIZE_DEFAULT, IMAGE_HEADER_SIZE_MAX};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Why a header could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// The fields do not fit the header size that was forced.
    HeaderOverflow {
        /// Bytes the fields need.
        needed: usize,
        /// Header size available.
        size: usize,
    },
    /// A forced header size is not a multiple of 256 in 256..=65536.
    BadHeaderSize(usize),
    /// A value is longer than a TLV can carry.
    ValueTooLong(u16),
    /// A digest or key hint has the wrong length for the hash algorithm.
    BadDigestLength,
    /// A signed image was finished without a signature (or an unsigned one with one).
    SignatureMismatch,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::HeaderOverflow { needed, size } => {
                write!(
                    f,
                    "header fields need {needed} bytes but the header is {size}"
                )
            }
            BuildError::BadHeaderSize(s) => {
                write!(
                    f,
                    "header size {s} is not a multiple of 256 between 256 and 65536"
                )
            }
            BuildError::ValueTooLong(t) => write!(f, "value of field 0x{t:04x} is too long"),
            BuildError::BadDigestLength => {
                f.write_str("digest length does not match the hash algorithm")
            }
            BuildError::SignatureMismatch => {
                f.write_str("signature presence does not match the auth type")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BuildError {}
#[cfg(feature = "std")]
extern crate std;

/// Pad so the next field's value (after its 4-byte tag and length) starts
/// 8-byte aligned, as `sign` does before most fields.
fn align_value_8(idx: usize) -> usize {
    let mut i = idx;
    while i % 8 != 4 {
        i += 1;
    }
    i
}

fn align_4(idx: usize) -> usize {
    idx.next_multiple_of(4)
}

#[derive(Debug, Clone)]
struct DeltaSpec {
    base_version: u32,
    patch_len: u32,
    inverse_offset: u32,
    inverse_len: u32,
    base_hash: Option<Vec<u8>>,
}

/// Lays out a manifest header as wolfBoot's `sign` tool does.
///
/// ```
/// use wolfboot_image_format::{AuthType, HashAlgorithm, HeaderBuilder, ImageHeader};
/// let b = HeaderBuilder::new(AuthType::Ecc256, HashAlgorithm::Sha256, 7).timestamp(None);
/// let unsigned = b.begin(3, &[0u8; 32]).unwrap();
/// // digest = SHA-256(unsigned.hashed_prefix() || payload), then sign it
/// let header = unsigned.finish(&[0u8; 32], Some(&[0u8; 64])).unwrap();
/// assert_eq!(header.len(), 256);
/// assert_eq!(ImageHeader::parse(&header, 256).unwrap().version(), Ok(7));
/// ```
#[derive(Debug, Clone)]
pub struct HeaderBuilder {
    auth: AuthType,
    hash: HashAlgorithm,
    version: u32,
    timestamp: Option<u64>,
    partition_id: u8,
    delta: Option<DeltaSpec>,
    custom: Vec<(u16, Vec<u8>)>,
    signature_len: usize,
    header_size: Option<usize>,
    secondary: Option<Secondary>,
}

/// The second signer of a hybrid image.
#[derive(Debug, Clone)]
struct Secondary {
    auth: AuthType,
    hint: Vec<u8>,
    signature_len: usize,
}

impl HeaderBuilder {
    /// A builder for an application image (partition id 1) with no timestamp.
    pub fn new(auth: AuthType, hash: HashAlgorithm, version: u32) -> Self {
        HeaderBuilder {
            auth,
            hash,
            version,
            timestamp: None,
            partition_id: wire::img_type::PART_APP,
            delta: None,
            custom: Vec::new(),
            signature_len: auth.signature_len(),
            header_size: None,
            secondary: None,
        }
    }

    /// Set (or omit, with `None`) the timestamp field.
    pub fn timestamp(mut self, ts: Option<u64>) -> Self {
        self.timestamp = ts;
        self
    }

    /// Partition id (low nibble of the image type).
    pub fn partition_id(mut self, id: u8) -> Self {
        self.partition_id = id & 0x0F;
        self
    }

    /// Mark the image as a delta update and add the delta fields.
    pub fn delta(
        mut self,
        base_version: u32,
        patch_len: u32,
        inverse_offset: u32,
        inverse_len: u32,
        base_hash: Option<&[u8]>,
    ) -> Self {
        self.delta = Some(DeltaSpec {
            base_version,
            patch_len,
            inverse_offset,
            inverse_len,
            base_hash: base_hash.map(<[u8]>::to_vec),
        });
        self
    }

    /// Append a custom field (placed after the standard ones, value 8-byte aligned).
    pub fn custom_tlv(mut self, tag: u16, value: &[u8]) -> Self {
        self.custom.push((tag, value.to_vec()));
        self
    }

    /// Signature length, when the key decides it (RSA).
    pub fn signature_len(mut self, len: usize) -> Self {
        self.signature_len = len;
        self
    }

    /// Make a hybrid image (wolfBoot's `SIGN_SECONDARY`): a second signature
    /// of `signature_len` bytes by a key of type `auth` whose hint (hash of
    /// its keystore form, with the image's hash) is `hint`. The secondary
    /// cipher and hint fields follow the primary hint (the digest covers
    /// them); the secondary signature follows the primary one.
    pub fn secondary(mut self, auth: AuthType, hint: &[u8], signature_len: usize) -> Self {
        self.secondary = Some(Secondary {
            auth,
            hint: hint.to_vec(),
            signature_len,
        });
        self
    }

    /// Force the header size instead of sizing it automatically.
    pub fn header_size(mut self, size: usize) -> Self {
        self.header_size = Some(size);
        self
    }

    /// The image type this builder writes.
    pub fn image_type(&self) -> ImageType {
        ImageType::new(self.auth, self.partition_id, self.delta.is_some())
    }

    /// Walk the layout; `emit` receives (offset, tag, value-or-None for
    /// placeholder of given length). Returns (end offset, covered length).
    fn layout(&self, mut emit: impl FnMut(usize, u16, Field<'_>)) -> (usize, usize) {
        let digest_len = self.hash.digest_len();
        let mut idx = 8usize;
        let mut put = |idx: &mut usize, tag: u16, field: Field<'_>| {
            emit(*idx, tag, field);
            *idx += 4 + field.len();
        };
        put(
            &mut idx,
            tlv::VERSION,
            Field::Bytes(&self.version.to_le_bytes()),
        );
        idx = align_value_8(idx);
        if let Some(ts) = self.timestamp {
            put(&mut idx, tlv::TIMESTAMP, Field::Bytes(&ts.to_le_bytes()));
        }
        put(
            &mut idx,
            tlv::IMG_TYPE,
            Field::Bytes(&self.image_type().raw().to_le_bytes()),
        );
        if let Some(d) = &self.delta {
            idx = align_4(idx);
            put(
                &mut idx,
                tlv::DELTA_BASE,
                Field::Bytes(&d.base_version.to_le_bytes()),
            );
            put(
                &mut idx,
                tlv::DELTA_SIZE,
                Field::Bytes(&d.patch_len.to_le_bytes()),
            );
            idx = align_4(idx);
            put(
                &mut idx,
                tlv::DELTA_INVERSE,
                Field::Bytes(&d.inverse_offset.to_le_bytes()),
            );
            put(
                &mut idx,
                tlv::DELTA_INVERSE_SIZE,
                Field::Bytes(&d.inverse_len.to_le_bytes()),
            );
            if let Some(h) = &d.base_hash {
                idx = align_value_8(idx);
                put(&mut idx, tlv::DELTA_BASE_HASH, Field::Bytes(h));
            }
        }
        for (tag, value) in &self.custom {
            idx = align_value_8(idx);
            put(&mut idx, *tag, Field::Bytes(value));
        }
        idx = align_value_8(idx);
        put(&mut idx, tlv::PUBKEY_HINT, Field::Hint(digest_len));
        let cipher = self
            .secondary
            .as_ref()
            .map(|s| (u16::from(s.auth.code()) << 8).to_le_bytes());
        if let (Some(s), Some(cipher)) = (&self.secondary, &cipher) {
            idx = align_value_8(idx);
            put(&mut idx, tlv::SECONDARY_CIPHER, Field::Bytes(cipher));
            idx = align_value_8(idx);
            put(&mut idx, tlv::SECONDARY_PUBKEY, Field::Bytes(&s.hint));
        }
        idx = align_value_8(idx);
        let covered = idx;
        put(&mut idx, self.hash.tlv(), Field::Digest(digest_len));
        if self.auth != AuthType::None {
            idx = align_value_8(idx);
            put(
                &mut idx,
                tlv::SIGNATURE,
                Field::Signature(self.signature_len),
            );
            if let Some(s) = &self.secondary {
                idx = align_value_8(idx);
                put(
                    &mut idx,
                    tlv::SECONDARY_SIGNATURE,
                    Field::Signature(s.signature_len),
                );
            }
        }
        (idx, covered)
    }

    /// Bytes the fields occupy (before padding to the header size).
    pub fn required_size(&self) -> usize {
        self.layout(|_, _, _| {}).0
    }

    /// The header size this image gets: the forced one, or the smallest power
    /// of two that is at least the key type's minimum and holds every field.
    pub fn effective_header_size(&self) -> Result<usize, BuildError> {
        let needed = self.required_size();
        match self.header_size {
            Some(size) => {
                if !crate::wire::valid_header_size(size) {
                    return Err(BuildError::BadHeaderSize(size));
                }
                if needed > size {
                    return Err(BuildError::HeaderOverflow { needed, size });
                }
                Ok(size)
            }
            None => {
                let size = needed
                    .next_power_of_two()
                    .max(self.auth.min_header_size())
                    .max(IMAGE_HEADER_SIZE_DEFAULT);
                if size > IMAGE_HEADER_SIZE_MAX {
                    return Err(BuildError::HeaderOverflow {
                        needed,
                        size: IMAGE_HEADER_SIZE_MAX,
                    });
                }
                Ok(size)
            }
        }
    }

    /// Write every field that the digest covers. `pubkey_hint` is the hash of
    /// the signing public key with the image's hash algorithm (the hash of no
    /// bytes for unsigned images, as wolfBoot writes it).
    pub fn begin(
        &self,
        payload_len: u32,
        pubkey_hint: &[u8],
    ) -> Result<UnsignedHeader, BuildError> {
        if pubkey_hint.len() != self.hash.digest_len()
            || self
                .secondary
                .as_ref()
                .is_some_and(|s| s.hint.len() != self.hash.digest_len())
        {
            return Err(BuildError::BadDigestLength);
        }
        for (tag, value) in &self.custom {
            if value.len() > usize::from(u16::MAX) {
                return Err(BuildError::ValueTooLong(*tag));
            }
        }
        let size = self.effective_header_size()?;
        let mut buf = vec![wire::PADDING; size];
        buf[0..4].copy_from_slice(&wire::IMAGE_MAGIC.to_le_bytes());
        buf[4..8].copy_from_slice(&payload_len.to_le_bytes());
        let (_, covered) = self.layout(|at, tag, field| {
            let value = match field {
                Field::Bytes(b) => b,
                Field::Hint(_) => pubkey_hint,
                Field::Digest(_) | Field::Signature(_) => return,
            };
            write_tlv(&mut buf, at, tag, value);
        });
        Ok(UnsignedHeader {
            buf,
            covered,
            hash: self.hash,
            signed: self.auth != AuthType::None,
            hybrid: self.secondary.is_some() && self.auth != AuthType::None,
        })
    }
}

#[derive(Clone, Copy)]
enum Field<'a> {
    Bytes(&'a [u8]),
    Hint(usize),
    Digest(usize),
    Signature(usize),
}

impl Field<'_> {
    fn len(&self) -> usize {
        match self {
            Field::Bytes(b) => b.len(),
            Field::Hint(n) | Field::Digest(n) | Field::Signature(n) => *n,
        }
    }
}

fn write_tlv(buf: &mut [u8], at: usize, tag: u16, value: &[u8]) {
    // Callers size `buf` from the same layout, so these ranges are in bounds.
    buf[at..at + 2].copy_from_slice(&tag.to_le_bytes());
    buf[at + 2..at + 4].copy_from_slice(&(value.len() as u16).to_le_bytes());
    buf[at + 4..at + 4 + value.len()].copy_from_slice(value);
}

/// A header with every digest-covered field written, waiting for its digest
/// and signature.
#[derive(Debug, Clone)]
pub struct UnsignedHeader {
    buf: Vec<u8>,
    covered: usize,
    hash: HashAlgorithm,
    signed: bool,
    hybrid: bool,
}

impl UnsignedHeader {
    /// The header bytes the digest covers (hash them, then the payload).
    pub fn hashed_prefix(&self) -> &[u8] {
        &self.buf[..self.covered]
    }

    /// The hash algorithm the digest must use.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }

    /// Header size.
    pub fn header_size(&self) -> usize {
        self.buf.len()
    }

    /// Add digest and signature; returns the complete header.
    pub fn finish(self, digest: &[u8], signature: Option<&[u8]>) -> Result<Vec<u8>, BuildError> {
        if self.hybrid {
            return Err(BuildError::SignatureMismatch);
        }
        self.finish_inner(digest, signature, None)
    }

    /// Add digest and both signatures of a hybrid image (see
    /// [`HeaderBuilder::secondary`]); returns the complete header.
    pub fn finish_hybrid(
        self,
        digest: &[u8],
        signature: &[u8],
        secondary: &[u8],
    ) -> Result<Vec<u8>, BuildError> {
        if !self.hybrid {
            return Err(BuildError::SignatureMismatch);
        }
        self.finish_inner(digest, Some(signature), Some(secondary))
    }

    fn finish_inner(
        mut self,
        digest: &[u8],
        signature: Option<&[u8]>,
        secondary: Option<&[u8]>,
    ) -> Result<Vec<u8>, BuildError> {
        if digest.len() != self.hash.digest_len() {
            return Err(BuildError::BadDigestLength);
        }
        let size = self.buf.len();
        let mut idx = self.covered;
        let needed = idx + 4 + digest.len();
        if needed > size {
            return Err(BuildError::HeaderOverflow { needed, size });
        }
        write_tlv(&mut self.buf, idx, self.hash.tlv(), digest);
        idx += 4 + digest.len();
        match (self.signed, signature) {
            (true, Some(sig)) => {
                if sig.len() > usize::from(u16::MAX) {
                    return Err(BuildError::ValueTooLong(tlv::SIGNATURE));
                }
                idx = align_value_8(idx);
                let needed = idx + 4 + sig.len();
                if needed > size {
                    return Err(BuildError::HeaderOverflow { needed, size });
                }
                write_tlv(&mut self.buf, idx, tlv::SIGNATURE, sig);
                idx += 4 + sig.len();
                if let Some(sec) = secondary {
                    if sec.len() > usize::from(u16::MAX) {
                        return Err(BuildError::ValueTooLong(tlv::SECONDARY_SIGNATURE));
                    }
                    idx = align_value_8(idx);
                    let needed = idx + 4 + sec.len();
                    if needed > size {
                        return Err(BuildError::HeaderOverflow { needed, size });
                    }
                    write_tlv(&mut self.buf, idx, tlv::SECONDARY_SIGNATURE, sec);
                }
            }
            (false, None) => {}
            _ => return Err(BuildError::SignatureMismatch),
        }
        Ok(self.buf)
    }
}
