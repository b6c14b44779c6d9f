//! One `DeviceConfig` for bootloader and application: the application's
//! `WolfBootConfig` and the bootloader's `BootConfig` taken from it agree on
//! layout, trailer and cipher, and a key the application stores is the key
//! the bootloader's reader finds.

use wolfboot_hal_flash::{MemFlash, MemFlashConfig, PartitionSet, SingleFlash};
use wolfboot_libwolfboot::{
    DeviceConfig, EncryptAlgorithm, EncryptSecret, PartitionId, PartitionState, TrailerConfig,
    WolfBoot, WolfBootConfig,
};
use wolfboot_swap_state_machine::{BootConfig, PartitionTrailer};

const SECTOR: u32 = 0x1000;
const PS: u32 = 0x10000;

fn layout() -> PartitionSet {
    PartitionSet::internal(0, [0, PS, 2 * PS], PS, SECTOR, SECTOR)
}

#[test]
fn app_and_bootloader_configs_agree() {
    let plain = DeviceConfig::new(layout());
    assert_eq!(plain.trailer, TrailerConfig::DEFAULT);
    assert_eq!(
        WolfBootConfig::from_device(plain),
        WolfBootConfig::new(layout())
    );
    assert_eq!(plain.boot_config(), BootConfig::default());
    assert!(plain.secret_area().is_none());

    for alg in EncryptAlgorithm::ALL {
        let device = DeviceConfig::new(layout()).with_encryption(Some(alg));
        let skip = alg.secret_len() as u32;
        assert_eq!(device.trailer.trailer_skip, skip);
        // The application's view: as `with_encryption` builds it by hand.
        let app = WolfBootConfig::from(device);
        assert_eq!(
            app,
            WolfBootConfig::new(layout()).with_encryption(EncryptSecret::of(alg))
        );
        // The bootloader's: same trailer and cipher, other options default.
        let boot = device.boot_config();
        assert_eq!(boot.trailer, app.trailer);
        assert_eq!(boot.encryption, Some(alg));
        assert_eq!(boot.header_size, BootConfig::default().header_size);
        // The secret sits where the BOOT trailer ends.
        let area = device.secret_area().unwrap().unwrap();
        let trailer = PartitionTrailer::of(&layout(), PartitionId::Boot, device.trailer);
        assert_eq!(area.offset(), trailer.end_offset());
        assert_eq!(area.offset(), PS - skip);

        // A key stored by the application is what the bootloader reads.
        let flash =
            SingleFlash(MemFlash::new(MemFlashConfig::new(2 * PS + SECTOR, SECTOR, 8)).unwrap());
        let mut wb: WolfBoot<_> = WolfBoot::new(flash, app);
        wb.success().unwrap();
        let key: Vec<u8> = (1..=alg.key_len() as u8).collect();
        let nonce: Vec<u8> = (0x40..0x40 + alg.nonce_len() as u8).collect();
        wb.set_encrypt_key(&key, &nonce).unwrap();
        let mut flash = wb.into_flash();
        let (mut k, mut n) = (vec![0u8; key.len()], vec![0u8; nonce.len()]);
        assert!(area.read(&mut flash, &mut k, &mut n).unwrap());
        assert_eq!((k, n), (key, nonce));
        let mut wb: WolfBoot<_> = WolfBoot::new(flash, app);
        assert_eq!(
            wb.partition_state(PartitionId::Boot).unwrap(),
            Some(PartitionState::Success)
        );
    }
}
