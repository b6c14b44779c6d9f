use wolfboot_encrypt::Cipher;
use wolfboot_hal_flash::{FlashSet, Partition, PartitionError};
use wolfboot_verify::{ImageSource, SourceError};

/// A partition of a [`FlashSet`] as a `wolfboot-verify` image source, so
/// images are verified in place, read in small chunks (decrypted on the
/// way for an encrypted UPDATE partition).
#[derive(Debug)]
pub struct PartitionSource<'a, S: ?Sized> {
    set: &'a mut S,
    partition: Partition,
    len: u32,
    cipher: Option<&'a mut Cipher>,
}

impl<'a, S: FlashSet + ?Sized> PartitionSource<'a, S> {
    /// The first `len` bytes of `partition` (clamped to its size).
    pub fn new(set: &'a mut S, partition: Partition, len: u32) -> Self {
        PartitionSource {
            set,
            partition,
            len: len.min(partition.size),
            cipher: None,
        }
    }

    /// Decrypt what is read (keystream position = partition offset).
    pub fn decrypting(mut self, cipher: Option<&'a mut Cipher>) -> Self {
        self.cipher = cipher;
        self
    }
}

impl<S: FlashSet + ?Sized> ImageSource for PartitionSource<'_, S> {
    fn len(&self) -> u32 {
        self.len
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let end = u32::try_from(buf.len())
            .ok()
            .and_then(|n| offset.checked_add(n))
            .ok_or(SourceError::OutOfBounds)?;
        if end > self.len {
            return Err(SourceError::OutOfBounds);
        }
        self.partition
            .read(self.set, offset, buf)
            .map_err(|e| match e {
                PartitionError::OutOfRange => SourceError::OutOfBounds,
                PartitionError::Flash(f) => SourceError::Flash(f.kind),
            })?;
        if let Some(c) = self.cipher.as_deref_mut() {
            c.apply_at(offset, buf);
        }
        Ok(())
    }
}
