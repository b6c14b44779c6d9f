//! Size probe (`cargo xtask size --board ast1030-evb`): the FMC `SpiDevice`
//! plus the whole SPI NOR driver (probe with SFDP, erase, program, read, all
//! error paths). Its `.text` minus `spi-nor-size-base`'s is the driver's cost.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod probe {
    use core::hint::black_box;
    use cortex_m_rt::entry;
    use wolfboot_board_ast1030_evb::smc::FmcCe0;
    use wolfboot_spi_nor::{Config, SpiNor};

    #[entry]
    fn main() -> ! {
        // SAFETY: the only FMC user of this probe.
        let spi = unsafe { FmcCe0::new() };
        if let Ok(mut nor) = SpiNor::probe(spi, black_box(Config::DEFAULT)) {
            let mut buf = [0u8; 256];
            let _ = black_box(nor.erase_range(black_box(0), black_box(4096)));
            let _ = black_box(nor.program(black_box(0), black_box(&buf[..])));
            let _ = black_box(nor.read_into(black_box(0), &mut buf));
            black_box(&buf);
        }
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
