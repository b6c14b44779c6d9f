//! Signature checks, one per algorithm, over an image digest.
//!
//! What wolfBoot signs is the digest itself:
//!
//! * Ed25519 and Ed448 (empty context) take the digest bytes as the message.
//! * ECDSA takes the digest as the prehash; the signature is raw `r || s`,
//!   each zero-padded to the field size (32, 48 or 66 bytes). A digest shorter
//!   than the curve order (SHA-256 with P-384 or P-521) is used as the
//!   integer as is.
//! * RSA PKCS#1 v1.5 pads either the raw digest (wolfBoot's default) or its
//!   DER `DigestInfo` (`--rsa*enc` signing); see [`RsaEncoding`].
//! * RSA-PSS uses MGF1 with the image hash and a salt as long as the digest
//!   (SHA-256 and SHA-384 only).
//!
//! * ML-DSA, LMS and XMSS take the digest bytes as the message (ML-DSA with
//!   an empty context); see [`crate::mldsa`], [`crate::lms`], [`crate::xmss`].
//!
//! Every function here needs only the algorithm's own feature; an algorithm
//! that is not enabled yields [`VerifyError::UnsupportedAlgorithm`].

use wolfboot_image_format::{AuthType, HashAlgorithm};

use crate::error::VerifyError;

/// How RSA PKCS#1 v1.5 signatures encode the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaEncoding {
    /// The bare digest after the padding (wolfBoot's default `--rsa2048`).
    RawDigest,
    /// A DER `DigestInfo` wrapping the digest (`--rsa2048enc`,
    /// `WOLFBOOT_RSA_ENCODED` builds).
    DigestInfo,
    /// Accept either (host tools).
    #[default]
    Either,
}

/// Choices a build makes about acceptable signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyPolicy {
    /// Digest encoding of RSA PKCS#1 v1.5 signatures.
    pub rsa_encoding: RsaEncoding,
}

impl VerifyPolicy {
    /// Accept both RSA encodings.
    pub const fn new() -> Self {
        VerifyPolicy {
            rsa_encoding: RsaEncoding::Either,
        }
    }
}

/// Whether this build verifies signatures of more than one auth type: only
/// then can an image carry a second signature that it can check (hybrid
/// images, [`crate::hybrid`]). A single-algorithm build links none of the
/// second check.
// Evaluated at compile time: an index out of range is a build error.
#[allow(clippy::indexing_slicing)]
pub(crate) const SEVERAL_ALGORITHMS: bool = {
    let mut n = 0;
    let mut i = 0;
    while i < AuthType::ALL.len() {
        if is_supported(AuthType::ALL[i]) {
            n += 1;
        }
        i += 1;
    }
    n > 1
};

/// Whether this build can verify signatures of this auth type.
/// ([`AuthType::None`] has no signature and counts as unsupported here.)
pub const fn is_supported(auth: AuthType) -> bool {
    let pss = cfg!(feature = "rsapss");
    match auth {
        AuthType::Ed25519 => cfg!(feature = "ed25519"),
        AuthType::Ed448 => cfg!(feature = "ed448"),
        AuthType::Ecc256 => cfg!(feature = "ecc256"),
        AuthType::Ecc384 => cfg!(feature = "ecc384"),
        AuthType::Ecc521 => cfg!(feature = "ecc521"),
        AuthType::Rsa2048 => cfg!(feature = "rsa2048"),
        AuthType::Rsa3072 => cfg!(feature = "rsa3072"),
        AuthType::Rsa4096 => cfg!(feature = "rsa4096"),
        AuthType::RsaPss2048 => pss && cfg!(feature = "rsa2048"),
        AuthType::RsaPss3072 => pss && cfg!(feature = "rsa3072"),
        AuthType::RsaPss4096 => pss && cfg!(feature = "rsa4096"),
        AuthType::Lms => cfg!(feature = "lms"),
        AuthType::Xmss => cfg!(feature = "xmss"),
        AuthType::MlDsa => {
            cfg!(any(
                feature = "ml-dsa-44",
                feature = "ml-dsa-65",
                feature = "ml-dsa-87"
            ))
        }
        AuthType::None => false,
    }
}

/// Check `sig` over `digest` (made with `hash`) with `pubkey` (as the
/// keystore stores it) for the algorithm `auth`.
///
/// Errors: [`VerifyError::UnsupportedAlgorithm`] for an algorithm this build
/// lacks, [`VerifyError::UnsupportedHash`] for RSA-PSS with SHA3-384,
/// [`VerifyError::BadTlvLength`] when `digest` is not `hash`'s length,
/// [`VerifyError::BadPublicKey`] when the key cannot be decoded or does not
/// have the algorithm's size, [`VerifyError::BadSignature`] otherwise.
// Never inlined: in a bootloader it has one caller, and LTO inlining it
// (the whole signature backend) there costs 0.1 to 0.2 KB.
#[inline(never)]
pub fn verify_signature(
    auth: AuthType,
    pubkey: &[u8],
    hash: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
    policy: &VerifyPolicy,
) -> Result<(), VerifyError> {
    if digest.len() != hash.digest_len() {
        return Err(VerifyError::BadTlvLength(hash.tlv()));
    }
    if !is_supported(auth) {
        return Err(VerifyError::UnsupportedAlgorithm(auth.code()));
    }
    let _ = (pubkey, sig, policy);
    match auth {
        #[cfg(feature = "ed25519")]
        AuthType::Ed25519 => ed25519(pubkey, digest, sig),
        #[cfg(feature = "ed448")]
        AuthType::Ed448 => ed448(pubkey, digest, sig),
        #[cfg(feature = "ecc256")]
        AuthType::Ecc256 => ecc::p256(pubkey, digest, sig),
        #[cfg(feature = "ecc384")]
        AuthType::Ecc384 => ecc::p384(pubkey, digest, sig),
        #[cfg(feature = "ecc521")]
        AuthType::Ecc521 => ecc::p521(pubkey, digest, sig),
        #[cfg(any(feature = "rsa2048", feature = "rsa3072", feature = "rsa4096"))]
        AuthType::Rsa2048
        | AuthType::Rsa3072
        | AuthType::Rsa4096
        | AuthType::RsaPss2048
        | AuthType::RsaPss3072
        | AuthType::RsaPss4096 => rsa::verify(auth, pubkey, hash, digest, sig, policy),
        AuthType::MlDsa => crate::mldsa::verify(pubkey, digest, sig),
        #[cfg(feature = "lms")]
        AuthType::Lms => crate::lms::verify(pubkey, digest, sig),
        #[cfg(feature = "xmss")]
        AuthType::Xmss => crate::xmss::verify(pubkey, digest, sig),
        _ => Err(VerifyError::UnsupportedAlgorithm(auth.code())),
    }
}

#[cfg(feature = "ed25519")]
fn ed25519(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let key = pubkey.try_into().map_err(|_| VerifyError::BadPublicKey)?;
    let sig = sig.try_into().map_err(|_| VerifyError::BadSignature)?;
    crate::ed25519::verify(key, digest, sig)
}

#[cfg(feature = "ed448")]
fn ed448(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    use ed448_goldilocks::{Signature, VerifyingKey};
    let key: &[u8; 57] = pubkey.try_into().map_err(|_| VerifyError::BadPublicKey)?;
    let key = VerifyingKey::from_bytes(key).map_err(|_| VerifyError::BadPublicKey)?;
    let sig: &[u8; 114] = sig.try_into().map_err(|_| VerifyError::BadSignature)?;
    key.verify_raw(&Signature::from_bytes(sig), digest)
        .map_err(|_| VerifyError::BadSignature)
}

#[cfg(any(feature = "ecc256", feature = "ecc384", feature = "ecc521"))]
mod ecc {
    //! ECDSA over the NIST curves with raw X||Y keys and raw r||s signatures.
    //!
    //! The key is built from its affine coordinates (which checks that the
    //! point is on the curve and not the identity), never through a SEC1
    //! decoder: raw keys are never compressed, and a SEC1 decoder links the
    //! square root that point decompression needs (about 2.8 KB for P-256).

    #[allow(unused_imports)] // only the assembly P-256 may be built
    use crate::error::VerifyError;

    #[allow(unused_macros)] // only the assembly P-256 may be built
    macro_rules! curve_impl {
        ($name:ident, $krate:ident, $field:expr) => {
            pub(super) fn $name(
                pubkey: &[u8],
                digest: &[u8],
                sig: &[u8],
            ) -> Result<(), VerifyError> {
                use $krate::ecdsa::signature::hazmat::PrehashVerifier;
                use $krate::ecdsa::{Signature, VerifyingKey};
                use $krate::elliptic_curve::point::AffineCoordinates;
                use $krate::{AffinePoint, FieldBytes};
                if pubkey.len() != 2 * $field {
                    return Err(VerifyError::BadPublicKey);
                }
                let (x, y) = pubkey
                    .split_at_checked($field)
                    .ok_or(VerifyError::BadPublicKey)?;
                let x = FieldBytes::try_from(x).map_err(|_| VerifyError::BadPublicKey)?;
                let y = FieldBytes::try_from(y).map_err(|_| VerifyError::BadPublicKey)?;
                let point: Option<AffinePoint> = AffinePoint::from_coordinates(&x, &y).into();
                let point = point.ok_or(VerifyError::BadPublicKey)?;
                let key =
                    VerifyingKey::from_affine(point).map_err(|_| VerifyError::BadPublicKey)?;
                if sig.len() != 2 * $field {
                    return Err(VerifyError::BadSignature);
                }
                let sig = Signature::from_slice(sig).map_err(|_| VerifyError::BadSignature)?;
                key.verify_prehash(digest, &sig)
                    .map_err(|_| VerifyError::BadSignature)
            }
        };
    }

    #[cfg(all(
        feature = "ecc256",
        not(all(
            feature = "ecc256-cortex-m4",
            target_arch = "arm",
            target_feature = "dsp"
        )),
        not(all(feature = "ecc256-compact", target_arch = "arm"))
    ))]
    curve_impl!(p256, p256, 32);
    #[cfg(all(
        feature = "ecc256-cortex-m4",
        target_arch = "arm",
        target_feature = "dsp"
    ))]
    pub(super) use super::p256_cortex_m4::p256;
    #[cfg(all(
        feature = "ecc256-compact",
        target_arch = "arm",
        not(all(feature = "ecc256-cortex-m4", target_feature = "dsp"))
    ))]
    pub(super) use crate::ecdsa_nist::verify_p256 as p256;
    #[cfg(all(
        feature = "ecc384",
        not(all(feature = "ecc384-compact", target_arch = "arm"))
    ))]
    curve_impl!(p384, p384, 48);
    #[cfg(all(feature = "ecc384-compact", target_arch = "arm"))]
    pub(super) use crate::ecdsa_nist::verify_p384 as p384;
    #[cfg(feature = "ecc521")]
    curve_impl!(p521, p521, 66);
}

#[cfg(all(
    feature = "ecc256-cortex-m4",
    target_arch = "arm",
    target_feature = "dsp"
))]
#[allow(unsafe_code)]
mod p256_cortex_m4 {
    //! ECDSA P-256 verification by P256-Cortex-M4 (feature `ecc256-cortex-m4`
    //! on ARMv7E-M / ARMv8-M Mainline): field arithmetic in assembly with
    //! UMAAL, built for verification only (variable-time inversion: a
    //! verifier handles only public data).
    //!
    //! `p256_verify` checks what the RustCrypto path checks: r and s in
    //! [1, n-1], both coordinates below p, the key on the curve; high-S
    //! signatures are accepted, as wolfBoot accepts them. It answers only
    //! yes or no, so a key that is not a curve point is reported as a bad
    //! signature (the keystore is built by our keygen, which checks keys).

    use crate::error::VerifyError;

    /// 32 big-endian bytes as the eight little-endian words the assembly reads.
    fn words(be: &[u8; 32]) -> [u32; 8] {
        let mut out = [0u32; 8];
        for (w, chunk) in out.iter_mut().zip(be.rchunks_exact(4)) {
            if let [a, b, c, d] = *chunk {
                *w = u32::from_be_bytes([a, b, c, d]);
            }
        }
        out
    }

    fn halves(bytes: &[u8]) -> Option<([u32; 8], [u32; 8])> {
        let (hi, lo) = bytes.split_first_chunk::<32>()?;
        let lo: &[u8; 32] = lo.try_into().ok()?;
        Some((words(hi), words(lo)))
    }

    pub(in crate::signature) fn p256(
        pubkey: &[u8],
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), VerifyError> {
        let (x, y) = halves(pubkey).ok_or(VerifyError::BadPublicKey)?;
        let (r, s) = halves(sig).ok_or(VerifyError::BadSignature)?;
        let len = u32::try_from(digest.len()).map_err(|_| VerifyError::BadSignature)?;
        // SAFETY: `p256_verify` only reads: eight words from each of `x`,
        // `y`, `r` and `s` (each a `[u32; 8]`, so aligned and long enough)
        // and `len` bytes from `digest` (exactly its length). It keeps no
        // pointer after returning and uses at most 2 KiB of stack.
        let valid = unsafe {
            p256_cortex_m4_sys::p256_verify(
                x.as_ptr(),
                y.as_ptr(),
                digest.as_ptr(),
                len,
                r.as_ptr(),
                s.as_ptr(),
            )
        };
        if valid {
            Ok(())
        } else {
            Err(VerifyError::BadSignature)
        }
    }
}

#[cfg(any(feature = "rsa2048", feature = "rsa3072", feature = "rsa4096"))]
mod rsa {
    //! RSA PKCS#1 v1.5 and PSS over the digest, keys as DER SubjectPublicKeyInfo.

    use alloc::boxed::Box;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    use rsa::{Pkcs1v15Sign, PublicKey};
    use wolfboot_image_format::{AuthType, HashAlgorithm};

    use super::{RsaEncoding, VerifyPolicy};
    use crate::error::VerifyError;
    use crate::keystore::{der_trim, rsa_bits};

    fn pss(auth: AuthType) -> bool {
        matches!(
            auth,
            AuthType::RsaPss2048 | AuthType::RsaPss3072 | AuthType::RsaPss4096
        )
    }

    pub(super) fn verify(
        auth: AuthType,
        pubkey: &[u8],
        hash: HashAlgorithm,
        digest: &[u8],
        sig: &[u8],
        policy: &VerifyPolicy,
    ) -> Result<(), VerifyError> {
        // The caller checked that this key size is enabled.
        let bits = rsa_bits(auth).ok_or(VerifyError::UnsupportedAlgorithm(auth.code()))?;
        let der = der_trim(pubkey).ok_or(VerifyError::BadPublicKey)?;
        let key = PublicKey::from_public_key_der(der).map_err(|_| VerifyError::BadPublicKey)?;
        if key.n().bit_width() as usize != bits {
            return Err(VerifyError::BadPublicKey);
        }
        if sig.len() != bits / 8 {
            return Err(VerifyError::BadSignature);
        }
        if pss(auth) {
            return verify_pss(auth, &key, hash, digest, sig);
        }
        let raw = || {
            key.verify(Pkcs1v15Sign::new_unprefixed(), digest, sig)
                .is_ok()
        };
        let info = || {
            let scheme = Pkcs1v15Sign {
                hash_len: Some(digest.len()),
                prefix: Box::from(hash.digest_info_prefix()),
            };
            key.verify(scheme, digest, sig).is_ok()
        };
        let ok = match policy.rsa_encoding {
            RsaEncoding::RawDigest => raw(),
            RsaEncoding::DigestInfo => info(),
            RsaEncoding::Either => raw() || info(),
        };
        if ok {
            Ok(())
        } else {
            Err(VerifyError::BadSignature)
        }
    }

    #[cfg(feature = "rsapss")]
    fn verify_pss(
        _auth: AuthType,
        key: &PublicKey,
        hash: HashAlgorithm,
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), VerifyError> {
        let res = match hash {
            HashAlgorithm::Sha256 => key.pss_verify_prehash::<sha2::Sha256>(digest, sig),
            HashAlgorithm::Sha384 => key.pss_verify_prehash::<sha2::Sha384>(digest, sig),
            HashAlgorithm::Sha3_384 => return Err(VerifyError::UnsupportedHash(hash)),
        };
        res.map_err(|_| VerifyError::BadSignature)
    }

    #[cfg(not(feature = "rsapss"))]
    fn verify_pss(
        auth: AuthType,
        _key: &PublicKey,
        _hash: HashAlgorithm,
        _digest: &[u8],
        _sig: &[u8],
    ) -> Result<(), VerifyError> {
        Err(VerifyError::UnsupportedAlgorithm(auth.code()))
    }
}
