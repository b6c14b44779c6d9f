//! ECDSA P-256 verification with 32-bit limbs, verify only: the backend of
//! feature `ecc256-compact` on Arm cores without P256-Cortex-M4's assembly
//! (Cortex-M0/M0+/M3), where RustCrypto's `p256` with `crypto-bigint` is
//! about 12 KB of the bootloader and 10.6 M instructions per check.
//!
//! It accepts exactly what the RustCrypto path
//! (`VerifyingKey::from_affine` + `verify_prehash`) accepts, and reports the
//! same errors: the key is X ‖ Y, both below p, on the curve
//! ([`VerifyError::BadPublicKey`] otherwise); r and s are in [1, n − 1]; the
//! digest's leftmost 256 bits, modulo n, are e (a digest shorter than 32
//! bytes is right-aligned, one shorter than 16 refused); with w = s⁻¹,
//! R = [e·w]G + [r·w]Q must not be the point at infinity and its x modulo n
//! must be r ([`VerifyError::BadSignature`] otherwise). High-S signatures are
//! accepted, as wolfBoot accepts them. Only public data is handled, so the
//! code is variable time: width-5 NAF digits of both scalars over one chain
//! of doublings, Jacobian coordinates, no inversion modulo p (x(R) = r is
//! checked as X ≡ r·Z², or (r + n)·Z² when r + n < p).
//!
//! Arithmetic modulo p and modulo n is Montgomery multiplication (one code
//! path for both moduli, 2 × 64 multiply-accumulates). The tests compare
//! every verdict with RustCrypto's on valid, bit-flipped, random and
//! edge-case inputs; on the chip, `cargo xtask ecdsa-check --board
//! mps2-an385` runs the 87 cases of `xtask/src/ecdsa_check.rs` through it.

use crate::error::VerifyError;
use crate::limbs::{below, mac, naf, sub_words};

type Limbs = [u32; 8];

/// A modulus and its Montgomery constants (R = 2^256).
struct Modulus {
    m: Limbs,
    /// −m⁻¹ mod 2^32.
    m0inv: u32,
    /// R² mod m: multiplying by it enters the Montgomery domain.
    r2: Limbs,
}

impl Modulus {
    // Evaluated at compile time (the moduli are constants): an index out of
    // range would be a build error, not a panic.
    #[allow(clippy::indexing_slicing)]
    const fn new(m: Limbs) -> Modulus {
        // Newton's iteration for m⁻¹ mod 2^32 (m odd): 5 steps from 1.
        let mut inv: u32 = 1;
        let mut i = 0;
        while i < 5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(m[0].wrapping_mul(inv)));
            i += 1;
        }
        // R² mod m: 1 doubled 512 times modulo m.
        let mut r2 = [0u32; 8];
        r2[0] = 1;
        let mut k = 0;
        while k < 512 {
            let mut carry = 0u32;
            let mut j = 0;
            while j < 8 {
                let next = r2[j] >> 31;
                r2[j] = (r2[j] << 1) | carry;
                carry = next;
                j += 1;
            }
            if carry == 1 || !const_below(&r2, &m) {
                let mut borrow = 0u32;
                let mut j = 0;
                while j < 8 {
                    let (d1, b1) = r2[j].overflowing_sub(m[j]);
                    let (d2, b2) = d1.overflowing_sub(borrow);
                    r2[j] = d2;
                    borrow = (b1 | b2) as u32;
                    j += 1;
                }
            }
            k += 1;
        }
        Modulus {
            m,
            m0inv: inv.wrapping_neg(),
            r2,
        }
    }

    /// a·b·R⁻¹ mod m, for a, b < m (CIOS: a word of a at a time, each step
    /// adding a·b and a multiple of m that clears the lowest limb).
    #[allow(clippy::indexing_slicing)] // constant indices below 8
    fn mul(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut t = [0u32; 8];
        let mut top = 0u32;
        for &ai in a {
            let mut c = 0;
            unroll8!(J => {
                (t[J], c) = mac(t[J], ai, b[J], c);
            });
            let (s, o) = top.overflowing_add(c);
            let over = u32::from(o);
            let q = t[0].wrapping_mul(self.m0inv);
            let (_, mut c) = mac(t[0], q, self.m[0], 0);
            unroll8!(J => {
                if J < 7 {
                    // (J + 1) % 8: J + 1 here; the modulo keeps the
                    // excluded J = 7 in range for the lints.
                    (t[J], c) = mac(t[(J + 1) % 8], q, self.m[(J + 1) % 8], c);
                }
            });
            let (s, o) = s.overflowing_add(c);
            t[7] = s;
            top = over + u32::from(o);
        }
        // Below 2m: one subtraction at most.
        let (d, borrow) = sub_limbs(&t, &self.m);
        if top != 0 || !borrow {
            d
        } else {
            t
        }
    }

    /// a + b mod m (a, b < m).
    fn add(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let (r, carry) = add_limbs(a, b);
        let (d, borrow) = sub_limbs(&r, &self.m);
        if carry || !borrow {
            d
        } else {
            r
        }
    }

    /// a − b mod m (a, b < m).
    fn sub(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let (r, borrow) = sub_limbs(a, b);
        if borrow {
            add_limbs(&r, &self.m).0
        } else {
            r
        }
    }

    /// Into the Montgomery domain (a < m).
    fn to_mont(&self, a: &Limbs) -> Limbs {
        self.mul(a, &self.r2)
    }

    /// Out of the Montgomery domain.
    #[cfg(test)]
    fn out_of_mont(&self, a: &Limbs) -> Limbs {
        self.mul(a, &ONE)
    }

    /// a^e, a and the result in the Montgomery domain (left to right,
    /// variable time: the exponents are public constants).
    fn pow(&self, a: &Limbs, e: &Limbs) -> Limbs {
        let mut r = self.to_mont(&ONE);
        for word in e.iter().rev() {
            for bit in (0..32).rev() {
                r = self.mul(&r, &r);
                if word >> bit & 1 == 1 {
                    r = self.mul(&r, a);
                }
            }
        }
        r
    }
}

/// a + b and the carry out, limbs in registers.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // constant indices below 8
fn add_limbs(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut r = [0u32; 8];
    let mut c = 0;
    unroll8!(J => {
        (r[J], c) = mac(a[J], b[J], 1, c);
    });
    (r, c != 0)
}

/// a − b and whether it borrowed, limbs in registers.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // constant indices below 8
fn sub_limbs(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut r = [0u32; 8];
    let mut borrow = false;
    unroll8!(J => {
        let (d1, b1) = a[J].overflowing_sub(b[J]);
        let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
        r[J] = d2;
        borrow = b1 | b2;
    });
    (r, borrow)
}

/// [`below`] for constant evaluation (as [`Modulus::new`]).
#[allow(clippy::indexing_slicing)]
const fn const_below(a: &Limbs, b: &Limbs) -> bool {
    let mut i = 8;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

const ONE: Limbs = [1, 0, 0, 0, 0, 0, 0, 0];
const ZERO: Limbs = [0; 8];

/// p = 2^256 − 2^224 + 2^192 + 2^96 − 1.
const P: Modulus = Modulus::new([
    0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0xffffffff,
]);
/// n, the order of G.
const N: Modulus = Modulus::new([
    0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000, 0xffffffff,
]);
/// The curve's b (y² = x³ − 3x + b).
const B: Limbs = [
    0x27d2604b, 0x3bce3c3e, 0xcc53b0f6, 0x651d06b0, 0x769886bc, 0xb3ebbd55, 0xaa3a93e7, 0x5ac635d8,
];
/// The generator G.
const GX: Limbs = [
    0xd898c296, 0xf4a13945, 0x2deb33a0, 0x77037d81, 0x63a440f2, 0xf8bce6e5, 0xe12c4247, 0x6b17d1f2,
];
const GY: Limbs = [
    0x37bf51f5, 0xcbb64068, 0x6b315ece, 0x2bce3357, 0x7c0f9e16, 0x8ee7eb4a, 0xfe1a7f9b, 0x4fe342e2,
];

/// 32 big-endian bytes as limbs.
fn from_be(bytes: &[u8]) -> Limbs {
    let mut out = [0u32; 8];
    for (w, chunk) in out.iter_mut().zip(bytes.rchunks_exact(4)) {
        if let [a, b, c, d] = *chunk {
            *w = u32::from_be_bytes([a, b, c, d]);
        }
    }
    out
}

fn is_zero(a: &Limbs) -> bool {
    a.iter().all(|w| *w == 0)
}

/// A point in Jacobian coordinates, all in the Montgomery domain modulo p:
/// x = X/Z², y = Y/Z³; Z = 0 is the point at infinity.
#[derive(Clone, Copy, Debug)]
struct Point {
    x: Limbs,
    y: Limbs,
    z: Limbs,
}

const INFINITY: Point = Point {
    x: ZERO,
    y: ZERO,
    z: ZERO,
};

impl Point {
    /// An affine point (plain coordinates below p) into Jacobian form.
    fn from_affine(x: &Limbs, y: &Limbs) -> Point {
        Point {
            x: P.to_mont(x),
            y: P.to_mont(y),
            z: P.to_mont(&ONE),
        }
    }

    /// self ← 2·self ("dbl-2001-b", a = −3); infinity stays infinity. In
    /// place: a point returned by value is a `memcpy` call at opt-level "z".
    fn double(&mut self) {
        let delta = P.mul(&self.z, &self.z);
        let gamma = P.mul(&self.y, &self.y);
        let beta = P.mul(&self.x, &gamma);
        let t = P.mul(&P.sub(&self.x, &delta), &P.add(&self.x, &delta));
        let alpha = P.add(&P.add(&t, &t), &t);
        let beta4 = P.add(&beta, &beta);
        let beta4 = P.add(&beta4, &beta4);
        let yz = P.add(&self.y, &self.z);
        self.z = P.mul(&yz, &yz);
        self.z = P.sub(&P.sub(&self.z, &gamma), &delta);
        self.x = P.mul(&alpha, &alpha);
        self.x = P.sub(&self.x, &P.add(&beta4, &beta4));
        let gamma2 = P.mul(&gamma, &gamma);
        let gamma2_2 = P.add(&gamma2, &gamma2);
        let gamma2_4 = P.add(&gamma2_2, &gamma2_2);
        self.y = P.mul(&alpha, &P.sub(&beta4, &self.x));
        self.y = P.sub(&self.y, &P.add(&gamma2_4, &gamma2_4));
    }

    /// self ← self + q, or self − q with `minus` ("add-2007-bl"), with the
    /// cases the formula does not cover: either point at infinity, equal
    /// points (doubled), opposite points.
    fn add(&mut self, q: &Point, minus: bool) {
        let neg_y;
        let qy = if minus {
            neg_y = P.sub(&ZERO, &q.y);
            &neg_y
        } else {
            &q.y
        };
        if is_zero(&q.z) {
            return;
        }
        if is_zero(&self.z) {
            *self = *q;
            self.y = *qy;
            return;
        }
        let z1z1 = P.mul(&self.z, &self.z);
        let z2z2 = P.mul(&q.z, &q.z);
        let u1 = P.mul(&self.x, &z2z2);
        let u2 = P.mul(&q.x, &z1z1);
        let s1 = P.mul(&P.mul(&self.y, &q.z), &z2z2);
        let s2 = P.mul(&P.mul(qy, &self.z), &z1z1);
        let h = P.sub(&u2, &u1);
        let s_diff = P.sub(&s2, &s1);
        if is_zero(&h) {
            if is_zero(&s_diff) {
                self.double();
            } else {
                *self = INFINITY;
            }
            return;
        }
        let h2 = P.add(&h, &h);
        let i = P.mul(&h2, &h2);
        let j = P.mul(&h, &i);
        let r = P.add(&s_diff, &s_diff);
        let v = P.mul(&u1, &i);
        let zz = P.add(&self.z, &q.z);
        self.z = P.mul(&zz, &zz);
        self.z = P.sub(&P.sub(&self.z, &z1z1), &z2z2);
        self.z = P.mul(&self.z, &h);
        self.x = P.mul(&r, &r);
        self.x = P.sub(&P.sub(&self.x, &j), &P.add(&v, &v));
        let s1j = P.mul(&s1, &j);
        self.y = P.mul(&r, &P.sub(&v, &self.x));
        self.y = P.sub(&self.y, &P.add(&s1j, &s1j));
    }

    /// P, 3P, 5P, ..., 15P: the odd multiples a width-5 NAF digit selects.
    fn odd_multiples(&self) -> [Point; 8] {
        let mut twice = *self;
        twice.double();
        let mut table = [*self; 8];
        let mut acc = *self;
        for entry in table.iter_mut().skip(1) {
            acc.add(&twice, false);
            *entry = acc;
        }
        table
    }
}

/// [a]G + [b]Q, variable time.
fn double_scalar_mul(a: &Limbs, b: &Limbs, q: &Point) -> Point {
    // 257 digits: u1 and u2 may reach 2^255, and the last carry is digit 256.
    let a_naf = naf::<257>(a);
    let b_naf = naf::<257>(b);
    let Some(top) = a_naf
        .iter()
        .zip(&b_naf)
        .rposition(|(x, y)| *x != 0 || *y != 0)
    else {
        return INFINITY;
    };
    let g_table = Point::from_affine(&GX, &GY).odd_multiples();
    let q_table = q.odd_multiples();
    let mut r = INFINITY;
    for (da, db) in a_naf.iter().zip(&b_naf).take(top + 1).rev() {
        r.double();
        for (digit, table) in [(*da, &g_table), (*db, &q_table)] {
            if let Some(t) = table.get(usize::from(digit.unsigned_abs() / 2)) {
                if digit != 0 {
                    r.add(t, digit < 0);
                }
            }
        }
    }
    r
}

/// Verify the raw signature r ‖ s (64 bytes) over `digest` with the raw key
/// X ‖ Y (64 bytes, big-endian coordinates).
pub fn verify(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    // The key: both coordinates below p, on the curve.
    let (kx, ky) = pubkey
        .split_first_chunk::<32>()
        .filter(|(_, y)| y.len() == 32)
        .ok_or(VerifyError::BadPublicKey)?;
    let (x, y) = (from_be(kx), from_be(ky));
    if !below(&x, &P.m) || !below(&y, &P.m) {
        return Err(VerifyError::BadPublicKey);
    }
    let q = Point::from_affine(&x, &y);
    // y² = x³ − 3x + b, in the Montgomery domain.
    let x3 = P.mul(&P.mul(&q.x, &q.x), &q.x);
    let three_x = P.add(&P.add(&q.x, &q.x), &q.x);
    let rhs = P.add(&P.sub(&x3, &three_x), &P.to_mont(&B));
    if P.mul(&q.y, &q.y) != rhs {
        return Err(VerifyError::BadPublicKey);
    }

    // The signature: r, s in [1, n − 1].
    let (rb, sb) = sig
        .split_first_chunk::<32>()
        .filter(|(_, s)| s.len() == 32)
        .ok_or(VerifyError::BadSignature)?;
    let (r, s) = (from_be(rb), from_be(sb));
    for v in [&r, &s] {
        if is_zero(v) || !below(v, &N.m) {
            return Err(VerifyError::BadSignature);
        }
    }

    // e: the digest's leftmost 256 bits (right-aligned when shorter), mod n.
    if digest.len() < 16 {
        return Err(VerifyError::BadSignature);
    }
    let mut field = [0u8; 32];
    let n = digest.len().min(32);
    if let (Some(dst), Some(src)) = (field.get_mut(32 - n..), digest.get(..n)) {
        dst.copy_from_slice(src);
    }
    let mut e = from_be(&field);
    if !below(&e, &N.m) {
        sub_words(&mut e, &N.m);
    }

    // w = s^(n − 2); u1 = e·w, u2 = r·w (plain values: one factor each is
    // in the Montgomery domain).
    let mut n_minus_2 = N.m;
    sub_words(&mut n_minus_2, &[2, 0, 0, 0, 0, 0, 0, 0]);
    let w = N.pow(&N.to_mont(&s), &n_minus_2);
    let u1 = N.mul(&e, &w);
    let u2 = N.mul(&r, &w);

    let point = double_scalar_mul(&u1, &u2, &q);
    if is_zero(&point.z) {
        return Err(VerifyError::BadSignature);
    }
    // x(R) mod n = r: X = x·Z² for x = r, or x = r + n when that is below p.
    let zz = P.mul(&point.z, &point.z);
    let matches = |x: &Limbs| P.mul(&P.to_mont(x), &zz) == point.x;
    let mut r_plus_n = [0u32; 8];
    let mut c = 0;
    for ((o, a), b) in r_plus_n.iter_mut().zip(&r).zip(&N.m) {
        (*o, c) = mac(*a, *b, 1, c);
    }
    if matches(&r) || (c == 0 && below(&r_plus_n, &P.m) && matches(&r_plus_n)) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
    use std::vec::Vec;

    use crate::limbs::tests::Rng;

    /// RustCrypto's verdict (the `ecc256` path of `signature.rs`).
    fn rustcrypto(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        use p256::elliptic_curve::point::AffineCoordinates as _;
        let (x, y) = pubkey.split_at(32);
        let point: Option<p256::AffinePoint> = p256::AffinePoint::from_coordinates(
            &p256::FieldBytes::try_from(x).unwrap(),
            &p256::FieldBytes::try_from(y).unwrap(),
        )
        .into();
        let point = point.ok_or(VerifyError::BadPublicKey)?;
        let key = VerifyingKey::from_affine(point).map_err(|_| VerifyError::BadPublicKey)?;
        let sig = Signature::from_slice(sig).map_err(|_| VerifyError::BadSignature)?;
        key.verify_prehash(digest, &sig)
            .map_err(|_| VerifyError::BadSignature)
    }

    fn agree(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        let ours = verify(pubkey, digest, sig);
        assert_eq!(
            ours,
            rustcrypto(pubkey, digest, sig),
            "key {pubkey:02x?} digest {digest:02x?} sig {sig:02x?}"
        );
        ours
    }

    fn raw_key(key: &SigningKey) -> Vec<u8> {
        key.verifying_key().to_sec1_point(false).as_bytes()[1..].to_vec()
    }

    fn be(l: &Limbs) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (o, w) in out.rchunks_exact_mut(4).zip(l) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    #[test]
    fn constants() {
        // Montgomery constants: m·(−m⁻¹) ≡ −1, R² mod m by its definition.
        for m in [&P, &N] {
            assert_eq!(m.m[0].wrapping_mul(m.m0inv), u32::MAX);
            assert_eq!(m.out_of_mont(&m.to_mont(&ONE)), ONE);
        }
        // G on the curve; n·G = infinity; (n − 1)·G = −G.
        let g = Point::from_affine(&GX, &GY);
        let x3 = P.mul(&P.mul(&g.x, &g.x), &g.x);
        let rhs = P.add(
            &P.sub(&x3, &P.add(&P.add(&g.x, &g.x), &g.x)),
            &P.to_mont(&B),
        );
        assert_eq!(P.mul(&g.y, &g.y), rhs);
        assert!(is_zero(&double_scalar_mul(&N.m, &ZERO, &g).z));
        let mut n1 = N.m;
        sub_words(&mut n1, &ONE);
        let mut minus_g = double_scalar_mul(&n1, &ZERO, &g);
        minus_g.add(&g, false);
        assert!(is_zero(&minus_g.z));
        let mut g_minus_g = g;
        g_minus_g.add(&g, true);
        assert!(is_zero(&g_minus_g.z));
        // Adding a point to itself doubles it (the case the addition formula
        // leaves out), also inside the scalar multiplication: G + G.
        let mut two_g = g;
        two_g.double();
        let mut g_plus_g = g;
        g_plus_g.add(&g, false);
        assert!(same(&g_plus_g, &two_g));
        assert!(same(&double_scalar_mul(&ONE, &ONE, &g), &two_g));
        let mut three_g = two_g;
        three_g.add(&g, false);
        assert!(same(
            &double_scalar_mul(&[3, 0, 0, 0, 0, 0, 0, 0], &ZERO, &g),
            &three_g
        ));
        assert!(same(
            &double_scalar_mul(&ONE, &[2, 0, 0, 0, 0, 0, 0, 0], &g),
            &three_g
        ));
        assert!(!same(&three_g, &two_g));
        // 3G − G = 2G, and −G + 3G = 2G (the infinity and sign paths).
        let mut d = three_g;
        d.add(&g, true);
        assert!(same(&d, &two_g));
        let mut e = INFINITY;
        e.add(&g, true);
        e.add(&three_g, false);
        assert!(same(&e, &two_g));
    }

    /// Whether two Jacobian points are the same affine point.
    fn same(a: &Point, b: &Point) -> bool {
        let (za2, zb2) = (P.mul(&a.z, &a.z), P.mul(&b.z, &b.z));
        let (za3, zb3) = (P.mul(&za2, &a.z), P.mul(&zb2, &b.z));
        !is_zero(&a.z)
            && !is_zero(&b.z)
            && P.mul(&a.x, &zb2) == P.mul(&b.x, &za2)
            && P.mul(&a.y, &zb3) == P.mul(&b.y, &za3)
    }

    #[test]
    fn modular_arithmetic_is_consistent() {
        let mut rng = Rng(5);
        for _ in 0..500 {
            for m in [&P, &N] {
                let mut a = from_be(&rng.bytes::<32>());
                let mut b = from_be(&rng.bytes::<32>());
                while !below(&a, &m.m) {
                    sub_words(&mut a, &m.m);
                }
                while !below(&b, &m.m) {
                    sub_words(&mut b, &m.m);
                }
                let (am, bm) = (m.to_mont(&a), m.to_mont(&b));
                assert_eq!(m.out_of_mont(&am), a);
                assert_eq!(m.mul(&am, &bm), m.mul(&bm, &am));
                assert_eq!(m.sub(&m.add(&a, &b), &b), a);
                // (a + b)·b = a·b + b·b
                let lhs = m.mul(&m.add(&am, &bm), &bm);
                let rhs = m.add(&m.mul(&am, &bm), &m.mul(&bm, &bm));
                assert_eq!(lhs, rhs);
                if !is_zero(&a) {
                    let mut e = m.m;
                    sub_words(&mut e, &[2, 0, 0, 0, 0, 0, 0, 0]);
                    let inv = m.pow(&am, &e);
                    assert_eq!(m.out_of_mont(&m.mul(&am, &inv)), ONE);
                }
            }
        }
    }

    #[test]
    fn valid_signatures_verify_and_changes_are_refused() {
        let mut rng = Rng(0x256);
        for i in 0..64 {
            let Ok(key) = SigningKey::from_slice(&rng.bytes::<32>()) else {
                continue;
            };
            let pubkey = raw_key(&key);
            // SHA-256- and SHA-384-sized digests.
            let digest: Vec<u8> = if i % 2 == 0 {
                rng.bytes::<32>().to_vec()
            } else {
                rng.bytes::<48>().to_vec()
            };
            let sig: Signature = key.sign_prehash(&digest).unwrap();
            let sig = sig.to_bytes().to_vec();
            assert_eq!(agree(&pubkey, &digest, &sig), Ok(()));
            // The high-S twin is accepted too.
            let (r, s) = sig.split_at(32);
            let mut high = r.to_vec();
            let mut ns = N.m;
            sub_words(&mut ns, &from_be(s));
            high.extend_from_slice(&be(&ns));
            assert_eq!(agree(&pubkey, &digest, &high), Ok(()));
            for bit in [0, 9, 255, 256, 300, 511] {
                let mut s2 = sig.clone();
                s2[bit / 8] ^= 1 << (bit % 8);
                assert!(agree(&pubkey, &digest, &s2).is_err());
            }
            let mut k = pubkey.clone();
            k[i % 64] ^= 1 << (i % 8);
            assert!(agree(&k, &digest, &sig).is_err());
            let mut d = digest.clone();
            d[i % 32] ^= 0x10;
            assert!(agree(&pubkey, &d, &sig).is_err());
        }
    }

    #[test]
    fn edge_cases_get_rustcrypto_verdicts() {
        let key = SigningKey::from_slice(&[7; 32]).unwrap();
        let pubkey = raw_key(&key);
        let digest = [0x42u8; 32];
        let sig: Signature = key.sign_prehash(&digest).unwrap();
        let sig = sig.to_bytes().to_vec();
        let n = be(&N.m);
        let p = be(&P.m);
        let mut n1 = N.m;
        sub_words(&mut n1, &ONE);
        let n_minus_1 = be(&n1);
        let mut n_plus_1 = N.m;
        n_plus_1[0] += 1;
        let n_plus_1 = be(&n_plus_1);
        // r or s = 0, n − 1, n, n + 1, all ones.
        for v in [[0u8; 32], n_minus_1, n, n_plus_1, [0xff; 32]] {
            for half in 0..2 {
                let mut s = sig.clone();
                s[half * 32..half * 32 + 32].copy_from_slice(&v);
                agree(&pubkey, &digest, &s).ok();
            }
        }
        // Keys: x or y = p, all ones; the zero key; off the curve.
        for v in [p, [0xff; 32], [0; 32]] {
            for half in 0..2 {
                let mut k = pubkey.clone();
                k[half * 32..half * 32 + 32].copy_from_slice(&v);
                assert_eq!(agree(&k, &digest, &sig), Err(VerifyError::BadPublicKey));
            }
        }
        assert_eq!(
            agree(&[0u8; 64], &digest, &sig),
            Err(VerifyError::BadPublicKey)
        );
        // Digests: the value n (reduces to 0), all ones, short ones.
        for d in [
            &n[..],
            &[0xff; 32][..],
            &[0x11; 16][..],
            &[0x22; 20][..],
            &[0x33; 15][..],
        ] {
            let s: Signature = key.sign_prehash(&[0x5a; 32]).unwrap();
            agree(&pubkey, d, &s.to_bytes()).ok();
            if d.len() >= 16 {
                let s: Signature = key.sign_prehash(d).unwrap();
                assert_eq!(agree(&pubkey, d, &s.to_bytes()), Ok(()));
            }
        }
        // The generator as the key, r = x(G) (e·w·G + r·w·G = G when e = 0).
        let g = [be(&GX), be(&GY)].concat();
        let mut forged = be(&GX).to_vec();
        forged.extend_from_slice(&be(&ONE));
        agree(&g, &[0u8; 32], &forged).ok();
        agree(&g, &n, &forged).ok();
    }

    #[test]
    fn random_inputs_get_rustcrypto_verdicts() {
        let mut rng = Rng(77);
        let key = SigningKey::from_slice(&[3; 32]).unwrap();
        let pubkey = raw_key(&key);
        for _ in 0..300 {
            let sig: [u8; 64] = rng.bytes();
            agree(&pubkey, &rng.bytes::<32>(), &sig).ok();
            agree(&rng.bytes::<64>(), &rng.bytes::<32>(), &sig).ok();
        }
    }
}
