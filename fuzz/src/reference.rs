//! An independent reading of the wolfBoot image format, for differential
//! checks and for the "was this image signed on purpose" oracle.
//!
//! Written from wolfBoot's `src/image.c` (`wolfBoot_find_header`) and the
//! format description, without using `wolfboot-image-format`'s parser.

use sha2::Digest as _;
use wolfboot_image_format::HashAlgorithm;

/// Offset of the first TLV (after magic and payload size).
pub const FIRST_TLV: usize = 8;

/// One field as wolfBoot's walk meets it: tag, offset of the tag, value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// Type.
    pub tag: u16,
    /// Offset of the tag from the start of the header.
    pub offset: usize,
    /// Value bytes.
    pub value: &'a [u8],
}

/// Every field wolfBoot's `wolfBoot_find_header` can return from a header of
/// `header.len()` bytes (`IMAGE_HEADER_SIZE`), in walk order.
///
/// The C loop: `while (p + 4) < max_p`; type 0 ends; a 0xFF byte or an odd
/// address moves one byte; a length with `4 + len > IMAGE_HEADER_SIZE - 8`
/// or running past the header ends the walk.
pub fn fields(header: &[u8]) -> Vec<Field<'_>> {
    let max = header.len();
    let mut out = Vec::new();
    let mut p = FIRST_TLV;
    while p + 4 < max {
        let tag = u16::from_le_bytes([header[p], header[p + 1]]);
        if tag == 0 {
            break;
        }
        if header[p] == 0xFF || p % 2 == 1 {
            p += 1;
            continue;
        }
        let len = usize::from(u16::from_le_bytes([header[p + 2], header[p + 3]]));
        if 4 + len > max.saturating_sub(FIRST_TLV) || p + 4 + len > max {
            break;
        }
        out.push(Field {
            tag,
            offset: p,
            value: &header[p + 4..p + 4 + len],
        });
        p += 4 + len;
    }
    out
}

/// `wolfBoot_find_header(header, tag)`: the first field with `tag`.
pub fn find(header: &[u8], tag: u16) -> Option<Field<'_>> {
    fields(header).into_iter().find(|f| f.tag == tag)
}

fn algorithm_of(tag: u16) -> Option<HashAlgorithm> {
    match tag {
        0x0003 => Some(HashAlgorithm::Sha256),
        0x0014 => Some(HashAlgorithm::Sha384),
        0x0013 => Some(HashAlgorithm::Sha3_384),
        _ => None,
    }
}

/// Hash `parts` with `alg` (sha2 / sha3 directly).
pub fn hash(alg: HashAlgorithm, parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => {
            let mut h = sha2::Sha256::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        HashAlgorithm::Sha384 => {
            let mut h = sha2::Sha384::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        HashAlgorithm::Sha3_384 => {
            let mut h = sha3::Sha3_384::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
    }
}

/// What an image's digest covers, recomputed independently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recomputed {
    /// Algorithm named by the first digest field.
    pub algorithm: HashAlgorithm,
    /// Digest of the header bytes before the digest field, then the payload.
    pub digest: Vec<u8>,
    /// Whether it equals the stored digest.
    pub matches: bool,
    /// Payload size from the header.
    pub payload_size: u32,
}

/// Recompute the digest of the image at the start of `bytes`, with a header
/// of `header_size` bytes: `None` when there is no magic, no digest field
/// (of the right length), or the payload does not fit in `bytes`.
pub fn recompute(bytes: &[u8], header_size: usize) -> Option<Recomputed> {
    let header = bytes.get(..header_size)?;
    if header.get(..4)? != b"WOLF" {
        return None;
    }
    let payload_size = u32::from_le_bytes(header.get(4..8)?.try_into().ok()?);
    let field = fields(header)
        .into_iter()
        .find(|f| algorithm_of(f.tag).is_some())?;
    let algorithm = algorithm_of(field.tag)?;
    let want_len = match algorithm {
        HashAlgorithm::Sha256 => 32,
        _ => 48,
    };
    if field.value.len() != want_len {
        return None;
    }
    let end = header_size.checked_add(usize::try_from(payload_size).ok()?)?;
    let payload = bytes.get(header_size..end)?;
    let digest = hash(algorithm, &[&header[..field.offset], payload]);
    Some(Recomputed {
        matches: digest == field.value,
        algorithm,
        digest,
        payload_size,
    })
}
