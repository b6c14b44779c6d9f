//! Whole-image verification, in wolfBoot's order of trust.
//!
//! The checks, in order, each failing with its own [`VerifyError`]:
//!
//! 1. the header buffer has a valid header size ([`VerifyError::BadHeaderSize`]);
//! 2. the image starts with the magic ([`VerifyError::BadMagic`]) and holds a
//!    whole header ([`VerifyError::Truncated`]);
//! 3. header plus payload fit the space allowed ([`VerifyError::TooLarge`])
//!    and the source holds them ([`VerifyError::PayloadTruncated`]);
//! 4. image type, version and digest fields are present and well formed
//!    ([`VerifyError::MissingTlv`], [`VerifyError::BadTlvLength`]), the hash
//!    is enabled and allowed ([`VerifyError::UnsupportedHash`]), the image is
//!    for the expected partition ([`VerifyError::WrongPartition`]);
//! 5. unsigned images stop here: accepted after the digest check only when
//!    the options allow it ([`VerifyError::UnsignedNotAllowed`]);
//! 6. the signature algorithm is enabled ([`VerifyError::UnsupportedAlgorithm`]),
//!    signature and key hint are present with their lengths;
//! 7. the hint names a keystore key ([`VerifyError::UnknownKey`]) that may
//!    sign for the image's partition ([`VerifyError::KeyNotPermitted`]) and is
//!    of the image's algorithm ([`VerifyError::WrongAlgorithm`]);
//! 8. the digest recomputed over the header prefix and the payload matches
//!    the stored one, compared in constant time ([`VerifyError::HashMismatch`]);
//! 9. the signature over the digest verifies ([`VerifyError::BadSignature`]);
//! 10. a hybrid image's secondary signature (announced by the secondary
//!     cipher field, which the digest covers) verifies too, over the same
//!     digest with the key its secondary hint names ([`VerifyError::Hybrid`];
//!     its fields are checked with step 7, see [`crate::hybrid`]).
//!
//! The key is resolved (7) from header fields alone before the payload is
//! hashed (8): an image signed by no trusted key is refused without reading
//! the payload, and a changed key hint reports [`VerifyError::UnknownKey`]
//! even though the hint is also covered by the digest. wolfBoot itself
//! checks integrity first and authenticity second; both orders accept and
//! refuse exactly the same images.

use wolfboot_image_format::{wire, AuthType, DigestField, HashAlgorithm, ImageHeader, ImageType};

use crate::error::VerifyError;
use crate::hash::{Digest, ImageHasher};
use crate::hybrid::HybridError;
use crate::keystore::{KeySlot, Keystore};
use crate::signature::{is_supported, verify_signature, VerifyPolicy, SEVERAL_ALGORITHMS};
use crate::source::ImageSource;

/// Bytes of payload read from the source per step while hashing: 1 KiB of
/// stack (not the bootloader's peak, which the signature check sets) for
/// fewer reads and hasher calls. 256 bytes cost 0.18 M more instructions
/// per 100 KB on mps2-an386 (docs/benchmarks.md).
const CHUNK: usize = 1024;

/// What the caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions<'a> {
    /// Partition id the image must carry in its type (1 = application,
    /// 0 = bootloader self-update); `None` accepts any. The key permission
    /// check always uses the image's own partition id.
    pub partition_id: Option<u8>,
    /// Largest header-plus-payload size accepted: the partition size less
    /// its trailer. `None`: limited only by the source length.
    pub max_image_size: Option<u32>,
    /// Hash algorithms accepted (each must also be enabled by its feature).
    pub allowed_hashes: &'a [HashAlgorithm],
    /// Accept unsigned (`--no-sign`) images after a digest check alone, and
    /// allow [`verify_integrity`].
    pub allow_unsigned: bool,
    /// Signature encoding choices.
    pub policy: VerifyPolicy,
    /// Accept only hybrid images (two signatures, both verified), as a
    /// wolfBoot built with `SIGN_SECONDARY` does: refuses a single-signature
    /// image made with either key alone ([`HybridError::NotHybrid`]).
    /// Hybrid images are verified in full whether or not this is set.
    pub require_hybrid: bool,
}

impl VerifyOptions<'static> {
    /// Signed images only, any partition and size, every enabled hash, both
    /// RSA encodings.
    pub const fn new() -> Self {
        VerifyOptions {
            partition_id: None,
            max_image_size: None,
            allowed_hashes: &HashAlgorithm::ALL,
            allow_unsigned: false,
            policy: VerifyPolicy::new(),
            require_hybrid: false,
        }
    }
}

impl Default for VerifyOptions<'static> {
    fn default() -> Self {
        Self::new()
    }
}

/// What a verified image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedImage {
    /// Firmware version.
    pub version: u32,
    /// Image type: auth type, flags, partition id.
    pub image_type: ImageType,
    /// Header size (offset of the payload).
    pub header_size: usize,
    /// Payload size.
    pub payload_size: u32,
    /// The image digest (recomputed, equal to the stored one).
    pub digest: Digest,
    /// Slot id of the key that verified the signature; `None` for an image
    /// accepted on its digest alone.
    pub key_slot: Option<u32>,
    /// Hybrid images: the secondary algorithm and the slot id of the key
    /// that verified the secondary signature.
    pub secondary: Option<(AuthType, u32)>,
}

fn valid_header_size(size: usize) -> bool {
    wire::valid_header_size(size)
}

/// Read the header of the image in `source` into `header_buf`, whose length
/// is the bootloader's `IMAGE_HEADER_SIZE`.
pub fn read_header<'b, S: ImageSource + ?Sized>(
    source: &mut S,
    header_buf: &'b mut [u8],
) -> Result<ImageHeader<'b>, VerifyError> {
    let size = header_buf.len();
    if !valid_header_size(size) {
        return Err(VerifyError::BadHeaderSize);
    }
    let avail = usize::try_from(source.len()).unwrap_or(usize::MAX);
    let magic = header_buf.get_mut(..4).ok_or(VerifyError::BadHeaderSize)?;
    if avail < magic.len() {
        return Err(VerifyError::Truncated);
    }
    source.read_at(0, magic)?;
    if magic != wire::IMAGE_MAGIC.to_le_bytes() {
        return Err(VerifyError::BadMagic);
    }
    if avail < size {
        return Err(VerifyError::Truncated);
    }
    source.read_at(0, header_buf)?;
    Ok(ImageHeader::parse(header_buf, size)?)
}

/// Verify the image in `source`: header read into `header_buf` (its length
/// is the header size the bootloader is built with), payload streamed from
/// the source, key from `keystore`. See the [module docs](self) for the
/// order of checks.
pub fn verify_image<S: ImageSource + ?Sized>(
    source: &mut S,
    header_buf: &mut [u8],
    keystore: &Keystore<'_>,
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedImage, VerifyError> {
    let header = read_header(source, header_buf)?;
    verify_parsed(&header, source, Some(keystore), opts)
}

/// Verify an image held in memory, sizing its header as wolfBoot's `sign`
/// does (for host tools, where the header size is not known in advance).
pub fn verify_image_bytes(
    bytes: &[u8],
    keystore: &Keystore<'_>,
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedImage, VerifyError> {
    let header = ImageHeader::parse_auto(bytes)?;
    let mut source = bytes;
    verify_parsed(&header, &mut source, Some(keystore), opts)
}

/// Check only the digest of the image in `source`, not who signed it.
///
/// This accepts an image without authenticating it, so it is refused with
/// [`VerifyError::UnsignedNotAllowed`] unless `opts.allow_unsigned` is set.
/// It is how `--no-sign` images are accepted.
pub fn verify_integrity<S: ImageSource + ?Sized>(
    source: &mut S,
    header_buf: &mut [u8],
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedImage, VerifyError> {
    let header = read_header(source, header_buf)?;
    verify_parsed(&header, source, None, opts)
}

/// Verify an image whose header is already parsed; the payload is read from
/// `source` at offset `header.header_size()`. With `keystore` `None` only the
/// digest is checked (which requires `opts.allow_unsigned`).
pub fn verify_parsed<S: ImageSource + ?Sized>(
    header: &ImageHeader<'_>,
    source: &mut S,
    keystore: Option<&Keystore<'_>>,
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedImage, VerifyError> {
    let header_size = header.header_size();
    let payload_size = header.payload_size();
    let total = u64::try_from(header_size)
        .unwrap_or(u64::MAX)
        .saturating_add(u64::from(payload_size));
    if let Some(max) = opts.max_image_size {
        if total > u64::from(max) {
            return Err(VerifyError::TooLarge);
        }
    }
    if total > u64::from(source.len()) {
        return Err(VerifyError::PayloadTruncated);
    }

    let image_type = header.image_type()?;
    let version = header.version()?;
    let field = header.digest()?;
    let alg = field.algorithm;
    if !opts.allowed_hashes.contains(&alg) || !ImageHasher::supports(alg) {
        return Err(VerifyError::UnsupportedHash(alg));
    }
    if let Some(expected) = opts.partition_id {
        let found = image_type.partition_id();
        if found != expected {
            return Err(VerifyError::WrongPartition { expected, found });
        }
    }
    let auth = image_type
        .auth()
        .ok_or(VerifyError::UnsupportedAlgorithm(image_type.auth_code()))?;

    let verified = |digest, key_slot| VerifiedImage {
        version,
        image_type,
        header_size,
        payload_size,
        digest,
        key_slot,
        secondary: None,
    };

    let keystore = match keystore {
        Some(ks) if auth != AuthType::None => ks,
        _ => {
            if !opts.allow_unsigned {
                return Err(VerifyError::UnsignedNotAllowed);
            }
            let digest = check_digest(header, &field, source)?;
            return Ok(verified(digest, None));
        }
    };

    if !is_supported(auth) {
        return Err(VerifyError::UnsupportedAlgorithm(auth.code()));
    }
    let sig = header
        .signature()
        .ok_or(VerifyError::MissingTlv(wire::tlv::SIGNATURE))?;
    if !crate::pq::key_sized(auth) && sig.len() != auth.signature_len() {
        return Err(VerifyError::BadTlvLength(wire::tlv::SIGNATURE));
    }
    let hint = header
        .pubkey_hint()
        .ok_or(VerifyError::MissingTlv(wire::tlv::PUBKEY_HINT))?;
    if hint.len() != alg.digest_len() {
        return Err(VerifyError::BadTlvLength(wire::tlv::PUBKEY_HINT));
    }
    let slot = keystore
        .find_by_hint(alg, hint)?
        .ok_or(VerifyError::UnknownKey)?;
    if !slot.permits_partition(image_type.partition_id()) {
        return Err(VerifyError::KeyNotPermitted);
    }
    if !slot.accepts(auth) {
        return Err(VerifyError::WrongAlgorithm);
    }
    if crate::pq::key_sized(auth)
        && crate::pq::signature_len(auth, slot.key_bytes()) != Some(sig.len())
    {
        return Err(VerifyError::BadTlvLength(wire::tlv::SIGNATURE));
    }
    // A hybrid header's secondary fields are checked (not yet verified)
    // before the payload is read, like the primary ones.
    let secondary = secondary_key(header, keystore, auth, alg, image_type, opts)?;

    let digest = check_digest(header, &field, source)?;
    verify_signature(
        auth,
        slot.key_bytes(),
        alg,
        digest.as_bytes(),
        sig,
        &opts.policy,
    )?;
    let mut image = verified(digest, Some(slot.slot_id));
    // A single-algorithm build never has a `secondary` (see
    // `secondary_key`) and links no second check.
    if !SEVERAL_ALGORITHMS {
        return Ok(image);
    }
    if let Some(sec) = secondary {
        verify_signature(
            sec.auth,
            sec.slot.key_bytes(),
            alg,
            digest.as_bytes(),
            sec.sig,
            &opts.policy,
        )
        .map_err(|e| match e {
            VerifyError::BadSignature => VerifyError::Hybrid(HybridError::BadSignature),
            other => other,
        })?;
        image.secondary = Some((sec.auth, sec.slot.slot_id));
    }
    Ok(image)
}

/// The second signature of a hybrid image and what checks it.
struct Secondary<'k, 'h> {
    auth: AuthType,
    slot: &'k KeySlot<'k>,
    sig: &'h [u8],
}

/// The secondary algorithm, key and signature of a hybrid image, all
/// checked except the signature itself; `None` for a single-signature
/// image (refused when `opts.require_hybrid`).
fn secondary_key<'k, 'h>(
    header: &ImageHeader<'h>,
    keystore: &Keystore<'k>,
    primary: AuthType,
    alg: HashAlgorithm,
    image_type: ImageType,
    opts: &VerifyOptions<'_>,
) -> Result<Option<Secondary<'k, 'h>>, VerifyError> {
    let hybrid = |e| VerifyError::Hybrid(e);
    let Some(cipher) = header.find_tlv(wire::tlv::SECONDARY_CIPHER) else {
        if opts.require_hybrid {
            return Err(hybrid(HybridError::NotHybrid));
        }
        return Ok(None);
    };
    let raw = match cipher.value {
        [lo, hi] => u16::from_le_bytes([*lo, *hi]),
        _ => return Err(hybrid(HybridError::BadCipher(0xFFFF))),
    };
    let sec_auth = AuthType::from_code((raw >> 8) as u8)
        .filter(|a| *a != AuthType::None && raw & 0xFF == 0)
        .ok_or(hybrid(HybridError::BadCipher(raw)))?;
    if sec_auth == primary {
        return Err(hybrid(HybridError::SameAlgorithm));
    }
    // With one algorithm enabled, the primary one (supported, checked
    // before), a different secondary is never supported.
    if !SEVERAL_ALGORITHMS || !is_supported(sec_auth) {
        return Err(hybrid(HybridError::Unsupported(sec_auth.code())));
    }
    let hint = header
        .find_tlv(wire::tlv::SECONDARY_PUBKEY)
        .map(|t| t.value)
        .filter(|v| <[u8]>::len(v) == alg.digest_len())
        .ok_or(hybrid(HybridError::MissingKeyHint))?;
    let slot = keystore
        .find_by_hint(alg, hint)?
        .ok_or(hybrid(HybridError::UnknownKey))?;
    if !slot.permits_partition(image_type.partition_id()) {
        return Err(hybrid(HybridError::KeyNotPermitted));
    }
    if !slot.accepts(sec_auth) {
        return Err(hybrid(HybridError::WrongAlgorithm));
    }
    let sig = header
        .find_tlv(wire::tlv::SECONDARY_SIGNATURE)
        .map(|t| t.value)
        .ok_or(hybrid(HybridError::MissingSignature))?;
    if crate::pq::signature_len(sec_auth, slot.key_bytes()) != Some(<[u8]>::len(sig)) {
        return Err(hybrid(HybridError::BadSignatureLength));
    }
    Ok(Some(Secondary {
        auth: sec_auth,
        slot,
        sig,
    }))
}

/// Recompute the digest over the covered header prefix and the payload, and
/// compare it (in constant time) with the stored one.
///
/// Never inlined: the fault-injection campaign (`tools/glitch/glitch.py`)
/// finds the digest check by its symbol. With the verifier's options
/// constant, LTO would otherwise inline it into its one caller (92 B less).
#[inline(never)]
fn check_digest<S: ImageSource + ?Sized>(
    header: &ImageHeader<'_>,
    field: &DigestField<'_>,
    source: &mut S,
) -> Result<Digest, VerifyError> {
    let mut hasher = ImageHasher::new(field.algorithm)?;
    let covered = header
        .as_bytes()
        .get(..field.covered_header_len)
        .ok_or(VerifyError::Truncated)?;
    hasher.update(covered);

    let mut offset = u32::try_from(header.header_size()).map_err(|_| VerifyError::TooLarge)?;
    let mut remaining = header.payload_size();
    let mut buf = [0u8; CHUNK];
    while remaining > 0 {
        let n = usize::try_from(remaining).unwrap_or(CHUNK).min(CHUNK);
        let chunk = buf.get_mut(..n).ok_or(VerifyError::Truncated)?;
        source.read_at(offset, chunk)?;
        hasher.update(chunk);
        // n <= CHUNK, so the casts are lossless.
        offset = offset
            .checked_add(n as u32)
            .ok_or(VerifyError::PayloadTruncated)?;
        remaining -= n as u32;
    }

    let digest = hasher.finalize();
    if digest.ct_eq(field.value) {
        Ok(digest)
    } else {
        Err(VerifyError::HashMismatch)
    }
}
