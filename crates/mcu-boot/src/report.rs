//! The boot decision and every refusal as console text (the same words on
//! every board, so test harnesses and people read one format).

use wolfboot_swap_state_machine::{BootAction, BootError, RefuseReason};

use crate::console::Console;

/// What the bootloader did, e.g. `update installed`.
pub fn print_action<C: Console + ?Sized>(con: &mut C, action: &BootAction) {
    match action {
        BootAction::NoUpdate => con.print("no update"),
        BootAction::Installed => con.print("update installed"),
        BootAction::RolledBack => con.print("rolled back"),
        BootAction::FinishedInterrupted => con.print("finished an interrupted update"),
        BootAction::EmergencyFallback => con.print("emergency fallback to UPDATE"),
        BootAction::UpdateRefused(r) => {
            con.print("update refused (");
            print_refusal(con, r);
            con.print(")");
        }
    }
}

/// Why an update (or fallback) was refused.
pub fn print_refusal<C: Console + ?Sized>(con: &mut C, r: &RefuseReason) {
    match r {
        RefuseReason::NoImage => con.print("no image"),
        RefuseReason::WrongType => con.print("not an application"),
        RefuseReason::TooLarge => con.print("too large"),
        RefuseReason::Verify(e) => con.print(e.description()),
        RefuseReason::NoKey => con.print("no encryption key"),
        RefuseReason::DeltaBaseMismatch => con.print("delta base mismatch"),
        RefuseReason::DeltaUnsupported => con.print("delta not applicable"),
        RefuseReason::NotNewer { current, candidate } => {
            con.print("version ");
            con.dec(*candidate);
            con.print(" not newer than ");
            con.dec(*current);
        }
        _ => con.print("refused"),
    }
}

/// Why nothing was booted, e.g. `boot: no bootable image: BOOT digest mismatch`.
pub fn print_boot_error<C: Console + ?Sized>(con: &mut C, e: &BootError) {
    match e {
        BootError::NoBootableImage { boot, fallback } => {
            con.print("boot: no bootable image: BOOT ");
            con.print(boot.description());
            if let Some(r) = fallback {
                con.print(", fallback ");
                print_refusal(con, r);
            }
            con.println("");
        }
        BootError::Flash(_) => con.println("boot: flash failure"),
        _ => con.println("boot: unsupported layout or trailer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::tests::Sink;
    use wolfboot_swap_state_machine::VerifyError;

    #[test]
    fn texts() {
        let mut s = Sink(Vec::new());
        print_action(
            &mut s,
            &BootAction::UpdateRefused(RefuseReason::NotNewer {
                current: 3,
                candidate: 2,
            }),
        );
        s.print("|");
        print_action(
            &mut s,
            &BootAction::UpdateRefused(RefuseReason::Verify(VerifyError::BadSignature)),
        );
        s.print("|");
        print_boot_error(
            &mut s,
            &BootError::NoBootableImage {
                boot: VerifyError::HashMismatch,
                fallback: Some(RefuseReason::NoImage),
            },
        );
        assert_eq!(
            String::from_utf8(s.0).unwrap(),
            "update refused (version 2 not newer than 3)|update refused (bad signature)|\
             boot: no bootable image: BOOT digest mismatch, fallback no image\r\n"
        );
    }
}
