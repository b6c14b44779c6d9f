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
    use wolfboot_board_mps2_an385::console::{Console, Uart};
    use wolfboot_board_mps2_an385::semihost::{self, HostFile, MODE_READ_BINARY};
    use wolfboot_image_format::{AuthType, HashAlgorithm};
    use wolfboot_verify::{verify_signature, VerifyPolicy};

    /// One case: verdict, digest length, X||Y, r||s, digest (48 bytes, the
    /// first `digest length` used). The layout xtask's `ecdsa_cases` writes.
    const CASE_LEN: usize = 2 + 64 + 64 + 48;

    #[entry]
    fn main() -> ! {
        // SAFETY: the only UART user in this program.
        let mut con = unsafe { Uart::new(115_200) };
        let Some(file) = HostFile::open(b"ecdsa-cases.bin\0", MODE_READ_BINARY) else {
            con.println("ecdsa-check: cannot open ecdsa-cases.bin");
            semihost::exit(2)
        };
        let sha256_ok = wolfboot_board_mps2_an385::selfcheck::sha256_assembly(&mut con, "ecdsa-check")
            & wolfboot_board_mps2_an385::selfcheck::mem_routines(&mut con, "ecdsa-check");
        let (mut cases, mut agree) = (0u32, 0u32);
        let mut case = [0u8; CASE_LEN];
        while file.read(&mut case) == CASE_LEN {
            cases += 1;
            let [expect, digest_len, rest @ ..] = &case;
            let (key, rest) = rest.split_at(64);
            let (sig, digest) = rest.split_at(64);
            let hash = if *digest_len == 48 {
                HashAlgorithm::Sha384
            } else {
                HashAlgorithm::Sha256
            };
            let digest = digest.get(..usize::from(*digest_len)).unwrap_or(digest);
            let verdict = verify_signature(
                AuthType::Ecc256,
                key,
                hash,
                digest,
                sig,
                &VerifyPolicy::new(),
            );
            if verdict.is_ok() == (*expect == 1) {
                agree += 1;
            } else {
                con.print("ecdsa-check: case ");
                con.dec(cases);
                con.println(if *expect == 1 {
                    " refused, RustCrypto accepts it"
                } else {
                    " accepted, RustCrypto refuses it"
                });
            }
        }
        con.print("ecdsa-check: ");
        con.dec(agree);
        con.print(" of ");
        con.dec(cases);
        con.println(" verdicts agree with RustCrypto");
        semihost::exit(if sha256_ok && cases > 0 && agree == cases { 0 } else { 1 })
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
