//! wolfBoot numbers, with their meaning. Values as in wolfBoot's
//! `include/wolfboot/wolfboot.h` and `include/image.h`.

/// Image header magic, `"WOLF"` read as a little-endian u32 (first 4 bytes of an image).
pub const WOLFBOOT_MAGIC: u32 = 0x464C_4F57;
/// Partition trailer magic, `"BOOT"` read as a little-endian u32; stored in
/// the last 4 bytes of BOOT and UPDATE once their trailer is in use.
pub const WOLFBOOT_MAGIC_TRAIL: u32 = 0x544F_4F42;
/// Bytes of the image header before the first TLV (magic + payload size).
pub const IMAGE_HEADER_OFFSET: u32 = 8;
/// Default `IMAGE_HEADER_SIZE` (ECC256 / ED25519 builds).
pub const DEFAULT_IMAGE_HEADER_SIZE: u32 = 256;

/// Header TLV: end of options.
pub const HDR_END: u16 = 0x0000;
/// Header TLV: firmware version (u32).
pub const HDR_VERSION: u16 = 0x0001;
/// Header TLV: timestamp (u64).
pub const HDR_TIMESTAMP: u16 = 0x0002;
/// Header TLV: SHA-256 digest of header-before-this-TLV plus payload.
pub const HDR_SHA256: u16 = 0x0003;
/// Header TLV: image type (u16: partition nibble | auth type byte).
pub const HDR_IMG_TYPE: u16 = 0x0004;
/// Header TLV: delta update, version of the base image (u32).
pub const HDR_IMG_DELTA_BASE: u16 = 0x0005;
/// Header TLV: delta update, length of the forward patch (u32).
pub const HDR_IMG_DELTA_SIZE: u16 = 0x0006;
/// Header TLV: delta update, digest of the base image.
pub const HDR_IMG_DELTA_BASE_HASH: u16 = 0x0007;
/// Header TLV: SHA3-384 digest.
pub const HDR_SHA3_384: u16 = 0x0013;
/// Header TLV: SHA-384 digest.
pub const HDR_SHA384: u16 = 0x0014;
/// Header TLV: delta update, offset of the inverse patch from the image start (u32).
pub const HDR_IMG_DELTA_INVERSE: u16 = 0x0015;
/// Header TLV: delta update, length of the inverse patch (u32).
pub const HDR_IMG_DELTA_INVERSE_SIZE: u16 = 0x0016;
/// Header TLV: hint (digest) of the public key.
pub const HDR_PUBKEY: u16 = 0x0010;
/// Header TLV: signature.
pub const HDR_SIGNATURE: u16 = 0x0020;
/// Padding byte in the header.
pub const HDR_PADDING: u8 = 0xFF;

/// Image type: mask of the partition / image kind nibble.
pub const HDR_IMG_TYPE_PART_MASK: u16 = 0x000F;
/// Image type: mask of the authentication (signature algorithm) byte.
pub const HDR_IMG_TYPE_AUTH_MASK: u16 = 0xFF00;
/// Image type: application firmware (the only kind the swap installs).
pub const HDR_IMG_TYPE_APP: u16 = 0x0001;
/// Image type: mask of the delta flag nibble.
pub const HDR_IMG_TYPE_DIFF_MASK: u16 = 0x00F0;
/// Image type: delta (differential) update, patched onto the running image.
pub const HDR_IMG_TYPE_DIFF: u16 = 0x00D0;

/// Partition state bytes, normal polarity (flash erases to 0xFF).
pub mod state {
    /// Nothing recorded (erased byte).
    pub const NEW: u8 = 0xFF;
    /// UPDATE: an update was triggered and is to be installed / being installed.
    pub const UPDATING: u8 = 0x70;
    /// UPDATE: the swap is done, the trailers are being finalized.
    pub const FINAL_FLAGS: u8 = 0x30;
    /// BOOT: the image was installed and not yet confirmed.
    pub const TESTING: u8 = 0x10;
    /// BOOT: the image confirmed itself (`wolfBoot_success`).
    pub const SUCCESS: u8 = 0x00;
}

/// Partition state bytes with `WOLFBOOT_FLAGS_INVERT` (flash erases to 0x00).
pub mod state_inverted {
    /// Nothing recorded (erased byte).
    pub const NEW: u8 = 0x00;
    /// See [`super::state::UPDATING`].
    pub const UPDATING: u8 = 0x8F;
    /// See [`super::state::FINAL_FLAGS`].
    pub const FINAL_FLAGS: u8 = 0xBF;
    /// See [`super::state::TESTING`].
    pub const TESTING: u8 = 0xEF;
    /// See [`super::state::SUCCESS`].
    pub const SUCCESS: u8 = 0xFF;
}

/// Per-sector swap progress nibbles (in the UPDATE trailer), normal polarity.
/// Each step only clears bits, so each is one program without erase.
pub mod sector_flag {
    /// Sector untouched.
    pub const NEW: u8 = 0x0F;
    /// UPDATE sector copied to SWAP.
    pub const SWAPPING: u8 = 0x07;
    /// BOOT sector copied to UPDATE (the backup).
    pub const BACKUP: u8 = 0x03;
    /// SWAP copied to BOOT: the sector is done.
    pub const UPDATED: u8 = 0x00;
}

/// Per-sector nibbles with `WOLFBOOT_FLAGS_INVERT` (each step only sets bits).
pub mod sector_flag_inverted {
    /// See [`super::sector_flag::NEW`].
    pub const NEW: u8 = 0x00;
    /// See [`super::sector_flag::SWAPPING`].
    pub const SWAPPING: u8 = 0x08;
    /// See [`super::sector_flag::BACKUP`].
    pub const BACKUP: u8 = 0x0C;
    /// See [`super::sector_flag::UPDATED`].
    pub const UPDATED: u8 = 0x0F;
}

/// Trailer layout, counted back from the end of the partition (wolfBoot
/// `TRAILER_SKIP` = 0): the magic occupies the last 4 bytes.
pub const TRAILER_MAGIC_FROM_END: u32 = 4;
/// The partition state byte is the 5th byte from the end.
pub const TRAILER_STATE_FROM_END: u32 = 5;
/// Sector flag byte `n` (sectors `2n` low nibble, `2n+1` high nibble) is at
/// `TRAILER_FLAGS_FROM_END + n` bytes from the end.
pub const TRAILER_FLAGS_FROM_END: u32 = 6;
