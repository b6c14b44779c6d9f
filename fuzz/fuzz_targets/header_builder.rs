//! Header builder and parser agree: whatever fields a signer asks for, the
//! header built by `HeaderBuilder` parses back to the same fields, with the
//! digest covering exactly the bytes the builder hashed, and `parse_auto`
//! sizes it as the builder did.
//!
//! Custom tags follow sign-cli's rule (at least 0x30, neither byte 0xFF):
//! other tags can be written by the library but are read differently by
//! wolfBoot's walk, which is why the command line refuses them.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::images::Hash;
use wolfboot_fuzz::seeds;
use wolfboot_image_format::{
    wire::tlv, AuthType, BuildError, HeaderBuilder, Image, ImageHeader, ImageType,
};

const AUTHS: [AuthType; 15] = AuthType::ALL;

/// Base version, patch length, inverse offset and length, base hash.
type Delta = (u32, u32, u32, u32, Option<Vec<u8>>);

#[derive(Arbitrary, Debug)]
struct Input {
    auth: u8,
    hash: Hash,
    version: u32,
    timestamp: Option<u64>,
    partition_id: u8,
    custom: Vec<(u16, Vec<u8>)>,
    delta: Option<Delta>,
    /// A forced header size (any value: invalid ones must be refused).
    forced_size: Option<u32>,
    /// RSA-style signature length chosen by the key.
    signature_len: Option<u16>,
    payload_len: u16,
    fill: [u8; 3],
}

fn valid_custom(tag: u16) -> bool {
    tag >= tlv::CUSTOM_MIN && tag & 0xFF00 != 0xFF00 && tag & 0x00FF != 0x00FF
}

fuzz_target!(
    init: {
        seeds::write_from_env("header_builder");
    },
    |input: Input| {
        let auth = AUTHS[usize::from(input.auth) % AUTHS.len()];
        let alg = input.hash.algorithm();
        let custom: Vec<(u16, Vec<u8>)> = input
            .custom
            .into_iter()
            .filter(|(t, _)| valid_custom(*t))
            .take(16)
            .collect();
        let mut b = HeaderBuilder::new(auth, alg, input.version)
            .timestamp(input.timestamp)
            .partition_id(input.partition_id);
        for (t, v) in &custom {
            b = b.custom_tlv(*t, v);
        }
        if let Some((base, len, off, ilen, hash)) = &input.delta {
            b = b.delta(*base, *len, *off, *ilen, hash.as_deref());
        }
        // (An empty signature field ending exactly at the end of the header
        // is out of reach of wolfBoot's walk, `p + 4 < end`; keys never
        // make empty signatures.)
        let sig_len = match input.signature_len {
            Some(n) if auth != AuthType::None => {
                let n = usize::from(n.max(1));
                b = b.signature_len(n);
                n
            }
            _ => auth.signature_len(),
        };
        if let Some(size) = input.forced_size {
            b = b.header_size(size as usize);
        }
        let expected_type = ImageType::new(auth, input.partition_id & 0x0F, input.delta.is_some());
        assert_eq!(b.image_type(), expected_type);

        let hint = vec![input.fill[0]; alg.digest_len()];
        let unsigned = match b.begin(u32::from(input.payload_len), &hint) {
            Ok(u) => u,
            Err(BuildError::BadHeaderSize(s)) => {
                assert!(!wolfboot_image_format::wire::valid_header_size(s));
                return;
            }
            Err(BuildError::HeaderOverflow { needed, size }) => {
                assert!(needed > size);
                return;
            }
            Err(BuildError::ValueTooLong(_)) => return,
            Err(e) => panic!("begin: {e:?}"),
        };
        let size = b.effective_header_size().expect("begin succeeded");
        assert_eq!(unsigned.header_size(), size);
        assert!(wolfboot_image_format::wire::valid_header_size(size));
        if input.forced_size.is_none() {
            assert!(size >= auth.min_header_size());
        }
        let prefix = unsigned.hashed_prefix().to_vec();
        let digest = vec![input.fill[1]; alg.digest_len()];
        let sig = vec![input.fill[2]; sig_len];
        let signature = (auth != AuthType::None).then_some(sig.as_slice());
        let header = match unsigned.finish(&digest, signature) {
            Ok(h) => h,
            Err(BuildError::HeaderOverflow { .. }) if input.forced_size.is_some() => return,
            Err(e) => panic!("finish: {e:?}"),
        };
        assert_eq!(header.len(), size);

        let h = ImageHeader::parse(&header, size).expect("built header parses");
        assert_eq!(h.version(), Ok(input.version));
        assert_eq!(h.timestamp(), Ok(input.timestamp));
        assert_eq!(h.image_type(), Ok(expected_type));
        assert_eq!(h.payload_size(), u32::from(input.payload_len));
        assert_eq!(h.pubkey_hint(), Some(hint.as_slice()));
        let d = h.digest().expect("digest field");
        assert_eq!((d.algorithm, d.value), (alg, digest.as_slice()));
        assert_eq!(&header[..d.covered_header_len], prefix.as_slice());
        assert_eq!(h.signature(), signature);
        for (t, v) in &custom {
            let first = custom.iter().find(|(u, _)| u == t).expect("present");
            assert_eq!(h.find(*t), Some(first.1.as_slice()), "custom {t:#x} vs {v:?}");
        }
        match (&input.delta, h.delta()) {
            (None, Ok(None)) => {}
            (Some((base, len, off, ilen, hash)), Ok(Some(info))) => {
                assert_eq!(
                    (info.base_version, info.patch_len, info.inverse_offset, info.inverse_len),
                    (*base, *len, *off, *ilen)
                );
                assert_eq!(info.base_hash, hash.as_deref());
            }
            (want, got) => panic!("delta fields: built {want:?}, parsed {got:?}"),
        }

        // A file holding exactly the image: its length gives the header size,
        // for the sizes wolfBoot's tools make (powers of two, and multiples
        // of 4 KiB such as ML-DSA-87's 12288). Other forced sizes are sized
        // from the fields, like a padded image below.
        let mut image = header.clone();
        image.resize(size + usize::from(input.payload_len), 0x5A);
        if size.is_power_of_two() || size.is_multiple_of(4096) {
            let img = Image::parse_auto(&image).expect("whole image parses");
            assert_eq!(img.header.header_size(), size);
        } else if let Ok(img) = Image::parse_auto(&image) {
            let got = img.header.header_size();
            assert!(got <= size, "parse_auto sized {got} > {size}");
        }
        // With flash padding after it, the fields size the header as
        // wolfBoot's `sign` sizes it, doubling from the key type's minimum:
        // the builder's size when not forced; at most the forced size when
        // that is a size the doubling reaches (a header forced below the
        // minimum, or to another multiple of 256, is not one `sign` makes).
        image.push(0xFF);
        let min = auth.min_header_size();
        if size >= min {
            let auto = ImageHeader::parse_auto(&image).expect("padded image parses");
            if input.forced_size.is_none() {
                assert_eq!(auto.header_size(), size, "parse_auto sizes differently");
            } else if size.is_multiple_of(min) && (size / min).is_power_of_two() {
                assert!(auto.header_size() <= size);
            }
        }
    }
);
