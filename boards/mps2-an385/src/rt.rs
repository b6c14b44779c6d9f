//! Run-time pieces shared by the bootloader and the application.

use crate::layout::IRQ_COUNT;

extern "C" {
    /// cortex-m-rt's default exception handler.
    fn DefaultHandler();
}

/// The 32 external interrupt vectors of the AN385, all to `DefaultHandler`
/// (cortex-m-rt `device` feature). A 48-entry table needs 256-byte alignment,
/// which BOOT + a 256-byte header gives; cortex-m-rt's generic 240-entry
/// table would need 1 KiB.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); IRQ_COUNT] = [DefaultHandler; IRQ_COUNT];
