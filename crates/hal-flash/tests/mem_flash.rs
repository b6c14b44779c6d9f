//! NOR rules, counters and power cuts of the test doubles.

use wolfboot_hal_flash::{
    Device, Flash, FlashError, FlashSet, LayoutError, MemFlash, MemFlashConfig, Partition,
    PartitionError, PartitionSet, PowerSupply, SingleFlash, SplitFlash,
};

fn flash() -> MemFlash {
    MemFlash::new(MemFlashConfig::new(0x4000, 0x1000, 4)).unwrap()
}

#[test]
fn nor_rules() {
    let mut f = flash();
    assert_eq!(f.write(0, &[0x0F, 0xF0, 0x00, 0xFF]), Ok(()));
    // clearing more bits is fine, raising one is not
    assert_eq!(f.write(0, &[0x0E, 0xF0, 0x00, 0xFF]), Ok(()));
    assert_eq!(
        f.write(0, &[0x1E, 0xF0, 0x00, 0xFF]),
        Err(FlashError::BitRaise { offset: 0 })
    );
    assert_eq!(f.write(2, &[0; 4]), Err(FlashError::NotAligned));
    assert_eq!(f.write(0, &[0; 3]), Err(FlashError::NotAligned));
    assert_eq!(f.write(0x4000, &[0; 4]), Err(FlashError::OutOfBounds));
    assert_eq!(f.erase(0x800, 0x1000), Err(FlashError::NotAligned));
    assert_eq!(f.erase(0, 0x5000), Err(FlashError::OutOfBounds));
    assert_eq!(f.stats().double_programs, 1);
    f.erase(0, 0x1000).unwrap();
    assert!(f.contents()[..0x1000].iter().all(|b| *b == 0xFF));
    let s = f.stats();
    assert_eq!(
        (s.programs, s.erase_ops, s.sectors_erased, s.bytes_written),
        (2, 1, 1, 8)
    );
}

#[test]
fn double_program_can_be_an_error() {
    let mut c = MemFlashConfig::new(0x2000, 0x1000, 8);
    c.double_program_is_error = true;
    let mut f = MemFlash::new(c).unwrap();
    f.write(8, &[0xAA; 8]).unwrap();
    assert_eq!(
        f.write(8, &[0xAA; 8]),
        Err(FlashError::DoubleProgram { offset: 8 })
    );
    f.erase(0, 0x1000).unwrap();
    f.write(8, &[0xAA; 8]).unwrap();
}

#[test]
fn erased_to_zero_flash_only_sets_bits() {
    let mut c = MemFlashConfig::new(0x1000, 0x1000, 1);
    c.erased_byte = 0x00;
    let mut f = MemFlash::new(c).unwrap();
    f.write(0, &[0x0F]).unwrap();
    assert_eq!(f.write(0, &[0x07]), Err(FlashError::BitRaise { offset: 0 }));
    f.write(0, &[0x8F]).unwrap();
}

#[test]
fn power_cut_and_reboot() {
    let mut f = flash();
    f.cut_power_after(1);
    f.write(0, &[0; 4]).unwrap();
    assert_eq!(f.write(4, &[0; 4]), Err(FlashError::PowerLoss));
    let mut b = [0u8; 4];
    assert_eq!(f.read(4, &mut b), Err(FlashError::PowerLoss));
    assert_eq!(f.erase(0, 0x1000), Err(FlashError::PowerLoss));
    f.reboot();
    f.read(0, &mut b).unwrap();
    assert_eq!(b, [0; 4]);
    f.read(4, &mut b).unwrap();
    assert_eq!(b, [0xFF; 4], "cut write left nothing (not torn)");
    assert_eq!(f.stats().mutations(), 1);
}

#[test]
fn torn_erase_leaves_mixed_sector() {
    let mut c = MemFlashConfig::new(0x1000, 0x1000, 4);
    c.torn_seed = Some(7);
    let mut f = MemFlash::from_bytes(c, &[0u8; 0x1000]).unwrap();
    f.cut_power_after(0);
    assert_eq!(f.erase(0, 0x1000), Err(FlashError::PowerLoss));
    let erased = f.contents().iter().filter(|b| **b == 0xFF).count();
    assert!(erased > 0 && erased < 0x1000, "{erased}");
}

#[test]
fn shared_power_rail_cuts_both_devices() {
    let rail = PowerSupply::new();
    let int = MemFlash::with_power(MemFlashConfig::new(0x2000, 0x1000, 8), rail.clone()).unwrap();
    let ext = MemFlash::with_power(MemFlashConfig::new(0x2000, 0x1000, 1), rail.clone()).unwrap();
    let mut set = SplitFlash {
        internal: int,
        external: ext,
    };
    rail.cut_after(1);
    set.write(Device::Internal, 0, &[0; 8]).unwrap();
    assert!(set.write(Device::External, 0, &[0]).is_err());
    assert!(set.write(Device::Internal, 8, &[0; 8]).is_err());
    rail.reboot();
    set.write(Device::External, 0, &[0]).unwrap();
}

#[test]
fn partitions_are_bounds_checked() {
    let mut set = SingleFlash(flash());
    let p = Partition::new(Device::Internal, 0x1000, 0x1000);
    let mut b = [0u8; 8];
    assert_eq!(p.read(&mut set, 0xFF8, &mut b), Ok(()));
    assert_eq!(
        p.read(&mut set, 0xFFC, &mut b),
        Err(PartitionError::OutOfRange)
    );
    assert_eq!(
        p.write(&mut set, u32::MAX, &b),
        Err(PartitionError::OutOfRange)
    );
    let mut v = p.view(&mut set.0);
    assert_eq!(v.erase(0, 0x2000), Err(PartitionError::OutOfRange));
    v.erase(0, 0x1000).unwrap();
}

#[test]
fn layout_validation() {
    let set = SingleFlash(MemFlash::new(MemFlashConfig::new(0x9000, 0x1000, 4)).unwrap());
    let good = PartitionSet {
        boot: Partition::new(Device::Internal, 0, 0x4000),
        update: Partition::new(Device::Internal, 0x4000, 0x4000),
        swap: Partition::new(Device::Internal, 0x8000, 0x1000),
        sector_size: 0x1000,
    };
    assert_eq!(good.validate(&set), Ok(()));
    let overlap = PartitionSet {
        swap: Partition::new(Device::Internal, 0x7000, 0x1000),
        ..good
    };
    assert!(matches!(
        overlap.validate(&set),
        Err(LayoutError::Overlap(..))
    ));
    let big_swap = PartitionSet {
        swap: Partition::new(Device::Internal, 0x8000, 0x2000),
        ..good
    };
    assert!(big_swap.validate(&set).is_err());
    let odd_sector = PartitionSet {
        sector_size: 0x800,
        ..good
    };
    assert_eq!(odd_sector.validate(&set), Err(LayoutError::SectorSize));
}

#[test]
fn file_flash_writes_through() {
    let path = std::env::temp_dir().join(format!("wolfboot-hal-flash-{}.dd", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        let mut f =
            wolfboot_hal_flash::FileFlash::open(&path, MemFlashConfig::new(0x2000, 0x1000, 4))
                .unwrap();
        f.write(0x1000, b"BOOT").unwrap();
        assert!(f.write(0x1000, b"WOLF").is_err());
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 0x2000);
    assert_eq!(&bytes[0x1000..0x1004], b"BOOT");
    let mut f =
        wolfboot_hal_flash::FileFlash::open(&path, MemFlashConfig::new(0x2000, 0x1000, 4)).unwrap();
    let mut b = [0u8; 4];
    f.read(0x1000, &mut b).unwrap();
    assert_eq!(&b, b"BOOT");
    let _ = std::fs::remove_file(&path);
}

/// Planted contents (a loaded file, `from_bytes`, `poke`) say whether a write
/// unit counts as programmed until the unit is next erased or programmed;
/// after that the operations decide, even when they wrote erased bytes.
#[test]
fn planted_contents_decide_programmed_units_until_touched() {
    let mut c = MemFlashConfig::new(0x2000, 0x1000, 8);
    c.double_program_is_error = true;
    let mut planted = vec![0xFF; 0x20];
    planted[0x08] = 0x00; // unit 1 holds data, units 0, 2 and 3 are erased
    let mut f = MemFlash::from_bytes(c, &planted).unwrap();
    assert_eq!(f.contents().len(), 0x2000);
    assert_eq!(
        f.write(0x08, &[0x00; 8]),
        Err(FlashError::DoubleProgram { offset: 0x08 })
    );
    f.write(0x00, &[0xFF; 8]).unwrap(); // programmed, though still reading erased
    assert_eq!(
        f.write(0x00, &[0x00; 8]),
        Err(FlashError::DoubleProgram { offset: 0x00 })
    );
    f.poke(0x10, &[0x12]).unwrap(); // planted data: unit 2 now counts as programmed
    assert_eq!(
        f.write(0x10, &[0x00; 8]),
        Err(FlashError::DoubleProgram { offset: 0x10 })
    );
    f.erase(0, 0x1000).unwrap();
    for unit in 0..4u32 {
        f.write(unit * 8, &[0x5A; 8]).unwrap();
    }
    assert_eq!(f.stats().double_programs, 0);
}

/// A flash file is taken as it is: data written before survives a reopen and
/// counts as programmed; a short file is extended with erased bytes.
#[test]
fn file_flash_reopen_keeps_programmed_units() {
    let path = std::env::temp_dir().join(format!(
        "wolfboot-hal-flash-reopen-{}.dd",
        std::process::id()
    ));
    std::fs::write(&path, [0xA5u8; 12]).unwrap();
    let mut c = MemFlashConfig::new(0x2000, 0x1000, 4);
    c.double_program_is_error = true;
    let mut f = wolfboot_hal_flash::FileFlash::open(&path, c).unwrap();
    assert_eq!(
        f.write(0x08, &[0x00; 4]),
        Err(FlashError::DoubleProgram { offset: 0x08 })
    );
    f.write(0x0C, &[0x00; 4]).unwrap();
    drop(f);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 0x2000);
    assert_eq!(&bytes[0x08..0x10], &[0xA5, 0xA5, 0xA5, 0xA5, 0, 0, 0, 0]);
    assert!(bytes[0x10..].iter().all(|b| *b == 0xFF));
    let _ = std::fs::remove_file(&path);
}
