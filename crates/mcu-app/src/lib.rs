//! What the firmware test applications of wolfboot-rs share, over any
//! console ([`Console`]: a byte sink) and any flash (the [`WolfBoot`] of
//! the board's [`FlashSet`]):
//!
//! * [`config`]: the application's configuration from a board's layout
//!   and trailer.
//! * [`status`]: the running version and BOOT's state on the console, and
//!   confirming the running image (`success`).
//! * [`stage`]: an update arriving in pieces ([`ImageSource`]) streamed into
//!   UPDATE through `UpdateWriter`, verified there, then triggered.
//! * [`trigger`]: the raw path: trigger what was written into UPDATE
//!   without the application's check (to test the bootloader's).
//! * [`key`]: storing the update-encryption key and nonce once.
//! * [`text`]: partition states and update errors as text.
//! * [`bootloader_keystore!`]: the keystore the bootloader was built with,
//!   for `UpdateWriter`'s verification.
//!
//! Everything prints through [`Console`], never `core::fmt` (kilobytes and
//! panic paths the applications do without), in the words the boards'
//! test harnesses look for.
//!
//! [`WolfBoot`]: wolfboot_libwolfboot::WolfBoot
//! [`FlashSet`]: wolfboot_libwolfboot::FlashSet
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod key;
pub mod stage;
pub mod status;
pub mod text;
pub mod trigger;

pub use stage::{ImageSource, SliceChunks, StageError};
pub use status::Running;
pub use trigger::TriggerText;
pub use wolfboot_mcu_boot::console::Console;

/// `mod keys`, whose `keys::KEYSTORE` is the keystore the bootloader was
/// built with: the `keystore.rs` that `wolfboot-firmware-build` writes into
/// the calling crate's `OUT_DIR` (from `WOLFBOOT_KEYSTORE_RS`). Its paths
/// name `wolfboot_verify`: the calling crate depends on it.
#[macro_export]
macro_rules! bootloader_keystore {
    () => {
        #[allow(dead_code)]
        mod keys {
            include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
        }
    };
}

#[cfg(test)]
mod tests;
