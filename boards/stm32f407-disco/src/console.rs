//! USART2 (TX on PA2, alternate function 7) as the console, through the
//! stm32-rs PAC, at 115200 baud from the 16 MHz HSI (the reset clock: the
//! bootloader does not touch the clock tree).

use stm32f4::stm32f407::{Peripherals, USART2};
use wolfboot_mcu_boot::console::Console;

/// `USARTDIV` = 16 MHz / (16 × 115200) = 8.68: mantissa 8, fraction 11/16
/// (115,108 baud, 0.08 % off).
const BRR_MANTISSA: u16 = 8;
const BRR_FRACTION: u8 = 11;

/// Bound on `TXE` polls per byte (a byte takes about 1,400 cycles at
/// 16 MHz and 115200 baud): output is dropped rather than the boot hung.
const TX_POLLS: u32 = 100_000;

/// USART2, transmit only.
pub struct Usart2 {
    usart: USART2,
}

impl Usart2 {
    /// Clock GPIOA and USART2, put PA2 on AF7, enable the transmitter.
    ///
    /// # Safety
    /// Only on an STM32F407 running from the 16 MHz HSI, with no other user
    /// of RCC's enable registers, GPIOA's pin 2 or USART2.
    pub unsafe fn new() -> Self {
        // SAFETY: forwarded to the caller; only the registers named there
        // are touched.
        let dp = unsafe { Peripherals::steal() };
        dp.RCC.ahb1enr().modify(|_, w| w.gpioaen().set_bit());
        dp.RCC.apb1enr().modify(|_, w| w.usart2en().set_bit());
        dp.GPIOA.afrl().modify(|_, w| w.afrl2().af7());
        dp.GPIOA.moder().modify(|_, w| w.moder2().alternate());
        dp.USART2.brr().write(|w| {
            w.div_mantissa().set(BRR_MANTISSA);
            w.div_fraction().set(BRR_FRACTION)
        });
        dp.USART2.cr1().write(|w| w.ue().set_bit().te().set_bit());
        Usart2 { usart: dp.USART2 }
    }
}

impl Console for Usart2 {
    fn put(&mut self, byte: u8) {
        for _ in 0..TX_POLLS {
            if self.usart.sr().read().txe().bit_is_set() {
                break;
            }
        }
        self.usart.dr().write(|w| w.dr().set(u16::from(byte)));
    }
}
