//! wolfBoot delta updates: the patch format, a `no_std` streaming patch
//! applier for bootloaders and a host-side diff generator whose output is
//! byte-for-byte what wolfBoot's `sign --delta` writes.
//!
//! # The patch format
//!
//! A patch is a byte stream that, read from the start, produces the new
//! image in order:
//!
//! * any byte other than [`ESC`] (`0x7f`) is a literal, copied to the output;
//! * `ESC ESC` is a literal `0x7f`;
//! * `ESC off[3] sz[2]` ([`BLOCK_HDR_SIZE`] bytes, both fields big-endian)
//!   copies `sz` bytes of the *source* starting at offset `off`.
//!
//! The source is the flash partition that the patch is rewriting, sector by
//! sector. When output sector `n` is being produced, sectors `0..n` of the
//! partition already hold the new image and sectors `n..` still hold the old
//! one. The generator relies on that: a copy either reads the old image at
//! or after the start of the sector being written (and never runs past that
//! sector's end), or reads the new image at least one whole sector before
//! it. A patch is therefore tied to the sector size it was made for, and it
//! must be applied in place (or with an equivalent simulation, see
//! `apply()`).
//!
//! # Table of contents
//!
//! * [`patch`]: the applier. [`PatchIo`] is where it reads the source and
//!   the patch; [`Patcher`] produces the new image into caller buffers of
//!   any size, carrying its state across calls, with no heap and a small
//!   patch read cache.
//! * [`slice_io`]: [`SliceIo`], a [`PatchIo`] over two byte slices.
//! * [`error`]: [`PatchError`], [`SliceIoError`], [`DiffError`].
//! * feature `std`: `diff()`, wolfBoot's `wb_diff` driven the way `sign`
//!   drives it, one sector-sized output chunk at a time; `apply()`, the
//!   in-place application simulated over a growing buffer.
//!
//! # Compatibility notes
//!
//! * [`Patcher`] accepts and refuses exactly the patches wolfBoot's
//!   `wb_patch` accepts and refuses (ESC as the last byte, a block header cut
//!   short by the end of the patch, a block reaching past the source size),
//!   and its output does not depend on the sizes of the output buffers.
//!   Unlike `wb_patch`, which refuses buffers under 6 bytes, any non-empty
//!   buffer is accepted.
//! * wolfBoot gives the patcher the old image's size (header included) as the
//!   source size. A diff whose new image is larger than the old one may copy
//!   from new content beyond that size; passing a larger source size (up to
//!   the partition size) to [`Patcher::new`] accepts such patches.
//!
//! # Features
//!
//! * `std`: the host side (`diff()`, `apply()`, `MAX_IMAGE_SIZE`) and
//!   `std::error::Error` impls. Without it the crate is `no_std`, never
//!   allocates and never panics.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
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

#[cfg(feature = "std")]
mod diff;
pub mod error;
#[cfg(feature = "std")]
mod host;
pub mod patch;
pub mod slice_io;

#[cfg(feature = "std")]
pub use diff::{diff, MAX_IMAGE_SIZE};
pub use error::{DiffError, PatchError, SliceIoError};
#[cfg(feature = "std")]
pub use host::apply;
pub use patch::{PatchIo, Patcher};
pub use slice_io::SliceIo;

/// The escape byte: starts a block header, or doubled, stands for itself.
pub const ESC: u8 = 0x7f;

/// Size of a block header: `ESC`, a 24-bit offset and a 16-bit length.
pub const BLOCK_HDR_SIZE: usize = 6;

/// Largest source offset a block header can hold (24 bits).
pub const BLOCK_OFF_MAX: u32 = 0x00FF_FFFF;
