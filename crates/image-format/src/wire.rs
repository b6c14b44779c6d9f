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
    /// Hybrid signing: auth type of the secondary signature.
    pub const SECONDARY_CIPHER: u16 = 0x0011;
    /// Hybrid signing: hash of the secondary public key.
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
    /// Hybrid signing: secondary signature.
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
    /// LMS (stateful hash-based).
    pub const LMS: u8 = 0x09;
    /// RSA-2048 PSS.
    pub const RSAPSS2048: u8 = 0x0C;
    /// RSA-3072 PSS.
    pub const RSAPSS3072: u8 = 0x0D;
    /// RSA-4096 PSS.
    pub const RSAPSS4096: u8 = 0x0E;
    /// XMSS (stateful hash-based).
    pub const XMSS: u8 = 0x10;
    /// ML-DSA.
    pub const ML_DSA: u8 = 0x11;
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
}
