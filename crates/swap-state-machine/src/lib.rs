//! wolfBoot-compatible partition trailer and power-fail-safe swap update.
//!
//! * [`constants`] — wolfBoot's trailer numbers (magic, states, sector
//!   flags, layout); the image's own numbers are
//!   [`wolfboot_image_format::wire`].
//! * [`trailer`] — [`PartitionTrailer`]: magic, [`PartitionState`] and
//!   per-sector [`SectorFlag`] nibbles at the end of BOOT / UPDATE, byte for
//!   byte as wolfBoot writes them, including `NVM_FLASH_WRITEONCE` (two
//!   redundant trailer sectors) and `WOLFBOOT_FLAGS_INVERT` ([`TrailerConfig`]).
//! * [`image`] — the [`ImageVerifier`] contract and [`PartitionReader`], the
//!   one reader of partitions (decrypting encrypted UPDATE). Images are
//!   described with `wolfboot-verify`'s types, re-exported here:
//!   [`ImageSource`], [`VerifiedImage`], [`VerifyError`].
//! * [`boot`] — [`Bootloader::boot`]: the reset-time decision (resume,
//!   rollback, install, emergency fallback) and the three-way swap through SWAP.
//! * [`setup`] — [`Setup`]: the layout and options a bootloader runs
//!   with, as values ([`RuntimeSetup`]) or as build-time constants that
//!   fold into the code ([`FixedSetup`], what boards use).
//! * [`device`] — [`DeviceConfig`]: layout, trailer options and cipher,
//!   what bootloader and application must agree on, defined once per board.
//! * [`secret`] — [`SecretArea`]: the update-encryption key and nonce
//!   stored at the end of BOOT (`EXT_ENCRYPTED`), read by the bootloader,
//!   written and erased by `libwolfboot-rs`.
//! * `delta` (feature `delta`) — applying wolfBoot delta images in place,
//!   forward on install and inverse on rollback.
//! * [`app`] — application-side operations (trigger, success, states) for
//!   `libwolfboot-rs`.
//! * [`verifier`] — [`KeystoreVerifier`], the [`ImageVerifier`] backed by
//!   `wolfboot-verify` and a keystore: what boards use as the bootloader's
//!   verifier (algorithms are `wolfboot-verify` features).
//! * `opcount` (feature `opcount`) — flash operation figures.
//! * `testing` (feature `testing`) — the real swap over any flash without
//!   cryptography: synthetic images, a header-only verifier, an
//!   install-and-roll-back check for flash drivers' tests.
//! * `armored` (feature `armored`) — fault-injection hardening primitives
//!   for the boot decision (see `cargo xtask glitch`).
//!
//! # Algorithm
//!
//! Follows wolfBoot's `update_flash.c` (2.x, with `wolfBoot_swap_and_final_erase`):
//! for each image sector, flags in UPDATE's trailer go NEW → SWAPPING
//! (UPDATE→SWAP copied) → BACKUP (BOOT→UPDATE copied) → UPDATED (SWAP→BOOT
//! copied); then UPDATE is marked
//! FINAL_FLAGS, BOOT's trailer erased and set to TESTING, UPDATE's trailer
//! erased. A reset at any point resumes from the flags.
//!
//! # Deliberate differences from wolfBoot
//!
//! * **Finishing an interrupted final step boots right away.** wolfBoot uses
//!   BOOT's state read *before* resuming the final erase, so a cut after BOOT
//!   became TESTING (or during a rollback) re-runs the swap at once and
//!   installs the other image again. Here, once the interrupted final erase
//!   is completed, the image now in BOOT is verified and booted.
//! * **Rollback marks SUCCESS inside the final step, and this survives
//!   resets.** wolfBoot writes TESTING and, after the step, SUCCESS if it
//!   was a rollback — a cut in between leaves the restored image in TESTING,
//!   to be swapped out again at next reset. Here the final state is chosen
//!   in the final step itself: SUCCESS when BOOT's version is lower than
//!   UPDATE's (a rollback or fallback to an older image; not applied with
//!   `allow_downgrade`, where it cannot be told apart from an update). The
//!   trailer bytes written are the same as wolfBoot's end state.
//! * **Resuming does not need UPDATE's header.** wolfBoot returns early when
//!   UPDATE's header does not open, which a cut while erasing UPDATE's
//!   sector 0 causes; here an update whose sector 0 is past NEW resumes anyway.
//! * **Write-once magic write erases the target copy if it is not blank**
//!   (wolfBoot programs over it unchecked).
//! * **Sectors past both images are not erased after a swap.** wolfBoot
//!   erases the rest of BOOT and UPDATE; nothing reads those sectors (an
//!   updater erases UPDATE as it writes, verification reads header and
//!   payload only), so leaving them saves two erases per unused sector
//!   (46 of 170 for a 160 KB image in 256 KiB partitions of 4 KiB sectors).
//!   Delta installs still erase BOOT past the patched image.
//! * **Chunks that are entirely erased are not programmed** when copying a
//!   sector (same contents, fewer program operations), and erases are issued
//!   one sector at a time.
//! * **Byte-wise trailer writes are read-modify-writes of the device write
//!   unit**, since flash here has a write granularity.
//! * **Encryption (`EXT_ENCRYPTED`, [`BootConfig::encryption`]) and delta
//!   updates (feature `delta`) are supported; `FLAGS_HOME`, self-update and
//!   ELF scattering are not.** The backup written into UPDATE uses the same
//!   keystream base as delivered images (wolfBoot's `FALLBACK_IV_OFFSET` is
//!   not used), and encryption is refused with write-once trailers. See
//!   `docs/encrypted-and-delta-updates.md`.
//! * **Trailer erases clear the magic first, and a trailer without magic is
//!   erased before the magic is written if its bytes are not blank**, so a
//!   torn erase cannot leave stale flags under a valid magic. BOOT is marked
//!   UPDATING while the last clean-up of the final step (UPDATE's trailer)
//!   runs, so a cut there finishes the step instead of rolling back.
//! * **`DISABLE_BACKUP` keeps no progress flags.** wolfBoot marks each copied
//!   sector in UPDATE's trailer; here only BOOT is written. A reset in the
//!   middle of the copy finds UPDATE still triggered and verifies it again:
//!   the copy starts over, as an update or, once BOOT's header already shows
//!   the new version, through the emergency path (UPDATE is never written,
//!   so it always verifies). See [`BootConfig::disable_backup`].
//!
//! Library code has no `unsafe`, no allocation and no panicking paths on any
//! flash content.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
#[cfg(feature = "armored")]
pub mod armored;
pub mod boot;
mod config;
pub mod constants;
mod decision;
#[cfg(feature = "delta")]
mod delta;
pub mod device;
pub mod image;
#[cfg(feature = "opcount")]
pub mod opcount;
pub mod secret;
pub mod setup;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trailer;
pub mod verifier;

pub use boot::{BootAction, BootConfig, BootDecision, BootError, Bootloader, RefuseReason};
pub use device::DeviceConfig;
pub use image::{ImageVerifier, PartitionReader};
pub use secret::{SecretArea, SecretError};
pub use setup::{BuildSetup, FixedSetup, RuntimeSetup, Setup};
pub use trailer::{
    PartitionState, PartitionTrailer, SectorFlag, TrailerConfig, TrailerError, TrailerGeometry,
    TrailerPlace,
};
pub use verifier::{AppImageOptions, KeystoreVerifier, OptionsSource};
pub use wolfboot_encrypt::Algorithm as EncryptAlgorithm;
pub use wolfboot_hal_flash::{Device, FlashFault, FlashSet, Partition, PartitionId, PartitionSet};
pub use wolfboot_verify::{ImageSource, SourceError, VerifiedImage, VerifyError};
