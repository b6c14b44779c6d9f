//! Post-quantum key files as sign-cli reads them (`--ml_dsa`, `--lms`,
//! `--xmss`) and post-quantum keystore slots as the verifier reads them, on
//! arbitrary bytes.
//!
//! Asserts, beyond "never panics": a key file that parses writes back to
//! the same bytes (so a stateful LMS key is never rewritten with a changed
//! leaf index or seed by a load/store cycle; likewise XMSS), its public half has the
//! keystore size, and the verifier derives a signature length from it; a
//! keystore slot that parses has a size its type allows (an RSA slot's
//! DER key fits its fixed field), and sign-cli's writer reproduces the
//! post-quantum ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sign_cli::keystore::raw_slot_bytes;
use sign_cli::lms::LmsKey;
use sign_cli::mldsa::MlDsaKey;
use sign_cli::xmss::XmssKey;
use wolfboot_fuzz::seeds;
use wolfboot_verify::{parse_keystore, pq, AuthType, KEYSTORE_SLOT_HEADER_LEN};

fuzz_target!(
    init: {
        seeds::write_from_env("pq_keys");
    },
    |data: &[u8]| {
        if let Ok(k) = MlDsaKey::parse(data) {
            assert_eq!(k.to_bytes(), data);
            assert!(pq::signature_len(AuthType::MlDsa, k.public_key()).is_some());
        }
        if let Ok(k) = LmsKey::parse(data) {
            assert_eq!(k.to_bytes(), data);
            assert_eq!(
                pq::signature_len(AuthType::Lms, k.public_key()),
                Some(k.params.signature_len())
            );
        }
        if let Ok(k) = XmssKey::parse(data) {
            assert_eq!(k.to_bytes(), data);
            assert_eq!(
                pq::signature_len(AuthType::Xmss, k.public_key()),
                Some(sign_cli::xmss::SIG_LEN)
            );
        }
        let mut at = 0usize;
        for slot in parse_keystore(data).take(64) {
            let Ok(slot) = slot else { break };
            // An RSA slot stores the key DER-encoded in a fixed-size field;
            // the verifier's key is that encoding, trimmed to its length.
            let stored = if is_rsa(slot.key_type) {
                assert!(slot.pubkey.len() <= slot.key_type.keystore_pubkey_size());
                slot.key_type.keystore_pubkey_size()
            } else {
                slot.pubkey.len()
            };
            assert!(slot.key_type.keystore_pubkey_size_ok(stored));
            let len = KEYSTORE_SLOT_HEADER_LEN + stored;
            if matches!(slot.key_type, AuthType::MlDsa | AuthType::Lms | AuthType::Xmss) {
                let ours = raw_slot_bytes(
                    slot.slot_id,
                    slot.key_type,
                    slot.part_mask,
                    slot.pubkey,
                    slot.pubkey.len(),
                );
                assert_eq!(ours[..], data[at..at + len]);
            }
            at += len;
        }
    }
);

fn is_rsa(t: AuthType) -> bool {
    matches!(
        t,
        AuthType::Rsa2048
            | AuthType::Rsa3072
            | AuthType::Rsa4096
            | AuthType::RsaPss2048
            | AuthType::RsaPss3072
            | AuthType::RsaPss4096
    )
}
