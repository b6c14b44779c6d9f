//! Verification of wolfBoot images: the checks a bootloader makes before it
//! trusts a firmware image, byte-compatible with wolfBoot's `image.c`.
//!
//! An image is a manifest header (see [`wolfboot_image_format`]) followed by
//! the payload. It is accepted when its digest matches the header prefix and
//! payload, its public-key hint names a key of the [`Keystore`] allowed to
//! sign for the image's partition, and its signature over the digest checks
//! out with that key.
//!
//! # Table of contents
//!
//! * [`hash`]: streaming digests ([`ImageHasher`]) and key hints ([`key_hint`]);
//!   [`sha256`]: the SHA-256 they use (sized and timed for the boot path;
//!   its block function in assembly on ARMv7-M, `sha256_arm`).
//! * [`source`]: where image bytes come from ([`ImageSource`]): a slice, or a
//!   flash partition read in small chunks ([`FlashSource`]).
//! * [`keystore`]: trusted public keys ([`KeySlot`], [`Keystore`]) and
//!   wolfBoot's binary key slot format ([`parse_keystore_slot`]).
//! * [`signature`]: one signature check per algorithm ([`verify_signature`]);
//!   [`ed25519`]: the Ed25519 check (verify only, sized and timed for the boot path;
//!   its SHA-512 `sha512`, its field product in assembly on ARMv7-M, `fe25519_arm`);
//!   [`ecdsa_nist`]: ECDSA P-256 and P-384 the same way, for Arm cores
//!   (features `ecc256-compact`, `ecc384-compact`).
//! * [`mldsa`], [`lms`], [`xmss`]: the post-quantum schemes; [`pq`]: their
//!   key-dependent signature lengths; [`hybrid`]: two-signature images.
//! * [`image`]: the whole verification ([`verify_image`],
//!   [`verify_image_bytes`], [`verify_integrity`]).
//! * [`error`]: every way verification can fail ([`VerifyError`]).
//!
//! # Features
//!
//! Each algorithm is behind a feature named after it, so that a bootloader
//! links only what it uses: hashes `sha256`, `sha384`, `sha3` (SHA3-384);
//! signatures `ed25519`, `ed448`, `ecc256`, `ecc384`, `ecc521`, `rsa2048`,
//! `rsa3072`, `rsa4096`, and `rsapss` (PSS padding for the enabled RSA key
//! sizes). `all` enables every one of them, `std` adds `std::error::Error`.
//! Post-quantum: `ml-dsa-44`, `ml-dsa-65`, `ml-dsa-87` (RustCrypto
//! `ml-dsa`, no allocation), `lms` (LMS/HSS, SHA-256) and `xmss`
//! (XMSS-SHA2_*_256), all enabled by `pq`, which `all` leaves out because
//! ML-DSA needs tens of KiB of stack.
//! An image that needs a disabled algorithm is refused with
//! [`VerifyError::UnsupportedAlgorithm`] or [`VerifyError::UnsupportedHash`].
//!
//! The crate is `no_std`, never panics and does not allocate, except for
//! RSA: the `rsa` crate works on heap-allocated big integers, so the RSA
//! features enable `alloc` and the firmware must provide a global allocator.
#![no_std]
// The one `unsafe` block is the call into P256-Cortex-M4's assembly
// (`ecc256-cortex-m4` on ARMv7E-M); every other build forbids it.
#![cfg_attr(
    not(all(
        feature = "ecc256-cortex-m4",
        target_arch = "arm",
        target_feature = "dsp"
    )),
    forbid(unsafe_code)
)]
#![cfg_attr(
    all(
        feature = "ecc256-cortex-m4",
        target_arch = "arm",
        target_feature = "dsp"
    ),
    deny(unsafe_code)
)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(any(
    feature = "ed25519",
    feature = "ecc256-compact",
    feature = "ecc384-compact"
))]
#[macro_use]
mod limbs;

#[cfg(any(feature = "ecc256-compact", feature = "ecc384-compact"))]
pub mod ecdsa_nist;
#[cfg(feature = "ed25519")]
pub mod ed25519;
pub mod error;
#[cfg(all(feature = "ed25519", target_arch = "arm", target_feature = "thumb2"))]
mod fe25519_arm;
pub mod hash;
pub mod hybrid;
pub mod image;
pub mod keystore;
#[cfg(feature = "lms")]
pub mod lms;
pub mod mldsa;
pub mod pq;
pub mod sha256;
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
mod sha256_arm;
#[cfg(feature = "ed25519")]
mod sha512;
pub mod signature;
pub mod source;
#[cfg(feature = "xmss")]
pub mod xmss;

pub use error::{KeystoreError, SourceError, VerifyError};
pub use hash::{key_hint, Digest, ImageHasher, MAX_DIGEST_LEN};
pub use hybrid::HybridError;
pub use image::{
    read_header, verify_image, verify_image_bytes, verify_integrity, verify_parsed, VerifiedImage,
    VerifyOptions,
};
pub use keystore::{
    parse_keystore, parse_keystore_slot, KeySlot, Keystore, KeystoreSlots, ALL_PARTITIONS,
    KEYSTORE_SLOT_HEADER_LEN,
};
pub use signature::{is_supported, verify_signature, RsaEncoding, VerifyPolicy};
pub use source::{FlashSource, ImageSource};

pub use wolfboot_image_format::{AuthType, HashAlgorithm, ImageType};
