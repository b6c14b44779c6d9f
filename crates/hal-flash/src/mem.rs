//! In-memory NOR flash test double with operation counting and power cuts.

use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use embedded_storage::nor_flash::{ErrorType, ReadNorFlash};

use crate::error::FlashError;
use crate::flash::{Flash, Geometry};

/// Configuration of a [`MemFlash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemFlashConfig {
    /// Device size in bytes (a multiple of `erase_size`).
    pub size: u32,
    /// Erase sector size in bytes.
    pub erase_size: u32,
    /// Program granularity in bytes (divides `erase_size`).
    pub write_size: u32,
    /// Value of an erased byte (0xFF; 0x00 models flash used with wolfBoot's `FLAGS_INVERT`).
    pub erased_byte: u8,
    /// Make programming a write unit twice without erase an error
    /// (it is always counted in [`FlashStats::double_programs`]).
    pub double_program_is_error: bool,
    /// When set, the operation hit by a power cut is left half done
    /// (torn), with bytes chosen by a generator seeded with this value.
    pub torn_seed: Option<u64>,
}

impl MemFlashConfig {
    /// `size` bytes, `erase_size` sectors, `write_size` program unit, erased to 0xFF.
    pub const fn new(size: u32, erase_size: u32, write_size: u32) -> Self {
        MemFlashConfig {
            size,
            erase_size,
            write_size,
            erased_byte: 0xFF,
            double_program_is_error: false,
            torn_seed: None,
        }
    }
}

/// Operation counters of a [`MemFlash`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlashStats {
    /// Read calls.
    pub reads: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Erase calls.
    pub erase_ops: u64,
    /// Sectors erased (an erase call may cover several).
    pub sectors_erased: u64,
    /// Program (write) calls.
    pub programs: u64,
    /// Bytes programmed.
    pub bytes_written: u64,
    /// Write units programmed again without an erase in between.
    pub double_programs: u64,
}

impl FlashStats {
    /// Operations that change the flash (erase calls + program calls):
    /// the unit a power cut is counted in.
    pub fn mutations(&self) -> u64 {
        self.erase_ops + self.programs
    }
}

#[derive(Debug, Default)]
struct PowerState {
    /// Mutating operations still allowed before the cut; `None`: no cut armed.
    remaining: Option<u64>,
    /// Power is off: every operation fails until reboot.
    off: bool,
}

/// A power rail shared by one or more [`MemFlash`] devices, so one cut hits
/// internal and external flash alike. Cloning shares the rail.
#[derive(Debug, Clone, Default)]
pub struct PowerSupply(Rc<RefCell<PowerState>>);

impl PowerSupply {
    /// A powered rail with no cut armed.
    pub fn new() -> Self {
        Self::default()
    }
    /// Let `n` more mutating operations (erase or program, on any device of
    /// this rail) succeed; the next one fails with [`FlashError::PowerLoss`]
    /// and so does every operation after it, reads included.
    pub fn cut_after(&self, n: u64) {
        let mut s = self.0.borrow_mut();
        s.remaining = Some(n);
        s.off = false;
    }
    /// Power back on with no cut armed; flash contents are kept.
    pub fn reboot(&self) {
        let mut s = self.0.borrow_mut();
        s.remaining = None;
        s.off = false;
    }
    /// Whether a cut has happened and power is still off.
    pub fn is_off(&self) -> bool {
        self.0.borrow().off
    }
    fn check_powered(&self) -> Result<(), FlashError> {
        if self.0.borrow().off {
            Err(FlashError::PowerLoss)
        } else {
            Ok(())
        }
    }
    /// Account one mutating operation. `Ok(true)`: proceed; `Ok(false)`:
    /// this operation is the one hit by the cut.
    fn take(&self) -> Result<bool, FlashError> {
        let mut s = self.0.borrow_mut();
        if s.off {
            return Err(FlashError::PowerLoss);
        }
        match s.remaining {
            None => Ok(true),
            Some(0) => {
                s.off = true;
                Ok(false)
            }
            Some(n) => {
                s.remaining = Some(n - 1);
                Ok(true)
            }
        }
    }
}

/// An in-memory NOR flash that enforces NOR rules, counts operations and
/// can lose power at a chosen operation.
///
/// Rules: erase works on whole aligned sectors and sets them to the erased
/// byte; program offsets and lengths are multiples of the write size and may
/// only move bits away from the erased value; out-of-range access fails.
/// Programming a write unit that was already programmed since its last erase
/// is counted (and is an error if so configured).
#[derive(Debug)]
pub struct MemFlash {
    data: Vec<u8>,
    /// Per write unit: programmed since its last erase? Units whose contents
    /// were planted (loaded, poked) start [`UnitState::FROM_CONTENTS`] and are
    /// judged by their bytes when first written, so loading a large flash
    /// costs no pass over it.
    units: Vec<u8>,
    config: MemFlashConfig,
    stats: FlashStats,
    power: PowerSupply,
    rng: u64,
}

/// Whether a write unit was programmed since its last erase, one byte per
/// unit. Zero means "not known yet", so a fresh table is a zeroed allocation
/// (no pass over it).
struct UnitState;

impl UnitState {
    /// Not known yet: programmed exactly when a byte differs from erased.
    const FROM_CONTENTS: u8 = 0;
    /// Erased and not programmed since.
    const CLEAN: u8 = 1;
    /// Programmed since the last erase.
    const PROGRAMMED: u8 = 2;
}

impl MemFlash {
    /// A fully erased flash on its own power rail.
    pub fn new(config: MemFlashConfig) -> Result<Self, FlashError> {
        Self::with_power(config, PowerSupply::new())
    }

    /// A fully erased flash on a shared power rail.
    pub fn with_power(config: MemFlashConfig, power: PowerSupply) -> Result<Self, FlashError> {
        Self::from_vec(config, power, Vec::new())
    }

    /// A flash holding `data` (padded with erased bytes to the configured
    /// size), without copying it again: the file-backed flash hands over
    /// what it read.
    pub(crate) fn from_vec(
        config: MemFlashConfig,
        power: PowerSupply,
        mut data: Vec<u8>,
    ) -> Result<Self, FlashError> {
        let c = config;
        if c.erase_size == 0
            || c.write_size == 0
            || !c.size.is_multiple_of(c.erase_size)
            || !c.erase_size.is_multiple_of(c.write_size)
        {
            return Err(FlashError::InvalidGeometry);
        }
        if data.len() > c.size as usize {
            return Err(FlashError::OutOfBounds);
        }
        data.resize(c.size as usize, c.erased_byte);
        Ok(MemFlash {
            data,
            units: vec![UnitState::FROM_CONTENTS; (c.size / c.write_size) as usize],
            config: c,
            stats: FlashStats::default(),
            power,
            rng: c.torn_seed.unwrap_or(0) | 1,
        })
    }

    /// A flash holding `contents` (shorter contents are padded with erased bytes).
    /// Write units holding non-erased bytes count as programmed.
    pub fn from_bytes(config: MemFlashConfig, contents: &[u8]) -> Result<Self, FlashError> {
        Self::from_vec(config, PowerSupply::new(), contents.to_vec())
    }

    /// Forget what is known of the write units overlapping `[start, end)`:
    /// their contents were planted and now say whether they are programmed.
    fn forget_units(&mut self, start: usize, end: usize) {
        let ws = self.config.write_size as usize;
        let last = end.div_ceil(ws).min(self.units.len());
        if let Some(units) = self.units.get_mut(start / ws..last) {
            units.fill(UnitState::FROM_CONTENTS);
        }
    }

    /// Whether write unit `unit` was programmed since its last erase.
    fn is_programmed(&self, unit: usize) -> bool {
        match self.units[unit] {
            UnitState::CLEAN => false,
            UnitState::PROGRAMMED => true,
            _ => {
                let ws = self.config.write_size as usize;
                let erased = self.config.erased_byte;
                self.data[unit * ws..(unit + 1) * ws]
                    .iter()
                    .any(|b| *b != erased)
            }
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MemFlashConfig {
        &self.config
    }
    /// The whole contents.
    pub fn contents(&self) -> &[u8] {
        &self.data
    }
    /// Overwrite contents directly, bypassing NOR rules, counters and power
    /// (to plant images or corrupt bytes in tests).
    pub fn poke(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        let start = offset as usize;
        let end = start
            .checked_add(bytes.len())
            .ok_or(FlashError::OutOfBounds)?;
        let dst = self
            .data
            .get_mut(start..end)
            .ok_or(FlashError::OutOfBounds)?;
        dst.copy_from_slice(bytes);
        self.forget_units(start, end);
        Ok(())
    }
    /// Operation counters since creation or the last [`reset_stats`](Self::reset_stats).
    pub fn stats(&self) -> FlashStats {
        self.stats
    }
    /// Zero the counters.
    pub fn reset_stats(&mut self) {
        self.stats = FlashStats::default();
    }
    /// The power rail of this flash.
    pub fn power(&self) -> &PowerSupply {
        &self.power
    }
    /// Shortcut for `power().cut_after(n)`.
    pub fn cut_power_after(&self, n: u64) {
        self.power.cut_after(n)
    }
    /// Shortcut for `power().reboot()`: clear the cut, keep contents.
    pub fn reboot(&self) {
        self.power.reboot()
    }

    fn next_bit(&mut self) -> bool {
        // xorshift64
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x & 1 == 1
    }

    fn check_range(&self, offset: u32, len: usize) -> Result<(usize, usize), FlashError> {
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(FlashError::OutOfBounds)?;
        if end > self.data.len() {
            return Err(FlashError::OutOfBounds);
        }
        Ok((start, end))
    }

    fn raises_bit(&self, old: u8, new: u8) -> bool {
        if self.config.erased_byte == 0xFF {
            new & !old != 0
        } else {
            old & !new != 0
        }
    }
}

impl Flash for MemFlash {
    type Error = FlashError;

    fn geometry(&self) -> Geometry {
        Geometry {
            capacity: self.config.size,
            erase_size: self.config.erase_size,
            write_size: self.config.write_size,
            erased_byte: self.config.erased_byte,
        }
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        self.power.check_powered()?;
        let (start, end) = self.check_range(offset, buf.len())?;
        buf.copy_from_slice(&self.data[start..end]);
        self.stats.reads += 1;
        self.stats.bytes_read += buf.len() as u64;
        Ok(())
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        self.power.check_powered()?;
        let ws = self.config.write_size as usize;
        if !(offset as usize).is_multiple_of(ws) || !data.len().is_multiple_of(ws) {
            return Err(FlashError::NotAligned);
        }
        let (start, end) = self.check_range(offset, data.len())?;
        for (i, (old, new)) in self.data[start..end].iter().zip(data).enumerate() {
            if self.raises_bit(*old, *new) {
                return Err(FlashError::BitRaise {
                    offset: (start + i) as u32,
                });
            }
        }
        let mut doubles = 0;
        for unit in start / ws..end / ws {
            if self.is_programmed(unit) {
                if self.config.double_program_is_error {
                    return Err(FlashError::DoubleProgram {
                        offset: (unit * ws) as u32,
                    });
                }
                doubles += 1;
            }
        }
        if !self.power.take()? {
            if self.config.torn_seed.is_some() {
                for i in start..end {
                    if self.next_bit() {
                        self.data[i] = data[i - start];
                    }
                }
                self.units[start / ws..end / ws].fill(UnitState::PROGRAMMED);
            }
            return Err(FlashError::PowerLoss);
        }
        self.data[start..end].copy_from_slice(data);
        self.units[start / ws..end / ws].fill(UnitState::PROGRAMMED);
        self.stats.programs += 1;
        self.stats.bytes_written += data.len() as u64;
        self.stats.double_programs += doubles;
        Ok(())
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        self.power.check_powered()?;
        let es = self.config.erase_size;
        if from > to || !from.is_multiple_of(es) || !to.is_multiple_of(es) {
            return Err(FlashError::NotAligned);
        }
        let (start, end) = self.check_range(from, (to - from) as usize)?;
        let ws = self.config.write_size as usize;
        let erased = self.config.erased_byte;
        if !self.power.take()? {
            if self.config.torn_seed.is_some() {
                for i in start..end {
                    if self.next_bit() {
                        self.data[i] = erased;
                    }
                }
            }
            return Err(FlashError::PowerLoss);
        }
        self.data[start..end].fill(erased);
        self.units[start / ws..end / ws].fill(UnitState::CLEAN);
        self.stats.erase_ops += 1;
        self.stats.sectors_erased += u64::from((to - from) / es);
        Ok(())
    }
}

impl ErrorType for MemFlash {
    type Error = FlashError;
}

impl ReadNorFlash for MemFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        Flash::read(self, offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.data.len()
    }
}
