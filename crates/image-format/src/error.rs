use core::fmt;

/// Why a header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer bytes than a header (or than the 8-byte preamble).
    Truncated,
    /// The first word is not `WOLF`.
    BadMagic,
    /// The header size asked for is not a multiple of 256 between 256 and 64 KiB.
    BadHeaderSize,
    /// A field the caller needs is absent.
    MissingTlv(u16),
    /// A field is present with a length its type does not allow.
    BadTlvLength(u16),
    /// The image is shorter than header plus announced payload size.
    PayloadTruncated,
    /// The announced payload does not fit the space the image may occupy.
    TooLarge,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Truncated => f.write_str("header truncated"),
            HeaderError::BadMagic => f.write_str("bad magic (not a wolfBoot image)"),
            HeaderError::BadHeaderSize => f.write_str("invalid header size"),
            HeaderError::MissingTlv(t) => write!(f, "missing header field 0x{t:04x}"),
            HeaderError::BadTlvLength(t) => write!(f, "header field 0x{t:04x} has a bad length"),
            HeaderError::PayloadTruncated => f.write_str("image shorter than its size field"),
            HeaderError::TooLarge => f.write_str("image size exceeds the partition"),
        }
    }
}

#[cfg(feature = "std")]
extern crate std;
#[cfg(feature = "std")]
impl std::error::Error for HeaderError {}
