//! Flash operation figures for one update and one rollback, measured on the
//! in-memory flash (feature `opcount`). Images are synthetic and checked by
//! header only: the figures count flash work, not cryptography.

use core::fmt;

use wolfboot_hal_flash::{
    Device, FlashStats, MemFlash, MemFlashConfig, Partition, PartitionSet, SingleFlash,
};

use crate::boot::{BootAction, BootConfig, Bootloader};
use crate::testing::{synthetic_image, HeaderOnlyVerifier};

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

/// Measure trigger, install, confirm and rollback on one device with
/// BOOT, UPDATE (each `partition_size`) and SWAP, images of `image_size` bytes.
pub fn measure(
    partition_size: u32,
    sector_size: u32,
    write_size: u32,
    image_size: u32,
) -> Result<OpCount, OpCountError> {
    type Bl = Bootloader<SingleFlash<MemFlash>, HeaderOnlyVerifier>;
    let image = |version| synthetic_image(version, image_size.saturating_sub(256), 256);
    let build = || -> Result<Bl, OpCountError> {
        let cfg = MemFlashConfig::new(partition_size * 2 + sector_size, sector_size, write_size);
        let layout = PartitionSet {
            boot: Partition::new(Device::Internal, 0, partition_size),
            update: Partition::new(Device::Internal, partition_size, partition_size),
            swap: Partition::new(Device::Internal, partition_size * 2, sector_size),
            sector_size,
        };
        let mut flash = MemFlash::new(cfg).map_err(|_| OpCountError::Setup)?;
        flash.poke(0, &image(1)).map_err(|_| OpCountError::Setup)?;
        flash
            .poke(partition_size, &image(2))
            .map_err(|_| OpCountError::Setup)?;
        Bootloader::new(
            SingleFlash(flash),
            HeaderOnlyVerifier::new(256),
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
