//! The update-encryption secret of wolfBoot's `EXT_ENCRYPTED` builds: key
//! then nonce, stored in BOOT right where the trailer ends
//! ([`TrailerConfig::end_offset`], wolfBoot's `ENCRYPT_TMP_SECRET_OFFSET`),
//! in the skip that [`TrailerConfig::with_encrypt_secret`] reserves.
//!
//! [`SecretArea`] is the one owner of that area: where it is, reading it
//! (the bootloader, `libwolfboot-rs`), writing and erasing it
//! (`libwolfboot-rs`'s `set_encrypt_key` / `erase_encrypt_key`, as wolfBoot's
//! `hal_set_key` does: the last sector of BOOT is read, erased and written
//! back with the new secret). A cut before the erase leaves the old secret,
//! after the last program the new one, and in between an erased area with
//! no trailer, which the bootloader refuses with
//! [`RefuseReason::NoKey`](crate::RefuseReason::NoKey).

use core::fmt;

use wolfboot_encrypt::{is_blank_key, Algorithm};
use wolfboot_hal_flash::{
    FlashFault, FlashSet, Partition, PartitionError, PartitionId, PartitionSet,
};

use crate::trailer::{PartitionTrailer, TrailerConfig};

/// Largest tail of BOOT (trailer and secret, whole write units) a write of
/// the secret keeps in RAM across the erase of BOOT's last sector (bytes).
pub const MAX_TAIL: usize = 1024;

/// Why the secret area could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The flash failed (power loss included).
    Flash(FlashFault),
    /// The trailer's skip leaves no room for the secret, or the area falls
    /// outside BOOT's last sector.
    OutOfRange,
    /// Key or nonce of the wrong length for the cipher.
    BadLength,
    /// The tail to keep across the sector erase exceeds [`MAX_TAIL`].
    TailTooLarge,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::Flash(e) => write!(f, "secret flash error: {e}"),
            SecretError::OutOfRange => f.write_str("no room for the encryption secret"),
            SecretError::BadLength => f.write_str("key or nonce of the wrong length"),
            SecretError::TailTooLarge => f.write_str("trailer region larger than the RAM buffer"),
        }
    }
}

impl From<PartitionError<FlashFault>> for SecretError {
    fn from(e: PartitionError<FlashFault>) -> Self {
        match e {
            PartitionError::OutOfRange => SecretError::OutOfRange,
            PartitionError::Flash(f) => SecretError::Flash(f),
        }
    }
}

/// The secret area of one layout, trailer configuration and cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretArea {
    boot: Partition,
    sector_size: u32,
    offset: u32,
    /// Bytes of BOOT's trailer, counted back from `offset`.
    trailer_len: u32,
    algorithm: Algorithm,
}

impl SecretArea {
    /// The area of `algorithm`'s key and nonce in `layout`'s BOOT, where the
    /// trailer configured by `trailer` ends. [`SecretError::OutOfRange`] when
    /// the trailer's skip does not leave room for it.
    pub fn new(
        layout: &PartitionSet,
        trailer: TrailerConfig,
        algorithm: Algorithm,
    ) -> Result<Self, SecretError> {
        let boot = layout.get(PartitionId::Boot);
        let offset = offset(boot.size, &trailer);
        let len = algorithm.secret_len() as u32;
        if trailer.end_offset(boot.size).is_none()
            || offset.checked_add(len).is_none_or(|end| end > boot.size)
        {
            return Err(SecretError::OutOfRange);
        }
        let trailer_len = PartitionTrailer::of(layout, PartitionId::Boot, trailer).used_len();
        Ok(SecretArea {
            boot,
            sector_size: layout.sector_size,
            offset,
            trailer_len,
            algorithm,
        })
    }

    /// The cipher whose secret this is.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Offset of the key in BOOT (the nonce follows it).
    pub const fn offset(&self) -> u32 {
        self.offset
    }

    /// Bytes of key and nonce.
    pub fn len(&self) -> usize {
        self.algorithm.secret_len()
    }

    /// Whether the area is empty (never, for the ciphers built in).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read key then nonce as stored (erased or not) into `out`, which must
    /// be [`len`](Self::len) bytes long.
    pub fn read_raw<S: FlashSet + ?Sized>(
        &self,
        flash: &mut S,
        out: &mut [u8],
    ) -> Result<(), SecretError> {
        if out.len() != self.len() {
            return Err(SecretError::BadLength);
        }
        Ok(read_at(flash, self.boot, self.offset, out)?)
    }

    /// Read the stored key and nonce into buffers of the cipher's lengths;
    /// `false` when none is stored (an erased or all-zero key, as wolfBoot).
    pub fn read<S: FlashSet + ?Sized>(
        &self,
        flash: &mut S,
        key: &mut [u8],
        nonce: &mut [u8],
    ) -> Result<bool, SecretError> {
        let key_len = self.algorithm.key_len();
        if key.len() != key_len || nonce.len() != self.algorithm.nonce_len() {
            return Err(SecretError::BadLength);
        }
        self.boot.read(flash, self.offset, key)?;
        self.boot.read(flash, self.offset + key_len as u32, nonce)?;
        Ok(!is_blank_key(key))
    }

    /// Store `key` and `nonce` (wolfBoot's `wolfBoot_set_encrypt_key`).
    pub fn write<S: FlashSet + ?Sized>(
        &self,
        flash: &mut S,
        key: &[u8],
        nonce: &[u8],
    ) -> Result<(), SecretError> {
        if key.len() != self.algorithm.key_len() || nonce.len() != self.algorithm.nonce_len() {
            return Err(SecretError::BadLength);
        }
        self.store(flash, Some((key, nonce)))
    }

    /// Replace the secret with the erased pattern
    /// (`wolfBoot_erase_encrypt_key`).
    pub fn erase<S: FlashSet + ?Sized>(&self, flash: &mut S) -> Result<(), SecretError> {
        self.store(flash, None)
    }

    /// The bytes of BOOT rewritten by [`write`](Self::write) and
    /// [`erase`](Self::erase): from the trailer's first byte (rounded down
    /// to a write unit) to the end of BOOT, and the start of the sector
    /// erased. Both in BOOT's offsets.
    pub fn rewritten<S: FlashSet + ?Sized>(&self, flash: &S) -> Result<(u32, u32), SecretError> {
        let ws = flash.geometry(self.boot.device).write_size.max(1);
        let sector_start = self
            .boot
            .size
            .checked_sub(self.sector_size)
            .ok_or(SecretError::OutOfRange)?;
        let first = self
            .offset
            .checked_sub(self.trailer_len)
            .ok_or(SecretError::OutOfRange)?;
        let tail_start = first / ws * ws;
        if tail_start < sector_start {
            return Err(SecretError::OutOfRange);
        }
        Ok((tail_start, sector_start))
    }

    /// Read the tail of BOOT's last sector (trailer and secret), erase the
    /// sector, write the tail back with the secret replaced.
    fn store<S: FlashSet + ?Sized>(
        &self,
        flash: &mut S,
        value: Option<(&[u8], &[u8])>,
    ) -> Result<(), SecretError> {
        let erased = flash.geometry(self.boot.device).erased_byte;
        let (tail_start, sector_start) = self.rewritten(flash)?;
        let tail_len = (self.boot.size - tail_start) as usize;
        let mut buf = [erased; MAX_TAIL];
        let tail = buf.get_mut(..tail_len).ok_or(SecretError::TailTooLarge)?;
        self.boot.read(flash, tail_start, tail)?;
        let at = (self.offset - tail_start) as usize;
        let area = tail
            .get_mut(at..at + self.len())
            .ok_or(SecretError::OutOfRange)?;
        match value {
            Some((key, nonce)) => {
                let (k, n) = area.split_at_mut(key.len());
                k.copy_from_slice(key);
                n.copy_from_slice(nonce);
            }
            None => area.fill(erased),
        }
        self.boot.erase(flash, sector_start, self.boot.size)?;
        self.boot.write(flash, tail_start, tail)?;
        Ok(())
    }
}

/// Read `out.len()` bytes of the secret area of `boot` at `offset` (from
/// [`offset`]): the one read of the secret, for [`SecretArea`] and the
/// bootloader.
pub(crate) fn read_at<S: FlashSet + ?Sized>(
    flash: &mut S,
    boot: Partition,
    offset: u32,
    out: &mut [u8],
) -> Result<(), PartitionError<FlashFault>> {
    boot.read(flash, offset, out)
}

/// Offset of the secret in a BOOT partition of `partition_size` bytes: where
/// the trailer ends (0 when the skip does not leave room).
pub(crate) const fn offset(partition_size: u32, trailer: &TrailerConfig) -> u32 {
    partition_size.saturating_sub(trailer.trailer_skip)
}
