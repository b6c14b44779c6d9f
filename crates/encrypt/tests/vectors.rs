//! wolfBoot's encrypted vectors: our encryption of wolfBoot's signed image
//! must give wolfBoot's `*_signed_and_encrypted.bin` byte for byte, and
//! decrypting that file at any offset must give the plaintext.

use wolfboot_encrypt::{encrypt_image, Algorithm, Cipher, EncryptError};

const CASES: [(Algorithm, &str, &str); 3] = [
    (
        Algorithm::ChaCha20,
        "enc_chacha.key",
        "encrypted_chacha_v751",
    ),
    (
        Algorithm::Aes128Ctr,
        "enc_aes128.key",
        "encrypted_aes128_v470",
    ),
    (
        Algorithm::Aes256Ctr,
        "enc_aes256.key",
        "encrypted_aes256_v737",
    ),
];

#[test]
fn encrypting_wolfboot_signed_images_gives_wolfboot_ciphertext() {
    for (alg, key, stem) in CASES {
        let key = wolfboot_test_vectors::read(key);
        assert_eq!(key.len(), alg.secret_len(), "{alg}: key file layout");
        let plain = wolfboot_test_vectors::read(&format!("{stem}_signed.bin"));
        let expected = wolfboot_test_vectors::read(&format!("{stem}_signed_and_encrypted.bin"));
        let mut c = Cipher::from_key_file(alg, &key).unwrap();
        let ours = encrypt_image(&mut c, &plain);
        assert_eq!(ours.len(), expected.len(), "{alg}: length");
        assert!(
            ours == expected,
            "{alg}: ciphertext differs from wolfBoot's"
        );
        assert_ne!(ours[..plain.len()], plain[..], "{alg}: nothing encrypted");
    }
}

#[test]
fn any_block_decrypts_on_its_own() {
    for (alg, key, stem) in CASES {
        let key = wolfboot_test_vectors::read(key);
        let plain = wolfboot_test_vectors::read(&format!("{stem}_signed.bin"));
        let enc = wolfboot_test_vectors::read(&format!("{stem}_signed_and_encrypted.bin"));
        let mut c = Cipher::from_key_file(alg, &key).unwrap();
        // Odd offsets and lengths, in any order, as a bootloader reads.
        for (off, len) in [
            (4000usize, 352usize),
            (0, 8),
            (257, 1000),
            (63, 2),
            (1, 4351),
        ] {
            let mut buf = enc[off..off + len].to_vec();
            c.apply_at(off as u32, &mut buf);
            assert_eq!(buf, plain[off..off + len], "{alg} at {off}+{len}");
        }
    }
}

#[test]
fn wrong_key_does_not_decrypt() {
    for (alg, key, stem) in CASES {
        let mut key = wolfboot_test_vectors::read(key);
        key[0] ^= 1;
        let plain = wolfboot_test_vectors::read(&format!("{stem}_signed.bin"));
        let enc = wolfboot_test_vectors::read(&format!("{stem}_signed_and_encrypted.bin"));
        let mut c = Cipher::from_key_file(alg, &key).unwrap();
        let mut buf = enc[..256].to_vec();
        c.apply_keystream(0, &mut buf);
        assert_ne!(buf[..4], plain[..4], "{alg}");
    }
}

#[test]
fn blank_and_short_keys_are_refused() {
    for alg in Algorithm::ALL {
        let ff = vec![0xFFu8; alg.secret_len()];
        let zero = vec![0u8; alg.secret_len()];
        assert_eq!(
            Cipher::from_key_file(alg, &ff).unwrap_err(),
            EncryptError::NoKey
        );
        assert_eq!(
            Cipher::from_key_file(alg, &zero).unwrap_err(),
            EncryptError::NoKey
        );
        let short = vec![7u8; alg.secret_len() - 1];
        assert_eq!(
            Cipher::from_key_file(alg, &short).unwrap_err(),
            EncryptError::BadLength
        );
        assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
    }
}
