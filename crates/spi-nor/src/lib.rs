//! A JEDEC SPI NOR flash driver on `embedded-hal` 1.0's [`SpiDevice`].
//!
//! Runs on any HAL that implements `SpiDevice` (the HAL owns the bus and the
//! chip select: one `transaction` is one command, chip select low from its
//! first byte to its last). [`SpiNor::probe`] reads the JEDEC ID and the SFDP
//! Basic Flash Parameter Table (capacity, 4 KiB erase opcode, page size,
//! address bytes), falling back to the JEDEC capacity code for chips without
//! SFDP; the driver then offers
//!
//! * READ `0x03` (or FAST READ `0x0B` with one dummy byte, [`ReadCommand`]),
//! * page program `0x02`, split at page boundaries (a chip wraps inside a
//!   page instead of crossing it),
//! * 4 KiB sector erase (`0x20`, or the SFDP opcode),
//! * above 16 MiB the 4-byte-address opcodes `0x13` / `0x0C` / `0x12` / `0x21`
//!   (stateless: no "enter 4-byte mode" that a reset would forget),
//! * WRITE ENABLE `0x06` before every program or erase, checked through the
//!   WEL status bit ([`Error::WriteProtected`] when the chip refuses),
//! * status polling (`0x05`, WIP) with a bound ([`Error::Busy`] past it),
//! * NOR rules: erase only whole aligned sectors, and (with
//!   [`Config::verify`]) every program and erase read back: a program that
//!   tried to raise a bit, or a protected or worn sector, is
//!   [`Error::Verify`], never silent.
//!
//! [`SpiNor`] implements `embedded-storage` 0.3 [`NorFlash`] (write size 1,
//! erase size 4096) and [`MultiwriteNorFlash`] (a byte may be programmed
//! again to clear more bits), and so `wolfboot_hal_flash::Flash`, the
//! bootloader's flash contract.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

use embedded_hal::spi::{Operation, SpiDevice};
use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

pub mod sfdp;

/// The command opcodes this driver sends.
pub mod opcode {
    /// WRITE ENABLE.
    pub const WREN: u8 = 0x06;
    /// READ STATUS REGISTER 1.
    pub const RDSR: u8 = 0x05;
    /// READ (3-byte address).
    pub const READ: u8 = 0x03;
    /// FAST READ (3-byte address, one dummy byte).
    pub const FAST_READ: u8 = 0x0B;
    /// PAGE PROGRAM (3-byte address).
    pub const PP: u8 = 0x02;
    /// 4 KiB SECTOR ERASE (3-byte address).
    pub const SE_4K: u8 = 0x20;
    /// READ (4-byte address).
    pub const READ4: u8 = 0x13;
    /// FAST READ (4-byte address, one dummy byte).
    pub const FAST_READ4: u8 = 0x0C;
    /// PAGE PROGRAM (4-byte address).
    pub const PP4: u8 = 0x12;
    /// 4 KiB SECTOR ERASE (4-byte address).
    pub const SE4_4K: u8 = 0x21;
    /// READ JEDEC ID.
    pub const RDID: u8 = 0x9F;
    /// READ SFDP (3-byte address, one dummy byte).
    pub const RDSFDP: u8 = 0x5A;
}

/// Status register 1: write in progress.
pub const SR_WIP: u8 = 1 << 0;
/// Status register 1: write enable latch.
pub const SR_WEL: u8 = 1 << 1;

/// The erase unit this driver uses (and `NorFlash::ERASE_SIZE`).
pub const SECTOR_SIZE: u32 = 4096;

/// Errors of the driver; `E` is the SPI bus error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error<E> {
    /// The SPI device failed.
    Spi(E),
    /// The JEDEC ID reads as all 0x00 or all 0xFF: no chip answers.
    NoChip,
    /// SFDP is present but its Basic Flash Parameter Table is malformed.
    BadSfdp(sfdp::SfdpError),
    /// The chip needs what this driver does not do: no 4 KiB erase,
    /// 4-byte-only addressing, more than 4 GiB, or (without SFDP) a JEDEC
    /// capacity code it cannot read.
    Unsupported,
    /// WRITE ENABLE did not set the WEL bit: the chip is write protected
    /// (WP# asserted with the status register protected, or locked).
    WriteProtected,
    /// The chip still reported WIP after the configured number of status reads.
    Busy,
    /// The access falls outside the chip.
    OutOfBounds,
    /// The erase range is not sector aligned.
    NotAligned,
    /// Read-back after a program or erase differs at this offset: a program
    /// tried to turn a 0 bit back into 1 (NOR rule), or the sector is
    /// protected or worn.
    Verify {
        /// Absolute offset of the first differing byte.
        offset: u32,
    },
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spi(e) => write!(f, "SPI bus error: {e:?}"),
            Error::NoChip => f.write_str("no SPI NOR chip answers (JEDEC ID all 0x00 or 0xFF)"),
            Error::BadSfdp(e) => write!(f, "malformed SFDP table: {e:?}"),
            Error::Unsupported => f.write_str("SPI NOR chip geometry not supported"),
            Error::WriteProtected => f.write_str("SPI NOR chip is write protected"),
            Error::Busy => f.write_str("SPI NOR chip stayed busy past the polling bound"),
            Error::OutOfBounds => f.write_str("SPI NOR access out of bounds"),
            Error::NotAligned => f.write_str("SPI NOR erase not sector aligned"),
            Error::Verify { offset } => write!(f, "SPI NOR read-back mismatch at {offset:#x}"),
        }
    }
}

impl<E: fmt::Debug> NorFlashError for Error<E> {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Error::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Error::NotAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// Which read command the driver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadCommand {
    /// READ 0x03 / 0x13: no dummy cycles, limited clock on real chips.
    Normal,
    /// FAST READ 0x0B / 0x0C: one dummy byte, full clock.
    Fast,
}

/// Driver settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Read command.
    pub read: ReadCommand,
    /// Read back every programmed page and erased sector.
    pub verify: bool,
    /// Status reads allowed for one page program before [`Error::Busy`].
    pub program_polls: u32,
    /// Status reads allowed for one sector erase before [`Error::Busy`].
    pub erase_polls: u32,
}

impl Config {
    /// READ 0x03, verification on, bounds generous enough for a 400 ms
    /// sector erase at tens of MHz.
    pub const DEFAULT: Config = Config {
        read: ReadCommand::Normal,
        verify: true,
        program_polls: 100_000,
        erase_polls: 10_000_000,
    };
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// Where the geometry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometrySource {
    /// The SFDP Basic Flash Parameter Table.
    Sfdp,
    /// No SFDP: the JEDEC capacity code (third ID byte, 2^N bytes), 256-byte
    /// pages and erase opcode 0x20, as the 25-series chips have.
    JedecId,
}

/// What [`SpiNor::probe`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipInfo {
    /// Manufacturer, memory type, capacity code.
    pub jedec_id: [u8; 3],
    /// Capacity in bytes.
    pub capacity: u32,
    /// Page-program buffer size in bytes.
    pub page_size: u32,
    /// 4 KiB erase opcode (3-byte address form).
    pub erase_opcode: u8,
    /// Address bytes used: 3, or 4 (with the 4-byte opcodes) above 16 MiB.
    pub address_bytes: u8,
    /// Where the geometry came from.
    pub source: GeometrySource,
}

/// A SPI NOR flash chip behind an `embedded-hal` 1.0 [`SpiDevice`].
#[derive(Debug)]
pub struct SpiNor<S> {
    spi: S,
    info: ChipInfo,
    config: Config,
}

/// Largest page buffer accepted (verification reads a page into it).
const MAX_PAGE: usize = 512;

impl<S: SpiDevice> SpiNor<S> {
    /// Identify the chip (JEDEC ID, SFDP) and return a driver for it.
    pub fn probe(mut spi: S, config: Config) -> Result<Self, Error<S::Error>> {
        let mut id = [0u8; 3];
        spi.transaction(&mut [Operation::Write(&[opcode::RDID]), Operation::Read(&mut id)])
            .map_err(Error::Spi)?;
        if id == [0; 3] || id == [0xFF; 3] {
            return Err(Error::NoChip);
        }
        let info = match read_sfdp(&mut spi)? {
            Some(p) => {
                if p.address == sfdp::AddressBytes::Four {
                    return Err(Error::Unsupported);
                }
                let erase_opcode = p.erase_4k.ok_or(Error::Unsupported)?;
                let capacity = u32::try_from(p.capacity).map_err(|_| Error::Unsupported)?;
                chip_info(
                    id,
                    capacity,
                    p.page_size,
                    erase_opcode,
                    GeometrySource::Sfdp,
                )?
            }
            None => {
                let code = id[2];
                if !(16..=31).contains(&code) {
                    return Err(Error::Unsupported);
                }
                chip_info(id, 1 << code, 256, opcode::SE_4K, GeometrySource::JedecId)?
            }
        };
        Ok(SpiNor { spi, info, config })
    }

    /// What the probe found.
    pub fn info(&self) -> &ChipInfo {
        &self.info
    }

    /// Give the SPI device back.
    pub fn release(self) -> S {
        self.spi
    }

    /// Read status register 1.
    pub fn status(&mut self) -> Result<u8, Error<S::Error>> {
        let mut sr = [0u8];
        self.spi
            .transaction(&mut [Operation::Write(&[opcode::RDSR]), Operation::Read(&mut sr)])
            .map_err(Error::Spi)?;
        Ok(sr[0])
    }

    fn wait_ready(&mut self, polls: u32) -> Result<(), Error<S::Error>> {
        for _ in 0..polls.max(1) {
            if self.status()? & SR_WIP == 0 {
                return Ok(());
            }
        }
        Err(Error::Busy)
    }

    fn write_enable(&mut self) -> Result<(), Error<S::Error>> {
        self.wait_ready(self.config.erase_polls)?;
        self.spi.write(&[opcode::WREN]).map_err(Error::Spi)?;
        if self.status()? & SR_WEL == 0 {
            return Err(Error::WriteProtected);
        }
        Ok(())
    }

    /// Command byte plus address: `(bytes, length)`.
    fn command(&self, op3: u8, op4: u8, addr: u32) -> ([u8; 5], usize) {
        let a = addr.to_be_bytes();
        if self.info.address_bytes == 4 {
            ([op4, a[0], a[1], a[2], a[3]], 5)
        } else {
            ([op3, a[1], a[2], a[3], 0], 4)
        }
    }

    fn check(&self, offset: u32, len: usize) -> Result<(), Error<S::Error>> {
        let end = u64::from(offset) + len as u64;
        if end > u64::from(self.info.capacity) {
            return Err(Error::OutOfBounds);
        }
        Ok(())
    }

    /// Read `buf.len()` bytes at `offset`.
    pub fn read_into(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Error<S::Error>> {
        self.check(offset, buf.len())?;
        if buf.is_empty() {
            return Ok(());
        }
        self.wait_ready(self.config.erase_polls)?;
        let (cmd, len, dummy) = match self.config.read {
            ReadCommand::Normal => {
                let (c, l) = self.command(opcode::READ, opcode::READ4, offset);
                (c, l, 0)
            }
            ReadCommand::Fast => {
                let (c, l) = self.command(opcode::FAST_READ, opcode::FAST_READ4, offset);
                (c, l, 1)
            }
        };
        let mut header = [0u8; 6];
        header[..len].copy_from_slice(&cmd[..len]);
        self.spi
            .transaction(&mut [
                Operation::Write(&header[..len + dummy]),
                Operation::Read(buf),
            ])
            .map_err(Error::Spi)
    }

    /// Program `data` at `offset` (bits only go from 1 to 0), split at page
    /// boundaries.
    pub fn program(&mut self, mut offset: u32, mut data: &[u8]) -> Result<(), Error<S::Error>> {
        self.check(offset, data.len())?;
        while !data.is_empty() {
            let room = (self.info.page_size - offset % self.info.page_size) as usize;
            let (chunk, rest) = data.split_at(room.min(data.len()));
            self.write_enable()?;
            let (cmd, len) = self.command(opcode::PP, opcode::PP4, offset);
            self.spi
                .transaction(&mut [Operation::Write(&cmd[..len]), Operation::Write(chunk)])
                .map_err(Error::Spi)?;
            self.wait_ready(self.config.program_polls)?;
            if self.config.verify {
                let mut back = [0u8; MAX_PAGE];
                let back = &mut back[..chunk.len()];
                self.read_into(offset, back)?;
                if let Some(i) = back.iter().zip(chunk).position(|(b, d)| b != d) {
                    return Err(Error::Verify {
                        offset: offset + i as u32,
                    });
                }
            }
            offset += chunk.len() as u32;
            data = rest;
        }
        Ok(())
    }

    /// Erase the 4 KiB sectors of `[from, to)`; both sector aligned.
    pub fn erase_range(&mut self, from: u32, to: u32) -> Result<(), Error<S::Error>> {
        if from > to || to > self.info.capacity {
            return Err(Error::OutOfBounds);
        }
        if !from.is_multiple_of(SECTOR_SIZE) || !to.is_multiple_of(SECTOR_SIZE) {
            return Err(Error::NotAligned);
        }
        let mut sector = from;
        while sector < to {
            self.write_enable()?;
            let op4 = if self.info.erase_opcode == opcode::SE_4K {
                opcode::SE4_4K
            } else {
                // A chip whose SFDP names another 4 KiB opcode: its 4-byte
                // form is not standard, so 4-byte chips must use 0x20.
                self.info.erase_opcode
            };
            let (cmd, len) = self.command(self.info.erase_opcode, op4, sector);
            self.spi.write(&cmd[..len]).map_err(Error::Spi)?;
            self.wait_ready(self.config.erase_polls)?;
            if self.config.verify {
                let mut back = [0u8; 256];
                let mut at = sector;
                while at < sector + SECTOR_SIZE {
                    self.read_into(at, &mut back)?;
                    if let Some(i) = back.iter().position(|&b| b != 0xFF) {
                        return Err(Error::Verify {
                            offset: at + i as u32,
                        });
                    }
                    at += back.len() as u32;
                }
            }
            sector += SECTOR_SIZE;
        }
        Ok(())
    }
}

fn chip_info<E>(
    jedec_id: [u8; 3],
    capacity: u32,
    page_size: u32,
    erase_opcode: u8,
    source: GeometrySource,
) -> Result<ChipInfo, Error<E>> {
    if capacity < SECTOR_SIZE
        || !capacity.is_multiple_of(SECTOR_SIZE)
        || !page_size.is_power_of_two()
        || page_size as usize > MAX_PAGE
    {
        return Err(Error::Unsupported);
    }
    // 4-byte opcodes exist for the standard 0x20 erase only.
    let address_bytes = if capacity > 1 << 24 { 4 } else { 3 };
    if address_bytes == 4 && erase_opcode != opcode::SE_4K {
        return Err(Error::Unsupported);
    }
    Ok(ChipInfo {
        jedec_id,
        capacity,
        page_size,
        erase_opcode,
        address_bytes,
        source,
    })
}

/// Read the BFPT parameters; `None` when the chip has no SFDP.
fn read_sfdp<S: SpiDevice>(spi: &mut S) -> Result<Option<sfdp::BasicParams>, Error<S::Error>> {
    let mut rd = |addr: u32, buf: &mut [u8]| -> Result<(), Error<S::Error>> {
        let a = addr.to_be_bytes();
        spi.transaction(&mut [
            Operation::Write(&[opcode::RDSFDP, a[1], a[2], a[3], 0]),
            Operation::Read(buf),
        ])
        .map_err(Error::Spi)
    };
    let mut header = [0u8; sfdp::HEADER_LEN];
    rd(0, &mut header)?;
    let count = match sfdp::parameter_headers(&header) {
        Ok(n) => n,
        Err(_) => return Ok(None),
    };
    let mut location = None;
    for i in 0..count {
        let mut param = [0u8; sfdp::HEADER_LEN];
        rd(((i + 1) * sfdp::HEADER_LEN) as u32, &mut param)?;
        if let Some(l) = sfdp::bfpt_location(&param) {
            location = Some(l);
            break;
        }
    }
    let location = location.ok_or(Error::BadSfdp(sfdp::SfdpError::NoBasicTable))?;
    let dwords = location.dwords.min(sfdp::BFPT_DWORDS);
    let mut raw = [0u8; 4 * sfdp::BFPT_DWORDS];
    rd(location.pointer, &mut raw[..4 * dwords])?;
    let mut dw = [0u32; sfdp::BFPT_DWORDS];
    for (w, b) in dw.iter_mut().zip(raw.chunks_exact(4)) {
        *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    sfdp::parse_bfpt(&dw[..dwords])
        .map(Some)
        .map_err(Error::BadSfdp)
}

impl<S: SpiDevice> ErrorType for SpiNor<S> {
    type Error = Error<S::Error>;
}

impl<S: SpiDevice> ReadNorFlash for SpiNor<S> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.read_into(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.info.capacity as usize
    }
}

impl<S: SpiDevice> NorFlash for SpiNor<S> {
    const WRITE_SIZE: usize = 1;
    const ERASE_SIZE: usize = SECTOR_SIZE as usize;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.erase_range(from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.program(offset, bytes)
    }
}

/// Programming a byte again only clears more bits on NOR; with
/// [`Config::verify`] an attempt to set a bit is reported, not lost.
impl<S: SpiDevice> MultiwriteNorFlash for SpiNor<S> {}
