//! wolfBoot's post-quantum vectors (`vectors/pq`) as (scheme, key,
//! signature, digest) for the `pq_signatures` target and its seeds.

use wolfboot_image_format::ImageHeader;
use wolfboot_verify::{parse_keystore, AuthType};

use crate::seeds::vectors_dir;

/// One signed vector image, taken apart.
#[derive(Debug, Clone)]
pub struct PqVector {
    /// Folder name.
    pub name: String,
    /// Signature algorithm.
    pub auth: AuthType,
    /// The public key (keystore slot 0).
    pub key: Vec<u8>,
    /// The image's signature.
    pub signature: Vec<u8>,
    /// The image digest (SHA-256).
    pub digest: Vec<u8>,
}

const FOLDERS: [&str; 5] = [
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
    "lms-l1-h10-w8",
    "xmss-sha2_10_256",
];

/// Every vector found (none without the vectors folder).
pub fn vectors() -> Vec<PqVector> {
    let Some(dir) = vectors_dir() else {
        return Vec::new();
    };
    FOLDERS
        .iter()
        .filter_map(|name| {
            let d = dir.join("pq").join(name);
            let image = std::fs::read(d.join("image_v1_signed.bin")).ok()?;
            let ks = std::fs::read(d.join("keystore.der")).ok()?;
            let size: usize = std::fs::read_to_string(d.join("header_size"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            let h = ImageHeader::parse(&image, size).ok()?;
            let slot = parse_keystore(&ks).next()?.ok()?;
            Some(PqVector {
                name: (*name).to_string(),
                auth: slot.key_type,
                key: slot.pubkey.to_vec(),
                signature: h.signature()?.to_vec(),
                digest: h.digest().ok()?.value.to_vec(),
            })
        })
        .collect()
}
