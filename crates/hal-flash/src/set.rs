//! One or two flash devices seen as a single set.

use core::fmt;
use embedded_storage::nor_flash::{NorFlashError, NorFlashErrorKind};

use crate::flash::{Flash, Geometry};

/// Which device a partition lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The MCU's internal flash (where BOOT normally lives).
    Internal,
    /// An external flash (wolfBoot `EXT_FLASH`, e.g. SPI NOR holding UPDATE and SWAP).
    External,
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Device::Internal => "internal flash",
            Device::External => "external flash",
        })
    }
}

/// A flash error reduced to the device it happened on and its kind, so code
/// working on two different devices has one error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashFault {
    /// Device that failed.
    pub device: Device,
    /// What failed.
    pub kind: NorFlashErrorKind,
}

impl fmt::Display for FlashFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.device, self.kind)
    }
}

impl NorFlashError for FlashFault {
    fn kind(&self) -> NorFlashErrorKind {
        self.kind
    }
}

/// The flash devices a bootloader works on, addressed by [`Device`].
///
/// Generic code takes one `FlashSet` and never needs two mutable borrows at
/// once: data moves between devices through a RAM buffer.
pub trait FlashSet {
    /// Geometry of `device`.
    fn geometry(&self, device: Device) -> Geometry;
    /// Read from `device`.
    fn read(&mut self, device: Device, offset: u32, buf: &mut [u8]) -> Result<(), FlashFault>;
    /// Program `device`.
    fn write(&mut self, device: Device, offset: u32, data: &[u8]) -> Result<(), FlashFault>;
    /// Erase `[from, to)` on `device`.
    fn erase(&mut self, device: Device, from: u32, to: u32) -> Result<(), FlashFault>;
}

fn fault<E: NorFlashError>(device: Device) -> impl FnOnce(E) -> FlashFault {
    move |e| FlashFault {
        device,
        kind: e.kind(),
    }
}

/// Every partition on one device: [`Device::External`] maps to the same flash.
#[derive(Debug)]
pub struct SingleFlash<F>(pub F);

impl<F: Flash> FlashSet for SingleFlash<F> {
    fn geometry(&self, _device: Device) -> Geometry {
        self.0.geometry()
    }
    fn read(&mut self, device: Device, offset: u32, buf: &mut [u8]) -> Result<(), FlashFault> {
        self.0.read(offset, buf).map_err(fault(device))
    }
    fn write(&mut self, device: Device, offset: u32, data: &[u8]) -> Result<(), FlashFault> {
        self.0.write(offset, data).map_err(fault(device))
    }
    fn erase(&mut self, device: Device, from: u32, to: u32) -> Result<(), FlashFault> {
        self.0.erase(from, to).map_err(fault(device))
    }
}

/// Internal flash plus an external flash, possibly of different types.
#[derive(Debug)]
pub struct SplitFlash<I, E> {
    /// The internal flash.
    pub internal: I,
    /// The external flash.
    pub external: E,
}

impl<I: Flash, E: Flash> FlashSet for SplitFlash<I, E> {
    fn geometry(&self, device: Device) -> Geometry {
        match device {
            Device::Internal => self.internal.geometry(),
            Device::External => self.external.geometry(),
        }
    }
    fn read(&mut self, device: Device, offset: u32, buf: &mut [u8]) -> Result<(), FlashFault> {
        match device {
            Device::Internal => self.internal.read(offset, buf).map_err(fault(device)),
            Device::External => self.external.read(offset, buf).map_err(fault(device)),
        }
    }
    fn write(&mut self, device: Device, offset: u32, data: &[u8]) -> Result<(), FlashFault> {
        match device {
            Device::Internal => self.internal.write(offset, data).map_err(fault(device)),
            Device::External => self.external.write(offset, data).map_err(fault(device)),
        }
    }
    fn erase(&mut self, device: Device, from: u32, to: u32) -> Result<(), FlashFault> {
        match device {
            Device::Internal => self.internal.erase(from, to).map_err(fault(device)),
            Device::External => self.external.erase(from, to).map_err(fault(device)),
        }
    }
}
