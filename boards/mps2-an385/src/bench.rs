//! On-chip cost figures (feature `bench`, used by `cargo xtask bench --board
//! mps2-an385|mps2-an386`; never in a shipped bootloader).
//!
//! QEMU run with `-icount shift=0` advances its virtual clock by exactly one
//! nanosecond per executed instruction. The CMSDK APB timer 0 at
//! [`TIMER0_BASE`] counts down at the 25 MHz APB clock of the MPS2 images,
//! derived from that virtual clock, so one timer tick is
//! [`INSTRUCTIONS_PER_TICK`] (40) instructions: counts are exact to within
//! 40 instructions per reading. On real silicon the same timer reads
//! APB-clock ticks instead.
//!
//! The bootloader starts the timer first thing in `main` (cortex-m-rt's
//! reset handler, which zeroes `.bss` and copies `.data`, runs before: a
//! few dozen instructions) and, just before it jumps to the application,
//! reads it ("whole boot"). With [`measure_boot_image`] it then also times
//! one verification of the image in BOOT through the board's flash driver
//! (header, key lookup, digest, signature: [`wolfboot_verify::verify_image`],
//! the code the swap state machine runs), and the signature check alone;
//! the digest part is the difference. That second measurement runs after
//! the whole-boot reading, so it does not inflate it.
//!
//! Peak stack: before the timer starts, [`paint_stack`] fills the free RAM
//! between the end of `.bss` and just below the stack pointer with a
//! pattern; [`stack_high_water`], read at the jump, tells how deep the stack
//! went during the boot (the deepest word no longer holding the pattern).

use wolfboot_image_format::{wire::img_type::PART_APP, ImageHeader};
use wolfboot_verify::{FlashSource, Keystore, VerifyOptions, VerifyPolicy};

use crate::layout::{IMAGE_HEADER_SIZE, PARTITION_SIZE, SECTOR_SIZE};

/// CMSDK APB timer 0 of the MPS2 FPGA images.
pub const TIMER0_BASE: u32 = 0x4000_0000;
/// Instructions per timer tick under QEMU `-icount shift=0`:
/// 1 ns per instruction, 25 MHz timer clock.
pub const INSTRUCTIONS_PER_TICK: u32 = 40;

const CTRL: u32 = 0x0;
const VALUE: u32 = 0x4;
const RELOAD: u32 = 0x8;

fn write(offset: u32, value: u32) {
    // SAFETY: a register of the CMSDK timer 0 (MMIO, word aligned), which
    // nothing else in the bootloader uses.
    unsafe { ((TIMER0_BASE + offset) as usize as *mut u32).write_volatile(value) }
}

fn read(offset: u32) -> u32 {
    // SAFETY: as in `write`.
    unsafe { ((TIMER0_BASE + offset) as usize as *const u32).read_volatile() }
}

/// Start timer 0 free-running from its largest value (2^32 ticks: 171 s of
/// virtual time, 1.7·10^11 instructions, before it wraps).
pub fn start() {
    write(CTRL, 0);
    write(RELOAD, u32::MAX);
    write(VALUE, u32::MAX);
    write(CTRL, 1);
}

/// Pattern of unused stack words (see [`paint_stack`]).
const STACK_PAINT: u32 = 0x5354_4B21;

extern "C" {
    /// End of `.bss` (cortex-m-rt's linker script): the stack may grow down
    /// to here.
    static mut __ebss: u32;
}

fn stack_floor() -> u32 {
    // Only the address is taken, nothing is read through it.
    ((&raw const __ebss) as usize as u32 + 3) & !3
}

/// Top of the stack: the end of the RAM given to the linker (cortex-m-rt's
/// `_stack_start`).
const STACK_TOP: u32 = crate::layout::RAM_BASE + crate::layout::LINKER_RAM_SIZE;

/// Fill the RAM between the end of the statics and 256 bytes below the
/// current stack pointer with [`STACK_PAINT`] (first thing in `main`).
pub fn paint_stack() {
    let top = cortex_m::register::msp::read().saturating_sub(256) & !3;
    let mut at = stack_floor();
    while at < top {
        // SAFETY: `[__ebss, msp - 256)` is RAM that holds no static (it lies
        // past `.bss`) and no live stack frame (it lies 256 bytes below the
        // stack pointer, and this leaf loop calls nothing).
        unsafe { (at as usize as *mut u32).write_volatile(STACK_PAINT) };
        at += 4;
    }
}

/// Bytes of stack used since [`paint_stack`]: from the top of the stack
/// down to the lowest word no longer holding the pattern.
pub fn stack_high_water() -> u32 {
    let mut at = stack_floor();
    while at < STACK_TOP {
        // SAFETY: a word-aligned RAM address between the end of `.bss` and
        // the top of the stack; reading it has no side effect.
        if unsafe { (at as usize as *const u32).read_volatile() } != STACK_PAINT {
            break;
        }
        at += 4;
    }
    STACK_TOP - at
}

/// Ticks since [`start`].
pub fn ticks() -> u32 {
    u32::MAX - read(VALUE)
}

/// Cost of one verification of the image in BOOT, in timer ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Payload bytes of the image.
    pub payload: u32,
    /// The whole verification: header, key lookup, digest, signature.
    pub verify: u32,
    /// The signature check alone (over the digest just computed).
    pub signature: u32,
    /// Whether both checks accepted the image.
    pub ok: bool,
}

/// Time one verification of the image at the start of BOOT, read through
/// `flash` (the board's driver, device offsets), against `keystore`.
pub fn measure_boot_image<F: embedded_storage::nor_flash::ReadNorFlash>(
    flash: &mut F,
    keystore: &Keystore<'_>,
) -> Figures {
    let mut header = [0u8; IMAGE_HEADER_SIZE as usize];
    let mut options = VerifyOptions::new();
    options.partition_id = Some(PART_APP);
    let len = PARTITION_SIZE - SECTOR_SIZE;
    let t0 = ticks();
    let verified = FlashSource::new(flash, crate::layout::PARTITIONS.boot.offset, len)
        .ok()
        .and_then(|mut src| {
            wolfboot_verify::verify_image(&mut src, &mut header, keystore, &options).ok()
        });
    let t1 = ticks();
    let mut figures = Figures {
        payload: 0,
        verify: t1.wrapping_sub(t0),
        signature: 0,
        ok: false,
    };
    let Some(v) = verified else {
        return figures;
    };
    figures.payload = v.payload_size;
    let Ok(parsed) = ImageHeader::parse(&header, IMAGE_HEADER_SIZE as usize) else {
        return figures;
    };
    let alg = v.digest.algorithm();
    let (Some(auth), Some(sig), Some(hint)) = (
        v.image_type.auth(),
        parsed.signature(),
        parsed.pubkey_hint(),
    ) else {
        return figures;
    };
    let Ok(Some(slot)) = keystore.find_by_hint(alg, hint) else {
        return figures;
    };
    let t2 = ticks();
    let sig_ok = wolfboot_verify::verify_signature(
        auth,
        slot.key_bytes(),
        alg,
        v.digest.as_bytes(),
        sig,
        &VerifyPolicy::new(),
    )
    .is_ok();
    let t3 = ticks();
    figures.signature = t3.wrapping_sub(t2);
    figures.ok = sig_ok;
    figures
}
