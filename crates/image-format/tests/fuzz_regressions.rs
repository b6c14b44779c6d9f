//! Inputs found by the fuzz targets (`fuzz/`), kept as plain tests.

use wolfboot_image_format::{AuthType, HashAlgorithm, HeaderBuilder, Image, ImageHeader};

/// `header_builder`: an image with an empty payload and a header forced
/// larger than its fields need was sized by its fields (1024) instead of its
/// length (8192): the "file holding exactly one image" rule skipped images
/// whose payload is empty.
#[test]
fn empty_payload_with_a_forced_header_is_sized_by_its_length() {
    let b = HeaderBuilder::new(AuthType::Ed25519, HashAlgorithm::Sha256, 1).header_size(8192);
    let unsigned = b.begin(0, &[0u8; 32]).unwrap();
    let header = unsigned.finish(&[0u8; 32], Some(&[0u8; 64])).unwrap();
    assert_eq!(header.len(), 8192);
    let h = ImageHeader::parse_auto(&header).unwrap();
    assert_eq!(h.header_size(), 8192);
    let img = Image::parse_auto(&header).unwrap();
    assert!(img.payload.is_empty());
    assert_eq!(img.total_size(), 8192);

    // With flash padding after it, the fields size it (smallest that holds them).
    let mut padded = header.clone();
    padded.push(0xFF);
    assert_eq!(ImageHeader::parse_auto(&padded).unwrap().header_size(), 256);
}
