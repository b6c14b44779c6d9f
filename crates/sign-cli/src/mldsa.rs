//! ML-DSA signing keys as wolfBoot's `keygen --ml_dsa` writes them, and
//! signing as its `sign` does: pure ML-DSA over the image digest with an
//! empty context, hedged (fresh randomness per signature, so signatures
//! differ from run to run; everything else in the header is identical).
//!
//! Key file: the FIPS 204 `skEncode` private key (2560, 4032 or 4896 bytes)
//! followed by the `pkEncode` public key (1312, 1952 or 2592 bytes). The
//! level is told by the file size; `ML_DSA_LEVEL` (2, 3, 5), when set, must
//! agree, as wolfBoot's tools read it.

use crate::error::{Error, Result};

/// A level's sizes: (level, private, public, signature).
const LEVELS: [(u8, usize, usize, usize); 3] = [
    (2, 2560, 1312, 2420),
    (3, 4032, 1952, 3309),
    (5, 4896, 2592, 4627),
];

/// An ML-DSA key pair in wolfBoot's file layout.
#[derive(Clone)]
pub struct MlDsaKey {
    /// 2, 3 or 5.
    pub level: u8,
    secret: Vec<u8>,
    public: Vec<u8>,
}

impl std::fmt::Debug for MlDsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MlDsaKey(level {})", self.level)
    }
}

/// `ML_DSA_LEVEL` from the environment: `None` when unset.
pub fn env_level() -> Result<Option<u8>> {
    match std::env::var("ML_DSA_LEVEL") {
        Err(_) => Ok(None),
        Ok(v) => match v.trim() {
            "2" => Ok(Some(2)),
            "3" => Ok(Some(3)),
            "5" => Ok(Some(5)),
            other => Err(Error::usage(format!(
                "invalid ML_DSA_LEVEL: {other} (2, 3 or 5)"
            ))),
        },
    }
}

/// Signature length of a level.
pub fn signature_len(level: u8) -> Option<usize> {
    LEVELS.iter().find(|l| l.0 == level).map(|l| l.3)
}

/// Public key length of a level.
pub fn public_len(level: u8) -> Option<usize> {
    LEVELS.iter().find(|l| l.0 == level).map(|l| l.2)
}

macro_rules! with_level {
    ($level:expr, $p:ident => $body:expr) => {
        match $level {
            2 => {
                type $p = ml_dsa::MlDsa44;
                $body
            }
            3 => {
                type $p = ml_dsa::MlDsa65;
                $body
            }
            _ => {
                type $p = ml_dsa::MlDsa87;
                $body
            }
        }
    };
}

impl MlDsaKey {
    /// Parse a private key file (private || public) or, with
    /// `public_only`, also accept a bare public key (no signing then).
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        let (level, sk_len, _, _) = LEVELS
            .iter()
            .copied()
            .find(|l| l.1 + l.2 == bytes.len())
            .ok_or_else(|| {
                format!(
                    "not an ML-DSA key file ({} bytes; 3872, 5984 or 7488 expected)",
                    bytes.len()
                )
            })?;
        let (secret, public) = bytes.split_at(sk_len);
        let key = MlDsaKey {
            level,
            secret: secret.to_vec(),
            public: public.to_vec(),
        };
        // skEncode starts with rho, the first 32 bytes of pkEncode, and
        // holds tr = H(pk): the two halves must belong together.
        if secret[..32] != public[..32] || key.tr() != secret[64..128] {
            return Err("ML-DSA private and public keys do not belong together".into());
        }
        Ok(key)
    }

    fn tr(&self) -> Vec<u8> {
        use sha3::digest::{ExtendableOutput, Update, XofReader};
        let mut h = sha3::Shake256::default();
        h.update(&self.public);
        let mut out = vec![0u8; 64];
        h.finalize_xof().read(&mut out);
        out
    }

    /// A fresh key pair of `level` (2, 3 or 5).
    pub fn generate(level: u8) -> Result<Self> {
        if public_len(level).is_none() {
            return Err(Error::usage(format!(
                "invalid ML-DSA level {level} (2, 3 or 5)"
            )));
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Sign(format!("random generator: {e}")))?;
        let (secret, public) = with_level!(level, P => {
            let seed = ml_dsa::B32::from(seed);
            let sk = ml_dsa::SigningKey::<P>::from_seed(&seed);
            #[allow(deprecated)]
            let expanded = sk.expanded_key().to_expanded().to_vec();
            let public = sk.expanded_key().verifying_key().encode().to_vec();
            (expanded, public)
        });
        Ok(MlDsaKey {
            level,
            secret,
            public,
        })
    }

    /// The key file bytes (private || public).
    pub fn to_bytes(&self) -> Vec<u8> {
        [self.secret.as_slice(), self.public.as_slice()].concat()
    }

    /// The public key (keystore form).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Sign `msg` (the image digest): ML-DSA.Sign with an empty context
    /// and 32 fresh random bytes.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        let mut rnd = [0u8; 32];
        getrandom::fill(&mut rnd).map_err(|e| Error::Sign(format!("random generator: {e}")))?;
        let secret = self.secret.clone();
        let message = msg.to_vec();
        let level = self.level;
        // The crate may panic on a malformed expanded key; a key file is
        // untrusted input, so that becomes an error, not a crash.
        let sig = std::panic::catch_unwind(move || {
            with_level!(level, P => {
                let enc = ml_dsa::ExpandedSigningKeyBytes::<P>::try_from(secret.as_slice())
                    .map_err(|_| "bad ML-DSA private key length".to_string())?;
                #[allow(deprecated)]
                let sk = ml_dsa::ExpandedSigningKey::<P>::from_expanded(&enc);
                // Pure ML-DSA: M' = 0 || |ctx| = 0 || M.
                let rnd = ml_dsa::B32::from(rnd);
                let sig = sk.sign_internal(&[&[0u8, 0u8], &message], &rnd);
                Ok::<Vec<u8>, String>(sig.encode().to_vec())
            })
        })
        .map_err(|_| Error::Sign("malformed ML-DSA private key".into()))?
        .map_err(Error::Sign)?;
        // The signature must verify with the file's public key: proves the
        // two halves of the key file belong together.
        wolfboot_verify::mldsa::verify(&self.public, msg, &sig).map_err(|e| {
            Error::Sign(format!(
                "ML-DSA signature does not verify with the key's public half: {e}"
            ))
        })?;
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wolfboot_keys_sign_and_fresh_keys_round_trip() {
        for (folder, level) in [("ml-dsa-44", 2), ("ml-dsa-65", 3), ("ml-dsa-87", 5)] {
            let file = wolfboot_test_vectors::read(&format!(
                "pq/{folder}/wolfboot_signing_private_key.der"
            ));
            let key = MlDsaKey::parse(&file).unwrap();
            assert_eq!(key.level, level);
            assert_eq!(key.to_bytes(), file);
            let sig = key.sign(&[5u8; 32]).unwrap();
            assert_eq!(Some(sig.len()), signature_len(level));

            let fresh = MlDsaKey::generate(level).unwrap();
            let again = MlDsaKey::parse(&fresh.to_bytes()).unwrap();
            assert_eq!(again.public_key(), fresh.public_key());
            let sig = again.sign(&[6u8; 48]).unwrap();
            wolfboot_verify::mldsa::verify(fresh.public_key(), &[6u8; 48], &sig).unwrap();
        }
    }

    #[test]
    fn mismatched_halves_are_refused() {
        let a = MlDsaKey::generate(2).unwrap().to_bytes();
        let b = MlDsaKey::generate(2).unwrap().to_bytes();
        let mixed = [&a[..2560], &b[2560..]].concat();
        assert!(MlDsaKey::parse(&mixed).is_err());
        assert!(MlDsaKey::parse(&a[..100]).is_err());
    }
}
