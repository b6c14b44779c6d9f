//! `--encrypt KEY` with `--chacha` / `--aes128` / `--aes256`: the update
//! encryption key file (key then nonce) and the whole-file encryption
//! wolfBoot's `sign` applies to `_signed_and_encrypted.bin` (keystream from
//! offset 0, see `wolfboot-encrypt`).

use std::path::Path;

use wolfboot_encrypt::{encrypt_image, Algorithm, Cipher};

use crate::error::{read_file, Error, Result};

/// An encryption key file, checked.
#[derive(Clone)]
pub struct EncryptionKey {
    algorithm: Algorithm,
    contents: Vec<u8>,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptionKey({})", self.algorithm)
    }
}

impl EncryptionKey {
    /// The cipher.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// `bytes` encrypted as `sign --encrypt` writes them.
    pub fn encrypt(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        let mut cipher = Cipher::from_key_file(self.algorithm, &self.contents)
            .map_err(|e| Error::usage(format!("encryption key: {e}")))?;
        Ok(encrypt_image(&mut cipher, bytes))
    }
}

/// Read and check `--encrypt`'s key file (key then nonce).
pub fn load_encryption_key(algorithm: Algorithm, path: &Path) -> Result<EncryptionKey> {
    let contents = read_file(path)?;
    if contents.len() < algorithm.secret_len() {
        return Err(Error::key(
            path,
            format!(
                "{algorithm} needs {} key bytes then {} nonce bytes ({} in all), the file has {}",
                algorithm.key_len(),
                algorithm.nonce_len(),
                algorithm.secret_len(),
                contents.len()
            ),
        ));
    }
    Cipher::from_key_file(algorithm, &contents).map_err(|e| Error::key(path, e.to_string()))?;
    Ok(EncryptionKey {
        algorithm,
        contents,
    })
}
