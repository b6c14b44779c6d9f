//! Run-time pieces shared by the bootloader and the application.

use crate::layout::IRQ_COUNT;

extern "C" {
    /// cortex-m-rt's default exception handler.
    fn DefaultHandler();
}

/// External interrupt vectors after the 16 system exceptions: the AN385's
/// 32 for a firmware that takes interrupts (feature `irq-vectors`, which
/// the test application turns on); one for the bootloader, which enables no
/// interrupt in the NVIC (all are disabled at reset, and nothing here
/// enables one), so it can take none. One, not none: cortex-m-rt's linker
/// script refuses a table without interrupt vectors. 124 bytes of the
/// bootloader.
const VECTORS: usize = if cfg!(feature = "irq-vectors") {
    IRQ_COUNT
} else {
    1
};

/// The external interrupt vectors, all to `DefaultHandler` (cortex-m-rt
/// `device` feature). A 48-entry table needs 256-byte alignment, which
/// BOOT + a 256-byte header gives; cortex-m-rt's generic 240-entry table
/// would need 1 KiB.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); VECTORS] = [DefaultHandler; VECTORS];
