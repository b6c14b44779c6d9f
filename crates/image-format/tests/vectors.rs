//! The parser and builder against images made by wolfBoot's own `sign`.

use wolfboot_image_format::{
    wire::tlv, AuthType, HashAlgorithm, HeaderBuilder, HeaderError, Image, ImageHeader,
};
use wolfboot_test_vectors as vectors;

fn hash_of(name: &str) -> HashAlgorithm {
    HashAlgorithm::from_name(name).unwrap_or_else(|| panic!("unknown hash {name}"))
}

fn valid_images() -> Vec<vectors::Entry> {
    vectors::entries()
        .into_iter()
        .filter(|e| e.kind == "signed_image" && e.valid == Some(true))
        .collect()
}

#[test]
fn every_valid_vector_parses_with_its_version_and_sizes() {
    let entries = valid_images();
    assert!(entries.len() >= 30, "expected the full vector set");
    for e in entries {
        let bytes = vectors::read(&e.file);
        let image = Image::parse_auto(&bytes).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        let payload = vectors::read(e.payload.as_deref().unwrap());
        assert!(image.payload == &payload[..], "{}: payload differs", e.file);
        assert_eq!(image.total_size(), bytes.len(), "{}: header size", e.file);
        assert_eq!(image.header.version(), Ok(e.version.unwrap()), "{}", e.file);
        let digest = image.header.digest().unwrap();
        assert_eq!(
            digest.algorithm,
            hash_of(e.hash.as_deref().unwrap()),
            "{}",
            e.file
        );
        let ty = image.header.image_type().unwrap();
        // `--rsa2048enc` is RSA-2048 with a DigestInfo: same auth type.
        let alg = e.alg.as_deref().unwrap().trim_end_matches("enc");
        let expected_auth = AuthType::from_name(alg).unwrap();
        assert_eq!(ty.auth(), Some(expected_auth), "{}", e.file);
        if expected_auth != AuthType::None {
            assert_eq!(
                image.header.signature().map(<[u8]>::len),
                Some(expected_auth.signature_len()),
                "{}",
                e.file
            );
        }
    }
}

/// Rebuild each vector's header from its fields with our builder: every byte,
/// padding included, must equal what wolfBoot's `sign` wrote.
#[test]
fn builder_reproduces_every_wolfboot_header_byte_for_byte() {
    for e in valid_images() {
        let bytes = vectors::read(&e.file);
        let h = ImageHeader::parse_auto(&bytes).unwrap();
        let ty = h.image_type().unwrap();
        let auth = ty.auth().unwrap();
        let digest = h.digest().unwrap();
        let mut b = HeaderBuilder::new(auth, digest.algorithm, h.version().unwrap())
            .timestamp(h.timestamp().unwrap())
            .partition_id(ty.partition_id());
        if let Some(sig) = h.signature() {
            b = b.signature_len(sig.len());
        }
        if let Some(d) = h.delta().unwrap() {
            b = b.delta(
                d.base_version,
                d.patch_len,
                d.inverse_offset,
                d.inverse_len,
                d.base_hash,
            );
        }
        for t in h
            .tlvs()
            .filter(|t| t.tag >= tlv::CUSTOM_MIN && t.tag != tlv::SIGNATURE)
        {
            b = b.custom_tlv(t.tag, t.value);
        }
        if e.base.is_some() {
            // `sign --delta` writes the full image with the diff's (larger)
            // header size; the size is then a signing option, not a layout fact.
            b = b.header_size(h.header_size());
        }
        assert_eq!(
            b.effective_header_size().unwrap(),
            h.header_size(),
            "{}: size",
            e.file
        );
        let unsigned = b.begin(h.payload_size(), h.pubkey_hint().unwrap()).unwrap();
        assert_eq!(
            unsigned.hashed_prefix().len(),
            digest.covered_header_len,
            "{}",
            e.file
        );
        let rebuilt = unsigned.finish(digest.value, h.signature()).unwrap();
        assert_eq!(&rebuilt[..], h.as_bytes(), "{}: header bytes", e.file);
    }
}

#[test]
fn delta_fields_of_the_diff_vector() {
    let bytes = vectors::read("payload_delta_new_v503_signed_diff.bin");
    let h = ImageHeader::parse_auto(&bytes).unwrap();
    assert_eq!(h.header_size(), 512);
    let ty = h.image_type().unwrap();
    assert!(ty.is_diff());
    assert_eq!(ty.partition_id(), 1);
    assert_eq!(ty.auth(), Some(AuthType::Ecc256));
    let d = h.delta().unwrap().unwrap();
    assert_eq!(d.base_version, 492);
    assert_eq!(d.base_hash.map(<[u8]>::len), Some(32));
    assert!(d.patch_len > 0 && d.inverse_len > 0);
    assert_eq!(h.payload_size() as usize + 512, bytes.len());
}

#[test]
fn custom_tlvs_are_found() {
    let h = vectors::read("custom_tlv_string_v822_signed.bin");
    let h = ImageHeader::parse_auto(&h).unwrap();
    assert_eq!(h.find(0x35), Some(&b"hello-wolfboot"[..]));
    let b = vectors::read("custom_tlv_v739_signed.bin");
    let b = ImageHeader::parse_auto(&b).unwrap();
    assert_eq!(b.find(0x34), Some(&[0xDD, 0xCC, 0xBB, 0xAA][..]));
    let c = vectors::read("custom_tlv_buffer_v235_signed.bin");
    let c = ImageHeader::parse_auto(&c).unwrap();
    assert_eq!(
        c.find(0x36),
        Some(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33][..])
    );
    let p = vectors::read("partition_id_3_v606_signed.bin");
    let p = ImageHeader::parse_auto(&p).unwrap();
    assert_eq!(p.image_type().unwrap().partition_id(), 3);
    let n = vectors::read("no_timestamp_v968_signed.bin");
    assert_eq!(ImageHeader::parse_auto(&n).unwrap().timestamp(), Ok(None));
}

#[test]
fn invalid_vectors_fail_where_the_format_can_tell() {
    let magic = vectors::read("invalid_magic.bin");
    assert_eq!(ImageHeader::parse_auto(&magic), Err(HeaderError::BadMagic));
    let short = vectors::read("invalid_truncated_header.bin");
    assert_eq!(ImageHeader::parse_auto(&short), Err(HeaderError::Truncated));
    let payload = vectors::read("invalid_truncated_payload.bin");
    assert_eq!(
        Image::parse_auto(&payload),
        Err(HeaderError::PayloadTruncated)
    );
}
