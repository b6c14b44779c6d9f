//! wolfboot-rs on QEMU's `mps2-an385` (Cortex-M3) and its Cortex-M4 twin
//! `mps2-an386` (same memory map and UART; built for `thumbv7em-none-eabi`).
//!
//! A board crate only glues the machine to the generic crates:
//!
//! * [`layout`]: the memory map (bootloader, BOOT, UPDATE, SWAP in the 4 MiB
//!   code SRAM) and the wolfBoot [`PartitionSet`](wolfboot_hal_flash::PartitionSet).
//! * [`flash`]: the code SRAM as an `embedded-storage` NOR flash with NOR rules enforced.
//! * [`console`]: the CMSDK UART0, and number printing without `core::fmt`.
//! * [`jump`]: checking an application vector table and handing over to it.
//! * [`testctl`]: the control block through which a host harness keeps the
//!   flash in a file and cuts power after N flash operations.
//! * [`verifier`]: the swap state machine's image check, by `wolfboot-verify`
//!   with the bootloader's keystore.
//! * `semihost` (target only): QEMU exit status and host file calls.
//! * `mem` (target only): small `memcpy` and `memset` for the firmware.
//! * `bench` (feature `bench`, target only): instruction counts from the
//!   CMSDK timer under QEMU `-icount shift=0`.
//! * `selfcheck` (features `ecdsa-check`, `ed25519-check`, target only):
//!   the check programs' comparison of SHA-256's assembly with its Rust.
//!
//! The bootloader binary is `src/main.rs`; the test application is
//! `examples/mps2-an385-app`.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod console;
pub mod flash;
pub mod jump;
pub mod layout;
pub mod testctl;
pub mod verifier;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use wolfboot_mcu_boot::semihost;

#[cfg(all(feature = "bench", target_arch = "arm", target_os = "none"))]
pub mod bench;

/// The on-chip check programs' shared SHA-256 check (ARMv7-M targets).
#[cfg(all(
    any(feature = "ecdsa-check", feature = "ed25519-check"),
    target_arch = "arm",
    target_feature = "thumb2",
    target_os = "none"
))]
pub mod selfcheck;

/// The board this firmware was built for: `mps2-an385` (Cortex-M3,
/// `thumbv7m-none-eabi`) or `mps2-an386` (Cortex-M4, `thumbv7em-none-eabi`),
/// from the target (build.rs). Same crate, same memory map.
pub const BOARD_NAME: &str = env!("WOLFBOOT_MPS2_BOARD");

/// The bootloader's first line, one string (one print call, not three).
pub const BANNER: &str = concat!("wolfboot-rs bootloader (", env!("WOLFBOOT_MPS2_BOARD"), ")");

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod rt;

#[cfg(all(target_arch = "arm", target_os = "none"))]
mod mem;

/// The flash device of a firmware: the code SRAM above the bootloader,
/// watched by the test harness monitor.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlash = flash::SramFlash<flash::CodeSram, testctl::HarnessMonitor>;

/// The board flash as the generic crates' [`FlashSet`](wolfboot_hal_flash::FlashSet):
/// one internal device holding BOOT, UPDATE and SWAP.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardFlashSet = wolfboot_hal_flash::SingleFlash<BoardFlash>;

/// The flash of a quiet bootloader (feature `quiet`): the same code SRAM
/// and NOR rules, observed by nobody.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type QuietFlashSet =
    wolfboot_hal_flash::SingleFlash<flash::SramFlash<flash::CodeSram, flash::NoMonitor>>;

/// Take the board flash of a quiet bootloader: what QEMU's loader put in
/// the code SRAM, no harness.
///
/// # Safety
/// Call once per firmware; see [`flash::CodeSram::new`].
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_quiet_flash() -> QuietFlashSet {
    // SAFETY: forwarded to the caller.
    let cells = unsafe { flash::CodeSram::new() };
    wolfboot_hal_flash::SingleFlash(flash::SramFlash::new(cells, flash::NoMonitor))
}

/// Take the board flash: the code SRAM above the bootloader, watched by the
/// test harness (which, for the bootloader, loads `flash.bin` first).
///
/// # Safety
/// Call once per firmware; see [`flash::CodeSram::new`].
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub unsafe fn take_flash(settings: Option<testctl::Settings>, load: bool) -> BoardFlashSet {
    let monitor = testctl::HarnessMonitor::attach(settings, load);
    // SAFETY: forwarded to the caller.
    let cells = unsafe { flash::CodeSram::new() };
    wolfboot_hal_flash::SingleFlash(flash::SramFlash::new(cells, monitor))
}

#[cfg(any(
    all(feature = "encrypt-chacha", feature = "encrypt-aes128"),
    all(feature = "encrypt-chacha", feature = "encrypt-aes256"),
    all(feature = "encrypt-aes128", feature = "encrypt-aes256"),
))]
compile_error!("choose at most one of the features encrypt-chacha, encrypt-aes128, encrypt-aes256");

/// The cipher of the UPDATE partition (wolfBoot's `EXT_ENCRYPTED` with
/// `ENCRYPT_WITH_*`), from the `encrypt-*` feature; `None`: updates are
/// stored in plain text. Bootloader and application must agree, so both
/// read it from here.
pub const ENCRYPTION: Option<wolfboot_swap_state_machine::EncryptAlgorithm> =
    if cfg!(feature = "encrypt-chacha") {
        Some(wolfboot_swap_state_machine::EncryptAlgorithm::ChaCha20)
    } else if cfg!(feature = "encrypt-aes128") {
        Some(wolfboot_swap_state_machine::EncryptAlgorithm::Aes128Ctr)
    } else if cfg!(feature = "encrypt-aes256") {
        Some(wolfboot_swap_state_machine::EncryptAlgorithm::Aes256Ctr)
    } else {
        None
    };

/// What bootloader and application agree on, defined once: the layout
/// ([`layout::PARTITIONS`]), wolfBoot's default trailer options (words may
/// be programmed again with bits cleared, so no `NVM_FLASH_WRITEONCE`; flash
/// erases to 0xFF, so no `WOLFBOOT_FLAGS_INVERT`; no `TRAILER_SKIP`) and
/// [`ENCRYPTION`], with which both trailers end below the key and nonce
/// stored at the end of BOOT (`ENCRYPT_TMP_SECRET_OFFSET`), as in wolfBoot.
/// The bootloader takes its `BootConfig` from it (`boot_config`), the
/// application its `WolfBootConfig` (`WolfBootConfig::from_device`).
pub const DEVICE: wolfboot_swap_state_machine::DeviceConfig =
    wolfboot_swap_state_machine::DeviceConfig::new(layout::PARTITIONS).with_encryption(ENCRYPTION);

wolfboot_swap_state_machine::build_setup!(
    /// The bootloader's layout and options as build-time constants: [`DEVICE`]
    /// with this build's `IMAGE_HEADER_SIZE`. The bootloader runs with
    /// [`FixedSetup`](wolfboot_swap_state_machine::FixedSetup) of it, so that
    /// partition offsets and trailer positions fold into the code.
    #[derive(Debug, Clone, Copy)]
    pub BoardSetup {
        layout: DEVICE.layout,
        config: DEVICE.boot_config().with_header_size(layout::IMAGE_HEADER_SIZE),
    }
);

/// The bootloader of this board, over the board flash (`F`: [`BoardFlashSet`]
/// or, quiet, [`QuietFlashSet`]).
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub type BoardBootloader<V, F = BoardFlashSet> = wolfboot_swap_state_machine::Bootloader<
    F,
    V,
    wolfboot_swap_state_machine::FixedSetup<BoardSetup>,
>;

/// The trailer options of [`DEVICE`]: *with* the secret area when
/// [`ENCRYPTION`] is set.
pub const TRAILER: wolfboot_swap_state_machine::TrailerConfig = DEVICE.trailer;

/// Whether the bootloader applies delta (diff) images (feature `delta`).
pub const DELTA: bool = cfg!(feature = "delta");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_ends_below_the_key_area_when_encrypted() {
        let skip = ENCRYPTION.map_or(0, |a| (a.key_len() + a.nonce_len()) as u32);
        assert_eq!(TRAILER.trailer_skip, skip);
        assert!(!TRAILER.write_once && !TRAILER.flags_invert);
        // The trailer (and the key) stay inside BOOT's last sector.
        assert_eq!(
            TRAILER.reserved_len(layout::PARTITION_SIZE, layout::SECTOR_SIZE, false),
            Some(layout::SECTOR_SIZE)
        );
    }

    /// The bootloader is built without swap-state-machine's `write-once`
    /// and `flags-invert` features (so without their code): such trailer
    /// configurations are refused, by the bootloader and by the trailer
    /// operations an application would run, instead of being treated as
    /// ordinary ones. Without an `encrypt-*` feature it has no cipher, and
    /// an encrypted configuration is refused too; DISABLE_BACKUP likewise.
    #[test]
    fn write_once_and_inverted_trailers_are_refused_without_their_features() {
        use wolfboot_hal_flash::{
            Device, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
        };
        use wolfboot_swap_state_machine::{
            BootConfig, BootError, Bootloader, KeystoreVerifier, PartitionTrailer, TrailerConfig,
            TrailerError,
        };
        use wolfboot_verify::Keystore;
        static KEYSTORE: Keystore<'static> = Keystore::new(&[]);
        let layout = PartitionSet {
            boot: Partition::new(Device::Internal, 0, 0x8000),
            update: Partition::new(Device::Internal, 0x8000, 0x8000),
            swap: Partition::new(Device::Internal, 0x1_0000, 0x1000),
            sector_size: 0x1000,
        };
        let flash =
            || SingleFlash(MemFlash::new(MemFlashConfig::new(0x1_1000, 0x1000, 4)).unwrap());
        let write_once = TrailerConfig {
            write_once: true,
            ..TrailerConfig::DEFAULT
        };
        let inverted = TrailerConfig {
            flags_invert: true,
            ..TrailerConfig::DEFAULT
        };
        for (trailer, refused) in [
            (write_once, true),
            (inverted, true),
            (TrailerConfig::DEFAULT, false),
        ] {
            let config = BootConfig {
                trailer,
                header_size: 256,
                ..BootConfig::default()
            };
            let verifier = KeystoreVerifier::<256>::new(&KEYSTORE);
            let boot = Bootloader::new(flash(), verifier, layout, config);
            assert_eq!(matches!(boot, Err(BootError::Unsupported)), refused);
            let mut f = flash();
            let update = PartitionTrailer::of(&layout, PartitionId::Update, trailer);
            let expected = if refused {
                Err(TrailerError::UnsupportedGeometry)
            } else {
                Ok(())
            };
            assert_eq!(update.trigger(&mut f), expected);
        }
        // Likewise an encrypted UPDATE in a build without a cipher.
        let encrypted = BootConfig {
            trailer: TrailerConfig::DEFAULT.with_encrypt_secret(32, 12),
            encryption: Some(wolfboot_swap_state_machine::EncryptAlgorithm::ChaCha20),
            header_size: 256,
            ..BootConfig::default()
        };
        let verifier = KeystoreVerifier::<256>::new(&KEYSTORE);
        let boot = Bootloader::new(flash(), verifier, layout, encrypted);
        assert_eq!(
            matches!(boot, Err(BootError::Unsupported)),
            ENCRYPTION.is_none()
        );
        // And DISABLE_BACKUP, a feature of its own.
        let no_backup = BootConfig {
            disable_backup: true,
            header_size: 256,
            ..BootConfig::default()
        };
        let verifier = KeystoreVerifier::<256>::new(&KEYSTORE);
        let boot = Bootloader::new(flash(), verifier, layout, no_backup);
        assert!(matches!(boot, Err(BootError::Unsupported)));
    }
}
