//! Application-side trailer operations (what `libwolfboot` offers firmware):
//! trigger an update, confirm the running image, read states.

use wolfboot_hal_flash::{FlashSet, PartitionId, PartitionSet};

use crate::trailer::{PartitionState, PartitionTrailer, TrailerConfig, TrailerError};

/// `wolfBoot_update_trigger`: mark UPDATE as [`PartitionState::Updating`] so
/// the bootloader installs it at next reset. Clears UPDATE's old sector flags.
pub fn update_trigger<S: FlashSet + ?Sized>(
    flash: &mut S,
    layout: &PartitionSet,
    config: TrailerConfig,
) -> Result<(), TrailerError> {
    PartitionTrailer::of(layout, PartitionId::Update, config).trigger(flash)
}

/// `wolfBoot_success`: mark BOOT as [`PartitionState::Success`] (confirmed,
/// no rollback at next reset).
pub fn success<S: FlashSet + ?Sized>(
    flash: &mut S,
    layout: &PartitionSet,
    config: TrailerConfig,
) -> Result<(), TrailerError> {
    set_partition_state(
        flash,
        layout,
        config,
        PartitionId::Boot,
        PartitionState::Success,
    )
}

/// `wolfBoot_set_partition_state` for BOOT or UPDATE.
pub fn set_partition_state<S: FlashSet + ?Sized>(
    flash: &mut S,
    layout: &PartitionSet,
    config: TrailerConfig,
    part: PartitionId,
    state: PartitionState,
) -> Result<(), TrailerError> {
    PartitionTrailer::of(layout, part, config).set_state(flash, state)
}

/// `wolfBoot_get_partition_state`: `None` when the trailer has no magic.
pub fn partition_state<S: FlashSet + ?Sized>(
    flash: &mut S,
    layout: &PartitionSet,
    config: TrailerConfig,
    part: PartitionId,
) -> Result<Option<PartitionState>, TrailerError> {
    PartitionTrailer::of(layout, part, config).state(flash)
}
