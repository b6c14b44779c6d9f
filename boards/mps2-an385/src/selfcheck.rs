//! What the on-chip check programs (`src/bin/ecdsa-check.rs`,
//! `src/bin/ed25519-check.rs`) share: SHA-256's assembly block function
//! (`wolfboot-verify`'s `sha256_arm`, on ARMv7-M and ARMv7E-M) against the
//! portable one, the firmware's own `memcpy` and `memset` (`mem`)
//! against byte loops, and the loop over the host's cases with their
//! verdicts ([`verdicts`]). Each program checks the SHA-256 constants table of
//! its build: SHA-256's own in the ECDSA one, SHA-512's high halves in the
//! Ed25519 one.

use core::hint::black_box;
use core::ptr::{read_volatile, write_volatile};

use crate::console::{Console, Uart};
use crate::semihost::{HostFile, MODE_READ_BINARY};
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

/// `memcpy` and `memset` (the firmware's own, `mem`, reached through the
/// copies and fills the compiler emits) against byte loops written with
/// volatile accesses (which the compiler cannot turn into calls of them):
/// every destination and source offset 0 to 3 and every length 0 to 70,
/// with the bytes around the destination checked untouched. Prints the
/// count; returns whether all agreed.
pub fn mem_routines(con: &mut Uart, program: &str) -> bool {
    const LEN: usize = 80;
    let mut src = [0u8; LEN];
    for (i, b) in src.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    let (mut n, mut agree) = (0u32, 0u32);
    for fill in [false, true] {
        for d in 0..4 {
            for s in 0..4 {
                for len in 0..=70 {
                    let mut got = [0xA5u8; LEN];
                    let mut want = [0xA5u8; LEN];
                    let (d, s, len) = (black_box(d), black_box(s), black_box(len));
                    // SAFETY: `d + len` and `s + len` are at most 73 <= LEN:
                    // both ranges lie inside their arrays, which are distinct.
                    unsafe {
                        let dst = got.as_mut_ptr().add(d);
                        if fill {
                            core::ptr::write_bytes(dst, black_box(0x3C), len);
                        } else {
                            core::ptr::copy_nonoverlapping(src.as_ptr().add(s), dst, len);
                        }
                        for i in 0..len {
                            let v = if fill {
                                0x3C
                            } else {
                                read_volatile(src.as_ptr().add(s + i))
                            };
                            write_volatile(want.as_mut_ptr().add(d + i), v);
                        }
                    }
                    n += 1;
                    agree += u32::from(got == want);
                }
            }
        }
    }
    con.print(program);
    con.print(": ");
    con.dec(agree);
    con.print(" of ");
    con.dec(n);
    con.println(" copies and fills agree with byte loops");
    agree == n
}

/// The host's cases in `file` (NUL-terminated name, read over
/// semihosting), `N` bytes each with the host's verdict first (1:
/// accepted), each judged on the chip by `accepts`. Prints every
/// disagreement and the count as `program: A of C verdicts agree with
/// reference`; returns whether there were cases and all agreed.
pub fn verdicts<const N: usize>(
    con: &mut Uart,
    program: &str,
    file: &[u8],
    reference: &str,
    mut accepts: impl FnMut(&[u8; N]) -> bool,
) -> bool {
    let Some(file) = HostFile::open(file, MODE_READ_BINARY) else {
        con.print(program);
        con.println(": cannot open its cases file");
        return false;
    };
    let (mut cases, mut agree) = (0u32, 0u32);
    let mut case = [0u8; N];
    while file.read(&mut case) == N {
        cases += 1;
        let expect = case.first() == Some(&1);
        if accepts(&case) == expect {
            agree += 1;
        } else {
            con.print(program);
            con.print(": case ");
            con.dec(cases);
            con.print(if expect { " refused, " } else { " accepted, " });
            con.print(reference);
            con.println(if expect { " accepts it" } else { " refuses it" });
        }
    }
    con.print(program);
    con.print(": ");
    con.dec(agree);
    con.print(" of ");
    con.dec(cases);
    con.print(" verdicts agree with ");
    con.println(reference);
    cases > 0 && agree == cases
}
