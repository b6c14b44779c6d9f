//! Ed25519 signature verification (RFC 8032), verify only, for the boot path.
//!
//! A bootloader only ever checks signatures, on public data, so nothing
//! here needs to run in constant time: the point multiplication is
//! variable-time (one add per set bit of each scalar), and reductions
//! branch on their carries. What it must do is accept and refuse exactly
//! what `ed25519-dalek`'s `VerifyingKey::verify` does (the crate the host
//! tools sign with): the key decompresses (its y taken modulo p, its
//! sign bit honoured even for x = 0), `s` is below the group order ℓ, and
//! the encoding of `[s]B − [k]A`, k = SHA-512(R ‖ A ‖ M) mod ℓ, equals the
//! signature's R byte for byte (cofactorless; small-order keys are not
//! refused, as there). The tests check that agreement on random, mutated
//! and hand-made edge-case inputs, and the `ed25519` fuzz target keeps
//! checking it.
//!
//! Why not `ed25519-dalek` itself: with SHA-512, `curve25519-dalek` is
//! about 13.5 KB of a Cortex-M bootloader; this is 6 KB (Ed25519 bootloader
//! on mps2-an386: 26,108 → 19,004 B), and on the Cortex-M4 it is faster
//! (signature check 1.92 → 1.34 M instructions; on the Cortex-M3, which has
//! no UMAAL, 1.76 → 1.85 M). Field elements are eight 32-bit limbs (values
//! below 2^256, reduced modulo p = 2^255 − 19 only to encode or compare), so
//! that a multiplication is 64 multiply-accumulates, one UMAAL each on
//! ARMv7E-M. On ARMv7-M and ARMv7E-M the product is assembly
//! (`fe25519_arm`: a quarter of the code of the Rust below, and faster),
//! checked on the chip against the portable code below. SHA-512 is `sha512`'s, whose round constants SHA-256 shares in
//! these builds. The limb loops are written out (`unroll8!`) so that the limbs
//! stay in registers, points are updated in place and products written
//! where they are wanted: at opt-level "z" every 32- or 128-byte value
//! returned and moved is otherwise a `memcpy` call (a third of the time).
//! Squaring is a product: a dedicated one (36 multiplications instead of
//! 64) saved 3 % of the time for 0.8 KB. docs/benchmarks.md has the
//! measurements.

use crate::error::VerifyError;
use crate::limbs::{below, mac, sub_words};

/// Bytes of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Bytes of an Ed25519 signature (R ‖ s).
pub const SIGNATURE_LEN: usize = 64;

/// Verify `sig` over `msg` with `pubkey`: [`VerifyError::BadPublicKey`] when
/// the key does not decompress, [`VerifyError::BadSignature`] otherwise.
pub fn verify(
    pubkey: &[u8; PUBLIC_KEY_LEN],
    msg: &[u8],
    sig: &[u8; SIGNATURE_LEN],
) -> Result<(), VerifyError> {
    let a = Point::decompress(pubkey).ok_or(VerifyError::BadPublicKey)?;
    let (r, s) = sig.split_at(32);
    let s = words(s);
    if !below(&s, &L) {
        return Err(VerifyError::BadSignature);
    }
    let h = crate::sha512::digest([r, pubkey, msg]);
    let k = reduce_wide(&h);
    let check = double_scalar_mul(&k, &a, &s).compress();
    if check.as_slice() == r {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

// ---------------------------------------------------------------------------
// The field GF(2^255 − 19).

/// The ARMv7-M / ARMv7E-M field multiplication (assembly, `fe25519_arm`) against
/// the portable one on the operands `a` and `b` (any values below 2^256,
/// as little-endian 32-bit limbs): whether both give the same bits. For
/// the on-chip check (`mps2-an385`'s `ed25519-check` program, run by
/// `cargo xtask test` on mps2-an385 and mps2-an386); not part of the
/// verifier.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
#[doc(hidden)]
pub fn assembly_mul_agrees(a: &[u32; 8], b: &[u32; 8]) -> bool {
    let (a, b) = (Fe(*a), Fe(*b));
    let mut want = ZERO;
    a.mul_portable(&b, &mut want);
    crate::fe25519_arm::mul(&a, &b).0 == want.0
}

/// A field element: eight little-endian 32-bit limbs, any value below 2^256
/// (congruent to the element modulo p). `repr(C)`: the ARMv7E-M assembly
/// returns one (`fe25519_arm::mul`).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct Fe([u32; 8]);

const ZERO: Fe = Fe([0; 8]);
const ONE: Fe = Fe([1, 0, 0, 0, 0, 0, 0, 0]);
/// p = 2^255 − 19.
const P: [u32; 8] = [
    0xffff_ffed,
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0x7fff_ffff,
];
/// The curve constant d = −121665/121666.
const D: Fe = fe(&[
    0x135978a3, 0x75eb4dca, 0x4141d8ab, 0x00700a4d, 0x7779e898, 0x8cc74079, 0x2b6ffe73, 0x52036cee,
]);
/// 2d, as the addition needs it.
const D2: Fe = fe(&[
    0x26b2f159, 0xebd69b94, 0x8283b156, 0x00e0149a, 0xeef3d130, 0x198e80f2, 0x56dffce7, 0x2406d9dc,
]);
/// A square root of −1: 2^((p − 1)/4).
const SQRT_M1: Fe = fe(&[
    0x4a0ea0b0, 0xc4ee1b27, 0xad2fe478, 0x2f431806, 0x3dfbd7a7, 0x2b4d0099, 0x4fc1df0b, 0x2b832480,
]);

const fn fe(limbs: &[u32; 8]) -> Fe {
    Fe(*limbs)
}

/// Little-endian bytes as limbs (all 256 bits).
fn words(bytes: &[u8]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (limb, b) in w.iter_mut().zip(bytes.chunks_exact(4)) {
        let mut le = [0u8; 4];
        le.copy_from_slice(b);
        *limb = u32::from_le_bytes(le);
    }
    w
}

/// Fold `carry` (a multiple of 2^256, at most 2^16 of them) back into `r`
/// as carry·38 (2^256 ≡ 38 mod p). If that carries out of 2^256 again, `r`
/// is now below 2^16 and the last 38 goes into its lowest limb.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // constant indices below 8
fn fold_carry(r: &mut [u32; 8], carry: u32) {
    let mut c = carry * 38;
    unroll8!(I => {
        let (s, o) = r[I].overflowing_add(c);
        r[I] = s;
        c = u32::from(o);
    });
    r[0] += c * 38;
}

impl Fe {
    #[allow(clippy::indexing_slicing)] // constant indices below 8
    fn add(&self, b: &Fe) -> Fe {
        let mut r = self.0;
        let mut c = 0;
        unroll8!(I => {
            (r[I], c) = mac(r[I], b.0[I], 1, c);
        });
        fold_carry(&mut r, c);
        Fe(r)
    }

    fn sub(&self, b: &Fe) -> Fe {
        let mut r = self.0;
        let mut borrow = u32::from(sub_words(&mut r, &b.0));
        // A borrow added 2^256 ≡ 38: take 38 off. If that borrows too, `r`
        // is now at least 2^256 − 38, and taking 38 off once more cannot.
        // The borrow chain stops at the first limb that does not borrow
        // (variable time: verification handles public data only).
        for _ in 0..2 {
            let mut d = borrow * 38;
            for x in r.iter_mut() {
                if d == 0 {
                    break;
                }
                let (v, o) = x.overflowing_sub(d);
                *x = v;
                d = u32::from(o);
            }
            borrow = d;
        }
        Fe(r)
    }

    fn neg(&self) -> Fe {
        ZERO.sub(self)
    }

    /// The product, reduced below 2^256: the schoolbook product row by
    /// row, one multiply-accumulate per limb pair (UMAAL on ARMv7E-M), then
    /// low + 38·high.
    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    #[inline(always)]
    fn mul(&self, b: &Fe) -> Fe {
        crate::fe25519_arm::mul(self, b)
    }

    /// The product, reduced below 2^256 (see `mul_portable`).
    #[cfg(not(all(target_arch = "arm", target_feature = "thumb2")))]
    #[inline(always)]
    fn mul(&self, b: &Fe) -> Fe {
        let mut r = ZERO;
        self.mul_into(b, &mut r);
        r
    }

    /// `out` ← self·b: the product written straight where it is wanted.
    /// In assembly on ARMv7-M and ARMv7E-M (`fe25519_arm`), the same result.
    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    #[inline(always)]
    fn mul_into(&self, b: &Fe, out: &mut Fe) {
        *out = crate::fe25519_arm::mul(self, b);
    }

    /// `out` ← self·b: the product written straight where it is wanted.
    #[cfg(not(all(target_arch = "arm", target_feature = "thumb2")))]
    fn mul_into(&self, b: &Fe, out: &mut Fe) {
        self.mul_portable(b, out);
    }

    /// The product in Rust: every target, and the reference the assembly
    /// is checked against on the chip.
    #[allow(clippy::indexing_slicing)] // constant indices below 16
    fn mul_portable(&self, b: &Fe, out: &mut Fe) {
        let mut t = [0u32; 16];
        unroll8!(I => {
            let a = self.0[I];
            let mut c = 0;
            unroll8!(J => {
                (t[I + J], c) = mac(t[I + J], a, b.0[J], c);
            });
            t[I + 8] = c;
        });
        *out = reduce(&t);
    }

    fn square(&self) -> Fe {
        self.mul(self)
    }

    /// `self` squared `k` times (two at a time: the result of each goes
    /// straight where the next one reads it, no copy).
    fn square_times(&self, k: u32) -> Fe {
        let mut r = *self;
        for _ in 0..k / 2 {
            let half = r.square();
            r = half.square();
        }
        if k % 2 == 1 {
            r = r.square();
        }
        r
    }

    /// (x^(2^250 − 1), x^11): the shared start of inversion and square root.
    fn pow22501(&self) -> (Fe, Fe) {
        let x = self;
        let x2 = x.square();
        let x9 = x.mul(&x2.square_times(2));
        let x11 = x9.mul(&x2);
        let e5 = x9.mul(&x11.square()); // 2^5 − 1
        let e10 = e5.square_times(5).mul(&e5);
        let e20 = e10.square_times(10).mul(&e10);
        let e40 = e20.square_times(20).mul(&e20);
        let e50 = e40.square_times(10).mul(&e10);
        let e100 = e50.square_times(50).mul(&e50);
        let e200 = e100.square_times(100).mul(&e100);
        let e250 = e200.square_times(50).mul(&e50);
        (e250, x11)
    }

    /// x^(p − 2) = 1/x (0 for 0).
    fn invert(&self) -> Fe {
        let (e250, x11) = self.pow22501();
        e250.square_times(5).mul(&x11)
    }

    /// x^((p − 5)/8) = x^(2^252 − 3).
    fn pow_p58(&self) -> Fe {
        self.pow22501().0.square_times(2).mul(self)
    }

    /// The value modulo p, as 32 little-endian bytes.
    fn to_bytes(self) -> [u8; 32] {
        let mut r = self.0;
        // Below 2^256 < 3p: at most two subtractions.
        loop {
            let mut d = r;
            if sub_words(&mut d, &P) {
                break;
            }
            r = d;
        }
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(&r) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// 255 bits of little-endian bytes (the top bit ignored), as dalek reads
    /// a y coordinate: a value of p or more stands for itself modulo p.
    fn from_bytes(bytes: &[u8; 32]) -> Fe {
        let mut w = words(bytes);
        w[7] &= 0x7fff_ffff;
        Fe(w)
    }

    fn equals(&self, other: &Fe) -> bool {
        self.to_bytes() == other.to_bytes()
    }

    /// Whether the value modulo p is odd ("negative" in RFC 8032's encoding).
    fn is_negative(&self) -> bool {
        self.to_bytes()[0] & 1 == 1
    }

    /// (whether u/v is a square (u = 0 included), its non-negative square root
    /// when it is), as curve25519-dalek's `sqrt_ratio_i` computes it.
    fn sqrt_ratio(u: &Fe, v: &Fe) -> (bool, Fe) {
        let v3 = v.square().mul(v);
        let v7 = v3.square().mul(v);
        let mut r = u.mul(&v3).mul(&u.mul(&v7).pow_p58());
        let check = v.mul(&r.square());
        let neg_u = u.neg();
        let correct = check.equals(u);
        let flipped = check.equals(&neg_u);
        let flipped_i = check.equals(&neg_u.mul(&SQRT_M1));
        if flipped || flipped_i {
            r = r.mul(&SQRT_M1);
        }
        if r.is_negative() {
            r = r.neg();
        }
        (correct || flipped, r)
    }
}

/// A 512-bit product modulo p, below 2^256: low + 38·high.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // constant indices below 16
fn reduce(t: &[u32; 16]) -> Fe {
    let mut r = [0u32; 8];
    let mut c = 0;
    unroll8!(I => {
        (r[I], c) = mac(t[I], t[I + 8], 38, c);
    });
    fold_carry(&mut r, c);
    Fe(r)
}

// ---------------------------------------------------------------------------
// The curve −x² + y² = 1 + d·x²·y², points in extended coordinates.

/// (X : Y : Z : T) with x = X/Z, y = Y/Z, x·y = T/Z.
#[derive(Clone, Copy, Debug)]
struct Point {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

/// A point prepared for additions: (Y + X, Y − X, 2Z, 2d·T).
#[derive(Clone, Copy, Debug)]
struct Cached {
    y_plus_x: Fe,
    y_minus_x: Fe,
    z2: Fe,
    t2d: Fe,
}

/// The base point B: y = 4/5, x the even root.
const BASE_X: Fe = fe(&[
    0x8f25d51a, 0xc9562d60, 0x9525a7b2, 0x692cc760, 0xfdd6dc5c, 0xc0a4e231, 0xcd6e53fe, 0x216936d3,
]);
const BASE_Y: Fe = fe(&[
    0x66666658, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666,
]);

/// B in extended coordinates.
fn base() -> Point {
    Point {
        x: BASE_X,
        y: BASE_Y,
        z: ONE,
        t: BASE_X.mul(&BASE_Y),
    }
}

impl Point {
    /// The neutral point (0 : 1 : 1 : 0), built in place: a 128-byte
    /// constant copied from flash costs more than the zeros and two stores.
    #[inline(never)]
    fn identity() -> Point {
        let mut p = Point {
            x: ZERO,
            y: ZERO,
            z: ZERO,
            t: ZERO,
        };
        p.y.0[0] = 1;
        p.z.0[0] = 1;
        p
    }

    /// The point whose encoding is `bytes`, if any; as curve25519-dalek's
    /// `CompressedEdwardsY::decompress`.
    fn decompress(bytes: &[u8; 32]) -> Option<Point> {
        let y = Fe::from_bytes(bytes);
        let yy = y.square();
        let u = yy.sub(&ONE);
        let v = yy.mul(&D).add(&ONE);
        let (ok, mut x) = Fe::sqrt_ratio(&u, &v);
        if !ok {
            return None;
        }
        if bytes[31] >> 7 == 1 {
            x = x.neg();
        }
        Some(Point {
            x,
            y,
            z: ONE,
            t: x.mul(&y),
        })
    }

    /// The encoding: y modulo p, the sign of x in the top bit.
    fn compress(&self) -> [u8; 32] {
        let zinv = self.z.invert();
        let mut out = self.y.mul(&zinv).to_bytes();
        if self.x.mul(&zinv).is_negative() {
            out[31] |= 0x80;
        }
        out
    }

    #[cfg(test)]
    fn negate(&self) -> Point {
        Point {
            x: self.x.neg(),
            y: self.y,
            z: self.z,
            t: self.t.neg(),
        }
    }

    fn cached(&self) -> Cached {
        Cached {
            y_plus_x: self.y.add(&self.x),
            y_minus_x: self.y.sub(&self.x),
            z2: self.z.add(&self.z),
            t2d: self.t.mul(&D2),
        }
    }

    /// self ← 2·self (Hisil–Wong–Carter–Dawson "dbl-2008-hwcd", a = −1).
    /// T is computed only `with_t` (an addition reads it, a doubling does
    /// not); without, it is left zero. In place: a point is 128 bytes, and
    /// returning one by value costs a copy per operation.
    fn double(&mut self, with_t: bool) {
        let a = self.x.square();
        let b = self.y.square();
        let zz = self.z.square();
        let c = zz.add(&zz);
        let h = a.add(&b);
        let e = h.sub(&self.x.add(&self.y).square());
        let g = a.sub(&b);
        let f = c.add(&g);
        self.set_efgh(&e, &f, &g, &h, with_t);
    }

    /// self ← self + q, or self − q with `minus` ("add-2008-hwcd-3",
    /// a = −1); T only `with_t`, as for [`Point::double`].
    fn add_cached(&mut self, q: &Cached, minus: bool, with_t: bool) {
        let (qp, qm) = if minus {
            (&q.y_minus_x, &q.y_plus_x)
        } else {
            (&q.y_plus_x, &q.y_minus_x)
        };
        let a = self.y.sub(&self.x).mul(qm);
        let b = self.y.add(&self.x).mul(qp);
        let c = self.t.mul(&q.t2d);
        let d = self.z.mul(&q.z2);
        let (f, g) = if minus {
            (d.add(&c), d.sub(&c))
        } else {
            (d.sub(&c), d.add(&c))
        };
        self.set_efgh(&b.sub(&a), &f, &g, &b.add(&a), with_t);
    }

    fn set_efgh(&mut self, e: &Fe, f: &Fe, g: &Fe, h: &Fe, with_t: bool) {
        e.mul_into(f, &mut self.x);
        g.mul_into(h, &mut self.y);
        f.mul_into(g, &mut self.z);
        if with_t {
            e.mul_into(h, &mut self.t);
        } else {
            self.t = ZERO;
        }
    }
}

/// [b]B − [a]A, variable time: one shared chain of doublings from the top
/// bit down, then for each bit pair one addition at most: −A, B or the
/// precomputed B − A (Shamir's trick: three quarters of the bits add, where
/// one addition per set bit of each scalar adds a quarter more often; 96 B
/// for 0.17 M fewer instructions per signature on mps2-an386). Signed
/// digits would add less often still: width-5 NAF with tables of odd
/// multiples was about 0.45 KB more code for about 0.2 M fewer
/// instructions, and 3 KB more stack.
fn double_scalar_mul(a: &[u32; 8], point: &Point, b: &[u32; 8]) -> Point {
    let a_point = point.cached();
    let b_point = base().cached();
    let mut both = base();
    both.add_cached(&a_point, true, true);
    let both = both.cached();
    let bit = |s: &[u32; 8], i: usize| s.get(i / 32).is_some_and(|w| w >> (i % 32) & 1 == 1);
    let mut r = Point::identity();
    for i in (0..256).rev() {
        let (da, db) = (bit(a, i), bit(b, i));
        // T is needed only by an addition that follows.
        r.double(da || db);
        // 1: −A, 2: B, 3: B − A; 0 adds nothing.
        let pick = usize::from(da) | usize::from(db) << 1;
        if let Some(q) = [&a_point, &b_point, &both].get(pick.wrapping_sub(1)) {
            r.add_cached(q, pick == 1, false);
        }
    }
    r
}

// ---------------------------------------------------------------------------
// Scalars modulo the group order ℓ.

/// ℓ = 2^252 + 27742317777372353535851937790883648493.
const L: [u32; 8] = [
    0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0x00000000, 0x00000000, 0x00000000, 0x10000000,
];

/// A 512-bit little-endian number (the SHA-512 output) modulo ℓ: bit by
/// bit from the top, r ← 2r + bit, less ℓ when that reaches it (r < ℓ <
/// 2^253, so 2r + 1 fits 256 bits).
fn reduce_wide(bytes: &[u8]) -> [u32; 8] {
    let mut r = [0u32; 8];
    for byte in bytes.iter().rev() {
        for bit in (0..8).rev() {
            let mut carry = u32::from(byte >> bit & 1);
            for limb in r.iter_mut() {
                let next = *limb >> 31;
                *limb = (*limb << 1) | carry;
                carry = next;
            }
            if !below(&r, &L) {
                sub_words(&mut r, &L);
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
    use std::vec::Vec;

    use crate::limbs::tests::Rng;

    impl Rng {
        fn fe(&mut self) -> Fe {
            // Any value below 2^256, with the extremes often.
            match self.next() % 8 {
                0 => Fe([u32::MAX; 8]),
                1 => Fe(P),
                2 => ZERO,
                _ => Fe(words(&self.bytes::<32>())),
            }
        }
    }

    /// dalek's verdict, in our error vocabulary.
    fn dalek(pubkey: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), VerifyError> {
        let key = VerifyingKey::from_bytes(pubkey).map_err(|_| VerifyError::BadPublicKey)?;
        key.verify(msg, &ed25519_dalek::Signature::from_bytes(sig))
            .map_err(|_| VerifyError::BadSignature)
    }

    fn agree(pubkey: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), VerifyError> {
        let ours = verify(pubkey, msg, sig);
        assert_eq!(
            ours,
            dalek(pubkey, msg, sig),
            "key {pubkey:02x?} sig {sig:02x?}"
        );
        ours
    }

    #[test]
    fn constants() {
        // d·121666 = −121665, (2d) = d + d, i² = −1, B on the curve.
        let n = |v: u32| Fe([v, 0, 0, 0, 0, 0, 0, 0]);
        assert!(D.mul(&n(121666)).equals(&n(121665).neg()));
        assert!(D.add(&D).equals(&D2));
        assert!(SQRT_M1.square().equals(&ONE.neg()));
        let (x2, y2) = (BASE_X.square(), BASE_Y.square());
        assert!(y2.sub(&x2).equals(&ONE.add(&D.mul(&x2).mul(&y2))));
        assert!(!BASE_X.is_negative());
        assert!(n(4).mul(&n(5).invert()).equals(&BASE_Y));
        // ℓ·B is the identity, (ℓ − 1)·B is −B.
        let mut l_minus_1 = L;
        sub_words(&mut l_minus_1, &[1, 0, 0, 0, 0, 0, 0, 0]);
        let p = double_scalar_mul(&[0; 8], &Point::identity(), &l_minus_1);
        assert_eq!(p.compress(), base().negate().compress());
        let p = double_scalar_mul(&[0; 8], &Point::identity(), &L);
        assert_eq!(p.compress(), Point::identity().compress());
        // B + (−B) through the addition.
        let mut sum = base();
        sum.add_cached(&base().negate().cached(), false, true);
        assert_eq!(sum.compress(), Point::identity().compress());
    }

    #[test]
    fn field_arithmetic_is_consistent() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..2000 {
            let (a, b, c) = (rng.fe(), rng.fe(), rng.fe());
            assert!(a.mul(&b).equals(&b.mul(&a)));
            assert!(a.mul(&b).mul(&c).equals(&a.mul(&b.mul(&c))));
            assert!(a.add(&b).mul(&c).equals(&a.mul(&c).add(&b.mul(&c))));
            assert!(a.square().equals(&a.mul(&a)));
            assert!(a.sub(&b).add(&b).equals(&a));
            assert!(a.add(&a.neg()).equals(&ZERO));
            if !a.equals(&ZERO) {
                assert!(a.mul(&a.invert()).equals(&ONE));
            }
        }
    }

    #[test]
    fn small_products_are_exact() {
        // Products that stay below p are the plain integer products.
        let mut rng = Rng(99);
        for _ in 0..1000 {
            let (x, y) = (rng.next() >> 1, rng.next() >> 2);
            let a = Fe([x as u32, (x >> 32) as u32, 0, 0, 0, 0, 0, 0]);
            let b = Fe([y as u32, (y >> 32) as u32, 0, 0, 0, 0, 0, 0]);
            let p = u128::from(x) * u128::from(y);
            let mut expect = [0u8; 32];
            expect[..16].copy_from_slice(&p.to_le_bytes());
            assert_eq!(a.mul(&b).to_bytes(), expect);
        }
    }

    #[test]
    fn reduce_wide_matches_dalek() {
        let mut rng = Rng(7);
        for i in 0..500 {
            let mut wide: [u8; 64] = rng.bytes();
            if i % 50 == 0 {
                wide = [0xff; 64];
            }
            let s = curve25519_dalek::Scalar::from_bytes_mod_order_wide(&wide);
            let r = reduce_wide(&wide);
            let mut ours = [0u8; 32];
            for (o, w) in ours.chunks_exact_mut(4).zip(r) {
                o.copy_from_slice(&w.to_le_bytes());
            }
            assert_eq!(ours, s.to_bytes());
        }
    }

    #[test]
    fn valid_signatures_verify_and_changes_are_refused() {
        let mut rng = Rng(0xed25519);
        for n in 0..200 {
            let key = SigningKey::from_bytes(&rng.bytes());
            let pubkey = key.verifying_key().to_bytes();
            let msg: [u8; 32] = rng.bytes();
            let msg = &msg[..n % 33];
            let sig = key.sign(msg).to_bytes();
            assert_eq!(agree(&pubkey, msg, &sig), Ok(()));
            // One flipped bit anywhere: refused by both, the same way.
            for bit in [0, 7, 100, 255, 256, 300, 511] {
                let mut s = sig;
                s[bit / 8] ^= 1 << (bit % 8);
                assert!(agree(&pubkey, msg, &s).is_err());
            }
            let mut k = pubkey;
            k[(n * 5) % 32] ^= 1 << (n % 8);
            assert!(agree(&k, msg, &sig).is_err());
            if !msg.is_empty() {
                let mut m = msg.to_vec();
                m[0] ^= 0x80;
                assert!(agree(&pubkey, &m, &sig).is_err());
            }
        }
    }

    #[test]
    fn random_inputs_get_dalek_verdicts() {
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let pubkey: [u8; 32] = rng.bytes();
            let sig: [u8; 64] = rng.bytes();
            agree(&pubkey, b"msg", &sig).ok();
        }
    }

    #[test]
    fn edge_cases_get_dalek_verdicts() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let pubkey = key.verifying_key().to_bytes();
        let msg = [0x5a; 32];
        let sig = key.sign(&msg).to_bytes();
        let l_bytes: Vec<u8> = L.iter().flat_map(|w| w.to_le_bytes()).collect();
        // s = ℓ, s + ℓ (the same point, not canonical), s with the top bits set.
        for s_bytes in [
            l_bytes.clone(),
            {
                let mut s = words(&sig[32..]);
                let carry = {
                    let mut c = 0u64;
                    for (x, y) in s.iter_mut().zip(L) {
                        c += u64::from(*x) + u64::from(y);
                        *x = c as u32;
                        c >>= 32;
                    }
                    c
                };
                assert_eq!(carry, 0);
                s.iter().flat_map(|w| w.to_le_bytes()).collect()
            },
            {
                let mut s = sig[32..].to_vec();
                s[31] |= 0xe0;
                s
            },
        ] {
            let mut s = sig;
            s[32..].copy_from_slice(&s_bytes);
            assert_eq!(agree(&pubkey, &msg, &s), Err(VerifyError::BadSignature));
        }
        // Keys: y = 0, 1 (identity), −1, p − 1 + 2 (non-canonical y), all ones,
        // with and without the sign bit; any signature.
        let mut ys: Vec<[u8; 32]> = Vec::new();
        let p_bytes: Vec<u8> = P.iter().flat_map(|w| w.to_le_bytes()).collect();
        for add in [0u8, 1, 2, 3, 18, 19, 20] {
            let mut y = [0u8; 32];
            y[0] = add;
            ys.push(y);
            let mut y: [u8; 32] = p_bytes.clone().try_into().unwrap();
            y[0] = y[0].wrapping_add(add);
            ys.push(y);
        }
        ys.push([0xff; 32]);
        ys.push([0x7f; 32]);
        for y in ys {
            for sign in [0u8, 0x80] {
                let mut k = y;
                k[31] = (k[31] & 0x7f) | sign;
                agree(&k, &msg, &sig).ok();
                // With the identity as key, R = [s]B verifies for any message
                // (cofactorless check, small-order keys allowed as in dalek).
                let mut forged = [0u8; 64];
                forged[..32].copy_from_slice(&base().compress());
                forged[32] = 1;
                agree(&k, &msg, &forged).ok();
            }
        }
        // The identity key and R = B, s = 1: accepted by both.
        let mut id = [0u8; 32];
        id[0] = 1;
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(&base().compress());
        forged[32] = 1;
        assert_eq!(agree(&id, &msg, &forged), Ok(()));
        // R not canonical (y + p for a small y): refused by both.
        let mut s = sig;
        s[..32].copy_from_slice(&p_bytes);
        s[0] = s[0].wrapping_add(1);
        assert!(agree(&pubkey, &msg, &s).is_err());
    }
}
