//! Handing over to the application: check its vector table, point VTOR at
//! it (where the core has one), load its stack pointer and branch to its
//! reset handler.
//!
//! The Cortex-M0 (nRF51) has no VTOR: exceptions and interrupts keep going
//! through the bootloader's vector table at address 0 after the jump, so the
//! bootloader must forward them to the application's table (the micro:bit
//! bootloader's `DefaultHandler` does).

use core::fmt;

/// Where an application may live and what the core needs of its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VectorRules {
    /// First RAM address.
    pub ram_start: u32,
    /// One past the last RAM address (the highest initial stack pointer).
    pub ram_end: u32,
    /// Alignment VTOR needs for the application's table (a power of two:
    /// the table size rounded up, at least 128).
    pub vtor_align: u32,
    /// Whether the core has VTOR (ARMv7-M, ARMv8-M; not the Cortex-M0).
    pub has_vtor: bool,
}

/// Why the application's vector table was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpError {
    /// The vector table is not aligned as VTOR requires.
    Misaligned(u32),
    /// The initial stack pointer is not a word-aligned address in RAM (the
    /// top of RAM included).
    StackPointer(u32),
    /// The reset vector is not a Thumb address inside the image.
    ResetVector(u32),
}

impl fmt::Display for JumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JumpError::Misaligned(v) => write!(f, "vector table at {v:#x} misaligned"),
            JumpError::StackPointer(v) => write!(f, "initial stack pointer {v:#x} not in RAM"),
            JumpError::ResetVector(v) => write!(f, "reset vector {v:#x} not in the image"),
        }
    }
}

impl JumpError {
    /// The offending value.
    pub fn value(&self) -> u32 {
        match self {
            JumpError::Misaligned(v) | JumpError::StackPointer(v) | JumpError::ResetVector(v) => *v,
        }
    }
}

/// Check an application vector table at `vtor` whose first words are `sp`
/// and `reset`, for an image whose code ends before `code_end`.
pub fn check_vector_table(
    rules: &VectorRules,
    vtor: u32,
    sp: u32,
    reset: u32,
    code_end: u32,
) -> Result<(), JumpError> {
    let align = if rules.has_vtor { rules.vtor_align } else { 4 };
    if align == 0 || !vtor.is_multiple_of(align) {
        return Err(JumpError::Misaligned(vtor));
    }
    if !sp.is_multiple_of(4) || sp <= rules.ram_start || sp > rules.ram_end {
        return Err(JumpError::StackPointer(sp));
    }
    // Past the two words just read, before the end of the image, Thumb bit set.
    let entry = reset & !1;
    if reset & 1 == 0 || entry < vtor.saturating_add(8) || entry >= code_end {
        return Err(JumpError::ResetVector(reset));
    }
    Ok(())
}

/// Jump to the application whose vector table is at `vtor` (image start
/// after the header) and whose code ends before `code_end`. Returns only if
/// the vector table is refused.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn boot(rules: &VectorRules, vtor: u32, code_end: u32) -> JumpError {
    let table = vtor as usize as *const u32;
    // SAFETY: `vtor` is inside the BOOT partition in flash (the caller passes
    // BOOT + header of a verified image), mapped and readable, and not null.
    let (sp, reset) = unsafe { (table.read_volatile(), table.add(1).read_volatile()) };
    if let Err(e) = check_vector_table(rules, vtor, sp, reset, code_end) {
        return e;
    }
    cortex_m::interrupt::disable();
    if rules.has_vtor {
        // SAFETY: SCB is a fixed system peripheral; writing VTOR with a
        // checked, aligned vector table address is what the hand-over
        // requires. Interrupts are masked, so no exception is taken through a
        // half-set table.
        unsafe { (*cortex_m::peripheral::SCB::PTR).vtor.write(vtor) };
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    // SAFETY: PRIMASK back to its reset value: the bootloader enabled no
    // interrupt source in the NVIC and holds no critical section.
    unsafe { cortex_m::interrupt::enable() };
    // SAFETY: `sp` is a word-aligned address inside RAM and `reset` a Thumb
    // address inside the verified image (both checked above). The
    // bootloader's stack is abandoned and never used again.
    unsafe { cortex_m::asm::bootstrap(sp as *const u32, reset as *const u32) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M4: VectorRules = VectorRules {
        ram_start: 0x2000_0000,
        ram_end: 0x2004_0000,
        vtor_align: 256,
        has_vtor: true,
    };
    const M0: VectorRules = VectorRules {
        ram_start: 0x2000_0000,
        ram_end: 0x2000_4000,
        vtor_align: 128,
        has_vtor: false,
    };
    const VT: u32 = 0x0002_0100;
    const END: u32 = 0x0006_0000;

    #[test]
    fn accepts_a_cortex_m_rt_table() {
        assert_eq!(
            check_vector_table(&M4, VT, 0x2004_0000, 0x0002_0401, END),
            Ok(())
        );
        assert_eq!(
            check_vector_table(&M0, VT + 4, 0x2000_3F00, 0x0002_0409, END),
            Ok(())
        );
    }

    #[test]
    fn refuses_bad_tables() {
        assert_eq!(
            check_vector_table(&M4, VT + 128, 0x2000_1000, 0x0002_0401, END),
            Err(JumpError::Misaligned(VT + 128))
        );
        assert_eq!(
            check_vector_table(&M0, VT + 2, 0x2000_1000, 0x0002_0401, END),
            Err(JumpError::Misaligned(VT + 2))
        );
        for sp in [
            0xFFFF_FFFF,
            0x1000_0000,
            0x2000_0000,
            0x2004_0004,
            0x2000_1002,
        ] {
            assert_eq!(
                check_vector_table(&M4, VT, sp, 0x0002_0401, END),
                Err(JumpError::StackPointer(sp))
            );
        }
        assert_eq!(
            check_vector_table(&M0, VT, 0x2000_4004, 0x0002_0401, END),
            Err(JumpError::StackPointer(0x2000_4004))
        );
        for reset in [0x0002_0400, 0x0000_0401, END + 1, VT + 1, 0xFFFF_FFFF] {
            assert_eq!(
                check_vector_table(&M4, VT, 0x2000_1000, reset, END),
                Err(JumpError::ResetVector(reset))
            );
        }
        assert_eq!(JumpError::ResetVector(7).value(), 7);
    }
}
