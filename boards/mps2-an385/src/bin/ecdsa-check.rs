//! On-chip check of the ECDSA P-256 backend (feature `ecdsa-check`; run by
//! `cargo xtask test` as `mps2-an386 ECDSA P-256 on the chip`, and the same
//! for mps2-an385).
//!
//! The host writes `ecdsa-cases.bin` (xtask `ecdsa_cases`): wolfBoot's own
//! ECC256 images (key, digest field and signature as its `sign` wrote
//! them), signatures of our own signer and their high-S twins, and the
//! edge cases RustCrypto's `p256` tests (r or s zero, equal to n or above,
//! coordinates at or above p, a key off the curve, a changed digest), each
//! with the verdict of the RustCrypto verifier on the host. This program
//! reads them over semihosting, asks `wolfboot_verify::verify_signature`
//! (P256-Cortex-M4's assembly on the Cortex-M4, wolfboot-verify's own
//! `ecdsa_nist` on the M3) and
//! exits 0 only when every verdict agrees. First it compares SHA-256's
//! assembly block function with the portable one (`selfcheck`), with the
//! constants table of a build without Ed25519, and the firmware's
//! `memcpy`/`memset` with byte loops.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m_rt::{entry, exception, ExceptionFrame};
    use wolfboot_board_mps2_an385::console::Uart;
    use wolfboot_board_mps2_an385::{selfcheck, semihost};
    use wolfboot_image_format::{AuthType, HashAlgorithm};
    use wolfboot_verify::{verify_signature, VerifyPolicy};

    /// One case: verdict, digest length, X||Y, r||s, digest (48 bytes, the
    /// first `digest length` used). The layout xtask's `ecdsa_cases` writes.
    const CASE_LEN: usize = 2 + 64 + 64 + 48;

    #[entry]
    fn main() -> ! {
        // SAFETY: the only UART user in this program.
        let mut con = unsafe { Uart::new(115_200) };
        let mut ok = selfcheck::sha256_assembly(&mut con, "ecdsa-check");
        ok &= selfcheck::mem_routines(&mut con, "ecdsa-check");
        ok &= selfcheck::verdicts(
            &mut con,
            "ecdsa-check",
            b"ecdsa-cases.bin\0",
            "RustCrypto",
            |case: &[u8; CASE_LEN]| {
                let [_, digest_len, rest @ ..] = case;
                let (key, rest) = rest.split_at(64);
                let (sig, digest) = rest.split_at(64);
                let hash = if *digest_len == 48 {
                    HashAlgorithm::Sha384
                } else {
                    HashAlgorithm::Sha256
                };
                let digest = digest.get(..usize::from(*digest_len)).unwrap_or(digest);
                let policy = VerifyPolicy::new();
                verify_signature(AuthType::Ecc256, key, hash, digest, sig, &policy).is_ok()
            },
        );
        semihost::exit(if ok { 0 } else { 1 })
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
    eprintln!("ecdsa-check is firmware: `cargo xtask test` runs it on mps2-an386");
}
