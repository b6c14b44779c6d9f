//! SHA-256's compression function on ARMv7-M and ARMv7E-M (Cortex-M3, M4,
//! M7), in assembly: the same function as the portable `compress` in
//! `sha256.rs`, in about half its code and with fewer instructions.
//!
//! The eight working variables stay in r4–r11. A round is 21 instructions
//! (Thumb-2 folds each rotation of Σ0 and Σ1 into an EOR; Maj(a, b, c) is
//! b ^ ((a ^ b) & (b ^ c)), and a ^ b is kept for the next round, where it
//! is b ^ c); the loop runs two rounds, after which the variables have
//! moved two places and ten MOVs put them back (the portable code unrolls
//! four rounds instead: no moves, but twice the code). The message
//! schedule is expanded first, two words per iteration (the two words
//! before them kept in registers from the iteration before), then the
//! rounds read it with the constants.
//!
//! The round constants are read through `k`, from `offset` bytes in with a
//! stride of `step` bytes: SHA-256's own table (0, 4), or, in builds with
//! Ed25519, the high halves of SHA-512's (4, 8; see `sha512`).
//! `cargo xtask test` compares it with the portable code on the chip (in
//! `ed25519-check` on both MPS2 boards) on pseudo-random states and blocks.

use crate::sha256::RoundConstants;

/// Byte offset of the first constant in [`RoundConstants`], and bytes from
/// one to the next.
#[cfg(not(feature = "ed25519"))]
const K_AT: (u32, u32) = (0, 4);
#[cfg(feature = "ed25519")]
const K_AT: (u32, u32) = (4, 8);

/// One block: `state` updated with `block`, `w` the 64-word schedule
/// (scratch), `k` the round constants.
///
/// AAPCS: r0 = state, r1 = w, r2 = block, r3 = k; r4–r11 and lr are saved
/// and restored, r0–r3 and r12 are the caller's scratch registers.
// SAFETY: the body follows the AAPCS: it saves and restores every
// callee-saved register it uses (r4-r11) and returns through the saved lr;
// the stack pointer comes back to its value at entry (state and w pointers
// pushed with them). It reads the 64 bytes of `block`, 64 constants within
// `k` (at most 4 + 63 * 8 + 4 = 512 bytes into a 640-byte table, or all
// 256 bytes of SHA-256's), writes the 64 words of `w` and reads and writes
// the 8 words of `state`: all behind references the caller holds, valid,
// aligned (`block` is read a word at a time: the caller's blocks are
// word-aligned, see `sha256::compress`) and exclusive where written.
#[unsafe(naked)]
pub(crate) extern "C" fn compress(
    state: &mut [u32; 8],
    w: &mut [u32; 64],
    block: &[u8; 64],
    k: &RoundConstants,
) {
    core::arch::naked_asm!(
        "push {{r0, r1, r4-r11, lr}}", // state at sp, w at sp+4
        "add r0, r3, #{koff}", // r0: the round constants
        "add r12, r2, #64",
        "2:",
        "ldr r3, [r2], #4", // the block as big-endian words
        "rev r3, r3",
        "str r3, [r1], #4",
        "cmp r2, r12",
        "bne 2b",
        "add r12, r1, #192", // r1: w + 16; the schedule ends at w + 64
        "ldrd r4, r5, [r1, #-8]", // w[t-2], w[t-1], kept from pair to pair
        "3:", // two words per iteration: w[t], w[t+1]
        "ldrd r6, r7, [r1, #-28]", // w[t-7], w[t-6]
        "ldrd r8, r9, [r1, #-64]", // w[t-16], w[t-15]
        "ldr r10, [r1, #-56]", // w[t-14]
        // One word: out (holding w[t-7]) += σ1(w2) + σ0(w15) + w16.
        ".macro wolfboot_sha256_word out, w2, w15, w16",
        "ror r2, \\w2, #17",
        "eor r2, r2, \\w2, ror #19",
        "eor r2, r2, \\w2, lsr #10", // σ1
        "add \\out, \\out, r2",
        "ror r2, \\w15, #7",
        "eor r2, r2, \\w15, ror #18",
        "eor r2, r2, \\w15, lsr #3", // σ0
        "add \\out, \\out, r2",
        "add \\out, \\out, \\w16",
        ".endm",
        "wolfboot_sha256_word r6, r4, r9, r8", // w[t]
        "wolfboot_sha256_word r7, r5, r10, r9", // w[t+1]
        ".purgem wolfboot_sha256_word",
        "strd r6, r7, [r1], #8",
        "mov r4, r6",
        "mov r5, r7",
        "cmp r1, r12",
        "bne 3b",
        "sub r1, r1, #256", // r1: w again
        "ldr r2, [sp]",
        "ldm r2, {{r4-r11}}", // a..h
        "eor r12, r5, r6", // b ^ c, for the first Maj
        // One round, on the variables where they are this round: d and h
        // change (h becomes the new a, d the new e); bc holds b ^ c on the
        // way in, ab receives a ^ b on the way out.
        ".macro wolfboot_sha256_round a, b, c, d, e, f, g, h, bc, ab",
        "ldr r2, [r0], #{kstep}", // K[t]
        "ldr r3, [r1], #4", // w[t]
        "add \\h, \\h, r2",
        "add \\h, \\h, r3",
        "ror r2, \\e, #6",
        "eor r2, r2, \\e, ror #11",
        "eor r2, r2, \\e, ror #25", // Σ1(e)
        "add \\h, \\h, r2",
        "eor r2, \\f, \\g",
        "and r2, r2, \\e",
        "eor r2, r2, \\g", // Ch(e, f, g)
        "add \\h, \\h, r2", // h + Σ1 + Ch + K + w: T1
        "add \\d, \\d, \\h", // d + T1: the next e
        "ror r2, \\a, #2",
        "eor r2, r2, \\a, ror #13",
        "eor r2, r2, \\a, ror #22", // Σ0(a)
        "add \\h, \\h, r2",
        "eor \\ab, \\a, \\b", // a ^ b: the next round's b ^ c
        "and r2, \\ab, \\bc",
        "eor r2, r2, \\b", // Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c))
        "add \\h, \\h, r2", // T1 + Σ0 + Maj: the next a
        ".endm",
        "4:",
        "wolfboot_sha256_round r4, r5, r6, r7, r8, r9, r10, r11, r12, lr",
        "wolfboot_sha256_round r11, r4, r5, r6, r7, r8, r9, r10, lr, r12",
        ".purgem wolfboot_sha256_round",
        "mov r2, r4", // the names moved two places: move the values back
        "mov r4, r10",
        "mov r10, r8",
        "mov r8, r6",
        "mov r6, r2",
        "mov r2, r5",
        "mov r5, r11",
        "mov r11, r9",
        "mov r9, r7",
        "mov r7, r2",
        "ldr r2, [sp, #4]",
        "sub r2, r1, r2",
        "cmp r2, #256", // 64 rounds: w + 64 words
        "bne 4b",
        "ldr r0, [sp]", // state += a..h
        "ldm r0, {{r1, r2, r3, r12}}",
        "add r1, r1, r4",
        "add r2, r2, r5",
        "add r3, r3, r6",
        "add r12, r12, r7",
        "stm r0!, {{r1, r2, r3, r12}}",
        "ldm r0, {{r1, r2, r3, r12}}",
        "add r1, r1, r8",
        "add r2, r2, r9",
        "add r3, r3, r10",
        "add r12, r12, r11",
        "stm r0, {{r1, r2, r3, r12}}",
        "pop {{r0, r1, r4-r11, pc}}",
        koff = const K_AT.0,
        kstep = const K_AT.1,
    )
}
