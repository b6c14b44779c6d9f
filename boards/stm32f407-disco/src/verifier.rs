//! The swap state machine's image check: the shared
//! [`wolfboot_swap_state_machine::KeystoreVerifier`] at this board's
//! `IMAGE_HEADER_SIZE`.

use crate::layout::IMAGE_HEADER_SIZE;

/// Verifies images against the embedded keystore, with the options of
/// `KeystoreVerifier::new` as build-time constants (`KeystoreVerifier::fixed`).
pub type KeystoreVerifier<'k> = wolfboot_swap_state_machine::KeystoreVerifier<
    'k,
    { IMAGE_HEADER_SIZE as usize },
    wolfboot_swap_state_machine::AppImageOptions,
>;
