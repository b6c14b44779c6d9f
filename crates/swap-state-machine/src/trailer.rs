//! The partition trailer: magic, partition state and per-sector swap flags
//! kept at the end of BOOT and UPDATE, byte-compatible with wolfBoot.
//!
//! Layout (bytes counted back from the end of the partition):
//!
//! ```text
//!   ... | flags[n] ... flags[1] flags[0] | state | 'B' 'O' 'O' 'T' |
//!          -6-n              -7     -6      -5    -4 .. -1
//! ```
//!
//! `flags[n]` holds sector `2n` in its low nibble and sector `2n+1` in its
//! high nibble. With `NVM_FLASH_WRITEONCE` the trailer has two copies, in the
//! last sector and the one before it; every change writes a fresh copy to the
//! other sector and erases the old one, so no flash word is programmed twice.
//!
//! With [`TrailerConfig::trailer_skip`] the whole trailer ends that many bytes
//! before the end of the partition (wolfBoot's `TRAILER_SKIP`, and with
//! `EXT_ENCRYPTED` the encryption key and nonce kept in BOOT): offsets above
//! are then counted back from [`PartitionTrailer::end_offset`].

use core::fmt;

use wolfboot_hal_flash::{
    Device, FlashFault, FlashSet, Partition, PartitionError, PartitionId, PartitionSet,
};

use crate::constants::{
    sector_flag, sector_flag_inverted, state, state_inverted, TRAILER_FLAGS_FROM_END,
    TRAILER_MAGIC_FROM_END, TRAILER_STATE_FROM_END, WOLFBOOT_MAGIC_TRAIL,
};

/// Largest device write size the trailer and copy code handle (bytes).
pub const MAX_WRITE_SIZE: u32 = 512;

/// Trailer options, wolfBoot's build-time switches as run-time values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrailerConfig {
    /// `NVM_FLASH_WRITEONCE`: redundant two-sector trailer for flash whose
    /// words may be programmed only once per erase. Applies to partitions on
    /// the internal device only, as in wolfBoot.
    pub write_once: bool,
    /// `WOLFBOOT_FLAGS_INVERT`: flash erases to 0x00, and states and sector
    /// flags use the inverted encoding.
    pub flags_invert: bool,
    /// Bytes left between the end of the trailer and the end of the
    /// partition, for BOOT and UPDATE alike: wolfBoot's `TRAILER_SKIP`, plus
    /// `ENCRYPT_KEY_SIZE + ENCRYPT_NONCE_SIZE` with `EXT_ENCRYPTED` (the
    /// encryption secret is stored there in BOOT, see
    /// [`PartitionTrailer::end_offset`]). 0 by default.
    pub trailer_skip: u32,
}

impl TrailerConfig {
    /// wolfBoot's defaults: no write-once, normal polarity, no skip.
    pub const DEFAULT: TrailerConfig = TrailerConfig {
        write_once: false,
        flags_invert: false,
        trailer_skip: 0,
    };

    /// This configuration with `EXT_ENCRYPTED`'s secret area of
    /// `key_len + nonce_len` bytes added to the skip.
    pub const fn with_encrypt_secret(mut self, key_len: u32, nonce_len: u32) -> Self {
        self.trailer_skip = self
            .trailer_skip
            .saturating_add(key_len)
            .saturating_add(nonce_len);
        self
    }

    /// Partition-relative offset where the trailer ends (wolfBoot's
    /// `ENCRYPT_TMP_SECRET_OFFSET`), or `None` if the skip does not leave room.
    pub const fn end_offset(&self, partition_size: u32) -> Option<u32> {
        match partition_size.checked_sub(self.trailer_skip) {
            Some(0) | None => None,
            Some(end) => Some(end),
        }
    }

    /// Bytes at the end of a partition of `partition_size` bytes that images
    /// may not use: from the start of the (first) trailer sector to the end,
    /// skip included. `write_once` says whether the trailer takes two
    /// sectors. `None` if the trailer does not fit.
    pub const fn reserved_len(
        &self,
        partition_size: u32,
        sector_size: u32,
        write_once: bool,
    ) -> Option<u32> {
        let Some(end) = self.end_offset(partition_size) else {
            return None;
        };
        if sector_size == 0 {
            return None;
        }
        let last = (end - 1) / sector_size * sector_size;
        let first = if write_once {
            match last.checked_sub(sector_size) {
                Some(f) => f,
                None => return None,
            }
        } else {
            last
        };
        Some(partition_size - first)
    }

    /// This configuration for a trailer on `device`: write-once applies to
    /// the internal device only, as in wolfBoot.
    pub const fn on_device(mut self, device: Device) -> Self {
        self.write_once = self.write_once && matches!(device, Device::Internal);
        self
    }

    /// Value of an erased byte in this mode.
    pub const fn erased_byte(&self) -> u8 {
        if self.flags_invert {
            0x00
        } else {
            0xFF
        }
    }
}

/// State of a partition, as stored in its trailer state byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionState {
    /// Erased state byte: nothing recorded.
    New,
    /// UPDATE: update triggered, to be installed (or being installed).
    Updating,
    /// UPDATE: swap finished, trailers being finalized (resumable).
    FinalFlags,
    /// BOOT: installed and not yet confirmed; rolled back at next boot.
    Testing,
    /// BOOT: confirmed by the application.
    Success,
    /// Any other byte value.
    Unknown(u8),
}

impl PartitionState {
    /// The stored byte for this state.
    pub const fn to_byte(self, flags_invert: bool) -> u8 {
        match (self, flags_invert) {
            (PartitionState::New, false) => state::NEW,
            (PartitionState::Updating, false) => state::UPDATING,
            (PartitionState::FinalFlags, false) => state::FINAL_FLAGS,
            (PartitionState::Testing, false) => state::TESTING,
            (PartitionState::Success, false) => state::SUCCESS,
            (PartitionState::New, true) => state_inverted::NEW,
            (PartitionState::Updating, true) => state_inverted::UPDATING,
            (PartitionState::FinalFlags, true) => state_inverted::FINAL_FLAGS,
            (PartitionState::Testing, true) => state_inverted::TESTING,
            (PartitionState::Success, true) => state_inverted::SUCCESS,
            (PartitionState::Unknown(b), _) => b,
        }
    }

    /// Decode a stored byte. (A `match` per polarity: a search through
    /// `to_byte` compiled to a loop over a table built on the stack.)
    pub const fn from_byte(b: u8, flags_invert: bool) -> Self {
        if flags_invert {
            match b {
                state_inverted::NEW => PartitionState::New,
                state_inverted::UPDATING => PartitionState::Updating,
                state_inverted::FINAL_FLAGS => PartitionState::FinalFlags,
                state_inverted::TESTING => PartitionState::Testing,
                state_inverted::SUCCESS => PartitionState::Success,
                _ => PartitionState::Unknown(b),
            }
        } else {
            match b {
                state::NEW => PartitionState::New,
                state::UPDATING => PartitionState::Updating,
                state::FINAL_FLAGS => PartitionState::FinalFlags,
                state::TESTING => PartitionState::Testing,
                state::SUCCESS => PartitionState::Success,
                _ => PartitionState::Unknown(b),
            }
        }
    }
}

impl fmt::Display for PartitionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionState::New => f.write_str("NEW"),
            PartitionState::Updating => f.write_str("UPDATING"),
            PartitionState::FinalFlags => f.write_str("FINAL_FLAGS"),
            PartitionState::Testing => f.write_str("TESTING"),
            PartitionState::Success => f.write_str("SUCCESS"),
            PartitionState::Unknown(b) => write!(f, "unknown ({b:#04x})"),
        }
    }
}

/// Swap progress of one sector (a nibble in the UPDATE trailer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectorFlag {
    /// Untouched.
    New,
    /// UPDATE sector copied into SWAP.
    Swapping,
    /// BOOT sector copied into UPDATE.
    Backup,
    /// SWAP copied into BOOT: done.
    Updated,
    /// Any other nibble value.
    Unknown(u8),
}

impl SectorFlag {
    /// The stored nibble.
    pub const fn to_nibble(self, flags_invert: bool) -> u8 {
        match (self, flags_invert) {
            (SectorFlag::New, false) => sector_flag::NEW,
            (SectorFlag::Swapping, false) => sector_flag::SWAPPING,
            (SectorFlag::Backup, false) => sector_flag::BACKUP,
            (SectorFlag::Updated, false) => sector_flag::UPDATED,
            (SectorFlag::New, true) => sector_flag_inverted::NEW,
            (SectorFlag::Swapping, true) => sector_flag_inverted::SWAPPING,
            (SectorFlag::Backup, true) => sector_flag_inverted::BACKUP,
            (SectorFlag::Updated, true) => sector_flag_inverted::UPDATED,
            (SectorFlag::Unknown(n), _) => n & 0x0F,
        }
    }

    /// Decode a nibble (upper bits ignored).
    pub const fn from_nibble(n: u8, flags_invert: bool) -> Self {
        let n = n & 0x0F;
        if flags_invert {
            match n {
                sector_flag_inverted::NEW => SectorFlag::New,
                sector_flag_inverted::SWAPPING => SectorFlag::Swapping,
                sector_flag_inverted::BACKUP => SectorFlag::Backup,
                sector_flag_inverted::UPDATED => SectorFlag::Updated,
                _ => SectorFlag::Unknown(n),
            }
        } else {
            match n {
                sector_flag::NEW => SectorFlag::New,
                sector_flag::SWAPPING => SectorFlag::Swapping,
                sector_flag::BACKUP => SectorFlag::Backup,
                sector_flag::UPDATED => SectorFlag::Updated,
                _ => SectorFlag::Unknown(n),
            }
        }
    }
}

/// Error of a trailer operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrailerError {
    /// The flash failed (includes power loss).
    Flash(FlashFault),
    /// A position falls outside the partition or its trailer sector
    /// (partition too small, sector number too large).
    OutOfRange,
    /// The device write size exceeds [`MAX_WRITE_SIZE`] or does not divide the sector.
    UnsupportedGeometry,
}

impl fmt::Display for TrailerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrailerError::Flash(e) => write!(f, "trailer flash error: {e}"),
            TrailerError::OutOfRange => f.write_str("trailer position out of range"),
            TrailerError::UnsupportedGeometry => {
                f.write_str("unsupported flash geometry for trailer")
            }
        }
    }
}

impl From<PartitionError<FlashFault>> for TrailerError {
    fn from(e: PartitionError<FlashFault>) -> Self {
        match e {
            PartitionError::OutOfRange => TrailerError::OutOfRange,
            PartitionError::Flash(f) => TrailerError::Flash(f),
        }
    }
}

const MAGIC_BYTES: [u8; 4] = WOLFBOOT_MAGIC_TRAIL.to_le_bytes();
const CHUNK: usize = MAX_WRITE_SIZE as usize;

/// Where a trailer lies and how it is written: its partition, the swap
/// sector size and the [`TrailerConfig`] (with `write_once` already limited
/// to the internal device). [`TrailerPlace`] holds them as values, chosen at
/// run time; a bootloader whose layout is fixed at build time uses
/// [`FixedTrailer`](crate::setup::FixedTrailer), which reads them from
/// constants, so that every trailer offset folds into the code.
pub trait TrailerGeometry: Copy {
    /// The partition holding the trailer.
    fn partition(&self) -> Partition;
    /// Swap sector size (bytes).
    fn sector_size(&self) -> u32;
    /// Trailer options.
    fn config(&self) -> TrailerConfig;
}

/// A [`TrailerGeometry`] held as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailerPlace {
    partition: Partition,
    sector_size: u32,
    config: TrailerConfig,
}

impl TrailerPlace {
    /// The trailer of `partition` with swap sectors of `sector_size` bytes.
    /// `config.write_once` is honoured only for partitions on [`Device::Internal`].
    pub const fn new(partition: Partition, sector_size: u32, config: TrailerConfig) -> Self {
        TrailerPlace {
            partition,
            sector_size,
            config: config.on_device(partition.device),
        }
    }

    /// The trailer of `id` (BOOT or UPDATE) in `layout`.
    pub fn of(layout: &PartitionSet, id: PartitionId, config: TrailerConfig) -> Self {
        Self::new(layout.get(id), layout.sector_size, config)
    }
}

impl TrailerGeometry for TrailerPlace {
    #[inline(always)]
    fn partition(&self) -> Partition {
        self.partition
    }
    #[inline(always)]
    fn sector_size(&self) -> u32 {
        self.sector_size
    }
    #[inline(always)]
    fn config(&self) -> TrailerConfig {
        self.config
    }
}

/// The trailer of one partition (BOOT or UPDATE). A small descriptor: every
/// operation takes the [`FlashSet`] to work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionTrailer<G = TrailerPlace> {
    geometry: G,
}

impl PartitionTrailer {
    /// Trailer of `partition` with swap sectors of `sector_size` bytes.
    /// `config.write_once` is honoured only for partitions on [`Device::Internal`].
    pub fn new(partition: Partition, sector_size: u32, config: TrailerConfig) -> Self {
        PartitionTrailer {
            geometry: TrailerPlace::new(partition, sector_size, config),
        }
    }

    /// Trailer of `id` (BOOT or UPDATE) in `layout`.
    pub fn of(layout: &PartitionSet, id: PartitionId, config: TrailerConfig) -> Self {
        PartitionTrailer {
            geometry: TrailerPlace::of(layout, id, config),
        }
    }
}

impl<G: TrailerGeometry> PartitionTrailer<G> {
    /// The trailer at `geometry`.
    pub const fn at(geometry: G) -> Self {
        PartitionTrailer { geometry }
    }

    #[inline(always)]
    fn partition(&self) -> Partition {
        self.geometry.partition()
    }

    #[inline(always)]
    fn sector_size(&self) -> u32 {
        self.geometry.sector_size()
    }

    /// Whether this trailer uses the redundant two-sector scheme.
    pub fn is_write_once(&self) -> bool {
        self.two_copies()
    }

    /// Bytes at the end of the partition reserved for the trailer: its
    /// sector (two with write-once) and what follows it (the skip). Without
    /// skip, one sector, or two with write-once.
    pub fn reserved_len(&self) -> u32 {
        let cfg = self.config();
        cfg.reserved_len(self.partition().size, self.sector_size(), cfg.write_once)
            .unwrap_or(self.partition().size)
    }

    /// Bytes the trailer occupies before [`end_offset`](Self::end_offset):
    /// magic, state and one flag nibble per sector of the partition.
    pub fn used_len(&self) -> u32 {
        let sectors = self.partition().size / self.sector_size().max(1);
        TRAILER_FLAGS_FROM_END - 1 + sectors.div_ceil(2)
    }

    /// Partition-relative offset where the trailer ends: the magic is the 4
    /// bytes before it. The partition size less the skip; with
    /// `EXT_ENCRYPTED`, where BOOT keeps the encryption key and nonce
    /// (wolfBoot's `ENCRYPT_TMP_SECRET_OFFSET`).
    pub fn end_offset(&self) -> u32 {
        self.config().end_offset(self.partition().size).unwrap_or(0)
    }

    #[inline(always)]
    fn config(&self) -> TrailerConfig {
        self.geometry.config()
    }

    /// Start of the trailer sector holding the end of the trailer (copy 0)
    /// and the bytes from there to the trailer end.
    #[inline(always)]
    fn last_sector(&self) -> Result<(u32, u32), TrailerError> {
        if (self.config().write_once && !cfg!(feature = "write-once"))
            || (self.config().flags_invert && !cfg!(feature = "flags-invert"))
        {
            return Err(TrailerError::UnsupportedGeometry);
        }
        let end = self
            .config()
            .end_offset(self.partition().size)
            .ok_or(TrailerError::OutOfRange)?;
        if self.sector_size() == 0 {
            return Err(TrailerError::UnsupportedGeometry);
        }
        let start = (end - 1) / self.sector_size() * self.sector_size();
        Ok((start, end - start))
    }

    /// Bytes of trailer room in a trailer sector (up to the trailer end).
    fn room(&self) -> Result<u32, TrailerError> {
        Ok(self.last_sector()?.1)
    }

    /// Whether the redundant two-copy scheme is in use: never in a build
    /// without the `write-once` feature, which has none of its code (and
    /// whose trailers refuse every operation when asked for it, see
    /// [`PartitionTrailer::new`]).
    fn two_copies(&self) -> bool {
        cfg!(feature = "write-once") && self.config().write_once
    }

    /// Whether states and flags use the inverted encoding (flash that
    /// erases to 0x00): never in a build without the `flags-invert`
    /// feature, whose trailers refuse every operation when asked for it.
    fn inverted(&self) -> bool {
        cfg!(feature = "flags-invert") && self.config().flags_invert
    }

    fn erased(&self) -> u8 {
        if self.inverted() {
            0x00
        } else {
            0xFF
        }
    }

    /// Partition-relative offset of the byte `from_end` bytes before the end
    /// of trailer copy `sel` (0: last sector, 1: the sector before).
    #[inline(always)]
    fn pos(&self, sel: u32, from_end: u32) -> Result<u32, TrailerError> {
        let (start, room) = self.last_sector()?;
        if from_end == 0 || from_end > room {
            return Err(TrailerError::OutOfRange);
        }
        start
            .checked_sub(sel.saturating_mul(self.sector_size()))
            .map(|s| s + (room - from_end))
            .ok_or(TrailerError::OutOfRange)
    }

    fn sector_start(&self, sel: u32) -> Result<u32, TrailerError> {
        self.last_sector()?
            .0
            .checked_sub(sel.saturating_mul(self.sector_size()))
            .ok_or(TrailerError::OutOfRange)
    }

    fn read_byte<S: FlashSet + ?Sized>(&self, set: &mut S, rel: u32) -> Result<u8, TrailerError> {
        let mut b = [0u8; 1];
        self.partition().read(set, rel, &mut b)?;
        Ok(b[0])
    }

    fn magic_at<S: FlashSet + ?Sized>(&self, set: &mut S, sel: u32) -> Result<bool, TrailerError> {
        let mut m = [0u8; 4];
        self.partition()
            .read(set, self.pos(sel, TRAILER_MAGIC_FROM_END)?, &mut m)?;
        Ok(m == MAGIC_BYTES)
    }

    fn word_erased_at<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        sel: u32,
    ) -> Result<bool, TrailerError> {
        let mut m = [0u8; 4];
        self.partition()
            .read(set, self.pos(sel, TRAILER_MAGIC_FROM_END)?, &mut m)?;
        Ok(m.iter().all(|b| *b == self.erased()))
    }

    /// Which trailer copy is current (always 0 without write-once). As in
    /// wolfBoot, choosing may erase the stale copy.
    fn select<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<u32, TrailerError> {
        if !self.two_copies() {
            return Ok(0);
        }
        let m0 = self.magic_at(set, 0)?;
        let m1 = self.magic_at(set, 1)?;
        let sel = match (m0, m1) {
            (true, false) | (false, false) => 0,
            (false, true) => 1,
            (true, true) => self.select_by_progress(set)?,
        };
        let other = 1 - sel;
        if !self.word_erased_at(set, other)? {
            let start = self.sector_start(other)?;
            self.partition()
                .erase(set, start, start + self.sector_size())?;
        }
        Ok(sel)
    }

    /// Both copies carry the magic: pick the one further along (more
    /// non-erased bytes; on a tie of length, the further-progressed last byte).
    fn select_by_progress<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<u32, TrailerError> {
        let e = self.erased();
        for off in TRAILER_MAGIC_FROM_END..self.room()? {
            let b0 = self.read_byte(set, self.pos(0, off)?)?;
            let b1 = self.read_byte(set, self.pos(1, off)?)?;
            match (b0 == e, b1 == e) {
                (true, false) => return Ok(1),
                (false, true) => return Ok(0),
                (true, true) => {
                    let p0 = self.read_byte(set, self.pos(0, off - 1)?)?;
                    let p1 = self.read_byte(set, self.pos(1, off - 1)?)?;
                    let first_is_further = if self.inverted() { p0 > p1 } else { p0 < p1 };
                    return Ok(if first_is_further { 0 } else { 1 });
                }
                (false, false) => {}
            }
        }
        Ok(0)
    }

    fn write_size<S: FlashSet + ?Sized>(&self, set: &S) -> Result<u32, TrailerError> {
        let ws = set.geometry(self.partition().device).write_size;
        if ws == 0 || ws > MAX_WRITE_SIZE || !self.sector_size().is_multiple_of(ws) {
            return Err(TrailerError::UnsupportedGeometry);
        }
        Ok(ws)
    }

    /// Read-modify-write the write units covering `[rel, rel + bytes.len())`.
    fn patch_in_place<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        rel: u32,
        bytes: &[u8],
    ) -> Result<(), TrailerError> {
        let ws = self.write_size(set)?;
        let len = u32::try_from(bytes.len()).map_err(|_| TrailerError::OutOfRange)?;
        let end = rel.checked_add(len).ok_or(TrailerError::OutOfRange)?;
        let mut unit = rel - rel % ws;
        let mut buf = [0u8; CHUNK];
        while unit < end {
            let b = buf
                .get_mut(..ws as usize)
                .ok_or(TrailerError::UnsupportedGeometry)?;
            self.partition().read(set, unit, b)?;
            for (i, v) in b.iter_mut().enumerate() {
                let at = unit + i as u32;
                if at >= rel && at < end {
                    if let Some(nv) = bytes.get((at - rel) as usize) {
                        *v = *nv;
                    }
                }
            }
            self.partition().write(set, unit, b)?;
            unit += ws;
        }
        Ok(())
    }

    fn sector_is_blank<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        sel: u32,
    ) -> Result<bool, TrailerError> {
        let start = self.sector_start(sel)?;
        let mut buf = [0u8; CHUNK];
        let mut done = 0;
        while done < self.sector_size() {
            let n = (self.sector_size() - done).min(CHUNK as u32);
            let b = buf.get_mut(..n as usize).ok_or(TrailerError::OutOfRange)?;
            self.partition().read(set, start + done, b)?;
            if b.iter().any(|x| *x != self.erased()) {
                return Ok(false);
            }
            done += n;
        }
        Ok(true)
    }

    /// Write-once update: copy the current trailer sector `src` to the other
    /// one with `patches` (from_end, value) applied, then erase `src`.
    fn rewrite_copy<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        src: u32,
        erase_dst_always: bool,
        patches: &[(u32, u8)],
    ) -> Result<(), TrailerError> {
        let dst = 1 - src;
        let ws = self.write_size(set)?;
        let chunk = (CHUNK as u32).min(self.sector_size());
        if !chunk.is_multiple_of(ws) {
            return Err(TrailerError::UnsupportedGeometry);
        }
        let src_start = self.sector_start(src)?;
        let dst_start = self.sector_start(dst)?;
        let room = self.room()?;
        if erase_dst_always || !self.sector_is_blank(set, dst)? {
            self.partition()
                .erase(set, dst_start, dst_start + self.sector_size())?;
        }
        let mut buf = [0u8; CHUNK];
        let mut done = 0;
        while done < self.sector_size() {
            let b = buf
                .get_mut(..chunk as usize)
                .ok_or(TrailerError::OutOfRange)?;
            self.partition().read(set, src_start + done, b)?;
            for (from_end, value) in patches {
                let at = room
                    .checked_sub(*from_end)
                    .ok_or(TrailerError::OutOfRange)?;
                if at >= done && at < done + chunk {
                    if let Some(v) = b.get_mut((at - done) as usize) {
                        *v = *value;
                    }
                }
            }
            if b.iter().any(|x| *x != self.erased()) {
                self.partition().write(set, dst_start + done, b)?;
            }
            done += chunk;
        }
        self.partition()
            .erase(set, src_start, src_start + self.sector_size())?;
        Ok(())
    }

    fn write_bytes<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        from_end: u32,
        bytes: &[u8],
        erase_dst_always: bool,
    ) -> Result<(), TrailerError> {
        if self.two_copies() {
            let sel = self.select(set)?;
            let mut patches = [(0u32, 0u8); 4];
            let n = bytes.len().min(4);
            for (i, (p, b)) in patches.iter_mut().zip(bytes).enumerate() {
                *p = (from_end - i as u32, *b);
            }
            let p = patches.get(..n).ok_or(TrailerError::OutOfRange)?;
            self.rewrite_copy(set, sel, erase_dst_always, p)
        } else {
            let rel = self.pos(0, from_end)?;
            self.patch_in_place(set, rel, bytes)
        }
    }

    /// Whether the trailer carries the `BOOT` magic.
    pub fn has_magic<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<bool, TrailerError> {
        let sel = self.select(set)?;
        self.magic_at(set, sel)
    }

    /// Write the magic if it is missing. A trailer sector without magic
    /// holds no state; if its trailer bytes are not blank (a torn erase, or
    /// a cleared magic) it is erased first, keeping the bytes after the
    /// trailer end (the skip: BOOT's encryption secret), so that nothing
    /// is programmed over stale bits.
    fn ensure_magic<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<(), TrailerError> {
        if self.has_magic(set)? {
            return Ok(());
        }
        if !self.two_copies() {
            let (start, room) = self.last_sector()?;
            let sectors = self.partition().size / self.sector_size().max(1);
            let used = room.min(TRAILER_FLAGS_FROM_END + sectors / 2 + 1);
            let end = start + room;
            let mut buf = [0u8; 64];
            let mut at = end - used;
            let mut blank = true;
            while at < end && blank {
                let n = (end - at).min(buf.len() as u32);
                let b = buf.get_mut(..n as usize).ok_or(TrailerError::OutOfRange)?;
                self.partition().read(set, at, b)?;
                blank = b.iter().all(|x| *x == self.erased());
                at += n;
            }
            if !blank {
                self.erase_keeping_skip(set, start)?;
            }
        }
        self.write_magic(set)
    }

    /// Erase the trailer sector starting at `start`, writing back the skip
    /// bytes after the trailer end.
    fn erase_keeping_skip<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        start: u32,
    ) -> Result<(), TrailerError> {
        let end = self.end_offset();
        let psize = self.partition().size;
        if start + self.sector_size() != psize {
            return Err(TrailerError::UnsupportedGeometry);
        }
        let mut keep = [0u8; 2 * MAX_WRITE_SIZE as usize];
        let skip = keep
            .get_mut(..(psize - end) as usize)
            .ok_or(TrailerError::UnsupportedGeometry)?;
        self.partition().read(set, end, skip)?;
        self.partition().erase(set, start, psize)?;
        if skip.iter().any(|x| *x != self.erased()) {
            let skip: &[u8] = skip;
            self.patch_in_place(set, end, skip)?;
        }
        Ok(())
    }

    /// Write the `BOOT` magic.
    pub fn write_magic<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<(), TrailerError> {
        self.write_bytes(set, TRAILER_MAGIC_FROM_END, &MAGIC_BYTES, false)
    }

    /// The partition state, or `None` when the trailer has no magic
    /// (wolfBoot's `wolfBoot_get_partition_state` returning -1).
    pub fn state<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
    ) -> Result<Option<PartitionState>, TrailerError> {
        let sel = self.select(set)?;
        if !self.magic_at(set, sel)? {
            return Ok(None);
        }
        let b = self.read_byte(set, self.pos(sel, TRAILER_STATE_FROM_END)?)?;
        Ok(Some(PartitionState::from_byte(b, self.inverted())))
    }

    /// Set the partition state, writing the magic first if missing; nothing
    /// is written when the state is already `new_state`.
    pub fn set_state<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        new_state: PartitionState,
    ) -> Result<(), TrailerError> {
        self.ensure_magic(set)?;
        let sel = self.select(set)?;
        let cur = self.read_byte(set, self.pos(sel, TRAILER_STATE_FROM_END)?)?;
        let new = new_state.to_byte(self.inverted());
        if cur != new {
            self.write_bytes(set, TRAILER_STATE_FROM_END, &[new], true)?;
        }
        Ok(())
    }

    fn flag_from_end(&self, sector: u32) -> Result<u32, TrailerError> {
        let from_end = TRAILER_FLAGS_FROM_END + sector / 2;
        if from_end > self.room()? {
            return Err(TrailerError::OutOfRange);
        }
        Ok(from_end)
    }

    /// Swap flag of `sector`, or `None` without magic.
    pub fn sector_flag<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        sector: u32,
    ) -> Result<Option<SectorFlag>, TrailerError> {
        let from_end = self.flag_from_end(sector)?;
        let sel = self.select(set)?;
        if !self.magic_at(set, sel)? {
            return Ok(None);
        }
        let b = self.read_byte(set, self.pos(sel, from_end)?)?;
        let nibble = if sector.is_multiple_of(2) { b } else { b >> 4 };
        Ok(Some(SectorFlag::from_nibble(nibble, self.inverted())))
    }

    /// Set the swap flag of `sector` (magic written first if missing).
    pub fn set_sector_flag<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        sector: u32,
        flag: SectorFlag,
    ) -> Result<(), TrailerError> {
        let from_end = self.flag_from_end(sector)?;
        self.ensure_magic(set)?;
        let sel = self.select(set)?;
        let cur = self.read_byte(set, self.pos(sel, from_end)?)?;
        let n = flag.to_nibble(self.inverted());
        let new = if sector.is_multiple_of(2) {
            (cur & 0xF0) | n
        } else {
            (n << 4) | (cur & 0x0F)
        };
        if new != cur {
            self.write_bytes(set, from_end, &[new], true)?;
        }
        Ok(())
    }

    /// wolfBoot's `wolfBoot_update_trigger` on this (UPDATE) trailer: start
    /// from a clean trailer and record [`PartitionState::Updating`].
    pub fn trigger<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<(), TrailerError> {
        // Every copy is erased first (write-once too): sector flags left by
        // an earlier swap must not survive into a new trigger, where they
        // would read as a swap to resume without verifying the image.
        self.erase(set)?;
        self.set_state(set, PartitionState::Updating)
    }

    /// Clear the magic by programming its bytes to the non-erased value
    /// (NOR can always clear bits), so the trailer reads as absent. Done
    /// before erasing a trailer sector: a cut that tears the erase then
    /// cannot leave the magic in place over partly erased states and flags
    /// (which would resume a swap that is not there). Not with write-once
    /// trailers (no word may be programmed twice; their erase is ordered).
    pub fn invalidate<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<(), TrailerError> {
        if self.two_copies() || !self.has_magic(set)? {
            return Ok(());
        }
        let cleared = [!self.erased(); 4];
        let rel = self.pos(0, TRAILER_MAGIC_FROM_END)?;
        self.patch_in_place(set, rel, &cleared)
    }

    /// Erase the trailer sector(s), the magic cleared first
    /// ([`PartitionTrailer::invalidate`]).
    pub fn erase<S: FlashSet + ?Sized>(&self, set: &mut S) -> Result<(), TrailerError> {
        self.invalidate(set)?;
        if !self.two_copies() {
            let start = self.sector_start(0)?;
            self.partition()
                .erase(set, start, start + self.sector_size())?;
            return Ok(());
        }
        // Write-once: the live copy goes last, so that a cut in between
        // leaves the trailer as it was rather than an older copy.
        let live = self.select(set)?;
        for sel in [1 - live, live] {
            let start = self.sector_start(sel)?;
            self.partition()
                .erase(set, start, start + self.sector_size())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{vec, vec::Vec};
    use wolfboot_hal_flash::{Flash, MemFlash, MemFlashConfig, SingleFlash};

    const SECTOR: u32 = 0x1000;
    const PSIZE: u32 = 0x8000;

    fn layout() -> PartitionSet {
        PartitionSet::internal(0, [0, PSIZE, 2 * PSIZE], PSIZE, SECTOR, SECTOR)
    }

    /// Every byte decodes to the state whose encoding it is, in both
    /// polarities, and to `Unknown` otherwise; the same for nibbles.
    #[test]
    fn states_and_flags_decode_every_byte() {
        use PartitionState as S;
        use SectorFlag as F;
        let states = [S::New, S::Updating, S::FinalFlags, S::Testing, S::Success];
        let flags = [F::New, F::Swapping, F::Backup, F::Updated];
        for invert in [false, true] {
            for b in 0..=255u8 {
                let want = states
                    .into_iter()
                    .find(|s| s.to_byte(invert) == b)
                    .unwrap_or(S::Unknown(b));
                assert_eq!(S::from_byte(b, invert), want, "{b:#04x} {invert}");
                let want = flags
                    .into_iter()
                    .find(|f| f.to_nibble(invert) == b & 0x0F)
                    .unwrap_or(F::Unknown(b & 0x0F));
                assert_eq!(F::from_nibble(b, invert), want, "{b:#04x} {invert}");
            }
            for s in states {
                assert_eq!(S::from_byte(s.to_byte(invert), invert), s);
            }
            for f in flags {
                assert_eq!(F::from_nibble(f.to_nibble(invert), invert), f);
            }
        }
    }

    fn flash(write_once: bool) -> SingleFlash<MemFlash> {
        let mut c = MemFlashConfig::new(2 * PSIZE + SECTOR, SECTOR, 8);
        c.double_program_is_error = write_once;
        SingleFlash(MemFlash::new(c).unwrap())
    }

    fn bytes(f: &mut SingleFlash<MemFlash>, abs: u32, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        f.0.read(abs, &mut v).unwrap();
        v
    }

    /// Write state and flags with `skip`, return the 16 bytes before the
    /// trailer end of `id` (copy holding the magic) and what follows the end.
    fn written(
        skip: u32,
        write_once: bool,
        id: PartitionId,
    ) -> (Vec<u8>, Vec<u8>, SingleFlash<MemFlash>) {
        let l = layout();
        let cfg = TrailerConfig {
            write_once,
            trailer_skip: skip,
            ..TrailerConfig::DEFAULT
        };
        let mut f = flash(write_once);
        let t = PartitionTrailer::of(&l, id, cfg);
        assert_eq!(t.end_offset(), PSIZE - skip);
        t.set_state(&mut f, PartitionState::Testing).unwrap();
        t.set_sector_flag(&mut f, 0, SectorFlag::Swapping).unwrap();
        t.set_sector_flag(&mut f, 3, SectorFlag::Backup).unwrap();
        assert_eq!(t.state(&mut f).unwrap(), Some(PartitionState::Testing));
        assert_eq!(t.sector_flag(&mut f, 3).unwrap(), Some(SectorFlag::Backup));
        let p = l.get(id);
        let mut end = p.offset + p.size - skip;
        if bytes(&mut f, end - 4, 4) != b"BOOT" {
            assert!(write_once, "magic not at the trailer end");
            end -= SECTOR;
        }
        let before = bytes(&mut f, end - 16, 16);
        let after = bytes(&mut f, end, skip as usize);
        (before, after, f)
    }

    #[test]
    fn trigger_clears_stale_sector_flags() {
        // Found by the boot_decision fuzz target: a write-once trigger kept
        // the flags of an earlier swap, and the next boot "resumed" it.
        for write_once in [false, true] {
            let mut f = flash(write_once);
            let cfg = TrailerConfig {
                write_once,
                flags_invert: false,
                trailer_skip: 0,
            };
            let t = PartitionTrailer::of(&layout(), PartitionId::Update, cfg);
            t.set_state(&mut f, PartitionState::New).unwrap();
            t.set_sector_flag(&mut f, 0, SectorFlag::Updated).unwrap();
            t.set_sector_flag(&mut f, 1, SectorFlag::Swapping).unwrap();
            t.trigger(&mut f).unwrap();
            assert_eq!(t.state(&mut f).unwrap(), Some(PartitionState::Updating));
            for sector in 0..4 {
                assert_eq!(
                    t.sector_flag(&mut f, sector).unwrap(),
                    Some(SectorFlag::New),
                    "write_once {write_once}, sector {sector}"
                );
            }
        }
    }

    #[test]
    fn trailer_skip_moves_magic_state_and_flags() {
        for write_once in [false, true] {
            for id in [PartitionId::Boot, PartitionId::Update] {
                let (plain, _, _) = written(0, write_once, id);
                // 0x37: sector 0 SWAPPING (low nibble 7) ...; sector 3 is
                // the high nibble of the second flag byte (BACKUP = 3).
                assert_eq!(&plain[9..], &[0x3F, 0xF7, 0x10, b'B', b'O', b'O', b'T']);
                for skip in [1, 44, 48, 0x200] {
                    let (moved, after, _) = written(skip, write_once, id);
                    assert_eq!(moved, plain, "skip {skip}, write-once {write_once}, {id:?}");
                    assert!(after.iter().all(|b| *b == 0xFF), "skip area written");
                }
            }
        }
    }

    #[test]
    fn trailer_skip_leaves_the_secret_area_alone() {
        // EXT_ENCRYPTED with ChaCha: 32-byte key + 12-byte nonce in BOOT.
        let cfg = TrailerConfig::DEFAULT.with_encrypt_secret(32, 12);
        assert_eq!(cfg.trailer_skip, 44);
        assert_eq!(cfg.end_offset(PSIZE), Some(PSIZE - 44));
        let l = layout();
        let mut f = flash(false);
        let secret: Vec<u8> = (0..44).collect();
        f.0.poke(PSIZE - 44, &secret).unwrap();
        let t = PartitionTrailer::of(&l, PartitionId::Boot, cfg);
        t.set_state(&mut f, PartitionState::Success).unwrap();
        t.set_sector_flag(&mut f, 5, SectorFlag::Updated).unwrap();
        assert_eq!(bytes(&mut f, PSIZE - 44, 44), secret);
        assert_eq!(
            &bytes(&mut f, PSIZE - 49, 5),
            &[0x00, b'B', b'O', b'O', b'T']
        );
        assert_eq!(t.state(&mut f).unwrap(), Some(PartitionState::Success));
    }

    #[test]
    fn reserved_len_counts_the_skip() {
        let d = TrailerConfig::DEFAULT;
        assert_eq!(d.reserved_len(PSIZE, SECTOR, false), Some(SECTOR));
        assert_eq!(d.reserved_len(PSIZE, SECTOR, true), Some(2 * SECTOR));
        let s = TrailerConfig {
            trailer_skip: 44,
            ..d
        };
        assert_eq!(s.reserved_len(PSIZE, SECTOR, false), Some(SECTOR));
        assert_eq!(s.reserved_len(PSIZE, SECTOR, true), Some(2 * SECTOR));
        // A skip of a whole sector or more pushes the trailer one sector down.
        let big = TrailerConfig {
            trailer_skip: SECTOR + 4,
            ..d
        };
        assert_eq!(big.reserved_len(PSIZE, SECTOR, false), Some(2 * SECTOR));
        assert_eq!(big.end_offset(PSIZE), Some(PSIZE - SECTOR - 4));
        let l = layout();
        let t = PartitionTrailer::of(&l, PartitionId::Update, big);
        assert_eq!(t.reserved_len(), 2 * SECTOR);
        let mut f = flash(false);
        t.set_state(&mut f, PartitionState::Updating).unwrap();
        assert_eq!(bytes(&mut f, 2 * PSIZE - SECTOR - 8, 4), b"BOOT");
        // No room at all.
        let full = TrailerConfig {
            trailer_skip: PSIZE,
            ..d
        };
        assert_eq!(full.end_offset(PSIZE), None);
        assert_eq!(full.reserved_len(PSIZE, SECTOR, false), None);
        let t = PartitionTrailer::of(&l, PartitionId::Boot, full);
        assert_eq!(t.state(&mut f), Err(TrailerError::OutOfRange));
    }

    #[test]
    fn flags_beyond_the_room_are_out_of_range() {
        let l = layout();
        let cfg = TrailerConfig {
            trailer_skip: SECTOR - 10,
            ..TrailerConfig::DEFAULT
        };
        let t = PartitionTrailer::of(&l, PartitionId::Update, cfg);
        let mut f = flash(false);
        // Room of 10 bytes: magic (4), state (1), flag bytes (5) for
        // sectors 0..=9.
        t.set_sector_flag(&mut f, 9, SectorFlag::Swapping).unwrap();
        assert_eq!(
            t.set_sector_flag(&mut f, 10, SectorFlag::Swapping),
            Err(TrailerError::OutOfRange)
        );
    }
}
