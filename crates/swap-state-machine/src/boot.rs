//! The boot decision and the power-fail-safe update (wolfBoot's
//! `wolfBoot_start` / `wolfBoot_update` / `wolfBoot_swap_and_final_erase`).

use core::fmt;

use wolfboot_hal_flash::{FlashSet, PartitionId, PartitionSet};

use wolfboot_encrypt::{is_blank_key, Cipher, MAX_KEY_LEN, MAX_NONCE_LEN};

use wolfboot_image_format::wire::img_type::PART_APP;
use wolfboot_verify::{SourceError, VerifiedImage, VerifyError};

pub use crate::config::BootConfig;
use crate::constants::WOLFBOOT_MAGIC_TRAIL;
pub use crate::decision::{BootAction, BootDecision, BootError, RefuseReason};
use crate::image::{HeaderFacts, ImageVerifier, PartitionReader};
use crate::setup::{RuntimeSetup, Setup};
use crate::trailer::{PartitionState, PartitionTrailer, SectorFlag, TrailerError, MAX_WRITE_SIZE};

pub(crate) enum UpdateOutcome {
    Swapped,
    Refused(RefuseReason),
}

/// Why the swap runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A triggered update.
    Install,
    /// BOOT was not confirmed: bring the previous image back.
    Rollback,
    /// BOOT does not verify: take whatever UPDATE holds.
    Emergency,
}

/// How bytes move in a sector copy (encrypted builds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transfer {
    /// As they are (ciphertext UPDATE→SWAP, or no encryption).
    Raw,
    /// Plaintext out of BOOT, encrypted on the way (into UPDATE or SWAP).
    Encrypt,
    /// Ciphertext decrypted on the way into BOOT.
    Decrypt,
}

pub(crate) const CHUNK: usize = MAX_WRITE_SIZE as usize;
const MAX_SECRET: usize = MAX_KEY_LEN + MAX_NONCE_LEN;

/// Key and nonce read from BOOT (encrypted builds).
#[derive(Clone, Copy)]
pub(crate) struct Secret {
    bytes: [u8; MAX_SECRET],
    len: usize,
}

impl Secret {
    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The bootloader: flash set, verifier, and its layout and options
/// ([`Setup`]: values by default, constants on a board).
#[derive(Debug)]
pub struct Bootloader<S, V, P = RuntimeSetup> {
    flash: S,
    verifier: V,
    setup: P,
    secret: Option<Secret>,
    cipher: Option<Cipher>,
}

impl<S: FlashSet, V: ImageVerifier> Bootloader<S, V> {
    /// Check `layout` against the devices and build the bootloader.
    pub fn new(
        flash: S,
        verifier: V,
        layout: PartitionSet,
        config: BootConfig,
    ) -> Result<Self, BootError> {
        Self::with_setup(flash, verifier, RuntimeSetup { layout, config })
    }
}

impl<S: FlashSet, V: ImageVerifier, P: Setup> Bootloader<S, V, P> {
    /// Check the layout of `setup` against the devices and build the
    /// bootloader. With a [`FixedSetup`](crate::setup::FixedSetup) the
    /// checks fold at build time (a bad layout still returns an error).
    pub fn with_setup(flash: S, verifier: V, setup: P) -> Result<Self, BootError> {
        let (layout, config) = (setup.layout(), setup.config());
        layout.validate(&flash).map_err(BootError::Layout)?;
        let s = layout.sector_size;
        for id in [PartitionId::Boot, PartitionId::Update, PartitionId::Swap] {
            let ws = flash.geometry(layout.get(id).device).write_size;
            if ws > MAX_WRITE_SIZE || !(CHUNK as u32).min(s).is_multiple_of(ws) {
                return Err(BootError::Unsupported);
            }
        }
        let psize = layout.partition_size();
        let sectors = psize / s;
        // The trailer (and its skip) must sit in the last sector (two with
        // write-once), as wolfBoot's final erase assumes.
        let room = s.saturating_sub(config.trailer.trailer_skip);
        let reserved = reserved_len(&config, psize, s);
        // Write-once and inverted-flag trailers need their features
        // (wolfBoot's NVM_FLASH_WRITEONCE and WOLFBOOT_FLAGS_INVERT are
        // build switches too).
        if (config.trailer.write_once && !cfg!(feature = "write-once"))
            || (config.trailer.flags_invert && !cfg!(feature = "flags-invert"))
        {
            return Err(BootError::Unsupported);
        }
        // An encrypted UPDATE needs a cipher feature, DISABLE_BACKUP its own.
        if (config.encryption.is_some() && !cfg!(any(feature = "chacha20", feature = "aes")))
            || (config.disable_backup && !cfg!(feature = "disable-backup"))
        {
            return Err(BootError::Unsupported);
        }
        if let Some(alg) = config.encryption {
            if (config.trailer.trailer_skip as usize) < alg.secret_len()
                || config.trailer.write_once
            {
                return Err(BootError::Unsupported);
            }
        }
        if room == 0
            || psize < reserved.saturating_add(s.saturating_mul(2))
            || crate::constants::TRAILER_FLAGS_FROM_END + sectors / 2 > room
            || config.header_size < 16
            || config.header_size >= psize
        {
            return Err(BootError::Unsupported);
        }
        Ok(Bootloader {
            flash,
            verifier,
            setup,
            secret: None,
            cipher: None,
        })
    }

    /// The flash set.
    pub fn flash(&self) -> &S {
        &self.flash
    }
    /// The flash set, mutably.
    pub fn flash_mut(&mut self) -> &mut S {
        &mut self.flash
    }
    /// The verifier, mutably.
    pub fn verifier_mut(&mut self) -> &mut V {
        &mut self.verifier
    }
    /// The layout.
    #[inline(always)]
    pub fn layout(&self) -> PartitionSet {
        self.setup.layout()
    }
    /// The options.
    #[inline(always)]
    pub fn config(&self) -> BootConfig {
        self.setup.config()
    }
    /// Give back flash set and verifier.
    pub fn into_parts(self) -> (S, V) {
        (self.flash, self.verifier)
    }

    /// Trailer of BOOT.
    #[inline(always)]
    pub fn boot_trailer(&self) -> PartitionTrailer<P::Trailer> {
        PartitionTrailer::at(self.setup.trailer(PartitionId::Boot))
    }
    /// Trailer of UPDATE.
    #[inline(always)]
    pub fn update_trailer(&self) -> PartitionTrailer<P::Trailer> {
        PartitionTrailer::at(self.setup.trailer(PartitionId::Update))
    }

    /// Application side: request installation of the image in UPDATE at next
    /// boot (`wolfBoot_update_trigger`, [`app::update_trigger`]).
    ///
    /// [`app::update_trigger`]: crate::app::update_trigger
    pub fn update_trigger(&mut self) -> Result<(), TrailerError> {
        self.update_trailer().trigger(&mut self.flash)
    }

    /// Application side: confirm the running image (`wolfBoot_success`,
    /// [`app::success`]).
    ///
    /// [`app::success`]: crate::app::success
    pub fn success(&mut self) -> Result<(), TrailerError> {
        self.boot_trailer()
            .set_state(&mut self.flash, PartitionState::Success)
    }

    /// Run the boot sequence once, as at reset: finish an interrupted swap,
    /// roll back an unconfirmed image, install a triggered update, fall back
    /// to UPDATE if BOOT does not verify. Returns the image to boot, which
    /// has been verified in BOOT after the last flash change.
    ///
    /// On [`BootError::Flash`] (e.g. power loss) simply call it again after
    /// reset: every step resumes from what the flash records.
    pub fn boot(&mut self) -> Result<BootDecision, BootError> {
        self.load_secret()?;
        let boot_state = self.boot_trailer().state(&mut self.flash)?;
        let update_state = self.update_trailer().state(&mut self.flash)?;
        let mut action = BootAction::NoUpdate;

        let finished = !self.disable_backup() && self.final_erase(true)?;
        if finished {
            action = BootAction::FinishedInterrupted;
        } else if boot_state == Some(PartitionState::Testing) {
            if update_state.is_none() {
                self.update_trailer()
                    .set_state(&mut self.flash, PartitionState::Updating)?;
            }
            action = match self.update(Mode::Rollback)? {
                UpdateOutcome::Swapped => BootAction::RolledBack,
                UpdateOutcome::Refused(r) => BootAction::UpdateRefused(r),
            };
        } else if update_state == Some(PartitionState::Updating) {
            action = match self.update(Mode::Install)? {
                UpdateOutcome::Swapped => BootAction::Installed,
                UpdateOutcome::Refused(r) => BootAction::UpdateRefused(r),
            };
        }

        let boot_err = match self.verify_boot()? {
            Ok(image) => return self.decision(image, action),
            Err(e) => e,
        };
        match self.update(Mode::Emergency)? {
            UpdateOutcome::Refused(r) => Err(BootError::NoBootableImage {
                boot: boot_err,
                fallback: Some(r),
            }),
            UpdateOutcome::Swapped => match self.verify_boot()? {
                Ok(image) => self.decision(image, BootAction::EmergencyFallback),
                Err(e) => Err(BootError::NoBootableImage {
                    boot: e,
                    fallback: None,
                }),
            },
        }
    }

    #[inline(always)]
    fn decision(
        &mut self,
        image: VerifiedImage,
        action: BootAction,
    ) -> Result<BootDecision, BootError> {
        Ok(BootDecision {
            image,
            boot_state: self.boot_trailer().state(&mut self.flash)?,
            action,
        })
    }

    /// Bytes of BOOT / UPDATE an image may occupy: the partition less the
    /// trailer area ([`TrailerConfig::reserved_len`](crate::TrailerConfig::reserved_len)).
    pub fn image_area(&self) -> u32 {
        let psize = self.layout().partition_size();
        psize.saturating_sub(reserved_len(&self.config(), psize, self.sector_size()))
    }

    /// Verify the image in `part`; outer error for flash faults, inner for a
    /// bad image. Only application images are accepted, whatever the
    /// verifier's options.
    pub(crate) fn verify_part(
        &mut self,
        part: PartitionId,
    ) -> Result<Result<VerifiedImage, VerifyError>, BootError> {
        let area = self.image_area();
        let partition = self.layout().get(part);
        let encrypted = part == PartitionId::Update && self.encryption().is_some();
        if encrypted && self.cipher.is_none() {
            // Not a byte of UPDATE is readable without its key (`update`
            // refuses with `NoKey` before it gets here).
            return Ok(Err(VerifyError::Source(SourceError::OutOfBounds)));
        }
        let cipher = if encrypted {
            self.cipher.as_mut()
        } else {
            None
        };
        let mut reader =
            PartitionReader::with_len(&mut self.flash, partition, area).decrypting(cipher);
        let r = self.verifier.verify(part, &mut reader);
        if let Some(f) = reader.fault() {
            return Err(BootError::Flash(f));
        }
        if let Ok(image) = &r {
            let found = image.image_type.partition_id();
            if found != PART_APP {
                return Ok(Err(VerifyError::WrongPartition {
                    expected: PART_APP,
                    found,
                }));
            }
        }
        Ok(r)
    }

    #[inline(always)]
    fn verify_boot(&mut self) -> Result<Result<VerifiedImage, VerifyError>, BootError> {
        self.verify_part(PartitionId::Boot)
    }

    /// Unverified header facts of the image in `part`.
    pub(crate) fn header(&mut self, part: PartitionId) -> Result<Option<HeaderFacts>, BootError> {
        let header_size = self.config().header_size;
        let size = self.layout().get(part).size;
        Ok(self.reader(part, size).header_facts(header_size)?)
    }

    /// The first `len` bytes of `part`, decrypting UPDATE in encrypted builds.
    pub(crate) fn reader(&mut self, part: PartitionId, len: u32) -> PartitionReader<'_, S> {
        let partition = self.layout().get(part);
        let cipher = if part == PartitionId::Update && self.encryption().is_some() {
            self.cipher.as_mut()
        } else {
            None
        };
        PartitionReader::with_len(&mut self.flash, partition, len).decrypting(cipher)
    }

    // What `delta` uses of the bootloader's state.

    /// `IMAGE_HEADER_SIZE`.
    #[cfg(feature = "delta")]
    #[inline(always)]
    pub(crate) fn header_size(&self) -> u32 {
        self.config().header_size
    }

    /// Whether UPDATE is encrypted (`EXT_ENCRYPTED`).
    #[cfg(feature = "delta")]
    #[inline(always)]
    pub(crate) fn is_encrypted(&self) -> bool {
        self.encryption().is_some()
    }

    /// The keyed cipher of UPDATE (encrypted builds with a key stored).
    #[cfg(feature = "delta")]
    #[inline(always)]
    pub(crate) fn update_cipher(&mut self) -> Option<&mut Cipher> {
        self.cipher.as_mut()
    }

    /// The flash, the layout and UPDATE's cipher (`None` unless encrypted),
    /// at once: for readers that decrypt UPDATE while reading BOOT.
    #[cfg(feature = "delta")]
    #[inline(always)]
    pub(crate) fn flash_and_cipher(&mut self) -> (&mut S, PartitionSet, Option<&mut Cipher>) {
        let layout = self.layout();
        let cipher = if self.encryption().is_some() {
            self.cipher.as_mut()
        } else {
            None
        };
        (&mut self.flash, layout, cipher)
    }

    /// Swap progress of `sector`, from UPDATE's trailer (`None`: no magic).
    #[cfg(feature = "delta")]
    #[inline(always)]
    pub(crate) fn progress(&mut self, sector: u32) -> Result<Option<SectorFlag>, TrailerError> {
        self.update_trailer().sector_flag(&mut self.flash, sector)
    }

    /// Record the swap progress of `sector` in UPDATE's trailer.
    #[cfg(feature = "delta")]
    #[inline(always)]
    pub(crate) fn record_progress(
        &mut self,
        sector: u32,
        flag: SectorFlag,
    ) -> Result<(), TrailerError> {
        self.update_trailer()
            .set_sector_flag(&mut self.flash, sector, flag)
    }

    /// `DISABLE_BACKUP`: only in builds with the `disable-backup` feature
    /// (whose `new` refuses it otherwise).
    #[inline(always)]
    fn disable_backup(&self) -> bool {
        cfg!(feature = "disable-backup") && self.config().disable_backup
    }

    /// UPDATE's cipher: `None` in builds without a cipher feature (`chacha20`,
    /// `aes`), which have none of the encryption code (and whose `new`
    /// refuses an encrypted configuration).
    #[inline(always)]
    fn encryption(&self) -> Option<wolfboot_encrypt::Algorithm> {
        if cfg!(any(feature = "chacha20", feature = "aes")) {
            self.config().encryption
        } else {
            None
        }
    }

    /// `transfer` in encrypted builds, [`Transfer::Raw`] otherwise.
    pub(crate) fn transfer(&self, transfer: Transfer) -> Transfer {
        if self.encryption().is_some() {
            transfer
        } else {
            Transfer::Raw
        }
    }

    /// Offset of the encryption secret in BOOT (wolfBoot's
    /// `ENCRYPT_TMP_SECRET_OFFSET`): where the trailer ends.
    fn secret_offset(&self) -> u32 {
        crate::secret::offset(self.layout().partition_size(), &self.config().trailer)
    }

    /// Offset in BOOT of the staging sector of the final step.
    fn staging_sector(&self) -> u32 {
        let s = self.sector_size();
        let psize = self.layout().partition_size();
        let reserved = reserved_len(&self.config(), psize, s);
        psize.saturating_sub(reserved).saturating_sub(s) / s
    }

    /// Offset, in the staging sector, of the key-record magic (after key
    /// and nonce, on a write unit of its own).
    fn record_magic_offset(&self, len: usize) -> u32 {
        let ws = self
            .flash
            .geometry(self.layout().boot.device)
            .write_size
            .max(4);
        (len as u32).div_ceil(ws) * ws
    }

    /// Read the update-encryption secret (encrypted builds). It lives at the
    /// end of BOOT; while the final step of a swap runs (UPDATE in
    /// FINAL_FLAGS) BOOT's trailer sector is erased and rewritten, so a copy
    /// is kept at the start of the staging sector, marked by the trailer
    /// magic. A cut while either copy is programmed or erased leaves bits of
    /// it at the erased value only, so when both are present and differ the
    /// key is their bitwise AND (a copy that is not such a superset of the
    /// other is image data that happened to carry the magic, and ignored).
    fn load_secret(&mut self) -> Result<(), BootError> {
        self.secret = None;
        self.cipher = None;
        let Some(alg) = self.encryption() else {
            return Ok(());
        };
        let len = alg.secret_len();
        let boot = self.layout().boot;
        let mut stored = [0u8; MAX_SECRET];
        let stored_s = stored.get_mut(..len).ok_or(BootError::Unsupported)?;
        let secret_at = self.secret_offset();
        crate::secret::read_at(&mut self.flash, boot, secret_at, stored_s)?;
        let key_of = |b: &[u8]| b.get(..alg.key_len()).is_none_or(is_blank_key);
        let stored_ok = !key_of(stored_s);

        let mut record = [0u8; MAX_SECRET];
        let mut record_ok = false;
        if self.update_trailer().state(&mut self.flash)? == Some(PartitionState::FinalFlags) {
            let at = self.staging_sector().saturating_mul(self.sector_size());
            let rec = record.get_mut(..len).ok_or(BootError::Unsupported)?;
            boot.read(&mut self.flash, at, rec)?;
            let mut magic = [0u8; 4];
            let magic_at = at + self.record_magic_offset(len);
            boot.read(&mut self.flash, magic_at, &mut magic)?;
            record_ok = u32::from_le_bytes(magic) == WOLFBOOT_MAGIC_TRAIL && !key_of(rec);
        }
        let key = match (stored_ok, record_ok) {
            (false, false) => return Ok(()),
            (true, false) => stored,
            (false, true) => record,
            (true, true) => {
                let mut and = [0u8; MAX_SECRET];
                for ((a, b), o) in stored.iter().zip(record.iter()).zip(and.iter_mut()) {
                    *o = a & b;
                }
                if and == stored || and == record {
                    and
                } else {
                    stored
                }
            }
        };
        let secret = Secret { bytes: key, len };
        let (k, n) = secret.as_slice().split_at(alg.key_len());
        self.cipher = Cipher::new(alg, k, n).ok();
        if self.cipher.is_some() {
            self.secret = Some(secret);
        }
        Ok(())
    }

    /// Program `data` at `offset` of BOOT (an erased area), padded to whole
    /// write units with the erased value.
    fn program_padded(&mut self, offset: u32, data: &[u8]) -> Result<(), BootError> {
        let geometry = self.flash.geometry(self.layout().boot.device);
        let ws = geometry.write_size.max(1);
        let start = offset / ws * ws;
        let end = (offset + data.len() as u32).div_ceil(ws) * ws;
        let mut buf = [geometry.erased_byte; 2 * MAX_SECRET + 2 * MAX_WRITE_SIZE as usize];
        let lead = (offset - start) as usize;
        let span = buf
            .get_mut(..(end - start) as usize)
            .ok_or(BootError::Unsupported)?;
        span.get_mut(lead..lead + data.len())
            .ok_or(BootError::Unsupported)?
            .copy_from_slice(data);
        self.layout().boot.write(&mut self.flash, start, span)?;
        Ok(())
    }

    pub(crate) fn sector_size(&self) -> u32 {
        self.layout().sector_size
    }

    #[inline(always)]
    pub(crate) fn erase_sector(&mut self, part: PartitionId, sector: u32) -> Result<(), BootError> {
        let s = self.sector_size();
        let start = sector.checked_mul(s).ok_or(TrailerError::OutOfRange)?;
        self.layout()
            .get(part)
            .erase(&mut self.flash, start, start + s)?;
        Ok(())
    }

    /// Erase sector `dst_sec` of `dst` and copy sector `src_sec` of `src`
    /// into it (SWAP has one sector: its index is ignored). Chunks that are
    /// entirely erased are not programmed, except when encrypting (erased
    /// plaintext must not show through as erased ciphertext). The keystream
    /// position is the offset of the sector in BOOT / UPDATE.
    pub(crate) fn copy_sector(
        &mut self,
        src: PartitionId,
        src_sec: u32,
        dst: PartitionId,
        dst_sec: u32,
        transfer: Transfer,
    ) -> Result<(), BootError> {
        let s = self.sector_size();
        let src_sec = if src == PartitionId::Swap { 0 } else { src_sec };
        let dst_sec = if dst == PartitionId::Swap { 0 } else { dst_sec };
        let src_base = src_sec.checked_mul(s).ok_or(TrailerError::OutOfRange)?;
        let dst_base = dst_sec.checked_mul(s).ok_or(TrailerError::OutOfRange)?;
        let (sp, dp) = (self.layout().get(src), self.layout().get(dst));
        let erased = self.flash.geometry(sp.device).erased_byte;
        dp.erase(&mut self.flash, dst_base, dst_base + s)?;
        let chunk = (CHUNK as u32).min(s);
        let mut buf = [0u8; CHUNK];
        let mut done = 0;
        while done < s {
            let b = buf
                .get_mut(..chunk as usize)
                .ok_or(TrailerError::OutOfRange)?;
            sp.read(&mut self.flash, src_base + done, b)?;
            let blank = b.iter().all(|x| *x == erased);
            if transfer != Transfer::Raw && !(blank && transfer == Transfer::Decrypt) {
                let at = if src == PartitionId::Swap {
                    dst_base
                } else {
                    src_base
                };
                self.cipher
                    .as_mut()
                    .ok_or(BootError::Unsupported)?
                    .apply_at(at + done, b);
            }
            if !blank || transfer == Transfer::Encrypt {
                dp.write(&mut self.flash, dst_base + done, b)?;
            }
            done += chunk;
        }
        Ok(())
    }

    /// wolfBoot_update: verify (unless resuming), then swap sector by sector
    /// (or apply a delta patch).
    fn update(&mut self, mode: Mode) -> Result<UpdateOutcome, BootError> {
        let fallback_allowed = mode != Mode::Install;
        if self.encryption().is_some() && self.cipher.is_none() {
            return Ok(UpdateOutcome::Refused(RefuseReason::NoKey));
        }
        let s = self.sector_size();
        let psize = self.layout().partition_size();
        let hdr = self.config().header_size;
        let reserved = reserved_len(&self.config(), psize, s);
        let copy_limit = psize.saturating_sub(reserved);

        let boot_h = self.header(PartitionId::Boot)?;
        let update_h = self.header(PartitionId::Update)?;
        let flag0 = self
            .update_trailer()
            .sector_flag(&mut self.flash, 0)?
            .unwrap_or(SectorFlag::New);
        // DISABLE_BACKUP records no progress when copying a full image: a
        // sector flag past NEW is garbage there, never a copy to resume
        // without verifying (delta patching records its progress in any mode).
        let is_diff = update_h.is_some_and(|h| h.image_type.is_diff());
        let fresh = flag0 == SectorFlag::New || (self.disable_backup() && !is_diff);

        let mut total = total_size(boot_h, update_h, hdr);
        if total <= hdr || (fresh && update_h.is_none()) {
            return Ok(UpdateOutcome::Refused(RefuseReason::NoImage));
        }
        if fresh {
            let Some(uh) = update_h else {
                return Ok(UpdateOutcome::Refused(RefuseReason::NoImage));
            };
            if uh.image_type.partition_id() != PART_APP {
                return Ok(UpdateOutcome::Refused(RefuseReason::WrongType));
            }
            let max_update = psize.saturating_sub(hdr).saturating_sub(reserved);
            if uh.payload_size >= max_update {
                return Ok(UpdateOutcome::Refused(RefuseReason::TooLarge));
            }
            let info = match self.verify_part(PartitionId::Update)? {
                Ok(info) => info,
                Err(e) => return Ok(UpdateOutcome::Refused(RefuseReason::Verify(e))),
            };
            let current = boot_h.map_or(0, |h| h.version);
            if !self.config().allow_downgrade && !fallback_allowed && current >= info.version {
                return Ok(UpdateOutcome::Refused(RefuseReason::NotNewer {
                    current,
                    candidate: info.version,
                }));
            }
        }
        if let Some(uh) = update_h {
            if uh.image_type.is_diff() {
                return self.delta(mode, fresh, boot_h, uh);
            }
        }
        total = total.min(copy_limit);

        if self.disable_backup() {
            return self.copy_without_backup(total);
        }

        let mut sector: u32 = 0;
        while sector.saturating_mul(s) < total {
            let mut step = self
                .update_trailer()
                .sector_flag(&mut self.flash, sector)?
                .unwrap_or(SectorFlag::New);
            let record = (sector + 1).saturating_mul(s) < psize;
            if step == SectorFlag::New {
                self.copy_sector(
                    PartitionId::Update,
                    sector,
                    PartitionId::Swap,
                    0,
                    Transfer::Raw,
                )?;
                if record {
                    self.update_trailer().set_sector_flag(
                        &mut self.flash,
                        sector,
                        SectorFlag::Swapping,
                    )?;
                }
                step = SectorFlag::Swapping;
            }
            if step == SectorFlag::Swapping {
                let t = self.transfer(Transfer::Encrypt);
                self.copy_sector(PartitionId::Boot, sector, PartitionId::Update, sector, t)?;
                if record {
                    self.update_trailer().set_sector_flag(
                        &mut self.flash,
                        sector,
                        SectorFlag::Backup,
                    )?;
                }
                step = SectorFlag::Backup;
            }
            if step == SectorFlag::Backup {
                let t = self.transfer(Transfer::Decrypt);
                self.copy_sector(PartitionId::Swap, 0, PartitionId::Boot, sector, t)?;
                if record {
                    self.update_trailer().set_sector_flag(
                        &mut self.flash,
                        sector,
                        SectorFlag::Updated,
                    )?;
                }
            }
            sector += 1;
            if sector == 1 {
                // Sector 0 (both headers) is now in its final place: sizes
                // are known for sure.
                let b = self.header(PartitionId::Boot)?;
                let u = self.header(PartitionId::Update)?;
                total = total_size(b, u, hdr).min(copy_limit);
            }
        }
        // Sectors past both images are left as they are (wolfBoot erases the
        // rest of both partitions here): nothing reads them, an updater
        // erases UPDATE as it writes, and the swap above covers every sector
        // either image occupies. For 160 KB images in 256 KiB partitions this
        // saves 46 of 170 erases.
        self.final_erase(false)?;
        Ok(UpdateOutcome::Swapped)
    }

    /// DISABLE_BACKUP: copy UPDATE over BOOT, erase the rest of BOOT, mark SUCCESS.
    fn copy_without_backup(&mut self, total: u32) -> Result<UpdateOutcome, BootError> {
        let s = self.sector_size();
        let psize = self.layout().partition_size();
        let mut sector: u32 = 0;
        let t = self.transfer(Transfer::Decrypt);
        while sector.saturating_mul(s) < total {
            self.copy_sector(PartitionId::Update, sector, PartitionId::Boot, sector, t)?;
            sector += 1;
        }
        while sector.saturating_mul(s) < psize {
            self.erase_sector(PartitionId::Boot, sector)?;
            sector += 1;
        }
        self.boot_trailer()
            .set_state(&mut self.flash, PartitionState::Success)?;
        Ok(UpdateOutcome::Swapped)
    }

    /// wolfBoot_swap_and_final_erase. With `resume`, only runs if UPDATE is
    /// in FINAL_FLAGS (an earlier run was interrupted); returns whether it ran.
    ///
    /// In encrypted builds the staging sector goes to SWAP encrypted, and
    /// the secret at the end of BOOT survives the erase of BOOT's trailer
    /// sector: it is first copied to the start of the staging sector (with
    /// the trailer magic after it), then written back (see `load_secret`).
    pub(crate) fn final_erase(&mut self, resume: bool) -> Result<bool, BootError> {
        let update_state = self.update_trailer().state(&mut self.flash)?;
        let in_final = update_state == Some(PartitionState::FinalFlags);
        // BOOT marked UPDATING: only the clean-up of UPDATE's trailer was left.
        let tail_only = !in_final
            && self.boot_trailer().state(&mut self.flash)? == Some(PartitionState::Updating);
        if resume && !in_final && !tail_only {
            return Ok(false);
        }
        // Write-once trailers cannot have their magic cleared: there, as in
        // wolfBoot, BOOT gets its final state first and UPDATE's FINAL_FLAGS
        // (kept until its trailer is erased) marks the step as unfinished.
        let write_once =
            self.update_trailer().is_write_once() || self.boot_trailer().is_write_once();
        if !tail_only {
            self.final_swap(in_final, !write_once)?;
        }
        let boot_h = self.header(PartitionId::Boot)?;
        let update_h = self.header(PartitionId::Update)?;
        let rolled_back = !self.config().allow_downgrade
            && matches!((boot_h, update_h), (Some(b), Some(u)) if b.version < u.version);
        let final_state = if rolled_back {
            PartitionState::Success
        } else {
            PartitionState::Testing
        };
        // UPDATE's trailer goes: magic cleared first, so that a torn erase
        // cannot leave it over half-erased flags (a swap to resume that is
        // not there), then erased; BOOT's UPDATING marks this tail as
        // pending until BOOT gets its final state.
        if write_once {
            self.boot_trailer()
                .set_state(&mut self.flash, final_state)?;
        }
        self.update_trailer().erase(&mut self.flash)?;
        if !write_once {
            self.boot_trailer()
                .set_state(&mut self.flash, final_state)?;
        }
        Ok(true)
    }

    /// The part of the final step up to BOOT's new trailer: staging sector
    /// saved to SWAP, UPDATE in FINAL_FLAGS, BOOT's trailer sector erased
    /// (secret kept), staging sector restored, BOOT marked UPDATING (`mark`).
    fn final_swap(&mut self, in_final: bool, mark: bool) -> Result<(), BootError> {
        let s = self.sector_size();
        let psize = self.layout().partition_size();
        let reserved = reserved_len(&self.config(), psize, s);
        let staging = self.staging_sector();
        let boot_h = self.header(PartitionId::Boot)?;
        let boot_total = boot_h.map_or(0, |h| {
            h.payload_size.saturating_add(self.config().header_size)
        });
        let staging_in_image = staging.saturating_mul(s) < boot_total;
        if !in_final {
            if staging_in_image {
                let t = self.transfer(Transfer::Encrypt);
                self.copy_sector(PartitionId::Boot, staging, PartitionId::Swap, 0, t)?;
            } else {
                self.erase_sector(PartitionId::Swap, 0)?;
            }
            self.update_trailer()
                .set_state(&mut self.flash, PartitionState::FinalFlags)?;
        }
        let secret = if self.encryption().is_some() {
            self.secret
        } else {
            None
        };
        if let Some(secret) = secret {
            // Keep the secret in the staging sector while BOOT's trailer
            // sector is erased (unless an earlier run already did).
            let at = staging.saturating_mul(s);
            let magic_at = at + self.record_magic_offset(secret.len);
            let mut rec = [0u8; MAX_SECRET];
            let rec_s = rec.get_mut(..secret.len).ok_or(BootError::Unsupported)?;
            self.layout().boot.read(&mut self.flash, at, rec_s)?;
            let mut magic = [0u8; 4];
            self.layout()
                .boot
                .read(&mut self.flash, magic_at, &mut magic)?;
            let kept =
                u32::from_le_bytes(magic) == WOLFBOOT_MAGIC_TRAIL && rec_s == secret.as_slice();
            if !kept {
                self.erase_sector(PartitionId::Boot, staging)?;
                self.program_padded(at, secret.as_slice())?;
                self.program_padded(magic_at, &WOLFBOOT_MAGIC_TRAIL.to_le_bytes())?;
            }
        }
        for sec in (psize - reserved) / s..psize / s {
            self.erase_sector(PartitionId::Boot, sec)?;
        }
        if let Some(secret) = secret {
            self.program_padded(self.secret_offset(), secret.as_slice())?;
        }
        if staging_in_image {
            let t = self.transfer(Transfer::Decrypt);
            self.copy_sector(PartitionId::Swap, 0, PartitionId::Boot, staging, t)?;
        } else {
            self.erase_sector(PartitionId::Boot, staging)?;
        }
        if mark {
            self.boot_trailer()
                .set_state(&mut self.flash, PartitionState::Updating)?;
        }
        Ok(())
    }
}

/// Without delta support, diff images are refused.
#[cfg(not(feature = "delta"))]
impl<S: FlashSet, V: ImageVerifier, P: Setup> Bootloader<S, V, P> {
    pub(crate) fn delta(
        &mut self,
        _mode: Mode,
        _fresh: bool,
        _boot_h: Option<HeaderFacts>,
        _update_h: HeaderFacts,
    ) -> Result<UpdateOutcome, BootError> {
        Ok(UpdateOutcome::Refused(RefuseReason::DeltaUnsupported))
    }
}

/// Bytes at the end of BOOT and UPDATE kept for the trailer (as wolfBoot:
/// two sectors with write-once, for both partitions; the skip lies in the
/// last sector, see [`Bootloader::new`]).
fn reserved_len(config: &BootConfig, psize: u32, sector_size: u32) -> u32 {
    config
        .trailer
        .reserved_len(psize, sector_size, config.trailer.write_once)
        .unwrap_or(psize)
}

fn total_size(a: Option<HeaderFacts>, b: Option<HeaderFacts>, hdr: u32) -> u32 {
    let size = |h: Option<HeaderFacts>| h.map_or(0, |h| h.payload_size);
    size(a).max(size(b)).saturating_add(hdr)
}
