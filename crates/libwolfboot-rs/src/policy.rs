//! Which versions an update writer accepts.

/// What [`UpdateWriter::finish`](crate::UpdateWriter::finish) accepts of a
/// verified image's version, compared with the running one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VersionPolicy {
    /// Only a version newer than the running one (wolfBoot's default: the
    /// bootloader refuses the others too).
    #[default]
    NewerOnly,
    /// Any version, older and equal included: for bootloaders built with
    /// `ALLOW_DOWNGRADE`.
    AllowDowngrade,
}
