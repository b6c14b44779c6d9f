//! `--delta BASE`: the diff image that wolfBoot's `sign` writes next to the
//! signed one (and its encrypted form with `--encrypt`).
//!
//! * Diff image (`_signed_diff.bin`): a header with the delta fields (base
//!   version, forward patch length, inverse patch offset and length, base
//!   digest), then the forward patch (base → new signed image) padded with
//!   zeros to 16 bytes (64 when encrypting), then the inverse patch (new →
//!   base). Both patches are made for `WOLFBOOT_SECTOR_SIZE` (environment,
//!   required as by wolfBoot). The new image and its diff share one header
//!   size, grown to fit the delta fields.
//! * Encrypted images (`_signed_and_encrypted.bin`, and with `--delta`
//!   `_signed_diff_encrypted.bin`): the whole file encrypted with the key
//!   file's key and nonce, keystream from offset 0 (see `wolfboot-encrypt`).

use std::path::Path;

use wolfboot_image_format::{HashAlgorithm, ImageHeader};

use crate::encryption::EncryptionKey;
use crate::error::{read_file, write_file, Error, Result};
use crate::keys::PrivateKey;
use crate::sign::{prepare, sign_payload, suffixed, DeltaSpec, DiffReport, ImageSpec};

/// Forward-patch padding without and with encryption (wolfBoot's `base_diff`).
const PATCH_ALIGN: usize = 16;
const PATCH_ALIGN_ENCRYPTED: usize = 64;

/// The base image of a delta update.
#[derive(Debug, Clone)]
pub struct DeltaBase {
    /// The whole signed base file.
    pub bytes: Vec<u8>,
    /// Its version.
    pub version: u32,
    /// Its digest field for the selected hash.
    pub hash: Vec<u8>,
}

impl DeltaBase {
    /// Read a signed base image and take its version and digest.
    pub fn load(path: &Path, hash: HashAlgorithm) -> Result<Self> {
        let bytes = read_file(path)?;
        let bad = |what: String| Error::Image(format!("delta base {}: {what}", path.display()));
        let header = ImageHeader::parse_auto(&bytes).map_err(|e| bad(e.to_string()))?;
        let version = header.version().map_err(|e| bad(e.to_string()))?;
        if version == 0 {
            return Err(bad("version 0 (not a signed image?)".into()));
        }
        let hash = header
            .find(hash.tlv())
            .ok_or_else(|| bad(format!("no {} digest field", hash.name())))?
            .to_vec();
        Ok(DeltaBase {
            bytes,
            version,
            hash,
        })
    }
}

/// Header size a diff image with `spec`'s fields needs (the new image is
/// given at least this size too).
pub fn diff_header_size(
    spec: &ImageSpec<'_>,
    base: &DeltaBase,
    pubkey: &[u8],
    signature_len: Option<usize>,
) -> Result<usize> {
    let mut s = spec.clone();
    s.delta = Some(DeltaSpec {
        base_version: base.version,
        patch_len: 0,
        inverse_offset: 0,
        inverse_len: 0,
        base_hash: base.hash.clone(),
    });
    let (unsigned, _) = prepare(&s, pubkey, signature_len, &[])?;
    Ok(unsigned.header_size())
}

/// `WOLFBOOT_SECTOR_SIZE`, decimal or `0x` hex, 1..=65535 as wolfBoot requires.
pub fn sector_size_from_env() -> Result<u32> {
    let text = std::env::var("WOLFBOOT_SECTOR_SIZE").map_err(|_| {
        Error::usage(
            "--delta needs WOLFBOOT_SECTOR_SIZE in the environment (the flash sector size)",
        )
    })?;
    let n = crate::args::parse_num(text.trim())
        .ok_or_else(|| Error::usage(format!("invalid WOLFBOOT_SECTOR_SIZE: {text}")))?;
    match u32::try_from(n) {
        Ok(n @ 1..=0xFFFF) => Ok(n),
        _ => Err(Error::usage(format!(
            "WOLFBOOT_SECTOR_SIZE {text} out of range (1..65535, the delta encoding limit)"
        ))),
    }
}

/// Forward and inverse patch between two signed images, laid out as in the
/// diff image's payload: `(payload, forward_len, padded_forward_len, inverse_len)`.
pub fn diff_payload(
    base: &[u8],
    new: &[u8],
    sector_size: u32,
    encrypted: bool,
) -> Result<(Vec<u8>, usize, usize, usize)> {
    let err = |e: wolfboot_delta::DiffError| Error::Image(format!("delta: {e}"));
    let forward = wolfboot_delta::diff(base, new, sector_size).map_err(err)?;
    let inverse = wolfboot_delta::diff(new, base, sector_size).map_err(err)?;
    let align = if encrypted {
        PATCH_ALIGN_ENCRYPTED
    } else {
        PATCH_ALIGN
    };
    let mut payload = forward.clone();
    payload.resize(forward.len().next_multiple_of(align), 0);
    let padded = payload.len();
    payload.extend_from_slice(&inverse);
    Ok((payload, forward.len(), padded, inverse.len()))
}

/// Make, sign and write the diff image of `new` (the signed image just
/// written to `output`) against `base`.
pub fn write_diff(
    spec: &ImageSpec<'_>,
    key: Option<&PrivateKey>,
    base: &DeltaBase,
    new: &[u8],
    header_size: usize,
    output: &Path,
    encryption: Option<&EncryptionKey>,
) -> Result<DiffReport> {
    let sector = sector_size_from_env()?;
    let (payload, forward_len, padded, inverse_len) =
        diff_payload(&base.bytes, new, sector, encryption.is_some())?;
    let too_big = || Error::Image("delta patch larger than 4 GiB".into());
    let mut s = spec.clone();
    s.min_header_size = Some(header_size);
    s.delta = Some(DeltaSpec {
        base_version: base.version,
        patch_len: u32::try_from(forward_len).map_err(|_| too_big())?,
        inverse_offset: u32::try_from(padded + header_size).map_err(|_| too_big())?,
        inverse_len: u32::try_from(inverse_len).map_err(|_| too_big())?,
        base_hash: base.hash.clone(),
    });
    let signed = sign_payload(&s, key, &payload)?;
    if signed.header.len() != header_size {
        return Err(Error::Image(format!(
            "diff header is {} bytes, the new image's {header_size}",
            signed.header.len()
        )));
    }
    let bytes = [signed.header.as_slice(), payload.as_slice()].concat();
    let path = suffixed(output, "_signed", "_signed_diff");
    write_file(&path, &bytes)?;
    let encrypted = match encryption {
        Some(k) => {
            let p = suffixed(output, "_signed", "_signed_diff_encrypted");
            write_file(&p, &k.encrypt(&bytes)?)?;
            Some(p)
        }
        None => None,
    };
    Ok(DiffReport {
        path,
        encrypted,
        forward_len,
        inverse_len,
        total_len: bytes.len(),
    })
}
