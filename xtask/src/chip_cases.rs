//! What the case generators of the on-chip checks (`ecdsa_check`,
//! `ed25519_check`) share: wolfBoot's own signed images from the
//! repository's vectors, and the cases file the board's program reads.

use std::path::Path;

use wolfboot_image_format::ImageHeader;

/// The public key, the digest field and the signature of one of wolfBoot's
/// signed images, as its C `keygen` and `sign` wrote them.
pub struct WolfbootSignature {
    pub key: Vec<u8>,
    pub digest: Vec<u8>,
    pub sig: Vec<u8>,
}

/// Every valid signed image of the vectors for `alg` (`ecc256`,
/// `ed25519`, ...); an error if there is none.
pub fn wolfboot_signatures(alg: &str) -> Result<Vec<WolfbootSignature>, String> {
    let mut out = Vec::new();
    for e in wolfboot_test_vectors::entries() {
        if e.kind != "signed_image" || e.alg.as_deref() != Some(alg) || e.valid != Some(true) {
            continue;
        }
        let image = wolfboot_test_vectors::read(&e.file);
        let h = ImageHeader::parse_auto(&image).map_err(|err| format!("{}: {err}", e.file))?;
        let digest = h.digest().map_err(|err| format!("{}: {err}", e.file))?;
        let sig = h
            .signature()
            .ok_or_else(|| format!("{}: no signature", e.file))?;
        out.push(WolfbootSignature {
            key: wolfboot_test_vectors::read(e.pubkey.as_deref().unwrap_or_default()),
            digest: digest.value.to_vec(),
            sig: sig.to_vec(),
        });
    }
    if out.is_empty() {
        return Err(format!("no {alg} images in the vectors"));
    }
    Ok(out)
}

/// Write the cases of an on-chip check program to `path`, each encoded
/// with the host's verdict (`encode`); returns how many.
pub fn write_judged<C, const N: usize>(
    path: &Path,
    cases: &[(C, bool)],
    encode: fn(&C, bool) -> [u8; N],
) -> Result<usize, String> {
    let bytes: Vec<u8> = cases.iter().flat_map(|(c, v)| encode(c, *v)).collect();
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(cases.len())
}
