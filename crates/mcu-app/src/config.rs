//! The application's configuration from a board's constants.

use wolfboot_libwolfboot::{PartitionSet, TrailerConfig, WolfBootConfig};

/// A board without update encryption: its layout and trailer (a `const`
/// item, evaluated at compile time).
pub const fn plain(layout: PartitionSet, trailer: TrailerConfig) -> WolfBootConfig {
    WolfBootConfig {
        layout,
        trailer,
        secret: None,
    }
}
