//! The running image: its version and BOOT's state on the console, and
//! confirming it.

use wolfboot_libwolfboot::{Error, FlashSet, PartitionId, PartitionState, WolfBoot};
use wolfboot_mcu_boot::console::Console;

use crate::text::state_name;

/// What the application knows about itself at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    /// The running image's version (0 if BOOT's header cannot be read).
    pub version: u32,
    /// BOOT's state.
    pub state: Result<Option<PartitionState>, Error>,
}

impl Running {
    /// Read version and BOOT state, and print them:
    /// `app: version 2, BOOT state testing`.
    pub fn report<C, S, const H: usize>(wb: &mut WolfBoot<S, H>, con: &mut C) -> Running
    where
        C: Console + ?Sized,
        S: FlashSet,
    {
        let version = wb.current_firmware_version().ok().flatten().unwrap_or(0);
        con.print("app: version ");
        con.dec(version);
        let state = wb.partition_state(PartitionId::Boot);
        con.print(", BOOT state ");
        con.println(state.map_or("unreadable", state_name));
        Running { version, state }
    }

    /// [`report`](Self::report), then [`confirm`](Self::confirm).
    pub fn start<C, S, const H: usize>(wb: &mut WolfBoot<S, H>, con: &mut C, hold: bool) -> Running
    where
        C: Console + ?Sized,
        S: FlashSet,
    {
        let running = Running::report(wb, con);
        running.confirm(wb, con, hold);
        running
    }

    /// Confirm the running image (`success`) unless it is confirmed
    /// already; with `hold`, leave it unconfirmed (the bootloader rolls it
    /// back at the next reset) and say so.
    pub fn confirm<C, S, const H: usize>(&self, wb: &mut WolfBoot<S, H>, con: &mut C, hold: bool)
    where
        C: Console + ?Sized,
        S: FlashSet,
    {
        if hold {
            con.println("app: not confirming");
        } else if self.state != Ok(Some(PartitionState::Success)) {
            match wb.success() {
                Ok(()) => con.println("app: confirmed (success)"),
                Err(_) => con.println("app: success failed"),
            }
        }
    }
}
