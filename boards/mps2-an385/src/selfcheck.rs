//! What the on-chip check programs (`src/bin/ecdsa-check.rs`,
//! `src/bin/ed25519-check.rs`) share: SHA-256's assembly block function
//! (`wolfboot-verify`'s `sha256_arm`, on ARMv7-M and ARMv7E-M) against the
//! portable one. Each program checks the constants table of its build:
//! SHA-256's own in the ECDSA one, SHA-512's high halves in the Ed25519 one.

use crate::console::{Console, Uart};
use wolfboot_verify::sha256::assembly_compress_agrees;

/// SHA-256 blocks compressed by the assembly and by the portable code:
/// 4,096 pseudo-random (state, block) pairs (xorshift32), the block at
/// each of the four alignments the hash can hand it (it is read as words).
/// Prints the count as `program: N of N SHA-256 blocks ...`; returns
/// whether all agreed.
pub fn sha256_assembly(con: &mut Uart, program: &str) -> bool {
    let mut x = 0x9e37_79b9u32;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let (mut n, mut agree) = (0u32, 0u32);
    let mut bytes = [0u8; 64 + 3];
    for i in 0..4096u32 {
        let state: [u32; 8] = core::array::from_fn(|_| next());
        for b in bytes.iter_mut() {
            *b = next() as u8;
        }
        let at = (i % 4) as usize;
        let Some(block) = bytes.get(at..at + 64).and_then(|b| b.try_into().ok()) else {
            continue;
        };
        n += 1;
        agree += u32::from(assembly_compress_agrees(&state, block));
    }
    con.print(program);
    con.print(": ");
    con.dec(agree);
    con.print(" of ");
    con.dec(n);
    con.println(" SHA-256 blocks of the assembly agree with the portable code");
    n == 4096 && agree == n
}
