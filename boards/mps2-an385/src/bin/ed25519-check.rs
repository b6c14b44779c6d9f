//! On-chip check of Ed25519 (feature `ed25519-check`; run by
//! `cargo xtask test` as `mps2-an385 Ed25519 on the chip` and the same on
//! mps2-an386).
//!
//! Two parts. First the field multiplication: on ARMv7-M and ARMv7E-M it
//! is assembly (`wolfboot-verify`'s `fe25519_arm`, UMLAL on the Cortex-M3,
//! UMAAL on the M4), which no host test can run, so
//! here it is compared, bit for bit, with the portable Rust product on
//! edge operands (zero, one, p and its neighbours, 2^255, all ones,
//! 2^256 − 38, ...: every pair of them) and on pseudo-random ones whose
//! limbs are often all zeros or all ones, where the carries run longest.
//! Then whole verifications: the host writes `ed25519-cases.bin` (xtask
//! `ed25519_check`): wolfBoot's own Ed25519 images (key, digest field and
//! signature as its `sign` wrote them), signatures of our own over 32- and
//! 48-byte digests, and edge cases (s at or above ℓ, non-canonical and
//! small-order keys and R, keys off the curve, bit flips), each with
//! ed25519-dalek's verdict on the host. This program exits 0 only when
//! every product agrees and every verdict is ed25519-dalek's.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{entry, exception, ExceptionFrame};
    use wolfboot_board_mps2_an385::console::{Console, Uart};
    use wolfboot_board_mps2_an385::{selfcheck, semihost};
    use wolfboot_image_format::{AuthType, HashAlgorithm};
    use wolfboot_verify::{verify_signature, VerifyPolicy};

    /// One case: verdict, message length, key, signature, message (48
    /// bytes, the first `message length` used). The layout xtask's
    /// `ed25519_check` writes.
    const CASE_LEN: usize = 2 + 32 + 64 + 48;

    #[entry]
    fn main() -> ! {
        // SAFETY: the only UART user in this program.
        let mut con = unsafe { Uart::new(115_200) };
        let (products, mut ok) = field_products(&mut con);
        ok &= selfcheck::sha256_assembly(&mut con, "ed25519-check");
        ok &= selfcheck::mem_routines(&mut con, "ed25519-check");
        ok &= selfcheck::verdicts(
            &mut con,
            "ed25519-check",
            b"ed25519-cases.bin\0",
            "ed25519-dalek",
            |case: &[u8; CASE_LEN]| {
                let [_, msg_len, rest @ ..] = case;
                let (key, rest) = rest.split_at(32);
                let (sig, msg) = rest.split_at(64);
                let msg = msg.get(..usize::from(*msg_len)).unwrap_or(msg);
                let hash = if msg.len() == 48 {
                    HashAlgorithm::Sha384
                } else {
                    HashAlgorithm::Sha256
                };
                let policy = VerifyPolicy::new();
                verify_signature(AuthType::Ed25519, key, hash, msg, sig, &policy).is_ok()
            },
        );
        if products == 0 {
            con.println("ed25519-check: no assembly on this core, products not compared");
        }
        semihost::exit(if ok { 0 } else { 1 })
    }

    /// The edge operands: 0, 1, 19, 38, 2^32 − 1, p − 1, p, p + 1,
    /// 2^255 − 1, 2^255, 2^256 − 38, 2^256 − 1, and two bit patterns.
    #[cfg(target_feature = "thumb2")]
    const EDGES: [[u32; 8]; 14] = {
        const M: u32 = u32::MAX;
        [
            [0; 8],
            [1, 0, 0, 0, 0, 0, 0, 0],
            [19, 0, 0, 0, 0, 0, 0, 0],
            [38, 0, 0, 0, 0, 0, 0, 0],
            [M, 0, 0, 0, 0, 0, 0, 0],
            [M - 19, M, M, M, M, M, M, 0x7fff_ffff],
            [M - 18, M, M, M, M, M, M, 0x7fff_ffff],
            [M - 17, M, M, M, M, M, M, 0x7fff_ffff],
            [M, M, M, M, M, M, M, 0x7fff_ffff],
            [0, 0, 0, 0, 0, 0, 0, 0x8000_0000],
            [M - 37, M, M, M, M, M, M, M],
            [M; 8],
            [0xaaaa_aaaa; 8],
            [0x5555_5555, 0, M, 0, M, 0, M, 0x8000_0000],
        ]
    };

    /// Field products compared with the portable code: every pair of edge
    /// operands, then pseudo-random pairs (xorshift32) whose limbs are each
    /// random, zero or all ones. Returns how many, and whether all agreed.
    #[cfg(target_feature = "thumb2")]
    fn field_products(con: &mut Uart) -> (u32, bool) {
        use wolfboot_verify::ed25519::assembly_mul_agrees;
        let (mut n, mut agree) = (0u32, 0u32);
        let mut check = |a: &[u32; 8], b: &[u32; 8]| {
            n += 1;
            agree += u32::from(assembly_mul_agrees(a, b));
        };
        for a in &EDGES {
            for b in &EDGES {
                check(a, b);
            }
        }
        let mut x = 0x2545_f491u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for _ in 0..20_000 {
            let mut ops = [[0u32; 8]; 2];
            for limb in ops.iter_mut().flatten() {
                *limb = match next() % 4 {
                    0 => 0,
                    1 => u32::MAX,
                    _ => next(),
                };
            }
            check(&ops[0], &ops[1]);
        }
        con.print("ed25519-check: ");
        con.dec(agree);
        con.print(" of ");
        con.dec(n);
        con.println(" field products of the assembly agree with the portable code");
        (n, agree == n)
    }

    /// Without Thumb-2 (ARMv6-M) there is no assembly: the portable
    /// product is the only one.
    #[cfg(not(target_feature = "thumb2"))]
    fn field_products(_con: &mut Uart) -> (u32, bool) {
        (0, true)
    }

    #[exception]
    unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
        semihost::exit(3)
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        semihost::exit(4)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("ed25519-check is firmware: `cargo xtask test` runs it on mps2-an385 and mps2-an386");
}
