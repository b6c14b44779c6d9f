//! Partitions: bounds-checked windows over a flash, and the wolfBoot layout.

use core::fmt;

use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

use crate::flash::Flash;
use crate::set::{Device, FlashFault, FlashSet};

/// wolfBoot partition identifiers (`PART_BOOT` 0, `PART_UPDATE` 1, `PART_SWAP` 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PartitionId {
    /// The partition the firmware runs from.
    Boot = 0,
    /// Where a new image is staged, and the old one is kept as backup.
    Update = 1,
    /// One sector of scratch space for the three-way swap.
    Swap = 2,
}

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartitionId::Boot => "BOOT",
            PartitionId::Update => "UPDATE",
            PartitionId::Swap => "SWAP",
        })
    }
}

/// Error of a partition-relative access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionError<E> {
    /// The access does not fit in the partition.
    OutOfRange,
    /// The flash failed.
    Flash(E),
}

impl<E: fmt::Display> fmt::Display for PartitionError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionError::OutOfRange => f.write_str("access outside the partition"),
            PartitionError::Flash(e) => write!(f, "flash error: {e}"),
        }
    }
}

impl<E: NorFlashError> NorFlashError for PartitionError<E> {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            PartitionError::OutOfRange => NorFlashErrorKind::OutOfBounds,
            PartitionError::Flash(e) => e.kind(),
        }
    }
}

/// A window `[offset, offset + size)` of a device. All offsets given to its
/// methods are relative to the partition start and checked against its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Device the partition lives on.
    pub device: Device,
    /// Absolute start offset on the device.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Partition {
    /// A partition of `size` bytes at `offset` on `device`.
    pub const fn new(device: Device, offset: u32, size: u32) -> Self {
        Partition {
            device,
            offset,
            size,
        }
    }

    /// Absolute device offset of `[rel, rel + len)`, if it lies inside the partition.
    pub fn absolute(&self, rel: u32, len: usize) -> Option<u32> {
        let len = u32::try_from(len).ok()?;
        let end = rel.checked_add(len)?;
        if end > self.size {
            return None;
        }
        self.offset.checked_add(rel)
    }

    /// Read from a [`FlashSet`] at a partition-relative offset.
    pub fn read<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        rel: u32,
        buf: &mut [u8],
    ) -> Result<(), PartitionError<FlashFault>> {
        let abs = self
            .absolute(rel, buf.len())
            .ok_or(PartitionError::OutOfRange)?;
        set.read(self.device, abs, buf)
            .map_err(PartitionError::Flash)
    }

    /// Program a [`FlashSet`] at a partition-relative offset.
    pub fn write<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        rel: u32,
        data: &[u8],
    ) -> Result<(), PartitionError<FlashFault>> {
        let abs = self
            .absolute(rel, data.len())
            .ok_or(PartitionError::OutOfRange)?;
        set.write(self.device, abs, data)
            .map_err(PartitionError::Flash)
    }

    /// Erase `[from, to)` (partition-relative) on a [`FlashSet`].
    pub fn erase<S: FlashSet + ?Sized>(
        &self,
        set: &mut S,
        from: u32,
        to: u32,
    ) -> Result<(), PartitionError<FlashFault>> {
        let len = to.checked_sub(from).ok_or(PartitionError::OutOfRange)?;
        let abs = self
            .absolute(from, len as usize)
            .ok_or(PartitionError::OutOfRange)?;
        set.erase(self.device, abs, abs + len)
            .map_err(PartitionError::Flash)
    }

    /// A bounds-checked view of this partition over one [`Flash`].
    pub fn view<'a, F: Flash>(&self, flash: &'a mut F) -> PartitionView<'a, F> {
        PartitionView {
            flash,
            partition: *self,
        }
    }
}

/// A [`Partition`] bound to one [`Flash`] device.
///
/// Over an `embedded-storage` [`NorFlash`] driver the view is itself a
/// [`NorFlash`] of the partition's size (offsets relative to its start, no
/// access outside it), so UPDATE can be handed to any crate that writes to a
/// `NorFlash`, a transport or a file system, without letting it touch BOOT.
#[derive(Debug)]
pub struct PartitionView<'a, F> {
    flash: &'a mut F,
    partition: Partition,
}

impl<F: Flash> PartitionView<'_, F> {
    /// The partition.
    pub fn partition(&self) -> Partition {
        self.partition
    }
    /// Read at a partition-relative offset.
    pub fn read(&mut self, rel: u32, buf: &mut [u8]) -> Result<(), PartitionError<F::Error>> {
        let abs = self
            .partition
            .absolute(rel, buf.len())
            .ok_or(PartitionError::OutOfRange)?;
        self.flash.read(abs, buf).map_err(PartitionError::Flash)
    }
    /// Program at a partition-relative offset.
    pub fn write(&mut self, rel: u32, data: &[u8]) -> Result<(), PartitionError<F::Error>> {
        let abs = self
            .partition
            .absolute(rel, data.len())
            .ok_or(PartitionError::OutOfRange)?;
        self.flash.write(abs, data).map_err(PartitionError::Flash)
    }
    /// Erase `[from, to)`, partition-relative.
    pub fn erase(&mut self, from: u32, to: u32) -> Result<(), PartitionError<F::Error>> {
        let len = to.checked_sub(from).ok_or(PartitionError::OutOfRange)?;
        let abs = self
            .partition
            .absolute(from, len as usize)
            .ok_or(PartitionError::OutOfRange)?;
        self.flash
            .erase(abs, abs + len)
            .map_err(PartitionError::Flash)
    }
}

impl<F: NorFlash> ErrorType for PartitionView<'_, F> {
    type Error = PartitionError<F::Error>;
}

impl<F: NorFlash> ReadNorFlash for PartitionView<'_, F> {
    const READ_SIZE: usize = F::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        PartitionView::read(self, offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.partition.size as usize
    }
}

impl<F: NorFlash> NorFlash for PartitionView<'_, F> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        PartitionView::erase(self, from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        PartitionView::write(self, offset, bytes)
    }
}

impl<F: MultiwriteNorFlash> MultiwriteNorFlash for PartitionView<'_, F> {}

/// Why a [`PartitionSet`] was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutError {
    /// Sector size is zero or not a multiple of a device's erase size.
    SectorSize,
    /// A partition size is zero or not a multiple of the sector size.
    PartitionSize(PartitionId),
    /// A partition does not start on a sector boundary.
    Misaligned(PartitionId),
    /// BOOT and UPDATE differ in size (wolfBoot uses one partition size).
    SizeMismatch,
    /// SWAP is not exactly one sector.
    SwapSize,
    /// A partition extends beyond its device.
    OutOfDevice(PartitionId),
    /// Two partitions on the same device overlap.
    Overlap(PartitionId, PartitionId),
    /// The device write size does not divide the sector size.
    WriteSize,
}

impl LayoutError {
    /// What is wrong, as fixed text (for consoles without formatting).
    pub const fn description(&self) -> &'static str {
        match self {
            LayoutError::SectorSize => "sector size is not a multiple of the erase size",
            LayoutError::PartitionSize(_) => "partition size is not a multiple of the sector size",
            LayoutError::Misaligned(_) => "partition does not start on a sector boundary",
            LayoutError::SizeMismatch => "BOOT and UPDATE sizes differ",
            LayoutError::SwapSize => "SWAP must be exactly one sector",
            LayoutError::OutOfDevice(_) => "partition extends beyond its device",
            LayoutError::Overlap(..) => "partitions overlap",
            LayoutError::WriteSize => "write size does not divide the sector size",
        }
    }
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::SectorSize => {
                f.write_str("sector size is not a multiple of the erase size")
            }
            LayoutError::PartitionSize(p) => {
                write!(f, "{p} size is not a multiple of the sector size")
            }
            LayoutError::Misaligned(p) => write!(f, "{p} does not start on a sector boundary"),
            LayoutError::SizeMismatch => f.write_str("BOOT and UPDATE sizes differ"),
            LayoutError::SwapSize => f.write_str("SWAP must be exactly one sector"),
            LayoutError::OutOfDevice(p) => write!(f, "{p} extends beyond its device"),
            LayoutError::Overlap(a, b) => write!(f, "{a} and {b} overlap"),
            LayoutError::WriteSize => f.write_str("write size does not divide the sector size"),
        }
    }
}

/// The wolfBoot partition layout: BOOT and UPDATE of equal size, SWAP of one sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionSet {
    /// BOOT partition.
    pub boot: Partition,
    /// UPDATE partition.
    pub update: Partition,
    /// SWAP partition (one sector).
    pub swap: Partition,
    /// wolfBoot's `WOLFBOOT_SECTOR_SIZE`: the swap unit, a multiple of every
    /// involved device's erase size.
    pub sector_size: u32,
}

impl PartitionSet {
    /// BOOT, UPDATE and SWAP on the one internal flash device mapped at
    /// `base`, from their absolute addresses (wolfBoot's
    /// `WOLFBOOT_PARTITION_BOOT_ADDRESS`, `..._UPDATE_ADDRESS`,
    /// `..._SWAP_ADDRESS`): the partitions get device offsets. BOOT and
    /// UPDATE are `partition_size` bytes, SWAP `swap_size` (one sector in a
    /// valid layout, see [`PartitionSet::validate`]). For use in `const`
    /// board layouts: an address below `base` fails to compile there.
    pub const fn internal(
        base: u32,
        [boot, update, swap]: [u32; 3],
        partition_size: u32,
        swap_size: u32,
        sector_size: u32,
    ) -> Self {
        PartitionSet {
            boot: Partition::new(Device::Internal, boot - base, partition_size),
            update: Partition::new(Device::Internal, update - base, partition_size),
            swap: Partition::new(Device::Internal, swap - base, swap_size),
            sector_size,
        }
    }

    /// The partition with identifier `id`.
    pub fn get(&self, id: PartitionId) -> Partition {
        match id {
            PartitionId::Boot => self.boot,
            PartitionId::Update => self.update,
            PartitionId::Swap => self.swap,
        }
    }

    /// Size of BOOT (and UPDATE).
    pub fn partition_size(&self) -> u32 {
        self.boot.size
    }

    /// Partition `id` is whole sectors of its device, inside it.
    #[inline(always)]
    fn fits<S: FlashSet + ?Sized>(&self, set: &S, id: PartitionId) -> Result<(), LayoutError> {
        let s = self.sector_size;
        let p = self.get(id);
        let g = set.geometry(p.device);
        if g.erase_size == 0 || !s.is_multiple_of(g.erase_size) {
            return Err(LayoutError::SectorSize);
        }
        if g.write_size == 0 || !s.is_multiple_of(g.write_size) {
            return Err(LayoutError::WriteSize);
        }
        if p.size == 0 || !p.size.is_multiple_of(s) {
            return Err(LayoutError::PartitionSize(id));
        }
        if !p.offset.is_multiple_of(s) {
            return Err(LayoutError::Misaligned(id));
        }
        match p.offset.checked_add(p.size) {
            Some(end) if end <= g.capacity => Ok(()),
            _ => Err(LayoutError::OutOfDevice(id)),
        }
    }

    /// Partitions `a` and `b` do not overlap.
    #[inline(always)]
    fn apart(&self, a: PartitionId, b: PartitionId) -> Result<(), LayoutError> {
        let (pa, pb) = (self.get(a), self.get(b));
        if pa.device == pb.device
            && pa.offset < pb.offset.saturating_add(pb.size)
            && pb.offset < pa.offset.saturating_add(pa.size)
        {
            return Err(LayoutError::Overlap(a, b));
        }
        Ok(())
    }

    /// Check the layout against the devices' geometry.
    pub fn validate<S: FlashSet + ?Sized>(&self, set: &S) -> Result<(), LayoutError> {
        let s = self.sector_size;
        if s == 0 {
            return Err(LayoutError::SectorSize);
        }
        // Each partition checked by a call of its own, not a loop over an
        // array: with a constant layout and geometry (most boards) the
        // compiler then folds every check away.
        self.fits(set, PartitionId::Boot)?;
        self.fits(set, PartitionId::Update)?;
        self.fits(set, PartitionId::Swap)?;
        if self.boot.size != self.update.size {
            return Err(LayoutError::SizeMismatch);
        }
        if self.swap.size != s {
            return Err(LayoutError::SwapSize);
        }
        self.apart(PartitionId::Boot, PartitionId::Update)?;
        self.apart(PartitionId::Boot, PartitionId::Swap)?;
        self.apart(PartitionId::Update, PartitionId::Swap)?;
        Ok(())
    }
}

/// A board's `PARTITIONS` and `device_offset` from the constants of its
/// memory map, which must be in scope: `FLASH_BASE` (where the one flash
/// device's offset 0 is mapped), `BOOT_ADDRESS`, `UPDATE_ADDRESS`,
/// `SWAP_ADDRESS` (absolute, as wolfBoot's `WOLFBOOT_PARTITION_*_ADDRESS`),
/// `PARTITION_SIZE`, `SWAP_SIZE` and `SECTOR_SIZE`. Both are `const`: a
/// layout that does not fit fails to compile.
#[macro_export]
macro_rules! partitions_from_memory_map {
    () => {
        /// Device offset (for the flash driver) of an address in the flash.
        pub const fn device_offset(address: u32) -> u32 {
            address - FLASH_BASE
        }

        /// BOOT, UPDATE and SWAP as partitions of the one flash device, with
        /// device offsets.
        pub const PARTITIONS: $crate::PartitionSet = $crate::PartitionSet::internal(
            FLASH_BASE,
            [BOOT_ADDRESS, UPDATE_ADDRESS, SWAP_ADDRESS],
            PARTITION_SIZE,
            SWAP_SIZE,
            SECTOR_SIZE,
        );
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_layouts_take_device_offsets_from_addresses() {
        const SET: PartitionSet = PartitionSet::internal(
            0x0800_0000,
            [0x0802_0000, 0x0808_0000, 0x080E_0000],
            0x6_0000,
            0x2_0000,
            0x2_0000,
        );
        assert_eq!(
            SET.boot,
            Partition::new(Device::Internal, 0x2_0000, 0x6_0000)
        );
        assert_eq!(
            SET.update,
            Partition::new(Device::Internal, 0x8_0000, 0x6_0000)
        );
        assert_eq!(
            SET.swap,
            Partition::new(Device::Internal, 0xE_0000, 0x2_0000)
        );
        assert_eq!(SET.sector_size, 0x2_0000);
        assert_eq!(SET.partition_size(), 0x6_0000);
    }
}
