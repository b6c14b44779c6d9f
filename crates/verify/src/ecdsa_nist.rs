//! ECDSA verification over NIST P-256 and P-384 with 32-bit limbs, verify
//! only: the backend of features `ecc256-compact` and `ecc384-compact` on
//! Arm cores, where RustCrypto's `p256` / `p384` with `crypto-bigint` are
//! 9 to 12 KB of the bootloader and 10.6 M (P-256, Cortex-M3) to 36 M
//! (P-384) instructions per check. (P-256 on a Cortex-M4 runs on
//! P256-Cortex-M4's assembly, faster still.)
//!
//! It accepts exactly what the RustCrypto path
//! (`VerifyingKey::from_affine` + `verify_prehash`) accepts, and reports the
//! same errors: the key is X ‖ Y, both below p, on the curve
//! ([`VerifyError::BadPublicKey`] otherwise); r and s are in [1, n − 1]; e
//! is the digest's leftmost field-size bits modulo n (a shorter digest is
//! right-aligned, one shorter than half the field size refused); with
//! w = s⁻¹, R = [e·w]G + [r·w]Q must not be the point at infinity and its x
//! modulo n must be r ([`VerifyError::BadSignature`] otherwise). High-S
//! signatures are accepted, as wolfBoot accepts them. Only public data is
//! handled, so the code is variable time: width-5 NAF digits of both
//! scalars over one chain of doublings, Jacobian coordinates, no inversion
//! modulo p (x(R) = r is checked as X ≡ r·Z², or (r + n)·Z² when r + n < p).
//!
//! Arithmetic modulo p and modulo n is Montgomery multiplication (one code
//! path for every modulus, generic over the number of limbs). The tests
//! compare every verdict with RustCrypto's on valid, bit-flipped, random and
//! edge-case inputs for both curves; on the chip, `cargo xtask ecdsa-check
//! --board mps2-an385` runs the 87 P-256 cases of `xtask/src/ecdsa_check.rs`
//! through it, and the `ecdsa_nist` fuzz target keeps comparing.

use crate::error::VerifyError;
use crate::limbs::{below, mac, naf, sub_words};

/// A modulus of L limbs and its Montgomery constants (R = 2^(32·L)).
struct Modulus<const L: usize> {
    m: [u32; L],
    /// −m⁻¹ mod 2^32.
    m0inv: u32,
    /// R² mod m: multiplying by it enters the Montgomery domain.
    r2: [u32; L],
}

impl<const L: usize> Modulus<L> {
    // Evaluated at compile time (the moduli are constants): an index out of
    // range would be a build error, not a panic.
    #[allow(clippy::indexing_slicing)]
    const fn new(m: [u32; L]) -> Self {
        // Newton's iteration for m⁻¹ mod 2^32 (m odd): 5 steps from 1.
        let mut inv: u32 = 1;
        let mut i = 0;
        while i < 5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(m[0].wrapping_mul(inv)));
            i += 1;
        }
        // R² mod m: 1 doubled 64·L times modulo m.
        let mut r2 = [0u32; L];
        r2[0] = 1;
        let mut k = 0;
        while k < 64 * L {
            let mut carry = 0u32;
            let mut j = 0;
            while j < L {
                let next = r2[j] >> 31;
                r2[j] = (r2[j] << 1) | carry;
                carry = next;
                j += 1;
            }
            if carry == 1 || !const_below(&r2, &m) {
                let mut borrow = 0u32;
                let mut j = 0;
                while j < L {
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
}

/// The arithmetic modulo m, written out for each limb count (`unroll8!`,
/// `unroll12!`): with the limbs in registers it takes half the
/// instructions of loops over limbs in memory (P-256 on the Cortex-M3:
/// 10.1 M instructions per check with loops, 5.2 M written out).
trait MontMul<const L: usize> {
    /// a·b·R⁻¹ mod m, for a, b < m (Montgomery multiplication, CIOS: a word
    /// of a at a time, each step adding a·b and a multiple of m that clears
    /// the lowest limb).
    fn mul(&self, a: &[u32; L], b: &[u32; L]) -> [u32; L];
    /// a + b mod m (a, b < m).
    fn add(&self, a: &[u32; L], b: &[u32; L]) -> [u32; L];
    /// a − b mod m (a, b < m).
    fn sub(&self, a: &[u32; L], b: &[u32; L]) -> [u32; L];
}

macro_rules! mont_mul {
    ($l:literal, $unroll:ident) => {
        impl MontMul<$l> for Modulus<$l> {
            #[allow(clippy::indexing_slicing)] // constant indices below the limb count
            fn mul(&self, a: &[u32; $l], b: &[u32; $l]) -> [u32; $l] {
                let mut t = [0u32; $l];
                let mut top = 0u32;
                for &ai in a {
                    let mut c = 0;
                    $unroll!(J => {
                        (t[J], c) = mac(t[J], ai, b[J], c);
                    });
                    let (s, o) = top.overflowing_add(c);
                    let over = u32::from(o);
                    let q = t[0].wrapping_mul(self.m0inv);
                    let (_, mut c) = mac(t[0], q, self.m[0], 0);
                    $unroll!(J => {
                        if J < $l - 1 {
                            // (J + 1) % $l: J + 1 here; the modulo keeps the
                            // excluded last J in range for the lints.
                            (t[J], c) = mac(t[(J + 1) % $l], q, self.m[(J + 1) % $l], c);
                        }
                    });
                    let (s, o) = s.overflowing_add(c);
                    t[$l - 1] = s;
                    top = over + u32::from(o);
                }
                // Below 2m: one subtraction at most.
                let (d, borrow) = Self::sub_limbs(&t, &self.m);
                if borrow && top == 0 {
                    t
                } else {
                    d
                }
            }

            fn add(&self, a: &[u32; $l], b: &[u32; $l]) -> [u32; $l] {
                let (r, carry) = Self::add_limbs(a, b);
                let (d, borrow) = Self::sub_limbs(&r, &self.m);
                if borrow && !carry {
                    r
                } else {
                    d
                }
            }

            fn sub(&self, a: &[u32; $l], b: &[u32; $l]) -> [u32; $l] {
                let (r, borrow) = Self::sub_limbs(a, b);
                if borrow {
                    Self::add_limbs(&r, &self.m).0
                } else {
                    r
                }
            }
        }

        impl Modulus<$l> {
            /// a + b and the carry out.
            #[inline(always)]
            #[allow(clippy::indexing_slicing)] // constant indices below the limb count
            fn add_limbs(a: &[u32; $l], b: &[u32; $l]) -> ([u32; $l], bool) {
                let mut r = [0u32; $l];
                let mut c = 0;
                $unroll!(J => {
                    (r[J], c) = mac(a[J], b[J], 1, c);
                });
                (r, c != 0)
            }

            /// a − b and whether it borrowed.
            #[inline(always)]
            #[allow(clippy::indexing_slicing)] // constant indices below the limb count
            fn sub_limbs(a: &[u32; $l], b: &[u32; $l]) -> ([u32; $l], bool) {
                let mut r = [0u32; $l];
                let mut borrow = false;
                $unroll!(J => {
                    let (d1, b1) = a[J].overflowing_sub(b[J]);
                    let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
                    r[J] = d2;
                    borrow = b1 | b2;
                });
                (r, borrow)
            }
        }
    };
}

mont_mul!(8, unroll8);
mont_mul!(12, unroll12);

impl<const L: usize> Modulus<L>
where
    Self: MontMul<L>,
{
    /// Into the Montgomery domain (a < m).
    fn to_mont(&self, a: &[u32; L]) -> [u32; L] {
        self.mul(a, &self.r2)
    }

    /// a^e, a and the result in the Montgomery domain (left to right,
    /// variable time: the exponents are public constants).
    fn pow(&self, a: &[u32; L], e: &[u32; L]) -> [u32; L] {
        let mut r = self.to_mont(&one());
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

/// r += b; whether it carried out.
fn add_words<const L: usize>(r: &mut [u32; L], b: &[u32; L]) -> bool {
    let mut c = 0;
    for (x, y) in r.iter_mut().zip(b) {
        (*x, c) = mac(*x, *y, 1, c);
    }
    c != 0
}

/// [`below`] for constant evaluation (as [`Modulus::new`]).
#[allow(clippy::indexing_slicing)]
const fn const_below<const L: usize>(a: &[u32; L], b: &[u32; L]) -> bool {
    let mut i = L;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

fn one<const L: usize>() -> [u32; L] {
    let mut v = [0u32; L];
    if let Some(w) = v.first_mut() {
        *w = 1;
    }
    v
}

fn is_zero<const L: usize>(a: &[u32; L]) -> bool {
    a.iter().all(|w| *w == 0)
}

/// Big-endian bytes (4·L of them) as limbs.
fn from_be<const L: usize>(bytes: &[u8]) -> [u32; L] {
    let mut out = [0u32; L];
    for (w, chunk) in out.iter_mut().zip(bytes.rchunks_exact(4)) {
        if let [a, b, c, d] = *chunk {
            *w = u32::from_be_bytes([a, b, c, d]);
        }
    }
    out
}

/// A short-Weierstrass curve y² = x³ − 3x + b over GF(p) of prime order n.
struct Curve<const L: usize> {
    p: Modulus<L>,
    n: Modulus<L>,
    b: [u32; L],
    gx: [u32; L],
    gy: [u32; L],
}

/// NIST P-256.
#[cfg(feature = "ecc256-compact")]
const P256: Curve<8> = Curve {
    p: Modulus::new([
        0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001,
        0xffffffff,
    ]),
    n: Modulus::new([
        0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000,
        0xffffffff,
    ]),
    b: [
        0x27d2604b, 0x3bce3c3e, 0xcc53b0f6, 0x651d06b0, 0x769886bc, 0xb3ebbd55, 0xaa3a93e7,
        0x5ac635d8,
    ],
    gx: [
        0xd898c296, 0xf4a13945, 0x2deb33a0, 0x77037d81, 0x63a440f2, 0xf8bce6e5, 0xe12c4247,
        0x6b17d1f2,
    ],
    gy: [
        0x37bf51f5, 0xcbb64068, 0x6b315ece, 0x2bce3357, 0x7c0f9e16, 0x8ee7eb4a, 0xfe1a7f9b,
        0x4fe342e2,
    ],
};

/// NIST P-384.
#[cfg(feature = "ecc384-compact")]
const P384: Curve<12> = Curve {
    p: Modulus::new([
        0xffffffff, 0x00000000, 0x00000000, 0xffffffff, 0xfffffffe, 0xffffffff, 0xffffffff,
        0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
    ]),
    n: Modulus::new([
        0xccc52973, 0xecec196a, 0x48b0a77a, 0x581a0db2, 0xf4372ddf, 0xc7634d81, 0xffffffff,
        0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
    ]),
    b: [
        0xd3ec2aef, 0x2a85c8ed, 0x8a2ed19d, 0xc656398d, 0x5013875a, 0x0314088f, 0xfe814112,
        0x181d9c6e, 0xe3f82d19, 0x988e056b, 0xe23ee7e4, 0xb3312fa7,
    ],
    gx: [
        0x72760ab7, 0x3a545e38, 0xbf55296c, 0x5502f25d, 0x82542a38, 0x59f741e0, 0x8ba79b98,
        0x6e1d3b62, 0xf320ad74, 0x8eb1c71e, 0xbe8b0537, 0xaa87ca22,
    ],
    gy: [
        0x90ea0e5f, 0x7a431d7c, 0x1d7e819d, 0x0a60b1ce, 0xb5f0b8c0, 0xe9da3113, 0x289a147c,
        0xf8f41dbd, 0x9292dc29, 0x5d9e98bf, 0x96262c6f, 0x3617de4a,
    ],
};

/// A point in Jacobian coordinates, all in the Montgomery domain modulo p:
/// x = X/Z², y = Y/Z³; Z = 0 is the point at infinity.
#[derive(Clone, Copy, Debug)]
struct Point<const L: usize> {
    x: [u32; L],
    y: [u32; L],
    z: [u32; L],
}

impl<const L: usize> Point<L>
where
    Modulus<L>: MontMul<L>,
{
    const INFINITY: Self = Point {
        x: [0; L],
        y: [0; L],
        z: [0; L],
    };

    /// An affine point (plain coordinates below p) into Jacobian form.
    fn from_affine(c: &Curve<L>, x: &[u32; L], y: &[u32; L]) -> Self {
        Point {
            x: c.p.to_mont(x),
            y: c.p.to_mont(y),
            z: c.p.to_mont(&one()),
        }
    }

    /// self ← 2·self ("dbl-2001-b", a = −3); infinity stays infinity. In
    /// place: a point returned by value is a `memcpy` call at opt-level "z".
    fn double(&mut self, c: &Curve<L>) {
        let p = &c.p;
        let delta = p.mul(&self.z, &self.z);
        let gamma = p.mul(&self.y, &self.y);
        let beta = p.mul(&self.x, &gamma);
        let t = p.mul(&p.sub(&self.x, &delta), &p.add(&self.x, &delta));
        let alpha = p.add(&p.add(&t, &t), &t);
        let beta4 = p.add(&beta, &beta);
        let beta4 = p.add(&beta4, &beta4);
        let yz = p.add(&self.y, &self.z);
        self.z = p.mul(&yz, &yz);
        self.z = p.sub(&p.sub(&self.z, &gamma), &delta);
        self.x = p.mul(&alpha, &alpha);
        self.x = p.sub(&self.x, &p.add(&beta4, &beta4));
        let gamma2 = p.mul(&gamma, &gamma);
        let gamma2_2 = p.add(&gamma2, &gamma2);
        let gamma2_4 = p.add(&gamma2_2, &gamma2_2);
        self.y = p.mul(&alpha, &p.sub(&beta4, &self.x));
        self.y = p.sub(&self.y, &p.add(&gamma2_4, &gamma2_4));
    }

    /// self ← self + q, or self − q with `minus` ("add-2007-bl"), with the
    /// cases the formula does not cover: either point at infinity, equal
    /// points (doubled), opposite points.
    fn add(&mut self, c: &Curve<L>, q: &Self, minus: bool) {
        let p = &c.p;
        let neg_y;
        let qy = if minus {
            neg_y = p.sub(&[0; L], &q.y);
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
        let z1z1 = p.mul(&self.z, &self.z);
        let z2z2 = p.mul(&q.z, &q.z);
        let u1 = p.mul(&self.x, &z2z2);
        let u2 = p.mul(&q.x, &z1z1);
        let s1 = p.mul(&p.mul(&self.y, &q.z), &z2z2);
        let s2 = p.mul(&p.mul(qy, &self.z), &z1z1);
        let h = p.sub(&u2, &u1);
        let s_diff = p.sub(&s2, &s1);
        if is_zero(&h) {
            if is_zero(&s_diff) {
                self.double(c);
            } else {
                *self = Self::INFINITY;
            }
            return;
        }
        let h2 = p.add(&h, &h);
        let i = p.mul(&h2, &h2);
        let j = p.mul(&h, &i);
        let r = p.add(&s_diff, &s_diff);
        let v = p.mul(&u1, &i);
        let zz = p.add(&self.z, &q.z);
        self.z = p.mul(&zz, &zz);
        self.z = p.sub(&p.sub(&self.z, &z1z1), &z2z2);
        self.z = p.mul(&self.z, &h);
        self.x = p.mul(&r, &r);
        self.x = p.sub(&p.sub(&self.x, &j), &p.add(&v, &v));
        let s1j = p.mul(&s1, &j);
        self.y = p.mul(&r, &p.sub(&v, &self.x));
        self.y = p.sub(&self.y, &p.add(&s1j, &s1j));
    }

    /// P, 3P, 5P, ..., 15P: the odd multiples a width-5 NAF digit selects.
    fn odd_multiples(&self, c: &Curve<L>) -> [Self; 8] {
        let mut twice = *self;
        twice.double(c);
        let mut table = [*self; 8];
        let mut acc = *self;
        for entry in table.iter_mut().skip(1) {
            acc.add(c, &twice, false);
            *entry = acc;
        }
        table
    }
}

/// [a]G + [b]Q, variable time. `D` = 32·L + 1 NAF digits (a scalar below n
/// may reach the top bit; its last carry is one digit more).
fn double_scalar_mul<const L: usize, const D: usize>(
    c: &Curve<L>,
    a: &[u32; L],
    b: &[u32; L],
    q: &Point<L>,
) -> Point<L>
where
    Modulus<L>: MontMul<L>,
{
    let a_naf = naf::<D>(a);
    let b_naf = naf::<D>(b);
    let Some(top) = a_naf
        .iter()
        .zip(&b_naf)
        .rposition(|(x, y)| *x != 0 || *y != 0)
    else {
        return Point::INFINITY;
    };
    let g_table = Point::from_affine(c, &c.gx, &c.gy).odd_multiples(c);
    let q_table = q.odd_multiples(c);
    let mut r = Point::INFINITY;
    for (da, db) in a_naf.iter().zip(&b_naf).take(top + 1).rev() {
        r.double(c);
        for (digit, table) in [(*da, &g_table), (*db, &q_table)] {
            if let Some(t) = table.get(usize::from(digit.unsigned_abs() / 2)) {
                if digit != 0 {
                    r.add(c, t, digit < 0);
                }
            }
        }
    }
    r
}

/// ECDSA P-256: the raw signature r ‖ s (64 bytes) over `digest` with the
/// raw key X ‖ Y (64 bytes, big-endian coordinates).
#[cfg(feature = "ecc256-compact")]
pub fn verify_p256(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    verify::<8, 257>(&P256, pubkey, digest, sig)
}

/// ECDSA P-384: the raw signature r ‖ s (96 bytes) over `digest` with the
/// raw key X ‖ Y (96 bytes, big-endian coordinates).
#[cfg(feature = "ecc384-compact")]
pub fn verify_p384(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    verify::<12, 385>(&P384, pubkey, digest, sig)
}

/// The check on curve `c` with L-limb coordinates (field of 4·L bytes).
fn verify<const L: usize, const D: usize>(
    c: &Curve<L>,
    pubkey: &[u8],
    digest: &[u8],
    sig: &[u8],
) -> Result<(), VerifyError>
where
    Modulus<L>: MontMul<L>,
{
    let field = 4 * L;
    let (p, n) = (&c.p, &c.n);
    // The key: both coordinates below p, on the curve.
    if pubkey.len() != 2 * field {
        return Err(VerifyError::BadPublicKey);
    }
    let (kx, ky) = pubkey.split_at(field);
    let (x, y) = (from_be(kx), from_be(ky));
    if !below(&x, &p.m) || !below(&y, &p.m) {
        return Err(VerifyError::BadPublicKey);
    }
    let q = Point::from_affine(c, &x, &y);
    // y² = x³ − 3x + b, in the Montgomery domain.
    let x3 = p.mul(&p.mul(&q.x, &q.x), &q.x);
    let three_x = p.add(&p.add(&q.x, &q.x), &q.x);
    let rhs = p.add(&p.sub(&x3, &three_x), &p.to_mont(&c.b));
    if p.mul(&q.y, &q.y) != rhs {
        return Err(VerifyError::BadPublicKey);
    }

    // The signature: r, s in [1, n − 1].
    if sig.len() != 2 * field {
        return Err(VerifyError::BadSignature);
    }
    let (rb, sb) = sig.split_at(field);
    let (r, s) = (from_be::<L>(rb), from_be::<L>(sb));
    for v in [&r, &s] {
        if is_zero(v) || !below(v, &n.m) {
            return Err(VerifyError::BadSignature);
        }
    }

    // e: the digest's leftmost field-size bits (right-aligned when
    // shorter), modulo n.
    if digest.len() < field / 2 {
        return Err(VerifyError::BadSignature);
    }
    let mut buf = [0u8; 48];
    let len = digest.len().min(field);
    if let (Some(dst), Some(src)) = (buf.get_mut(field - len..field), digest.get(..len)) {
        dst.copy_from_slice(src);
    }
    let mut e = from_be::<L>(buf.get(..field).unwrap_or_default());
    if !below(&e, &n.m) {
        sub_words(&mut e, &n.m);
    }

    // w = s^(n − 2); u1 = e·w, u2 = r·w (plain values: one factor each is
    // in the Montgomery domain).
    let mut n_minus_2 = n.m;
    let mut two = [0u32; L];
    if let Some(w) = two.first_mut() {
        *w = 2;
    }
    sub_words(&mut n_minus_2, &two);
    let w = n.pow(&n.to_mont(&s), &n_minus_2);
    let u1 = n.mul(&e, &w);
    let u2 = n.mul(&r, &w);

    let point = double_scalar_mul::<L, D>(c, &u1, &u2, &q);
    if is_zero(&point.z) {
        return Err(VerifyError::BadSignature);
    }
    // x(R) mod n = r: X = x·Z² for x = r, or x = r + n when that is below p.
    let zz = p.mul(&point.z, &point.z);
    let matches = |x: &[u32; L]| p.mul(&p.to_mont(x), &zz) == point.x;
    let mut r_plus_n = r;
    let carry = add_words(&mut r_plus_n, &n.m);
    if matches(&r) || (!carry && below(&r_plus_n, &p.m) && matches(&r_plus_n)) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(all(test, feature = "ecc256-compact", feature = "ecc384-compact"))]
mod tests {
    use super::*;
    use crate::limbs::tests::Rng;
    use std::vec::Vec;

    /// The tests of one curve against its RustCrypto crate.
    macro_rules! curve_tests {
        ($module:ident, $krate:ident, $curve:expr, $l:literal, $d:literal, $verify:path) => {
            mod $module {
                use super::*;
                use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
                use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};

                const FIELD: usize = 4 * $l;

                /// RustCrypto's verdict (the path of `signature.rs`).
                fn rustcrypto(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
                    use $krate::elliptic_curve::point::AffineCoordinates as _;
                    let (x, y) = pubkey.split_at(FIELD);
                    let point: Option<$krate::AffinePoint> =
                        $krate::AffinePoint::from_coordinates(
                            &$krate::FieldBytes::try_from(x).unwrap(),
                            &$krate::FieldBytes::try_from(y).unwrap(),
                        )
                        .into();
                    let point = point.ok_or(VerifyError::BadPublicKey)?;
                    let key =
                        VerifyingKey::from_affine(point).map_err(|_| VerifyError::BadPublicKey)?;
                    let sig = Signature::from_slice(sig).map_err(|_| VerifyError::BadSignature)?;
                    key.verify_prehash(digest, &sig)
                        .map_err(|_| VerifyError::BadSignature)
                }

                fn agree(pubkey: &[u8], digest: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
                    let ours = $verify(pubkey, digest, sig);
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

                fn be(l: &[u32; $l]) -> Vec<u8> {
                    l.iter().rev().flat_map(|w| w.to_be_bytes()).collect()
                }

                fn c() -> &'static Curve<$l> {
                    &$curve
                }

                /// Whether two Jacobian points are the same affine point.
                fn same(a: &Point<$l>, b: &Point<$l>) -> bool {
                    let p = &c().p;
                    let (za2, zb2) = (p.mul(&a.z, &a.z), p.mul(&b.z, &b.z));
                    let (za3, zb3) = (p.mul(&za2, &a.z), p.mul(&zb2, &b.z));
                    !is_zero(&a.z)
                        && !is_zero(&b.z)
                        && p.mul(&a.x, &zb2) == p.mul(&b.x, &za2)
                        && p.mul(&a.y, &zb3) == p.mul(&b.y, &za3)
                }

                fn small(v: u32) -> [u32; $l] {
                    let mut a = [0u32; $l];
                    a[0] = v;
                    a
                }

                #[test]
                fn constants() {
                    let c = c();
                    for m in [&c.p, &c.n] {
                        assert_eq!(m.m[0].wrapping_mul(m.m0inv), u32::MAX);
                        // R² mod m is what it says: R²·R⁻¹ = R, R·R⁻¹ = 1.
                        assert_eq!(m.mul(&m.to_mont(&one()), &one()), one());
                    }
                    // G on the curve; n·G = infinity; (n − 1)·G + G = infinity.
                    let g = Point::from_affine(c, &c.gx, &c.gy);
                    let p = &c.p;
                    let x3 = p.mul(&p.mul(&g.x, &g.x), &g.x);
                    let rhs = p.add(&p.sub(&x3, &p.add(&p.add(&g.x, &g.x), &g.x)), &p.to_mont(&c.b));
                    assert_eq!(p.mul(&g.y, &g.y), rhs);
                    let zero = [0u32; $l];
                    assert!(is_zero(&double_scalar_mul::<$l, $d>(c, &c.n.m, &zero, &g).z));
                    let mut n1 = c.n.m;
                    sub_words(&mut n1, &one());
                    let mut minus_g = double_scalar_mul::<$l, $d>(c, &n1, &zero, &g);
                    minus_g.add(c, &g, false);
                    assert!(is_zero(&minus_g.z));
                    // The addition's own special cases, also inside the
                    // scalar multiplication: G + G, 3G − G, −G + 3G.
                    let mut two_g = g;
                    two_g.double(c);
                    let mut g_plus_g = g;
                    g_plus_g.add(c, &g, false);
                    assert!(same(&g_plus_g, &two_g));
                    assert!(same(&double_scalar_mul::<$l, $d>(c, &one(), &one(), &g), &two_g));
                    let mut three_g = two_g;
                    three_g.add(c, &g, false);
                    assert!(same(&double_scalar_mul::<$l, $d>(c, &small(3), &zero, &g), &three_g));
                    assert!(same(&double_scalar_mul::<$l, $d>(c, &one(), &small(2), &g), &three_g));
                    assert!(!same(&three_g, &two_g));
                    let mut d = three_g;
                    d.add(c, &g, true);
                    assert!(same(&d, &two_g));
                    let mut e = Point::<$l>::INFINITY;
                    e.add(c, &g, true);
                    e.add(c, &three_g, false);
                    assert!(same(&e, &two_g));
                }

                #[test]
                fn modular_arithmetic_is_consistent() {
                    let mut rng = Rng(5);
                    let c = c();
                    for _ in 0..300 {
                        for m in [&c.p, &c.n] {
                            let mut a: [u32; $l] = [0; $l];
                            let mut b: [u32; $l] = [0; $l];
                            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                                *x = rng.next() as u32;
                                *y = rng.next() as u32;
                            }
                            while !below(&a, &m.m) {
                                sub_words(&mut a, &m.m);
                            }
                            while !below(&b, &m.m) {
                                sub_words(&mut b, &m.m);
                            }
                            let (am, bm) = (m.to_mont(&a), m.to_mont(&b));
                            assert_eq!(m.mul(&am, &one()), a);
                            assert_eq!(m.mul(&am, &bm), m.mul(&bm, &am));
                            assert_eq!(m.sub(&m.add(&a, &b), &b), a);
                            let lhs = m.mul(&m.add(&am, &bm), &bm);
                            let rhs = m.add(&m.mul(&am, &bm), &m.mul(&bm, &bm));
                            assert_eq!(lhs, rhs);
                            if !is_zero(&a) {
                                let mut e = m.m;
                                sub_words(&mut e, &small(2));
                                let inv = m.pow(&am, &e);
                                assert_eq!(m.mul(&m.mul(&am, &inv), &one()), one());
                            }
                        }
                    }
                }

                #[test]
                fn valid_signatures_verify_and_changes_are_refused() {
                    let mut rng = Rng(0x256 + $l);
                    for i in 0..48usize {
                        let secret: Vec<u8> = (0..FIELD).map(|_| rng.next() as u8).collect();
                        let Ok(key) = SigningKey::from_slice(&secret) else {
                            continue;
                        };
                        let pubkey = raw_key(&key);
                        // SHA-256-, SHA-384- and SHA-512-sized digests.
                        let len = [32, 48, 64][i % 3];
                        let digest: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                        let sig: Signature = key.sign_prehash(&digest).unwrap();
                        let sig = sig.to_bytes().to_vec();
                        assert_eq!(agree(&pubkey, &digest, &sig), Ok(()));
                        // The high-S twin is accepted too.
                        let (r, s) = sig.split_at(FIELD);
                        let mut ns = c().n.m;
                        sub_words(&mut ns, &from_be(s));
                        let high = [r.to_vec(), be(&ns)].concat();
                        assert_eq!(agree(&pubkey, &digest, &high), Ok(()));
                        for bit in [0, 9, 8 * FIELD - 1, 8 * FIELD, 8 * FIELD + 44, 16 * FIELD - 1] {
                            let mut s2 = sig.clone();
                            s2[bit / 8] ^= 1 << (bit % 8);
                            assert!(agree(&pubkey, &digest, &s2).is_err());
                        }
                        let mut k = pubkey.clone();
                        k[i % (2 * FIELD)] ^= 1 << (i % 8);
                        assert!(agree(&k, &digest, &sig).is_err());
                        let mut d = digest.clone();
                        d[i % 24] ^= 0x10;
                        assert!(agree(&pubkey, &d, &sig).is_err());
                    }
                }

                #[test]
                fn edge_cases_get_rustcrypto_verdicts() {
                    let c = c();
                    let key = SigningKey::from_slice(&[7; FIELD]).unwrap();
                    let pubkey = raw_key(&key);
                    let digest = [0x42u8; FIELD];
                    let sig: Signature = key.sign_prehash(&digest).unwrap();
                    let sig = sig.to_bytes().to_vec();
                    let n = be(&c.n.m);
                    let p = be(&c.p.m);
                    let mut n1 = c.n.m;
                    sub_words(&mut n1, &one());
                    let mut n_plus_1 = c.n.m;
                    n_plus_1[0] += 1;
                    // r or s = 0, n − 1, n, n + 1, all ones.
                    for v in [std::vec![0u8; FIELD], be(&n1), n.clone(), be(&n_plus_1), std::vec![0xff; FIELD]] {
                        for half in 0..2 {
                            let mut s = sig.clone();
                            s[half * FIELD..(half + 1) * FIELD].copy_from_slice(&v);
                            agree(&pubkey, &digest, &s).ok();
                        }
                    }
                    // Keys: a coordinate p, all ones, zero; the zero key.
                    for v in [p.clone(), std::vec![0xff; FIELD], std::vec![0; FIELD]] {
                        for half in 0..2 {
                            let mut k = pubkey.clone();
                            k[half * FIELD..(half + 1) * FIELD].copy_from_slice(&v);
                            assert_eq!(agree(&k, &digest, &sig), Err(VerifyError::BadPublicKey));
                        }
                    }
                    assert_eq!(
                        agree(&std::vec![0u8; 2 * FIELD], &digest, &sig),
                        Err(VerifyError::BadPublicKey)
                    );
                    // Digests: the value n (reduces to 0), all ones, short
                    // ones (right-aligned; under half the field: refused).
                    let half = FIELD / 2;
                    for d in [n.clone(), std::vec![0xff; FIELD], std::vec![0x11; half], std::vec![0x22; half + 4], std::vec![0x33; half - 1]] {
                        let s: Signature = key.sign_prehash(&[0x5a; FIELD]).unwrap();
                        agree(&pubkey, &d, &s.to_bytes()).ok();
                        if d.len() >= half {
                            let s: Signature = key.sign_prehash(&d).unwrap();
                            assert_eq!(agree(&pubkey, &d, &s.to_bytes()), Ok(()));
                        }
                    }
                    // The generator as the key, r = x(G).
                    let g = [be(&c.gx), be(&c.gy)].concat();
                    let forged = [be(&c.gx), be(&one())].concat();
                    agree(&g, &std::vec![0u8; FIELD], &forged).ok();
                    agree(&g, &n, &forged).ok();
                }

                #[test]
                fn random_inputs_get_rustcrypto_verdicts() {
                    let mut rng = Rng(77 + $l);
                    let key = SigningKey::from_slice(&[3; FIELD]).unwrap();
                    let pubkey = raw_key(&key);
                    let mut bytes = |n: usize| -> Vec<u8> { (0..n).map(|_| rng.next() as u8).collect() };
                    for _ in 0..150 {
                        let sig = bytes(2 * FIELD);
                        agree(&pubkey, &bytes(FIELD), &sig).ok();
                        agree(&bytes(2 * FIELD), &bytes(FIELD), &sig).ok();
                    }
                }
            }
        };
    }

    curve_tests!(p256_curve, p256, P256, 8, 257, verify_p256);
    curve_tests!(p384_curve, p384, P384, 12, 385, verify_p384);
}
