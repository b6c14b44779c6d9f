//! Delta updates (wolfBoot's `DELTA_UPDATES`, feature `delta`): UPDATE holds
//! a signed diff image — a forward patch from the running image to the new
//! one, and an inverse patch back — and the bootloader patches BOOT in
//! place, one sector at a time through SWAP.
//!
//! Each sector of the new image is produced by the patcher into SWAP
//! (flag SWAPPING), then copied over BOOT (flag UPDATED). The patch refers to
//! the old image from the current sector on and to the new image in sectors
//! already written (the diff is made that way), so BOOT is the patch source
//! throughout. A reset resumes from the flags: the sectors already done are
//! regenerated and dropped to bring the patcher back to where it was.
//! UPDATE is only read, so after the swap it still holds the inverse patch:
//! a rollback (BOOT left in TESTING) applies it the same way.
//!
//! Before a forward patch starts, the running image must be its base: same
//! version, and the same digest as the diff records (a diff without the
//! base digest is refused, where wolfBoot only warns). An inverse patch
//! requires BOOT to hold the version the diff produced.

use wolfboot_delta::{PatchIo, Patcher};
use wolfboot_encrypt::Cipher;
use wolfboot_hal_flash::{FlashFault, FlashSet, Partition, PartitionError, PartitionId};
use wolfboot_image_format::wire::tlv;

use crate::boot::{Bootloader, Mode, RefuseReason, Transfer, UpdateOutcome, CHUNK};
use crate::image::{HeaderFacts, ImageVerifier};
use crate::trailer::SectorFlag;
use crate::BootError;

/// Largest digest (SHA-384, SHA3-384).
const MAX_DIGEST: usize = 48;

/// The patcher's view of flash: BOOT raw, the patch decrypted if needed.
struct FlashPatchIo<'a, S: ?Sized> {
    set: &'a mut S,
    boot: Partition,
    update: Partition,
    patch_offset: u32,
    cipher: Option<&'a mut Cipher>,
    fault: Option<FlashFault>,
}

/// Reads outside the partitions (a malformed patch).
#[derive(Debug)]
struct OutOfRange;

impl<S: FlashSet + ?Sized> PatchIo for FlashPatchIo<'_, S> {
    type Error = OutOfRange;

    fn read_base(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), OutOfRange> {
        match self.boot.read(self.set, offset, buf) {
            Ok(()) => Ok(()),
            Err(PartitionError::Flash(f)) => {
                self.fault = Some(f);
                Err(OutOfRange)
            }
            Err(PartitionError::OutOfRange) => Err(OutOfRange),
        }
    }

    fn read_patch(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), OutOfRange> {
        let at = self.patch_offset.checked_add(offset).ok_or(OutOfRange)?;
        match self.update.read(self.set, at, buf) {
            Ok(()) => {
                if let Some(c) = self.cipher.as_deref_mut() {
                    c.apply_at(at, buf);
                }
                Ok(())
            }
            Err(PartitionError::Flash(f)) => {
                self.fault = Some(f);
                Err(OutOfRange)
            }
            Err(PartitionError::OutOfRange) => Err(OutOfRange),
        }
    }
}

/// The delta fields of UPDATE's header.
struct DeltaFields {
    base_version: u32,
    patch_len: u32,
    inverse_offset: u32,
    inverse_len: u32,
    base_hash: [u8; MAX_DIGEST],
    base_hash_len: u32,
}

/// Why a patch step stopped.
enum PatchStop {
    Flash(FlashFault),
    Malformed,
}

impl<S: FlashSet, V: ImageVerifier, P: crate::setup::Setup> Bootloader<S, V, P> {
    fn delta_fields(&mut self) -> Result<Option<DeltaFields>, BootError> {
        let hdr = self.header_size();
        let size = self.layout().update.size;
        let mut r = self.reader(PartitionId::Update, size);
        let base_version = r.find_tlv_u32(hdr, tlv::DELTA_BASE)?;
        let patch_len = r.find_tlv_u32(hdr, tlv::DELTA_SIZE)?;
        let inverse_offset = r.find_tlv_u32(hdr, tlv::DELTA_INVERSE)?;
        let inverse_len = r.find_tlv_u32(hdr, tlv::DELTA_INVERSE_SIZE)?;
        let mut base_hash = [0u8; MAX_DIGEST];
        let base_hash_len = r
            .find_tlv(hdr, tlv::DELTA_BASE_HASH, &mut base_hash)?
            .unwrap_or(0) as u32;
        Ok(
            match (base_version, patch_len, inverse_offset, inverse_len) {
                (Some(base_version), Some(patch_len), Some(inverse_offset), Some(inverse_len)) => {
                    Some(DeltaFields {
                        base_version,
                        patch_len,
                        inverse_offset,
                        inverse_len,
                        base_hash,
                        base_hash_len,
                    })
                }
                _ => None,
            },
        )
    }

    /// Whether BOOT's image digest equals `expected` (its digest TLV of the
    /// same length).
    fn boot_digest_is(&mut self, expected: &[u8]) -> Result<bool, BootError> {
        let hdr = self.header_size();
        let tags: &[u16] = match expected.len() {
            32 => &[tlv::SHA256],
            48 => &[tlv::SHA384, tlv::SHA3_384],
            _ => &[],
        };
        let size = self.layout().boot.size;
        let mut r = self.reader(PartitionId::Boot, size);
        for &tag in tags {
            let mut d = [0u8; MAX_DIGEST];
            if let Some(len) = r.find_tlv(hdr, tag, &mut d)? {
                if len == expected.len() && d.get(..expected.len()) == Some(expected) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Apply the forward (install) or inverse (rollback) patch of the diff
    /// image in UPDATE to BOOT. UPDATE has verified already when `fresh`.
    pub(crate) fn delta(
        &mut self,
        mode: Mode,
        fresh: bool,
        boot_h: Option<HeaderFacts>,
        update_h: HeaderFacts,
    ) -> Result<UpdateOutcome, BootError> {
        let refuse = |r| Ok(UpdateOutcome::Refused(r));
        let inverse = match mode {
            Mode::Install => false,
            Mode::Rollback => true,
            Mode::Emergency => return refuse(RefuseReason::DeltaUnsupported),
        };
        let hdr = self.header_size();
        let Some(d) = self.delta_fields()? else {
            return refuse(RefuseReason::DeltaUnsupported);
        };
        let (patch_offset, patch_len) = if inverse {
            (d.inverse_offset, d.inverse_len)
        } else {
            (hdr, d.patch_len)
        };
        let image_end = hdr.saturating_add(update_h.payload_size);
        if patch_len == 0
            || patch_offset < hdr
            || patch_offset
                .checked_add(patch_len)
                .is_none_or(|end| end > image_end)
        {
            return refuse(RefuseReason::DeltaUnsupported);
        }
        if fresh {
            let current = boot_h.map_or(0, |h| h.version);
            if inverse {
                if current != update_h.version {
                    return refuse(RefuseReason::DeltaBaseMismatch);
                }
            } else {
                let hash = d.base_hash.get(..d.base_hash_len as usize).unwrap_or(&[]);
                if current != d.base_version || hash.is_empty() || !self.boot_digest_is(hash)? {
                    return refuse(RefuseReason::DeltaBaseMismatch);
                }
            }
        }

        let s = self.sector_size();
        let psize = self.layout().partition_size();
        let copy_limit = self.image_area();
        let Ok(mut patcher) = Patcher::new(copy_limit, patch_len) else {
            return refuse(RefuseReason::DeltaUnsupported);
        };
        let mut total = s;
        let mut sector: u32 = 0;
        while sector.saturating_mul(s) < total {
            let flag = self.progress(sector)?.unwrap_or(SectorFlag::New);
            let record = (sector + 1).saturating_mul(s) < psize;
            let mut step = flag;
            if flag == SectorFlag::New {
                self.erase_sector(PartitionId::Swap, 0)?;
                match self.patch_sector(&mut patcher, patch_offset, sector, true)? {
                    Ok(()) => {}
                    Err(()) => return refuse(RefuseReason::DeltaUnsupported),
                }
                if record {
                    self.record_progress(sector, SectorFlag::Swapping)?;
                }
                step = SectorFlag::Swapping;
            } else if self
                .patch_sector(&mut patcher, patch_offset, sector, false)?
                .is_err()
            {
                return refuse(RefuseReason::DeltaUnsupported);
            }
            if step == SectorFlag::Swapping {
                let t = self.transfer(Transfer::Decrypt);
                self.copy_sector(PartitionId::Swap, 0, PartitionId::Boot, sector, t)?;
                if record {
                    self.record_progress(sector, SectorFlag::Updated)?;
                }
            }
            sector += 1;
            if sector == 1 {
                // The new header is in BOOT now: its size bounds the work.
                let Some(h) = self.header(PartitionId::Boot)? else {
                    return refuse(RefuseReason::DeltaUnsupported);
                };
                total = h.payload_size.saturating_add(hdr).min(copy_limit);
            }
        }
        while sector.saturating_mul(s) < copy_limit {
            self.erase_sector(PartitionId::Boot, sector)?;
            sector += 1;
        }
        self.final_erase(false)?;
        Ok(UpdateOutcome::Swapped)
    }

    /// Run the patcher over one sector's worth of output: into SWAP (encrypted
    /// in encrypted builds) when `write`, else only to advance it. The inner
    /// `Err` means the patch is malformed.
    fn patch_sector(
        &mut self,
        patcher: &mut Patcher,
        patch_offset: u32,
        sector: u32,
        write: bool,
    ) -> Result<Result<(), ()>, BootError> {
        let s = self.sector_size();
        let swap = self.layout().swap;
        let erased = self.flash().geometry(swap.device).erased_byte;
        let ws = self.flash().geometry(swap.device).write_size.max(1) as usize;
        let encrypted = self.is_encrypted();
        let mut buf = [0u8; CHUNK];
        let mut len: u32 = 0;
        while len < s {
            let want = (CHUNK as u32).min(s - len) as usize;
            let chunk = buf.get_mut(..want).ok_or(BootError::Unsupported)?;
            let n = match self.patch_fill(patcher, patch_offset, chunk) {
                Ok(n) => n,
                Err(PatchStop::Flash(f)) => return Err(BootError::Flash(f)),
                Err(PatchStop::Malformed) => return Ok(Err(())),
            };
            if n == 0 {
                break;
            }
            if write {
                // Pad a short last chunk to whole write units.
                let padded = n.div_ceil(ws) * ws;
                let out = buf.get_mut(..padded).ok_or(BootError::Unsupported)?;
                if let Some(tail) = out.get_mut(n..) {
                    tail.fill(erased);
                }
                let blank = out.iter().all(|b| *b == erased);
                if encrypted {
                    let at = sector.saturating_mul(s).saturating_add(len);
                    self.update_cipher()
                        .ok_or(BootError::Unsupported)?
                        .apply_at(at, out);
                }
                if encrypted || !blank {
                    swap.write(self.flash_mut(), len, out)?;
                }
            }
            len += n as u32;
        }
        Ok(Ok(()))
    }

    /// Fill `out` completely unless the patch ends.
    fn patch_fill(
        &mut self,
        patcher: &mut Patcher,
        patch_offset: u32,
        out: &mut [u8],
    ) -> Result<usize, PatchStop> {
        let (set, layout, cipher) = self.flash_and_cipher();
        let mut io = FlashPatchIo {
            set,
            boot: layout.boot,
            update: layout.update,
            patch_offset,
            cipher,
            fault: None,
        };
        let mut done = 0;
        while done < out.len() {
            let rest = out.get_mut(done..).unwrap_or(&mut []);
            match patcher.fill(&mut io, rest) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(_) => {
                    return Err(match io.fault {
                        Some(f) => PatchStop::Flash(f),
                        None => PatchStop::Malformed,
                    })
                }
            }
        }
        Ok(done)
    }
}
