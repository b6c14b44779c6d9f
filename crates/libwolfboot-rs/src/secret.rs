use wolfboot_encrypt::{Algorithm, Cipher, EncryptError, MAX_KEY_LEN, MAX_NONCE_LEN};
use wolfboot_hal_flash::{FlashSet, PartitionId, PartitionSet};

use crate::error::Error;

/// Largest trailer-sector tail this crate preserves across the sector
/// rewrite that storing a key needs (bytes).
const TAIL_BUF: usize = 1024;

/// The update-encryption secret area of wolfBoot's `EXT_ENCRYPTED` builds:
/// key then nonce, in the last `key_len + nonce_len` bytes of BOOT (the
/// trailers of both partitions then end that many bytes earlier:
/// configure the trailer's skip to match).
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

    /// Write key and nonce (or the erased pattern) as wolfBoot's
    /// `hal_set_key` does: the BOOT sector holding them is read, erased and
    /// written back with the secret in place. Only the sector's tail (secret
    /// plus trailer) can hold data, so that tail is what is kept in RAM.
    pub(crate) fn store<S: FlashSet>(
        &self,
        flash: &mut S,
        layout: &PartitionSet,
        value: Option<(&[u8], &[u8])>,
    ) -> Result<(), Error> {
        let boot = layout.get(PartitionId::Boot);
        let geometry = flash.geometry(boot.device);
        let erased = geometry.erased_byte;
        let secret_len = self.len() as usize;
        if let Some((key, nonce)) = value {
            if key.len() != usize::from(self.key_len) || nonce.len() != usize::from(self.nonce_len)
            {
                return Err(Error::BadKeyLength);
            }
        }
        let sector = layout.sector_size;
        let sector_start = boot.size.checked_sub(sector).ok_or(Error::OutOfRange)?;
        // The tail kept: the trailer (magic, state, one nibble per sector)
        // and the secret, rounded to whole write units.
        let sectors = boot.size / sector.max(1);
        let trailer_len = 5 + sectors.div_ceil(2);
        let write = geometry.write_size.max(1);
        let tail_len = (trailer_len + self.len()).div_ceil(write) * write;
        let tail_len = tail_len.min(sector) as usize;
        if tail_len > TAIL_BUF {
            return Err(Error::TrailerTooLarge);
        }
        let tail_start = boot.size - tail_len as u32;
        let mut tail = [erased; TAIL_BUF];
        let tail = tail.get_mut(..tail_len).ok_or(Error::TrailerTooLarge)?;
        boot.read(flash, tail_start, tail)?;
        let at = tail_len.checked_sub(secret_len).ok_or(Error::OutOfRange)?;
        let area = tail.get_mut(at..).ok_or(Error::OutOfRange)?;
        match value {
            Some((key, nonce)) => {
                let (k, n) = area.split_at_mut(key.len());
                k.copy_from_slice(key);
                n.copy_from_slice(nonce);
            }
            None => area.fill(erased),
        }
        boot.erase(flash, sector_start, boot.size)?;
        boot.write(flash, tail_start, tail)?;
        Ok(())
    }

    /// The keyed cipher, from the stored key and nonce; `Error::NoEncryptKey`
    /// when none is stored.
    pub(crate) fn cipher<S: FlashSet>(
        &self,
        flash: &mut S,
        layout: &PartitionSet,
    ) -> Result<Cipher, Error> {
        let mut key = [0u8; MAX_KEY_LEN];
        let mut nonce = [0u8; MAX_NONCE_LEN];
        let k = key
            .get_mut(..usize::from(self.key_len))
            .ok_or(Error::BadKeyLength)?;
        let n = nonce
            .get_mut(..usize::from(self.nonce_len))
            .ok_or(Error::BadKeyLength)?;
        if !self.load(flash, layout, k, n)? {
            return Err(Error::NoEncryptKey);
        }
        Cipher::new(self.algorithm, k, n).map_err(|e| match e {
            EncryptError::NoKey => Error::NoEncryptKey,
            EncryptError::Unsupported => Error::CipherNotBuilt,
            EncryptError::BadLength => Error::BadKeyLength,
        })
    }

    pub(crate) fn load<S: FlashSet>(
        &self,
        flash: &mut S,
        layout: &PartitionSet,
        key: &mut [u8],
        nonce: &mut [u8],
    ) -> Result<bool, Error> {
        if key.len() != usize::from(self.key_len) || nonce.len() != usize::from(self.nonce_len) {
            return Err(Error::BadKeyLength);
        }
        let boot = layout.get(PartitionId::Boot);
        let at = boot.size.checked_sub(self.len()).ok_or(Error::OutOfRange)?;
        boot.read(flash, at, key)?;
        boot.read(flash, at + u32::from(self.key_len), nonce)?;
        let erased = flash.geometry(boot.device).erased_byte;
        // wolfBoot treats an all-erased or all-zero key as "no key".
        let blank = key.iter().all(|b| *b == erased) || key.iter().all(|b| *b == 0);
        Ok(!blank)
    }
}
