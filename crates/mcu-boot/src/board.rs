//! The firmware module of a board whose bootloader needs nothing but its
//! console: no test harness, one internal flash window.

/// The bootloader of a board crate `$board` that offers `layout`
/// (`BOOT_ADDRESS`, `IMAGE_HEADER_SIZE`, `PARTITIONS`, `VECTOR_RULES`),
/// `take_flash()`, `verifier::KeystoreVerifier` and `TRAILER`: `main`
/// (banner, `run` (target only), `halted`), the hard-fault handler (halt)
/// and the panic handler. `$console` is evaluated once, first; it may name
/// `layout`. The calling crate depends on `cortex-m`, `cortex-m-rt` and
/// `wolfboot-swap-state-machine`, and its build script writes `keystore.rs`.
#[macro_export]
macro_rules! plain_bootloader {
    (board: $board:ident, console: $console:expr, banner: $banner:expr $(,)?) => {
        use cortex_m_rt::{entry, exception, ExceptionFrame};
        use wolfboot_swap_state_machine::{BootConfig, FixedSetup};
        use $board::{
            layout::{self, IMAGE_HEADER_SIZE, PARTITIONS},
            take_flash,
            verifier::KeystoreVerifier,
            TRAILER,
        };
        use $crate::{console::Console, Target};

        #[allow(dead_code)]
        mod keys {
            include!(concat!(env!("OUT_DIR"), "/keystore.rs"));
        }

        wolfboot_swap_state_machine::build_setup!(
            /// Layout and options, as constants folded into the code.
            BoardSetup {
                layout: PARTITIONS,
                config: BootConfig::DEFAULT
                    .with_trailer(TRAILER)
                    .with_header_size(IMAGE_HEADER_SIZE),
            }
        );

        #[entry]
        fn main() -> ! {
            let mut con = $console;
            con.println($banner);
            // SAFETY: the only flash owner; the bootloader lives below the
            // window and holds no reference into it.
            if let Some(flash) = unsafe { take_flash() } {
                let target = Target {
                    boot_address: layout::BOOT_ADDRESS,
                    rules: layout::VECTOR_RULES,
                };
                let verifier = KeystoreVerifier::fixed(&keys::KEYSTORE);
                let setup = FixedSetup::<BoardSetup>::new();
                $crate::run(&mut con, flash, verifier, setup, &target);
            }
            con.println("halted");
            loop {
                cortex_m::asm::wfi();
            }
        }

        #[exception]
        unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
            loop {
                cortex_m::asm::wfi();
            }
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo) -> ! {
            // With `panic = "immediate-abort"` this is never called.
            cortex_m::asm::udf()
        }
    };
}
