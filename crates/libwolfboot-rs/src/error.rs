use core::fmt;

use wolfboot_hal_flash::FlashFault;
use wolfboot_image_format::HeaderError;
use wolfboot_swap_state_machine::{SecretError, TrailerError};
use wolfboot_verify::VerifyError;

/// Why an application-side call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

impl Error {
    /// What went wrong, as fixed text (for consoles without formatting;
    /// [`Display`](fmt::Display) adds the details).
    pub const fn description(&self) -> &'static str {
        match self {
            Error::Flash(_) => "flash error",
            Error::Trailer(_) => "trailer error",
            Error::OutOfRange => "access outside the partition",
            Error::EncryptionNotConfigured => "no encryption secret area configured",
            Error::BadKeyLength => "key or nonce of the wrong length",
            Error::TrailerTooLarge => "trailer region larger than the RAM buffer",
            Error::NoEncryptKey => "no update encryption key stored",
            Error::CipherNotBuilt => "update cipher not built in",
            Error::Unconfirmed => "the running image is not confirmed (BOOT is TESTING)",
            Error::AsyncEncryption => "encrypted updates are not supported by the async API",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())?;
        match self {
            Error::Flash(e) => write!(f, ": {e}"),
            Error::Trailer(e) => write!(f, ": {e}"),
            _ => Ok(()),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.description())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for UpdateError {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.description())
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

impl From<SecretError> for Error {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Flash(f) => Error::Flash(f),
            SecretError::BadLength => Error::BadKeyLength,
            SecretError::TailTooLarge => Error::TrailerTooLarge,
            _ => Error::OutOfRange,
        }
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
#[non_exhaustive]
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

impl UpdateError {
    /// What went wrong, as fixed text (for consoles without formatting;
    /// [`Display`](fmt::Display) adds the details).
    pub const fn description(&self) -> &'static str {
        match self {
            UpdateError::Io(e) => e.description(),
            UpdateError::Header(_) => "not a wolfBoot image",
            UpdateError::TooLarge => "image does not fit the UPDATE partition",
            UpdateError::ExtraData => "more data than the image header announced",
            UpdateError::Incomplete { .. } => "image incomplete",
            UpdateError::Verify(_) => "image refused",
            UpdateError::Downgrade { .. } => "version is not newer than the running version",
            UpdateError::Aborted => "writer already failed; start again",
        }
    }
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
                    "{}: {offered} offered, {current} running",
                    self.description()
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

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;
    use wolfboot_hal_flash::{Device, NorFlashErrorKind};

    /// Every error has its own fixed text, and the formatted message starts
    /// with it (a console without `core::fmt` prints the same words).
    #[test]
    fn descriptions_are_distinct_and_lead_the_message() {
        let flash = FlashFault {
            device: Device::External,
            kind: NorFlashErrorKind::OutOfBounds,
        };
        let errors = [
            Error::Flash(flash),
            Error::Trailer(TrailerError::OutOfRange),
            Error::OutOfRange,
            Error::EncryptionNotConfigured,
            Error::BadKeyLength,
            Error::TrailerTooLarge,
            Error::NoEncryptKey,
            Error::CipherNotBuilt,
            Error::Unconfirmed,
            Error::AsyncEncryption,
        ];
        for (i, a) in errors.iter().enumerate() {
            assert!(a.to_string().starts_with(a.description()), "{a:?}");
            for b in &errors[i + 1..] {
                assert_ne!(a.description(), b.description());
            }
        }
        let update = [
            UpdateError::Header(HeaderError::BadMagic),
            UpdateError::TooLarge,
            UpdateError::ExtraData,
            UpdateError::Incomplete {
                received: 1,
                expected: 2,
            },
            UpdateError::Verify(VerifyError::BadSignature),
            UpdateError::Downgrade {
                current: 2,
                offered: 1,
            },
            UpdateError::Aborted,
        ];
        for (i, a) in update.iter().enumerate() {
            assert!(a.to_string().starts_with(a.description()), "{a:?}: {a}");
            for b in &update[i + 1..] {
                assert_ne!(a.description(), b.description());
            }
        }
        assert_eq!(
            UpdateError::Io(Error::Unconfirmed).description(),
            Error::Unconfirmed.description()
        );
    }
}
