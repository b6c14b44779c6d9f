//! What an application calls: wolfBoot's `libwolfboot` in Rust.
//!
//! The same meaning and the same flash writes as wolfBoot's C library
//! (`include/wolfboot/wolfboot.h`, `src/libwolfboot.c`), over any flash the
//! [`wolfboot_hal_flash::FlashSet`] contract covers:
//!
//! | wolfBoot C | here |
//! | --- | --- |
//! | `wolfBoot_update_trigger()` | [`WolfBoot::update_trigger`] |
//! | `wolfBoot_success()` | [`WolfBoot::success`] |
//! | `wolfBoot_current_firmware_version()` | [`WolfBoot::current_firmware_version`] |
//! | `wolfBoot_update_firmware_version()` | [`WolfBoot::update_firmware_version`] |
//! | `wolfBoot_get_image_version(part)` | [`WolfBoot::image_version`] |
//! | `wolfBoot_get_image_type(part)` | [`WolfBoot::image_type`] |
//! | `wolfBoot_get_partition_state(part, &st)` | [`WolfBoot::partition_state`] |
//! | `wolfBoot_find_header(...)` | [`WolfBoot::find_header`] |
//! | `wolfBoot_set_encrypt_key` / `wolfBoot_erase_encrypt_key` | [`WolfBoot::set_encrypt_key`] / [`WolfBoot::erase_encrypt_key`] |
//! | `wolfBoot_fallback_is_possible()` | [`WolfBoot::fallback_is_possible`] |
//!
//! Plus [`UpdateWriter`]: streams an image arriving in chunks of any size
//! into UPDATE, then verifies header, digest, signature and version against a
//! keystore; only a [`StagedUpdate`] — an image that verified in place — can
//! be triggered through it. A half-received or tampered image never is.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;
mod error;
mod secret;
mod source;
mod writer;

pub use api::{WolfBoot, WolfBootConfig};
pub use error::{Error, UpdateError};
pub use secret::EncryptSecret;
pub use source::PartitionSource;
pub use wolfboot_encrypt::{Algorithm as EncryptAlgorithm, Cipher};
pub use writer::{StagedUpdate, UpdateWriter};

pub use wolfboot_hal_flash::{FlashSet, PartitionId, PartitionSet};
pub use wolfboot_swap_state_machine::{PartitionState, TrailerConfig};
