//! What a boot run reports: the decision ([`BootDecision`], [`BootAction`]),
//! why an update was refused ([`RefuseReason`]) and why nothing could be
//! booted ([`BootError`]).

use core::fmt;

use wolfboot_hal_flash::{FlashFault, LayoutError, PartitionError};
use wolfboot_verify::{VerifiedImage, VerifyError};

use crate::trailer::{PartitionState, TrailerError};

/// Why an update (or fallback) was not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefuseReason {
    /// No image header in UPDATE.
    NoImage,
    /// UPDATE does not hold an application image.
    WrongType,
    /// UPDATE image too large for the partition minus trailer.
    TooLarge,
    /// UPDATE image failed verification.
    Verify(VerifyError),
    /// Updates are encrypted but no key is stored (or the cipher is not
    /// built in): UPDATE cannot be read.
    NoKey,
    /// A delta image whose base is not the image in BOOT (version or digest).
    DeltaBaseMismatch,
    /// A delta image where none can be applied: delta support not built
    /// in, malformed delta fields, or no running image to patch.
    DeltaUnsupported,
    /// UPDATE version is not greater than BOOT's (downgrade refused).
    NotNewer {
        /// Version in BOOT.
        current: u32,
        /// Version in UPDATE.
        candidate: u32,
    },
}

impl fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefuseReason::NoImage => f.write_str("no image in UPDATE"),
            RefuseReason::WrongType => f.write_str("UPDATE image is not an application"),
            RefuseReason::TooLarge => f.write_str("UPDATE image too large"),
            RefuseReason::Verify(e) => write!(f, "UPDATE image invalid: {e}"),
            RefuseReason::NoKey => f.write_str("no update encryption key stored"),
            RefuseReason::DeltaBaseMismatch => {
                f.write_str("delta update does not apply to the running image")
            }
            RefuseReason::DeltaUnsupported => f.write_str("delta update cannot be applied"),
            RefuseReason::NotNewer { current, candidate } => {
                write!(
                    f,
                    "UPDATE version {candidate} not greater than current {current}"
                )
            }
        }
    }
}

/// What happened on the way to the boot decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootAction {
    /// Nothing to do: BOOT booted as is.
    NoUpdate,
    /// A triggered update was installed (BOOT now TESTING).
    Installed,
    /// BOOT was still TESTING: the previous image was swapped back.
    RolledBack,
    /// An interrupted final step of an earlier swap was completed.
    FinishedInterrupted,
    /// BOOT did not verify; UPDATE's image was swapped in.
    EmergencyFallback,
    /// A triggered update (or rollback) was refused; BOOT booted as is.
    UpdateRefused(RefuseReason),
}

/// The verified image to boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootDecision {
    /// The image in BOOT, verified in place after every flash change.
    pub image: VerifiedImage,
    /// BOOT's trailer state at decision time.
    pub boot_state: Option<PartitionState>,
    /// What was done.
    pub action: BootAction,
}

/// Why no boot decision could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootError {
    /// A flash operation failed (power loss included); run again after reset.
    Flash(FlashFault),
    /// The partition layout does not fit the devices.
    Layout(LayoutError),
    /// Geometry or options this implementation cannot work with.
    Unsupported,
    /// A trailer position fell out of range.
    Trailer(TrailerError),
    /// Neither BOOT nor a fallback image verified: nothing to boot (wolfBoot panics).
    NoBootableImage {
        /// Why BOOT failed.
        boot: VerifyError,
        /// Why the fallback was refused, if it was tried and refused.
        fallback: Option<RefuseReason>,
    },
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::Flash(e) => write!(f, "flash failure: {e}"),
            BootError::Layout(e) => write!(f, "bad partition layout: {e}"),
            BootError::Unsupported => f.write_str("unsupported geometry or options"),
            BootError::Trailer(e) => write!(f, "{e}"),
            BootError::NoBootableImage { boot, fallback } => {
                write!(f, "no bootable image (BOOT: {boot}")?;
                if let Some(r) = fallback {
                    write!(f, "; fallback: {r}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl From<TrailerError> for BootError {
    fn from(e: TrailerError) -> Self {
        match e {
            TrailerError::Flash(f) => BootError::Flash(f),
            TrailerError::UnsupportedGeometry => BootError::Unsupported,
            other => BootError::Trailer(other),
        }
    }
}

impl From<PartitionError<FlashFault>> for BootError {
    fn from(e: PartitionError<FlashFault>) -> Self {
        match e {
            PartitionError::Flash(f) => BootError::Flash(f),
            PartitionError::OutOfRange => BootError::Trailer(TrailerError::OutOfRange),
        }
    }
}

impl From<FlashFault> for BootError {
    fn from(e: FlashFault) -> Self {
        BootError::Flash(e)
    }
}
