//! wolfBoot's partition trailer numbers, with their meaning: trailer magic,
//! partition states, sector flags, trailer layout. Values as in wolfBoot's
//! `include/wolfboot/wolfboot.h` and `src/libwolfboot.c`. The numbers of
//! the image itself (magic, TLV tags, image type masks, the application's
//! partition id, header sizes) are [`wolfboot_image_format::wire`]'s.

/// Partition trailer magic, `"BOOT"` read as a little-endian u32; stored in
/// the last 4 bytes of BOOT and UPDATE once their trailer is in use.
pub const WOLFBOOT_MAGIC_TRAIL: u32 = 0x544F_4F42;

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
