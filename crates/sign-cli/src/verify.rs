//! `verify`: check an image with wolfboot-verify, the bootloader's own code.

use crate::error::{read_file, Error, Result};
use crate::keys::{load_public_key, PublicKey};
use std::path::{Path, PathBuf};
use wolfboot_verify::{
    parse_keystore, verify_image, verify_image_bytes, KeySlot, Keystore, VerifiedImage,
    VerifyOptions,
};

/// What to verify an image against.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// The image.
    pub image: PathBuf,
    /// Public (or private) key files, each one keystore slot.
    pub pubkeys: Vec<PathBuf>,
    /// wolfBoot binary keystore files (`keystore.der`).
    pub keystores: Vec<PathBuf>,
    /// Partition id the image must be for.
    pub partition_id: Option<u8>,
    /// Accept an unsigned image on its digest alone.
    pub allow_unsigned: bool,
    /// The bootloader's `IMAGE_HEADER_SIZE`; `None`: sized as `sign` sizes it.
    pub header_size: Option<usize>,
}

/// Verify an image held in memory against public keys.
pub fn verify_bytes(
    image: &[u8],
    keys: &[PublicKey],
    partition_id: Option<u8>,
    allow_unsigned: bool,
) -> std::result::Result<VerifiedImage, wolfboot_verify::VerifyError> {
    let slots: Vec<KeySlot<'_>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| KeySlot::new(i as u32, k.kind.default_auth(), &k.bytes))
        .collect();
    verify_with_slots(image, &slots, partition_id, allow_unsigned, None)
}

fn verify_with_slots(
    image: &[u8],
    slots: &[KeySlot<'_>],
    partition_id: Option<u8>,
    allow_unsigned: bool,
    header_size: Option<usize>,
) -> std::result::Result<VerifiedImage, wolfboot_verify::VerifyError> {
    let keystore = Keystore::new(slots);
    let opts = VerifyOptions {
        partition_id,
        allow_unsigned,
        ..VerifyOptions::new()
    };
    match header_size {
        None => verify_image_bytes(image, &keystore, &opts),
        Some(size) => {
            let mut header = vec![0u8; size];
            let mut source = image;
            verify_image(&mut source, &mut header, &keystore, &opts)
        }
    }
}

/// Run a `verify` request.
pub fn run_verify(req: &VerifyRequest) -> Result<VerifiedImage> {
    if req.pubkeys.is_empty() && req.keystores.is_empty() && !req.allow_unsigned {
        return Err(Error::usage(
            "verify needs --pubkey KEY or --keystore FILE (or --allow-unsigned)",
        ));
    }
    let image = read_file(&req.image)?;
    let keys = req
        .pubkeys
        .iter()
        .map(|p| load_public_key(p))
        .collect::<Result<Vec<_>>>()?;
    let store_files = req
        .keystores
        .iter()
        .map(|p| read_file(p).map(|b| (p.clone(), b)))
        .collect::<Result<Vec<_>>>()?;
    let mut slots: Vec<KeySlot<'_>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| KeySlot::new(i as u32, k.kind.default_auth(), &k.bytes))
        .collect();
    for (path, bytes) in &store_files {
        for slot in parse_keystore(bytes) {
            slots.push(slot.map_err(|e| keystore_error(path, e))?);
        }
    }
    verify_with_slots(
        &image,
        &slots,
        req.partition_id,
        req.allow_unsigned,
        req.header_size,
    )
    .map_err(|e| Error::Verify(e.to_string()))
}

fn keystore_error(path: &Path, e: wolfboot_verify::KeystoreError) -> Error {
    Error::key(path, format!("bad keystore slot: {e}"))
}
