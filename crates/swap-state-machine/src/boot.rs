//! The boot decision and the power-fail-safe update (wolfBoot's
//! `wolfBoot_start` / `wolfBoot_update` / `wolfBoot_swap_and_final_erase`).

use core::fmt;

use wolfboot_hal_flash::{
    FlashFault, FlashSet, LayoutError, PartitionError, PartitionId, PartitionSet,
};

use crate::constants::{DEFAULT_IMAGE_HEADER_SIZE, HDR_IMG_TYPE_APP, HDR_IMG_TYPE_PART_MASK};
use crate::image::{
    read_header, HeaderFacts, ImageInfo, ImageVerifier, PartitionReader, VerifyError,
};
use crate::trailer::{
    PartitionState, PartitionTrailer, SectorFlag, TrailerConfig, TrailerError, MAX_WRITE_SIZE,
};

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
}

impl Default for BootConfig {
    fn default() -> Self {
        BootConfig {
            trailer: TrailerConfig::default(),
            header_size: DEFAULT_IMAGE_HEADER_SIZE,
            allow_downgrade: false,
            disable_backup: false,
        }
    }
}

/// Why an update (or fallback) was not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    /// No image header in UPDATE.
    NoImage,
    /// UPDATE does not hold an application image.
    WrongType,
    /// UPDATE image too large for the partition minus trailer.
    TooLarge,
    /// UPDATE image failed verification.
    Verify(VerifyError),
    /// UPDATE version is not greater than BOOT's (downgrade refused).
    NotNewer {
        /// Version in BOOT.
        current: u32,
        /// Version in UPDATE.
        candidate: u32,
    },
}

impl fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefuseReason::NoImage => f.write_str("no image in UPDATE"),
            RefuseReason::WrongType => f.write_str("UPDATE image is not an application"),
            RefuseReason::TooLarge => f.write_str("UPDATE image too large"),
            RefuseReason::Verify(e) => write!(f, "UPDATE image invalid: {e}"),
            RefuseReason::NotNewer { current, candidate } => {
                write!(
                    f,
                    "UPDATE version {candidate} not greater than current {current}"
                )
            }
        }
    }
}

/// What happened on the way to the boot decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootAction {
    /// Nothing to do: BOOT booted as is.
    NoUpdate,
    /// A triggered update was installed (BOOT now TESTING).
    Installed,
    /// BOOT was still TESTING: the previous image was swapped back.
    RolledBack,
    /// An interrupted final step of an earlier swap was completed.
    FinishedInterrupted,
    /// BOOT did not verify; UPDATE's image was swapped in.
    EmergencyFallback,
    /// A triggered update (or rollback) was refused; BOOT booted as is.
    UpdateRefused(RefuseReason),
}

/// The verified image to boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootDecision {
    /// The image in BOOT, verified in place after every flash change.
    pub image: ImageInfo,
    /// BOOT's trailer state at decision time.
    pub boot_state: Option<PartitionState>,
    /// What was done.
    pub action: BootAction,
}

/// Why no boot decision could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootError {
    /// A flash operation failed (power loss included); run again after reset.
    Flash(FlashFault),
    /// The partition layout does not fit the devices.
    Layout(LayoutError),
    /// Geometry or options this implementation cannot work with.
    Unsupported,
    /// A trailer position fell out of range.
    Trailer(TrailerError),
    /// Neither BOOT nor a fallback image verified: nothing to boot (wolfBoot panics).
    NoBootableImage {
        /// Why BOOT failed.
        boot: VerifyError,
        /// Why the fallback was refused, if it was tried and refused.
        fallback: Option<RefuseReason>,
    },
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::Flash(e) => write!(f, "flash failure: {e}"),
            BootError::Layout(e) => write!(f, "bad partition layout: {e}"),
            BootError::Unsupported => f.write_str("unsupported geometry or options"),
            BootError::Trailer(e) => write!(f, "{e}"),
            BootError::NoBootableImage { boot, fallback } => {
                write!(f, "no bootable image (BOOT: {boot}")?;
                if let Some(r) = fallback {
                    write!(f, "; fallback: {r}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl From<TrailerError> for BootError {
    fn from(e: TrailerError) -> Self {
        match e {
            TrailerError::Flash(f) => BootError::Flash(f),
            TrailerError::UnsupportedGeometry => BootError::Unsupported,
            other => BootError::Trailer(other),
        }
    }
}

impl From<PartitionError<FlashFault>> for BootError {
    fn from(e: PartitionError<FlashFault>) -> Self {
        match e {
            PartitionError::Flash(f) => BootError::Flash(f),
            PartitionError::OutOfRange => BootError::Trailer(TrailerError::OutOfRange),
        }
    }
}

impl From<FlashFault> for BootError {
    fn from(e: FlashFault) -> Self {
        BootError::Flash(e)
    }
}

enum UpdateOutcome {
    Swapped,
    Refused(RefuseReason),
}

const CHUNK: usize = MAX_WRITE_SIZE as usize;

/// The bootloader: flash set, verifier, layout and options.
#[derive(Debug)]
pub struct Bootloader<S, V> {
    flash: S,
    verifier: V,
    layout: PartitionSet,
    config: BootConfig,
    boot_trailer: PartitionTrailer,
    update_trailer: PartitionTrailer,
}

impl<S: FlashSet, V: ImageVerifier> Bootloader<S, V> {
    /// Check `layout` against the devices and build the bootloader.
    pub fn new(
        flash: S,
        verifier: V,
        layout: PartitionSet,
        config: BootConfig,
    ) -> Result<Self, BootError> {
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
        if room == 0
            || psize < reserved.saturating_add(s.saturating_mul(2))
            || crate::constants::TRAILER_FLAGS_FROM_END + sectors / 2 > room
            || config.header_size < 16
            || config.header_size >= psize
        {
            return Err(BootError::Unsupported);
        }
        Ok(Bootloader {
            boot_trailer: PartitionTrailer::of(&layout, PartitionId::Boot, config.trailer),
            update_trailer: PartitionTrailer::of(&layout, PartitionId::Update, config.trailer),
            flash,
            verifier,
            layout,
            config,
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
    pub fn layout(&self) -> &PartitionSet {
        &self.layout
    }
    /// The options.
    pub fn config(&self) -> &BootConfig {
        &self.config
    }
    /// Give back flash set and verifier.
    pub fn into_parts(self) -> (S, V) {
        (self.flash, self.verifier)
    }

    /// Trailer of BOOT.
    pub fn boot_trailer(&self) -> PartitionTrailer {
        self.boot_trailer
    }
    /// Trailer of UPDATE.
    pub fn update_trailer(&self) -> PartitionTrailer {
        self.update_trailer
    }

    /// Application side: request installation of the image in UPDATE at next
    /// boot (`wolfBoot_update_trigger`).
    pub fn update_trigger(&mut self) -> Result<(), TrailerError> {
        self.update_trailer.trigger(&mut self.flash)
    }

    /// Application side: confirm the running image (`wolfBoot_success`).
    pub fn success(&mut self) -> Result<(), TrailerError> {
        self.boot_trailer
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
        let boot_state = self.boot_trailer.state(&mut self.flash)?;
        let update_state = self.update_trailer.state(&mut self.flash)?;
        let mut action = BootAction::NoUpdate;

        let finished = !self.config.disable_backup && self.final_erase(true)?;
        if finished {
            action = BootAction::FinishedInterrupted;
        } else if boot_state == Some(PartitionState::Testing) {
            if update_state.is_none() {
                self.update_trailer
                    .set_state(&mut self.flash, PartitionState::Updating)?;
            }
            action = match self.update(true)? {
                UpdateOutcome::Swapped => BootAction::RolledBack,
                UpdateOutcome::Refused(r) => BootAction::UpdateRefused(r),
            };
        } else if update_state == Some(PartitionState::Updating) {
            action = match self.update(false)? {
                UpdateOutcome::Swapped => BootAction::Installed,
                UpdateOutcome::Refused(r) => BootAction::UpdateRefused(r),
            };
        }

        let boot_err = match self.verify_boot()? {
            Ok(image) => return self.decision(image, action),
            Err(e) => e,
        };
        match self.update(true)? {
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

    fn decision(
        &mut self,
        image: ImageInfo,
        action: BootAction,
    ) -> Result<BootDecision, BootError> {
        Ok(BootDecision {
            image,
            boot_state: self.boot_trailer.state(&mut self.flash)?,
            action,
        })
    }

    /// Bytes of BOOT / UPDATE an image may occupy: the partition less the
    /// trailer area ([`TrailerConfig::reserved_len`]).
    pub fn image_area(&self) -> u32 {
        let psize = self.layout.partition_size();
        psize.saturating_sub(reserved_len(&self.config, psize, self.sector_size()))
    }

    /// Verify the image in `part`; outer error for flash faults, inner for a bad image.
    fn verify_part(
        &mut self,
        part: PartitionId,
    ) -> Result<Result<ImageInfo, VerifyError>, BootError> {
        let area = self.image_area();
        let mut reader = PartitionReader::with_len(&mut self.flash, self.layout.get(part), area);
        let r = self.verifier.verify(part, &mut reader);
        if let Some(f) = reader.fault() {
            return Err(BootError::Flash(f));
        }
        Ok(r.and_then(|info| {
            if info.image_type & HDR_IMG_TYPE_PART_MASK == HDR_IMG_TYPE_APP {
                Ok(info)
            } else {
                Err(VerifyError::Unsupported)
            }
        }))
    }

    fn verify_boot(&mut self) -> Result<Result<ImageInfo, VerifyError>, BootError> {
        self.verify_part(PartitionId::Boot)
    }

    fn header(&mut self, part: PartitionId) -> Result<Option<HeaderFacts>, BootError> {
        Ok(read_header(
            &mut self.flash,
            self.layout.get(part),
            self.config.header_size,
        )?)
    }

    fn sector_size(&self) -> u32 {
        self.layout.sector_size
    }

    fn erase_sector(&mut self, part: PartitionId, sector: u32) -> Result<(), BootError> {
        let s = self.sector_size();
        let start = sector.checked_mul(s).ok_or(TrailerError::OutOfRange)?;
        self.layout
            .get(part)
            .erase(&mut self.flash, start, start + s)?;
        Ok(())
    }

    /// Erase sector `dst_sec` of `dst` and copy sector `src_sec` of `src`
    /// into it (SWAP has one sector: its index is ignored). Chunks that are
    /// entirely erased are not programmed.
    fn copy_sector(
        &mut self,
        src: PartitionId,
        src_sec: u32,
        dst: PartitionId,
        dst_sec: u32,
    ) -> Result<(), BootError> {
        let s = self.sector_size();
        let src_sec = if src == PartitionId::Swap { 0 } else { src_sec };
        let dst_sec = if dst == PartitionId::Swap { 0 } else { dst_sec };
        let src_base = src_sec.checked_mul(s).ok_or(TrailerError::OutOfRange)?;
        let dst_base = dst_sec.checked_mul(s).ok_or(TrailerError::OutOfRange)?;
        let (sp, dp) = (self.layout.get(src), self.layout.get(dst));
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
            if b.iter().any(|x| *x != erased) {
                dp.write(&mut self.flash, dst_base + done, b)?;
            }
            done += chunk;
        }
        Ok(())
    }

    /// wolfBoot_update: verify (unless resuming), then swap sector by sector.
    fn update(&mut self, fallback_allowed: bool) -> Result<UpdateOutcome, BootError> {
        let s = self.sector_size();
        let psize = self.layout.partition_size();
        let hdr = self.config.header_size;
        let reserved = reserved_len(&self.config, psize, s);
        let copy_limit = psize.saturating_sub(reserved);

        let boot_h = self.header(PartitionId::Boot)?;
        let update_h = self.header(PartitionId::Update)?;
        let flag0 = self
            .update_trailer
            .sector_flag(&mut self.flash, 0)?
            .unwrap_or(SectorFlag::New);
        let fresh = flag0 == SectorFlag::New;

        let mut total = total_size(boot_h, update_h, hdr);
        if total <= hdr || (fresh && update_h.is_none()) {
            return Ok(UpdateOutcome::Refused(RefuseReason::NoImage));
        }
        if fresh {
            let Some(uh) = update_h else {
                return Ok(UpdateOutcome::Refused(RefuseReason::NoImage));
            };
            if uh.image_type & HDR_IMG_TYPE_PART_MASK != HDR_IMG_TYPE_APP {
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
            if !self.config.allow_downgrade && !fallback_allowed && current >= info.version {
                return Ok(UpdateOutcome::Refused(RefuseReason::NotNewer {
                    current,
                    candidate: info.version,
                }));
            }
        }
        total = total.min(copy_limit);

        if self.config.disable_backup {
            return self.copy_without_backup(total);
        }

        let mut sector: u32 = 0;
        while sector.saturating_mul(s) < total {
            let mut step = self
                .update_trailer
                .sector_flag(&mut self.flash, sector)?
                .unwrap_or(SectorFlag::New);
            let record = (sector + 1).saturating_mul(s) < psize;
            if step == SectorFlag::New {
                self.copy_sector(PartitionId::Update, sector, PartitionId::Swap, 0)?;
                if record {
                    self.update_trailer.set_sector_flag(
                        &mut self.flash,
                        sector,
                        SectorFlag::Swapping,
                    )?;
                }
                step = SectorFlag::Swapping;
            }
            if step == SectorFlag::Swapping {
                self.copy_sector(PartitionId::Boot, sector, PartitionId::Update, sector)?;
                if record {
                    self.update_trailer.set_sector_flag(
                        &mut self.flash,
                        sector,
                        SectorFlag::Backup,
                    )?;
                }
                step = SectorFlag::Backup;
            }
            if step == SectorFlag::Backup {
                self.copy_sector(PartitionId::Swap, 0, PartitionId::Boot, sector)?;
                if record {
                    self.update_trailer.set_sector_flag(
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
        while sector.saturating_mul(s) < copy_limit {
            self.erase_sector(PartitionId::Boot, sector)?;
            self.erase_sector(PartitionId::Update, sector)?;
            sector += 1;
        }
        self.final_erase(false)?;
        Ok(UpdateOutcome::Swapped)
    }

    /// DISABLE_BACKUP: copy UPDATE over BOOT, erase the rest of BOOT, mark SUCCESS.
    fn copy_without_backup(&mut self, total: u32) -> Result<UpdateOutcome, BootError> {
        let s = self.sector_size();
        let psize = self.layout.partition_size();
        let mut sector: u32 = 0;
        while sector.saturating_mul(s) < total {
            self.copy_sector(PartitionId::Update, sector, PartitionId::Boot, sector)?;
            sector += 1;
        }
        while sector.saturating_mul(s) < psize {
            self.erase_sector(PartitionId::Boot, sector)?;
            sector += 1;
        }
        self.boot_trailer
            .set_state(&mut self.flash, PartitionState::Success)?;
        Ok(UpdateOutcome::Swapped)
    }

    /// wolfBoot_swap_and_final_erase. With `resume`, only runs if UPDATE is
    /// in FINAL_FLAGS (an earlier run was interrupted); returns whether it ran.
    fn final_erase(&mut self, resume: bool) -> Result<bool, BootError> {
        let s = self.sector_size();
        let psize = self.layout.partition_size();
        let reserved = reserved_len(&self.config, psize, s);
        let staging = psize.saturating_sub(reserved).saturating_sub(s) / s;
        let update_state = self.update_trailer.state(&mut self.flash)?;
        let in_final = update_state == Some(PartitionState::FinalFlags);
        if resume && !in_final {
            return Ok(false);
        }
        let boot_h = self.header(PartitionId::Boot)?;
        let boot_total = boot_h.map_or(0, |h| {
            h.payload_size.saturating_add(self.config.header_size)
        });
        let staging_in_image = staging.saturating_mul(s) < boot_total;
        if !in_final {
            if staging_in_image {
                self.copy_sector(PartitionId::Boot, staging, PartitionId::Swap, 0)?;
            } else {
                self.erase_sector(PartitionId::Swap, 0)?;
            }
            self.update_trailer
                .set_state(&mut self.flash, PartitionState::FinalFlags)?;
        }
        for sec in (psize - reserved) / s..psize / s {
            self.erase_sector(PartitionId::Boot, sec)?;
        }
        if staging_in_image {
            self.copy_sector(PartitionId::Swap, 0, PartitionId::Boot, staging)?;
        } else {
            self.erase_sector(PartitionId::Boot, staging)?;
        }
        let update_h = self.header(PartitionId::Update)?;
        let rolled_back = !self.config.allow_downgrade
            && matches!((boot_h, update_h), (Some(b), Some(u)) if b.version < u.version);
        let final_state = if rolled_back {
            PartitionState::Success
        } else {
            PartitionState::Testing
        };
        self.boot_trailer.set_state(&mut self.flash, final_state)?;
        for sec in (psize - reserved) / s..psize / s {
            self.erase_sector(PartitionId::Update, sec)?;
        }
        Ok(true)
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
