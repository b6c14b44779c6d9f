//! The delta image made by wolfBoot's `sign --delta` (WOLFBOOT_SECTOR_SIZE
//! 4096): our diff must write the same patches, and the patcher must turn
//! one image into the other with them.

use wolfboot_delta::{apply, diff, PatchError, PatchIo, Patcher, SliceIo, SliceIoError};
use wolfboot_image_format::ImageHeader;

const SECTOR: u32 = 4096;

struct Vectors {
    base: Vec<u8>,
    new: Vec<u8>,
    forward: Vec<u8>,
    inverse: Vec<u8>,
}

fn vectors() -> Option<Vectors> {
    wolfboot_test_vectors::dir()?;
    let base = wolfboot_test_vectors::read("delta_base_v492_signed.bin");
    let new = wolfboot_test_vectors::read("payload_delta_new_v503_signed.bin");
    let image = wolfboot_test_vectors::read("payload_delta_new_v503_signed_diff.bin");
    // `sign` grew this header to 512 bytes to fit the delta fields; the
    // patch offsets count from the start of the file.
    let header = ImageHeader::parse_auto(&image).expect("delta header");
    let header_size = header.header_size();
    assert_eq!(header_size + header.payload_size() as usize, image.len());
    let delta = header
        .delta()
        .expect("delta fields")
        .expect("a delta image");
    let fwd_start = header_size;
    let fwd_end = fwd_start + delta.patch_len as usize;
    let inv_start = delta.inverse_offset as usize;
    let inv_end = inv_start + delta.inverse_len as usize;
    // The forward patch is zero-padded to a multiple of 16 before the inverse.
    assert_eq!(
        inv_start,
        header_size + (delta.patch_len as usize).div_ceil(16) * 16
    );
    assert_eq!(inv_end, image.len());
    assert!(image[fwd_end..inv_start].iter().all(|&b| b == 0));
    Some(Vectors {
        forward: image[fwd_start..fwd_end].to_vec(),
        inverse: image[inv_start..inv_end].to_vec(),
        base,
        new,
    })
}

#[test]
fn diff_matches_wolfboot_forward_patch() {
    let Some(v) = vectors() else { return };
    let ours = diff(&v.base, &v.new, SECTOR).unwrap();
    assert_eq!(ours.len(), v.forward.len());
    assert!(ours == v.forward, "forward patch differs from wolfBoot's");
}

#[test]
fn diff_matches_wolfboot_inverse_patch() {
    let Some(v) = vectors() else { return };
    let ours = diff(&v.new, &v.base, SECTOR).unwrap();
    assert_eq!(ours.len(), v.inverse.len());
    assert!(ours == v.inverse, "inverse patch differs from wolfBoot's");
}

#[test]
fn apply_wolfboot_patches() {
    let Some(v) = vectors() else { return };
    assert!(apply(&v.base, &v.forward, SECTOR).unwrap() == v.new);
    assert!(apply(&v.new, &v.inverse, SECTOR).unwrap() == v.base);
}

/// A flash partition patched in place: the patcher reads it as its source
/// while the output replaces it sector by sector.
struct InPlace<'a> {
    flash: Vec<u8>,
    patch: &'a [u8],
    base_reads: usize,
    patch_reads: usize,
}

impl PatchIo for InPlace<'_> {
    type Error = SliceIoError;
    fn read_base(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SliceIoError> {
        self.base_reads += 1;
        SliceIo {
            base: &self.flash,
            patch: &[],
        }
        .read_base(offset, buf)
    }
    fn read_patch(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SliceIoError> {
        self.patch_reads += 1;
        SliceIo {
            base: &[],
            patch: self.patch,
        }
        .read_patch(offset, buf)
    }
}

/// wolfBoot's loop: the source size is the old image's size, the output is
/// asked for in `chunk`-byte pieces and each finished sector is written
/// back over the partition.
fn patch_in_place(base: &[u8], patch: &[u8], chunk: usize) -> (Vec<u8>, usize, usize) {
    let mut io = InPlace {
        flash: base.to_vec(),
        patch,
        base_reads: 0,
        patch_reads: 0,
    };
    let mut patcher = Patcher::new(base.len() as u32, patch.len() as u32).unwrap();
    let sector = SECTOR as usize;
    let mut written = 0;
    loop {
        let mut buf = vec![0u8; sector];
        let mut len = 0;
        while len < sector {
            let end = (len + chunk).min(sector);
            let n = patcher.fill(&mut io, &mut buf[len..end]).unwrap();
            if n == 0 {
                break;
            }
            len += n;
        }
        if io.flash.len() < written + len {
            io.flash.resize(written + len, 0xFF);
        }
        io.flash[written..written + len].copy_from_slice(&buf[..len]);
        written += len;
        if len < sector {
            break;
        }
    }
    assert!(patcher.is_finished());
    assert_eq!(patcher.patch_offset() as usize, patch.len());
    io.flash.truncate(written);
    (io.flash, io.base_reads, io.patch_reads)
}

#[test]
fn in_place_like_the_bootloader() {
    let Some(v) = vectors() else { return };
    for chunk in [256, 1024, 4096] {
        let (new, base_reads, patch_reads) = patch_in_place(&v.base, &v.forward, chunk);
        assert!(new == v.new, "forward, chunk {chunk}");
        assert!(base_reads < v.forward.len() / 6 + 70_000 / chunk + 2);
        assert!(
            patch_reads <= v.forward.len() / 32 + 4,
            "{patch_reads} patch reads"
        );
        let (old, _, _) = patch_in_place(&v.new, &v.inverse, chunk);
        assert!(old == v.base, "inverse, chunk {chunk}");
    }
}

/// The whole output of a patch produced with buffers of `sizes` (cycled).
fn patch_with_sizes(base: &[u8], patch: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut io = SliceIo { base, patch };
    let mut patcher = Patcher::new(base.len() as u32, patch.len() as u32).unwrap();
    let mut out = Vec::new();
    for &size in sizes.iter().cycle() {
        let mut buf = vec![0u8; size];
        let n = patcher.fill(&mut io, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(n == size || patcher.is_finished());
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(patcher.fill(&mut io, &mut [0u8; 16]), Ok(0));
    out
}

#[test]
fn output_independent_of_buffer_sizes() {
    let Some(v) = vectors() else { return };
    for patch in [&v.forward, &v.inverse] {
        let reference = patch_with_sizes(&v.base, patch, &[4096]);
        for sizes in [
            &[1][..],
            &[2],
            &[5],
            &[6],
            &[7],
            &[255],
            &[256],
            &[1000, 3, 17],
            &[65536],
        ] {
            assert!(
                patch_with_sizes(&v.base, patch, sizes) == reference,
                "sizes {sizes:?}"
            );
        }
    }
}

#[test]
fn vector_patch_sizes() {
    let Some(v) = vectors() else { return };
    eprintln!(
        "vector: base {} B, new {} B, forward patch {} B, inverse patch {} B",
        v.base.len(),
        v.new.len(),
        v.forward.len(),
        v.inverse.len()
    );
    assert!(matches!(
        apply(&v.base, &v.forward[..v.forward.len() - 1], SECTOR),
        Ok(_) | Err(PatchError::TruncatedHeader { .. } | PatchError::TruncatedEscape { .. })
    ));
}
