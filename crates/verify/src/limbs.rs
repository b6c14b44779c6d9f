//! Numbers as little-endian 32-bit limbs: the arithmetic the verifier's own
//! elliptic-curve code shares ([`crate::ed25519`], and [`crate::ecdsa_nist`]
//! on Arm cores).

/// `$body` eight times, with `$i` a constant 0..=7 in each: loops over
/// limbs written out, so that with constant indices the compiler keeps the
/// limbs in registers (an array indexed in a loop lives in memory, and at
/// opt-level "z" is zeroed and copied by library calls).
macro_rules! unroll8 {
    ($i:ident => $body:block) => {
        unroll_from!($i => $body; 0, 1, 2, 3, 4, 5, 6, 7)
    };
}

/// `unroll8!` for twelve limbs (P-384).
#[allow(unused_macros)] // only P-384 builds use it
macro_rules! unroll12 {
    ($i:ident => $body:block) => {
        unroll_from!($i => $body; 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    };
}

/// `$body` once per listed constant, named `$i` in it.
macro_rules! unroll_from {
    ($i:ident => $body:block; $($n:literal),*) => {
        $({
            const $i: usize = $n;
            $body
        })*
    };
}

/// a + b·c + carry, as (low word, high word): the multiply-accumulate that
/// ARMv7E-M does in one UMAAL (the sum never overflows 64 bits).
#[inline(always)]
pub(crate) fn mac(acc: u32, b: u32, c: u32, carry: u32) -> (u32, u32) {
    let t = u64::from(b) * u64::from(c) + u64::from(acc) + u64::from(carry);
    (t as u32, (t >> 32) as u32)
}

/// r −= b; whether it borrowed (r then holds r − b + 2^(32·L)).
pub(crate) fn sub_words<const L: usize>(r: &mut [u32; L], b: &[u32; L]) -> bool {
    let mut borrow = false;
    for (x, y) in r.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
    borrow
}

/// Whether a < b.
pub(crate) fn below<const L: usize>(a: &[u32; L], b: &[u32; L]) -> bool {
    for (x, y) in a.iter().zip(b).rev() {
        if x != y {
            return x < y;
        }
    }
    false
}

/// Width-5 non-adjacent form of a scalar (limbs, little-endian), `D` digits:
/// one more than its bits (e.g. 257 for a 256-bit scalar, the last carry
/// being digit 256; 256 for one below 2^255), for ECDSA (`ecdsa_nist`):
/// digits odd in −15..=15 or zero, at least four zeros after each non-zero
/// one, Σ digit[i]·2^i equal to the scalar.
#[cfg(any(test, feature = "ecc256-compact", feature = "ecc384-compact"))]
pub(crate) fn naf<const D: usize>(s: &[u32]) -> [i8; D] {
    let mut naf = [0i8; D];
    let mut carry = 0u32;
    let mut pos = 0usize;
    while pos < D {
        let lo = s.get(pos / 32).copied().unwrap_or(0);
        let hi = s.get(pos / 32 + 1).copied().unwrap_or(0);
        let bits = ((u64::from(hi) << 32 | u64::from(lo)) >> (pos % 32)) as u32;
        let window = carry + (bits & 31);
        if window & 1 == 0 {
            pos += 1;
            continue;
        }
        let digit = if window < 16 {
            carry = 0;
            window as i8
        } else {
            carry = 1;
            window as i8 - 32
        };
        if let Some(d) = naf.get_mut(pos) {
            *d = digit;
        }
        pos += 5;
    }
    naf
}

#[cfg(test)]
pub(crate) mod tests {
    /// xorshift64*: deterministic test input for the curve modules.
    pub(crate) struct Rng(pub(crate) u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
            let mut b = [0u8; N];
            for x in b.iter_mut() {
                *x = self.next() as u8;
            }
            b
        }
    }

    /// Σ digit·2^i, evaluated from the top by doubling, in 9 signed limbs.
    fn value(digits: &[i8]) -> [i64; 9] {
        let mut acc = [0i64; 9];
        for d in digits.iter().rev() {
            let mut carry = 0i64;
            for limb in acc.iter_mut() {
                let v = *limb * 2 + carry;
                *limb = v & 0xffff_ffff;
                carry = v >> 32;
            }
            acc[0] += i64::from(*d);
            let mut c = 0i64;
            for limb in acc.iter_mut() {
                let v = *limb + c;
                *limb = v & 0xffff_ffff;
                c = v >> 32;
            }
        }
        acc
    }

    /// The digits sum to `scalar` and have the width-5 NAF form.
    fn check(digits: &[i8], scalar: &[u32; 8]) {
        let acc = value(digits);
        let low: std::vec::Vec<u32> = acc[..8].iter().map(|v| *v as u32).collect();
        assert_eq!(low, scalar);
        assert_eq!(acc[8], 0);
        check_form(digits);
    }

    fn check_form(digits: &[i8]) {
        for (i, d) in digits.iter().enumerate() {
            assert!(*d == 0 || (d % 2 != 0 && (-15..=15).contains(d)));
            if *d != 0 {
                assert!(digits[i + 1..].iter().take(4).all(|x| *x == 0));
            }
        }
    }

    #[test]
    fn naf_digits_sum_to_the_scalar() {
        let mut rng = Rng(3);
        for i in 0..1000 {
            let mut b: [u32; 8] = [0; 8];
            for w in b.iter_mut() {
                *w = rng.next() as u32;
            }
            if i % 10 == 0 {
                b = [u32::MAX; 8];
            }
            // Any 256-bit scalar in 257 digits (the P-256 scalars).
            check(&super::naf::<257>(&b), &b);
            // Below 2^255 in 256 (the Ed25519 scalars).
            b[7] &= 0x7fff_ffff;
            check(&super::naf::<256>(&b), &b);
        }
    }
}
