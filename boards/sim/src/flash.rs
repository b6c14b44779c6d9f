//! The flash file both programs open.

use std::path::{Path, PathBuf};

use wolfboot_hal_flash::{FileFlash, FlashStats, PowerSupply, SingleFlash};

use crate::config::{flash_config, FLASH_ENV, FLASH_FILE};

/// The flash of the sim board: one file-backed device.
pub type SimFlash = SingleFlash<FileFlash>;

/// The flash file to use: `$WOLFBOOT_SIM_FLASH`, else `internal_flash.dd`
/// in the current directory (as wolfBoot's sim).
pub fn default_path() -> PathBuf {
    std::env::var_os(FLASH_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(FLASH_FILE))
}

/// Open the flash file; `cut_after` makes the power fail after that many
/// more erase/program operations.
pub fn open(path: &Path, cut_after: Option<u64>) -> Result<SimFlash, String> {
    let power = PowerSupply::new();
    if let Some(n) = cut_after {
        power.cut_after(n);
    }
    FileFlash::open_with_power(path, flash_config(), power)
        .map(SingleFlash)
        .map_err(|e| format!("cannot open flash file {}: {e}", path.display()))
}

/// Whether the power has been cut (a "power failure" ends the program).
pub fn power_is_off(flash: &SimFlash) -> bool {
    flash.0.mem().power().is_off()
}

/// Operation counts since the file was opened.
pub fn stats(flash: &SimFlash) -> FlashStats {
    flash.0.stats()
}

/// One line of flash figures, for the programs' reports.
pub fn describe(stats: &FlashStats) -> String {
    format!(
        "erases={} programs={} bytes_written={}",
        stats.sectors_erased, stats.programs, stats.bytes_written
    )
}
