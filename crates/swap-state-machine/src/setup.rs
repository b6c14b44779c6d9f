//! Where a bootloader's layout and options come from: values chosen at run
//! time ([`RuntimeSetup`]: host tools, the simulator, tests sweeping
//! geometries) or constants fixed when the firmware is built
//! ([`FixedSetup`]: a board). The state machine is one generic code path
//! over [`Setup`]; with a fixed setup every partition offset, sector
//! division, trailer position and configuration branch folds into the code
//! (on mps2-an386 about 0.8 KB less than the same layout held as values).

use core::fmt;
use core::marker::PhantomData;

use wolfboot_hal_flash::{Partition, PartitionId, PartitionSet};

use crate::config::BootConfig;
use crate::trailer::{TrailerConfig, TrailerGeometry, TrailerPlace};

/// A bootloader's layout and options.
pub trait Setup: Copy {
    /// Where BOOT's and UPDATE's trailers lie.
    type Trailer: TrailerGeometry;
    /// The partitions.
    fn layout(&self) -> PartitionSet;
    /// The options.
    fn config(&self) -> BootConfig;
    /// The trailer of `id` (BOOT or UPDATE).
    fn trailer(&self, id: PartitionId) -> Self::Trailer;
}

/// Layout and options held as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeSetup {
    /// The partitions.
    pub layout: PartitionSet,
    /// The options.
    pub config: BootConfig,
}

impl Setup for RuntimeSetup {
    type Trailer = TrailerPlace;

    #[inline(always)]
    fn layout(&self) -> PartitionSet {
        self.layout
    }

    #[inline(always)]
    fn config(&self) -> BootConfig {
        self.config
    }

    #[inline(always)]
    fn trailer(&self, id: PartitionId) -> TrailerPlace {
        TrailerPlace::of(&self.layout, id, self.config.trailer)
    }
}

/// Layout and options known when the firmware is built: a board implements
/// this on a type of its own and boots with [`FixedSetup`] of that type.
pub trait BuildSetup {
    /// The partitions.
    const LAYOUT: PartitionSet;
    /// The options.
    const CONFIG: BootConfig;
}

/// Declare a type and its [`BuildSetup`] from two constant expressions:
///
/// ```
/// # use wolfboot_swap_state_machine::{build_setup, BootConfig, Device, Partition, PartitionSet};
/// const PARTITIONS: PartitionSet = PartitionSet {
///     boot: Partition::new(Device::Internal, 0, 0x8000),
///     update: Partition::new(Device::Internal, 0x8000, 0x8000),
///     swap: Partition::new(Device::Internal, 0x1_0000, 0x1000),
///     sector_size: 0x1000,
/// };
/// build_setup!(
///     /// This board's layout and options.
///     BoardSetup {
///         layout: PARTITIONS,
///         config: BootConfig::DEFAULT.with_header_size(256),
///     }
/// );
/// ```
#[macro_export]
macro_rules! build_setup {
    ($(#[$attr:meta])* $vis:vis $name:ident { layout: $layout:expr, config: $config:expr $(,)? }) => {
        $(#[$attr])*
        $vis struct $name;

        impl $crate::BuildSetup for $name {
            const LAYOUT: $crate::PartitionSet = $layout;
            const CONFIG: $crate::BootConfig = $config;
        }
    };
}

/// The [`Setup`] of a [`BuildSetup`]: no data, every value a constant.
pub struct FixedSetup<T>(PhantomData<T>);

impl<T> FixedSetup<T> {
    /// The setup of `T`.
    pub const fn new() -> Self {
        FixedSetup(PhantomData)
    }
}

impl<T> Default for FixedSetup<T> {
    fn default() -> Self {
        Self::new()
    }
}

// By hand: derives would require `T` itself to be `Copy`, `Debug`, ...
impl<T> Clone for FixedSetup<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for FixedSetup<T> {}
impl<T> fmt::Debug for FixedSetup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FixedSetup")
    }
}

impl<T: BuildSetup> Setup for FixedSetup<T> {
    type Trailer = FixedTrailer<T>;

    #[inline(always)]
    fn layout(&self) -> PartitionSet {
        T::LAYOUT
    }

    #[inline(always)]
    fn config(&self) -> BootConfig {
        T::CONFIG
    }

    #[inline(always)]
    fn trailer(&self, id: PartitionId) -> FixedTrailer<T> {
        let update = id == PartitionId::Update;
        FixedTrailer {
            update,
            offset: if update {
                T::LAYOUT.update.offset
            } else {
                T::LAYOUT.boot.offset
            },
            setup: PhantomData,
        }
    }
}

/// The trailer of BOOT or UPDATE in a [`BuildSetup`]: which of the two is
/// the only value (BOOT and UPDATE have the same size, so even that choice
/// folds away for everything but the partition offset).
pub struct FixedTrailer<T> {
    update: bool,
    offset: u32,
    setup: PhantomData<T>,
}

impl<T> Clone for FixedTrailer<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for FixedTrailer<T> {}
impl<T> fmt::Debug for FixedTrailer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.update {
            "FixedTrailer(UPDATE)"
        } else {
            "FixedTrailer(BOOT)"
        })
    }
}
impl<T> PartialEq for FixedTrailer<T> {
    fn eq(&self, other: &Self) -> bool {
        self.update == other.update
    }
}
impl<T> Eq for FixedTrailer<T> {}

impl<T: BuildSetup> TrailerGeometry for FixedTrailer<T> {
    #[inline(always)]
    fn partition(&self) -> Partition {
        let (boot, update) = (T::LAYOUT.boot, T::LAYOUT.update);
        if boot.size == update.size && boot.device as u8 == update.device as u8 {
            Partition::new(boot.device, self.offset, boot.size)
        } else if self.update {
            update
        } else {
            boot
        }
    }

    #[inline(always)]
    fn sector_size(&self) -> u32 {
        T::LAYOUT.sector_size
    }

    #[inline(always)]
    fn config(&self) -> TrailerConfig {
        T::CONFIG.trailer.on_device(self.partition().device)
    }
}
