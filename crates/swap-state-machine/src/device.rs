//! What bootloader and application must agree on about a device: the
//! partition layout, the trailer options and the update cipher. A board
//! defines one [`DeviceConfig`]; the bootloader takes its
//! [`BootConfig`](crate::BootConfig) from it
//! ([`boot_config`](DeviceConfig::boot_config), plus its own options such as
//! `header_size`) and the application its `WolfBootConfig`
//! (`libwolfboot-rs`'s `WolfBootConfig::from_device`).

use wolfboot_encrypt::Algorithm;
use wolfboot_hal_flash::PartitionSet;

use crate::config::BootConfig;
use crate::secret::{SecretArea, SecretError};
use crate::trailer::TrailerConfig;

/// Layout, trailer and encryption of one device, shared by bootloader and
/// application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceConfig {
    /// BOOT, UPDATE and SWAP.
    pub layout: PartitionSet,
    /// `NVM_FLASH_WRITEONCE`, `WOLFBOOT_FLAGS_INVERT`, `TRAILER_SKIP`; with
    /// encryption the skip includes the secret area
    /// ([`with_encryption`](Self::with_encryption) adds it).
    pub trailer: TrailerConfig,
    /// `EXT_ENCRYPTED`: the cipher of UPDATE, keyed by the secret at the end
    /// of BOOT ([`SecretArea`]).
    pub encryption: Option<Algorithm>,
}

impl DeviceConfig {
    /// `layout` with wolfBoot's default trailer and no encryption.
    pub const fn new(layout: PartitionSet) -> Self {
        DeviceConfig {
            layout,
            trailer: TrailerConfig::DEFAULT,
            encryption: None,
        }
    }

    /// These trailer options (set them before
    /// [`with_encryption`](Self::with_encryption), which adds to the skip).
    pub const fn with_trailer(mut self, trailer: TrailerConfig) -> Self {
        self.trailer = trailer;
        self
    }

    /// Encrypt UPDATE with `algorithm` (`None`: plain text), reserving the
    /// secret area at the end of BOOT below which both trailers end, as
    /// wolfBoot's `EXT_ENCRYPTED` builds do.
    pub const fn with_encryption(mut self, algorithm: Option<Algorithm>) -> Self {
        if let Some(alg) = algorithm {
            self.trailer = self
                .trailer
                .with_encrypt_secret(alg.key_len() as u32, alg.nonce_len() as u32);
        }
        self.encryption = algorithm;
        self
    }

    /// The bootloader's options for this device: its trailer and cipher,
    /// the other options at their defaults ([`BootConfig::DEFAULT`]).
    pub const fn boot_config(&self) -> BootConfig {
        BootConfig {
            trailer: self.trailer,
            encryption: self.encryption,
            ..BootConfig::DEFAULT
        }
    }

    /// Where the update-encryption secret lives (`None` without encryption).
    pub fn secret_area(&self) -> Option<Result<SecretArea, SecretError>> {
        self.encryption
            .map(|alg| SecretArea::new(&self.layout, self.trailer, alg))
    }
}
