//! Trusted public keys.
//!
//! A keystore is a list of slots, each a public key with its type and the
//! partitions it may sign for. An image names its key by a hint: the hash of
//! the key bytes, computed with the image's hash algorithm.
//!
//! wolfBoot's `keygen` also writes the keystore as binary slots
//! (`keystore.der`): a 16-byte little-endian header — slot id, key type
//! (auth type code), partition permission mask, key size — then the key,
//! RSA keys being DER padded to the fixed slot size of their type.

use subtle::ConstantTimeEq;
use wolfboot_image_format::{AuthType, HashAlgorithm};

use crate::error::{KeystoreError, VerifyError};
use crate::hash::key_hint;

/// Size of the header before the key in a binary keystore slot.
pub const KEYSTORE_SLOT_HEADER_LEN: usize = 16;

/// Permission mask allowing a key to sign for every partition.
pub const ALL_PARTITIONS: u32 = 0xFFFF_FFFF;

/// One trusted public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySlot<'a> {
    /// Slot number (informational; lookups go by hint).
    pub slot_id: u32,
    /// Key type, as an auth type: RSA keys serve both PKCS#1 v1.5 and PSS
    /// images of their size.
    pub key_type: AuthType,
    /// Bit `n` set: the key may sign images for partition id `n`.
    pub part_mask: u32,
    /// The key as the keystore stores it: raw X||Y for ECDSA, raw for
    /// EdDSA, DER `SubjectPublicKeyInfo` for RSA (trailing slot padding is
    /// ignored).
    pub pubkey: &'a [u8],
}

impl<'a> KeySlot<'a> {
    /// A slot allowed to sign for every partition.
    pub const fn new(slot_id: u32, key_type: AuthType, pubkey: &'a [u8]) -> Self {
        KeySlot {
            slot_id,
            key_type,
            part_mask: ALL_PARTITIONS,
            pubkey,
        }
    }

    /// The key bytes that the hint covers and the verifier decodes: the
    /// stored bytes, with an RSA key cut to its DER length.
    pub fn key_bytes(&self) -> &'a [u8] {
        if RSA_KEYS && is_rsa(self.key_type) {
            der_trim(self.pubkey).unwrap_or(self.pubkey)
        } else {
            self.pubkey
        }
    }

    /// The hint an image signed by this key carries, for its hash algorithm.
    pub fn hint(&self, algorithm: HashAlgorithm) -> Result<crate::hash::Digest, VerifyError> {
        key_hint(algorithm, self.key_bytes())
    }

    /// Whether the key may sign images for this partition id.
    pub fn permits_partition(&self, partition_id: u8) -> bool {
        1u32.checked_shl(u32::from(partition_id))
            .is_some_and(|bit| self.part_mask & bit == bit)
    }

    /// Whether images of this auth type may be verified with this key:
    /// the same type, or the other RSA padding of the same key size.
    pub fn accepts(&self, auth: AuthType) -> bool {
        rsa_bits(self.key_type).map_or(self.key_type == auth, |bits| rsa_bits(auth) == Some(bits))
    }
}

/// The trusted keys, in slot order.
///
/// Borrowing a slice, it can live in a `static`:
///
/// ```
/// use wolfboot_verify::{AuthType, KeySlot, Keystore};
/// static KEY: [u8; 32] = [0x11; 32];
/// static SLOTS: [KeySlot<'static>; 1] = [KeySlot::new(0, AuthType::Ed25519, &KEY)];
/// static KEYSTORE: Keystore<'static> = Keystore::new(&SLOTS);
/// assert_eq!(KEYSTORE.slots().len(), 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Keystore<'a> {
    slots: &'a [KeySlot<'a>],
}

impl<'a> Keystore<'a> {
    /// A keystore over these slots.
    pub const fn new(slots: &'a [KeySlot<'a>]) -> Self {
        Keystore { slots }
    }

    /// The slots.
    pub fn slots(&self) -> &'a [KeySlot<'a>] {
        self.slots
    }

    /// The first slot whose key hashes (with `algorithm`) to `hint`, or
    /// `None`. Each comparison runs in constant time.
    pub fn find_by_hint(
        &self,
        algorithm: HashAlgorithm,
        hint: &[u8],
    ) -> Result<Option<&'a KeySlot<'a>>, VerifyError> {
        for slot in self.slots {
            let h = slot.hint(algorithm)?;
            if bool::from(h.as_bytes().ct_eq(hint)) {
                return Ok(Some(slot));
            }
        }
        Ok(None)
    }
}

fn read_u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Whether this build verifies RSA signatures. Without it an RSA key is
/// taken as stored (its DER length is not read): no image could be
/// verified with it anyway, and the DER walk is not linked.
const RSA_KEYS: bool = cfg!(any(
    feature = "rsa2048",
    feature = "rsa3072",
    feature = "rsa4096",
    feature = "rsapss"
));

fn is_rsa(t: AuthType) -> bool {
    rsa_bits(t).is_some()
}

pub(crate) fn rsa_bits(t: AuthType) -> Option<usize> {
    match t {
        AuthType::Rsa2048 | AuthType::RsaPss2048 => Some(2048),
        AuthType::Rsa3072 | AuthType::RsaPss3072 => Some(3072),
        AuthType::Rsa4096 | AuthType::RsaPss4096 => Some(4096),
        _ => None,
    }
}

/// The DER element at the start of `bytes`, without what follows it.
pub(crate) fn der_trim(bytes: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 3 {
            return None;
        }
        let len = rest
            .get(..n)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + n)
    };
    bytes.get(..hdr.checked_add(len)?)
}

/// Read one binary keystore slot (as wolfBoot's `keygen` writes them) from
/// the start of `bytes`; the slot's key borrows from `bytes`.
///
/// The key size must be the size of the key type (`KEYSTORE_PUBKEY_SIZE`);
/// an RSA key is then cut to its DER length. Note: the `keystore.der` that
/// wolfBoot's keygen writes for an ECC P-521 key states a size of 0 and
/// carries no key: it is refused with [`KeystoreError::KeySizeMismatch`].
pub fn parse_keystore_slot(bytes: &[u8]) -> Result<KeySlot<'_>, KeystoreError> {
    parse_slot(bytes).map(|(slot, _)| slot)
}

fn parse_slot(bytes: &[u8]) -> Result<(KeySlot<'_>, usize), KeystoreError> {
    let field = |at| read_u32_le(bytes, at).ok_or(KeystoreError::Truncated);
    let slot_id = field(0)?;
    let type_code = field(4)?;
    let part_mask = field(8)?;
    let size = field(12)?;
    let key_type = u8::try_from(type_code)
        .ok()
        .and_then(AuthType::from_code)
        .filter(|t| t.keystore_pubkey_size() != 0)
        .ok_or(KeystoreError::UnknownKeyType(type_code))?;
    let size_ok = usize::try_from(size).is_ok_and(|s| key_type.keystore_pubkey_size_ok(s));
    // ML-DSA keys come in three sizes: the slot's own (valid) size counts.
    let expected = match usize::try_from(size) {
        Ok(s) if size_ok => s,
        _ => key_type.keystore_pubkey_size(),
    };
    if !size_ok {
        return Err(KeystoreError::KeySizeMismatch {
            expected,
            found: size,
        });
    }
    let end = KEYSTORE_SLOT_HEADER_LEN + expected;
    let stored = bytes
        .get(KEYSTORE_SLOT_HEADER_LEN..end)
        .ok_or(KeystoreError::Truncated)?;
    let pubkey = if is_rsa(key_type) {
        der_trim(stored).ok_or(KeystoreError::BadDer)?
    } else {
        stored
    };
    Ok((
        KeySlot {
            slot_id,
            key_type,
            part_mask,
            pubkey,
        },
        end,
    ))
}

/// Iterator over the consecutive slots of a binary keystore file; see
/// [`parse_keystore`].
#[derive(Debug, Clone)]
pub struct KeystoreSlots<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for KeystoreSlots<'a> {
    type Item = Result<KeySlot<'a>, KeystoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match parse_slot(self.rest) {
            Ok((slot, used)) => {
                self.rest = self.rest.get(used..).unwrap_or(&[]);
                Some(Ok(slot))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// The slots of a binary keystore file, one after the other; iteration
/// stops after the first malformed slot (yielding its error).
pub fn parse_keystore(bytes: &[u8]) -> KeystoreSlots<'_> {
    KeystoreSlots { rest: bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_trim_reads_the_outer_length() {
        assert_eq!(
            der_trim(&[0x30, 0x02, 1, 2, 0xFF, 0xFF]),
            Some(&[0x30, 0x02, 1, 2][..])
        );
        assert_eq!(
            der_trim(&[0x30, 0x81, 0x01, 9, 0]),
            Some(&[0x30, 0x81, 0x01, 9][..])
        );
        assert_eq!(
            der_trim(&[0x30, 0x82, 0x00, 0x01, 7]),
            Some(&[0x30, 0x82, 0, 1, 7][..])
        );
        assert_eq!(der_trim(&[0x30, 0x03, 1, 2]), None);
        assert_eq!(der_trim(&[0x31, 0x00]), None);
        assert_eq!(der_trim(&[0x30, 0x80]), None);
        assert_eq!(der_trim(&[0x30, 0x84, 0, 0, 0, 0]), None);
        assert_eq!(der_trim(&[0x30]), None);
        assert_eq!(der_trim(&[]), None);
    }

    #[test]
    fn permissions_and_compatibility() {
        let s = KeySlot {
            slot_id: 0,
            key_type: AuthType::Rsa3072,
            part_mask: 0b1010,
            pubkey: &[],
        };
        assert!(s.permits_partition(1) && s.permits_partition(3));
        assert!(!s.permits_partition(0) && !s.permits_partition(2) && !s.permits_partition(200));
        assert!(s.accepts(AuthType::Rsa3072) && s.accepts(AuthType::RsaPss3072));
        assert!(!s.accepts(AuthType::Rsa2048) && !s.accepts(AuthType::Ecc256));
        let e = KeySlot::new(1, AuthType::Ed448, &[]);
        assert!(e.accepts(AuthType::Ed448) && !e.accepts(AuthType::Ed25519));
        assert!(e.permits_partition(15));
    }
}
