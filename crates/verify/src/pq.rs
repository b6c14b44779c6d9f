//! Signature lengths that depend on the key: the post-quantum schemes,
//! whose parameters (ML-DSA level, LMS and XMSS tree shapes) are told by
//! the public key rather than by the auth type alone.

use wolfboot_image_format::AuthType;

/// The signature length `auth` needs with this key (as the keystore stores
/// it), or `None` when the key fixes none (malformed key, or a scheme whose
/// module this build lacks). For the other algorithms, the auth type's own
/// length.
pub fn signature_len(auth: AuthType, pubkey: &[u8]) -> Option<usize> {
    let _ = pubkey;
    match auth {
        AuthType::MlDsa => crate::mldsa::signature_len(pubkey.len()),
        #[cfg(feature = "lms")]
        AuthType::Lms => crate::lms::signature_len(pubkey),
        #[cfg(feature = "xmss")]
        AuthType::Xmss => crate::xmss::signature_len(pubkey),
        #[cfg(not(feature = "lms"))]
        AuthType::Lms => None,
        #[cfg(not(feature = "xmss"))]
        AuthType::Xmss => None,
        _ => Some(auth.signature_len()),
    }
}

/// Whether `auth`'s signature length depends on the key.
pub const fn key_sized(auth: AuthType) -> bool {
    matches!(auth, AuthType::MlDsa | AuthType::Lms | AuthType::Xmss)
}
