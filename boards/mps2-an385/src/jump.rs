//! Handing over to the application: check its vector table, point VTOR at
//! it, load its stack pointer and branch to its reset handler.

use crate::layout::{RAM_BASE, RAM_SIZE};

/// Why the application's vector table was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpError {
    /// The vector table is not aligned as VTOR requires (128 bytes on the M3
    /// with up to 32 interrupts).
    Misaligned(u32),
    /// The initial stack pointer is not a word-aligned address in RAM
    /// (the top of RAM included).
    StackPointer(u32),
    /// The reset vector is not a Thumb address inside the image.
    ResetVector(u32),
}

/// Check an application vector table at `vtor` whose first words are `sp`
/// and `reset`, for an image whose code ends before `code_end`.
pub fn check_vector_table(vtor: u32, sp: u32, reset: u32, code_end: u32) -> Result<(), JumpError> {
    if !vtor.is_multiple_of(128) {
        return Err(JumpError::Misaligned(vtor));
    }
    if !sp.is_multiple_of(4) || sp <= RAM_BASE || sp > RAM_BASE + RAM_SIZE {
        return Err(JumpError::StackPointer(sp));
    }
    // Past the two words just read, before the end of the image, Thumb bit set.
    let entry = reset & !1;
    if reset & 1 == 0 || entry < vtor + 8 || entry >= code_end {
        return Err(JumpError::ResetVector(reset));
    }
    Ok(())
}

/// Jump to the application whose vector table is at `vtor` (image start
/// after the header) and whose code ends before `code_end`. Returns only if
/// the vector table is refused.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn boot(vtor: u32, code_end: u32) -> JumpError {
    let table = vtor as usize as *const u32;
    // SAFETY: `vtor` is inside the BOOT partition in code SRAM (the caller
    // passes BOOT + header), mapped and readable, and not null.
    let (sp, reset) = unsafe { (table.read_volatile(), table.add(1).read_volatile()) };
    if let Err(e) = check_vector_table(vtor, sp, reset, code_end) {
        return e;
    }
    cortex_m::interrupt::disable();
    // SAFETY: SCB is a fixed system peripheral; writing VTOR with a checked,
    // 128-byte aligned vector table address is what the hand-over requires.
    // Interrupts are masked, so no exception is taken through a half-set table.
    unsafe { (*cortex_m::peripheral::SCB::PTR).vtor.write(vtor) };
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    // PRIMASK back to its reset value: cortex-m-rt's start-up code does not
    // touch it, and the bootloader enabled no interrupt source in the NVIC.
    // SAFETY: no critical section is open; the only vector table in use from
    // here on is the application's.
    unsafe { cortex_m::interrupt::enable() };
    // SAFETY: `sp` is a word-aligned address inside RAM and `reset` a Thumb
    // address inside the image (both checked above; the caller verified the
    // image). The bootloader's stack is abandoned and never used again.
    unsafe { cortex_m::asm::bootstrap(sp as *const u32, reset as *const u32) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VT: u32 = 0x0002_0100;
    const END: u32 = 0x0012_0000;

    #[test]
    fn accepts_a_cortex_m_rt_table() {
        assert_eq!(
            check_vector_table(VT, 0x203F_FF00, 0x0002_0401, END),
            Ok(())
        );
        assert_eq!(
            check_vector_table(VT, RAM_BASE + RAM_SIZE, 0x0002_0109, END),
            Ok(())
        );
    }

    #[test]
    fn refuses_bad_tables() {
        assert_eq!(
            check_vector_table(VT + 4, 0x2000_1000, 0x0002_0401, END),
            Err(JumpError::Misaligned(VT + 4))
        );
        assert_eq!(
            check_vector_table(VT, 0xFFFF_FFFF, 0x0002_0401, END),
            Err(JumpError::StackPointer(0xFFFF_FFFF))
        );
        assert_eq!(
            check_vector_table(VT, 0x1000_0000, 0x0002_0401, END),
            Err(JumpError::StackPointer(0x1000_0000))
        );
        assert_eq!(
            check_vector_table(VT, 0x2040_0004, 0x0002_0401, END),
            Err(JumpError::StackPointer(0x2040_0004))
        );
        assert_eq!(
            check_vector_table(VT, 0x2000_1002, 0x0002_0401, END),
            Err(JumpError::StackPointer(0x2000_1002))
        );
        // Thumb bit clear, before the table, past the end, erased flash.
        assert_eq!(
            check_vector_table(VT, 0x2000_1000, 0x0002_0400, END),
            Err(JumpError::ResetVector(0x0002_0400))
        );
        assert_eq!(
            check_vector_table(VT, 0x2000_1000, 0x0000_0401, END),
            Err(JumpError::ResetVector(0x0000_0401))
        );
        assert_eq!(
            check_vector_table(VT, 0x2000_1000, END + 1, END),
            Err(JumpError::ResetVector(END + 1))
        );
        assert_eq!(
            check_vector_table(VT, 0xFFFF_FFFF, 0xFFFF_FFFF, END),
            Err(JumpError::StackPointer(0xFFFF_FFFF))
        );
    }
}
