//! Handing over to the application: check its vector table, point VTOR at
//! it, load its stack pointer and branch to its reset handler.

use crate::layout::{LINKER_RAM_SIZE, RAM_BASE};

/// Why the application's vector table was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpError {
    /// Not aligned as VTOR requires (128 bytes).
    Misaligned(u32),
    /// The initial stack pointer is not a word-aligned address in the linker RAM.
    StackPointer(u32),
    /// The reset vector is not a Thumb address inside the image.
    ResetVector(u32),
}

/// Check a vector table at `vtor` whose first words are `sp` and `reset`,
/// for an image whose code ends before `code_end`.
pub fn check_vector_table(vtor: u32, sp: u32, reset: u32, code_end: u32) -> Result<(), JumpError> {
    if !vtor.is_multiple_of(128) {
        return Err(JumpError::Misaligned(vtor));
    }
    if !sp.is_multiple_of(4) || sp <= RAM_BASE || sp > RAM_BASE + LINKER_RAM_SIZE {
        return Err(JumpError::StackPointer(sp));
    }
    let entry = reset & !1;
    if reset & 1 == 0 || entry < vtor + 8 || entry >= code_end {
        return Err(JumpError::ResetVector(reset));
    }
    Ok(())
}

/// Jump to the application whose vector table is at `vtor`. Returns only if
/// the vector table is refused.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn boot(vtor: u32, code_end: u32) -> JumpError {
    let table = vtor as usize as *const u32;
    // SAFETY: `vtor` is inside BOOT's SRAM (the caller passes BOOT + header).
    let (sp, reset) = unsafe { (table.read_volatile(), table.add(1).read_volatile()) };
    if let Err(e) = check_vector_table(vtor, sp, reset, code_end) {
        return e;
    }
    cortex_m::interrupt::disable();
    // SAFETY: VTOR of the fixed SCB, written with a checked, aligned table
    // address while interrupts are masked.
    unsafe { (*cortex_m::peripheral::SCB::PTR).vtor.write(vtor) };
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    // SAFETY: no critical section is open and no interrupt source is enabled.
    unsafe { cortex_m::interrupt::enable() };
    // SAFETY: `sp` is a word-aligned RAM address and `reset` a Thumb address
    // inside the verified image (both checked); the bootloader's stack is
    // never used again.
    unsafe { cortex_m::asm::bootstrap(sp as *const u32, reset as *const u32) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        let vt = 0x0002_0100;
        let end = 0x0005_F000;
        let top = RAM_BASE + LINKER_RAM_SIZE;
        assert_eq!(check_vector_table(vt, top, 0x0002_0401, end), Ok(()));
        assert_eq!(
            check_vector_table(vt + 4, top, 0x0002_0401, end),
            Err(JumpError::Misaligned(vt + 4))
        );
        assert_eq!(
            check_vector_table(vt, top + 4, 0x0002_0401, end),
            Err(JumpError::StackPointer(top + 4))
        );
        assert_eq!(
            check_vector_table(vt, top, 0x0002_0400, end),
            Err(JumpError::ResetVector(0x0002_0400))
        );
        assert_eq!(
            check_vector_table(vt, top, 0xFFFF_FFFF, end),
            Err(JumpError::ResetVector(0xFFFF_FFFF))
        );
    }
}
