//! 256-bit numbers as eight little-endian 32-bit limbs: the arithmetic the
//! verifier's own elliptic-curve code shares ([`crate::ed25519`], and
//! [`crate::ecdsa_p256`] for cores without P256-Cortex-M4).

/// `$body` eight times, with `$i` a constant 0..=7 in each: loops over
/// limbs written out, so that with constant indices the compiler keeps the
/// limbs in registers (an array indexed in a loop lives in memory, and at
/// opt-level "z" is zeroed and copied by library calls).
macro_rules! unroll8 {
    ($i:ident => $body:block) => {{
        const $i: usize = 0;
        $body
    }
    {
        const $i: usize = 1;
        $body
    }
    {
        const $i: usize = 2;
        $body
    }
    {
        const $i: usize = 3;
        $body
    }
    {
        const $i: usize = 4;
        $body
    }
    {
        const $i: usize = 5;
        $body
    }
    {
        const $i: usize = 6;
        $body
    }
    {
        const $i: usize = 7;
        $body
    }};
}

/// a + b·c + carry, as (low word, high word): the multiply-accumulate that
/// ARMv7E-M does in one UMAAL (the sum never overflows 64 bits).
#[inline(always)]
pub(crate) fn mac(acc: u32, b: u32, c: u32, carry: u32) -> (u32, u32) {
    let t = u64::from(b) * u64::from(c) + u64::from(acc) + u64::from(carry);
    (t as u32, (t >> 32) as u32)
}

/// r −= b; whether it borrowed (r then holds r − b + 2^256).
pub(crate) fn sub_words(r: &mut [u32; 8], b: &[u32; 8]) -> bool {
    let mut borrow = false;
    for (x, y) in r.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
    borrow
}

/// Whether a < b (both 256-bit little-endian limbs).
pub(crate) fn below(a: &[u32; 8], b: &[u32; 8]) -> bool {
    for (x, y) in a.iter().zip(b).rev() {
        if x != y {
            return x < y;
        }
    }
    false
}
