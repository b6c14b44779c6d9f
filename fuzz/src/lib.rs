//! What the fuzz targets share: the oracle each of them asserts against.
//!
//! * [`images`]: fixed signing keys, the keystore the targets trust, a
//!   catalogue of images signed on purpose, and the [`images::Registry`] of
//!   every legitimately signed digest. "Only a legitimately signed image
//!   verifies" is checked against that registry, not against the verifier's
//!   own opinion.
//! * [`reference`]: wolfBoot's `wolfBoot_find_header` written again from the
//!   C source, and the image digest recomputed with it: an implementation
//!   independent of `wolfboot-image-format` and `wolfboot-verify`.
//! * [`rig`]: flash layouts on [`wolfboot_hal_flash::MemFlash`] with guard
//!   sectors around every partition, the bootloader over them, and the
//!   checks made after every boot (what is booted is legitimately signed,
//!   nothing outside the partitions changed).
//! * [`pq`]: wolfBoot's post-quantum vectors taken apart (scheme, key,
//!   signature, digest) for the post-quantum targets.
//! * [`seeds`]: seed inputs per target, written into the corpus folder named
//!   by `WOLFBOOT_FUZZ_SEEDS` when a target starts (`cargo xtask fuzz` sets it).
//!
//! The harness code may panic: a panic is how a fuzz target reports a
//! broken invariant.

pub mod images;
pub mod pq;
pub mod reference;
pub mod rig;
pub mod seeds;

/// Whether `WOLFBOOT_FUZZ_DEBUG` is set: targets then print what they decode
/// (to replay a crash with its input spelled out).
pub fn debug() -> bool {
    static DEBUG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("WOLFBOOT_FUZZ_DEBUG").is_some())
}
