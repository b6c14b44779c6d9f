//! SHA-256 (FIPS 180-4) for image digests, key hints and the hash-based
//! signatures (LMS, XMSS), four rounds to a loop iteration.
//!
//! The bootloader spends most of its boot time here: a 100 KB image is
//! 1,600 compressions. `sha2` offers two shapes on a microcontroller: a
//! looped one (about 1 KB of code, but it moves all eight working
//! variables every round and branches on the round number: 6.7 M
//! instructions for 100 KB on a Cortex-M4) and a fully unrolled one (4.2 M,
//! but 7 KB). This one expands the whole message schedule first, in a
//! small loop, then runs the rounds four at a time: each round is written
//! for the places its variables hold, so no round moves them, and after
//! four rounds the two halves of the working variables have changed places,
//! which the compiler does by renaming registers, not by moving values.
//! The schedule is expanded two words per iteration. 4.3 M instructions for
//! 100 KB at 0.45 KB more than the looped shape (eight rounds to an
//! iteration: the same speed for 0.3 KB more; two: 0.35 M more instructions
//! for 0.15 KB less; a schedule of one word per iteration: 0.3 M more for
//! 48 B less, of four: 0.1 M fewer for 76 B more; docs/benchmarks.md). Tests
//! compare it with `sha2` on every length up to five blocks and every
//! split of the input; the `sha256` fuzz target does the same on arbitrary
//! input.

/// Round constants: the first 32 bits of the fractional parts of the cube
/// roots of the first 64 primes. Builds with Ed25519 read them as the high
/// halves of SHA-512's (`crate::sha512::K`, the same roots to 64 bits)
/// instead, and link only that table (256 B less).
#[cfg(any(test, not(feature = "ed25519")))]
pub(crate) static K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Initial hash value: the first 32 bits of the fractional parts of the
/// square roots of the first eight primes.
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Bytes per message block.
const BLOCK: usize = 64;

/// Length of a SHA-256 digest in bytes.
pub const DIGEST_LEN: usize = 32;

/// A SHA-256 computation in progress.
#[derive(Clone)]
pub struct Sha256 {
    state: [u32; 8],
    /// Bytes of an incomplete block; `buffered` of them are valid.
    buffer: [u8; BLOCK],
    buffered: usize,
    /// Message length so far, in bytes.
    length: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256 {
    /// An empty message.
    pub const fn new() -> Self {
        Sha256 {
            state: H0,
            buffer: [0; BLOCK],
            buffered: 0,
            length: 0,
        }
    }

    /// Append `data` to the message.
    pub fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        if data.len() < BLOCK - self.buffered {
            if let Some(dst) = self
                .buffer
                .get_mut(self.buffered..self.buffered + data.len())
            {
                dst.copy_from_slice(data);
            }
            self.buffered += data.len();
            return;
        }
        // At least one block to compress: one message schedule for all of
        // them (zeroing it for every block cost 13 % of the hashing).
        let mut w = SCHEDULE;
        if self.buffered > 0 {
            let free = self.buffer.get_mut(self.buffered..).unwrap_or_default();
            let n = free.len().min(data.len());
            let (now, rest) = data.split_at(n);
            if let Some(dst) = free.get_mut(..n) {
                dst.copy_from_slice(now);
            }
            data = rest;
            compress(&mut self.state, &mut w, &self.buffer);
            self.buffered = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            if let Ok(block) = block.try_into() {
                compress(&mut self.state, &mut w, block);
            }
        }
        let tail = blocks.remainder();
        if let Some(dst) = self.buffer.get_mut(..tail.len()) {
            dst.copy_from_slice(tail);
        }
        self.buffered = tail.len();
    }

    /// [`Sha256::update`] by value, for chains of inputs.
    pub fn chain_update(mut self, data: impl AsRef<[u8]>) -> Self {
        self.update(data.as_ref());
        self
    }

    /// The digest of the message.
    pub fn finalize(self) -> [u8; DIGEST_LEN] {
        let mut out = [0u8; DIGEST_LEN];
        self.finalize_into(&mut out);
        out
    }

    /// The digest of the message, written to `out`.
    pub fn finalize_into(mut self, out: &mut [u8; DIGEST_LEN]) {
        let bits = self.length.wrapping_mul(8);
        // 0x80 after the message, zeros up to 8 bytes before the end of a
        // block (of this one, or of the next when fewer than 9 bytes are
        // free), then the length in bits, big-endian; written in place.
        let mut w = SCHEDULE;
        let mut at = self.buffered;
        if let Some(b) = self.buffer.get_mut(at) {
            *b = 0x80;
        }
        at += 1;
        if at > BLOCK - 8 {
            self.buffer.get_mut(at..).unwrap_or_default().fill(0);
            compress(&mut self.state, &mut w, &self.buffer);
            at = 0;
        }
        let (zeros, len) = self.buffer.split_at_mut(BLOCK - 8);
        zeros.get_mut(at..).unwrap_or_default().fill(0);
        len.copy_from_slice(&bits.to_be_bytes());
        compress(&mut self.state, &mut w, &self.buffer);
        for (dst, word) in out.chunks_exact_mut(4).zip(&self.state) {
            dst.copy_from_slice(&word.to_be_bytes());
        }
    }
}

/// Σ0, Σ1 of the rounds and σ0, σ1 of the message schedule.
#[inline(always)]
fn big_sigma0(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}
#[inline(always)]
fn big_sigma1(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}
#[inline(always)]
fn small_sigma0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}
#[inline(always)]
fn small_sigma1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// One round, written for the variables in the places they hold this
/// round: `d` and `h` are the two that change (`h` becomes the new `a`,
/// `d` the new `e`), and the next round names them one place further on.
/// Maj(a, b, c) is b ^ ((a ^ b) & (b ^ c)), and this round's a ^ b is the
/// next round's b ^ c: `$bc` holds it on the way in, `$ab` on the way out.
macro_rules! round {
    ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $k:expr, $w:expr, $bc:ident, $ab:ident) => {
        let t1 = $h
            .wrapping_add(big_sigma1($e))
            .wrapping_add($g ^ ($e & ($f ^ $g)))
            .wrapping_add($k)
            .wrapping_add($w);
        $d = $d.wrapping_add(t1);
        $ab = $a ^ $b;
        $h = t1
            .wrapping_add(big_sigma0($a))
            .wrapping_add($b ^ ($ab & $bc));
    };
}

/// The table the round constants are read from: SHA-256's own ([`K`]),
/// or SHA-512's in builds with Ed25519 (the high halves of its first 64).
#[cfg(not(feature = "ed25519"))]
pub(crate) type RoundConstants = [u32; 64];
#[cfg(feature = "ed25519")]
pub(crate) type RoundConstants = [u64; 80];

/// The round constants as this build links them: the one place that
/// chooses, for the Rust and the assembly block functions alike.
fn round_constants() -> &'static RoundConstants {
    #[cfg(not(feature = "ed25519"))]
    return &K;
    #[cfg(feature = "ed25519")]
    return &crate::sha512::K;
}

/// A round constant as SHA-256 uses it: its own, or the high half of
/// SHA-512's.
trait RoundConstant: Copy {
    fn k32(self) -> u32;
}

impl RoundConstant for u32 {
    #[inline(always)]
    fn k32(self) -> u32 {
        self
    }
}

impl RoundConstant for u64 {
    #[inline(always)]
    fn k32(self) -> u32 {
        (self >> 32) as u32
    }
}

/// The 64 words of a block's message schedule.
type Schedule = [u32; 64];

/// A schedule before its first block ([`compress`] writes every word
/// before it reads it).
const SCHEDULE: Schedule = [0; 64];

/// The compression function on one block: assembly on ARMv7-M and
/// ARMv7E-M (`sha256_arm`), [`compress_portable`] elsewhere.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
#[inline(always)]
fn compress(state: &mut [u32; 8], w: &mut Schedule, block: &[u8; BLOCK]) {
    crate::sha256_arm::compress(state, w, block, round_constants());
}

#[cfg(not(all(target_arch = "arm", target_feature = "thumb2")))]
#[inline(always)]
fn compress(state: &mut [u32; 8], w: &mut Schedule, block: &[u8; BLOCK]) {
    compress_portable(state, w, block);
}

/// The assembly compression function (`sha256_arm`) against the portable
/// one on `state` and `block`: whether both give the same state. For the
/// on-chip check (`mps2-an385`'s `ed25519-check` program, run by
/// `cargo xtask test` on mps2-an385 and mps2-an386); not part of the hash.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
#[doc(hidden)]
pub fn assembly_compress_agrees(state: &[u32; 8], block: &[u8; BLOCK]) -> bool {
    let (mut ours, mut want) = (*state, *state);
    let mut w = SCHEDULE;
    crate::sha256_arm::compress(&mut ours, &mut w, block, round_constants());
    compress_portable(&mut want, &mut w, block);
    ours == want
}

/// The compression function on one block, in Rust: every target but
/// ARMv7-M, and the reference the assembly is checked against on the chip.
// Indices are loop counters below the array's constant length, which the
// compiler sees too: no bounds check remains.
#[allow(clippy::indexing_slicing)]
fn compress_portable(state: &mut [u32; 8], w: &mut Schedule, block: &[u8; BLOCK]) {
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        let mut b = [0u8; 4];
        b.copy_from_slice(bytes);
        *word = u32::from_be_bytes(b);
    }
    // Two words per iteration: the loop's own instructions and the loads
    // of the words both use are shared (0.1 M fewer instructions per
    // 100 KB on the Cortex-M4 for 52 more bytes).
    for half in 8..32 {
        let t = 2 * half;
        w[t] = small_sigma1(w[t - 2])
            .wrapping_add(w[t - 7])
            .wrapping_add(small_sigma0(w[t - 15]))
            .wrapping_add(w[t - 16]);
        w[t + 1] = small_sigma1(w[t - 1])
            .wrapping_add(w[t - 6])
            .wrapping_add(small_sigma0(w[t - 14]))
            .wrapping_add(w[t - 15]);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    let mut x0 = b ^ c;
    let mut x1;
    let (k4, _) = round_constants().as_chunks::<4>();
    let (w4, _) = w.as_chunks::<4>();
    for (k, x) in k4.iter().zip(w4) {
        round!(a, b, c, d, e, f, g, h, k[0].k32(), x[0], x0, x1);
        round!(h, a, b, c, d, e, f, g, k[1].k32(), x[1], x1, x0);
        round!(g, h, a, b, c, d, e, f, k[2].k32(), x[2], x0, x1);
        round!(f, g, h, a, b, c, d, e, k[3].k32(), x[3], x1, x0);
        // Four places on, the next round's a..d are e..h and the other way
        // round: the swaps rename registers, they move nothing.
        core::mem::swap(&mut a, &mut e);
        core::mem::swap(&mut b, &mut f);
        core::mem::swap(&mut c, &mut g);
        core::mem::swap(&mut d, &mut h);
    }
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
    state[4] = state[4].wrapping_add(e);
    state[5] = state[5].wrapping_add(f);
    state[6] = state[6].wrapping_add(g);
    state[7] = state[7].wrapping_add(h);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: &[u8]) -> std::string::String {
        d.iter().map(|b| std::format!("{b:02x}")).collect()
    }

    /// SHA-256's constants are the high halves of SHA-512's, which the
    /// builds with Ed25519 use instead of them.
    #[cfg(feature = "ed25519")]
    #[test]
    fn round_constants_are_sha512_high_halves() {
        for (k, k64) in K.iter().zip(crate::sha512::K) {
            assert_eq!(*k, k64.k32());
        }
    }

    #[test]
    fn fips_180_examples() {
        let one = |m: &[u8]| {
            let mut h = Sha256::new();
            h.update(m);
            hex(&h.finalize())
        };
        assert_eq!(
            one(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            one(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            one(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let mut h = Sha256::new();
        for _ in 0..1000 {
            h.update(&[b'a'; 1000]);
        }
        assert_eq!(
            hex(&h.finalize()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    /// Every message length through five blocks, fed whole and in two
    /// parts split at every position, against RustCrypto's `sha2`.
    #[test]
    fn agrees_with_sha2_on_every_length_and_split() {
        use sha2::Digest as _;
        let data: std::vec::Vec<u8> = (0..320u32)
            .map(|i| (i.wrapping_mul(167) ^ (i >> 3)) as u8)
            .collect();
        for len in 0..=data.len() {
            let msg = &data[..len];
            let want = sha2::Sha256::digest(msg);
            let mut whole = Sha256::new();
            whole.update(msg);
            assert_eq!(whole.finalize()[..], want[..], "length {len}");
            for split in 0..=len {
                let mut h = Sha256::new();
                h.update(&msg[..split]);
                h.update(&msg[split..]);
                assert_eq!(h.finalize()[..], want[..], "length {len} split {split}");
            }
        }
    }

    /// Byte-at-a-time and odd-sized chunks over a long message.
    #[test]
    fn agrees_with_sha2_when_streamed_in_odd_chunks() {
        use sha2::Digest as _;
        let data: std::vec::Vec<u8> = (0..10_000u32).map(|i| (i * 31 + 7) as u8).collect();
        let want = sha2::Sha256::digest(&data);
        for chunk in [1, 3, 63, 64, 65, 127, 500, 4096] {
            let mut h = Sha256::new();
            for part in data.chunks(chunk) {
                h.update(part);
            }
            assert_eq!(h.finalize()[..], want[..], "chunks of {chunk}");
        }
    }
}
