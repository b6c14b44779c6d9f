//! Flash contract for wolfboot-rs.
//!
//! * [`Flash`] — the device contract: geometry known at run time (erase size,
//!   write size, capacity, erased byte value) plus read / program / erase.
//!   Every `embedded-storage` 0.3 [`NorFlash`](embedded_storage::nor_flash::NorFlash)
//!   driver **is** a [`Flash`] (blanket implementation): `SingleFlash(driver)`
//!   needs no wrapper.
//! * [`Partition`] / [`PartitionView`] — bounds-checked windows over a flash;
//!   a view of a `NorFlash` is a `NorFlash` again, to hand one partition to
//!   a crate that writes to any `NorFlash`.
//! * [`PartitionSet`] — the wolfBoot BOOT / UPDATE / SWAP layout;
//!   [`partitions_from_memory_map!`] states a board's from its memory map.
//! * [`FlashSet`] — one or two devices ([`SingleFlash`], [`SplitFlash`]),
//!   so BOOT can live on internal flash while UPDATE and SWAP live on an
//!   external one (wolfBoot's `EXT_FLASH`).
//! * Test doubles (feature `mem`): [`MemFlash`], an in-memory NOR flash that
//!   enforces NOR rules, counts operations and can simulate power loss
//!   (geometry chosen at run time), and [`MemNorFlash`], the same with its
//!   geometry in the type: an `embedded-storage` `NorFlash`, and with
//!   feature `async` an `embedded-storage-async` one;
//!   (feature `std`) [`FileFlash`], the same over a file.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "mem")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod flash;
mod partition;
mod set;

#[cfg(feature = "mem")]
mod mem;
#[cfg(feature = "mem")]
mod mem_nor;

#[cfg(feature = "std")]
mod file;

pub use error::FlashError;
pub use flash::{Flash, Geometry};
pub use partition::{
    LayoutError, Partition, PartitionError, PartitionId, PartitionSet, PartitionView,
};
pub use set::{Device, FlashFault, FlashSet, SingleFlash, SplitFlash};

#[cfg(feature = "mem")]
pub use mem::{FlashStats, MemFlash, MemFlashConfig, PowerSupply};
#[cfg(feature = "mem")]
pub use mem_nor::MemNorFlash;

#[cfg(feature = "std")]
pub use file::FileFlash;

pub use embedded_storage::nor_flash::{NorFlashError, NorFlashErrorKind};
