//! Handing over to the application: `wolfboot_mcu_boot::jump` with this
//! board's rules (VTOR present, 128-byte table alignment on the M3/M4 with up
//! to 32 interrupts, the stack anywhere in RAM).

use crate::layout::{RAM_BASE, RAM_SIZE};

pub use wolfboot_mcu_boot::jump::JumpError;
use wolfboot_mcu_boot::jump::VectorRules;

/// What the application's vector table must satisfy on the AN385/AN386.
pub const VECTOR_RULES: VectorRules = VectorRules {
    ram_start: RAM_BASE,
    ram_end: RAM_BASE + RAM_SIZE,
    vtor_align: 128,
    has_vtor: true,
};

/// Check an application vector table at `vtor` whose first words are `sp`
/// and `reset`, for an image whose code ends before `code_end`.
pub fn check_vector_table(vtor: u32, sp: u32, reset: u32, code_end: u32) -> Result<(), JumpError> {
    wolfboot_mcu_boot::jump::check_vector_table(&VECTOR_RULES, vtor, sp, reset, code_end)
}

/// Jump to the application whose vector table is at `vtor` (image start
/// after the header) and whose code ends before `code_end`. Returns only if
/// the vector table is refused.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn boot(vtor: u32, code_end: u32) -> JumpError {
    wolfboot_mcu_boot::jump::boot(&VECTOR_RULES, vtor, code_end)
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
