//! The bootloader's options: wolfBoot's build switches as run-time values.

use wolfboot_encrypt::Algorithm;
use wolfboot_image_format::wire;

use crate::trailer::TrailerConfig;

/// Bootloader options (wolfBoot build switches as run-time values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootConfig {
    /// Trailer encoding (`NVM_FLASH_WRITEONCE`, `WOLFBOOT_FLAGS_INVERT`).
    pub trailer: TrailerConfig,
    /// `IMAGE_HEADER_SIZE` in bytes.
    pub header_size: u32,
    /// `ALLOW_DOWNGRADE`: install updates whose version is not greater.
    pub allow_downgrade: bool,
    /// `DISABLE_BACKUP`: copy UPDATE over BOOT without backup (UPDATE keeps
    /// the new image, BOOT ends in SUCCESS, no rollback). Unlike the swap
    /// there is no moment when both images exist, so a cut leaves BOOT
    /// unbootable until the next reset copies UPDATE again, which it always
    /// can since UPDATE is never written (checked at every cut point by the
    /// power-cut tests). UPDATE stays UPDATING, as in wolfBoot: later boots
    /// verify it again and refuse it as not newer, writing nothing.
    pub disable_backup: bool,
    /// `EXT_ENCRYPTED`: UPDATE holds the image encrypted with this cipher,
    /// keyed by the secret stored at the end of BOOT (where
    /// `libwolfboot-rs`'s `set_encrypt_key` puts it). SWAP only ever holds
    /// ciphertext. The trailer's skip must leave room for the secret
    /// ([`TrailerConfig::with_encrypt_secret`]); not with write-once.
    pub encryption: Option<Algorithm>,
}

impl BootConfig {
    /// wolfBoot's defaults: default trailer, 256-byte headers, no
    /// downgrade, backup kept, no encryption.
    pub const DEFAULT: BootConfig = BootConfig {
        trailer: TrailerConfig::DEFAULT,
        header_size: wire::IMAGE_HEADER_SIZE_DEFAULT as u32,
        allow_downgrade: false,
        disable_backup: false,
        encryption: None,
    };
}

impl BootConfig {
    /// This configuration with trailer options `trailer`.
    pub const fn with_trailer(mut self, trailer: TrailerConfig) -> Self {
        self.trailer = trailer;
        self
    }

    /// This configuration with `IMAGE_HEADER_SIZE` = `header_size`.
    pub const fn with_header_size(mut self, header_size: u32) -> Self {
        self.header_size = header_size;
        self
    }
}

impl Default for BootConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}
