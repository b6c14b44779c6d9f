//! The wolfBoot manifest header: what an image says about itself.
//!
//! A wolfBoot image is a header of `IMAGE_HEADER_SIZE` bytes (256 by default,
//! larger powers of two when keys or signatures need the room) followed by the
//! firmware payload. The header starts with the magic `WOLF` and the payload
//! size, then carries type-length-value fields: version, timestamp, image
//! type, public-key hint, digest, signature and any custom fields.
//!
//! * [`wire`]: the numbers of the format, each with its meaning.
//! * [`walk`]: the TLV walk ([`TlvWalk`]) over any byte reader ([`TlvRead`]),
//!   in memory or straight from flash: the one lookup every header read uses.
//! * [`ImageHeader`]: a zero-copy, panic-free view of a header in a byte slice.
//! * [`Image`]: a header plus the payload it announces.
//! * [`HeaderBuilder`] (feature `alloc`): lays out a header exactly as
//!   wolfBoot's `sign` tool does, for host-side signing.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The parser faces attacker-controlled bytes: no panicking shortcuts.
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

pub mod walk;
pub mod wire;

mod error;
mod header;
mod types;

// Host-side only; sizes its buffer from the same layout it writes.
#[cfg(feature = "alloc")]
#[allow(clippy::indexing_slicing)]
mod builder;

pub use error::HeaderError;
pub use header::{DigestField, Image, ImageHeader, Tlv, Tlvs};
pub use types::{AuthType, DeltaInfo, HashAlgorithm, ImageType};
pub use walk::{TlvField, TlvRead, TlvWalk};

#[cfg(feature = "alloc")]
pub use builder::{BuildError, HeaderBuilder, UnsignedHeader};
