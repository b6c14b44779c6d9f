//! Run-time pieces shared by the bootloader and the application.

use crate::layout::IRQ_COUNT;

extern "C" {
    /// cortex-m-rt's default exception handler.
    fn DefaultHandler();
}

/// The 48 external interrupt vectors of the nRF52840, all to `DefaultHandler`
/// (cortex-m-rt `device` feature): a 64-entry table instead of
/// cortex-m-rt's generic 240 entries.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); IRQ_COUNT] = [DefaultHandler; IRQ_COUNT];
