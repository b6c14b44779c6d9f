use wolfboot_encrypt::{Algorithm, Cipher, EncryptError, MAX_KEY_LEN, MAX_NONCE_LEN};
use wolfboot_hal_flash::{FlashSet, PartitionSet};
use wolfboot_swap_state_machine::{SecretArea, TrailerConfig};

use crate::error::Error;

/// The update-encryption secret of wolfBoot's `EXT_ENCRYPTED` builds: key
/// then nonce, stored in BOOT where the trailer ends (the last
/// `key_len + nonce_len` bytes of BOOT, with the trailer's skip set by
/// [`WolfBootConfig::with_encryption`](crate::WolfBootConfig::with_encryption)).
/// Where it is and how it is written is the state machine's
/// [`SecretArea`], the same code the bootloader reads it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptSecret {
    /// The cipher of the UPDATE partition.
    pub algorithm: Algorithm,
    /// Key length: 32 for ChaCha20 and AES-256, 16 for AES-128.
    pub key_len: u8,
    /// Nonce / IV length: 12 for ChaCha20, 16 for AES.
    pub nonce_len: u8,
}

impl EncryptSecret {
    /// ChaCha20: 32-byte key, 12-byte nonce.
    pub const CHACHA20: Self = Self::of(Algorithm::ChaCha20);
    /// AES-128-CTR: 16-byte key, 16-byte IV.
    pub const AES128: Self = Self::of(Algorithm::Aes128Ctr);
    /// AES-256-CTR: 32-byte key, 16-byte IV.
    pub const AES256: Self = Self::of(Algorithm::Aes256Ctr);

    /// The secret area of `algorithm`.
    pub const fn of(algorithm: Algorithm) -> Self {
        EncryptSecret {
            algorithm,
            key_len: algorithm.key_len() as u8,
            nonce_len: algorithm.nonce_len() as u8,
        }
    }

    /// Bytes the secret occupies at the end of BOOT.
    pub const fn len(&self) -> u32 {
        self.key_len as u32 + self.nonce_len as u32
    }

    /// Whether the area is empty (never, for the ciphers above).
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The area on flash, owned by the state machine's [`SecretArea`]:
    /// where `trailer`'s BOOT trailer ends in `layout`.
    fn area(&self, layout: &PartitionSet, trailer: TrailerConfig) -> Result<SecretArea, Error> {
        if *self != Self::of(self.algorithm) {
            return Err(Error::BadKeyLength);
        }
        SecretArea::new(layout, trailer, self.algorithm).map_err(Error::from)
    }

    /// Write key and nonce (or the erased pattern) as wolfBoot's
    /// `hal_set_key` does ([`SecretArea::write`] / [`SecretArea::erase`]).
    pub(crate) fn store<S: FlashSet>(
        &self,
        flash: &mut S,
        layout: &PartitionSet,
        trailer: TrailerConfig,
        value: Option<(&[u8], &[u8])>,
    ) -> Result<(), Error> {
        let area = self.area(layout, trailer)?;
        match value {
            Some((key, nonce)) => area.write(flash, key, nonce)?,
            None => area.erase(flash)?,
        }
        Ok(())
    }

    /// The keyed cipher, from the stored key and nonce; `Error::NoEncryptKey`
    /// when none is stored.
    pub(crate) fn cipher<S: FlashSet>(
        &self,
        flash: &mut S,
        layout: &PartitionSet,
        trailer: TrailerConfig,
    ) -> Result<Cipher, Error> {
        let mut key = [0u8; MAX_KEY_LEN];
        let mut nonce = [0u8; MAX_NONCE_LEN];
        let k = key
            .get_mut(..usize::from(self.key_len))
            .ok_or(Error::BadKeyLength)?;
        let n = nonce
            .get_mut(..usize::from(self.nonce_len))
            .ok_or(Error::BadKeyLength)?;
        if !self.load(flash, layout, trailer, k, n)? {
            return Err(Error::NoEncryptKey);
        }
        Cipher::new(self.algorithm, k, n).map_err(|e| match e {
            EncryptError::NoKey => Error::NoEncryptKey,
            EncryptError::Unsupported => Error::CipherNotBuilt,
            EncryptError::BadLength => Error::BadKeyLength,
        })
    }

    /// Read the stored key and nonce ([`SecretArea::read`]).
    pub(crate) fn load<S: FlashSet>(
        &self,
        flash: &mut S,
        layout: &PartitionSet,
        trailer: TrailerConfig,
        key: &mut [u8],
        nonce: &mut [u8],
    ) -> Result<bool, Error> {
        Ok(self.area(layout, trailer)?.read(flash, key, nonce)?)
    }
}
