//! Handing over to the application: `wolfboot_mcu_boot::jump` with this
//! board's rules (VTOR present, 128-byte table alignment, the stack in the
//! linker RAM below the update inbox).

use crate::layout::{LINKER_RAM_SIZE, RAM_BASE};

pub use wolfboot_mcu_boot::jump::JumpError;
use wolfboot_mcu_boot::jump::VectorRules;

/// What the application's vector table must satisfy on the AST1030.
pub const VECTOR_RULES: VectorRules = VectorRules {
    ram_start: RAM_BASE,
    ram_end: RAM_BASE + LINKER_RAM_SIZE,
    vtor_align: 128,
    has_vtor: true,
};

/// Check a vector table at `vtor` whose first words are `sp` and `reset`,
/// for an image whose code ends before `code_end`.
pub fn check_vector_table(vtor: u32, sp: u32, reset: u32, code_end: u32) -> Result<(), JumpError> {
    wolfboot_mcu_boot::jump::check_vector_table(&VECTOR_RULES, vtor, sp, reset, code_end)
}

/// Jump to the application whose vector table is at `vtor`. Returns only if
/// the vector table is refused.
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub fn boot(vtor: u32, code_end: u32) -> JumpError {
    wolfboot_mcu_boot::jump::boot(&VECTOR_RULES, vtor, code_end)
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
