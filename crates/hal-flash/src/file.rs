//! File-backed NOR flash (for the simulator's `internal_flash.dd`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::vec::Vec;

use crate::error::FlashError;
use crate::flash::{Flash, Geometry};
use crate::mem::{FlashStats, MemFlash, MemFlashConfig, PowerSupply};

/// A NOR flash kept in a file, with the rules, counters and power cuts of
/// [`MemFlash`]. The file is loaded at open and every program or erase
/// (including a torn one) is written through to it, so the file always shows
/// what the flash holds — the layout of wolfBoot's simulator
/// `internal_flash.dd` (device offset = file offset).
#[derive(Debug)]
pub struct FileFlash {
    mem: MemFlash,
    file: File,
}

impl FileFlash {
    /// Open (or create) `path` as a flash of `config.size` bytes. A shorter
    /// file is extended with erased bytes; a longer one is rejected.
    pub fn open<P: AsRef<Path>>(path: P, config: MemFlashConfig) -> Result<Self, FlashError> {
        Self::open_with_power(path, config, PowerSupply::new())
    }

    /// As [`open`](Self::open), on a shared power rail.
    pub fn open_with_power<P: AsRef<Path>>(
        path: P,
        config: MemFlashConfig,
        power: PowerSupply,
    ) -> Result<Self, FlashError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|_| FlashError::Io)?;
        let mut contents = Vec::new();
        file.read_to_end(&mut contents)
            .map_err(|_| FlashError::Io)?;
        let loaded = contents.len();
        // The file's bytes become the mirror as they are: no pass over them.
        let mem = MemFlash::from_vec(config, power, contents)?;
        let mut f = FileFlash { mem, file };
        if loaded < config.size as usize {
            f.sync_range(loaded, config.size as usize)?;
        }
        Ok(f)
    }

    /// The in-memory mirror (counters, power, contents).
    pub fn mem(&self) -> &MemFlash {
        &self.mem
    }
    /// Operation counters.
    pub fn stats(&self) -> FlashStats {
        self.mem.stats()
    }

    fn sync_range(&mut self, start: usize, end: usize) -> Result<(), FlashError> {
        let bytes = self
            .mem
            .contents()
            .get(start..end)
            .ok_or(FlashError::OutOfBounds)?;
        self.file
            .seek(SeekFrom::Start(start as u64))
            .map_err(|_| FlashError::Io)?;
        self.file.write_all(bytes).map_err(|_| FlashError::Io)?;
        self.file.flush().map_err(|_| FlashError::Io)
    }
}

impl Flash for FileFlash {
    type Error = FlashError;

    fn geometry(&self) -> Geometry {
        self.mem.geometry()
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        self.mem.read(offset, buf)
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let r = self.mem.write(offset, data);
        if matches!(r, Ok(()) | Err(FlashError::PowerLoss)) {
            let start = offset as usize;
            self.sync_range(start, start + data.len())?;
        }
        r
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let r = self.mem.erase(from, to);
        if matches!(r, Ok(()) | Err(FlashError::PowerLoss)) && from <= to {
            self.sync_range(from as usize, to as usize)?;
        }
        r
    }
}
