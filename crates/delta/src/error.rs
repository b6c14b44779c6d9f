//! Every way patching, slice reads and diffing can fail.

use core::convert::Infallible;
use core::fmt;

/// Why the patcher stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchError<E> {
    /// Reading the source or the patch failed.
    Io(E),
    /// [`Patcher::new`](crate::Patcher::new) was given a zero source or
    /// patch size (`wb_patch_init` refuses them too).
    ZeroSize,
    /// [`Patcher::fill`](crate::Patcher::fill) was given an empty buffer.
    EmptyOutput,
    /// The patch ends with a lone [`ESC`](crate::ESC).
    TruncatedEscape {
        /// Patch offset of the escape byte.
        at: u32,
    },
    /// A block header is cut short by the end of the patch.
    TruncatedHeader {
        /// Patch offset of the header.
        at: u32,
    },
    /// A block copies bytes from beyond the end of the source.
    OutOfBounds {
        /// Source offset of the block.
        offset: u32,
        /// Length of the block.
        len: u16,
    },
}

impl PatchError<Infallible> {
    /// The same error for a patcher whose I/O can fail with `E` (errors of
    /// [`Patcher::new`](crate::Patcher::new) never carry an I/O error).
    pub fn into_io<E>(self) -> PatchError<E> {
        match self {
            PatchError::Io(never) => match never {},
            PatchError::ZeroSize => PatchError::ZeroSize,
            PatchError::EmptyOutput => PatchError::EmptyOutput,
            PatchError::TruncatedEscape { at } => PatchError::TruncatedEscape { at },
            PatchError::TruncatedHeader { at } => PatchError::TruncatedHeader { at },
            PatchError::OutOfBounds { offset, len } => PatchError::OutOfBounds { offset, len },
        }
    }
}

impl<E: fmt::Display> fmt::Display for PatchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::Io(e) => write!(f, "delta patch I/O error: {e}"),
            PatchError::ZeroSize => f.write_str("delta source or patch size is zero"),
            PatchError::EmptyOutput => f.write_str("delta output buffer is empty"),
            PatchError::TruncatedEscape { at } => {
                write!(f, "delta patch ends with an escape byte at offset {at}")
            }
            PatchError::TruncatedHeader { at } => {
                write!(f, "delta block header truncated at patch offset {at}")
            }
            PatchError::OutOfBounds { offset, len } => write!(
                f,
                "delta block of {len} bytes at source offset {offset} is outside the source"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl<E: fmt::Debug + fmt::Display> std::error::Error for PatchError<E> {}

/// Why a [`SliceIo`](crate::SliceIo) read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceIoError {
    /// The read goes past the end of the source slice.
    BaseOutOfRange,
    /// The read goes past the end of the patch slice.
    PatchOutOfRange,
}

impl fmt::Display for SliceIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SliceIoError::BaseOutOfRange => f.write_str("read past the end of the delta source"),
            SliceIoError::PatchOutOfRange => f.write_str("read past the end of the delta patch"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SliceIoError {}

/// Why a diff could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffError {
    /// One of the images is empty (`wb_diff_init` refuses them).
    EmptyImage,
    /// An image is larger than the 16 MiB `sign` accepts (block offsets are
    /// 24-bit).
    ImageTooLarge,
    /// The sector size is outside `8..=65535` (`sign` refuses 0 and sizes
    /// above 65535; sizes under 8 make `wb_diff` write truncated patches).
    SectorSize(u32),
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffError::EmptyImage => f.write_str("cannot diff an empty image"),
            DiffError::ImageTooLarge => f.write_str("image larger than 16 MiB"),
            DiffError::SectorSize(s) => write!(f, "sector size {s} outside 8..=65535"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DiffError {}
