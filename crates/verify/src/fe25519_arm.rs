//! The Ed25519 field multiplication on ARMv7-M and ARMv7E-M (Cortex-M3,
//! M4, M7), in assembly: the same product as the portable `Fe::mul_portable`
//! in `ed25519.rs`, bit for bit, in about a quarter of its code and with
//! fewer instructions.
//!
//! Why assembly: the product is 64 multiply-accumulates, and the cost is in
//! how the 16 words of the product and the operands move between registers
//! and memory. Written out in Rust, LLVM keeps the limbs in registers only
//! by unrolling everything (912 B on the Cortex-M4, 1,346 B on the M3 at
//! opt-level "z"); as a loop, it spills them (the signature check then
//! takes 2.6 M instructions instead of 1.5 M). Here the eight words of `a`
//! stay in r4–r11 for the whole product and a loop runs over the words of
//! `b`, its body written out over the words of `a`.
//!
//! * ARMv7E-M (`dsp`): UMAAL adds two 32-bit words to a 64-bit product
//!   without overflow, one instruction per step; the loop takes two rows
//!   of the schoolbook product per iteration (b[i] and b[i+1], two carry
//!   chains), so each word of the product is loaded and stored once per
//!   pair of rows. 268 B.
//! * ARMv7-M: UMLAL adds one 64-bit accumulator, so a step adds the carry
//!   to the product word first (ADDS, ADC) and then a[k]·b[i] with UMLAL;
//!   one row per iteration.
//!
//! The result is what the portable code gives: t = a·b (512 bits), then
//! r = low + 38·high with one carry word c (at most 38), then r + 38·c and,
//! if that carries out of 2^256, 38 more. `cargo xtask test` checks it on
//! the chip against the portable code (`mps2-an386 Ed25519 on the chip`
//! and the same on mps2-an385), on edge operands and on pseudo-random ones,
//! and checks whole verifications against ed25519-dalek's verdicts.

use crate::ed25519::Fe;

/// A naked body as both cores share it: the frame of `frame` bytes, the
/// result address saved at sp + `out`, `pre` (ARMv7E-M copies b into the
/// frame), t[0..8] zeroed and a loaded into r4–r11; then `body` (the
/// product, then low + 38·high, leaving the result in r4–r11, the carry
/// word in r2 and 38 in r1); then the carry word folded in, the result
/// stored, the frame dropped, return.
macro_rules! product_then_fold {
    (frame = $frame:literal, out = $out:literal; pre: [$($pre:literal,)*] body: [$($body:literal,)*]) => {
        core::arch::naked_asm!(
            "push {{r4-r11, lr}}",
            "sub sp, #{frame}", // the product t[0..16] at sp, the result address at sp + out
            "str r0, [sp, #{out}]",
            $($pre,)*
            "movs r4, #0",
            "movs r5, #0",
            "strd r4, r5, [sp]", // t[0..8] = 0
            "strd r4, r5, [sp, #8]",
            "strd r4, r5, [sp, #16]",
            "strd r4, r5, [sp, #24]",
            "ldm r1, {{r4-r11}}", // a[0..8], kept in r4-r11
            $($body,)*
            "muls r2, r1, r2", // the carry word (at most 38), times 38 again
            "adds r4, r4, r2",
            "adcs r5, r5, #0",
            "adcs r6, r6, #0",
            "adcs r7, r7, #0",
            "adcs r8, r8, #0",
            "adcs r9, r9, #0",
            "adcs r10, r10, #0",
            "adcs r11, r11, #0",
            "it cs", // a carry out of the top: 38 more, into a low limb that is now small
            "addcs r4, r4, #38",
            "ldr r0, [sp, #{out}]",
            "stm r0, {{r4-r11}}",
            "add sp, #{frame}",
            "pop {{r4-r11, pc}}",
            frame = const $frame,
            out = const $out,
        )
    };
}

/// a·b reduced below 2^256 (≡ a·b modulo 2^255 − 19).
///
/// AAPCS: the result, a 32-byte `repr(C)` struct, is returned in memory
/// at the address the caller passes in r0; r1 = a, r2 = b. r4–r11 and lr
/// are saved and restored, r0–r3 and r12 are the caller's scratch
/// registers. All of `a` and `b` is read before the result is written.
// SAFETY: the body follows the AAPCS: it saves and restores every
// callee-saved register it uses (r4-r11) and returns through the saved lr;
// the stack pointer comes back to its value at entry (it uses 104 bytes
// below it on ARMv7E-M, 72 on ARMv7-M, for the product). It reads only the
// 8 words behind `a` and `b` (valid and aligned: references) and writes
// only the 8 words of the result slot the caller passes in r0, as the AAPCS
// returns a composite of more than 4 bytes; the remaining loads and stores
// are in its own frame.
#[cfg(target_feature = "dsp")]
#[unsafe(naked)]
pub(crate) extern "C" fn mul(a: &Fe, b: &Fe) -> Fe {
    product_then_fold!(
        frame = 104,
        out = 96;
        pre: [
            "ldm r2, {{r4-r11}}",
            "add r3, sp, #64",
            "stm r3, {{r4-r11}}", // b at sp+64, next to t: a pair's two words load with one ldrd
        ]
        body: [
            "mov r2, sp",         // r2: t + i
            "2:",
            "ldrd r0, r1, [r2, #64]", // b[i], b[i+1]
            "movs r12, #0",           // carry of row i
            "movs lr, #0",            // carry of row i+1
            "ldr r3, [r2]",
            "umaal r3, r12, r4, r0", // t[i] += a[0]·b[i]
            "str r3, [r2]",
            "ldr r3, [r2, #4]",
            "umaal r3, r12, r5, r0", // t[i+1] += a[1]·b[i] + carry
            "umaal r3, lr, r4, r1",  // t[i+1] += a[0]·b[i+1] + carry
            "str r3, [r2, #4]",
            "ldr r3, [r2, #8]",
            "umaal r3, r12, r6, r0",
            "umaal r3, lr, r5, r1",
            "str r3, [r2, #8]",
            "ldr r3, [r2, #12]",
            "umaal r3, r12, r7, r0",
            "umaal r3, lr, r6, r1",
            "str r3, [r2, #12]",
            "ldr r3, [r2, #16]",
            "umaal r3, r12, r8, r0",
            "umaal r3, lr, r7, r1",
            "str r3, [r2, #16]",
            "ldr r3, [r2, #20]",
            "umaal r3, r12, r9, r0",
            "umaal r3, lr, r8, r1",
            "str r3, [r2, #20]",
            "ldr r3, [r2, #24]",
            "umaal r3, r12, r10, r0",
            "umaal r3, lr, r9, r1",
            "str r3, [r2, #24]",
            "ldr r3, [r2, #28]",
            "umaal r3, r12, r11, r0",
            "umaal r3, lr, r10, r1",
            "str r3, [r2, #28]",
            "umaal r12, lr, r11, r1", // t[i+8], t[i+9] = carries + a[7]·b[i+1]
            "strd r12, lr, [r2, #32]",
            "adds r2, #8",
            "add r3, sp, #32",
            "cmp r2, r3",
            "bne 2b",
            "movs r1, #38", // low + 38·high: 2^256 ≡ 38
            "ldm sp, {{r4-r11}}",
            "movs r2, #0",
            "ldr r3, [sp, #32]",
            "umaal r4, r2, r3, r1",
            "ldr r3, [sp, #36]",
            "umaal r5, r2, r3, r1",
            "ldr r3, [sp, #40]",
            "umaal r6, r2, r3, r1",
            "ldr r3, [sp, #44]",
            "umaal r7, r2, r3, r1",
            "ldr r3, [sp, #48]",
            "umaal r8, r2, r3, r1",
            "ldr r3, [sp, #52]",
            "umaal r9, r2, r3, r1",
            "ldr r3, [sp, #56]",
            "umaal r10, r2, r3, r1",
            "ldr r3, [sp, #60]",
            "umaal r11, r2, r3, r1",
        ]
    )
}

/// a·b reduced below 2^256, on ARMv7-M (no UMAAL); the same contract as
/// the ARMv7E-M version above.
// SAFETY: as for the ARMv7E-M version above (frame of 72 bytes: the
// product at sp, the result address at sp+64).
#[cfg(not(target_feature = "dsp"))]
#[unsafe(naked)]
pub(crate) extern "C" fn mul(a: &Fe, b: &Fe) -> Fe {
    product_then_fold!(
        frame = 72,
        out = 64;
        pre: []
        body: [
            "mov r12, sp",        // r12: t + i
            "mov.w lr, #0",       // lr: zero, for the carries
            "2:",
            "ldr r0, [r2], #4", // b[i]
            "movs r1, #0",      // carry
            "ldr r3, [r12]",
            "umlal r3, r1, r4, r0", // t[i] += a[0]·b[i]
            "str r3, [r12]",
            "ldr r3, [r12, #4]",
            "adds r3, r3, r1",      // t[i+1] + carry, ...
            "adc r1, lr, #0",       // ... its carry out as the high word, ...
            "umlal r3, r1, r5, r0", // ... plus a[1]·b[i]
            "str r3, [r12, #4]",
            "ldr r3, [r12, #8]",
            "adds r3, r3, r1",
            "adc r1, lr, #0",
            "umlal r3, r1, r6, r0",
            "str r3, [r12, #8]",
            "ldr r3, [r12, #12]",
            "adds r3, r3, r1",
            "adc r1, lr, #0",
            "umlal r3, r1, r7, r0",
            "str r3, [r12, #12]",
            "ldr r3, [r12, #16]",
            "adds r3, r3, r1",
            "adc r1, lr, #0",
            "umlal r3, r1, r8, r0",
            "str r3, [r12, #16]",
            "ldr r3, [r12, #20]",
            "adds r3, r3, r1",
            "adc r1, lr, #0",
            "umlal r3, r1, r9, r0",
            "str r3, [r12, #20]",
            "ldr r3, [r12, #24]",
            "adds r3, r3, r1",
            "adc r1, lr, #0",
            "umlal r3, r1, r10, r0",
            "str r3, [r12, #24]",
            "ldr r3, [r12, #28]",
            "adds r3, r3, r1",
            "adc r1, lr, #0",
            "umlal r3, r1, r11, r0",
            "str r3, [r12, #28]",
            "str r1, [r12, #32]", // t[i+8] = carry
            "add r12, r12, #4",
            "add r3, sp, #32",
            "cmp r12, r3",
            "bne 2b",
            "movs r1, #38", // low + 38·high: 2^256 ≡ 38
            "ldm sp, {{r4-r11}}",
            "movs r2, #0",
            "ldr r3, [sp, #32]",
            "umlal r4, r2, r3, r1",
            "ldr r3, [sp, #36]",
            "adds r5, r5, r2",
            "adc r2, lr, #0",
            "umlal r5, r2, r3, r1",
            "ldr r3, [sp, #40]",
            "adds r6, r6, r2",
            "adc r2, lr, #0",
            "umlal r6, r2, r3, r1",
            "ldr r3, [sp, #44]",
            "adds r7, r7, r2",
            "adc r2, lr, #0",
            "umlal r7, r2, r3, r1",
            "ldr r3, [sp, #48]",
            "adds r8, r8, r2",
            "adc r2, lr, #0",
            "umlal r8, r2, r3, r1",
            "ldr r3, [sp, #52]",
            "adds r9, r9, r2",
            "adc r2, lr, #0",
            "umlal r9, r2, r3, r1",
            "ldr r3, [sp, #56]",
            "adds r10, r10, r2",
            "adc r2, lr, #0",
            "umlal r10, r2, r3, r1",
            "ldr r3, [sp, #60]",
            "adds r11, r11, r2",
            "adc r2, lr, #0",
            "umlal r11, r2, r3, r1",
        ]
    )
}
