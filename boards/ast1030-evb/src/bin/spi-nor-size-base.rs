//! Size probe baseline (see `spi-nor-size.rs`): the FMC `SpiDevice` alone,
//! reading the JEDEC ID by hand.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod probe {
    use core::hint::black_box;
    use cortex_m_rt::entry;
    use embedded_hal::spi::{Operation, SpiDevice};
    use wolfboot_board_ast1030_evb::smc::FmcCe0;

    #[entry]
    fn main() -> ! {
        // SAFETY: the only FMC user of this probe.
        let mut spi = unsafe { FmcCe0::new() };
        let mut id = [0u8; 3];
        let _ = black_box(spi.transaction(&mut [
            Operation::Write(black_box(&[0x9F])),
            Operation::Read(&mut id),
        ]));
        black_box(&id);
        loop {
            cortex_m::asm::wfi();
        }
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        cortex_m::asm::udf()
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
