//! UART5 of the AST1030, a 16550 with 32-bit register spacing (QEMU serial 0),
//! as the mps2 library's number-printing [`Console`].

pub use wolfboot_board_mps2_an385::console::Console;

use crate::layout::UART_BASE;

/// Line status register offset (register 5, 4-byte spacing).
const LSR: u32 = 0x14;
/// `LSR`: transmit holding register empty.
const LSR_THRE: u32 = 1 << 5;

/// The transmitter of UART5 (QEMU's 16550 needs no baud set-up).
#[derive(Debug)]
pub struct Uart {
    _private: (),
}

impl Uart {
    /// The UART.
    ///
    /// # Safety
    /// Only one `Uart` may send at a time (bytes would interleave).
    pub const unsafe fn new() -> Self {
        Uart { _private: () }
    }
}

impl Console for Uart {
    fn put(&mut self, byte: u8) {
        // SAFETY: UART5's registers are fixed MMIO words owned by this console.
        unsafe {
            let lsr = (UART_BASE + LSR) as usize as *const u32;
            while lsr.read_volatile() & LSR_THRE == 0 {}
            (UART_BASE as usize as *mut u32).write_volatile(u32::from(byte));
        }
    }
}
