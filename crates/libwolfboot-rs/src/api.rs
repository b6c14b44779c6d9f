use wolfboot_hal_flash::{FlashSet, PartitionId, PartitionSet};
use wolfboot_image_format::{ImageHeader, ImageType};
use wolfboot_swap_state_machine::{
    app, DeviceConfig, PartitionState, PartitionTrailer, TrailerConfig,
};

use crate::error::Error;
use crate::secret::EncryptSecret;
use crate::writer::UpdateWriter;

/// How the application sees the bootloader's configuration. It must match
/// the bootloader's build (wolfBoot's `.config`): same layout, same trailer
/// options, same `IMAGE_HEADER_SIZE` (the `HEADER_SIZE` parameter of
/// [`WolfBoot`]). A board that defines its [`DeviceConfig`] once gets it
/// with [`from_device`](Self::from_device), the bootloader its `BootConfig`
/// with [`DeviceConfig::boot_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WolfBootConfig {
    /// BOOT, UPDATE and SWAP.
    pub layout: PartitionSet,
    /// `NVM_FLASH_WRITEONCE`, `WOLFBOOT_FLAGS_INVERT`.
    pub trailer: TrailerConfig,
    /// Where the update-encryption key lives (`EXT_ENCRYPTED` builds).
    pub secret: Option<EncryptSecret>,
}

impl WolfBootConfig {
    /// A configuration with default trailer options and no encryption.
    pub fn new(layout: PartitionSet) -> Self {
        WolfBootConfig {
            layout,
            trailer: TrailerConfig::default(),
            secret: None,
        }
    }

    /// The application's view of a board's [`DeviceConfig`] (the one the
    /// bootloader's `BootConfig` comes from): its layout, its trailer (the
    /// secret area already reserved when it encrypts) and its cipher.
    pub const fn from_device(device: DeviceConfig) -> Self {
        WolfBootConfig {
            layout: device.layout,
            trailer: device.trailer,
            secret: match device.encryption {
                Some(alg) => Some(EncryptSecret::of(alg)),
                None => None,
            },
        }
    }

    /// Reserve the update-encryption secret area at the end of BOOT, and
    /// move both trailers below it, as wolfBoot's `EXT_ENCRYPTED` builds do.
    pub const fn with_encryption(mut self, secret: EncryptSecret) -> Self {
        self.trailer = self
            .trailer
            .with_encrypt_secret(secret.key_len as u32, secret.nonce_len as u32);
        self.secret = Some(secret);
        self
    }
}

/// The application-side handle: owns the flash access and the configuration.
///
/// `HEADER_SIZE` is the bootloader's `IMAGE_HEADER_SIZE` (256 unless the key
/// type needs more); headers are read into a stack buffer of that size.
#[derive(Debug)]
pub struct WolfBoot<S, const HEADER_SIZE: usize = 256> {
    flash: S,
    config: WolfBootConfig,
}

impl<S: FlashSet, const HEADER_SIZE: usize> WolfBoot<S, HEADER_SIZE> {
    /// Wrap the flash holding the partitions.
    pub fn new(flash: S, config: WolfBootConfig) -> Self {
        WolfBoot { flash, config }
    }

    /// The configuration.
    pub fn config(&self) -> &WolfBootConfig {
        &self.config
    }

    /// The flash, for board code.
    pub fn flash_mut(&mut self) -> &mut S {
        &mut self.flash
    }

    /// Give the flash back.
    pub fn into_flash(self) -> S {
        self.flash
    }

    pub(crate) fn trailer(&self, part: PartitionId) -> PartitionTrailer {
        PartitionTrailer::of(&self.config.layout, part, self.config.trailer)
    }

    /// `wolfBoot_update_trigger`: mark UPDATE as `UPDATING`, so the bootloader
    /// installs it at the next reset (after verifying it).
    ///
    /// This is the raw C-API operation; [`UpdateWriter`] offers a trigger that
    /// is only reachable once the staged image has verified.
    pub fn update_trigger(&mut self) -> Result<(), Error> {
        app::update_trigger(&mut self.flash, &self.config.layout, self.config.trailer)?;
        Ok(())
    }

    /// `wolfBoot_success`: confirm the running image (BOOT → `SUCCESS`), so
    /// it is not rolled back at the next reset. Writes nothing when BOOT is
    /// already confirmed.
    pub fn success(&mut self) -> Result<(), Error> {
        if self.partition_state(PartitionId::Boot)? == Some(PartitionState::Success) {
            return Ok(());
        }
        app::success(&mut self.flash, &self.config.layout, self.config.trailer)?;
        Ok(())
    }

    /// `wolfBoot_get_partition_state`: `None` when the partition has no
    /// trailer magic (never written since erase).
    pub fn partition_state(&mut self, part: PartitionId) -> Result<Option<PartitionState>, Error> {
        Ok(app::partition_state(
            &mut self.flash,
            &self.config.layout,
            self.config.trailer,
            part,
        )?)
    }

    /// Read the header of the image at the start of `part` into `buf` and
    /// view it; `None` when there is no image (no `WOLF` magic).
    pub fn read_header<'b>(
        &mut self,
        part: PartitionId,
        buf: &'b mut [u8; HEADER_SIZE],
    ) -> Result<Option<ImageHeader<'b>>, Error> {
        self.config.layout.get(part).read(&mut self.flash, 0, buf)?;
        if part == PartitionId::Update {
            // An encrypted UPDATE is read through the stored key; without a
            // key there is no readable image.
            match self.update_cipher() {
                Ok(Some(mut c)) => c.apply_at(0, buf),
                Ok(None) => {}
                Err(Error::NoEncryptKey) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok(ImageHeader::parse(buf, HEADER_SIZE).ok())
    }

    /// `wolfBoot_get_image_version`: the version of the image in `part`, or
    /// `None` without an image (wolfBoot returns 0). Not verified: for display
    /// and decisions that the bootloader checks again.
    pub fn image_version(&mut self, part: PartitionId) -> Result<Option<u32>, Error> {
        let mut buf = [0u8; HEADER_SIZE];
        Ok(self
            .read_header(part, &mut buf)?
            .and_then(|h| h.version().ok()))
    }

    /// `wolfBoot_current_firmware_version`: version of the image in BOOT.
    pub fn current_firmware_version(&mut self) -> Result<Option<u32>, Error> {
        self.image_version(PartitionId::Boot)
    }

    /// `wolfBoot_update_firmware_version`: version of the image in UPDATE.
    pub fn update_firmware_version(&mut self) -> Result<Option<u32>, Error> {
        self.image_version(PartitionId::Update)
    }

    /// `wolfBoot_get_image_type`.
    pub fn image_type(&mut self, part: PartitionId) -> Result<Option<ImageType>, Error> {
        let mut buf = [0u8; HEADER_SIZE];
        Ok(self
            .read_header(part, &mut buf)?
            .and_then(|h| h.image_type().ok()))
    }

    /// `wolfBoot_find_header`: copy the value of the first header field with
    /// `tag` of the image in `part` into `out`; returns the field's length
    /// (which may exceed `out.len()`: then only the first bytes are copied),
    /// or `None` when the image or the field is absent. Custom TLVs set with
    /// `sign --custom-tlv` are read this way.
    pub fn find_header(
        &mut self,
        part: PartitionId,
        tag: u16,
        out: &mut [u8],
    ) -> Result<Option<usize>, Error> {
        let mut buf = [0u8; HEADER_SIZE];
        let Some(header) = self.read_header(part, &mut buf)? else {
            return Ok(None);
        };
        Ok(header.find(tag).map(|value| {
            let n = value.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), value.get(..n)) {
                dst.copy_from_slice(src);
            }
            value.len()
        }))
    }

    /// `wolfBoot_fallback_is_possible`: whether UPDATE holds an image the
    /// bootloader could fall back to.
    pub fn fallback_is_possible(&mut self) -> Result<bool, Error> {
        Ok(matches!(self.update_firmware_version()?, Some(v) if v > 0))
    }

    /// Bytes of UPDATE an image may occupy: the partition minus the trailer
    /// area (one sector, two with write-once).
    pub fn max_image_size(&self) -> u32 {
        let part = self.config.layout.get(PartitionId::Update);
        part.size
            .saturating_sub(self.trailer(PartitionId::Update).reserved_len())
    }

    /// Start streaming a new image into UPDATE. See [`UpdateWriter`].
    pub fn update_writer(&mut self) -> Result<UpdateWriter<'_, S, HEADER_SIZE>, Error> {
        UpdateWriter::begin(self)
    }

    /// The cipher of an encrypted UPDATE partition (`None` when updates are
    /// not encrypted; [`Error::NoEncryptKey`] when no key is stored).
    pub fn update_cipher(&mut self) -> Result<Option<wolfboot_encrypt::Cipher>, Error> {
        match self.config.secret {
            None => Ok(None),
            Some(secret) => secret
                .cipher(&mut self.flash, &self.config.layout, self.config.trailer)
                .map(Some),
        }
    }

    /// `wolfBoot_set_encrypt_key`: store the update-encryption key and nonce
    /// where the bootloader reads them (end of BOOT).
    pub fn set_encrypt_key(&mut self, key: &[u8], nonce: &[u8]) -> Result<(), Error> {
        let secret = self.config.secret.ok_or(Error::EncryptionNotConfigured)?;
        secret.store(
            &mut self.flash,
            &self.config.layout,
            self.config.trailer,
            Some((key, nonce)),
        )
    }

    /// `wolfBoot_erase_encrypt_key`: overwrite the stored key with the erased pattern.
    pub fn erase_encrypt_key(&mut self) -> Result<(), Error> {
        let secret = self.config.secret.ok_or(Error::EncryptionNotConfigured)?;
        secret.store(
            &mut self.flash,
            &self.config.layout,
            self.config.trailer,
            None,
        )
    }

    /// `wolfBoot_get_encrypt_key`: read the stored key and nonce into the
    /// buffers (sized as the cipher needs); `false` when none is stored.
    pub fn get_encrypt_key(&mut self, key: &mut [u8], nonce: &mut [u8]) -> Result<bool, Error> {
        let secret = self.config.secret.ok_or(Error::EncryptionNotConfigured)?;
        secret.load(
            &mut self.flash,
            &self.config.layout,
            self.config.trailer,
            key,
            nonce,
        )
    }
}

impl From<DeviceConfig> for WolfBootConfig {
    fn from(device: DeviceConfig) -> Self {
        Self::from_device(device)
    }
}
