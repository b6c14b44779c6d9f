//! Update encryption as wolfBoot's `EXT_ENCRYPTED` builds do it.
//!
//! The whole signed image (header included) is encrypted with a stream
//! cipher in counter mode, and the keystream position is the byte offset
//! in the UPDATE partition: any block can be decrypted on its own, so the
//! bootloader can decrypt while it verifies and swaps, one sector at a time.
//!
//! * [`Algorithm`] — the three ciphers, with wolfBoot's key, nonce and
//!   block sizes ([`Algorithm::key_len`], [`Algorithm::nonce_len`],
//!   [`Algorithm::block_size`]).
//! * [`Cipher`] — a keyed cipher; [`Cipher::apply_keystream`] encrypts or
//!   decrypts (the same operation) bytes at any position.
//!
//! Unlike recent wolfBoot, the backup the bootloader writes into UPDATE
//! during a swap uses the same counter base as delivered images (wolfBoot's
//! `FALLBACK_IV_OFFSET` is not used): see the swap-state-machine docs.
//! * [`encrypt_image`] (feature `std`) — what `sign --encrypt` writes.
//!
//! Facts (wolfBoot `tools/keytools/sign.c`, `src/libwolfboot.c`):
//! * ChaCha20 (RFC 8439): 32-byte key, 12-byte nonce, 64-byte blocks; the
//!   32-bit block counter of the byte at offset `o` is `o / 64`.
//! * AES-128-CTR / AES-256-CTR: 16/32-byte key, 16-byte IV, 16-byte blocks;
//!   the counter block of offset `o` is the IV plus `o / 16`, as a 128-bit
//!   big-endian number. The signing tool pads the image with `0xFF` to a
//!   whole block before encrypting.
//! * The key file given to `sign --encrypt` holds the key then the nonce.
//! * An all-`0xFF` or all-zero stored key means "no key" ([`Cipher::new`]
//!   refuses it).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

use core::fmt;

#[cfg(feature = "aes")]
use aes::{Aes128, Aes256};
#[cfg(any(feature = "aes", feature = "chacha20"))]
use ctr_traits::{KeyIvInit, StreamCipher, StreamCipherSeek};

#[cfg(feature = "chacha20")]
use chacha20::cipher as ctr_traits;
#[cfg(all(feature = "aes", not(feature = "chacha20")))]
use ctr::cipher as ctr_traits;

/// The largest key (AES-256, ChaCha20).
pub const MAX_KEY_LEN: usize = 32;
/// The largest nonce / IV (AES).
pub const MAX_NONCE_LEN: usize = 16;

/// An update-encryption cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ChaCha20 (`ENCRYPT_WITH_CHACHA`, `sign --chacha`).
    ChaCha20,
    /// AES-128-CTR (`ENCRYPT_WITH_AES128`, `sign --aes128`).
    Aes128Ctr,
    /// AES-256-CTR (`ENCRYPT_WITH_AES256`, `sign --aes256`).
    Aes256Ctr,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 3] = [
        Algorithm::ChaCha20,
        Algorithm::Aes128Ctr,
        Algorithm::Aes256Ctr,
    ];

    /// `ENCRYPT_KEY_SIZE`.
    pub const fn key_len(self) -> usize {
        match self {
            Algorithm::ChaCha20 | Algorithm::Aes256Ctr => 32,
            Algorithm::Aes128Ctr => 16,
        }
    }

    /// `ENCRYPT_NONCE_SIZE`.
    pub const fn nonce_len(self) -> usize {
        match self {
            Algorithm::ChaCha20 => 12,
            Algorithm::Aes128Ctr | Algorithm::Aes256Ctr => 16,
        }
    }

    /// `ENCRYPT_BLOCK_SIZE`: the bytes one counter value covers.
    pub const fn block_size(self) -> usize {
        match self {
            Algorithm::ChaCha20 => 64,
            Algorithm::Aes128Ctr | Algorithm::Aes256Ctr => 16,
        }
    }

    /// Key plus nonce: the size of the key file and of the secret area
    /// stored at the end of BOOT.
    pub const fn secret_len(self) -> usize {
        self.key_len() + self.nonce_len()
    }

    /// Name as in the sign tool's options (`chacha`, `aes128`, `aes256`).
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::ChaCha20 => "chacha",
            Algorithm::Aes128Ctr => "aes128",
            Algorithm::Aes256Ctr => "aes256",
        }
    }

    /// Inverse of [`Algorithm::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether this build carries the cipher (cargo features).
    pub const fn is_available(self) -> bool {
        match self {
            Algorithm::ChaCha20 => cfg!(feature = "chacha20"),
            Algorithm::Aes128Ctr | Algorithm::Aes256Ctr => cfg!(feature = "aes"),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::ChaCha20 => "ChaCha20",
            Algorithm::Aes128Ctr => "AES-128-CTR",
            Algorithm::Aes256Ctr => "AES-256-CTR",
        })
    }
}

/// Why a cipher could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptError {
    /// Key or nonce of the wrong length for the algorithm.
    BadLength,
    /// The key is blank (all `0xFF` or all zero): no key is stored.
    NoKey,
    /// The algorithm is not compiled into this build.
    Unsupported,
}

impl fmt::Display for EncryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncryptError::BadLength => "encryption key or nonce has the wrong length",
            EncryptError::NoKey => "no encryption key stored",
            EncryptError::Unsupported => "encryption algorithm not built in",
        })
    }
}

/// Whether a stored key counts as absent (wolfBoot checks all-`0xFF` and
/// all-zero).
pub fn is_blank_key(key: &[u8]) -> bool {
    key.iter().all(|b| *b == 0xFF) || key.iter().all(|b| *b == 0)
}

enum Engine {
    /// No cipher built in: never constructed.
    #[cfg(not(any(feature = "chacha20", feature = "aes")))]
    #[allow(dead_code)]
    Disabled(core::convert::Infallible),
    #[cfg(feature = "chacha20")]
    ChaCha20(chacha20::ChaCha20),
    #[cfg(feature = "aes")]
    Aes128(ctr::Ctr128BE<Aes128>),
    #[cfg(feature = "aes")]
    Aes256(ctr::Ctr128BE<Aes256>),
}

fn make_engine(algorithm: Algorithm, key: &[u8], nonce: &[u8]) -> Result<Engine, EncryptError> {
    let _ = (key, nonce);
    match algorithm {
        #[cfg(feature = "chacha20")]
        Algorithm::ChaCha20 => chacha20::ChaCha20::new_from_slices(key, nonce)
            .map(Engine::ChaCha20)
            .map_err(|_| EncryptError::BadLength),
        #[cfg(feature = "aes")]
        Algorithm::Aes128Ctr => ctr::Ctr128BE::<Aes128>::new_from_slices(key, nonce)
            .map(Engine::Aes128)
            .map_err(|_| EncryptError::BadLength),
        #[cfg(feature = "aes")]
        Algorithm::Aes256Ctr => ctr::Ctr128BE::<Aes256>::new_from_slices(key, nonce)
            .map(Engine::Aes256)
            .map_err(|_| EncryptError::BadLength),
        #[allow(unreachable_patterns)]
        _ => Err(EncryptError::Unsupported),
    }
}

/// A keyed update-encryption cipher.
pub struct Cipher {
    algorithm: Algorithm,
    engine: Engine,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("Cipher")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Cipher {
    /// Key the cipher. Refuses wrong lengths and a blank key.
    pub fn new(algorithm: Algorithm, key: &[u8], nonce: &[u8]) -> Result<Self, EncryptError> {
        if key.len() != algorithm.key_len() || nonce.len() != algorithm.nonce_len() {
            return Err(EncryptError::BadLength);
        }
        if is_blank_key(key) {
            return Err(EncryptError::NoKey);
        }
        let engine = make_engine(algorithm, key, nonce)?;
        Ok(Cipher { algorithm, engine })
    }

    /// Key the cipher from a key file's contents (key then nonce, as
    /// `sign --encrypt` reads it; extra bytes are ignored as wolfBoot does).
    pub fn from_key_file(algorithm: Algorithm, contents: &[u8]) -> Result<Self, EncryptError> {
        let key = contents
            .get(..algorithm.key_len())
            .ok_or(EncryptError::BadLength)?;
        let nonce = contents
            .get(algorithm.key_len()..algorithm.secret_len())
            .ok_or(EncryptError::BadLength)?;
        Self::new(algorithm, key, nonce)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// XOR the keystream at byte `position` into `data` (encrypts plaintext,
    /// decrypts ciphertext). A position beyond the counter's range (256 GiB
    /// for ChaCha20; partitions are far smaller) zeroes `data` rather than
    /// leave plaintext in it.
    pub fn apply_keystream(&mut self, position: u64, data: &mut [u8]) {
        match &mut self.engine {
            #[cfg(not(any(feature = "chacha20", feature = "aes")))]
            Engine::Disabled(never) => {
                let _ = (position, &data);
                match *never {}
            }
            #[cfg(feature = "chacha20")]
            Engine::ChaCha20(c) => {
                // The 32-bit block counter covers 256 GiB.
                if c.try_seek(position).is_ok() {
                    c.apply_keystream(data);
                } else {
                    data.fill(0);
                }
            }
            #[cfg(feature = "aes")]
            Engine::Aes128(c) => {
                if c.try_seek(position).is_ok() {
                    c.apply_keystream(data);
                } else {
                    data.fill(0);
                }
            }
            #[cfg(feature = "aes")]
            Engine::Aes256(c) => {
                if c.try_seek(position).is_ok() {
                    c.apply_keystream(data);
                } else {
                    data.fill(0);
                }
            }
        }
    }

    /// [`Cipher::apply_keystream`] at partition offset `offset`.
    pub fn apply_at(&mut self, offset: u32, data: &mut [u8]) {
        self.apply_keystream(u64::from(offset), data);
    }
}

/// Encrypt a signed image as `sign --encrypt` does: AES pads it with `0xFF`
/// to a whole 16-byte block first; the keystream starts at position 0.
#[cfg(feature = "std")]
pub fn encrypt_image(cipher: &mut Cipher, image: &[u8]) -> std::vec::Vec<u8> {
    let mut out = image.to_vec();
    if cipher.algorithm() != Algorithm::ChaCha20 {
        let block = cipher.algorithm().block_size();
        while !out.len().is_multiple_of(block) {
            out.push(0xFF);
        }
    }
    cipher.apply_keystream(0, &mut out);
    out
}
