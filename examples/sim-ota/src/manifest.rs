//! The manifest the device polls: the latest signed image per partition.
//!
//! ```json
//! {"images":[{"partition":1,"version":2,"size":412160,
//!             "url":"/images/sim-ota_v2_signed.bin","sha256":"…"}]}
//! ```
//!
//! `partition` is wolfBoot's partition id from the image header's type field
//! (1: the application, 0: the bootloader itself). The manifest is only a
//! hint: the device verifies whatever it downloads (signature, version)
//! before it triggers anything, whatever the manifest said.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wolfboot_image_format::ImageHeader;

/// Path of the manifest on the update server.
pub const MANIFEST_PATH: &str = "/manifest.json";
/// Where the server publishes images (`/images/FILE`).
pub const IMAGES_PREFIX: &str = "/images/";
/// Largest manifest the device accepts.
pub const MAX_MANIFEST: u64 = 64 * 1024;
/// wolfBoot's partition id of the application.
pub const APP_PARTITION: u8 = wolfboot_image_format::wire::img_type::PART_APP;

/// One signed image on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// wolfBoot partition id (image type's low bits).
    pub partition: u8,
    /// Version from the image header.
    pub version: u32,
    /// Size of the signed image in bytes (header plus payload).
    pub size: u64,
    /// Path on the same server.
    pub url: String,
    /// SHA-256 of the signed image, hex; also its entity tag.
    pub sha256: String,
}

impl Entry {
    /// The entity tag the server sends for this image (`"<sha256>"`).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

/// The whole manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// At most one entry per partition: the newest.
    pub images: Vec<Entry>,
}

impl Manifest {
    /// Parse a manifest received from the network.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("bad manifest: {e}"))
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{\"images\":[]}".into())
    }

    /// The entry for `partition`, if any.
    pub fn latest(&self, partition: u8) -> Option<&Entry> {
        self.images
            .iter()
            .filter(|e| e.partition == partition)
            .max_by_key(|e| e.version)
    }
}

/// A signed image file found in the server's folder.
#[derive(Debug, Clone)]
pub struct Published {
    /// The file.
    pub path: PathBuf,
    /// What the manifest says about it.
    pub entry: Entry,
}

/// Read one file: `None` when it is not a wolfBoot image.
pub fn describe(path: &Path, bytes: &[u8]) -> Option<Published> {
    let name = path.file_name()?.to_str()?;
    if !crate::http::is_token_safe(name) || name.contains('/') {
        return None;
    }
    let header = ImageHeader::parse_auto(bytes).ok()?;
    let version = header.version().ok()?;
    let partition = header.image_type().ok()?.partition_id();
    Some(Published {
        path: path.to_path_buf(),
        entry: Entry {
            partition,
            version,
            size: bytes.len() as u64,
            url: format!("{IMAGES_PREFIX}{name}"),
            sha256: sha256_hex(bytes),
        },
    })
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every wolfBoot image in `dir` (not recursive), by file name, and the
/// manifest naming the newest one per partition (ties: the first name).
pub fn scan(dir: &Path) -> Result<(BTreeMap<String, Published>, Manifest), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut found = BTreeMap::new();
    for item in rd {
        let item = item.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = item.path();
        if !path.is_file() {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if let Some(p) = describe(&path, &bytes) {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                found.insert(name.to_string(), p);
            }
        }
    }
    let mut newest: BTreeMap<u8, Entry> = BTreeMap::new();
    for p in found.values() {
        let e = &p.entry;
        if newest
            .get(&e.partition)
            .is_none_or(|n| e.version > n.version)
        {
            newest.insert(e.partition, e.clone());
        }
    }
    let manifest = Manifest {
        images: newest.into_values().collect(),
    };
    Ok((found, manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_picks_the_newest() {
        let e = |partition, version| Entry {
            partition,
            version,
            size: 10,
            url: format!("/images/v{version}.bin"),
            sha256: "00".into(),
        };
        let m = Manifest {
            images: vec![e(1, 2), e(0, 9), e(1, 5)],
        };
        let back = Manifest::from_json(m.to_json().as_bytes()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.latest(APP_PARTITION).map(|e| e.version), Some(5));
        assert_eq!(back.latest(3), None);
        assert_eq!(e(1, 1).etag(), "\"00\"");
    }

    #[test]
    fn refuses_bad_json_without_panicking() {
        for bad in [
            &b""[..],
            b"{",
            b"[]",
            b"{\"images\":[{\"partition\":1}]}",
            b"{\"images\":[{\"partition\":300,\"version\":1,\"size\":1,\"url\":\"/\",\"sha256\":\"\"}]}",
            b"{\"images\":[{\"partition\":1,\"version\":-1,\"size\":1,\"url\":\"/\",\"sha256\":\"\"}]}",
            b"\xff\xfe",
        ] {
            assert!(Manifest::from_json(bad).is_err());
        }
        // Unknown fields are ignored (newer servers may say more).
        let ok = br#"{"images":[],"generated":"today"}"#;
        assert_eq!(Manifest::from_json(ok).unwrap(), Manifest::default());
    }

    #[test]
    fn ignores_files_that_are_not_images() {
        assert!(describe(Path::new("x.bin"), b"not an image").is_none());
        assert!(describe(Path::new("x.bin"), b"").is_none());
    }
}
