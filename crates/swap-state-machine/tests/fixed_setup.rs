//! A bootloader with its layout and options as build-time constants
//! (`FixedSetup`, what the boards run) behaves exactly as one with the same
//! layout and options held as values (`RuntimeSetup`, which the power-cut
//! sweeps in `power_cut.rs` prove): same decisions, same errors, same flash
//! bytes and the same number of flash operations, with power cut before
//! every single operation of an install, a reboot, a rollback and a
//! confirmation, torn operations included.

use wolfboot_hal_flash::{
    Device, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, PowerSupply, SplitFlash,
};
use wolfboot_swap_state_machine::testing::{synthetic_image, HeaderOnlyVerifier};
use wolfboot_swap_state_machine::{
    BootConfig, BootDecision, BootError, Bootloader, BuildSetup, FixedSetup, FlashSet,
    ImageVerifier, PartitionState, Setup, TrailerConfig,
};

const SECTOR: u32 = 0x1000;
const PSIZE: u32 = 0x8000;
const HDR: u32 = 256;

/// BOOT, UPDATE and SWAP on the internal flash, wolfBoot's default trailer.
struct Internal;

impl BuildSetup for Internal {
    const LAYOUT: PartitionSet = PartitionSet {
        boot: Partition::new(Device::Internal, 0, PSIZE),
        update: Partition::new(Device::Internal, PSIZE, PSIZE),
        swap: Partition::new(Device::Internal, 2 * PSIZE, SECTOR),
        sector_size: SECTOR,
    };
    const CONFIG: BootConfig = BootConfig {
        header_size: HDR,
        ..BootConfig::DEFAULT
    };
}

/// UPDATE and SWAP on an external flash (so BOOT's and UPDATE's trailers
/// differ in device and offset), trailers ending 44 bytes before the end
/// of their partitions (`TRAILER_SKIP`).
struct External;

impl BuildSetup for External {
    const LAYOUT: PartitionSet = PartitionSet {
        boot: Partition::new(Device::Internal, 0, PSIZE),
        update: Partition::new(Device::External, 0, PSIZE),
        swap: Partition::new(Device::External, PSIZE, SECTOR),
        sector_size: SECTOR,
    };
    const CONFIG: BootConfig = BootConfig {
        trailer: TrailerConfig {
            trailer_skip: 44,
            ..TrailerConfig::DEFAULT
        },
        header_size: HDR,
        ..BootConfig::DEFAULT
    };
}

type Flash = SplitFlash<MemFlash, MemFlash>;

/// What a run leaves: every result, the flash bytes of both devices, and
/// the number of flash operations.
#[derive(Debug, PartialEq)]
struct Outcome {
    results: Vec<Result<BootDecision, BootError>>,
    internal: Vec<u8>,
    external: Vec<u8>,
    operations: u64,
}

/// A flash with version 1 confirmed in BOOT and version 2 in UPDATE, on the
/// devices of `layout`, on one power rail.
fn flash(layout: &PartitionSet, torn: bool, power: &PowerSupply) -> Flash {
    let device = |size: u32, write_size: u32, seed: u64| {
        let mut c = MemFlashConfig::new(size, SECTOR, write_size);
        c.torn_seed = torn.then_some(seed);
        MemFlash::with_power(c, power.clone()).unwrap()
    };
    let mut f = SplitFlash {
        internal: device(3 * PSIZE + SECTOR, 8, 0x5EED),
        external: device(PSIZE + SECTOR, 1, 0xBEEF),
    };
    for (id, version) in [(PartitionId::Boot, 1), (PartitionId::Update, 2)] {
        let p = layout.get(id);
        let image = synthetic_image(version, 9 * 1024 + 100 * version, HDR);
        match p.device {
            Device::Internal => f.internal.poke(p.offset, &image).unwrap(),
            Device::External => f.external.poke(p.offset, &image).unwrap(),
        }
    }
    f
}

/// Trigger, boot (install), boot (unconfirmed: roll back), trigger again,
/// boot, confirm, boot, with power cut after `cut` operations (none:
/// `None`). After the cut power comes back and the bootloader runs once
/// more, as after a reset.
fn run<P: Setup>(setup: P, cut: Option<u64>, torn: bool) -> (Outcome, bool) {
    let power = PowerSupply::new();
    let layout = setup.layout();
    let f = flash(&layout, torn, &power);
    let verifier = HeaderOnlyVerifier::new(HDR);
    let mut bl = Bootloader::with_setup(f, verifier, setup).unwrap();
    bl.boot_trailer()
        .set_state(bl.flash_mut(), PartitionState::Success)
        .unwrap();
    if let Some(n) = cut {
        power.cut_after(n);
    }
    let mut results = Vec::new();
    steps(&mut bl, &mut results);
    let cut_hit = power.is_off();
    if cut_hit {
        power.reboot();
        results.push(bl.boot());
    }
    let f = bl.flash();
    let operations = f.internal.stats().mutations() + f.external.stats().mutations();
    let outcome = Outcome {
        results,
        internal: f.internal.contents().to_vec(),
        external: f.external.contents().to_vec(),
        operations,
    };
    (outcome, cut_hit)
}

/// The sequence of a run; stops at the first error (a power cut).
fn steps<S: FlashSet, V: ImageVerifier, P: Setup>(
    bl: &mut Bootloader<S, V, P>,
    results: &mut Vec<Result<BootDecision, BootError>>,
) {
    let mut boot = |bl: &mut Bootloader<S, V, P>| {
        let r = bl.boot();
        let ok = r.is_ok();
        results.push(r);
        ok
    };
    let _all_ran = bl.update_trigger().is_ok()
        && boot(bl)
        && boot(bl)
        && bl.update_trigger().is_ok()
        && boot(bl)
        && bl.success().is_ok()
        && boot(bl);
}

/// Runs both setups of `T` with every cut; returns the operations of a whole run.
fn equivalent<T: BuildSetup>(torn: bool) -> u64 {
    let fixed = FixedSetup::<T>::new();
    let runtime = wolfboot_swap_state_machine::RuntimeSetup {
        layout: T::LAYOUT,
        config: T::CONFIG,
    };
    let (whole, _) = run(runtime, None, torn);
    assert_eq!(whole, run(fixed, None, torn).0, "uncut run");
    assert!(whole.results.iter().all(Result::is_ok));
    let mut cut = 0;
    loop {
        let (a, hit) = run(runtime, Some(cut), torn);
        let (b, _) = run(fixed, Some(cut), torn);
        assert_eq!(a, b, "power cut after {cut} operations (torn: {torn})");
        if !hit {
            return cut;
        }
        cut += 1;
    }
}

#[test]
fn fixed_setup_matches_runtime_setup_at_every_power_cut() {
    for torn in [false, true] {
        let n = equivalent::<Internal>(torn);
        assert!(n > 40, "the sequence makes many flash operations ({n})");
        equivalent::<External>(torn);
    }
}

#[test]
fn fixed_setup_trailers_are_the_runtime_ones() {
    let fixed = FixedSetup::<External>::new();
    let runtime = wolfboot_swap_state_machine::RuntimeSetup {
        layout: External::LAYOUT,
        config: External::CONFIG,
    };
    use wolfboot_swap_state_machine::TrailerGeometry;
    for id in [PartitionId::Boot, PartitionId::Update] {
        let (a, b) = (fixed.trailer(id), runtime.trailer(id));
        assert_eq!(a.partition(), b.partition(), "{id:?}");
        assert_eq!(a.sector_size(), b.sector_size());
        assert_eq!(a.config(), b.config());
    }
    assert_eq!(fixed.layout(), runtime.layout());
    assert_eq!(fixed.config(), runtime.config());
}
