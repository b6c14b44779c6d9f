//! Numbers of the wolfBoot image format (`include/wolfboot/wolfboot.h`).
//!
//! Multi-byte fields are little-endian on the wire.

/// `WOLF` read as a little-endian u32: first word of every image.
pub const IMAGE_MAGIC: u32 = 0x464C_4F57;
/// Offset of the first TLV: after the magic and the payload size.
pub const IMAGE_HEADER_OFFSET: usize = 8;
/// Default `IMAGE_HEADER_SIZE`: the smallest header wolfBoot builds.
pub const IMAGE_HEADER_SIZE_DEFAULT: usize = 256;
/// Largest header the format can describe (TLV lengths are u16).
pub const IMAGE_HEADER_SIZE_MAX: usize = 65536;
/// Whether `size` can be an `IMAGE_HEADER_SIZE`: a multiple of 256 from 256
/// bytes to 64 KiB. Usually a power of two, but not always: wolfBoot's
/// ML-DSA-87 configurations use 12288.
pub const fn valid_header_size(size: usize) -> bool {
    size.is_multiple_of(IMAGE_HEADER_SIZE_DEFAULT)
        && size >= IMAGE_HEADER_SIZE_DEFAULT
        && size <= IMAGE_HEADER_SIZE_MAX
}
/// A lone padding byte between fields.
pub const PADDING: u8 = 0xFF;

/// TLV type identifiers.
pub mod tlv {
    /// Explicit end of the field list.
    pub const END: u16 = 0x0000;
    /// Firmware version, u32.
    pub const VERSION: u16 = 0x0001;
    /// Build timestamp (seconds since the epoch), u64.
    pub const TIMESTAMP: u16 = 0x0002;
    /// SHA-256 digest of header-prefix and payload, 32 bytes.
    pub const SHA256: u16 = 0x0003;
    /// Image type: auth type, flags and partition id, u16.
    pub const IMG_TYPE: u16 = 0x0004;
    /// Delta update: version of the base image the patch applies to, u32.
    pub const DELTA_BASE: u16 = 0x0005;
    /// Delta update: length of the forward patch, u32.
    pub const DELTA_SIZE: u16 = 0x0006;
    /// Delta update: digest of the base image.
    pub const DELTA_BASE_HASH: u16 = 0x0007;
    /// Hash of the public key that signed the image (selects the keystore slot).
    pub const PUBKEY_HINT: u16 = 0x0010;
    /// Hybrid signing: auth type of the secondary signature, u16 (the
    /// secondary auth code in the high byte, as in the image type). Covered
    /// by the digest, so the primary signature vouches for it.
    pub const SECONDARY_CIPHER: u16 = 0x0011;
    /// Hybrid signing: hash of the secondary public key (the secondary
    /// key's hint; covered by the digest).
    pub const SECONDARY_PUBKEY: u16 = 0x0012;
    /// SHA3-384 digest, 48 bytes.
    pub const SHA3_384: u16 = 0x0013;
    /// SHA-384 digest, 48 bytes.
    pub const SHA384: u16 = 0x0014;
    /// Delta update: offset of the inverse patch, u32.
    pub const DELTA_INVERSE: u16 = 0x0015;
    /// Delta update: length of the inverse patch, u32.
    pub const DELTA_INVERSE_SIZE: u16 = 0x0016;
    /// Signature over the digest.
    pub const SIGNATURE: u16 = 0x0020;
    /// TPM policy signature (4-byte PCR mask then signature).
    pub const POLICY_SIGNATURE: u16 = 0x0021;
    /// Hybrid signing: secondary signature, over the same digest as the
    /// primary one (after the digest, so not covered by it).
    pub const SECONDARY_SIGNATURE: u16 = 0x0022;
    /// Certificate chain.
    pub const CERT_CHAIN: u16 = 0x0023;
    /// Lowest tag wolfBoot leaves for user-defined (custom) TLVs.
    pub const CUSTOM_MIN: u16 = 0x0030;

    /// A short name for a known tag, for tools.
    pub fn name(tag: u16) -> Option<&'static str> {
        Some(match tag {
            VERSION => "version",
            TIMESTAMP => "timestamp",
            SHA256 => "sha256",
            IMG_TYPE => "image-type",
            DELTA_BASE => "delta-base-version",
            DELTA_SIZE => "delta-size",
            DELTA_BASE_HASH => "delta-base-hash",
            PUBKEY_HINT => "pubkey-hint",
            SECONDARY_CIPHER => "secondary-cipher",
            SECONDARY_PUBKEY => "secondary-pubkey-hint",
            SHA3_384 => "sha3-384",
            SHA384 => "sha384",
            DELTA_INVERSE => "delta-inverse-offset",
            DELTA_INVERSE_SIZE => "delta-inverse-size",
            SIGNATURE => "signature",
            POLICY_SIGNATURE => "policy-signature",
            SECONDARY_SIGNATURE => "secondary-signature",
            CERT_CHAIN => "cert-chain",
            _ => return None,
        })
    }
}

/// Authentication (signature) algorithm codes: high byte of the image type.
pub mod auth {
    /// No signature (`--no-sign`); the image type's high byte is 0xFF.
    pub const NONE: u8 = 0xFF;
    /// Ed25519.
    pub const ED25519: u8 = 0x01;
    /// ECDSA P-256.
    pub const ECC256: u8 = 0x02;
    /// RSA-2048 PKCS#1 v1.5.
    pub const RSA2048: u8 = 0x03;
    /// RSA-4096 PKCS#1 v1.5.
    pub const RSA4096: u8 = 0x04;
    /// Ed448.
    pub const ED448: u8 = 0x05;
    /// ECDSA P-384.
    pub const ECC384: u8 = 0x06;
    /// ECDSA P-521.
    pub const ECC521: u8 = 0x07;
    /// RSA-3072 PKCS#1 v1.5.
    pub const RSA3072: u8 = 0x08;
    /// LMS / HSS (RFC 8554, stateful hash-based; SHA-256, n = 32): the
    /// signature is an HSS signature over the image digest.
    pub const LMS: u8 = 0x09;
    /// XMSS (RFC 8391, stateful hash-based, single tree): the signature is
    /// an XMSS signature over the image digest.
    pub const XMSS: u8 = 0x0A;
    /// ML-DSA (FIPS 204; level 2, 3 or 5 told by the key size): pure ML-DSA
    /// over the image digest with an empty context string.
    pub const ML_DSA: u8 = 0x0B;
    /// RSA-2048 PSS.
    pub const RSAPSS2048: u8 = 0x0C;
    /// RSA-3072 PSS.
    pub const RSAPSS3072: u8 = 0x0D;
    /// RSA-4096 PSS.
    pub const RSAPSS4096: u8 = 0x0E;
}

/// Image type field layout.
pub mod img_type {
    /// High byte: authentication algorithm.
    pub const AUTH_MASK: u16 = 0xFF00;
    /// Flag of a delta (differential) update image.
    pub const DIFF: u16 = 0x00D0;
    /// Flag bits between the auth type and the partition id.
    pub const FLAGS_MASK: u16 = 0x00F0;
    /// Low nibble: partition id (0 = the bootloader itself, 1 = application).
    pub const PART_MASK: u16 = 0x000F;
    /// Partition id of a bootloader self-update.
    pub const PART_WOLFBOOT: u8 = 0;
    /// Partition id of the application (the default).
    pub const PART_APP: u8 = 1;
}

/// Size of each public key in the keystore, per auth type
/// (`KEYSTORE_PUBKEY_SIZE_*`).
pub mod keystore_size {
    /// Ed25519 raw key.
    pub const ED25519: usize = 32;
    /// Ed448 raw key.
    pub const ED448: usize = 57;
    /// P-256 raw X||Y.
    pub const ECC256: usize = 64;
    /// P-384 raw X||Y.
    pub const ECC384: usize = 96;
    /// P-521 raw X||Y.
    pub const ECC521: usize = 132;
    /// RSA-2048 DER public key, padded.
    pub const RSA2048: usize = 320;
    /// RSA-3072 DER public key, padded.
    pub const RSA3072: usize = 448;
    /// RSA-4096 DER public key, padded.
    pub const RSA4096: usize = 576;
    /// LMS / HSS public key: levels u32, LMS type u32, LM-OTS type u32,
    /// identifier I (16 bytes), root T (32 bytes), big-endian.
    pub const LMS: usize = 60;
    /// XMSS public key: OID u32 (big-endian), root (32), public seed (32).
    pub const XMSS: usize = 68;
    /// ML-DSA-44 public key (FIPS 204 pkEncode).
    pub const ML_DSA_44: usize = 1312;
    /// ML-DSA-65 public key.
    pub const ML_DSA_65: usize = 1952;
    /// ML-DSA-87 public key.
    pub const ML_DSA_87: usize = 2592;
}

/// Signature sizes of the post-quantum schemes at the parameters wolfBoot
/// builds by default (LMS and XMSS sizes depend on their parameters).
pub mod pq_signature_size {
    /// ML-DSA-44 (level 2).
    pub const ML_DSA_44: usize = 2420;
    /// ML-DSA-65 (level 3).
    pub const ML_DSA_65: usize = 3309;
    /// ML-DSA-87 (level 5).
    pub const ML_DSA_87: usize = 4627;
    /// HSS with one level of LMS_SHA256_M32_H10 and LMOTS_SHA256_N32_W8.
    pub const LMS_L1_H10_W8: usize = 1456;
    /// XMSS-SHA2_10_256.
    pub const XMSS_SHA2_10_256: usize = 2500;
}
