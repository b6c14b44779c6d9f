use wolfboot_encrypt::{Algorithm, Cipher};
use wolfboot_hal_flash::{FlashSet, Partition, PartitionId};
use wolfboot_image_format::{wire, HeaderError};
use wolfboot_swap_state_machine::PartitionState;
use wolfboot_verify::{verify_image, Keystore, VerifiedImage, VerifyOptions};

use crate::api::{WolfBoot, APP_PARTITION_ID};
use crate::error::{Error, UpdateError};
use crate::source::PartitionSource;

/// Bytes gathered in RAM before they are programmed (a multiple of the write
/// size, at most this many).
const STAGE: usize = 512;

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
    limit: u32,
    write_size: usize,
    erased_byte: u8,
    /// Bytes accepted so far.
    received: u32,
    /// Partition-relative end of the erased region.
    erased_end: u32,
    /// Header plus payload, once the first 8 bytes are known.
    expected: Option<u32>,
    first8: [u8; 8],
    stage: [u8; STAGE],
    stage_len: usize,
    failed: bool,
    /// The UPDATE cipher (encrypted updates).
    cipher: Option<Cipher>,
    /// Bytes the stream may be padded to (16 for AES, else 1).
    pad: u32,
}

impl<'w, S: FlashSet, const H: usize> UpdateWriter<'w, S, H> {
    pub(crate) fn begin(wb: &'w mut WolfBoot<S, H>) -> Result<Self, Error> {
        let part = wb.config().layout.get(PartitionId::Update);
        let geometry = wb.flash_mut().geometry(part.device);
        let write_size = geometry.write_size.max(1) as usize;
        if write_size > STAGE {
            return Err(Error::OutOfRange);
        }
        if wb.partition_state(PartitionId::Boot)? == Some(PartitionState::Testing) {
            return Err(Error::Unconfirmed);
        }
        let limit = wb.max_image_size();
        let cipher = wb.update_cipher()?;
        let pad = match cipher.as_ref().map(Cipher::algorithm) {
            Some(Algorithm::Aes128Ctr | Algorithm::Aes256Ctr) => 16,
            _ => 1,
        };
        // Forget any earlier trigger before the first byte lands.
        let state = wb.partition_state(PartitionId::Update)?;
        if state.is_some() && state != Some(PartitionState::New) {
            wb.trailer(PartitionId::Update).erase(wb.flash_mut())?;
        }
        Ok(UpdateWriter {
            wb,
            part,
            limit,
            write_size,
            erased_byte: geometry.erased_byte,
            received: 0,
            erased_end: 0,
            expected: None,
            first8: [0; 8],
            stage: [geometry.erased_byte; STAGE],
            stage_len: 0,
            failed: false,
            cipher,
            pad,
        })
    }

    /// Bytes received so far.
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Total bytes the image announces (header plus payload), once known.
    pub fn expected_len(&self) -> Option<u32> {
        self.expected
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

    fn write_inner(&mut self, chunk: &[u8]) -> Result<(), UpdateError> {
        let len = u32::try_from(chunk.len()).map_err(|_| UpdateError::TooLarge)?;
        let end = self
            .received
            .checked_add(len)
            .ok_or(UpdateError::TooLarge)?;
        if end > self.limit {
            return Err(UpdateError::TooLarge);
        }
        if let Some(expected) = self.expected {
            if end > self.stream_limit(expected) {
                return Err(UpdateError::ExtraData);
            }
        }
        for &byte in chunk {
            if let Some(slot) = self.first8.get_mut(self.received as usize) {
                *slot = byte;
            }
            self.received += 1;
            if self.received == 8 {
                self.check_preamble()?;
            }
            if let Some(slot) = self.stage.get_mut(self.stage_len) {
                *slot = byte;
            }
            self.stage_len += 1;
            if self.stage_len == STAGE {
                self.flush(false)?;
            }
        }
        if let Some(expected) = self.expected {
            if self.received > self.stream_limit(expected) {
                return Err(UpdateError::ExtraData);
            }
        }
        Ok(())
    }

    /// Longest stream for an image of `expected` bytes (block padding).
    fn stream_limit(&self, expected: u32) -> u32 {
        expected.div_ceil(self.pad).saturating_mul(self.pad)
    }

    fn check_preamble(&mut self) -> Result<(), UpdateError> {
        let mut first8 = self.first8;
        if let Some(c) = self.cipher.as_mut() {
            c.apply_at(0, &mut first8);
        }
        let [m0, m1, m2, m3, s0, s1, s2, s3] = first8;
        if u32::from_le_bytes([m0, m1, m2, m3]) != wire::IMAGE_MAGIC {
            return Err(UpdateError::Header(HeaderError::BadMagic));
        }
        let payload = u32::from_le_bytes([s0, s1, s2, s3]);
        let total = payload.checked_add(H as u32).ok_or(UpdateError::TooLarge)?;
        if total > self.limit {
            return Err(UpdateError::TooLarge);
        }
        if self.received > self.stream_limit(total) {
            return Err(UpdateError::ExtraData);
        }
        self.expected = Some(total);
        Ok(())
    }

    /// Program the staged bytes (all of them when `last`, padding the final
    /// write unit with the erased value; otherwise whole write units only).
    fn flush(&mut self, last: bool) -> Result<(), UpdateError> {
        let mut n = self.stage_len - self.stage_len % self.write_size;
        if last && n < self.stage_len {
            let padded = n + self.write_size;
            if let Some(pad) = self.stage.get_mut(self.stage_len..padded) {
                pad.fill(self.erased_byte);
            }
            n = padded;
        }
        if n == 0 {
            return Ok(());
        }
        let at = self.received - self.stage_len as u32;
        self.erase_through(at + n as u32)?;
        let data = self.stage.get(..n).ok_or(UpdateError::TooLarge)?;
        self.part
            .write(self.wb.flash_mut(), at, data)
            .map_err(Error::from)?;
        let keep = self.stage_len.saturating_sub(n);
        self.stage.copy_within(n..n + keep, 0);
        self.stage_len = keep;
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
    /// the image in place. `allow_downgrade` accepts versions not newer than
    /// the running one (the bootloader must be built to accept them too).
    pub fn finish(
        mut self,
        keystore: &Keystore<'_>,
        allow_downgrade: bool,
    ) -> Result<StagedUpdate<'w, S, H>, UpdateError> {
        if self.failed {
            return Err(UpdateError::Aborted);
        }
        let expected = self.expected.unwrap_or(u32::MAX);
        if self.received < expected || self.received > self.stream_limit(expected) {
            return Err(UpdateError::Incomplete {
                received: self.received,
                expected: self.expected.unwrap_or(0),
            });
        }
        self.flush(true)?;
        let mut header = [0u8; H];
        let opts = VerifyOptions {
            partition_id: Some(APP_PARTITION_ID),
            max_image_size: Some(self.limit),
            ..VerifyOptions::new()
        };
        let part = self.part;
        let image = {
            let mut source = PartitionSource::new(self.wb.flash_mut(), part, expected)
                .decrypting(self.cipher.as_mut());
            verify_image(&mut source, &mut header, keystore, &opts).map_err(UpdateError::Verify)?
        };
        let current = self.wb.current_firmware_version()?.unwrap_or(0);
        if !allow_downgrade && image.version <= current {
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
