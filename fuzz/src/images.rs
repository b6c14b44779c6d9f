//! Keys, keystore, a catalogue of signed images, and the registry of
//! everything signed on purpose.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use sign_cli::keys::{parse_private_key, PrivateKey};
use wolfboot_image_format::{AuthType, HashAlgorithm, HeaderBuilder, ImageType};
use wolfboot_verify::{KeySlot, Keystore, ALL_PARTITIONS};

use crate::reference;

/// Who signs an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Signer {
    /// Ed25519 key of keystore slot 0, allowed to sign for every partition.
    Ed25519,
    /// ECDSA P-256 key of keystore slot 1, allowed for the application
    /// partition (id 1) only.
    Ecc256AppOnly,
    /// An Ed25519 key the keystore does not hold.
    Untrusted,
    /// No signature (`--no-sign`): digest only.
    Unsigned,
}

impl Signer {
    /// Keystore slot of the key, when the keystore holds it.
    pub fn slot(self) -> Option<u32> {
        match self {
            Signer::Ed25519 => Some(0),
            Signer::Ecc256AppOnly => Some(1),
            Signer::Untrusted | Signer::Unsigned => None,
        }
    }

    /// Auth type written in the image type.
    pub fn auth(self) -> AuthType {
        match self {
            Signer::Ed25519 | Signer::Untrusted => AuthType::Ed25519,
            Signer::Ecc256AppOnly => AuthType::Ecc256,
            Signer::Unsigned => AuthType::None,
        }
    }
}

/// Digest algorithm (a local type so that inputs can derive `Arbitrary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA3-384.
    Sha3,
}

impl Hash {
    /// The format's algorithm.
    pub fn algorithm(self) -> HashAlgorithm {
        match self {
            Hash::Sha256 => HashAlgorithm::Sha256,
            Hash::Sha384 => HashAlgorithm::Sha384,
            Hash::Sha3 => HashAlgorithm::Sha3_384,
        }
    }
}

/// Everything that goes into a signed image.
#[derive(Debug, Clone, Arbitrary)]
pub struct Spec {
    /// Signing key.
    pub signer: Signer,
    /// Digest algorithm.
    pub hash: Hash,
    /// Firmware version.
    pub version: u32,
    /// Timestamp field.
    pub timestamp: Option<u64>,
    /// Partition id (low nibble used).
    pub partition_id: u8,
    /// Custom fields (any tag: the signer is trusted, not necessarily sane).
    pub custom: Vec<(u16, Vec<u8>)>,
    /// Delta fields: base version, patch length, inverse offset and length.
    pub delta: Option<(u32, u32, u32, u32)>,
    /// Smallest header size: 0 = automatic, else 256 << (n % 3).
    pub min_header: u8,
    /// The firmware.
    pub payload: Vec<u8>,
}

/// What a legitimately signed image says; digest equality implies the
/// verified image says exactly this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Who signed it.
    pub signer: Signer,
    /// Version field.
    pub version: u32,
    /// Image type field.
    pub image_type: u16,
    /// Payload size.
    pub payload_size: u32,
    /// Header size it was built with.
    pub header_size: usize,
}

impl Facts {
    /// Partition id of the image type.
    pub fn partition(&self) -> u8 {
        ImageType(self.image_type).partition_id()
    }

    /// Whether the keystore lets the signer sign for the image's partition.
    pub fn authorized(&self) -> bool {
        self.signer.slot().is_some_and(|slot| {
            keystore()
                .slots()
                .iter()
                .any(|s| s.slot_id == slot && s.permits_partition(self.partition()))
        })
    }

    /// What the bootloader may boot: authorized, application partition.
    pub fn bootable(&self) -> bool {
        self.authorized() && self.partition() == 1
    }
}

struct Keys {
    ed25519: PrivateKey,
    ecc256: PrivateKey,
    untrusted: PrivateKey,
}

/// PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410).
fn ed25519_pkcs8(seed: [u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    der
}

/// PKCS#8 wrapping of a P-256 scalar (no public key inside).
fn p256_pkcs8(scalar: [u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
        0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25,
        0x02, 0x01, 0x01, 0x04, 0x20,
    ];
    der.extend_from_slice(&scalar);
    der
}

/// The fixed private keys, in the PKCS#8 form sign-cli reads (also seeds of
/// the key-file target).
pub fn key_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ed25519-trusted.der", ed25519_pkcs8([0x5A; 32])),
        ("ecc256-trusted.der", p256_pkcs8([0x42; 32])),
        ("ed25519-untrusted.der", ed25519_pkcs8([0xC3; 32])),
    ]
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let files = key_files();
        let load = |i: usize| {
            parse_private_key(&files[i].1, None)
                .unwrap_or_else(|e| panic!("fixed key {}: {e}", files[i].0))
        };
        Keys {
            ed25519: load(0),
            ecc256: load(1),
            untrusted: load(2),
        }
    })
}

/// The keystore every target trusts: slot 0 Ed25519 (every partition),
/// slot 1 ECC P-256 (application partition only).
pub fn keystore() -> &'static Keystore<'static> {
    static KS: OnceLock<Keystore<'static>> = OnceLock::new();
    KS.get_or_init(|| {
        let k = keys();
        let ed: &'static [u8] = Box::leak(k.ed25519.public_key().into_boxed_slice());
        let ecc: &'static [u8] = Box::leak(k.ecc256.public_key().into_boxed_slice());
        let slots = vec![
            KeySlot {
                slot_id: 0,
                key_type: AuthType::Ed25519,
                part_mask: ALL_PARTITIONS,
                pubkey: ed,
            },
            KeySlot {
                slot_id: 1,
                key_type: AuthType::Ecc256,
                part_mask: 1 << 1,
                pubkey: ecc,
            },
        ];
        Keystore::new(Box::leak(slots.into_boxed_slice()))
    })
}

/// Public key bytes of a signer (empty for unsigned images).
pub fn public_key(signer: Signer) -> Vec<u8> {
    let k = keys();
    match signer {
        Signer::Ed25519 => k.ed25519.public_key(),
        Signer::Ecc256AppOnly => k.ecc256.public_key(),
        Signer::Untrusted => k.untrusted.public_key(),
        Signer::Unsigned => Vec::new(),
    }
}

/// Lay out, hash and sign an image as wolfBoot's `sign` does; `None` when
/// the fields do not fit a header.
pub fn sign(spec: &Spec) -> Option<(Vec<u8>, Facts, Vec<u8>)> {
    let alg = spec.hash.algorithm();
    let auth = spec.signer.auth();
    let mut b = HeaderBuilder::new(auth, alg, spec.version)
        .timestamp(spec.timestamp)
        .partition_id(spec.partition_id);
    for (tag, value) in &spec.custom {
        b = b.custom_tlv(*tag, value);
    }
    if let Some((base, len, inv_off, inv_len)) = spec.delta {
        b = b.delta(base, len, inv_off, inv_len, None);
    }
    if spec.min_header != 0 {
        let want = 256usize << (spec.min_header % 3);
        if want > b.effective_header_size().ok()? {
            b = b.header_size(want);
        }
    }
    let payload_size = u32::try_from(spec.payload.len()).ok()?;
    let hint = reference::hash(alg, &[&public_key(spec.signer)]);
    let unsigned = b.begin(payload_size, &hint).ok()?;
    let digest = reference::hash(alg, &[unsigned.hashed_prefix(), &spec.payload]);
    let k = keys();
    let key = match spec.signer {
        Signer::Ed25519 => Some(&k.ed25519),
        Signer::Ecc256AppOnly => Some(&k.ecc256),
        Signer::Untrusted => Some(&k.untrusted),
        Signer::Unsigned => None,
    };
    let signature = key.map(|key| {
        key.sign_digest(auth, alg, false, &digest)
            .unwrap_or_else(|e| panic!("signing with a fixed key: {e}"))
    });
    let header_size = unsigned.header_size();
    let mut image = unsigned.finish(&digest, signature.as_deref()).ok()?;
    image.extend_from_slice(&spec.payload);
    let facts = Facts {
        signer: spec.signer,
        version: spec.version,
        image_type: b.image_type().raw(),
        payload_size,
        header_size,
    };
    Some((image, facts, digest))
}

/// A catalogue image.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Short name (seed file names use it).
    pub name: &'static str,
    /// Header and payload.
    pub bytes: Vec<u8>,
    /// What it says.
    pub facts: Facts,
    /// Its digest.
    pub digest: Vec<u8>,
}

fn pattern(seed: u32, len: usize) -> Vec<u8> {
    let mut x = u64::from(seed) * 0x9E37_79B9 + 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn spec(signer: Signer, hash: Hash, version: u32, partition_id: u8, payload: usize) -> Spec {
    Spec {
        signer,
        hash,
        version,
        timestamp: Some(1_700_000_000 + u64::from(version)),
        partition_id,
        custom: Vec::new(),
        delta: None,
        min_header: 0,
        payload: pattern(version, payload),
    }
}

/// Images signed once at start-up. The first [`BOOT_SET`] entries have a
/// 256-byte header and a non-empty payload that fits the boot rigs.
pub fn catalogue() -> &'static [Entry] {
    static CAT: OnceLock<Vec<Entry>> = OnceLock::new();
    CAT.get_or_init(|| {
        use Hash::*;
        use Signer::*;
        let mut sha3 = spec(Ed25519, Sha3, 5, 1, 64);
        sha3.timestamp = None;
        sha3.custom = vec![(0x30, vec![0xAB; 16]), (0x31, b"hello".to_vec())];
        let mut big_header = spec(Ed25519, Sha256, 11, 1, 100);
        big_header.min_header = 1;
        let mut delta = spec(Ed25519, Sha256, 13, 1, 300);
        delta.delta = Some((1, 200, 200, 100));
        let list = [
            ("ed25519-v1", spec(Ed25519, Sha256, 1, 1, 300)),
            ("ed25519-v2", spec(Ed25519, Sha256, 2, 1, 1500)),
            ("ecc256-v3", spec(Ecc256AppOnly, Sha256, 3, 1, 2300)),
            ("ed25519-sha384-v4", spec(Ed25519, Sha384, 4, 1, 700)),
            ("ed25519-sha3-custom-v5", sha3),
            ("untrusted-v9", spec(Untrusted, Sha256, 9, 1, 400)),
            (
                "ecc256-bootloader-part-v8",
                spec(Ecc256AppOnly, Sha256, 8, 0, 200),
            ),
            ("ed25519-part2-v7", spec(Ed25519, Sha256, 7, 2, 250)),
            ("unsigned-v10", spec(Unsigned, Sha256, 10, 1, 200)),
            ("ed25519-header512-v11", big_header),
            ("ed25519-empty-v12", spec(Ed25519, Sha256, 12, 1, 0)),
            ("ed25519-delta-v13", delta),
            ("ecc256-sha384-v14", spec(Ecc256AppOnly, Sha384, 14, 1, 90)),
        ];
        let out: Vec<Entry> = list
            .into_iter()
            .map(|(name, s)| {
                let (bytes, facts, digest) =
                    sign(&s).unwrap_or_else(|| panic!("catalogue image {name} does not fit"));
                Entry {
                    name,
                    bytes,
                    facts,
                    digest,
                }
            })
            .collect();
        for e in &out[..BOOT_SET] {
            assert_eq!(e.facts.header_size, 256, "{}", e.name);
            assert!(e.facts.payload_size > 0, "{}", e.name);
        }
        out
    })
}

/// Number of catalogue entries usable in the boot rigs (256-byte header).
pub const BOOT_SET: usize = 9;

/// Catalogue entries the bootloader may boot (trusted, permitted, application).
pub fn bootable_indices() -> Vec<usize> {
    (0..BOOT_SET)
        .filter(|&i| catalogue()[i].facts.bootable())
        .collect()
}

/// Digests of the images signed on purpose: the catalogue, plus what one
/// fuzz input signs (kept per input, so memory does not grow).
#[derive(Debug, Default)]
pub struct Registry {
    local: Vec<(Vec<u8>, Facts)>,
}

impl Registry {
    /// The catalogue only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sign `spec` and remember it.
    pub fn sign(&mut self, spec: &Spec) -> Option<(Vec<u8>, Facts)> {
        let (bytes, facts, digest) = sign(spec)?;
        self.local.push((digest, facts));
        Some((bytes, facts))
    }

    /// Facts of the image with this digest, if it was signed on purpose.
    pub fn lookup(&self, digest: &[u8]) -> Option<Facts> {
        self.local
            .iter()
            .find(|(d, _)| d == digest)
            .map(|(_, f)| *f)
            .or_else(|| {
                catalogue()
                    .iter()
                    .find(|e| e.digest == digest)
                    .map(|e| e.facts)
            })
    }
}
