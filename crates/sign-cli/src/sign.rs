//! Building a signed image: header fields, digest, signature, and the
//! request and report types of the `sign` command (which [`crate::run`]
//! carries out).

use crate::error::{Error, Result};
use crate::keys::{KeyKind, PrivateKey};
use std::path::{Path, PathBuf};
use wolfboot_encrypt::Algorithm as EncryptAlgorithm;
use wolfboot_image_format::{AuthType, HashAlgorithm, HeaderBuilder, UnsignedHeader};
use wolfboot_verify::ImageHasher;

/// Where the timestamp field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// The input file's status-change time (`st_ctime`), as wolfBoot's `sign` does.
    FileCtime,
    /// No timestamp field (`--no-ts`).
    Omit,
    /// A fixed value (`--timestamp N`), for reproducible images.
    Fixed(u64),
}

/// What the output file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// Header followed by the payload (`_signed.bin`).
    Signed,
    /// The header alone (`--header-only`, `_header.bin`).
    HeaderOnly,
    /// The digest alone, unsigned (`--sha-only`, `_digest.bin`).
    DigestOnly,
}

impl Artifact {
    fn suffix(self) -> &'static str {
        match self {
            Artifact::Signed => "signed",
            Artifact::HeaderOnly => "header",
            Artifact::DigestOnly => "digest",
        }
    }
}

/// The signature algorithm asked for on the command line (wolfBoot's
/// `sign` calls it the cipher; here a cipher is what encrypts updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureChoice {
    /// Detect it from the key file.
    Auto,
    /// Unsigned image (`--no-sign`).
    None,
    /// A fixed auth type; `digest_info` marks the RSA `enc` variants.
    Fixed {
        /// Auth type written in the image type field.
        auth: AuthType,
        /// PKCS#1 v1.5 over a DigestInfo instead of the raw digest.
        digest_info: bool,
    },
}

/// Everything one `sign` run needs.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// Signature algorithm.
    pub signature: SignatureChoice,
    /// Digest algorithm.
    pub hash: HashAlgorithm,
    /// Firmware file.
    pub image: PathBuf,
    /// Private key file (absent for `--no-sign`).
    pub key: Option<PathBuf>,
    /// Version as typed (it names the output file).
    pub version_text: String,
    /// Version value.
    pub version: u32,
    /// Partition id (low nibble of the image type).
    pub partition_id: u8,
    /// Timestamp source.
    pub timestamp: Timestamp,
    /// Custom fields, in command-line order.
    pub custom_tlvs: Vec<(u16, Vec<u8>)>,
    /// Smallest header size wanted (`--header-size` or `IMAGE_HEADER_SIZE`).
    pub min_header_size: Option<usize>,
    /// What to write.
    pub artifact: Artifact,
    /// Output file (default: derived from the input name and version).
    pub output: Option<PathBuf>,
    /// `--encrypt KEYFILE` with `--chacha` / `--aes128` / `--aes256`: also
    /// write `_signed_and_encrypted.bin`.
    pub encrypt: Option<(EncryptAlgorithm, PathBuf)>,
    /// `--delta BASE_SIGNED.bin`: also write the diff image `_signed_diff.bin`.
    pub delta_base: Option<PathBuf>,
    /// `--ml_dsa`, `--lms` or `--xmss`: the post-quantum primary algorithm
    /// (then `cipher`, when fixed, is the hybrid's secondary algorithm).
    pub pq: Option<AuthType>,
    /// Hybrid images: the secondary signing key (`KEY2`).
    pub secondary_key: Option<PathBuf>,
}

/// The delta fields of a diff image.
#[derive(Debug, Clone)]
pub struct DeltaSpec {
    /// Version of the base image.
    pub base_version: u32,
    /// Length of the forward patch.
    pub patch_len: u32,
    /// Offset of the inverse patch from the start of the image.
    pub inverse_offset: u32,
    /// Length of the inverse patch.
    pub inverse_len: u32,
    /// Digest of the base image (its digest field).
    pub base_hash: Vec<u8>,
}

/// Fields of the image being built, independent of files.
#[derive(Debug, Clone)]
pub struct ImageSpec<'a> {
    /// Auth type (`AuthType::None` for unsigned images).
    pub auth: AuthType,
    /// RSA PKCS#1 v1.5 over a DigestInfo.
    pub digest_info: bool,
    /// Digest algorithm.
    pub hash: HashAlgorithm,
    /// Version.
    pub version: u32,
    /// Timestamp field value.
    pub timestamp: Option<u64>,
    /// Partition id.
    pub partition_id: u8,
    /// Custom fields.
    pub custom_tlvs: &'a [(u16, Vec<u8>)],
    /// Smallest header size wanted.
    pub min_header_size: Option<usize>,
    /// Delta fields (diff images only).
    pub delta: Option<DeltaSpec>,
}

/// A signed header and what went into it.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The complete header.
    pub header: Vec<u8>,
    /// The image digest.
    pub digest: Vec<u8>,
}

/// Lay out the header and compute the image digest, without signing.
///
/// `pubkey` is the signing key in keystore form (empty for unsigned images)
/// and `signature_len` the signature size when the key decides it (RSA).
pub fn prepare(
    spec: &ImageSpec<'_>,
    pubkey: &[u8],
    signature_len: Option<usize>,
    payload: &[u8],
) -> Result<(UnsignedHeader, Vec<u8>)> {
    let payload_len = u32::try_from(payload.len())
        .map_err(|_| Error::usage("the firmware image is larger than 4 GiB"))?;
    let mut builder = HeaderBuilder::new(spec.auth, spec.hash, spec.version)
        .timestamp(spec.timestamp)
        .partition_id(spec.partition_id);
    if let Some(d) = &spec.delta {
        builder = builder.delta(
            d.base_version,
            d.patch_len,
            d.inverse_offset,
            d.inverse_len,
            Some(&d.base_hash),
        );
    }
    for (tag, value) in spec.custom_tlvs {
        builder = builder.custom_tlv(*tag, value);
    }
    if let Some(len) = signature_len {
        builder = builder.signature_len(len);
    }
    if let Some(min) = spec.min_header_size {
        let auto = builder.effective_header_size()?;
        if min > auto {
            builder = builder.header_size(min);
        }
    }
    let hint = key_hint(spec.hash, pubkey)?;
    let unsigned = builder.begin(payload_len, &hint)?;
    let digest = image_digest(spec.hash, unsigned.hashed_prefix(), payload)?;
    Ok((unsigned, digest))
}

pub(crate) fn rsa_signature_len(kind: KeyKind) -> Option<usize> {
    match kind.rsa_bits() {
        0 => None,
        bits => Some(bits / 8),
    }
}

/// Lay out, hash and sign a header for `payload`.
pub fn sign_payload(
    spec: &ImageSpec<'_>,
    key: Option<&PrivateKey>,
    payload: &[u8],
) -> Result<Signed> {
    let signer = match (spec.auth != AuthType::None, key) {
        (true, Some(k)) => Some(k),
        (false, _) => None,
        (true, None) => return Err(Error::usage("a signing key is required")),
    };
    let pubkey = signer.map(PrivateKey::public_key).unwrap_or_default();
    let sig_len = signer.and_then(|k| rsa_signature_len(k.kind()));
    let (unsigned, digest) = prepare(spec, &pubkey, sig_len, payload)?;
    let signature = match signer {
        Some(k) => Some(k.sign_digest(spec.auth, spec.hash, spec.digest_info, &digest)?),
        None => None,
    };
    let header = unsigned.finish(&digest, signature.as_deref())?;
    Ok(Signed { header, digest })
}

/// `firmware.bin` + version `2` → `firmware_v2_signed.bin`, next to the input.
/// Like wolfBoot, everything from the last `.` of the file name is dropped.
pub fn output_path(image: &Path, version_text: &str, artifact: Artifact) -> PathBuf {
    let name = image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = match name.rfind('.') {
        Some(i) => &name[..i],
        None => &name[..],
    };
    let file = format!("{stem}_v{version_text}_{}.bin", artifact.suffix());
    image.with_file_name(file)
}

/// What a `sign` run produced, for the summary.
#[derive(Debug, Clone)]
pub struct SignReport {
    /// Auth type used.
    pub auth: AuthType,
    /// Whether the RSA DigestInfo variant was used.
    pub digest_info: bool,
    /// Kind of the key (when signed).
    pub key_kind: Option<KeyKind>,
    /// Header size.
    pub header_size: usize,
    /// Output file.
    pub output: PathBuf,
    /// Payload size.
    pub payload_size: usize,
    /// The encrypted image, with `--encrypt`.
    pub encrypted: Option<PathBuf>,
    /// The diff image (and its encrypted form), with `--delta`.
    pub diff: Option<DiffReport>,
}

/// What `--delta` wrote.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The diff image.
    pub path: PathBuf,
    /// Its encrypted form, with `--encrypt`.
    pub encrypted: Option<PathBuf>,
    /// Forward patch length.
    pub forward_len: usize,
    /// Inverse patch length.
    pub inverse_len: usize,
    /// Size of the whole diff image.
    pub total_len: usize,
}

/// The timestamp field of `req`'s image: the firmware file's status-change
/// time as wolfBoot's `sign` writes it, none, or the fixed value asked for.
pub fn timestamp_of(req: &SignRequest) -> Result<Option<u64>> {
    Ok(match req.timestamp {
        Timestamp::FileCtime => Some(file_ctime(&req.image)?),
        Timestamp::Omit => None,
        Timestamp::Fixed(t) => Some(t),
    })
}

#[cfg(unix)]
fn file_ctime(path: &Path) -> Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(path).map_err(|e| Error::io("stat", path, e))?;
    Ok(u64::try_from(md.ctime()).unwrap_or(0))
}

#[cfg(not(unix))]
fn file_ctime(path: &Path) -> Result<u64> {
    let md = std::fs::metadata(path).map_err(|e| Error::io("stat", path, e))?;
    let t = md.modified().map_err(|e| Error::io("stat", path, e))?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0))
}

/// The digest an image's signature covers: the header up to its digest
/// field, then the payload, computed with the bootloader's own hasher
/// (`wolfboot-verify`), so that signer and verifier cannot disagree.
pub fn image_digest(hash: HashAlgorithm, prefix: &[u8], payload: &[u8]) -> Result<Vec<u8>> {
    let mut h = ImageHasher::new(hash).map_err(|e| Error::usage(format!("{hash}: {e}")))?;
    h.update(prefix);
    h.update(payload);
    Ok(h.finalize().as_bytes().to_vec())
}

/// The public-key hint of an image signed with `pubkey` (keystore form):
/// the image's hash over the key bytes.
pub fn key_hint(hash: HashAlgorithm, pubkey: &[u8]) -> Result<Vec<u8>> {
    let hint = wolfboot_verify::key_hint(hash, pubkey)
        .map_err(|e| Error::usage(format!("{hash}: {e}")))?;
    Ok(hint.as_bytes().to_vec())
}

/// `dir/fw_v2_signed.bin` → `dir/fw_v2_signed_and_encrypted.bin` (`from` is
/// replaced at the end of the name, or `to` appended before `.bin`).
pub fn suffixed(path: &Path, from: &str, to: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".bin").unwrap_or(&name);
    let stem = stem.strip_suffix(from).unwrap_or(stem);
    path.with_file_name(format!("{stem}{to}.bin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_follow_wolfboot() {
        let p = output_path(Path::new("dir/firmware.bin"), "2", Artifact::Signed);
        assert_eq!(p, Path::new("dir/firmware_v2_signed.bin"));
        let p = output_path(Path::new("image.elf.bin"), "17", Artifact::HeaderOnly);
        assert_eq!(p, Path::new("image.elf_v17_header.bin"));
        let p = output_path(Path::new("noext"), "3", Artifact::DigestOnly);
        assert_eq!(p, Path::new("noext_v3_digest.bin"));
    }
}
