//! Shared by the integration tests: a small PRNG and straightforward
//! (slow) models of wolfBoot's diff and patch loops to compare against.
#![allow(dead_code)]

use wolfboot_delta::{BLOCK_HDR_SIZE as HDR, ESC};

/// xorshift64*: deterministic test data without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn bytes(&mut self, n: usize, alphabet: Option<&[u8]>) -> Vec<u8> {
        (0..n)
            .map(|_| match alphabet {
                Some(a) => a[self.below(a.len())],
                None => self.next() as u8,
            })
            .collect()
    }
}

/// A slow model of one `wb_diff` call: linear scans, one byte at a time.
fn model_chunk(a: &[u8], b: &[u8], ss: usize, off_b: &mut usize, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    if *off_b >= b.len() {
        return out;
    }
    let header = |out: &mut Vec<u8>, src: usize, n: usize| {
        out.extend_from_slice(&[ESC, (src >> 16) as u8, (src >> 8) as u8, src as u8]);
        out.extend_from_slice(&[(n >> 8) as u8, n as u8]);
    };
    let skip = |pos: usize| (pos >> 16) & 0xff == ESC as usize;
    'outer: while *off_b + HDR < b.len() && len > out.len() + HDR {
        let sector_start = *off_b / ss * ss;
        let want = &b[*off_b..*off_b + HDR];
        let mut found = false;
        // Old image, from the start of the current sector.
        if ss - *off_b % ss >= HDR {
            let mut pa = sector_start;
            while pa + HDR <= a.len() {
                if &a[pa..pa + HDR] == want && !skip(pa) {
                    let (src, first) = (pa, *off_b);
                    let mut n = HDR;
                    pa += HDR;
                    *off_b += HDR;
                    while pa < a.len() && *off_b < b.len() && a[pa] == b[*off_b] {
                        if pa + 1 >= a.len() || (*off_b + 1) / ss > first / ss {
                            break;
                        }
                        pa += 1;
                        *off_b += 1;
                        n += 1;
                    }
                    header(&mut out, src, n);
                    found = true;
                    break;
                }
                pa += 1;
            }
        }
        // New image, at least one sector back.
        if !found {
            let mut pb = 0;
            while pb < sector_start && sector_start - pb >= ss {
                if &b[pb..pb + HDR] == want && !skip(pb) {
                    let src = pb;
                    let mut n = HDR;
                    pb += HDR;
                    *off_b += HDR;
                    while pb < sector_start && n < 0xffff && *off_b < b.len() && b[pb] == b[*off_b]
                    {
                        pb += 1;
                        if pb >= sector_start {
                            break;
                        }
                        n += 1;
                        *off_b += 1;
                    }
                    header(&mut out, src, n);
                    found = true;
                    break;
                }
                pb += 1;
            }
        }
        if !found {
            if b[*off_b] == ESC {
                if out.len() + 1 >= len - HDR {
                    break 'outer;
                }
                out.extend_from_slice(&[ESC, ESC]);
            } else {
                out.push(b[*off_b]);
            }
            *off_b += 1;
        }
    }
    while out.len() < len - HDR && *off_b < b.len() {
        if b[*off_b] == ESC {
            if out.len() + 1 >= len - HDR {
                break;
            }
            out.extend_from_slice(&[ESC, ESC]);
        } else {
            out.push(b[*off_b]);
        }
        *off_b += 1;
    }
    out
}

/// The model diff, driven like `sign` drives `wb_diff`.
pub fn model_diff(a: &[u8], b: &[u8], ss: usize) -> Vec<u8> {
    let mut off_b = 0;
    let mut patch = Vec::new();
    loop {
        let chunk = model_chunk(a, b, ss, &mut off_b, ss);
        if chunk.is_empty() {
            return patch;
        }
        patch.extend_from_slice(&chunk);
    }
}

/// Outcome of the model patcher: the output, or the kind of error.
#[derive(Debug, PartialEq, Eq)]
pub enum ModelResult {
    Ok(Vec<u8>),
    TruncatedEscape,
    TruncatedHeader,
    OutOfBounds,
}

/// A slow model of `wb_patch` over a whole patch, against a fixed source.
pub fn model_patch(src: &[u8], patch: &[u8]) -> ModelResult {
    let mut out = Vec::new();
    let mut p = 0;
    while p < patch.len() {
        if patch[p] != ESC {
            out.push(patch[p]);
            p += 1;
        } else if patch.len() - p < 2 {
            return ModelResult::TruncatedEscape;
        } else if patch[p + 1] == ESC {
            out.push(ESC);
            p += 2;
        } else if patch.len() - p < HDR {
            return ModelResult::TruncatedHeader;
        } else {
            let off = (patch[p + 1] as usize) << 16
                | (patch[p + 2] as usize) << 8
                | patch[p + 3] as usize;
            let n = (patch[p + 4] as usize) << 8 | patch[p + 5] as usize;
            if off > src.len() || n > src.len() - off {
                return ModelResult::OutOfBounds;
            }
            out.extend_from_slice(&src[off..off + n]);
            p += HDR;
        }
    }
    ModelResult::Ok(out)
}
