//! Generated images: the diff agrees with a slow model of `wb_diff`, and
//! every diff applied in place gives back the new image, both ways.

mod common;

use common::{model_diff, model_patch, ModelResult, Rng};
use wolfboot_delta::{apply, diff, DiffError, Patcher, SliceIo, ESC, MAX_IMAGE_SIZE};

const ALPHABETS: [Option<&[u8]>; 4] = [
    None,
    Some(&[0, 1, ESC, 0xff]),
    Some(&[ESC]),
    Some(&[ESC, 0x7e, 0x80]),
];

/// A new version of `base`: edits, insertions, deletions, ESC runs, copies.
fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 => {
                for _ in 0..=rng.below(4) {
                    if !v.is_empty() {
                        let i = rng.below(v.len());
                        v[i] ^= 1 + rng.below(255) as u8;
                    }
                }
            }
            1 => {
                let n = 1 + rng.below(300);
                let ins = rng.bytes(n, None);
                v.splice(at..at, ins);
            }
            2 => {
                let end = (at + 1 + rng.below(300)).min(v.len());
                v.drain(at..end);
            }
            3 => {
                let run = vec![ESC; 1 + rng.below(2000)];
                v.splice(at..at, run);
            }
            4 => {
                if !v.is_empty() {
                    let from = rng.below(v.len());
                    let end = (from + 1 + rng.below(5000)).min(v.len());
                    let block = v[from..end].to_vec();
                    v.splice(at..at, block);
                }
            }
            5 => {
                if rng.below(2) == 0 {
                    v.truncate(at);
                } else {
                    let n = rng.below(3000);
                    let tail = rng.bytes(n, None);
                    v.extend_from_slice(&tail);
                }
            }
            _ => {
                let n = 1 + rng.below(100);
                let fill = rng.bytes(n, Some(&[0, 0xff]));
                v.splice(at..at, fill);
            }
        }
    }
    if v.is_empty() {
        v.push(ESC);
    }
    v
}

fn image(rng: &mut Rng, max: usize) -> Vec<u8> {
    let alphabet = ALPHABETS[rng.below(ALPHABETS.len())];
    let n = 1 + rng.below(max);
    let mut v = rng.bytes(n, alphabet);
    // Some repeated structure, like code with recurring instruction patterns.
    if n > 64 && rng.below(2) == 0 {
        let un = 8 + rng.below(56);
        let unit = rng.bytes(un, None);
        for (i, b) in v.iter_mut().enumerate() {
            if (i / 256) % 3 == 0 {
                *b = unit[i % unit.len()];
            }
        }
    }
    v
}

#[test]
fn diff_matches_slow_model() {
    let mut rng = Rng(0x5eed_0001);
    for case in 0..1000 {
        let a = image(&mut rng, 3000);
        let b = if rng.below(4) == 0 {
            image(&mut rng, 3000)
        } else {
            mutate(&mut rng, &a)
        };
        let ss = [8, 9, 13, 16, 64, 100, 256, 1024][rng.below(8)];
        let ours = diff(&a, &b, ss as u32).unwrap();
        let model = model_diff(&a, &b, ss);
        assert!(
            ours == model,
            "case {case}: sector {ss}, {} -> {} bytes",
            a.len(),
            b.len()
        );
        assert!(apply(&a, &ours, ss as u32).unwrap() == b, "case {case}");
    }
}

#[test]
fn roundtrip_generated_images() {
    let mut rng = Rng(0x5eed_0002);
    for case in 0..150 {
        let a = image(&mut rng, 40_000);
        let b = mutate(&mut rng, &a);
        for ss in [256u32, 1024, 4096] {
            let forward = diff(&a, &b, ss).unwrap();
            let back = diff(&b, &a, ss).unwrap();
            assert!(
                apply(&a, &forward, ss).unwrap() == b,
                "case {case} forward, sector {ss}"
            );
            assert!(
                apply(&b, &back, ss).unwrap() == a,
                "case {case} inverse, sector {ss}"
            );
        }
    }
}

#[test]
fn roundtrip_edge_sizes() {
    let mut rng = Rng(0x5eed_0003);
    let sizes = [
        1, 2, 5, 6, 7, 8, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097, 8191, 12289,
    ];
    for &na in &sizes {
        for &nb in &sizes {
            let a = rng.bytes(na, Some(&[ESC, 0, 1]));
            let mut b = a.clone();
            b.resize(nb, ESC);
            if nb > 3 {
                b[nb / 2] ^= 0x55;
            }
            for ss in [8u32, 256, 1024, 4096] {
                let p = diff(&a, &b, ss).unwrap();
                assert!(apply(&a, &p, ss).unwrap() == b, "{na} -> {nb}, sector {ss}");
            }
        }
    }
}

#[test]
fn long_runs_and_identical_images() {
    for ss in [256u32, 1024, 4096] {
        // 200 KB of ESC: backward blocks up to the 65535-byte limit.
        let a = vec![ESC; 200_000];
        let mut b = a.clone();
        b[150_000] = 0;
        for (x, y) in [(&a, &b), (&b, &a), (&a, &a)] {
            let p = diff(x, y, ss).unwrap();
            assert!(p == model_diff(x, y, ss as usize));
            assert!(apply(x, &p, ss).unwrap() == *y, "sector {ss}");
        }
        let p = diff(&a, &a, ss).unwrap();
        assert!(
            p.len() < 200_000 / 100,
            "{} bytes for an identical image",
            p.len()
        );
    }
}

#[test]
fn random_patches_match_the_patch_model() {
    // Hostile or not, the patcher decodes exactly like wb_patch (against a
    // fixed source), whatever the buffer sizes, and never panics.
    let mut rng = Rng(0x5eed_0004);
    for case in 0..3000 {
        let ns = 1 + rng.below(600);
        let src = rng.bytes(ns, None);
        let n = 1 + rng.below(200);
        let mut patch = rng.bytes(n, Some(&[ESC, ESC, 0, 1, 2, 0xff]));
        if rng.below(3) == 0 {
            // A well-formed header somewhere, maybe out of range.
            let at = rng.below(n);
            let off = rng.below(src.len() + 20);
            let len = rng.below(src.len() + 20);
            let hdr = [
                ESC,
                (off >> 16) as u8,
                (off >> 8) as u8,
                off as u8,
                (len >> 8) as u8,
                len as u8,
            ];
            patch.splice(at..at, hdr);
        }
        let expected = model_patch(&src, &patch);
        let mut io = SliceIo {
            base: &src,
            patch: &patch,
        };
        let mut patcher = Patcher::new(src.len() as u32, patch.len() as u32).unwrap();
        let mut out = Vec::new();
        let result = loop {
            let mut buf = vec![0u8; 1 + rng.below(40)];
            match patcher.fill(&mut io, &mut buf) {
                Ok(0) => break ModelResult::Ok(out),
                Ok(k) => out.extend_from_slice(&buf[..k]),
                Err(wolfboot_delta::PatchError::TruncatedEscape { .. }) => {
                    break ModelResult::TruncatedEscape
                }
                Err(wolfboot_delta::PatchError::TruncatedHeader { .. }) => {
                    break ModelResult::TruncatedHeader
                }
                Err(wolfboot_delta::PatchError::OutOfBounds { .. }) => {
                    break ModelResult::OutOfBounds
                }
                Err(e) => panic!("case {case}: unexpected {e:?}"),
            }
        };
        assert_eq!(result, expected, "case {case}");
    }
}

#[test]
fn offsets_with_esc_top_byte_are_skipped() {
    // A block at 0x7f0100 would be written `ESC 7f 01 00 ..`, which reads as
    // an escaped literal; wolfBoot skips such offsets, and so do we.
    let pattern = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let mut a = vec![0u8; 0x80_0000 + 64];
    a[0x7f_0100..0x7f_0100 + 10].copy_from_slice(&pattern);
    a[0x80_0010..0x80_0010 + 10].copy_from_slice(&pattern);
    let mut b = pattern.to_vec();
    b.extend_from_slice(&[0xaa; 8]);
    let p = diff(&a, &b, 4096).unwrap();
    assert_eq!(
        &p[..6],
        &[ESC, 0x80, 0x00, 0x10, 0x00, 0x0a],
        "{:02x?}",
        &p[..6]
    );
    assert!(apply(&a, &p, 4096).unwrap() == b);
}

#[test]
fn diff_refuses_bad_input() {
    assert_eq!(diff(&[], &[1], 4096), Err(DiffError::EmptyImage));
    assert_eq!(diff(&[1], &[], 4096), Err(DiffError::EmptyImage));
    assert_eq!(diff(&[1], &[1], 0), Err(DiffError::SectorSize(0)));
    assert_eq!(diff(&[1], &[1], 7), Err(DiffError::SectorSize(7)));
    assert_eq!(diff(&[1], &[1], 65536), Err(DiffError::SectorSize(65536)));
    assert!(diff(&[1], &[1], 65535).is_ok());
    let big = vec![0u8; MAX_IMAGE_SIZE + 1];
    assert_eq!(diff(&big, &[1], 4096), Err(DiffError::ImageTooLarge));
    assert_eq!(diff(&[1], &big, 4096), Err(DiffError::ImageTooLarge));
}

/// 100 KB of pseudo-random bytes shaped like a signed image: a 256-byte
/// header, then the payload.
fn firmware(rng: &mut Rng) -> Vec<u8> {
    rng.bytes(100 * 1024, None)
}

#[test]
fn patch_sizes_for_typical_updates() {
    let mut rng = Rng(0x5eed_0005);
    let a = firmware(&mut rng);

    let mut one_byte = a.clone();
    one_byte[60_000] ^= 0x01;
    let mut bump = a.clone();
    bump[12..16].copy_from_slice(&[9, 9, 9, 9]); // version TLV value
    for b in &mut bump[160..224] {
        *b ^= 0xa5; // signature
    }

    for ss in [4096u32, 1024] {
        for (what, b) in [("one-byte change", &one_byte), ("version bump", &bump)] {
            let forward = diff(&a, b, ss).unwrap();
            let inverse = diff(b, &a, ss).unwrap();
            assert!(apply(&a, &forward, ss).unwrap() == *b);
            assert!(apply(b, &inverse, ss).unwrap() == a);
            eprintln!(
                "{what}, 100 KiB image, sector {ss}: forward {} B, inverse {} B",
                forward.len(),
                inverse.len()
            );
            // One header per sector (two around the change) plus a few literals.
            let sectors = a.len().div_ceil(ss as usize);
            assert!(
                forward.len() < sectors * 6 * 2 + 128,
                "{what}: {}",
                forward.len()
            );
        }
    }
}
