//! wolfboot-rs on QEMU's `ast1030-evb` (Cortex-M4) with an external SPI NOR.
//!
//! wolfBoot's `EXT_FLASH` + `EXT_ENCRYPTED` setup: BOOT in the MCU's
//! internal flash (here the SRAM playing it, as on mps2), UPDATE and SWAP on
//! a SPI NOR chip, where they only ever hold ciphertext. The SPI NOR is
//! QEMU's `m25p80` model (`w25q256` by default, any `-M ast1030-evb,fmc-model=`)
//! behind the FMC's chip select 0, driven by [`wolfboot_spi_nor`] through the
//! FMC's user mode ([`smc::FmcCe0`], an `embedded-hal` `SpiDevice`).
//!
//! * [`layout`]: the memory map and the split [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * [`smc`]: the FMC user-mode `SpiDevice` (chip select by CE0 control register).
//! * [`uart`]: UART5 (16550) console.
//! * [`testctl`]: the control block a host harness drives the firmware with:
//!   internal flash kept in a host file, power cut before the N-th flash
//!   operation (on either device), update inbox and key area.
//! * [`jump`]: hand-over to the application.
//!
//! Reused from the mps2 board library: the SRAM NOR flash (`SramFlash`,
//! NOR rules enforced), the number-printing `Console`, semihosting file
//! calls and the keystore verifier.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

pub mod jump;
pub mod layout;
pub mod smc;
pub mod testctl;
pub mod uart;

pub use wolfboot_board_mps2_an385::{ENCRYPTION, TRAILER};

/// What bootloader and application agree on, defined once: this board's
/// layout (BOOT internal, UPDATE and SWAP on the SPI NOR) with the mps2
/// library's trailer and [`ENCRYPTION`] (the secret area at the end of BOOT).
pub const DEVICE: wolfboot_swap_state_machine::DeviceConfig =
    wolfboot_swap_state_machine::DeviceConfig::new(layout::PARTITIONS).with_encryption(ENCRYPTION);

/// wolfBoot's `IMAGE_HEADER_SIZE` of this board (the mps2 library's, whose
/// verifier is reused).
pub const IMAGE_HEADER_SIZE: u32 = wolfboot_board_mps2_an385::layout::IMAGE_HEADER_SIZE;

const _: () = assert!(
    wolfboot_board_mps2_an385::layout::SECTOR_SIZE == layout::SECTOR_SIZE,
    "the reused SramFlash erases the mps2 sector size"
);

#[cfg(not(any(feature = "encrypt-chacha", feature = "encrypt-aes256")))]
compile_error!("this board keeps UPDATE encrypted: choose encrypt-chacha or encrypt-aes256");

/// The internal flash: BOOT in SRAM, NOR rules enforced, harness-watched.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type InternalFlash =
    wolfboot_board_mps2_an385::flash::SramFlash<testctl::BootSram, testctl::HarnessMonitor>;

/// The external flash: the SPI NOR driver on FMC CE0, harness-counted.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type ExternalFlash = testctl::Counted<wolfboot_spi_nor::SpiNor<smc::FmcCe0>>;

/// Both devices as the generic crates' flash set.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlashSet = wolfboot_hal_flash::SplitFlash<InternalFlash, ExternalFlash>;

/// Why the board flash could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeError {
    /// The SPI NOR probe failed.
    Spi(wolfboot_spi_nor::Error<smc::SmcError>),
    /// The SPI NOR (what the probe found) is smaller than the layout needs.
    TooSmall(wolfboot_spi_nor::ChipInfo),
}

/// Take both flash devices: the internal one (loaded from the harness file
/// first when `load`) and the SPI NOR (probed: JEDEC ID, SFDP).
///
/// # Safety
/// Call once per firmware; nothing else may use the FMC or BOOT's SRAM.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_flash(
    settings: Option<testctl::Settings>,
    load: bool,
) -> Result<BoardFlashSet, TakeError> {
    let monitor = testctl::HarnessMonitor::attach(settings, load);
    // SAFETY: forwarded to the caller.
    let cells = unsafe { testctl::BootSram::new() };
    let internal = wolfboot_board_mps2_an385::flash::SramFlash::new(cells, monitor);
    // SAFETY: forwarded to the caller (sole FMC user).
    let spi = unsafe { smc::FmcCe0::new() };
    let nor = wolfboot_spi_nor::SpiNor::probe(spi, wolfboot_spi_nor::Config::DEFAULT)
        .map_err(TakeError::Spi)?;
    if nor.info().capacity < layout::SWAP_OFFSET + layout::SWAP_SIZE {
        return Err(TakeError::TooSmall(*nor.info()));
    }
    Ok(wolfboot_hal_flash::SplitFlash {
        internal,
        external: testctl::Counted(nor),
    })
}

/// The SPI NOR driver of a flash set.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn chip(flash: &BoardFlashSet) -> &wolfboot_spi_nor::ChipInfo {
    flash.external.0.info()
}

/// Print what the SPI NOR probe found (JEDEC ID, capacity, address bytes).
pub fn print_chip(con: &mut impl uart::Console, info: &wolfboot_spi_nor::ChipInfo) {
    con.print("spi-nor: JEDEC ");
    for b in info.jedec_id {
        let d = wolfboot_board_mps2_an385::console::hex_digits(u32::from(b));
        con.put(d[6]);
        con.put(d[7]);
    }
    con.print(", ");
    con.dec(info.capacity >> 10);
    con.print(" KiB, page ");
    con.dec(info.page_size);
    con.print(", ");
    con.dec(u32::from(info.address_bytes));
    con.print("-byte addresses, geometry from ");
    con.println(match info.source {
        wolfboot_spi_nor::GeometrySource::Sfdp => "SFDP",
        wolfboot_spi_nor::GeometrySource::JedecId => "JEDEC ID",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Text(std::string::String);

    impl uart::Console for Text {
        fn put(&mut self, byte: u8) {
            self.0.push(char::from(byte));
        }
    }

    #[test]
    fn chip_line() {
        let info = wolfboot_spi_nor::ChipInfo {
            jedec_id: [0x20, 0xBA, 0x18],
            capacity: 16 << 20,
            page_size: 256,
            erase_opcode: 0x20,
            address_bytes: 3,
            source: wolfboot_spi_nor::GeometrySource::JedecId,
        };
        let mut t = Text(std::string::String::new());
        print_chip(&mut t, &info);
        assert_eq!(
            t.0,
            "spi-nor: JEDEC 20ba18, 16384 KiB, page 256, 3-byte addresses, geometry from JEDEC ID\r\n"
        );
    }
}
