//! Delta patches: the bootloader's patcher on arbitrary patches, and diff
//! round trips on fuzzer-made image pairs.
//!
//! Asserts, beyond "never panics":
//! * the patcher's output and its verdict (done, or which error) are those
//!   of a plain whole-buffer reading of wolfBoot's patch format (below),
//!   whatever the sizes of the output buffers it is given;
//! * for images derived from the input, `diff` then in-place `apply`
//!   rebuilds the new image exactly, in both directions, at the sector size
//!   the fuzzer picks.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use wolfboot_delta::{Patcher, SliceIo, ESC};

/// What a patch produces from `src` (not in place): `Ok(output)` or
/// `Err(output so far)` when the patch is malformed or refers outside `src`.
fn reference(src: &[u8], patch: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < patch.len() {
        if patch[p] != ESC {
            out.push(patch[p]);
            p += 1;
            continue;
        }
        if patch.len() - p < 2 {
            return Err(out);
        }
        if patch[p + 1] == ESC {
            out.push(ESC);
            p += 2;
            continue;
        }
        if patch.len() - p < 6 {
            return Err(out);
        }
        let off = usize::from(patch[p + 1]) << 16
            | usize::from(patch[p + 2]) << 8
            | usize::from(patch[p + 3]);
        let len = usize::from(patch[p + 4]) << 8 | usize::from(patch[p + 5]);
        if off > src.len() || len > src.len() - off {
            return Err(out);
        }
        out.extend_from_slice(&src[off..off + len]);
        p += 6;
    }
    Ok(out)
}

/// Run the patcher over `src` with output buffers cycling through `sizes`.
fn run(src: &[u8], patch: &[u8], sizes: &[usize]) -> Result<Vec<u8>, Vec<u8>> {
    let Ok(mut patcher) = Patcher::new(src.len() as u32, patch.len() as u32) else {
        return Err(Vec::new());
    };
    let mut io = SliceIo { base: src, patch };
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let n = sizes[i % sizes.len()].max(1);
        i += 1;
        let mut buf = vec![0u8; n];
        match patcher.fill(&mut io, &mut buf) {
            Ok(0) => return Ok(out),
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(_) => return Err(out),
        }
        if out.len() > 1 << 22 {
            return Ok(out);
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    src: &'a [u8],
    patch: &'a [u8],
    sizes: Vec<u8>,
    /// Edits that derive the new image from `src` for the round trip.
    edits: Vec<(u16, u8, u8)>,
    sector_log2: u8,
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let src = &input.src[..input.src.len().min(16 * 1024)];

    // 1. Any patch: same bytes and verdict as the reference reading.
    if !src.is_empty() && !input.patch.is_empty() {
        let expected = reference(src, input.patch);
        let sizes: Vec<usize> = if input.sizes.is_empty() {
            vec![4096]
        } else {
            input.sizes.iter().map(|s| usize::from(*s) + 1).collect()
        };
        let got = run(src, input.patch, &sizes);
        // Copies may blow the output up; compare what both produced.
        match (&expected, &got) {
            (Ok(e), Ok(g)) if e.len() <= 1 << 22 => assert_eq!(e, g),
            (Err(e), Err(g)) => assert_eq!(e[..g.len().min(e.len())], g[..g.len().min(e.len())]),
            (Ok(e), Ok(g)) => assert_eq!(e[..g.len()], g[..]),
            _ => panic!(
                "patcher verdict differs: reference {} / patcher {}",
                expected.is_ok(),
                got.is_ok()
            ),
        }
    }

    // 2. Round trip: diff, then in-place apply, both ways.
    if src.is_empty() {
        return;
    }
    let mut new = src.to_vec();
    for &(at, op, val) in input.edits.iter().take(64) {
        let at = usize::from(at) % (new.len() + 1);
        match op % 4 {
            0 if at < new.len() => new[at] = val,
            1 => new.insert(at, val),
            2 if at < new.len() => {
                new.remove(at);
            }
            _ => new
                .splice(at..at, std::iter::repeat(ESC).take(usize::from(val % 16)))
                .for_each(drop),
        }
    }
    if new.is_empty() {
        return;
    }
    let sector = 1u32 << (6 + input.sector_log2 % 7); // 64 .. 4096
    for (a, b) in [(src, &new[..]), (&new[..], src)] {
        let patch = wolfboot_delta::diff(a, b, sector).expect("diff of two small images");
        let rebuilt = wolfboot_delta::apply(a, &patch, sector).expect("our own patch applies");
        assert_eq!(rebuilt, b, "sector {sector}");
    }
});
