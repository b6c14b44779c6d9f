//! Whole-image verification against a fixed keystore, structure-aware.
//!
//! Input byte 0 picks the mode: 0 verifies the rest as an image; anything
//! else decodes a mostly-valid image (a catalogue image, or one signed for
//! this input from fuzzer-chosen fields) and a list of edits of the kinds an
//! attacker makes: bit flips, truncation, size field, TLV lengths and tags,
//! duplicated fields, a field or the payload taken from another image.
//!
//! Asserts for every verification that succeeds: the digest recomputed by
//! the independent reading equals the verifier's; a signed image is in the
//! registry of images signed on purpose, by the key of the reported slot,
//! which may sign for its partition, and says what was signed (version,
//! type, size); an unsigned one was allowed and is `--no-sign`; the options
//! (partition, size, hashes) hold. A flash-backed source with aligned reads
//! gives exactly the slice's result. An untouched image gets exactly the
//! result its signer and the options call for.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use embedded_storage::nor_flash::{ErrorType, NorFlashError, NorFlashErrorKind, ReadNorFlash};
use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::images::{catalogue, keystore, Facts, Registry, Signer, Spec};
use wolfboot_fuzz::{reference, seeds};
use wolfboot_image_format::{wire::tlv, AuthType, HashAlgorithm};
use wolfboot_verify::{
    verify_image, verify_image_bytes, verify_integrity, FlashSource, VerifiedImage, VerifyError,
    VerifyOptions,
};

#[derive(Arbitrary, Debug)]
enum Start {
    Catalogue(u8),
    Fresh(Spec),
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Flip {
        at: u16,
        bit: u8,
    },
    Set {
        at: u16,
        value: u8,
    },
    Truncate {
        len: u16,
    },
    Append(Vec<u8>),
    PayloadSize(u32),
    /// Rewrite the length of the `nth` field.
    FieldLength {
        nth: u8,
        len: u16,
    },
    /// Rewrite the tag of the `nth` field.
    FieldTag {
        nth: u8,
        tag: u16,
    },
    /// Copy the `nth` field (tag, length, value) over the bytes at `at`.
    DuplicateField {
        nth: u8,
        at: u16,
    },
    /// Replace the value of field `tag` with the same field of catalogue
    /// image `from` (signature of another image, hint of another key...).
    Transplant {
        tag: u8,
        from: u8,
    },
    /// This header on the payload of catalogue image `from`.
    OtherPayload {
        from: u8,
    },
    /// The header of catalogue image `from` on this payload.
    OtherHeader {
        from: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Opts {
    partition: Option<u8>,
    max_size: Option<u16>,
    allow_unsigned: bool,
    hashes: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    start: Start,
    edits: Vec<Edit>,
    opts: Opts,
    header_shift: u8,
}

const TAGS: [u16; 8] = [
    tlv::VERSION,
    tlv::TIMESTAMP,
    tlv::SHA256,
    tlv::IMG_TYPE,
    tlv::PUBKEY_HINT,
    tlv::SHA384,
    tlv::SHA3_384,
    tlv::SIGNATURE,
];

fn header_size_of(img: &[u8]) -> usize {
    wolfboot_image_format::ImageHeader::parse_auto(img).map_or(256, |h| h.header_size())
}

fn apply(img: &mut Vec<u8>, edit: &Edit) {
    let cat = catalogue();
    let pick = |i: u8| &cat[usize::from(i) % cat.len()].bytes;
    let at = |a: u16, len: usize| usize::from(a) % len.max(1);
    match edit {
        Edit::Flip { at: a, bit } => {
            if !img.is_empty() {
                let i = at(*a, img.len());
                img[i] ^= 1 << (bit % 8);
            }
        }
        Edit::Set { at: a, value } => {
            if !img.is_empty() {
                let i = at(*a, img.len());
                img[i] = *value;
            }
        }
        Edit::Truncate { len } => img.truncate(usize::from(*len)),
        Edit::Append(bytes) => img.extend_from_slice(bytes),
        Edit::PayloadSize(n) => {
            if img.len() >= 8 {
                img[4..8].copy_from_slice(&n.to_le_bytes());
            }
        }
        Edit::FieldLength { nth, len } | Edit::FieldTag { nth, tag: len } => {
            let hs = header_size_of(img).min(img.len());
            let fields = reference::fields(&img[..hs]);
            if let Some(f) = fields.get(usize::from(*nth) % fields.len().max(1)) {
                let o = f.offset
                    + if matches!(edit, Edit::FieldLength { .. }) {
                        2
                    } else {
                        0
                    };
                img[o..o + 2].copy_from_slice(&len.to_le_bytes());
            }
        }
        Edit::DuplicateField { nth, at: a } => {
            let hs = header_size_of(img).min(img.len());
            let fields = reference::fields(&img[..hs]);
            if let Some(f) = fields.get(usize::from(*nth) % fields.len().max(1)) {
                let bytes = img[f.offset..f.offset + 4 + f.value.len()].to_vec();
                let dst = at(*a, hs) & !1;
                let n = bytes.len().min(img.len() - dst);
                img[dst..dst + n].copy_from_slice(&bytes[..n]);
            }
        }
        Edit::Transplant { tag, from } => {
            let tag = TAGS[usize::from(*tag) % TAGS.len()];
            let src = pick(*from);
            let Some(theirs) = reference::find(&src[..header_size_of(src)], tag) else {
                return;
            };
            let hs = header_size_of(img).min(img.len());
            if let Some(ours) = reference::find(&img[..hs], tag) {
                let (o, n) = (ours.offset + 4, ours.value.len().min(theirs.value.len()));
                let value = theirs.value[..n].to_vec();
                img[o..o + n].copy_from_slice(&value);
            }
        }
        Edit::OtherPayload { from } => {
            let src = pick(*from);
            let (ours, theirs) = (header_size_of(img).min(img.len()), header_size_of(src));
            img.truncate(ours);
            img.extend_from_slice(&src[theirs.min(src.len())..]);
        }
        Edit::OtherHeader { from } => {
            let src = pick(*from);
            let (ours, theirs) = (header_size_of(img).min(img.len()), header_size_of(src));
            let payload = img[ours..].to_vec();
            *img = src[..theirs.min(src.len())].to_vec();
            img.extend_from_slice(&payload);
        }
    }
}

/// A flash with `RS`-byte read units that refuses unaligned reads.
struct AlignedFlash<const RS: usize>(Vec<u8>);

#[derive(Debug)]
struct Misaligned;
impl NorFlashError for Misaligned {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::NotAligned
    }
}
impl<const RS: usize> ErrorType for AlignedFlash<RS> {
    type Error = Misaligned;
}
impl<const RS: usize> ReadNorFlash for AlignedFlash<RS> {
    const READ_SIZE: usize = RS;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Misaligned> {
        let o = offset as usize;
        if !o.is_multiple_of(RS)
            || !bytes.len().is_multiple_of(RS)
            || o + bytes.len() > self.0.len()
        {
            return Err(Misaligned);
        }
        bytes.copy_from_slice(&self.0[o..o + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.0.len()
    }
}

/// The image at an odd offset of a flash read in `RS`-byte units.
fn via_flash<const RS: usize>(
    img: &[u8],
    hs: usize,
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedImage, VerifyError> {
    let base = 13usize;
    let mut bytes = vec![0xEE; base];
    bytes.extend_from_slice(img);
    bytes.resize(bytes.len() + 2 * RS + 64, 0xEE);
    let mut flash = AlignedFlash::<RS>(bytes);
    let mut src = FlashSource::new(&mut flash, base as u32, img.len() as u32).expect("fits");
    let mut hdr = vec![0u8; hs];
    verify_image(&mut src, &mut hdr, keystore(), opts)
}

/// The checks on an image that verified.
fn accepted(reg: &Registry, img: &[u8], v: &VerifiedImage, opts: &VerifyOptions<'_>) {
    let r = reference::recompute(img, v.header_size)
        .unwrap_or_else(|| panic!("verified, but no digest by wolfBoot's reading: {v:?}"));
    assert!(
        r.matches && r.digest == v.digest.as_bytes(),
        "digest: {v:?}"
    );
    assert!(opts.allowed_hashes.contains(&r.algorithm));
    assert_eq!(v.payload_size, r.payload_size);
    if let Some(p) = opts.partition_id {
        assert_eq!(v.image_type.partition_id(), p);
    }
    if let Some(max) = opts.max_image_size {
        assert!(v.header_size as u64 + u64::from(v.payload_size) <= u64::from(max));
    }
    match v.key_slot {
        None => {
            assert!(opts.allow_unsigned, "unsigned image accepted: {v:?}");
            assert_eq!(v.image_type.auth(), Some(AuthType::None));
        }
        Some(slot) => {
            let facts = reg
                .lookup(v.digest.as_bytes())
                .unwrap_or_else(|| panic!("verified an image nobody signed: {v:?}"));
            assert_eq!(facts.signer.slot(), Some(slot), "slot of the signer");
            assert!(facts.authorized(), "key not allowed for the partition");
            assert_eq!(
                (v.version, v.image_type.0, v.payload_size),
                (facts.version, facts.image_type, facts.payload_size),
                "verified fields differ from the signed ones"
            );
        }
    }
}

/// The result an untouched image must get.
fn expected(
    facts: &Facts,
    opts: &VerifyOptions<'_>,
    alg: HashAlgorithm,
) -> Option<Result<(), VerifyError>> {
    let total = facts.header_size as u64 + u64::from(facts.payload_size);
    if opts.max_image_size.is_some_and(|m| total > u64::from(m)) {
        return Some(Err(VerifyError::TooLarge));
    }
    if !opts.allowed_hashes.contains(&alg) {
        return Some(Err(VerifyError::UnsupportedHash(alg)));
    }
    if let Some(p) = opts.partition_id {
        if p != facts.partition() {
            return Some(Err(VerifyError::WrongPartition {
                expected: p,
                found: facts.partition(),
            }));
        }
    }
    Some(match facts.signer {
        Signer::Unsigned if opts.allow_unsigned => Ok(()),
        Signer::Unsigned => Err(VerifyError::UnsignedNotAllowed),
        Signer::Untrusted => Err(VerifyError::UnknownKey),
        _ if facts.authorized() => Ok(()),
        _ => Err(VerifyError::KeyNotPermitted),
    })
}

fn check(
    reg: &Registry,
    img: &[u8],
    opts: &VerifyOptions<'_>,
    hs: usize,
    untouched: Option<Facts>,
) {
    let ks = keystore();
    let auto = verify_image_bytes(img, ks, opts);
    if let Ok(v) = &auto {
        accepted(reg, img, v, opts);
    }
    let mut hdr = vec![0u8; hs];
    let mut src: &[u8] = img;
    let streamed = verify_image(&mut src, &mut hdr, ks, opts);
    if let Ok(v) = &streamed {
        assert_eq!(v.header_size, hs);
        accepted(reg, img, v, opts);
    }
    assert_eq!(
        via_flash::<4>(img, hs, opts),
        streamed,
        "4-byte flash reads"
    );
    assert_eq!(
        via_flash::<16>(img, hs, opts),
        streamed,
        "16-byte flash reads"
    );

    let mut src: &[u8] = img;
    if let Ok(v) = verify_integrity(&mut src, &mut hdr, opts) {
        assert!(opts.allow_unsigned && v.key_slot.is_none());
        let r = reference::recompute(img, hs).expect("digest by wolfBoot's reading");
        assert!(r.matches && r.digest == v.digest.as_bytes());
    }

    if let Some(facts) = untouched {
        let alg = reference::recompute(img, facts.header_size)
            .expect("signed image")
            .algorithm;
        if let Some(want) = expected(&facts, opts, alg) {
            assert_eq!(
                auto.map(|_| ()),
                want,
                "untouched image, sized automatically"
            );
            if hs == facts.header_size {
                assert_eq!(streamed.map(|_| ()), want, "untouched image, streamed");
            }
        }
    }
}

fn sane_custom(spec: &Spec) -> bool {
    spec.custom
        .iter()
        .all(|(t, _)| *t >= 0x30 && t & 0xFF != 0xFF && t & 0xFF00 != 0xFF00)
}

fuzz_target!(
    init: {
        seeds::write_from_env("verify_image");
        let _ = (catalogue(), keystore());
    },
    |data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let reg = Registry::new();
        let all = HashAlgorithm::ALL;
        if mode == 0 {
            let opts = VerifyOptions {
                allow_unsigned: true,
                ..VerifyOptions::new()
            };
            check(&reg, rest, &opts, header_size_of(rest), None);
            return;
        }
        let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(rest)) else {
            return;
        };
        if wolfboot_fuzz::debug() {
            eprintln!("{input:#?}");
        }
        let mut reg = reg;
        let (mut img, facts, sane) = match &input.start {
            Start::Catalogue(i) => {
                let e = &catalogue()[usize::from(*i) % catalogue().len()];
                (e.bytes.clone(), e.facts, true)
            }
            Start::Fresh(spec) => {
                let Some((bytes, facts)) = reg.sign(spec) else {
                    return;
                };
                (bytes, facts, sane_custom(spec))
            }
        };
        for e in input.edits.iter().take(8) {
            apply(&mut img, e);
        }
        let hashes: Vec<HashAlgorithm> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| input.opts.hashes & 7 == 0 || input.opts.hashes & (1 << i) != 0)
            .map(|(_, a)| *a)
            .collect();
        let opts = VerifyOptions {
            partition_id: input.opts.partition.map(|p| p % 16),
            max_image_size: input.opts.max_size.map(u32::from),
            allowed_hashes: &hashes,
            allow_unsigned: input.opts.allow_unsigned,
            ..VerifyOptions::new()
        };
        let hs = 256usize << (input.header_shift % 3);
        let untouched = (input.edits.is_empty() && sane).then_some(facts);
        check(&reg, &img, &opts, hs, untouched);
    }
);
