//! Key files as sign-cli reads them (private keys for `sign`, public keys
//! for `keygen`'s keystore) and binary keystore slots as the verifier reads
//! them, on arbitrary bytes. Byte 0 names the expected key kind (0: any).
//!
//! Asserts, beyond "never panics":
//! * a private key is of the kind asked for, its public half has the
//!   keystore size, it survives its own raw (keygen) form, and a signature it
//!   makes verifies with the bootloader's `verify_signature`;
//! * a public key has the keystore size and decodes in the bootloader's
//!   verifier (a key the bootloader cannot use must not enter a keystore);
//! * a public key written as a keystore slot by sign-cli reads back as the
//!   same key; a slot read by the verifier has its type's size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sign_cli::keys::{parse_private_key, parse_public_key, KeyKind, PrivateKey, PublicKey};
use sign_cli::keystore::{slot_bytes, SlotSpec};
use wolfboot_fuzz::seeds;
use wolfboot_verify::{
    parse_keystore, parse_keystore_slot, verify_signature, AuthType, HashAlgorithm, VerifyError,
    VerifyPolicy,
};

fuzz_target!(
    init: {
        seeds::write_from_env("key_files");
    },
    |data: &[u8]| {
        let Some((&sel, bytes)) = data.split_first() else {
            return;
        };
        let expected = match usize::from(sel) % (KeyKind::ALL.len() + 1) {
            0 => None,
            n => Some(KeyKind::ALL[n - 1]),
        };
        if let Ok(key) = parse_private_key(bytes, expected) {
            private(&key, expected);
        }
        if let Ok(pk) = parse_public_key(bytes) {
            public(&pk);
        }
        for slot in parse_keystore(bytes).take(64).flatten() {
            let size = slot.key_type.keystore_pubkey_size();
            assert!(size > 0 && slot.pubkey.len() <= size);
            assert!(slot.key_bytes().len() <= slot.pubkey.len());
            let _ = slot.hint(HashAlgorithm::Sha256);
        }
        let _ = parse_keystore_slot(bytes);
    }
);

fn private(key: &PrivateKey, expected: Option<KeyKind>) {
    let kind = key.kind();
    if let Some(e) = expected {
        assert_eq!(kind, e, "kind asked for");
    }
    let public_key = key.public_key();
    if kind.rsa_bits() == 0 {
        assert_eq!(
            public_key.len(),
            kind.raw_public_len(),
            "{kind} public key size"
        );
    } else {
        assert!(!public_key.is_empty());
    }
    let raw = key.to_wolfboot_raw().expect("raw form");
    let again = parse_private_key(&raw, Some(kind)).expect("raw form reads back");
    assert_eq!(again.public_key(), public_key, "raw form round trip");
    let pk = parse_public_key(&public_key).expect("public half reads as a public key");
    assert_eq!((pk.kind, &pk.bytes), (kind, &public_key));

    let auth = kind.default_auth();
    let digest = [0x5Au8; 32];
    let sig = key
        .sign_digest(auth, HashAlgorithm::Sha256, false, &digest)
        .expect("a parsed key signs");
    assert_eq!(
        verify_signature(
            auth,
            &public_key,
            HashAlgorithm::Sha256,
            &digest,
            &sig,
            &VerifyPolicy::new()
        ),
        Ok(()),
        "{kind} signature by the parsed key does not verify"
    );
}

fn public(pk: &PublicKey) {
    let auth: AuthType = pk.kind.default_auth();
    if pk.kind.rsa_bits() == 0 {
        assert_eq!(
            pk.bytes.len(),
            pk.kind.raw_public_len(),
            "{} key size",
            pk.kind
        );
    }
    let sig = vec![0u8; auth.signature_len()];
    let r = verify_signature(
        auth,
        &pk.bytes,
        HashAlgorithm::Sha256,
        &[0u8; 32],
        &sig,
        &VerifyPolicy::new(),
    );
    assert_ne!(
        r,
        Err(VerifyError::BadPublicKey),
        "sign-cli accepted a {} public key the verifier cannot decode",
        pk.kind
    );
    // Written as a keystore slot, read back by the verifier.
    let bytes = slot_bytes(&SlotSpec::new(7, pk.clone(), "fuzz"));
    let slot = parse_keystore_slot(&bytes).expect("slot written by sign-cli reads back");
    assert_eq!(slot.slot_id, 7);
    assert_eq!(slot.key_type, auth);
    assert_eq!(slot.key_bytes(), pk.bytes.as_slice());
}
