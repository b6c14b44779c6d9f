//! Stories found by the fuzz targets (`fuzz/`), kept as plain tests.

use wolfboot_hal_flash::{
    Device, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
};
use wolfboot_image_format::AuthType;
use wolfboot_libwolfboot::{Error, PartitionState, VersionPolicy, WolfBoot, WolfBootConfig};
use wolfboot_test_vectors as vectors;
use wolfboot_verify::{KeySlot, Keystore};

const SECTOR: u32 = 0x1000;

fn layout() -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0, 0x8000),
        update: Partition::new(Device::Internal, 0x8000, 0x8000),
        swap: Partition::new(Device::Internal, 0x10000, SECTOR),
        sector_size: SECTOR,
    }
}

/// `power_cut`: v3 confirmed, v5 installed and under test; the application
/// (v5, unconfirmed) streams an older signed image into UPDATE. `finish`
/// refused it as a downgrade, but it was in UPDATE already, and the next
/// reset rolled the unconfirmed v5 back to it: a downgrade below the
/// confirmed version, without any trigger. Staging is now refused while
/// BOOT is TESTING, before UPDATE (the rollback image) is touched.
#[test]
fn staging_is_refused_while_the_running_image_is_unconfirmed() {
    let key = vectors::read("keys/ecc256/ecc256_pub.der");
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let keystore = Keystore::new(&slots);
    let running = vectors::read("custom_tlv_v739_signed.bin");
    let backup = vectors::read("ecc256_sha256_v668_signed.bin");
    let older = vectors::read("encrypted_aes128_v470_signed.bin");

    let mut flash = MemFlash::new(MemFlashConfig::new(0x11000, SECTOR, 8)).unwrap();
    flash.poke(0, &running).unwrap();
    flash.poke(0x8000, &backup).unwrap();
    let mut wb: WolfBoot<_> = WolfBoot::new(SingleFlash(flash), WolfBootConfig::new(layout()));
    // As the bootloader leaves it after installing v739 over v668.
    wolfboot_swap_state_machine::app::set_partition_state(
        wb.flash_mut(),
        &layout(),
        Default::default(),
        PartitionId::Boot,
        PartitionState::Testing,
    )
    .unwrap();
    let update_before = wb.flash_mut().0.contents()[0x8000..0x10000].to_vec();

    assert_eq!(wb.update_writer().err(), Some(Error::Unconfirmed));
    assert_eq!(
        &wb.flash_mut().0.contents()[0x8000..0x10000],
        update_before.as_slice(),
        "the rollback image in UPDATE was touched"
    );

    // Once confirmed, an update can be staged; a downgrade is still refused.
    wb.success().unwrap();
    let mut w = wb.update_writer().unwrap();
    w.write(&older).unwrap();
    assert!(matches!(
        w.finish(&keystore, VersionPolicy::NewerOnly),
        Err(wolfboot_libwolfboot::UpdateError::Downgrade {
            current: 739,
            offered: 470
        })
    ));
    assert_eq!(
        wb.partition_state(PartitionId::Boot).unwrap(),
        Some(PartitionState::Success)
    );
}
