//! SHA-512 (FIPS 180-4) for Ed25519's one hash, k = SHA-512(R ‖ A ‖ M):
//! a few blocks at most (one for a 32-byte image digest), so it is shaped
//! for size alone: one loop over the 80 rounds, no copies of the working
//! variables, the 64-bit rotations in one function (on a 32-bit core each
//! is several instructions). 0.6 KB of code where `sha2`'s compact shape is
//! 0.8 KB; the Ed25519 check on mps2-an386 measured the same before and
//! after (1.48 M instructions).
//!
//! Its round constants are also SHA-256's: both are the fractional parts
//! of the cube roots of the first primes, to 64 bits here and to 32 bits
//! there, so SHA-256's 64 constants are the high halves of the first 64 of
//! these. A build with Ed25519 links one table of 640 B instead of two
//! (256 B less); `sha256` reads [`K`] in those builds.

/// Round constants: the first 64 bits of the fractional parts of the cube
/// roots of the first 80 primes.
pub(crate) static K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// Initial hash value: the first 64 bits of the fractional parts of the
/// square roots of the first eight primes.
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Bytes per message block.
const BLOCK: usize = 128;

/// SHA-512 of the concatenation of `parts`: a byte loop into one block
/// buffer, the padding and the length; no streaming state is kept.
pub(crate) fn digest(parts: [&[u8]; 3]) -> [u8; 64] {
    let mut state = IV;
    let mut block = [0u8; BLOCK];
    let mut at = 0;
    let mut len = 0u64;
    for part in parts {
        len = len.wrapping_add(part.len() as u64);
        for b in part {
            if let Some(slot) = block.get_mut(at) {
                *slot = *b;
            }
            at += 1;
            if at == BLOCK {
                compress(&mut state, &block);
                at = 0;
            }
        }
    }
    // 0x80, zeros up to the 128-bit length in bits (big-endian) at the end
    // of this block, or of the next when fewer than 17 bytes are free.
    if let Some(slot) = block.get_mut(at) {
        *slot = 0x80;
    }
    at += 1;
    if at > BLOCK - 16 {
        block.get_mut(at..).unwrap_or_default().fill(0);
        compress(&mut state, &block);
        at = 0;
    }
    let (zeros, bits) = block.split_at_mut(BLOCK - 8);
    zeros.get_mut(at..).unwrap_or_default().fill(0);
    bits.copy_from_slice(&len.wrapping_mul(8).to_be_bytes());
    compress(&mut state, &block);
    let mut out = [0u8; 64];
    for (o, w) in out.chunks_exact_mut(8).zip(&state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// The compression function on one block, shaped for size, not speed (it
/// runs once or twice per signature check). The working variables are a
/// window sliding down an array: a round writes the new `a` below the
/// window and adds T1 to `d` in place, and the window moves down one word,
/// so nothing is copied. The message schedule is a 16-word ring, each Σ and
/// σ one call of [`sigma`].
// Indices: `p` runs from 80 down to 1 and the window is v[p..p + 8]; ring
// indices are `% 16`. The compiler sees both bounds.
#[allow(clippy::indexing_slicing)]
fn compress(state: &mut [u64; 8], block: &[u8; BLOCK]) {
    let mut w = [0u64; 16];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        *word = u64::from_be_bytes(b);
    }
    let mut v = [0u64; 88];
    v[80..].copy_from_slice(state);
    let mut p = 80;
    for (t, k) in K.iter().enumerate() {
        let i = t % 16;
        if t >= 16 {
            w[i] = w[i]
                .wrapping_add(sigma(w[(i + 14) % 16], SMALL_SIGMA1))
                .wrapping_add(w[(i + 9) % 16])
                .wrapping_add(sigma(w[(i + 1) % 16], SMALL_SIGMA0));
        }
        let (a, b, c) = (v[p], v[p + 1], v[p + 2]);
        let (e, f, g, h) = (v[p + 4], v[p + 5], v[p + 6], v[p + 7]);
        let t1 = h
            .wrapping_add(sigma(e, BIG_SIGMA1))
            .wrapping_add(g ^ (e & (f ^ g)))
            .wrapping_add(*k)
            .wrapping_add(w[i]);
        let t2 = sigma(a, BIG_SIGMA0).wrapping_add((a & b) | (c & (a | b)));
        v[p + 3] = v[p + 3].wrapping_add(t1);
        p -= 1;
        v[p] = t1.wrapping_add(t2);
    }
    for (s, x) in state.iter_mut().zip(&v) {
        *s = s.wrapping_add(*x);
    }
}

/// The amounts of each Σ and σ for [`sigma`], a byte each: two rotations,
/// then a rotation or (with [`SHIFT`]) a shift.
const BIG_SIGMA0: u32 = amounts(28, 34, 39);
const BIG_SIGMA1: u32 = amounts(14, 18, 41);
const SMALL_SIGMA0: u32 = amounts(1, 8, 7 | SHIFT);
const SMALL_SIGMA1: u32 = amounts(19, 61, 6 | SHIFT);

/// Marks the third amount of [`sigma`] as a shift (σ0, σ1), not a rotation
/// (Σ0, Σ1).
const SHIFT: u32 = 0x80;

const fn amounts(r1: u32, r2: u32, r3: u32) -> u32 {
    r1 | r2 << 8 | r3 << 16
}

/// x rotated right by the first two amounts of `amounts`, XORed with x
/// rotated or (with [`SHIFT`]) shifted right by the third: every Σ and σ
/// of SHA-512 in one copy, its amounts in one argument register.
#[inline(never)]
fn sigma(x: u64, amounts: u32) -> u64 {
    let r3 = amounts >> 16;
    let third = if r3 & SHIFT != 0 {
        x >> (r3 & !SHIFT)
    } else {
        rotr(x, r3)
    };
    rotr(x, amounts & 0xff) ^ rotr(x, (amounts >> 8) & 0xff) ^ third
}

/// x rotated right by `n` (below 64), one copy of the 64-bit rotation.
#[inline(never)]
fn rotr(x: u64, n: u32) -> u64 {
    x.rotate_right(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    /// Against `sha2`'s `Sha512`, for every total length across the one-
    /// and two-block paddings (111/112 bytes) and three blocks, split into
    /// three parts in different ways.
    #[test]
    fn agrees_with_sha2_on_every_length_and_split() {
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 167 + 13) as u8).collect();
        for len in 0..=300 {
            let msg = &data[..len];
            let expected = sha2::Sha512::digest(msg);
            for (a, b) in [
                (0, 0),
                (len / 3, 2 * len / 3),
                (len.min(32), len.min(64)),
                (len, len),
            ] {
                let got = digest([&msg[..a], &msg[a..b], &msg[b..]]);
                assert_eq!(
                    got.as_slice(),
                    expected.as_slice(),
                    "length {len}, split {a}/{b}"
                );
            }
        }
    }

    #[test]
    fn fips_180_examples() {
        let hex = |d: &[u8]| -> std::string::String {
            d.iter().map(|b| std::format!("{b:02x}")).collect()
        };
        assert_eq!(
            hex(&digest([b"", b"ab", b"c"])),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(
            hex(&digest([b"", b"", b""])),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
    }
}
