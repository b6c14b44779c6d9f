use crate::wire::{auth, img_type, tlv};
use core::fmt;

/// Digest algorithm of an image (which digest TLV it carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256, TLV 0x0003.
    Sha256,
    /// SHA-384, TLV 0x0014.
    Sha384,
    /// SHA3-384, TLV 0x0013.
    Sha3_384,
}

impl HashAlgorithm {
    /// Every digest algorithm, in wolfBoot's order of preference when parsing.
    pub const ALL: [HashAlgorithm; 3] = [Self::Sha256, Self::Sha384, Self::Sha3_384];

    /// TLV tag carrying this digest.
    pub const fn tlv(self) -> u16 {
        match self {
            Self::Sha256 => tlv::SHA256,
            Self::Sha384 => tlv::SHA384,
            Self::Sha3_384 => tlv::SHA3_384,
        }
    }

    /// Digest length in bytes.
    pub const fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 | Self::Sha3_384 => 48,
        }
    }

    /// The algorithm whose digest TLV has this tag.
    pub const fn from_tlv(tag: u16) -> Option<Self> {
        match tag {
            tlv::SHA256 => Some(Self::Sha256),
            tlv::SHA384 => Some(Self::Sha384),
            tlv::SHA3_384 => Some(Self::Sha3_384),
            _ => None,
        }
    }

    /// DER `DigestInfo` header that PKCS#1 v1.5 "with encoding" (wolfBoot's
    /// `--rsa*enc`) puts before a digest of this algorithm.
    pub const fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Self::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Self::Sha3_384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x09, 0x05, 0x00, 0x04, 0x30,
            ],
        }
    }

    /// The algorithm named as wolfBoot's `sign` flags spell it (`sha256`,
    /// `sha384`, `sha3`; `sha3-384` too).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha3" | "sha3-384" => Some(Self::Sha3_384),
            _ => None,
        }
    }

    /// Short name as the command-line flags spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha3_384 => "sha3-384",
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Signature algorithm named in the high byte of the image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// Unsigned image (hash only).
    None,
    /// Ed25519 over the digest.
    Ed25519,
    /// Ed448 over the digest (empty context).
    Ed448,
    /// ECDSA P-256, raw r||s.
    Ecc256,
    /// ECDSA P-384, raw r||s.
    Ecc384,
    /// ECDSA P-521, raw r||s (66 bytes each).
    Ecc521,
    /// RSA-2048 PKCS#1 v1.5 (raw digest or DigestInfo).
    Rsa2048,
    /// RSA-3072 PKCS#1 v1.5.
    Rsa3072,
    /// RSA-4096 PKCS#1 v1.5.
    Rsa4096,
    /// RSA-2048 PSS.
    RsaPss2048,
    /// RSA-3072 PSS.
    RsaPss3072,
    /// RSA-4096 PSS.
    RsaPss4096,
    /// LMS / HSS (RFC 8554) over the digest.
    Lms,
    /// XMSS (RFC 8391) over the digest.
    Xmss,
    /// ML-DSA (FIPS 204, level told by the key size) over the digest, empty
    /// context.
    MlDsa,
}

impl AuthType {
    /// Every auth type, unsigned first.
    pub const ALL: [AuthType; 15] = [
        Self::None,
        Self::Ed25519,
        Self::Ed448,
        Self::Ecc256,
        Self::Ecc384,
        Self::Ecc521,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::RsaPss2048,
        Self::RsaPss3072,
        Self::RsaPss4096,
        Self::Lms,
        Self::Xmss,
        Self::MlDsa,
    ];

    /// The wire code (high byte of the image type).
    pub const fn code(self) -> u8 {
        match self {
            Self::None => auth::NONE,
            Self::Ed25519 => auth::ED25519,
            Self::Ed448 => auth::ED448,
            Self::Ecc256 => auth::ECC256,
            Self::Ecc384 => auth::ECC384,
            Self::Ecc521 => auth::ECC521,
            Self::Rsa2048 => auth::RSA2048,
            Self::Rsa3072 => auth::RSA3072,
            Self::Rsa4096 => auth::RSA4096,
            Self::RsaPss2048 => auth::RSAPSS2048,
            Self::RsaPss3072 => auth::RSAPSS3072,
            Self::RsaPss4096 => auth::RSAPSS4096,
            Self::Lms => auth::LMS,
            Self::Xmss => auth::XMSS,
            Self::MlDsa => auth::ML_DSA,
        }
    }

    /// The auth type of a wire code.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            auth::NONE => Self::None,
            auth::ED25519 => Self::Ed25519,
            auth::ED448 => Self::Ed448,
            auth::ECC256 => Self::Ecc256,
            auth::ECC384 => Self::Ecc384,
            auth::ECC521 => Self::Ecc521,
            auth::RSA2048 => Self::Rsa2048,
            auth::RSA3072 => Self::Rsa3072,
            auth::RSA4096 => Self::Rsa4096,
            auth::RSAPSS2048 => Self::RsaPss2048,
            auth::RSAPSS3072 => Self::RsaPss3072,
            auth::RSAPSS4096 => Self::RsaPss4096,
            auth::LMS => Self::Lms,
            auth::XMSS => Self::Xmss,
            auth::ML_DSA => Self::MlDsa,
            _ => return None,
        })
    }

    /// Signature length in bytes, where the algorithm fixes it; for the
    /// post-quantum schemes, the length at wolfBoot's default parameters
    /// (ML-DSA-44, LMS L1-H10-W8, XMSS-SHA2_10_256): the key decides.
    pub const fn signature_len(self) -> usize {
        match self {
            Self::None => 0,
            Self::Ed25519 | Self::Ecc256 => 64,
            Self::Ed448 => 114,
            Self::Ecc384 => 96,
            Self::Ecc521 => 132,
            Self::Rsa2048 | Self::RsaPss2048 => 256,
            Self::Rsa3072 | Self::RsaPss3072 => 384,
            Self::Rsa4096 | Self::RsaPss4096 => 512,
            Self::Lms => 1456,
            Self::Xmss => 2500,
            Self::MlDsa => 2420,
        }
    }

    /// The smallest header wolfBoot's `sign` uses with this key type.
    pub const fn min_header_size(self) -> usize {
        match self {
            Self::None | Self::Ed25519 | Self::Ecc256 => 256,
            Self::Ed448 | Self::Ecc384 | Self::Ecc521 => 512,
            Self::Rsa2048 | Self::Rsa3072 | Self::RsaPss2048 | Self::RsaPss3072 => 512,
            Self::Rsa4096 | Self::RsaPss4096 => 1024,
            Self::Lms | Self::Xmss => 4096,
            Self::MlDsa => 8192,
        }
    }

    /// Keystore key size (`KEYSTORE_PUBKEY_SIZE_*`), 0 where not applicable;
    /// for ML-DSA the largest (level 5), see [`AuthType::keystore_pubkey_size_ok`].
    pub const fn keystore_pubkey_size(self) -> usize {
        use crate::wire::keystore_size as k;
        match self {
            Self::Ed25519 => k::ED25519,
            Self::Ed448 => k::ED448,
            Self::Ecc256 => k::ECC256,
            Self::Ecc384 => k::ECC384,
            Self::Ecc521 => k::ECC521,
            Self::Rsa2048 | Self::RsaPss2048 => k::RSA2048,
            Self::Rsa3072 | Self::RsaPss3072 => k::RSA3072,
            Self::Rsa4096 | Self::RsaPss4096 => k::RSA4096,
            Self::Lms => k::LMS,
            Self::Xmss => k::XMSS,
            Self::MlDsa => k::ML_DSA_87,
            Self::None => 0,
        }
    }

    /// Whether a keystore key of `size` bytes can be of this type: the
    /// type's size, or for ML-DSA the size of any of its three levels.
    pub const fn keystore_pubkey_size_ok(self, size: usize) -> bool {
        use crate::wire::keystore_size as k;
        match self {
            Self::None => false,
            Self::MlDsa => matches!(size, k::ML_DSA_44 | k::ML_DSA_65 | k::ML_DSA_87),
            _ => size == self.keystore_pubkey_size(),
        }
    }

    /// Short name as the command-line flags spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ed25519 => "ed25519",
            Self::Ed448 => "ed448",
            Self::Ecc256 => "ecc256",
            Self::Ecc384 => "ecc384",
            Self::Ecc521 => "ecc521",
            Self::Rsa2048 => "rsa2048",
            Self::Rsa3072 => "rsa3072",
            Self::Rsa4096 => "rsa4096",
            Self::RsaPss2048 => "rsapss2048",
            Self::RsaPss3072 => "rsapss3072",
            Self::RsaPss4096 => "rsapss4096",
            Self::Lms => "lms",
            Self::Xmss => "xmss",
            Self::MlDsa => "ml-dsa",
        }
    }
}

impl AuthType {
    /// The auth type named as wolfBoot's `sign`/`keygen` flags spell it
    /// (`ecc256`, `ed25519`, `rsa2048`, …; the inverse of [`AuthType::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The image type field: auth type, flags and partition id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageType(pub u16);

impl ImageType {
    /// Compose an image type.
    pub const fn new(auth: AuthType, partition_id: u8, diff: bool) -> Self {
        let mut v = ((auth.code() as u16) << 8) | (partition_id as u16 & img_type::PART_MASK);
        if diff {
            v |= img_type::DIFF;
        }
        ImageType(v)
    }

    /// The raw u16.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// Auth type code (high byte).
    pub const fn auth_code(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// Auth type, if known.
    pub const fn auth(self) -> Option<AuthType> {
        AuthType::from_code(self.auth_code())
    }

    /// Partition id (low nibble): 0 = bootloader, 1 = application.
    pub const fn partition_id(self) -> u8 {
        (self.0 & img_type::PART_MASK) as u8
    }

    /// Whether this is a delta (differential) update.
    pub const fn is_diff(self) -> bool {
        self.0 & img_type::FLAGS_MASK == img_type::DIFF
    }
}

/// The delta-update fields of a differential image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeltaInfo<'a> {
    /// Version of the base image the forward patch applies to.
    pub base_version: u32,
    /// Length of the forward patch (at the start of the payload).
    pub patch_len: u32,
    /// Offset of the inverse patch in the payload.
    pub inverse_offset: u32,
    /// Length of the inverse patch.
    pub inverse_len: u32,
    /// Digest of the base image, when the signer added it.
    pub base_hash: Option<&'a [u8]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_auth_type_is_listed_once() {
        for code in 0..=u8::MAX {
            if let Some(a) = AuthType::from_code(code) {
                assert_eq!(
                    AuthType::ALL.iter().filter(|x| **x == a).count(),
                    1,
                    "{a:?}"
                );
            }
        }
        for a in AuthType::ALL {
            assert_eq!(AuthType::from_code(a.code()), Some(a));
        }
    }
}
