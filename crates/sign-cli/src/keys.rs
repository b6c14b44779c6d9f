//! Key loading, detection, generation and the signature primitives.
//!
//! Private keys are accepted in the raw formats wolfBoot's `keygen` writes
//! (ECC `X||Y||d`, EdDSA `private||public`, RSA PKCS#1 DER) and in the
//! standard containers: PKCS#8 (DER or PEM), SEC1 `EC PRIVATE KEY` and PKCS#1
//! `RSA PRIVATE KEY` PEM. Public keys are handled in the form the keystore
//! stores them: ECC `X||Y`, raw EdDSA, RSA SubjectPublicKeyInfo DER.

use crate::error::{Error, Result};
use ed25519_dalek::Signer as _;
use p256::pkcs8::der::pem;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::Generate;
use std::fmt;
use std::path::Path;
use wolfboot_image_format::{AuthType, HashAlgorithm};

/// The family and size of a key, independent of the padding scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// ECDSA P-256.
    Ecc256,
    /// ECDSA P-384.
    Ecc384,
    /// ECDSA P-521.
    Ecc521,
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
}

impl KeyKind {
    /// Every kind, in wolfBoot's auto-detection order.
    pub const ALL: [KeyKind; 8] = [
        KeyKind::Ed25519,
        KeyKind::Ed448,
        KeyKind::Ecc256,
        KeyKind::Ecc384,
        KeyKind::Ecc521,
        KeyKind::Rsa2048,
        KeyKind::Rsa3072,
        KeyKind::Rsa4096,
    ];

    /// The auth type a key of this kind signs with by default (PKCS#1 v1.5
    /// for RSA).
    pub fn default_auth(self) -> AuthType {
        match self {
            KeyKind::Ed25519 => AuthType::Ed25519,
            KeyKind::Ed448 => AuthType::Ed448,
            KeyKind::Ecc256 => AuthType::Ecc256,
            KeyKind::Ecc384 => AuthType::Ecc384,
            KeyKind::Ecc521 => AuthType::Ecc521,
            KeyKind::Rsa2048 => AuthType::Rsa2048,
            KeyKind::Rsa3072 => AuthType::Rsa3072,
            KeyKind::Rsa4096 => AuthType::Rsa4096,
        }
    }

    /// The key kind an auth type needs (`None` for unsigned and unsupported types).
    pub fn for_auth(auth: AuthType) -> Option<KeyKind> {
        Some(match auth {
            AuthType::Ed25519 => KeyKind::Ed25519,
            AuthType::Ed448 => KeyKind::Ed448,
            AuthType::Ecc256 => KeyKind::Ecc256,
            AuthType::Ecc384 => KeyKind::Ecc384,
            AuthType::Ecc521 => KeyKind::Ecc521,
            AuthType::Rsa2048 | AuthType::RsaPss2048 => KeyKind::Rsa2048,
            AuthType::Rsa3072 | AuthType::RsaPss3072 => KeyKind::Rsa3072,
            AuthType::Rsa4096 | AuthType::RsaPss4096 => KeyKind::Rsa4096,
            _ => return None,
        })
    }

    /// Name as the command-line flags spell it.
    pub fn name(self) -> &'static str {
        self.default_auth().name()
    }

    /// Size of the raw private key file wolfBoot's keygen writes (0 for RSA,
    /// whose file is DER).
    pub fn raw_private_len(self) -> usize {
        match self {
            KeyKind::Ed25519 => 64,
            KeyKind::Ed448 => 114,
            KeyKind::Ecc256 => 96,
            KeyKind::Ecc384 => 144,
            KeyKind::Ecc521 => 198,
            _ => 0,
        }
    }

    /// Size of the raw public key (keystore form; 0 for RSA, which is DER).
    pub fn raw_public_len(self) -> usize {
        match self {
            KeyKind::Ed25519 => 32,
            KeyKind::Ed448 => 57,
            KeyKind::Ecc256 => 64,
            KeyKind::Ecc384 => 96,
            KeyKind::Ecc521 => 132,
            _ => 0,
        }
    }

    /// RSA modulus size in bits (0 for other kinds).
    pub fn rsa_bits(self) -> usize {
        match self {
            KeyKind::Rsa2048 => 2048,
            KeyKind::Rsa3072 => 3072,
            KeyKind::Rsa4096 => 4096,
            _ => 0,
        }
    }

    fn from_rsa_bits(bits: usize) -> Option<KeyKind> {
        match bits {
            2048 => Some(KeyKind::Rsa2048),
            3072 => Some(KeyKind::Rsa3072),
            4096 => Some(KeyKind::Rsa4096),
            _ => None,
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A private signing key.
pub enum PrivateKey {
    /// Ed25519.
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// Ed448.
    Ed448(Box<ed448_goldilocks::SigningKey>),
    /// P-256.
    Ecc256(Box<p256::ecdsa::SigningKey>),
    /// P-384.
    Ecc384(Box<p384::ecdsa::SigningKey>),
    /// P-521.
    Ecc521(Box<p521::ecdsa::SigningKey>),
    /// RSA (2048, 3072 or 4096 bits).
    Rsa(Box<rsa::PrivateKey>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.kind())
    }
}

/// `0x04 || X || Y` without the prefix, from an uncompressed SEC1 point.
fn strip_sec1_prefix(point: &[u8]) -> Vec<u8> {
    point.get(1..).unwrap_or_default().to_vec()
}

/// Left-pad a digest with zeros to `len` bytes (ECDSA: the integer stays the
/// digest when it is shorter than the group order).
fn pad_left(digest: &[u8], len: usize) -> Vec<u8> {
    if digest.len() >= len {
        return digest.to_vec();
    }
    let mut v = vec![0u8; len - digest.len()];
    v.extend_from_slice(digest);
    v
}

macro_rules! ecdsa_sign {
    ($key:expr, $curve:ident, $field:expr, $digest:expr) => {{
        use $curve::ecdsa::signature::hazmat::PrehashSigner;
        let z = pad_left($digest, $field);
        let sig: $curve::ecdsa::Signature = $key
            .sign_prehash(&z)
            .map_err(|e| Error::Sign(format!("ECDSA: {e}")))?;
        sig.to_bytes().to_vec()
    }};
}

impl PrivateKey {
    /// The kind of this key.
    pub fn kind(&self) -> KeyKind {
        match self {
            PrivateKey::Ed25519(_) => KeyKind::Ed25519,
            PrivateKey::Ed448(_) => KeyKind::Ed448,
            PrivateKey::Ecc256(_) => KeyKind::Ecc256,
            PrivateKey::Ecc384(_) => KeyKind::Ecc384,
            PrivateKey::Ecc521(_) => KeyKind::Ecc521,
            PrivateKey::Rsa(k) => match k.size() * 8 {
                2048 => KeyKind::Rsa2048,
                3072 => KeyKind::Rsa3072,
                _ => KeyKind::Rsa4096,
            },
        }
    }

    /// The public key as the keystore stores it (and as the image's key hint
    /// hashes it): ECC `X||Y`, raw EdDSA, RSA SubjectPublicKeyInfo DER.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            PrivateKey::Ed25519(k) => k.verifying_key().to_bytes().to_vec(),
            PrivateKey::Ed448(k) => k.verifying_key().to_bytes().to_vec(),
            PrivateKey::Ecc256(k) => {
                strip_sec1_prefix(k.verifying_key().to_sec1_point(false).as_bytes())
            }
            PrivateKey::Ecc384(k) => {
                strip_sec1_prefix(k.verifying_key().to_sec1_point(false).as_bytes())
            }
            PrivateKey::Ecc521(k) => {
                strip_sec1_prefix(k.verifying_key().to_sec1_point(false).as_bytes())
            }
            PrivateKey::Rsa(k) => k
                .to_public_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    /// The private key file as wolfBoot's keygen writes it.
    pub fn to_wolfboot_raw(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self {
            PrivateKey::Ed25519(k) => {
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(&self.public_key());
            }
            PrivateKey::Ed448(k) => {
                out.extend_from_slice(k.as_bytes().as_ref());
                out.extend_from_slice(&self.public_key());
            }
            PrivateKey::Ecc256(k) => {
                out.extend_from_slice(&self.public_key());
                out.extend_from_slice(&k.to_bytes());
            }
            PrivateKey::Ecc384(k) => {
                out.extend_from_slice(&self.public_key());
                out.extend_from_slice(&k.to_bytes());
            }
            PrivateKey::Ecc521(k) => {
                out.extend_from_slice(&self.public_key());
                out.extend_from_slice(&k.to_bytes());
            }
            PrivateKey::Rsa(k) => {
                let der = k
                    .to_pkcs1_der()
                    .map_err(|e| Error::Sign(format!("cannot encode the RSA key: {e}")))?;
                out.extend_from_slice(der.as_bytes());
            }
        }
        Ok(out)
    }

    /// A fresh key from the operating system's random generator.
    pub fn generate(kind: KeyKind) -> Result<PrivateKey> {
        let mut rng = getrandom::SysRng;
        let rng_err = |e: getrandom::Error| Error::Sign(format!("random generator: {e}"));
        Ok(match kind {
            KeyKind::Ed25519 => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(rng_err)?;
                PrivateKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            KeyKind::Ed448 => PrivateKey::Ed448(Box::new(
                ed448_goldilocks::SigningKey::try_generate_from_rng(&mut rng).map_err(rng_err)?,
            )),
            KeyKind::Ecc256 => PrivateKey::Ecc256(Box::new(
                p256::ecdsa::SigningKey::try_generate_from_rng(&mut rng).map_err(rng_err)?,
            )),
            KeyKind::Ecc384 => PrivateKey::Ecc384(Box::new(
                p384::ecdsa::SigningKey::try_generate_from_rng(&mut rng).map_err(rng_err)?,
            )),
            KeyKind::Ecc521 => PrivateKey::Ecc521(Box::new(
                p521::ecdsa::SigningKey::try_generate_from_rng(&mut rng).map_err(rng_err)?,
            )),
            KeyKind::Rsa2048 | KeyKind::Rsa3072 | KeyKind::Rsa4096 => {
                let k = rsa::PrivateKey::new(&mut rng, kind.rsa_bits())
                    .map_err(|e| Error::Sign(format!("RSA key generation: {e}")))?;
                PrivateKey::Rsa(Box::new(k))
            }
        })
    }

    /// Sign an image digest as wolfBoot's `sign` does for `auth`.
    ///
    /// * EdDSA: the digest bytes are the message (Ed448 with an empty context).
    /// * ECDSA: the digest is the prehash; output is `r||s`, each zero-padded
    ///   to the field size.
    /// * RSA PKCS#1 v1.5: over the raw digest, or over a DigestInfo when
    ///   `digest_info` is set (the `--rsaXXXXenc` flags).
    /// * RSA-PSS: salt length = digest length, MGF1 with the same hash.
    pub fn sign_digest(
        &self,
        auth: AuthType,
        hash: HashAlgorithm,
        digest_info: bool,
        digest: &[u8],
    ) -> Result<Vec<u8>> {
        if KeyKind::for_auth(auth) != Some(self.kind()) {
            return Err(Error::Sign(format!(
                "a {} key cannot make a {} signature",
                self.kind(),
                auth
            )));
        }
        let sig = match self {
            PrivateKey::Ed25519(k) => k.sign(digest).to_bytes().to_vec(),
            PrivateKey::Ed448(k) => k.sign_raw(digest).to_bytes().to_vec(),
            PrivateKey::Ecc256(k) => ecdsa_sign!(k, p256, 32, digest),
            PrivateKey::Ecc384(k) => ecdsa_sign!(k, p384, 48, digest),
            PrivateKey::Ecc521(k) => ecdsa_sign!(k, p521, 66, digest),
            PrivateKey::Rsa(k) => {
                let mut rng = getrandom::SysRng;
                let pss = matches!(
                    auth,
                    AuthType::RsaPss2048 | AuthType::RsaPss3072 | AuthType::RsaPss4096
                );
                let raw = if pss {
                    match hash {
                        HashAlgorithm::Sha256 => {
                            k.pss_sign_prehash_with_rng::<sha2::Sha256, _>(&mut rng, digest)
                        }
                        HashAlgorithm::Sha384 => {
                            k.pss_sign_prehash_with_rng::<sha2::Sha384, _>(&mut rng, digest)
                        }
                        HashAlgorithm::Sha3_384 => {
                            return Err(Error::Sign("RSA-PSS requires SHA-256 or SHA-384".into()))
                        }
                    }
                } else {
                    let mut input = Vec::new();
                    if digest_info {
                        input.extend_from_slice(hash.digest_info_prefix());
                    }
                    input.extend_from_slice(digest);
                    k.sign_with_rng(&mut rng, rsa::Pkcs1v15Sign::new_unprefixed(), &input)
                };
                let raw = raw.map_err(|e| Error::Sign(format!("RSA: {e}")))?;
                pad_left(&raw, k.size())
            }
        };
        Ok(sig)
    }
}

fn check_pub(stored: &[u8], derived: &[u8]) -> std::result::Result<(), String> {
    if stored == derived {
        Ok(())
    } else {
        Err("the public half stored in the file does not match the private key".into())
    }
}

/// Parse a raw wolfBoot keygen private key of a given kind.
fn parse_raw_private(kind: KeyKind, bytes: &[u8]) -> std::result::Result<PrivateKey, String> {
    if bytes.len() != kind.raw_private_len() {
        return Err(format!(
            "{} bytes, a raw {kind} key has {}",
            bytes.len(),
            kind.raw_private_len()
        ));
    }
    let bad = |what: &str| format!("invalid raw {kind} key: {what}");
    let key = match kind {
        KeyKind::Ed25519 => {
            let seed: [u8; 32] = bytes[..32].try_into().map_err(|_| bad("length"))?;
            let k = PrivateKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)));
            check_pub(&bytes[32..], &k.public_key())?;
            k
        }
        KeyKind::Ed448 => {
            let k = ed448_goldilocks::SigningKey::try_from(&bytes[..57]).map_err(bad)?;
            let k = PrivateKey::Ed448(Box::new(k));
            check_pub(&bytes[57..], &k.public_key())?;
            k
        }
        KeyKind::Ecc256 => {
            let k = p256::ecdsa::SigningKey::from_slice(&bytes[64..])
                .map_err(|_| bad("private scalar out of range"))?;
            let k = PrivateKey::Ecc256(Box::new(k));
            check_pub(&bytes[..64], &k.public_key())?;
            k
        }
        KeyKind::Ecc384 => {
            let k = p384::ecdsa::SigningKey::from_slice(&bytes[96..])
                .map_err(|_| bad("private scalar out of range"))?;
            let k = PrivateKey::Ecc384(Box::new(k));
            check_pub(&bytes[..96], &k.public_key())?;
            k
        }
        KeyKind::Ecc521 => {
            let k = p521::ecdsa::SigningKey::from_slice(&bytes[132..])
                .map_err(|_| bad("private scalar out of range"))?;
            let k = PrivateKey::Ecc521(Box::new(k));
            check_pub(&bytes[..132], &k.public_key())?;
            k
        }
        _ => return Err("RSA keys have no raw form".into()),
    };
    Ok(key)
}

/// Parse a DER private key in any supported container.
fn parse_der_private(der: &[u8]) -> Option<PrivateKey> {
    if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
        return Some(PrivateKey::Ed25519(Box::new(k)));
    }
    if let Ok(k) = ed448_goldilocks::SigningKey::from_pkcs8_der(der) {
        return Some(PrivateKey::Ed448(Box::new(k)));
    }
    if let Ok(k) = p256::SecretKey::from_der(der) {
        return Some(PrivateKey::Ecc256(Box::new(k.into())));
    }
    if let Ok(k) = p384::SecretKey::from_der(der) {
        return Some(PrivateKey::Ecc384(Box::new(k.into())));
    }
    if let Ok(k) = p521::SecretKey::from_der(der) {
        return Some(PrivateKey::Ecc521(Box::new(k.into())));
    }
    if let Ok(k) = rsa::PrivateKey::from_pkcs1_der(der) {
        return Some(PrivateKey::Rsa(Box::new(k)));
    }
    if let Ok(k) = rsa::PrivateKey::from_pkcs8_der(der) {
        return Some(PrivateKey::Rsa(Box::new(k)));
    }
    None
}

/// Decode PEM armor, if the bytes are PEM.
fn pem_to_der(bytes: &[u8]) -> Option<std::result::Result<(String, Vec<u8>), String>> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &bytes[start..];
    if !text.starts_with(b"-----BEGIN ") {
        return None;
    }
    Some(
        pem::decode_vec(text)
            .map(|(label, der)| (label.to_string(), der))
            .map_err(|e| format!("malformed PEM: {e}")),
    )
}

/// Parse private key bytes. With `expected`, the key must be of that kind.
pub fn parse_private_key(
    bytes: &[u8],
    expected: Option<KeyKind>,
) -> std::result::Result<PrivateKey, String> {
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    // Raw key bytes may start like PEM armour by chance: what does not decode
    // as PEM but has a raw key's size is read as raw.
    let pem = pem_to_der(bytes).filter(|r| {
        r.is_ok()
            || !KeyKind::ALL
                .iter()
                .any(|k| k.raw_private_len() == bytes.len())
    });
    let key = if let Some(pem) = pem {
        let (label, der) = pem?;
        parse_der_private(&der)
            .ok_or_else(|| format!("PEM block '{label}' is not a supported private key"))?
    } else {
        // Raw wolfBoot formats first, by size (as wolfBoot's auto-detection
        // does), then the DER containers.
        // Raw sizes are distinct per kind, so the size names the kind.
        let raw_kind = KeyKind::ALL
            .into_iter()
            .find(|k| k.raw_private_len() == bytes.len());
        match raw_kind {
            Some(k) => match parse_raw_private(k, bytes) {
                Ok(key) => key,
                Err(raw_err) => parse_der_private(bytes).ok_or(raw_err)?,
            },
            None => parse_der_private(bytes).ok_or_else(|| {
                format!(
                    "not a recognized private key ({} bytes; tried the raw wolfBoot formats, \
                     PKCS#8, SEC1 and PKCS#1 DER)",
                    bytes.len()
                )
            })?,
        }
    };
    if let PrivateKey::Rsa(k) = &key {
        if KeyKind::from_rsa_bits(k.size() * 8).is_none() {
            return Err(format!(
                "RSA-{} is not supported (2048, 3072 or 4096 bits)",
                k.size() * 8
            ));
        }
    }
    if let Some(e) = expected {
        if key.kind() != e {
            return Err(format!(
                "this is a {} key, but --{e} was selected",
                key.kind()
            ));
        }
    }
    Ok(key)
}

/// Load a private key file.
pub fn load_private_key(path: &Path, expected: Option<KeyKind>) -> Result<PrivateKey> {
    let bytes = crate::error::read_file(path)?;
    parse_private_key(&bytes, expected).map_err(|r| Error::key(path, r))
}

/// A public key in keystore form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Its kind.
    pub kind: KeyKind,
    /// The bytes as the keystore stores them.
    pub bytes: Vec<u8>,
}

fn rsa_public(k: &rsa::PublicKey) -> Option<PublicKey> {
    let kind = KeyKind::from_rsa_bits(k.size() * 8)?;
    let der = k.to_public_key_der().ok()?;
    Some(PublicKey {
        kind,
        bytes: der.as_bytes().to_vec(),
    })
}

fn parse_der_public(der: &[u8]) -> Option<PublicKey> {
    if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
        return Some(PublicKey {
            kind: KeyKind::Ed25519,
            bytes: k.to_bytes().to_vec(),
        });
    }
    if let Ok(k) = ed448_goldilocks::VerifyingKey::from_public_key_der(der) {
        return Some(PublicKey {
            kind: KeyKind::Ed448,
            bytes: k.to_bytes().to_vec(),
        });
    }
    if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
        return Some(PublicKey {
            kind: KeyKind::Ecc256,
            bytes: strip_sec1_prefix(k.to_sec1_point(false).as_bytes()),
        });
    }
    if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
        return Some(PublicKey {
            kind: KeyKind::Ecc384,
            bytes: strip_sec1_prefix(k.to_sec1_point(false).as_bytes()),
        });
    }
    if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_der(der) {
        return Some(PublicKey {
            kind: KeyKind::Ecc521,
            bytes: strip_sec1_prefix(k.to_sec1_point(false).as_bytes()),
        });
    }
    if let Ok(k) = rsa::PublicKey::from_public_key_der(der) {
        return rsa_public(&k);
    }
    if let Ok(k) = rsa::PublicKey::from_pkcs1_der(der) {
        return rsa_public(&k);
    }
    None
}

/// Parse a public key: keystore form (raw ECC `X||Y`, raw EdDSA, RSA DER),
/// SubjectPublicKeyInfo DER/PEM, or a private key (its public half).
pub fn parse_public_key(bytes: &[u8]) -> std::result::Result<PublicKey, String> {
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    if let Some(pem) = pem_to_der(bytes) {
        let (label, der) = pem?;
        if let Some(k) = parse_der_public(&der) {
            return Ok(k);
        }
        return parse_private_key(bytes, None)
            .map(|k| PublicKey {
                kind: k.kind(),
                bytes: k.public_key(),
            })
            .map_err(|_| format!("PEM block '{label}' is not a supported key"));
    }
    let raw = [
        KeyKind::Ed25519,
        KeyKind::Ed448,
        KeyKind::Ecc256,
        KeyKind::Ecc384,
        KeyKind::Ecc521,
    ]
    .into_iter()
    .find(|k| k.raw_public_len() == bytes.len());
    if let Some(kind) = raw {
        let valid = match kind {
            KeyKind::Ed25519 => bytes
                .try_into()
                .ok()
                .and_then(|b: [u8; 32]| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
                .is_some(),
            KeyKind::Ed448 => bytes
                .try_into()
                .ok()
                .and_then(|b: [u8; 57]| ed448_goldilocks::VerifyingKey::from_bytes(&b).ok())
                .is_some(),
            KeyKind::Ecc256 => {
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&[&[4u8][..], bytes].concat()).is_ok()
            }
            KeyKind::Ecc384 => {
                p384::ecdsa::VerifyingKey::from_sec1_bytes(&[&[4u8][..], bytes].concat()).is_ok()
            }
            KeyKind::Ecc521 => {
                p521::ecdsa::VerifyingKey::from_sec1_bytes(&[&[4u8][..], bytes].concat()).is_ok()
            }
            _ => false,
        };
        if valid {
            return Ok(PublicKey {
                kind,
                bytes: bytes.to_vec(),
            });
        }
    }
    if let Some(k) = parse_der_public(bytes) {
        return Ok(k);
    }
    parse_private_key(bytes, None)
        .map(|k| PublicKey {
            kind: k.kind(),
            bytes: k.public_key(),
        })
        .map_err(|_| {
            format!(
                "not a recognized public key ({} bytes; tried raw keystore form, \
                 SubjectPublicKeyInfo, PKCS#1 and private key formats)",
                bytes.len()
            )
        })
}

/// Load a public key file.
pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let bytes = crate::error::read_file(path)?;
    parse_public_key(&bytes).map_err(|r| Error::key(path, r))
}
