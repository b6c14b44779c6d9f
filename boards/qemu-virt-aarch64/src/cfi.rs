//! A CFI parallel NOR flash driver (Intel/Sharp command set) implementing the
//! [`wolfboot_hal_flash::Flash`] contract.
//!
//! The flash bank sits on a 32-bit bus, built from one x32, two x16 or four
//! x8 chips side by side (QEMU's `virt` machine: two x16 chips). Every
//! command is written to all chips at once (the command byte repeated in each
//! chip's lane) and every status read checks every chip.
//!
//! * [`CfiFlash::probe`] reads the CFI query table (`0x98`): the "QRY"
//!   signature, the command set, the device size, the one uniform erase-block
//!   region, the write-buffer size and the typical/maximum operation times.
//!   The [`Geometry`] handed to the generic crates comes from there.
//! * Erase: clear status (`0x50`), block erase (`0x20`, confirm `0xD0`), poll
//!   the status register until SR.7 (ready), read-array mode (`0xFF`).
//! * Program: single words with word program (`0x40`, then the data); runs
//!   of two or more words inside one write-buffer window with buffered
//!   program (`0xE8`, word count, data, `0xD0`), as NOR drivers do to save
//!   time. Words that already hold their new value are skipped (nothing to
//!   change). Every programmed word is read back.
//! * NOR rules are enforced before anything reaches the chip: erases cover
//!   whole aligned blocks, programs cover aligned 32-bit words and may only
//!   clear bits ([`CfiError::WouldSetBits`], nothing written). QEMU's model
//!   stores whatever is programmed, so the driver, not the emulator, keeps
//!   the flash honest.
//! * Every poll has a deadline from the CFI maximum times, measured by a
//!   [`Clock`]; status error bits become typed errors
//!   ([`CfiError::EraseFailed`], [`CfiError::ProgramFailed`],
//!   [`CfiError::CommandSequence`], [`CfiError::VoltageLow`],
//!   [`CfiError::Locked`]) after which the status is cleared and the bank put
//!   back in read-array mode.
//! * A [`Monitor`] sees each erase (one block) and each program call before
//!   it starts and may cut power there, before or half-way (see `testctl`).
//!
//! The bank is only touched through [`Bus`]: 32-bit volatile accesses on the
//! target, a simulated chip in the host tests below.

use core::fmt;

use wolfboot_hal_flash::{Flash, Geometry, NorFlashError, NorFlashErrorKind};

/// 32-bit accesses to the flash bank, at word-aligned device offsets.
pub trait Bus {
    /// One 32-bit bus read.
    fn read(&mut self, offset: u32) -> u32;
    /// One 32-bit bus write (a command or data).
    fn write(&mut self, offset: u32, value: u32);
}

/// A monotonic tick counter for the poll deadlines.
pub trait Clock {
    /// Ticks since an arbitrary origin.
    fn ticks(&mut self) -> u64;
    /// Ticks per second.
    fn ticks_per_second(&self) -> u64;
}

/// Intel/Sharp command set (CFI primary vendor command sets 0x0001, 0x0003).
pub mod cmd {
    /// Back to reading the memory array.
    pub const READ_ARRAY: u8 = 0xFF;
    /// Clear the status register error bits.
    pub const CLEAR_STATUS: u8 = 0x50;
    /// Block erase (first cycle).
    pub const BLOCK_ERASE: u8 = 0x20;
    /// Confirm a block erase or a buffered program.
    pub const CONFIRM: u8 = 0xD0;
    /// Word program (first cycle; the data follows).
    pub const WORD_PROGRAM: u8 = 0x40;
    /// Buffered program (then the word count less one, the data, confirm).
    pub const BUFFERED_PROGRAM: u8 = 0xE8;
    /// CFI query mode.
    pub const CFI_QUERY: u8 = 0x98;
    /// Where the CFI query command is written, in device words.
    pub const CFI_QUERY_ADDRESS: u32 = 0x55;
}

/// Status register bits (per chip).
pub mod status {
    /// SR.7: the write state machine is ready (operation over).
    pub const READY: u8 = 0x80;
    /// SR.5: erase (or clear-lock) error.
    pub const ERASE_ERROR: u8 = 0x20;
    /// SR.4: program (or set-lock) error.
    pub const PROGRAM_ERROR: u8 = 0x10;
    /// SR.3: program/erase voltage too low.
    pub const VPP_LOW: u8 = 0x08;
    /// SR.1: the block is locked.
    pub const LOCKED: u8 = 0x02;
    /// Every error bit.
    pub const ERRORS: u8 = ERASE_ERROR | PROGRAM_ERROR | VPP_LOW | LOCKED;
}

/// Offsets in the CFI query table (in device words).
pub mod query {
    /// "QRY".
    pub const SIGNATURE: u32 = 0x10;
    /// Primary vendor command set (16 bits).
    pub const COMMAND_SET: u32 = 0x13;
    /// Typical single-word program time, 2^n µs.
    pub const WORD_TIME: u32 = 0x1F;
    /// Typical buffer program time, 2^n µs (0: not supported).
    pub const BUFFER_TIME: u32 = 0x20;
    /// Typical block erase time, 2^n ms.
    pub const ERASE_TIME: u32 = 0x21;
    /// Maximum word program time, 2^n times typical.
    pub const WORD_TIME_MAX: u32 = 0x23;
    /// Maximum buffer program time, 2^n times typical.
    pub const BUFFER_TIME_MAX: u32 = 0x24;
    /// Maximum block erase time, 2^n times typical.
    pub const ERASE_TIME_MAX: u32 = 0x25;
    /// Device size, 2^n bytes (one chip).
    pub const DEVICE_SIZE: u32 = 0x27;
    /// Write-buffer size, 2^n bytes per chip (16 bits; 0: none).
    pub const BUFFER_SIZE: u32 = 0x2A;
    /// Number of erase-block regions.
    pub const REGIONS: u32 = 0x2C;
    /// First region: block count less one (16 bits), block size / 256 (16 bits).
    pub const REGION1: u32 = 0x2D;
}

/// What a flash operation was, for errors and the [`Monitor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Erase of one block.
    Erase {
        /// Device offset of the block.
        offset: u32,
        /// Block size.
        len: u32,
    },
    /// One program call (`Flash::write`).
    Program {
        /// Device offset.
        offset: u32,
        /// Number of bytes.
        len: u32,
    },
}

/// Whether power fails at an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The operation runs.
    No,
    /// Power fails before the operation starts.
    Before,
    /// Power fails half-way: a program has its first half (whole words)
    /// programmed; an erase has been started (the command confirmed) but not
    /// waited for.
    Midway,
}

/// Observer of flash operations (operation counting, power cuts).
pub trait Monitor {
    /// Called before each operation.
    fn before(&mut self, _op: Operation) -> Cut {
        Cut::No
    }
    /// Called at a power cut (after the part of the operation that still
    /// happened). On the target this does not return: the test harness
    /// pulls the plug.
    fn cut(&mut self, _op: Operation) {}
}

/// A [`Monitor`] that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMonitor;

impl Monitor for NoMonitor {}

/// Error of a [`CfiFlash`] operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CfiError {
    /// The access does not lie inside the device.
    OutOfBounds,
    /// Offset or length is not a multiple of the word (program) or of the
    /// block (erase).
    NotAligned,
    /// The program would set a bit that is 0; nothing was written.
    WouldSetBits {
        /// Device offset of the first offending word.
        offset: u32,
    },
    /// No "QRY" in the CFI query table (or the chips disagree).
    NotCfi,
    /// The primary command set is not Intel/Sharp (0x0001 or 0x0003).
    UnsupportedCommandSet(u16),
    /// Not one uniform erase-block region, or sizes this driver cannot use.
    UnsupportedGeometry,
    /// The chip did not become ready before the CFI maximum time.
    Timeout {
        /// Device offset of the operation.
        offset: u32,
    },
    /// SR.5 alone: the block erase failed.
    EraseFailed {
        /// Device offset of the block.
        offset: u32,
    },
    /// SR.4 alone: the program failed.
    ProgramFailed {
        /// Device offset of the word or buffer.
        offset: u32,
    },
    /// SR.4 and SR.5: the chip refused the command sequence.
    CommandSequence {
        /// Device offset of the operation.
        offset: u32,
    },
    /// SR.3: program/erase voltage too low.
    VoltageLow {
        /// Device offset of the operation.
        offset: u32,
    },
    /// SR.1: the block is locked.
    Locked {
        /// Device offset of the operation.
        offset: u32,
    },
    /// A programmed word does not read back as written.
    VerifyFailed {
        /// Device offset of the word.
        offset: u32,
    },
    /// Power was cut during the operation (test harness only).
    PowerCut,
}

impl fmt::Display for CfiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CfiError::OutOfBounds => f.write_str("flash access out of bounds"),
            CfiError::NotAligned => f.write_str("flash access not aligned"),
            CfiError::WouldSetBits { offset } => {
                write!(f, "program at {offset:#x} would set bits (erase first)")
            }
            CfiError::NotCfi => f.write_str("no CFI flash"),
            CfiError::UnsupportedCommandSet(c) => write!(f, "CFI command set {c:#06x}"),
            CfiError::UnsupportedGeometry => f.write_str("unsupported CFI geometry"),
            CfiError::Timeout { offset } => write!(f, "flash timeout at {offset:#x}"),
            CfiError::EraseFailed { offset } => write!(f, "erase failed at {offset:#x}"),
            CfiError::ProgramFailed { offset } => write!(f, "program failed at {offset:#x}"),
            CfiError::CommandSequence { offset } => {
                write!(f, "command sequence error at {offset:#x}")
            }
            CfiError::VoltageLow { offset } => write!(f, "VPP low at {offset:#x}"),
            CfiError::Locked { offset } => write!(f, "block locked at {offset:#x}"),
            CfiError::VerifyFailed { offset } => write!(f, "read-back mismatch at {offset:#x}"),
            CfiError::PowerCut => f.write_str("power cut during a flash operation"),
        }
    }
}

impl CfiError {
    /// A short name, for consoles without `core::fmt`.
    pub fn name(&self) -> &'static str {
        match self {
            CfiError::OutOfBounds => "out of bounds",
            CfiError::NotAligned => "not aligned",
            CfiError::WouldSetBits { .. } => "program would set bits",
            CfiError::NotCfi => "no CFI flash",
            CfiError::UnsupportedCommandSet(_) => "unsupported CFI command set",
            CfiError::UnsupportedGeometry => "unsupported CFI geometry",
            CfiError::Timeout { .. } => "timeout",
            CfiError::EraseFailed { .. } => "erase failed",
            CfiError::ProgramFailed { .. } => "program failed",
            CfiError::CommandSequence { .. } => "command sequence error",
            CfiError::VoltageLow { .. } => "VPP low",
            CfiError::Locked { .. } => "block locked",
            CfiError::VerifyFailed { .. } => "read-back mismatch",
            CfiError::PowerCut => "power cut",
        }
    }

    /// The device offset the error is about, if any.
    pub fn offset(&self) -> Option<u32> {
        match *self {
            CfiError::WouldSetBits { offset }
            | CfiError::Timeout { offset }
            | CfiError::EraseFailed { offset }
            | CfiError::ProgramFailed { offset }
            | CfiError::CommandSequence { offset }
            | CfiError::VoltageLow { offset }
            | CfiError::Locked { offset }
            | CfiError::VerifyFailed { offset } => Some(offset),
            _ => None,
        }
    }
}

impl NorFlashError for CfiError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            CfiError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            CfiError::NotAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// What the CFI query table says about the bank (sizes in bank bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CfiInfo {
    /// Chips side by side on the 32-bit bus (1, 2 or 4).
    pub interleave: u32,
    /// Primary vendor command set.
    pub command_set: u16,
    /// Bank size.
    pub size: u32,
    /// Erase block size.
    pub block_size: u32,
    /// Number of erase blocks.
    pub blocks: u32,
    /// Write-buffer size (0: no buffered program).
    pub buffer_size: u32,
    /// Maximum word program time, µs.
    pub word_timeout_us: u64,
    /// Maximum buffer program time, µs.
    pub buffer_timeout_us: u64,
    /// Maximum block erase time, µs.
    pub erase_timeout_us: u64,
}

/// 2^(typ + max) as a time, saturating; a missing maximum means 16 × typical.
fn max_time(typ: u8, max: u8) -> u64 {
    let max = if max == 0 { 4 } else { u32::from(max) };
    let shift = u32::from(typ) + max;
    if shift >= 40 {
        1 << 40
    } else {
        1 << shift
    }
}

impl CfiInfo {
    /// Parse the query table of one chip (`q(i)` = byte at query offset `i`)
    /// for a bank of `interleave` chips.
    pub fn parse(interleave: u32, mut q: impl FnMut(u32) -> u8) -> Result<CfiInfo, CfiError> {
        if [
            q(query::SIGNATURE),
            q(query::SIGNATURE + 1),
            q(query::SIGNATURE + 2),
        ] != *b"QRY"
        {
            return Err(CfiError::NotCfi);
        }
        let q16 =
            |q: &mut dyn FnMut(u32) -> u8, at: u32| u16::from(q(at)) | (u16::from(q(at + 1)) << 8);
        let command_set = q16(&mut q, query::COMMAND_SET);
        if command_set != 0x0001 && command_set != 0x0003 {
            return Err(CfiError::UnsupportedCommandSet(command_set));
        }
        let device_log2 = u32::from(q(query::DEVICE_SIZE));
        let regions = q(query::REGIONS);
        let count = u32::from(q16(&mut q, query::REGION1)) + 1;
        let unit = u32::from(q16(&mut q, query::REGION1 + 2));
        let chip_block = if unit == 0 { 128 } else { unit * 256 };
        let buffer_log2 = u32::from(q16(&mut q, query::BUFFER_SIZE));
        if regions != 1 || device_log2 >= 32 || buffer_log2 >= 16 {
            return Err(CfiError::UnsupportedGeometry);
        }
        let chip_size = 1u64 << device_log2;
        let size = chip_size * u64::from(interleave);
        let block_size = chip_block * interleave;
        if size > u64::from(u32::MAX)
            || u64::from(count) * u64::from(chip_block) != chip_size
            || !block_size.is_power_of_two()
        {
            return Err(CfiError::UnsupportedGeometry);
        }
        let buffer_time = q(query::BUFFER_TIME);
        let buffer_size = if buffer_log2 == 0 || buffer_time == 0 {
            0
        } else {
            (1u32 << buffer_log2) * interleave
        };
        Ok(CfiInfo {
            interleave,
            command_set,
            size: size as u32,
            block_size,
            blocks: count,
            buffer_size: buffer_size.min(block_size),
            word_timeout_us: max_time(q(query::WORD_TIME), q(query::WORD_TIME_MAX)),
            buffer_timeout_us: max_time(buffer_time, q(query::BUFFER_TIME_MAX)),
            erase_timeout_us: max_time(q(query::ERASE_TIME), q(query::ERASE_TIME_MAX))
                .saturating_mul(1000),
        })
    }
}

/// The flash bank: a CFI NOR flash behind a [`Bus`], with a [`Clock`] for
/// deadlines and a [`Monitor`].
#[derive(Debug)]
pub struct CfiFlash<B, C, M = NoMonitor> {
    bus: B,
    clock: C,
    monitor: M,
    info: CfiInfo,
    /// A command byte times this is the command for every chip.
    replicate: u32,
    /// The last error, in full (the generic crates only keep its kind).
    last_error: Option<CfiError>,
}

/// Words compared and programmed per step of a program call (a stack buffer).
const WORDS: usize = 64;

impl<B: Bus, C: Clock, M: Monitor> CfiFlash<B, C, M> {
    /// Identify the bank by its CFI query table and return the driver, the
    /// bank in read-array mode.
    pub fn probe(mut bus: B, clock: C, monitor: M) -> Result<Self, CfiError> {
        // Whatever mode a reset left: clear status, read array, then query.
        // The command goes to every lane; the answer tells how many chips
        // share the bus.
        bus.write(0, 0x0101_0101 * u32::from(cmd::CLEAR_STATUS));
        bus.write(0, 0x0101_0101 * u32::from(cmd::READ_ARRAY));
        bus.write(
            cmd::CFI_QUERY_ADDRESS * 4,
            0x0101_0101 * u32::from(cmd::CFI_QUERY),
        );
        let q = bus.read(query::SIGNATURE * 4);
        let (interleave, replicate) = match q {
            0x0000_0051 => (1, 1),
            0x0051_0051 => (2, 0x0001_0001),
            0x5151_5151 => (4, 0x0101_0101),
            _ => {
                bus.write(0, 0x0101_0101 * u32::from(cmd::READ_ARRAY));
                return Err(CfiError::NotCfi);
            }
        };
        let lane_mask = match interleave {
            1 => u32::MAX,
            2 => 0xFFFF,
            _ => 0xFF,
        };
        // Every chip must answer the same table.
        let mut consistent = true;
        let info = CfiInfo::parse(interleave, |i| {
            let v = bus.read(i * 4);
            if v != (v & lane_mask).wrapping_mul(replicate) {
                consistent = false;
            }
            (v & 0xFF) as u8
        });
        bus.write(0, replicate * u32::from(cmd::READ_ARRAY));
        let info = info?;
        if !consistent {
            return Err(CfiError::NotCfi);
        }
        Ok(CfiFlash {
            bus,
            clock,
            monitor,
            info,
            replicate,
            last_error: None,
        })
    }

    /// The most recent error of an erase or a program (the generic crates
    /// reduce errors to a [`NorFlashErrorKind`]; this keeps the detail).
    pub fn last_error(&self) -> Option<CfiError> {
        self.last_error
    }

    fn note<T>(&mut self, r: Result<T, CfiError>) -> Result<T, CfiError> {
        if let Err(e) = &r {
            self.last_error = Some(*e);
        }
        r
    }

    /// What the query table said.
    pub fn info(&self) -> &CfiInfo {
        &self.info
    }

    /// The monitor.
    pub fn monitor(&mut self) -> &mut M {
        &mut self.monitor
    }

    /// The bus (to inspect a simulated chip in tests).
    pub fn bus(&mut self) -> &mut B {
        &mut self.bus
    }

    fn command(&mut self, offset: u32, command: u8) {
        self.bus.write(offset, self.replicate * u32::from(command));
    }

    fn check_range(&self, offset: u32, len: usize) -> Result<(), CfiError> {
        let len = u32::try_from(len).map_err(|_| CfiError::OutOfBounds)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.info.size => Ok(()),
            _ => Err(CfiError::OutOfBounds),
        }
    }

    /// Status of every chip: (all ready, OR of their error bits).
    fn status(&mut self, offset: u32) -> (bool, u8) {
        let v = self.bus.read(offset);
        let mut ready = true;
        let mut errors = 0;
        for lane in 0..self.info.interleave {
            let sr = (v >> (lane * 32 / self.info.interleave)) as u8;
            ready &= sr & status::READY != 0;
            errors |= sr & status::ERRORS;
        }
        (ready, errors)
    }

    /// Poll until every chip is ready or `timeout_us` passed; then turn the
    /// error bits into an error, and leave the bank in read-array mode.
    fn wait_ready(&mut self, offset: u32, timeout_us: u64) -> Result<(), CfiError> {
        let start = self.clock.ticks();
        let budget = timeout_us.saturating_mul(self.clock.ticks_per_second()) / 1_000_000;
        let errors = loop {
            let (ready, errors) = self.status(offset);
            if ready {
                break errors;
            }
            if self.clock.ticks().wrapping_sub(start) > budget {
                // One last look: the deadline may have passed while we were
                // not polling.
                match self.status(offset) {
                    (true, errors) => break errors,
                    // Still busy: a read-array command would be ignored now.
                    _ => return Err(CfiError::Timeout { offset }),
                }
            }
        };
        if errors != 0 {
            self.command(offset, cmd::CLEAR_STATUS);
        }
        self.command(offset, cmd::READ_ARRAY);
        let both = status::ERASE_ERROR | status::PROGRAM_ERROR;
        if errors & status::LOCKED != 0 {
            Err(CfiError::Locked { offset })
        } else if errors & status::VPP_LOW != 0 {
            Err(CfiError::VoltageLow { offset })
        } else if errors & both == both {
            Err(CfiError::CommandSequence { offset })
        } else if errors & status::ERASE_ERROR != 0 {
            Err(CfiError::EraseFailed { offset })
        } else if errors & status::PROGRAM_ERROR != 0 {
            Err(CfiError::ProgramFailed { offset })
        } else {
            Ok(())
        }
    }

    fn erase_block(&mut self, offset: u32, cut: Cut) -> Result<(), CfiError> {
        self.command(offset, cmd::BLOCK_ERASE);
        self.command(offset, cmd::CONFIRM);
        if cut == Cut::Midway {
            return Err(CfiError::PowerCut);
        }
        let timeout = self.info.erase_timeout_us;
        self.wait_ready(offset, timeout)
    }

    fn word_program(&mut self, offset: u32, value: u32) -> Result<(), CfiError> {
        self.command(offset, cmd::WORD_PROGRAM);
        self.bus.write(offset, value);
        let timeout = self.info.word_timeout_us;
        self.wait_ready(offset, timeout)
    }

    /// Buffered program of `words` at `offset` (2 or more words inside one
    /// write-buffer window).
    fn buffer_program(&mut self, offset: u32, words: &[u32]) -> Result<(), CfiError> {
        let timeout = self.info.buffer_timeout_us;
        self.command(offset, cmd::BUFFERED_PROGRAM);
        // Extended status: SR.7 says the buffer is free.
        let start = self.clock.ticks();
        let budget = timeout.saturating_mul(self.clock.ticks_per_second()) / 1_000_000;
        while !self.status(offset).0 {
            if self.clock.ticks().wrapping_sub(start) > budget {
                return Err(CfiError::Timeout { offset });
            }
            self.command(offset, cmd::BUFFERED_PROGRAM);
        }
        let count = u32::try_from(words.len()).map_err(|_| CfiError::OutOfBounds)?;
        self.bus
            .write(offset, self.replicate.wrapping_mul(count.saturating_sub(1)));
        let mut at = offset;
        for w in words {
            self.bus.write(at, *w);
            at += 4;
        }
        self.command(offset, cmd::CONFIRM);
        self.wait_ready(offset, timeout)
    }

    /// Program `data` (aligned, NOR rules already checked) at `offset`.
    fn program(&mut self, offset: u32, data: &[u8]) -> Result<(), CfiError> {
        let window = if self.info.buffer_size >= 8 {
            self.info.buffer_size
        } else {
            4
        };
        let mut at = offset;
        let mut rest = data;
        while !rest.is_empty() {
            // Up to the end of this write-buffer window, at most WORDS words.
            let room = (window - at % window) as usize;
            let take = room.min(rest.len()).min(WORDS * 4);
            let (chunk, tail) = rest.split_at(take.min(rest.len()));
            let mut words = [0u32; WORDS];
            let mut first = None;
            let mut last = 0;
            for (i, (slot, b)) in words.iter_mut().zip(chunk.chunks_exact(4)).enumerate() {
                *slot = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                let a = at + 4 * i as u32;
                if self.bus.read(a) != *slot {
                    first.get_or_insert(i);
                    last = i;
                }
            }
            if let Some(first) = first {
                let span = words.get(first..=last).unwrap_or(&[]);
                let start = at + 4 * first as u32;
                if span.len() >= 2 && self.info.buffer_size >= 8 {
                    self.buffer_program(start, span)?;
                } else {
                    let mut a = start;
                    for w in span {
                        if self.bus.read(a) != *w {
                            self.word_program(a, *w)?;
                        }
                        a += 4;
                    }
                }
                let mut a = start;
                for w in span {
                    if self.bus.read(a) != *w {
                        return Err(CfiError::VerifyFailed { offset: a });
                    }
                    a += 4;
                }
            }
            at += take as u32;
            rest = tail;
        }
        Ok(())
    }

    /// Fail unless programming `data` at `offset` only clears bits.
    fn check_only_clears(&mut self, offset: u32, data: &[u8]) -> Result<(), CfiError> {
        let mut at = offset;
        for b in data.chunks_exact(4) {
            let new = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            if new & !self.bus.read(at) != 0 {
                return Err(CfiError::WouldSetBits { offset: at });
            }
            at += 4;
        }
        Ok(())
    }
}

impl<B: Bus, C: Clock, M: Monitor> Flash for CfiFlash<B, C, M> {
    type Error = CfiError;

    fn geometry(&self) -> Geometry {
        Geometry {
            capacity: self.info.size,
            erase_size: self.info.block_size,
            write_size: 4,
            erased_byte: 0xFF,
        }
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), CfiError> {
        self.check_range(offset, buf.len())?;
        // The bank rests in read-array mode: plain bus reads, one per word.
        let mut word = (u32::MAX, [0u8; 4]);
        let mut at = offset;
        for slot in buf.iter_mut() {
            let aligned = at & !3;
            if word.0 != aligned {
                word = (aligned, self.bus.read(aligned).to_le_bytes());
            }
            *slot = word.1[(at & 3) as usize];
            at = at.wrapping_add(1);
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), CfiError> {
        let r = self.write_inner(offset, data);
        self.note(r)
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), CfiError> {
        let r = self.erase_inner(from, to);
        self.note(r)
    }
}

/// A [`CfiFlash`] whose erase-block size `BLOCK` is in the type: an
/// `embedded-storage` [`NorFlash`](embedded_storage::nor_flash::NorFlash)
/// (whose geometry is associated constants), to hand the bank to code
/// written against those traits. Made by [`CfiFlash::into_nor_flash`],
/// which checks `BLOCK` against what the chip's query table says.
#[derive(Debug)]
pub struct CfiNorFlash<const BLOCK: usize, B, C, M = NoMonitor>(CfiFlash<B, C, M>);

impl<B: Bus, C: Clock, M: Monitor> CfiFlash<B, C, M> {
    /// This flash as an `embedded-storage` `NorFlash` with `BLOCK`-byte
    /// erase blocks; [`CfiError::UnsupportedGeometry`] when the chip's
    /// blocks are of another size.
    pub fn into_nor_flash<const BLOCK: usize>(
        self,
    ) -> Result<CfiNorFlash<BLOCK, B, C, M>, CfiError> {
        if self.info.block_size as usize != BLOCK {
            return Err(CfiError::UnsupportedGeometry);
        }
        Ok(CfiNorFlash(self))
    }
}

impl<const BLOCK: usize, B, C, M> CfiNorFlash<BLOCK, B, C, M> {
    /// The driver inside.
    pub fn into_inner(self) -> CfiFlash<B, C, M> {
        self.0
    }
}

impl<const BLOCK: usize, B: Bus, C: Clock, M: Monitor> embedded_storage::nor_flash::ErrorType
    for CfiNorFlash<BLOCK, B, C, M>
{
    type Error = CfiError;
}

impl<const BLOCK: usize, B: Bus, C: Clock, M: Monitor> embedded_storage::nor_flash::ReadNorFlash
    for CfiNorFlash<BLOCK, B, C, M>
{
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), CfiError> {
        Flash::read(&mut self.0, offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.0.info.size as usize
    }
}

impl<const BLOCK: usize, B: Bus, C: Clock, M: Monitor> embedded_storage::nor_flash::NorFlash
    for CfiNorFlash<BLOCK, B, C, M>
{
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = BLOCK;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), CfiError> {
        Flash::erase(&mut self.0, from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), CfiError> {
        Flash::write(&mut self.0, offset, bytes)
    }
}

impl<B: Bus, C: Clock, M: Monitor> CfiFlash<B, C, M> {
    fn write_inner(&mut self, offset: u32, data: &[u8]) -> Result<(), CfiError> {
        if !offset.is_multiple_of(4) || !data.len().is_multiple_of(4) {
            return Err(CfiError::NotAligned);
        }
        self.check_range(offset, data.len())?;
        self.check_only_clears(offset, data)?;
        let op = Operation::Program {
            offset,
            len: data.len() as u32,
        };
        match self.monitor.before(op) {
            Cut::No => self.program(offset, data),
            Cut::Before => {
                self.monitor.cut(op);
                Err(CfiError::PowerCut)
            }
            Cut::Midway => {
                let half = data.len() / 2 / 4 * 4;
                self.program(offset, data.get(..half).unwrap_or(&[]))?;
                self.monitor.cut(op);
                Err(CfiError::PowerCut)
            }
        }
    }

    fn erase_inner(&mut self, from: u32, to: u32) -> Result<(), CfiError> {
        let block = self.info.block_size;
        if from > to || to > self.info.size {
            return Err(CfiError::OutOfBounds);
        }
        if !from.is_multiple_of(block) || !to.is_multiple_of(block) {
            return Err(CfiError::NotAligned);
        }
        let mut at = from;
        while at < to {
            let op = Operation::Erase {
                offset: at,
                len: block,
            };
            let cut = self.monitor.before(op);
            if cut == Cut::Before {
                self.monitor.cut(op);
                return Err(CfiError::PowerCut);
            }
            let r = self.erase_block(at, cut);
            if cut == Cut::Midway {
                self.monitor.cut(op);
            }
            r?;
            at += block;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
