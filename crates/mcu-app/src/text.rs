//! Partition states and update errors as console text.

use wolfboot_libwolfboot::{Error, PartitionState, UpdateError};
use wolfboot_mcu_boot::console::Console;

/// A partition state in one word (`None`: no state recorded).
pub fn state_name(state: Option<PartitionState>) -> &'static str {
    match state {
        None => "none",
        Some(PartitionState::New) => "new",
        Some(PartitionState::Updating) => "updating",
        Some(PartitionState::FinalFlags) => "final",
        Some(PartitionState::Testing) => "testing",
        Some(PartitionState::Success) => "success",
        Some(_) => "other",
    }
}

/// Why `UpdateWriter` refused an image, with its numbers (`incomplete (10
/// of 20 bytes)`, `version 1 not newer than 2`); no line break.
pub fn print_update_error<C: Console + ?Sized>(con: &mut C, e: &UpdateError) {
    match e {
        UpdateError::Io(Error::NoEncryptKey) => con.print("no encryption key stored"),
        UpdateError::Io(Error::Unconfirmed) => con.print("running image not confirmed"),
        UpdateError::Io(_) => con.print("flash error"),
        UpdateError::Header(_) => con.print("not a wolfBoot image"),
        UpdateError::TooLarge => con.print("too large"),
        UpdateError::ExtraData => con.print("more data than announced"),
        UpdateError::Incomplete { received, expected } => {
            con.print("incomplete (");
            con.dec(*received);
            con.print(" of ");
            con.dec(*expected);
            con.print(" bytes)");
        }
        UpdateError::Verify(v) => con.print(v.description()),
        UpdateError::Downgrade { current, offered } => {
            con.print("version ");
            con.dec(*offered);
            con.print(" not newer than ");
            con.dec(*current);
        }
        UpdateError::Aborted => con.print("aborted"),
        #[allow(unreachable_patterns)]
        _ => con.print("error"),
    }
}

/// `text` then `value` in decimal and a line break.
pub fn print_number_line<C: Console + ?Sized>(con: &mut C, text: &str, value: u32) {
    con.print(text);
    con.dec(value);
    con.println("");
}
