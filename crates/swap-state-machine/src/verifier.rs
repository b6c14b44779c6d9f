//! The bootloader's verifier: [`KeystoreVerifier`], an [`ImageVerifier`]
//! that checks images with [`wolfboot_verify::verify_image`] against a
//! keystore.
//!
//! The image is read straight from the partition, header first into a
//! `HEADER_SIZE`-byte stack buffer, then the payload in small chunks through
//! the digest: no copy of the image, no allocation (RSA keys aside, see
//! `wolfboot-verify`). An image is accepted when it is an application image
//! (partition id [`PART_APP`], by default), fits the space the bootloader
//! gives it (the partition less its trailer area, [`ImageSource::len`]),
//! its key hint
//! names a keystore key allowed to sign for it, and digest and signature
//! check out. Which algorithms are available is chosen with
//! `wolfboot-verify`'s features (`ecc256`, `sha256`, ...). A refusal is
//! `wolfboot-verify`'s own [`VerifyError`], with every detail.
//!
//! ```
//! use wolfboot_swap_state_machine::{
//!     BootConfig, BootError, Bootloader, FlashSet, KeystoreVerifier, PartitionSet,
//! };
//! use wolfboot_verify::{AuthType, KeySlot, Keystore};
//!
//! /// X || Y of the ECC P-256 signing key (as in keygen's keystore).
//! static PUBKEY: [u8; 64] = [0x42; 64];
//! static SLOTS: [KeySlot<'static>; 1] = [KeySlot::new(0, AuthType::Ecc256, &PUBKEY)];
//! static KEYSTORE: Keystore<'static> = Keystore::new(&SLOTS);
//!
//! fn bootloader<F: FlashSet>(
//!     flash: F,
//!     layout: PartitionSet,
//! ) -> Result<Bootloader<F, KeystoreVerifier<'static, 256>>, BootError> {
//!     let config = BootConfig { header_size: 256, ..BootConfig::default() };
//!     Bootloader::new(flash, KeystoreVerifier::new(&KEYSTORE), layout, config)
//! }
//! ```

use wolfboot_hal_flash::PartitionId;
use wolfboot_image_format::wire::img_type::PART_APP;
use wolfboot_verify::{ImageSource, Keystore, VerifiedImage, VerifyError, VerifyOptions};

use crate::image::ImageVerifier;

/// Where a [`KeystoreVerifier`] takes its [`VerifyOptions`] from: held in
/// it (`VerifyOptions` itself, chosen at run time), or a build-time
/// constant ([`AppImageOptions`]) that the compiler folds into the checks
/// (a bootloader that never changes its options links no code for the
/// ones it does not use).
pub trait OptionsSource<'k>: Copy {
    /// The options.
    fn options(&self) -> VerifyOptions<'k>;
}

impl<'k> OptionsSource<'k> for VerifyOptions<'k> {
    #[inline(always)]
    fn options(&self) -> VerifyOptions<'k> {
        *self
    }
}

/// The options of [`KeystoreVerifier::new`] as a build-time constant
/// ([`AppImageOptions::OPTIONS`]): signed application images, every enabled
/// hash algorithm. What [`KeystoreVerifier::fixed`] checks with.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AppImageOptions;

impl AppImageOptions {
    /// Signed images only, partition id [`PART_APP`], every enabled hash.
    pub const OPTIONS: VerifyOptions<'static> = {
        let mut options = VerifyOptions::new();
        options.partition_id = Some(PART_APP);
        options
    };
}

impl<'k> OptionsSource<'k> for AppImageOptions {
    #[inline(always)]
    fn options(&self) -> VerifyOptions<'k> {
        Self::OPTIONS
    }
}

/// Verifies images against a keystore with `wolfboot-verify`.
///
/// `HEADER_SIZE` is the bootloader's `IMAGE_HEADER_SIZE` (a multiple of 256
/// from 256 to 65536, as wolfBoot allows: 256 for ECC P-256 and Ed25519
/// builds, 12288 for ML-DSA-87); it should equal
/// [`BootConfig::header_size`](crate::BootConfig::header_size). `O`: where
/// the options come from ([`OptionsSource`]).
#[derive(Debug, Clone, Copy)]
pub struct KeystoreVerifier<'k, const HEADER_SIZE: usize = 256, O = VerifyOptions<'k>> {
    keystore: &'k Keystore<'k>,
    options: O,
}

impl<'k, const HEADER_SIZE: usize, O> KeystoreVerifier<'k, HEADER_SIZE, O> {
    /// Compile-time check of `HEADER_SIZE`.
    const HEADER_SIZE_OK: () = assert!(
        HEADER_SIZE.is_multiple_of(256) && HEADER_SIZE >= 256 && HEADER_SIZE <= 0x1_0000,
        "HEADER_SIZE must be a multiple of 256 from 256 to 65536"
    );

    /// The trusted keys.
    pub fn keystore(&self) -> &'k Keystore<'k> {
        self.keystore
    }
}

impl<'k, const HEADER_SIZE: usize, O: OptionsSource<'k>> KeystoreVerifier<'k, HEADER_SIZE, O> {
    /// The options every image is checked with (before the size limit of
    /// the partition is applied).
    pub fn options(&self) -> VerifyOptions<'k> {
        self.options.options()
    }
}

impl<'k, const HEADER_SIZE: usize> KeystoreVerifier<'k, HEADER_SIZE, AppImageOptions> {
    /// [`KeystoreVerifier::new`] with its options as a build-time constant
    /// ([`AppImageOptions`]): the same checks, less code in a bootloader
    /// (about 0.3 KB on mps2-an386).
    pub const fn fixed(keystore: &'k Keystore<'k>) -> Self {
        let () = Self::HEADER_SIZE_OK;
        KeystoreVerifier {
            keystore,
            options: AppImageOptions,
        }
    }
}

impl<'k, const HEADER_SIZE: usize> KeystoreVerifier<'k, HEADER_SIZE> {
    /// A verifier trusting the keys of `keystore`, for signed application
    /// images, every enabled hash algorithm ([`AppImageOptions::OPTIONS`]).
    pub const fn new(keystore: &'k Keystore<'k>) -> Self {
        Self::with_options(keystore, AppImageOptions::OPTIONS)
    }

    /// A verifier with explicit options. `options.max_image_size`, when set,
    /// further limits the space the bootloader allows (never extends it);
    /// `options.partition_id` is used as given.
    pub const fn with_options(keystore: &'k Keystore<'k>, options: VerifyOptions<'k>) -> Self {
        let () = Self::HEADER_SIZE_OK;
        KeystoreVerifier { keystore, options }
    }
}

impl<'k, const HEADER_SIZE: usize, O: OptionsSource<'k>> ImageVerifier
    for KeystoreVerifier<'k, HEADER_SIZE, O>
{
    fn verify(
        &mut self,
        _part: PartitionId,
        image: &mut dyn ImageSource,
    ) -> Result<VerifiedImage, VerifyError> {
        let limit = image.len();
        let mut options = self.options.options();
        options.max_image_size = Some(match options.max_image_size {
            Some(max) => max.min(limit),
            None => limit,
        });
        let mut header = [0u8; HEADER_SIZE];
        wolfboot_verify::verify_image(image, &mut header, self.keystore, &options)
    }
}
