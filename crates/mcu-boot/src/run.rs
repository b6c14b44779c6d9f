//! The bootloader's whole run on a Cortex-M part: decide, report, jump.

use wolfboot_swap_state_machine::{Bootloader, FlashSet, ImageVerifier, Setup};

use crate::console::Console;
use crate::jump::{self, VectorRules};
use crate::report;

/// Where BOOT is in the address space and what the core needs to jump.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Absolute address of the BOOT partition.
    pub boot_address: u32,
    /// Vector-table and RAM rules for the application.
    pub rules: VectorRules,
}

/// Run the swap state machine over `flash` (resume, roll back, install or
/// fall back, every image verified by `verifier`), print what was done on
/// `con` (`boot: <action>; version <n>`) and jump to the image in BOOT.
/// Layout and options come from `setup`: a board passes a
/// [`FixedSetup`](wolfboot_swap_state_machine::FixedSetup) so that they fold
/// into the code. Returns only when nothing could be booted, after saying why.
pub fn run<S: FlashSet, V: ImageVerifier, P: Setup, C: Console>(
    con: &mut C,
    flash: S,
    verifier: V,
    setup: P,
    target: &Target,
) {
    let (layout, header) = (setup.layout(), setup.config().header_size);
    let Ok(mut bootloader) = Bootloader::with_setup(flash, verifier, setup) else {
        con.println("boot: bad partition layout");
        return;
    };
    match bootloader.boot() {
        Ok(decision) => {
            con.print("boot: ");
            report::print_action(con, &decision.action);
            con.print("; version ");
            con.dec(decision.image.version);
            con.println("");
            let entry = target.boot_address + header;
            let end = target.boot_address + layout.partition_size() - layout.sector_size;
            let err = jump::boot(&target.rules, entry, end);
            con.print("boot: bad vector table ");
            con.hex(err.value());
            con.println("");
        }
        Err(e) => report::print_boot_error(con, &e),
    }
}
