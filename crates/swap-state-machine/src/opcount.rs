//! Flash operation figures for one update and one rollback, measured on the
//! in-memory flash (feature `opcount`). Images are synthetic and checked by
//! header only: the figures count flash work, not cryptography.

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

use wolfboot_hal_flash::{
    Device, FlashStats, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
};

use crate::boot::{BootAction, BootConfig, Bootloader};
use wolfboot_image_format::wire::{tlv, IMAGE_MAGIC};
use wolfboot_image_format::{HashAlgorithm, ImageType};
use wolfboot_verify::{Digest, ImageSource, VerifiedImage, VerifyError};

use crate::image::ImageVerifier;

/// Flash work of one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ops {
    /// Sectors erased.
    pub erases: u64,
    /// Program calls.
    pub programs: u64,
    /// Bytes programmed.
    pub bytes_written: u64,
}

impl From<FlashStats> for Ops {
    fn from(s: FlashStats) -> Self {
        Ops {
            erases: s.sectors_erased,
            programs: s.programs,
            bytes_written: s.bytes_written,
        }
    }
}

impl fmt::Display for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} erases, {} programs, {} bytes written",
            self.erases, self.programs, self.bytes_written
        )
    }
}

/// Figures for one geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpCount {
    /// Partition size in bytes.
    pub partition_size: u32,
    /// Sector size in bytes.
    pub sector_size: u32,
    /// Image size (header + payload) in bytes.
    pub image_size: u32,
    /// Application trigger (`update_trigger`).
    pub trigger: Ops,
    /// Bootloader installing the update (swap + final step).
    pub install: Ops,
    /// Application confirm (`success`).
    pub confirm: Ops,
    /// Bootloader rolling back an unconfirmed update.
    pub rollback: Ops,
}

impl fmt::Display for OpCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "partition {:#x}, sector {:#x}, image {} bytes ({} image sectors)",
            self.partition_size,
            self.sector_size,
            self.image_size,
            self.image_size.div_ceil(self.sector_size)
        )?;
        writeln!(f, "  trigger : {}", self.trigger)?;
        writeln!(f, "  install : {}", self.install)?;
        writeln!(f, "  confirm : {}", self.confirm)?;
        write!(f, "  rollback: {}", self.rollback)
    }
}

/// Why measuring failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpCountError {
    /// Geometry rejected or flash failure.
    Setup,
    /// The bootloader did not do what the scenario expects.
    Unexpected,
}

impl fmt::Display for OpCountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpCountError::Setup => "op count setup failed",
            OpCountError::Unexpected => "op count scenario went unexpectedly",
        })
    }
}

/// Accepts any image with a well-formed header (no cryptography).
#[derive(Debug, Default)]
pub struct HeaderOnlyVerifier;

impl ImageVerifier for HeaderOnlyVerifier {
    fn verify(
        &mut self,
        _part: PartitionId,
        image: &mut dyn ImageSource,
    ) -> Result<VerifiedImage, VerifyError> {
        let mut h = [0u8; 32];
        image.read_at(0, &mut h)?;
        let word = |i: usize| {
            h.get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .unwrap_or(0)
        };
        if word(0) != IMAGE_MAGIC {
            return Err(VerifyError::BadMagic);
        }
        // No digest is computed: a zero SHA-256 value stands in.
        let digest = Digest::from_slice(HashAlgorithm::Sha256, &[0; 32])
            .ok_or(VerifyError::UnsupportedHash(HashAlgorithm::Sha256))?;
        Ok(VerifiedImage {
            version: word(12),
            image_type: ImageType((word(20) & 0xFFFF) as u16),
            header_size: 256,
            payload_size: word(4),
            digest,
            key_slot: None,
            secondary: None,
        })
    }
}

/// A synthetic image: 256-byte header (magic, size, version, type) + payload.
pub fn synthetic_image(version: u32, image_size: u32) -> Vec<u8> {
    let mut img = Vec::new();
    img.resize(image_size.max(256) as usize, 0xFF);
    let payload = image_size.saturating_sub(256);
    let mut put = |at: usize, b: &[u8]| {
        if let Some(d) = img.get_mut(at..at + b.len()) {
            d.copy_from_slice(b);
        }
    };
    put(0, &IMAGE_MAGIC.to_le_bytes());
    put(4, &payload.to_le_bytes());
    put(8, &tlv::VERSION.to_le_bytes());
    put(10, &4u16.to_le_bytes());
    put(12, &version.to_le_bytes());
    put(16, &tlv::IMG_TYPE.to_le_bytes());
    put(18, &2u16.to_le_bytes());
    put(20, &0x0201u16.to_le_bytes());
    put(22, &0u16.to_le_bytes());
    for (i, b) in img.iter_mut().enumerate().skip(256) {
        *b = (i.wrapping_mul(31) ^ version as usize) as u8;
    }
    img
}

/// Measure trigger, install, confirm and rollback on one device with
/// BOOT, UPDATE (each `partition_size`) and SWAP, images of `image_size` bytes.
pub fn measure(
    partition_size: u32,
    sector_size: u32,
    write_size: u32,
    image_size: u32,
) -> Result<OpCount, OpCountError> {
    type Bl = Bootloader<SingleFlash<MemFlash>, HeaderOnlyVerifier>;
    let build = || -> Result<Bl, OpCountError> {
        let cfg = MemFlashConfig::new(partition_size * 2 + sector_size, sector_size, write_size);
        let layout = PartitionSet {
            boot: Partition::new(Device::Internal, 0, partition_size),
            update: Partition::new(Device::Internal, partition_size, partition_size),
            swap: Partition::new(Device::Internal, partition_size * 2, sector_size),
            sector_size,
        };
        let mut flash = MemFlash::new(cfg).map_err(|_| OpCountError::Setup)?;
        flash
            .poke(0, &synthetic_image(1, image_size))
            .map_err(|_| OpCountError::Setup)?;
        flash
            .poke(partition_size, &synthetic_image(2, image_size))
            .map_err(|_| OpCountError::Setup)?;
        Bootloader::new(
            SingleFlash(flash),
            HeaderOnlyVerifier,
            layout,
            BootConfig::default(),
        )
        .map_err(|_| OpCountError::Setup)
    };
    let phase = |bl: &mut Bl,
                 f: &mut dyn FnMut(&mut Bl) -> Result<(), OpCountError>|
     -> Result<Ops, OpCountError> {
        bl.flash_mut().0.reset_stats();
        f(bl)?;
        Ok(bl.flash().0.stats().into())
    };
    let mut trigger_op = |bl: &mut Bl| bl.update_trigger().map_err(|_| OpCountError::Unexpected);
    let mut install_op = |bl: &mut Bl| match bl.boot() {
        Ok(d) if d.action == BootAction::Installed => Ok(()),
        _ => Err(OpCountError::Unexpected),
    };

    // Run 1: trigger, install, confirm.
    let mut bl = build()?;
    let trigger = phase(&mut bl, &mut trigger_op)?;
    let install = phase(&mut bl, &mut install_op)?;
    let confirm = phase(&mut bl, &mut |bl: &mut Bl| {
        bl.success().map_err(|_| OpCountError::Unexpected)
    })?;
    // Run 2: trigger, install, then reset without confirm: rollback.
    let mut bl = build()?;
    phase(&mut bl, &mut trigger_op)?;
    phase(&mut bl, &mut install_op)?;
    let rollback = phase(&mut bl, &mut |bl: &mut Bl| match bl.boot() {
        Ok(d) if d.action == BootAction::RolledBack => Ok(()),
        _ => Err(OpCountError::Unexpected),
    })?;
    Ok(OpCount {
        partition_size,
        sector_size,
        image_size,
        trigger,
        install,
        confirm,
        rollback,
    })
}
