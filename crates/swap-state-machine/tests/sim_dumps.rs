//! The wolfBoot simulator flash dumps are ground truth for the trailer:
//! decode them, and re-encode the same states and compare byte for byte.

mod common;

use wolfboot_hal_flash::{
    Device, Flash, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
};
use wolfboot_swap_state_machine::{app, PartitionState, PartitionTrailer, TrailerConfig};

const SECTOR: u32 = 0x1000;
const PSIZE: u32 = 0x40000;

fn layout() -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0x80000, PSIZE),
        update: Partition::new(Device::Internal, 0x100000, PSIZE),
        swap: Partition::new(Device::Internal, 0x180000, SECTOR),
        sector_size: SECTOR,
    }
}

fn dump(state: &str, region: &str) -> Vec<u8> {
    common::vector(&format!("sim_flash/{state}/{region}.bin"))
}

/// A sim-sized flash holding the two trailer sectors of a dump.
fn flash_from(state: &str) -> SingleFlash<MemFlash> {
    let mut f = MemFlash::new(MemFlashConfig::new(0x181000, SECTOR, 1)).unwrap();
    f.poke(0xbf000, &dump(state, "boot_trailer_sector"))
        .unwrap();
    f.poke(0x13f000, &dump(state, "update_trailer_sector"))
        .unwrap();
    f.poke(0x180000, &dump(state, "swap_sector")).unwrap();
    SingleFlash(f)
}

fn trailer_sector(f: &mut SingleFlash<MemFlash>, part: PartitionId) -> Vec<u8> {
    let p = layout().get(part);
    let mut v = vec![0u8; SECTOR as usize];
    f.0.read(p.offset + p.size - SECTOR, &mut v).unwrap();
    v
}

const STATES: [(&str, Option<PartitionState>, Option<PartitionState>); 5] = [
    ("01_factory", None, None),
    (
        "02_after_update_trigger",
        None,
        Some(PartitionState::Updating),
    ),
    ("03_after_swap_testing", Some(PartitionState::Testing), None),
    ("04_after_success", Some(PartitionState::Success), None),
    ("05_after_rollback", Some(PartitionState::Success), None),
];

#[test]
fn decode_sim_dumps() {
    let cfg = TrailerConfig::default();
    for (dir, boot, update) in STATES {
        let mut f = flash_from(dir);
        let l = layout();
        assert_eq!(
            app::partition_state(&mut f, &l, cfg, PartitionId::Boot).unwrap(),
            boot,
            "{dir} BOOT"
        );
        assert_eq!(
            app::partition_state(&mut f, &l, cfg, PartitionId::Update).unwrap(),
            update,
            "{dir} UPDATE"
        );
        // The headers show which image sits where.
        let bh = dump(dir, "boot_header");
        let uh = dump(dir, "update_header");
        assert_eq!(&bh[..4], b"WOLF");
        let v = |h: &[u8]| u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
        let expect_boot_v = if dir.starts_with("03") || dir.starts_with("04") {
            2
        } else {
            1
        };
        assert_eq!(v(&bh), expect_boot_v, "{dir}");
        assert_eq!(v(&uh), 3 - expect_boot_v, "{dir}");
    }
}

#[test]
fn update_trigger_encodes_like_wolfboot() {
    let mut f = flash_from("01_factory");
    app::update_trigger(&mut f, &layout(), TrailerConfig::default()).unwrap();
    assert_eq!(
        trailer_sector(&mut f, PartitionId::Update),
        dump("02_after_update_trigger", "update_trailer_sector")
    );
    assert_eq!(
        trailer_sector(&mut f, PartitionId::Boot),
        dump("02_after_update_trigger", "boot_trailer_sector")
    );
}

#[test]
fn testing_and_success_encode_like_wolfboot() {
    let l = layout();
    let cfg = TrailerConfig::default();
    // After the swap wolfBoot erased both trailers, then wrote BOOT TESTING.
    let mut f = flash_from("02_after_update_trigger");
    let t = PartitionTrailer::of(&l, PartitionId::Update, cfg);
    t.erase(&mut f).unwrap();
    app::set_partition_state(&mut f, &l, cfg, PartitionId::Boot, PartitionState::Testing).unwrap();
    assert_eq!(
        trailer_sector(&mut f, PartitionId::Boot),
        dump("03_after_swap_testing", "boot_trailer_sector")
    );
    assert_eq!(
        trailer_sector(&mut f, PartitionId::Update),
        dump("03_after_swap_testing", "update_trailer_sector")
    );
    app::success(&mut f, &l, cfg).unwrap();
    assert_eq!(
        trailer_sector(&mut f, PartitionId::Boot),
        dump("04_after_success", "boot_trailer_sector")
    );
    assert_eq!(
        trailer_sector(&mut f, PartitionId::Boot),
        dump("05_after_rollback", "boot_trailer_sector")
    );
}

#[test]
fn sector_flags_nibbles() {
    use wolfboot_swap_state_machine::SectorFlag;
    let l = layout();
    let mut f = flash_from("01_factory");
    let t = PartitionTrailer::of(&l, PartitionId::Update, TrailerConfig::default());
    assert_eq!(t.sector_flag(&mut f, 0).unwrap(), None);
    t.set_sector_flag(&mut f, 0, SectorFlag::Swapping).unwrap();
    t.set_sector_flag(&mut f, 1, SectorFlag::Backup).unwrap();
    t.set_sector_flag(&mut f, 2, SectorFlag::Updated).unwrap();
    let s = trailer_sector(&mut f, PartitionId::Update);
    let n = s.len();
    assert_eq!(&s[n - 4..], b"BOOT");
    assert_eq!(s[n - 5], 0xFF, "state untouched");
    assert_eq!(
        s[n - 6],
        0x37,
        "sector 0 low nibble 7, sector 1 high nibble 3"
    );
    assert_eq!(s[n - 7], 0xF0, "sector 2 low nibble 0");
    assert_eq!(t.sector_flag(&mut f, 1).unwrap(), Some(SectorFlag::Backup));
}

#[test]
fn flags_invert_encoding() {
    let l = layout();
    let cfg = TrailerConfig {
        flags_invert: true,
        ..TrailerConfig::DEFAULT
    };
    let mut c = MemFlashConfig::new(0x181000, SECTOR, 1);
    c.erased_byte = 0x00;
    let mut f = SingleFlash(MemFlash::new(c).unwrap());
    app::update_trigger(&mut f, &l, cfg).unwrap();
    let s = trailer_sector(&mut f, PartitionId::Update);
    assert_eq!(&s[s.len() - 5..], &[0x8F, b'B', b'O', b'O', b'T']);
    assert_eq!(
        app::partition_state(&mut f, &l, cfg, PartitionId::Update).unwrap(),
        Some(PartitionState::Updating)
    );
    app::set_partition_state(&mut f, &l, cfg, PartitionId::Boot, PartitionState::Testing).unwrap();
    app::success(&mut f, &l, cfg).unwrap();
    let b = trailer_sector(&mut f, PartitionId::Boot);
    assert_eq!(b[b.len() - 5], 0xFF);
}

#[test]
fn write_once_keeps_one_fresh_copy() {
    let l = layout();
    let cfg = TrailerConfig {
        write_once: true,
        ..TrailerConfig::DEFAULT
    };
    let mut c = MemFlashConfig::new(0x181000, SECTOR, 8);
    c.double_program_is_error = true;
    let mut f = SingleFlash(MemFlash::new(c).unwrap());
    app::update_trigger(&mut f, &l, cfg).unwrap();
    app::set_partition_state(&mut f, &l, cfg, PartitionId::Boot, PartitionState::Testing).unwrap();
    app::success(&mut f, &l, cfg).unwrap();
    assert_eq!(
        app::partition_state(&mut f, &l, cfg, PartitionId::Boot).unwrap(),
        Some(PartitionState::Success)
    );
    assert_eq!(
        app::partition_state(&mut f, &l, cfg, PartitionId::Update).unwrap(),
        Some(PartitionState::Updating)
    );
    // Exactly one of the two trailer sectors carries the magic.
    let p = l.boot;
    let mut last = [0u8; 4];
    let mut prev = [0u8; 4];
    f.0.read(p.offset + p.size - 4, &mut last).unwrap();
    f.0.read(p.offset + p.size - SECTOR - 4, &mut prev).unwrap();
    assert!((&last == b"BOOT") ^ (&prev == b"BOOT"));
}
