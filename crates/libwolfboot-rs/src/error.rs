use core::fmt;

use wolfboot_hal_flash::FlashFault;
use wolfboot_image_format::HeaderError;
use wolfboot_swap_state_machine::TrailerError;
use wolfboot_verify::VerifyError;

/// Why an application-side call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The flash failed.
    Flash(FlashFault),
    /// The trailer could not be read or written.
    Trailer(TrailerError),
    /// An access fell outside its partition.
    OutOfRange,
    /// The encryption secret area is not configured for this layout.
    EncryptionNotConfigured,
    /// The key or nonce has the wrong length for the configured cipher.
    BadKeyLength,
    /// The trailer region to preserve is larger than the RAM buffer.
    TrailerTooLarge,
    /// Encryption is configured but no key is stored (`set_encrypt_key`).
    NoEncryptKey,
    /// The configured cipher is not compiled in (features `chacha20`, `aes`).
    CipherNotBuilt,
    /// BOOT is still `TESTING`: staging would overwrite the image the
    /// bootloader rolls back to. Confirm the running image first.
    Unconfirmed,
    /// Encrypted UPDATE partitions are not offered by the async API yet:
    /// use the blocking [`WolfBoot`](crate::WolfBoot).
    AsyncEncryption,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Flash(e) => write!(f, "flash error: {e}"),
            Error::Trailer(e) => write!(f, "trailer error: {e}"),
            Error::OutOfRange => f.write_str("access outside the partition"),
            Error::EncryptionNotConfigured => f.write_str("no encryption secret area configured"),
            Error::BadKeyLength => f.write_str("key or nonce of the wrong length"),
            Error::TrailerTooLarge => f.write_str("trailer region larger than the RAM buffer"),
            Error::NoEncryptKey => f.write_str("no update encryption key stored"),
            Error::CipherNotBuilt => f.write_str("update cipher not built in"),
            Error::Unconfirmed => {
                f.write_str("the running image is not confirmed (BOOT is TESTING)")
            }
            Error::AsyncEncryption => {
                f.write_str("encrypted updates are not supported by the async API")
            }
        }
    }
}

impl From<FlashFault> for Error {
    fn from(e: FlashFault) -> Self {
        Error::Flash(e)
    }
}

impl From<TrailerError> for Error {
    fn from(e: TrailerError) -> Self {
        Error::Trailer(e)
    }
}

impl<E: Into<Error>> From<wolfboot_hal_flash::PartitionError<E>> for Error {
    fn from(e: wolfboot_hal_flash::PartitionError<E>) -> Self {
        match e {
            wolfboot_hal_flash::PartitionError::OutOfRange => Error::OutOfRange,
            wolfboot_hal_flash::PartitionError::Flash(f) => f.into(),
        }
    }
}

/// Why staging an update failed. After any of these, nothing is triggered
/// and the running image is untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateError {
    /// Flash or trailer failure.
    Io(Error),
    /// The first bytes are not a wolfBoot image.
    Header(HeaderError),
    /// The image (or the data sent) does not fit the UPDATE partition.
    TooLarge,
    /// More bytes arrived than the header announced.
    ExtraData,
    /// The stream ended before the announced size.
    Incomplete {
        /// Bytes received.
        received: u32,
        /// Bytes the header announced (header plus payload).
        expected: u32,
    },
    /// The image in UPDATE did not verify.
    Verify(VerifyError),
    /// The image is not newer than the running one.
    Downgrade {
        /// Version running in BOOT.
        current: u32,
        /// Version offered.
        offered: u32,
    },
    /// A write after an earlier failure: start a new writer.
    Aborted,
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::Io(e) => write!(f, "{e}"),
            UpdateError::Header(e) => write!(f, "not a wolfBoot image: {e}"),
            UpdateError::TooLarge => f.write_str("image does not fit the UPDATE partition"),
            UpdateError::ExtraData => f.write_str("more data than the image header announced"),
            UpdateError::Incomplete { received, expected } => {
                write!(
                    f,
                    "image incomplete: {received} of {expected} bytes received"
                )
            }
            UpdateError::Verify(e) => write!(f, "image refused: {e}"),
            UpdateError::Downgrade { current, offered } => {
                write!(
                    f,
                    "version {offered} is not newer than the running version {current}"
                )
            }
            UpdateError::Aborted => f.write_str("writer already failed; start again"),
        }
    }
}

impl From<Error> for UpdateError {
    fn from(e: Error) -> Self {
        UpdateError::Io(e)
    }
}

impl From<FlashFault> for UpdateError {
    fn from(e: FlashFault) -> Self {
        UpdateError::Io(Error::Flash(e))
    }
}

impl From<TrailerError> for UpdateError {
    fn from(e: TrailerError) -> Self {
        UpdateError::Io(Error::Trailer(e))
    }
}
