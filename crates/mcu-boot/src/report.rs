//! The boot decision and every refusal as console text (the same words on
//! every board, so test harnesses and people read one format).

use wolfboot_swap_state_machine::{BootAction, BootError, RefuseReason, VerifyError};

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
        RefuseReason::Verify(e) => print_verify_error(con, e),
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

/// Why an image did not verify, in a few words: the class of the refusal,
/// not every one of `VerifyError`'s twenty descriptions, whose strings
/// would cost a bootloader about 550 bytes of flash. The application and
/// the host tools print `description()` and the full `Display` text.
#[inline(never)]
pub fn print_verify_error<C: Console + ?Sized>(con: &mut C, e: &VerifyError) {
    con.print(verify_error_class(e));
}

/// The class of a verification refusal, as [`print_verify_error`] prints it.
pub fn verify_error_class(e: &VerifyError) -> &'static str {
    match e {
        VerifyError::HashMismatch => "digest mismatch",
        VerifyError::BadSignature | VerifyError::BadPublicKey | VerifyError::Hybrid(_) => {
            "bad signature"
        }
        VerifyError::UnknownKey | VerifyError::KeyNotPermitted | VerifyError::WrongAlgorithm => {
            "unknown key"
        }
        // The same words as the refusals above, so the strings are shared.
        VerifyError::BadMagic => "no image",
        // A failed flash read ends the boot with `BootError::Flash`; a source
        // error in a refusal is a read past the partition: an image that
        // claims more bytes than it may have.
        VerifyError::TooLarge | VerifyError::PayloadTruncated | VerifyError::Source(_) => {
            "too large"
        }
        _ => "malformed image",
    }
}

/// Why nothing was booted, e.g. `boot: no bootable image: BOOT digest mismatch`.
pub fn print_boot_error<C: Console + ?Sized>(con: &mut C, e: &BootError) {
    match e {
        BootError::NoBootableImage { boot, fallback } => {
            con.print("boot: no bootable image: BOOT ");
            print_verify_error(con, boot);
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

    #[test]
    fn verify_errors_print_as_their_class() {
        use wolfboot_swap_state_machine::SourceError;
        for (e, class) in [
            (VerifyError::HashMismatch, "digest mismatch"),
            (VerifyError::BadSignature, "bad signature"),
            (VerifyError::BadPublicKey, "bad signature"),
            (VerifyError::UnknownKey, "unknown key"),
            (VerifyError::KeyNotPermitted, "unknown key"),
            (VerifyError::BadMagic, "no image"),
            (VerifyError::Source(SourceError::OutOfBounds), "too large"),
            (VerifyError::TooLarge, "too large"),
            (VerifyError::MissingTlv(1), "malformed image"),
        ] {
            let mut s = Sink(Vec::new());
            print_verify_error(&mut s, &e);
            assert_eq!(String::from_utf8(s.0).unwrap(), class, "{e:?}");
        }
    }
}
