//! The raw trigger: mark what was written into UPDATE for installation
//! (`update_trigger`) without verifying it first, as wolfBoot's C
//! applications do; the bootloader's checks decide.

use wolfboot_libwolfboot::{FlashSet, PartitionId, PartitionState, WolfBoot};
use wolfboot_mcu_boot::console::Console;

use crate::text::print_number_line;

/// The application's words for the cases where nothing is triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerText {
    /// UPDATE is `UPDATING` already (the bootloader refused it, or the
    /// reset has not happened yet).
    pub already: &'static str,
    /// UPDATE holds no image newer than the running one.
    pub nothing_newer: &'static str,
}

impl TriggerText {
    /// The test applications' words (`APP_TRIGGER` under a harness).
    pub const TEST: TriggerText = TriggerText {
        already: "app: update already triggered",
        nothing_newer: "app: no newer update staged",
    };

    /// The words of an application on a real board, where UPDATE was
    /// written by a probe or a transport of the user's.
    pub const DEVICE: TriggerText = TriggerText {
        already: "app: update already triggered (refused by the bootloader)",
        nothing_newer: "app: no newer image in UPDATE",
    };
}

/// Trigger UPDATE if it holds a version newer than `running` and is not
/// triggered already (`app: triggering update to version 3`). Returns
/// whether it was triggered: the caller resets into the bootloader.
pub fn trigger_newer<C, S, const H: usize>(
    wb: &mut WolfBoot<S, H>,
    con: &mut C,
    running: u32,
    text: &TriggerText,
) -> bool
where
    C: Console + ?Sized,
    S: FlashSet,
{
    let update_state = wb.partition_state(PartitionId::Update);
    match wb.update_firmware_version().ok().flatten() {
        _ if update_state == Ok(Some(PartitionState::Updating)) => con.println(text.already),
        Some(v) if v > running => {
            print_number_line(con, "app: triggering update to version ", v);
            if wb.update_trigger().is_ok() {
                return true;
            }
            con.println("app: update_trigger failed");
        }
        _ => con.println(text.nothing_newer),
    }
    false
}
