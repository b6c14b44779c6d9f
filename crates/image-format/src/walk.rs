//! The one TLV walk: wolfBoot's `wolfBoot_find_header` over any byte reader.
//!
//! A header is `IMAGE_HEADER_SIZE` bytes: magic, payload size, then
//! type-length-value fields from [`IMAGE_HEADER_OFFSET`]. The walk reads the
//! 4-byte tag-and-length of each field at its offset, so it runs as well over
//! a slice in memory ([`crate::Tlvs`], [`crate::ImageHeader::find_tlv`]) as
//! straight over flash (a bootloader reading an image it has not verified
//! yet, without a header-sized buffer). Its rules are wolfBoot's:
//!
//! * a padding byte (0xFF) or an odd offset is skipped one byte at a time;
//! * tag 0 ([`tlv::END`]) ends the list;
//! * a field longer than the header room (header size less the 8-byte
//!   preamble), or running past the header's end, stops the walk;
//! * the walk stops when fewer than 5 bytes of header are left.

use crate::wire::{tlv, IMAGE_HEADER_OFFSET, PADDING};

/// Random access to the bytes of a header, for [`TlvWalk`].
pub trait TlvRead {
    /// Why bytes could not be read (a flash fault, a read past the source).
    type Error;

    /// Fill `buf` with the bytes at `offset` from the start of the header.
    fn read_tlv_bytes(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), Self::Error>;
}

/// Header bytes in memory. Reading past the slice fails with [`OutOfSlice`].
impl TlvRead for &[u8] {
    type Error = OutOfSlice;

    fn read_tlv_bytes(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), OutOfSlice> {
        let end = offset.checked_add(buf.len()).ok_or(OutOfSlice)?;
        buf.copy_from_slice(self.get(offset..end).ok_or(OutOfSlice)?);
        Ok(())
    }
}

impl<R: TlvRead + ?Sized> TlvRead for &mut R {
    type Error = R::Error;

    fn read_tlv_bytes(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), R::Error> {
        (**self).read_tlv_bytes(offset, buf)
    }
}

/// A read past the end of a header slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfSlice;

/// Where a field is: its tag, the offset of its tag, the length of its value
/// (which starts 4 bytes after [`TlvField::offset`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvField {
    /// Type identifier (see [`tlv`]).
    pub tag: u16,
    /// Offset of the field's tag from the start of the header.
    pub offset: usize,
    /// Length of the value in bytes.
    pub len: usize,
}

impl TlvField {
    /// Offset of the value from the start of the header.
    pub const fn value_offset(&self) -> usize {
        self.offset + 4
    }

    /// Offset just past the value.
    pub const fn end(&self) -> usize {
        self.offset + 4 + self.len
    }
}

/// A walk over the fields of a header of a given size, one field per
/// [`TlvWalk::next_field`], reading through any [`TlvRead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvWalk {
    header_size: usize,
    pos: usize,
}

impl TlvWalk {
    /// A walk from the first field of a header of `header_size` bytes.
    pub const fn new(header_size: usize) -> Self {
        TlvWalk {
            header_size,
            pos: IMAGE_HEADER_OFFSET,
        }
    }

    /// The header size the walk is bounded by.
    pub const fn header_size(&self) -> usize {
        self.header_size
    }

    /// The next field, `Ok(None)` once the list ends (and from then on). A
    /// read error is returned as is; the walk does not advance past it.
    pub fn next_field<R: TlvRead + ?Sized>(
        &mut self,
        reader: &mut R,
    ) -> Result<Option<TlvField>, R::Error> {
        let max = self.header_size;
        let mut tl = [0u8; 4];
        loop {
            let after_tl = self.pos.saturating_add(4);
            if after_tl >= max {
                self.pos = max;
                return Ok(None);
            }
            reader.read_tlv_bytes(self.pos, &mut tl)?;
            let tag = u16::from_le_bytes([tl[0], tl[1]]);
            if tag == tlv::END {
                self.pos = max;
                return Ok(None);
            }
            if tl[0] == PADDING || self.pos % 2 == 1 {
                self.pos += 1;
                continue;
            }
            let len = usize::from(u16::from_le_bytes([tl[2], tl[3]]));
            let field = TlvField {
                tag,
                offset: self.pos,
                len,
            };
            // `after_tl < max` and `len <= 0xFFFF`: saturation only for
            // header sizes near `usize::MAX`, which then stop the walk.
            let end = after_tl.saturating_add(len);
            if 4 + len > max.saturating_sub(IMAGE_HEADER_OFFSET) || end > max {
                self.pos = max;
                return Ok(None);
            }
            self.pos = end;
            return Ok(Some(field));
        }
    }

    /// The first field with tag `tag` from here on, as wolfBoot finds it.
    pub fn find<R: TlvRead + ?Sized>(
        &mut self,
        reader: &mut R,
        tag: u16,
    ) -> Result<Option<TlvField>, R::Error> {
        while let Some(field) = self.next_field(reader)? {
            if field.tag == tag {
                return Ok(Some(field));
            }
        }
        Ok(None)
    }
}

/// The first field with tag `tag` in the header of `header_size` bytes that
/// `reader` reads.
pub fn find_tlv<R: TlvRead + ?Sized>(
    reader: &mut R,
    header_size: usize,
    tag: u16,
) -> Result<Option<TlvField>, R::Error> {
    TlvWalk::new(header_size).find(reader, tag)
}

/// Copy the first `out.len()` bytes of `field`'s value (all of it when
/// shorter) into `out`; returns how many were copied.
pub fn read_value<R: TlvRead + ?Sized>(
    reader: &mut R,
    field: &TlvField,
    out: &mut [u8],
) -> Result<usize, R::Error> {
    let n = field.len.min(out.len());
    if let Some(dst) = out.get_mut(..n) {
        reader.read_tlv_bytes(field.value_offset(), dst)?;
    }
    Ok(n)
}

/// The value of field `tag` as a little-endian number: its first 4 bytes,
/// zero-extended when shorter (version, image type and the delta fields are
/// 4- or 2-byte values). `Ok(None)` when the field is absent.
pub fn find_tlv_u32<R: TlvRead + ?Sized>(
    reader: &mut R,
    header_size: usize,
    tag: u16,
) -> Result<Option<u32>, R::Error> {
    let Some(field) = find_tlv(reader, header_size, tag)? else {
        return Ok(None);
    };
    let mut v = [0u8; 4];
    read_value(reader, &field, &mut v)?;
    Ok(Some(u32::from_le_bytes(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::IMAGE_MAGIC;

    /// A 256-byte header with the given bytes from offset 8.
    fn header(fields: &[u8]) -> [u8; 256] {
        let mut h = [0u8; 256];
        h[..4].copy_from_slice(&IMAGE_MAGIC.to_le_bytes());
        h[8..8 + fields.len()].copy_from_slice(fields);
        h
    }

    /// A reader that counts reads and fails at one offset.
    struct Flaky<'a> {
        bytes: &'a [u8],
        fail_at: Option<usize>,
        failed: Option<usize>,
        reads: usize,
    }

    impl TlvRead for Flaky<'_> {
        type Error = usize;
        fn read_tlv_bytes(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), usize> {
            self.reads += 1;
            if self.fail_at == Some(offset) {
                self.failed = Some(offset);
                return Err(offset);
            }
            let mut s = self.bytes;
            s.read_tlv_bytes(offset, buf).map_err(|OutOfSlice| offset)
        }
    }

    fn all(h: &[u8]) -> ([Option<TlvField>; 8], usize) {
        let mut out = [None; 8];
        let mut w = TlvWalk::new(h.len());
        let mut r = h;
        let mut n = 0;
        while let Some(f) = w.next_field(&mut r).unwrap() {
            out[n] = Some(f);
            n += 1;
        }
        (out, n)
    }

    #[test]
    fn walks_fields_in_order_and_stops_at_end_tag() {
        // version (4 bytes), image type (2 bytes), then END.
        let h = header(&[
            1, 0, 4, 0, 7, 0, 0, 0, 4, 0, 2, 0, 1, 2, 0, 0, 0x30, 0, 0, 0,
        ]);
        let (f, n) = all(&h);
        assert_eq!(n, 2);
        assert_eq!(
            f[0],
            Some(TlvField {
                tag: 1,
                offset: 8,
                len: 4
            })
        );
        assert_eq!(
            f[1],
            Some(TlvField {
                tag: 4,
                offset: 16,
                len: 2
            })
        );
        // The tag 0x30 after END is not reached.
        let mut r = &h[..];
        assert_eq!(find_tlv(&mut r, 256, 0x30), Ok(None));
        assert_eq!(find_tlv_u32(&mut r, 256, 1), Ok(Some(7)));
        assert_eq!(find_tlv_u32(&mut r, 256, 4), Ok(Some(0x0201)));
    }

    #[test]
    fn skips_padding_and_odd_offsets() {
        // A padding byte at 8 makes the next field start at the odd offset
        // 9, which is skipped too; the field at 10 is found.
        let h = header(&[0xFF, 1, 0x10, 2, 0, 0, 0, 0]);
        let (f, n) = all(&h);
        assert_eq!(n, 1);
        assert_eq!(
            f[0],
            Some(TlvField {
                tag: 0x0210,
                offset: 10,
                len: 0
            })
        );
        // Runs of padding, then a field at an even offset.
        let h = header(&[0xFF, 0xFF, 0xFF, 0xFF, 3, 0, 1, 0, 9]);
        let mut r = &h[..];
        let f = find_tlv(&mut r, 256, 3).unwrap().unwrap();
        assert_eq!(
            (f.offset, f.len, f.value_offset(), f.end()),
            (12, 1, 16, 17)
        );
        let mut v = [0u8; 4];
        assert_eq!(read_value(&mut r, &f, &mut v), Ok(1));
        assert_eq!(v, [9, 0, 0, 0]);
        assert_eq!(find_tlv_u32(&mut r, 256, 3), Ok(Some(9)));
    }

    #[test]
    fn oversized_field_stops_the_walk() {
        // Length 249: 4 + 249 > 256 - 8.
        let mut fields = [0u8; 12];
        fields[..4].copy_from_slice(&[0x10, 0, 249, 0]);
        let h = header(&fields);
        assert_eq!(all(&h).1, 0);
        // Length 244 at offset 8 fits exactly (ends at 256); a field of the
        // same length at offset 10 runs past the end and stops the walk.
        let h = header(&[0x10, 0, 244, 0]);
        let (f, n) = all(&h);
        assert_eq!((n, f[0].map(|f| f.end())), (1, Some(256)));
        let h = header(&[0xFF, 0xFF, 0x10, 0, 244, 0]);
        assert_eq!(all(&h).1, 0);
    }

    #[test]
    fn stops_five_bytes_before_the_end() {
        // Padding up to offset 248, a zero-length field at 248 (read: 248 +
        // 4 < 256) and one at 252 (252 + 4 >= 256: never read).
        let mut h = [0xFFu8; 256];
        h[..8].fill(0);
        h[248..252].copy_from_slice(&[0x11, 0, 0, 0]);
        h[252..256].copy_from_slice(&[0x12, 0, 0, 0]);
        let (f, n) = all(&h);
        assert_eq!(n, 1);
        assert_eq!(f[0].map(|f| (f.tag, f.offset)), Some((0x11, 248)));
        let mut r = &h[..];
        assert_eq!(find_tlv(&mut r, 256, 0x12), Ok(None));
        // In a 260-byte view of a larger buffer the field at 252 is read.
        let mut big = [0xFFu8; 260];
        big[..256].copy_from_slice(&h);
        let mut r = &big[..];
        assert_eq!(
            find_tlv(&mut r, 260, 0x12).map(|f| f.map(|f| f.offset)),
            Ok(Some(252))
        );
    }

    #[test]
    fn read_errors_are_returned_and_the_walk_can_resume() {
        let h = header(&[1, 0, 4, 0, 7, 0, 0, 0, 4, 0, 2, 0, 1, 2]);
        let mut r = Flaky {
            bytes: &h,
            fail_at: Some(16),
            failed: None,
            reads: 0,
        };
        let mut w = TlvWalk::new(256);
        assert_eq!(w.next_field(&mut r).map(|f| f.map(|f| f.tag)), Ok(Some(1)));
        assert_eq!(w.next_field(&mut r), Err(16));
        assert_eq!(r.failed, Some(16));
        r.fail_at = None;
        assert_eq!(w.next_field(&mut r).map(|f| f.map(|f| f.tag)), Ok(Some(4)));
        assert_eq!(w.next_field(&mut r), Ok(None));
        // Ended walks stay ended without reading.
        let reads = r.reads;
        assert_eq!(w.next_field(&mut r), Ok(None));
        assert_eq!(r.reads, reads);
        // A value read failing is reported by find_tlv_u32.
        r.fail_at = Some(12);
        assert_eq!(find_tlv_u32(&mut r, 256, 1), Err(12));
        assert_eq!(r.failed, Some(12));
    }

    #[test]
    fn a_short_reader_fails_instead_of_panicking() {
        // The header claims 512 bytes but only 256 are readable: the walk
        // over padding reaches the end of the slice and reports the error.
        let h = [0xFFu8; 256];
        let mut r = &h[..];
        assert_eq!(find_tlv(&mut r, 512, 1), Err(OutOfSlice));
        // Header sizes too small for any field, and huge ones, do not overflow.
        assert_eq!(find_tlv(&mut r, 0, 1), Ok(None));
        assert_eq!(find_tlv(&mut r, 12, 1), Ok(None));
        let mut w = TlvWalk::new(usize::MAX);
        let h = header(&[]);
        let mut r = &h[..];
        assert_eq!(w.next_field(&mut r), Ok(None));
    }

    #[test]
    fn slice_iterator_and_streaming_walk_agree() {
        // Pseudo-random headers: every field the slice iterator yields is
        // the field the streaming walk yields.
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut h = [0u8; 256];
            for b in h.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                // Mostly small lengths and padding.
                *b = match seed % 5 {
                    0 => 0xFF,
                    1 => (seed >> 8) as u8 & 0x0F,
                    _ => (seed >> 16) as u8 & 0x03,
                };
            }
            h[..4].copy_from_slice(&IMAGE_MAGIC.to_le_bytes());
            let parsed = crate::ImageHeader::parse(&h, 256).unwrap();
            let mut w = TlvWalk::new(256);
            let mut r = Flaky {
                bytes: &h,
                fail_at: None,
                failed: None,
                reads: 0,
            };
            for t in parsed.tlvs() {
                let f = w.next_field(&mut r).unwrap().unwrap();
                assert_eq!((f.tag, f.offset, f.len), (t.tag, t.offset, t.value.len()));
            }
            assert_eq!(w.next_field(&mut r), Ok(None));
        }
    }
}
