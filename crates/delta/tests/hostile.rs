//! Malformed patches and misuse: typed errors, never panics.

use core::convert::Infallible;

use wolfboot_delta::{apply, PatchError, PatchIo, Patcher, SliceIo, SliceIoError, ESC};

fn run(base: &[u8], patch: &[u8], buf: usize) -> Result<Vec<u8>, PatchError<SliceIoError>> {
    let mut io = SliceIo { base, patch };
    let mut p = Patcher::new(base.len() as u32, patch.len() as u32).map_err(PatchError::into_io)?;
    let mut out = Vec::new();
    loop {
        let mut b = vec![0u8; buf];
        let n = p.fill(&mut io, &mut b)?;
        if n == 0 {
            assert!(p.is_finished());
            return Ok(out);
        }
        out.extend_from_slice(&b[..n]);
    }
}

#[test]
fn zero_sizes_are_refused() {
    assert_eq!(
        Patcher::new(0, 10).err(),
        Some(PatchError::<Infallible>::ZeroSize)
    );
    assert_eq!(
        Patcher::new(10, 0).err(),
        Some(PatchError::<Infallible>::ZeroSize)
    );
    assert!(matches!(
        apply(&[1, 2], &[], 4096),
        Err(PatchError::ZeroSize)
    ));
}

#[test]
fn empty_output_buffer_is_refused() {
    let mut io = SliceIo {
        base: &[1],
        patch: &[1],
    };
    let mut p = Patcher::new(1, 1).unwrap();
    assert_eq!(p.fill(&mut io, &mut []), Err(PatchError::EmptyOutput));
    assert_eq!(p.fill(&mut io, &mut [0; 1]), Ok(1));
    assert!(p.is_finished());
    assert_eq!(p.fill(&mut io, &mut [0; 8]), Ok(0));
}

#[test]
fn escape_at_the_end() {
    assert_eq!(
        run(&[0; 16], &[ESC], 64),
        Err(PatchError::TruncatedEscape { at: 0 })
    );
    assert_eq!(
        run(&[0; 16], &[1, 2, ESC], 64),
        Err(PatchError::TruncatedEscape { at: 2 })
    );
    // The bytes before the bad escape come out of earlier calls.
    let mut io = SliceIo {
        base: &[0; 16],
        patch: &[1, 2, ESC],
    };
    let mut p = Patcher::new(16, 3).unwrap();
    let mut buf = [0u8; 2];
    assert_eq!(p.fill(&mut io, &mut buf), Ok(2));
    assert_eq!(buf, [1, 2]);
    assert_eq!(
        p.fill(&mut io, &mut buf),
        Err(PatchError::TruncatedEscape { at: 2 })
    );
}

#[test]
fn truncated_header() {
    for cut in 2..6 {
        let patch = [9, ESC, 0, 0, 0, 0, 4][..cut + 1].to_vec();
        assert_eq!(
            run(&[0; 16], &patch, 64),
            Err(PatchError::TruncatedHeader { at: 1 }),
            "cut {cut}"
        );
    }
    assert_eq!(
        run(&[5; 16], &[9, ESC, 0, 0, 0, 0, 4], 64),
        Ok(vec![9, 5, 5, 5, 5])
    );
}

#[test]
fn references_outside_the_base() {
    let base = [7u8; 100];
    let oob = |off: u32, len: u16| PatchError::OutOfBounds { offset: off, len };
    // Offset beyond the base.
    assert_eq!(run(&base, &[ESC, 0, 0, 101, 0, 0], 16), Err(oob(101, 0)));
    assert_eq!(
        run(&base, &[ESC, 0xff, 0xff, 0xff, 0xff, 0xff], 16),
        Err(oob(0xff_ffff, 0xffff))
    );
    // Block running past the end.
    assert_eq!(run(&base, &[ESC, 0, 0, 90, 0, 11], 16), Err(oob(90, 11)));
    assert_eq!(run(&base, &[ESC, 0, 0, 0, 0, 101], 16), Err(oob(0, 101)));
    // Exactly up to the end, and an empty block at the end: accepted, as
    // wolfBoot accepts them.
    assert_eq!(run(&base, &[ESC, 0, 0, 90, 0, 10], 16), Ok(vec![7; 10]));
    assert_eq!(run(&base, &[ESC, 0, 0, 100, 0, 0, 1], 16), Ok(vec![1]));
}

#[test]
fn io_errors_are_passed_on() {
    struct Broken;
    impl PatchIo for Broken {
        type Error = &'static str;
        fn read_base(&mut self, _: u32, _: &mut [u8]) -> Result<(), &'static str> {
            Err("base")
        }
        fn read_patch(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), &'static str> {
            SliceIo {
                base: &[],
                patch: &[1, ESC, 0, 0, 0, 0, 1],
            }
            .read_patch(offset, buf)
            .map_err(|_| "patch")
        }
    }
    let mut p = Patcher::new(10, 7).unwrap();
    let mut out = [0u8; 8];
    assert_eq!(p.fill(&mut Broken, &mut out), Err(PatchError::Io("base")));
    // A base larger than the real source: the read fails, typed.
    let mut io = SliceIo {
        base: &[1, 2, 3],
        patch: &[ESC, 0, 0, 2, 0, 4],
    };
    let mut p = Patcher::new(1000, 6).unwrap();
    assert_eq!(
        p.fill(&mut io, &mut out),
        Err(PatchError::Io(SliceIoError::BaseOutOfRange))
    );
}

#[test]
fn errors_display() {
    let e: PatchError<SliceIoError> = PatchError::OutOfBounds { offset: 5, len: 9 };
    assert!(e.to_string().contains("source offset 5"));
    assert!(PatchError::Io(SliceIoError::PatchOutOfRange)
        .to_string()
        .contains("patch"));
    assert!(wolfboot_delta::DiffError::SectorSize(3)
        .to_string()
        .contains('3'));
}
