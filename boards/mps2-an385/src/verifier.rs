//! The swap state machine's image check: the shared
//! [`wolfboot_swap_state_machine::KeystoreVerifier`] (header, key hint in the
//! keystore, digest over header prefix and payload, signature, application
//! partition id, size within the partition less its trailer), at this
//! board's `IMAGE_HEADER_SIZE`. Its tests against the wolfBoot vectors live
//! with it in `crates/swap-state-machine/tests/verifier.rs`.

use crate::layout::IMAGE_HEADER_SIZE;

/// Verifies images against the embedded keystore, with the options of
/// `KeystoreVerifier::new` as build-time constants (`KeystoreVerifier::fixed`).
pub type KeystoreVerifier<'k> = wolfboot_swap_state_machine::KeystoreVerifier<
    'k,
    { IMAGE_HEADER_SIZE as usize },
    wolfboot_swap_state_machine::AppImageOptions,
>;

/// What a bootloader built for one signature algorithm (these tests run
/// with the board's default features: ECC256, SHA-256) links and refuses:
/// no second signature check and no RSA key parsing, yet hybrid images are
/// refused with the errors a build with every algorithm gives when it
/// cannot check the second signature (`crates/verify/tests/pq.rs`).
#[cfg(test)]
mod tests {
    use std::vec::Vec;
    use wolfboot_image_format::{wire::tlv, AuthType, HashAlgorithm, HeaderBuilder, ImageHeader};
    use wolfboot_verify::{
        key_hint, verify_image, HybridError, KeySlot, Keystore, VerifyError, VerifyOptions,
    };

    const KEY: [u8; 64] = [7; 64];
    const HEADER: usize = 512;

    /// An ECC256 image whose key is in the keystore, with (`hybrid`) an
    /// Ed25519 second signature announced. Digest and signatures are
    /// filler: the second signature's fields are checked before either.
    fn image(hybrid: bool) -> Vec<u8> {
        let hint = key_hint(HashAlgorithm::Sha256, &KEY).unwrap();
        let mut b =
            HeaderBuilder::new(AuthType::Ecc256, HashAlgorithm::Sha256, 2).header_size(HEADER);
        if hybrid {
            b = b.secondary(AuthType::Ed25519, &[9; 32], 64);
        }
        let header = b.begin(100, hint.as_bytes()).unwrap();
        let mut image = if hybrid {
            header.finish_hybrid(&[1; 32], &[2; 64], &[3; 64]).unwrap()
        } else {
            header.finish(&[1; 32], Some(&[2; 64])).unwrap()
        };
        image.resize(HEADER + 100, 0x5A);
        image
    }

    fn check(image: &[u8]) -> Result<(), VerifyError> {
        let slot = [KeySlot {
            slot_id: 0,
            key_type: AuthType::Ecc256,
            part_mask: 0b10,
            pubkey: &KEY,
        }];
        let keystore = Keystore::new(&slot);
        let mut header = [0u8; HEADER];
        let mut source = image;
        verify_image(&mut source, &mut header, &keystore, &VerifyOptions::new()).map(|_| ())
    }

    #[test]
    fn hybrid_images_are_refused_by_a_single_algorithm_build() {
        assert!(!wolfboot_verify::is_supported(AuthType::Ed25519));
        // Without a second signature the check reaches the digest.
        assert_eq!(check(&image(false)), Err(VerifyError::HashMismatch));
        let hybrid = image(true);
        assert_eq!(
            check(&hybrid),
            Err(VerifyError::Hybrid(HybridError::Unsupported(
                AuthType::Ed25519.code()
            )))
        );
        let at = ImageHeader::parse(&hybrid, HEADER)
            .unwrap()
            .find_tlv(tlv::SECONDARY_CIPHER)
            .unwrap()
            .offset
            + 4;
        let mut img = hybrid.clone();
        img[at + 1] = AuthType::Ecc256.code();
        assert_eq!(
            check(&img),
            Err(VerifyError::Hybrid(HybridError::SameAlgorithm))
        );
        img[at] = 0x01;
        assert_eq!(
            check(&img),
            Err(VerifyError::Hybrid(HybridError::BadCipher(0x0201)))
        );
    }

    #[test]
    fn without_rsa_an_rsa_key_is_taken_as_stored() {
        let stored = [0x30, 0x03, 1, 2, 3, 0xFF, 0xFF, 0xFF];
        let slot = KeySlot {
            slot_id: 0,
            key_type: AuthType::Rsa2048,
            part_mask: 0b10,
            pubkey: &stored,
        };
        assert_eq!(slot.key_bytes(), &stored);
    }
}
