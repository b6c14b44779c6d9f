//! Header and TLV parser on arbitrary bytes, at every header size.
//!
//! Asserts, beyond "never panics":
//! * `ImageHeader::parse` fails exactly when the bytes are short or lack the
//!   magic, with the right error;
//! * the TLV walk is wolfBoot's (`fields` of `wolfboot_fuzz::reference`, a
//!   separate reading of `wolfBoot_find_header`): same fields, same offsets;
//! * every getter returns what that walk says, with the documented errors;
//! * `Image::parse` splits exactly `payload_size` bytes after the header;
//! * `parse_auto` returns a valid header size that `parse` agrees with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::{reference, seeds};
use wolfboot_image_format::{wire::tlv, HashAlgorithm, HeaderError, Image, ImageHeader, ImageType};

fuzz_target!(
    init: {
        seeds::write_from_env("header_parser");
    },
    |data: &[u8]| {
        for shift in 8..=16 {
            fixed(data, 1usize << shift);
        }
        auto(data);
    }
);

fn le_u32(v: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(v.try_into().ok()?))
}

/// What a fixed-length getter must return, from the reference walk.
fn expect_fixed<const N: usize>(bytes: &[u8], tag: u16) -> Result<[u8; N], HeaderError> {
    let f = reference::find(bytes, tag).ok_or(HeaderError::MissingTlv(tag))?;
    f.value
        .try_into()
        .map_err(|_| HeaderError::BadTlvLength(tag))
}

fn fixed(data: &[u8], size: usize) {
    let magic_ok = data.len() >= 4 && data[..4] == *b"WOLF";
    let h = match ImageHeader::parse(data, size) {
        Ok(h) => h,
        Err(HeaderError::Truncated) => {
            assert!(data.len() < 4 || (magic_ok && data.len() < size));
            return;
        }
        Err(HeaderError::BadMagic) => {
            assert!(data.len() >= 4 && !magic_ok);
            return;
        }
        Err(e) => panic!("parse({size}): unexpected {e:?}"),
    };
    assert!(magic_ok && data.len() >= size);
    let bytes = &data[..size];
    assert_eq!(h.as_bytes(), bytes);
    assert_eq!(h.header_size(), size);

    // The walk, field for field.
    let walk: Vec<_> = h.tlvs().map(|t| (t.tag, t.offset, t.value)).collect();
    let want: Vec<_> = reference::fields(bytes)
        .into_iter()
        .map(|f| (f.tag, f.offset, f.value))
        .collect();
    assert_eq!(walk, want, "TLV walk differs from wolfBoot's");
    let mut first_of = std::collections::HashMap::new();
    for (i, (tag, offset, value)) in walk.iter().enumerate() {
        assert!(*offset >= 8 && offset % 2 == 0 && offset + 4 + value.len() <= size);
        assert!(i == 0 || walk[i - 1].1 < *offset);
        first_of.entry(*tag).or_insert(*value);
    }
    // `find` returns the first field of a tag (a later duplicate is ignored);
    // checked for the first tags met (each `find` walks the header again).
    for (tag, value) in first_of.iter().take(64) {
        assert_eq!(h.find(*tag), Some(*value));
    }

    // Getters.
    let payload_size = le_u32(&bytes[4..8]).expect("4 bytes");
    assert_eq!(h.payload_size(), payload_size);
    assert_eq!(h.total_size(), Some(size + payload_size as usize));
    assert_eq!(
        h.version(),
        expect_fixed::<4>(bytes, tlv::VERSION).map(u32::from_le_bytes)
    );
    let ts = match expect_fixed::<8>(bytes, tlv::TIMESTAMP) {
        Ok(b) => Ok(Some(u64::from_le_bytes(b))),
        Err(HeaderError::MissingTlv(_)) => Ok(None),
        Err(e) => Err(e),
    };
    assert_eq!(h.timestamp(), ts);
    let image_type =
        expect_fixed::<2>(bytes, tlv::IMG_TYPE).map(|b| ImageType(u16::from_le_bytes(b)));
    assert_eq!(h.image_type(), image_type);
    assert_eq!(
        h.pubkey_hint(),
        reference::find(bytes, tlv::PUBKEY_HINT).map(|f| f.value)
    );
    assert_eq!(
        h.signature(),
        reference::find(bytes, tlv::SIGNATURE).map(|f| f.value)
    );

    // The digest: the first digest field of any algorithm.
    let first = reference::fields(bytes)
        .into_iter()
        .find(|f| HashAlgorithm::from_tlv(f.tag).is_some());
    match (h.digest(), first) {
        (Err(HeaderError::MissingTlv(tlv::SHA256)), None) => {}
        (Ok(d), Some(f)) => {
            assert_eq!(d.algorithm.tlv(), f.tag);
            assert_eq!(d.value, f.value);
            assert_eq!(d.value.len(), d.algorithm.digest_len());
            assert_eq!(d.covered_header_len, f.offset);
        }
        (Err(HeaderError::BadTlvLength(t)), Some(f)) => {
            assert_eq!(t, f.tag);
            let alg = HashAlgorithm::from_tlv(t).expect("digest tag");
            assert_ne!(f.value.len(), alg.digest_len());
        }
        (got, want) => panic!("digest(): {got:?}, reference first digest field {want:?}"),
    }

    // Delta fields only for delta images, each read as the walk says.
    match h.delta() {
        Ok(Some(d)) => {
            let t = image_type.expect("delta info needs an image type");
            assert!(t.is_diff());
            let u = |tag| le_u32(reference::find(bytes, tag).expect("present").value);
            assert_eq!(Some(d.base_version), u(tlv::DELTA_BASE));
            assert_eq!(Some(d.patch_len), u(tlv::DELTA_SIZE));
            assert_eq!(Some(d.inverse_offset), u(tlv::DELTA_INVERSE));
            assert_eq!(Some(d.inverse_len), u(tlv::DELTA_INVERSE_SIZE));
            assert_eq!(
                d.base_hash,
                reference::find(bytes, tlv::DELTA_BASE_HASH).map(|f| f.value)
            );
        }
        Ok(None) => assert!(image_type.is_ok_and(|t| !t.is_diff())),
        Err(_) => assert!(image_type.is_err() || image_type.is_ok_and(|t| t.is_diff())),
    }

    // Header plus payload.
    let end = size + payload_size as usize;
    match Image::parse(data, size) {
        Ok(img) => {
            assert!(end <= data.len());
            assert_eq!(img.payload, &data[size..end]);
            assert_eq!(img.total_size(), end);
        }
        Err(HeaderError::PayloadTruncated) => assert!(end > data.len()),
        Err(e) => panic!("Image::parse({size}): unexpected {e:?}"),
    }
}

fn auto(data: &[u8]) {
    let r = ImageHeader::parse_auto(data);
    let i = Image::parse_auto(data);
    match r {
        Ok(h) => {
            let size = h.header_size();
            assert!(wolfboot_image_format::wire::valid_header_size(size));
            assert!(data.len() >= size);
            assert_eq!(ImageHeader::parse(data, size), Ok(h));
            match i {
                Ok(img) => assert_eq!(img.header, h),
                Err(HeaderError::PayloadTruncated) => {
                    assert!(size + h.payload_size() as usize > data.len())
                }
                Err(e) => panic!("Image::parse_auto: {e:?} after header parsed"),
            }
        }
        Err(e) => {
            assert!(
                matches!(e, HeaderError::Truncated | HeaderError::BadMagic),
                "parse_auto: {e:?}"
            );
            assert!(i.is_err());
        }
    }
}
