use wolfboot_encrypt::{Algorithm, Cipher};
use wolfboot_hal_flash::{FlashSet, Partition, PartitionId};
use wolfboot_image_format::wire::img_type::PART_APP;
use wolfboot_swap_state_machine::{PartitionReader, PartitionState};
use wolfboot_verify::{verify_image, Keystore, VerifiedImage, VerifyOptions};

use crate::api::WolfBoot;
use crate::error::{Error, UpdateError};
use crate::intake::Intake;
use crate::policy::VersionPolicy;

/// Streams an image, arriving in chunks of any size, into UPDATE.
///
/// * [`begin`](WolfBoot::update_writer) clears UPDATE's trailer first, so an
///   earlier trigger cannot make the bootloader pick up a half-written image.
/// * [`write`](Self::write) erases sectors as the data reaches them and
///   programs whole write units; the header is checked as soon as its first
///   eight bytes are in (magic, and size against the partition).
/// * [`finish`](Self::finish) checks the length, then verifies the image in
///   place — header, digest, signature against the keystore, partition
///   permission and version — and only then hands out a [`StagedUpdate`],
///   the one value that can trigger it.
///
/// With encryption configured ([`WolfBootConfig::with_encryption`]) the
/// stream is the encrypted image (`sign --encrypt`'s
/// `_signed_and_encrypted.bin`): it is stored as it arrives, and its header
/// and the verification read it through the key stored in BOOT, so UPDATE
/// never holds plaintext. AES images may carry up to 15 bytes of padding.
///
/// Dropping a writer (or any error) leaves UPDATE untriggered.
///
/// Staging is refused while BOOT is `TESTING` ([`Error::Unconfirmed`]): an
/// unconfirmed image is rolled back at the next reset to whatever UPDATE
/// holds, trigger or not, so an older signed image written there would be
/// installed whatever [`finish`](Self::finish)'s version check says.
///
/// [`WolfBootConfig::with_encryption`]: crate::WolfBootConfig::with_encryption
#[derive(Debug)]
pub struct UpdateWriter<'w, S: FlashSet, const H: usize> {
    wb: &'w mut WolfBoot<S, H>,
    part: Partition,
    intake: Intake<H>,
    /// Partition-relative end of the erased region.
    erased_end: u32,
    failed: bool,
    /// The UPDATE cipher (encrypted updates).
    cipher: Option<Cipher>,
}

impl<'w, S: FlashSet, const H: usize> UpdateWriter<'w, S, H> {
    pub(crate) fn begin(wb: &'w mut WolfBoot<S, H>) -> Result<Self, Error> {
        let part = wb.config().layout.get(PartitionId::Update);
        let geometry = wb.flash_mut().geometry(part.device);
        if wb.partition_state(PartitionId::Boot)? == Some(PartitionState::Testing) {
            return Err(Error::Unconfirmed);
        }
        let limit = wb.max_image_size();
        let cipher = wb.update_cipher()?;
        let pad = match cipher.as_ref().map(Cipher::algorithm) {
            Some(Algorithm::Aes128Ctr | Algorithm::Aes256Ctr) => 16,
            _ => 1,
        };
        let intake = Intake::new(limit, geometry.write_size, geometry.erased_byte, pad)?;
        // Forget any earlier trigger before the first byte lands.
        let state = wb.partition_state(PartitionId::Update)?;
        if state.is_some() && state != Some(PartitionState::New) {
            wb.trailer(PartitionId::Update).erase(wb.flash_mut())?;
        }
        Ok(UpdateWriter {
            wb,
            part,
            intake,
            erased_end: 0,
            failed: false,
            cipher,
        })
    }

    /// Bytes received so far.
    pub fn received(&self) -> u32 {
        self.intake.received
    }

    /// Total bytes the image announces (header plus payload), once known.
    pub fn expected_len(&self) -> Option<u32> {
        self.intake.expected
    }

    /// Append the next chunk of the image.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), UpdateError> {
        if self.failed {
            return Err(UpdateError::Aborted);
        }
        let r = self.write_inner(chunk);
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    fn write_inner(&mut self, mut chunk: &[u8]) -> Result<(), UpdateError> {
        self.intake.begin_chunk(chunk.len())?;
        while !chunk.is_empty() {
            let n = self.intake.take(chunk, self.cipher.as_mut())?;
            chunk = chunk.get(n..).unwrap_or_default();
            if self.intake.stage_is_full() {
                self.flush(false)?;
            }
        }
        self.intake.end_chunk()
    }

    /// Program the staged bytes (all of them when `last`, padding the final
    /// write unit with the erased value; otherwise whole write units only).
    fn flush(&mut self, last: bool) -> Result<(), UpdateError> {
        let Some((at, n)) = self.intake.pending(last) else {
            return Ok(());
        };
        self.erase_through(at + n as u32)?;
        let data = self.intake.staged(n)?;
        self.part
            .write(self.wb.flash_mut(), at, data)
            .map_err(Error::from)?;
        self.intake.programmed(n);
        Ok(())
    }

    fn erase_through(&mut self, end: u32) -> Result<(), UpdateError> {
        let sector = self.wb.config().layout.sector_size;
        while self.erased_end < end {
            let next = self.erased_end + sector;
            self.part
                .erase(self.wb.flash_mut(), self.erased_end, next)
                .map_err(Error::from)?;
            self.erased_end = next;
        }
        Ok(())
    }

    /// End of the stream: program what is left, check the length, and verify
    /// the image in place. `policy` says whether only versions newer than the
    /// running one are accepted (the bootloader must be built to accept the
    /// others too).
    pub fn finish(
        mut self,
        keystore: &Keystore<'_>,
        policy: VersionPolicy,
    ) -> Result<StagedUpdate<'w, S, H>, UpdateError> {
        if self.failed {
            return Err(UpdateError::Aborted);
        }
        let expected = self.intake.complete()?;
        self.flush(true)?;
        let mut header = [0u8; H];
        let opts = VerifyOptions {
            partition_id: Some(PART_APP),
            max_image_size: Some(self.intake.limit),
            ..VerifyOptions::new()
        };
        let part = self.part;
        let image = {
            let mut source = PartitionReader::with_len(self.wb.flash_mut(), part, expected)
                .decrypting(self.cipher.as_mut());
            verify_image(&mut source, &mut header, keystore, &opts).map_err(UpdateError::Verify)?
        };
        let current = self.wb.current_firmware_version()?.unwrap_or(0);
        if policy == VersionPolicy::NewerOnly && image.version <= current {
            return Err(UpdateError::Downgrade {
                current,
                offered: image.version,
            });
        }
        Ok(StagedUpdate { wb: self.wb, image })
    }
}

/// An image that has verified in UPDATE, ready to be triggered.
#[derive(Debug)]
pub struct StagedUpdate<'w, S: FlashSet, const H: usize> {
    wb: &'w mut WolfBoot<S, H>,
    image: VerifiedImage,
}

impl<S: FlashSet, const H: usize> StagedUpdate<'_, S, H> {
    /// What verified.
    pub fn image(&self) -> &VerifiedImage {
        &self.image
    }

    /// Mark UPDATE as `UPDATING`: the bootloader verifies it again and
    /// installs it at the next reset.
    pub fn trigger(self) -> Result<VerifiedImage, Error> {
        self.wb.update_trigger()?;
        Ok(self.image)
    }
}
