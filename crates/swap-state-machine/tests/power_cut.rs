//! Power-cut harness: every flash operation of an update scenario is a cut
//! point; after each cut the device is "rebooted" (boot sequence run again on
//! the same flash, sometimes cut again) and invariants are checked.

mod common;

use common::{vector, Sha256Verifier, HDR};
use wolfboot_hal_flash::{
    Device, Flash, MemFlash, MemFlashConfig, Partition, PartitionSet, PowerSupply, SplitFlash,
};
use wolfboot_swap_state_machine::{
    BootAction, BootConfig, BootDecision, BootError, Bootloader, PartitionState, TrailerConfig,
};

type Bl = Bootloader<SplitFlash<MemFlash, MemFlash>, Sha256Verifier>;

#[derive(Clone, Copy, Debug)]
struct Geo {
    name: &'static str,
    sector: u32,
    psize: u32,
    int_ws: u32,
    /// UPDATE + SWAP on an external flash with this write size.
    ext_ws: Option<u32>,
    torn: bool,
    write_once: bool,
    /// Second-level cuts every `second_every` first-level points.
    second_every: u64,
}

const GEO_4K: Geo = Geo {
    name: "4KiB sectors, 8-byte writes",
    sector: 0x1000,
    psize: 0x8000,
    int_ws: 8,
    ext_ws: None,
    torn: false,
    write_once: false,
    second_every: 1,
};
const GEO_128K: Geo = Geo {
    name: "128KiB sectors, 256-byte writes",
    sector: 0x20000,
    psize: 0x60000,
    int_ws: 256,
    ext_ws: None,
    torn: false,
    write_once: false,
    second_every: 3,
};
const GEO_EXT: Geo = Geo {
    name: "BOOT internal (4KiB, 4-byte writes), UPDATE+SWAP external (1-byte writes)",
    sector: 0x1000,
    psize: 0x8000,
    int_ws: 4,
    ext_ws: Some(1),
    torn: false,
    write_once: false,
    second_every: 1,
};

struct Images {
    old: Vec<u8>,
    new: Vec<u8>,
}

fn small_images() -> Images {
    Images {
        old: vector("ecc256_sha256_v668_signed.bin"),
        new: vector("custom_tlv_v739_signed.bin"),
    }
}

fn version(img: &[u8]) -> u32 {
    u32::from_le_bytes([img[12], img[13], img[14], img[15]])
}

fn corrupt(img: &[u8]) -> Vec<u8> {
    let mut c = img.to_vec();
    let last = c.len() - 1;
    c[last] ^= 0x01;
    c
}

fn layout(g: &Geo) -> PartitionSet {
    if g.ext_ws.is_some() {
        PartitionSet {
            boot: Partition::new(Device::Internal, 0, g.psize),
            update: Partition::new(Device::External, 0, g.psize),
            swap: Partition::new(Device::External, g.psize, g.sector),
            sector_size: g.sector,
        }
    } else {
        PartitionSet {
            boot: Partition::new(Device::Internal, 0, g.psize),
            update: Partition::new(Device::Internal, g.psize, g.psize),
            swap: Partition::new(Device::Internal, 2 * g.psize, g.sector),
            sector_size: g.sector,
        }
    }
}

fn config(g: &Geo) -> BootConfig {
    BootConfig {
        trailer: TrailerConfig {
            write_once: g.write_once,
            flags_invert: false,
        },
        header_size: HDR,
        ..BootConfig::default()
    }
}

struct Rig {
    bl: Bl,
    power: PowerSupply,
}

fn build(g: &Geo, int_bytes: &[u8], ext_bytes: &[u8]) -> Rig {
    let power = PowerSupply::new();
    let int_size = if g.ext_ws.is_some() {
        g.psize
    } else {
        2 * g.psize + g.sector
    };
    let mut ic = MemFlashConfig::new(int_size, g.sector, g.int_ws);
    ic.double_program_is_error = g.write_once;
    let ext_size = if g.ext_ws.is_some() {
        g.psize + g.sector
    } else {
        g.sector
    };
    let mut ec = MemFlashConfig::new(ext_size, g.sector, g.ext_ws.unwrap_or(1));
    if g.torn {
        ic.torn_seed = Some(0x5EED);
        ec.torn_seed = Some(0xBEEF);
    }
    let mut int = MemFlash::with_power(ic, power.clone()).unwrap();
    int.poke(0, int_bytes).unwrap();
    let mut ext = MemFlash::with_power(ec, power.clone()).unwrap();
    ext.poke(0, ext_bytes).unwrap();
    let bl = Bootloader::new(
        SplitFlash {
            internal: int,
            external: ext,
        },
        Sha256Verifier::default(),
        layout(g),
        config(g),
    )
    .unwrap();
    Rig { bl, power }
}

fn snapshot(r: &Rig) -> (Vec<u8>, Vec<u8>) {
    let f = r.bl.flash();
    (
        f.internal.contents().to_vec(),
        f.external.contents().to_vec(),
    )
}

fn mutations(r: &Rig) -> u64 {
    let f = r.bl.flash();
    f.internal.stats().mutations() + f.external.stats().mutations()
}

fn reset_stats(r: &mut Rig) {
    let f = r.bl.flash_mut();
    f.internal.reset_stats();
    f.external.reset_stats();
}

fn part_bytes(r: &mut Rig, part: Partition, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let f = r.bl.flash_mut();
    match part.device {
        Device::Internal => f.internal.read(part.offset, &mut v).unwrap(),
        Device::External => f.external.read(part.offset, &mut v).unwrap(),
    }
    v
}

/// A scenario: how to reach the state before the step, what the step is,
/// and which end states are acceptable.
struct Scenario {
    name: &'static str,
    prepare: fn(&Geo, &Images) -> Rig,
    /// The application confirms when it runs the new image.
    app_confirms: bool,
    /// Images that may legitimately be booted.
    bootable: fn(&Images) -> Vec<Vec<u8>>,
    /// Check the end state; returns an outcome label.
    check: fn(&mut Rig, &Images, &BootDecision, bool) -> Result<&'static str, String>,
}

fn place(g: &Geo, boot: &[u8], update: &[u8]) -> Rig {
    if g.ext_ws.is_some() {
        build(g, boot, update)
    } else {
        let mut int = vec![0xFFu8; g.psize as usize + update.len()];
        int[..boot.len()].copy_from_slice(boot);
        int[g.psize as usize..].copy_from_slice(update);
        build(g, &int, &[])
    }
}

fn prepare_update(g: &Geo, im: &Images) -> Rig {
    let mut r = place(g, &im.old, &im.new);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_rollback(g: &Geo, im: &Images) -> Rig {
    let mut r = prepare_update(g, im);
    let d = r.bl.boot().unwrap();
    assert_eq!(d.action, BootAction::Installed);
    r
}

fn prepare_emergency(g: &Geo, im: &Images) -> Rig {
    place(g, &corrupt(&im.old), &im.new)
}

fn prepare_corrupt_update(g: &Geo, im: &Images) -> Rig {
    let mut r = place(g, &im.old, &corrupt(&im.new));
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_downgrade(g: &Geo, im: &Images) -> Rig {
    let mut r = place(g, &im.new, &im.old);
    r.bl.update_trigger().unwrap();
    r
}

fn holds(r: &mut Rig, id: wolfboot_swap_state_machine::PartitionId, img: &[u8]) -> bool {
    let p = r.bl.layout().get(id);
    part_bytes(r, p, img.len()) == img
}

use wolfboot_swap_state_machine::PartitionId::{Boot, Update};

fn check_update(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    torn: bool,
) -> Result<&'static str, String> {
    if d.image.version == version(&im.new) {
        if !holds(r, Update, &im.old) {
            return Err("UPDATE does not hold the old image as backup".into());
        }
        if d.boot_state != Some(PartitionState::Testing) {
            return Err(format!("new image not TESTING: {:?}", d.boot_state));
        }
        Ok("new image TESTING, old in UPDATE")
    } else if torn {
        Ok("torn cut: old image kept (safe)")
    } else {
        Err(format!("booted old image after update: {d:?}"))
    }
}

fn check_confirm(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    torn: bool,
) -> Result<&'static str, String> {
    if d.image.version == version(&im.new) {
        if !holds(r, Update, &im.old) {
            return Err("UPDATE does not hold the old image".into());
        }
        match d.boot_state {
            Some(PartitionState::Success) => Ok("new image confirmed"),
            other => Err(format!("new image not confirmed: {other:?}")),
        }
    } else if holds(r, Boot, &im.old) {
        // The cut hit the confirmation itself: not confirmed, so rolled back.
        let _ = torn;
        Ok("confirm cut: rolled back to old image")
    } else {
        Err("BOOT holds neither image".into())
    }
}

fn check_rollback(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    torn: bool,
) -> Result<&'static str, String> {
    if d.image.version == version(&im.old) {
        if !holds(r, Boot, &im.old) {
            return Err("rollback did not restore the old image exactly".into());
        }
        if !holds(r, Update, &im.new) {
            return Err("UPDATE does not hold the rejected image".into());
        }
        if d.boot_state != Some(PartitionState::Success) {
            return Err(format!("restored image not SUCCESS: {:?}", d.boot_state));
        }
        Ok("old image restored, SUCCESS")
    } else if torn {
        Ok("torn cut: new image still TESTING (safe)")
    } else {
        Err(format!("rollback did not happen: {d:?}"))
    }
}

fn check_emergency(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    _torn: bool,
) -> Result<&'static str, String> {
    if d.image.version != version(&im.new) || !holds(r, Boot, &im.new) {
        return Err(format!("fallback image not in BOOT: {d:?}"));
    }
    Ok("fallback image booted")
}

fn check_keeps_old(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    _torn: bool,
) -> Result<&'static str, String> {
    if !matches!(d.action, BootAction::UpdateRefused(_)) {
        return Err(format!("update not refused: {d:?}"));
    }
    let _ = (r, im);
    Ok("update refused, current image kept")
}

fn check_keeps_new(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    torn: bool,
) -> Result<&'static str, String> {
    if d.image.version != version(&im.new) || !holds(r, Boot, &im.new) {
        return Err(format!("downgrade was installed: {d:?}"));
    }
    check_keeps_old(r, im, d, torn)
}

fn both(im: &Images) -> Vec<Vec<u8>> {
    vec![im.old.clone(), im.new.clone()]
}
fn only_new(im: &Images) -> Vec<Vec<u8>> {
    vec![im.new.clone()]
}
fn only_old(im: &Images) -> Vec<Vec<u8>> {
    vec![im.old.clone()]
}

const UPDATE: Scenario = Scenario {
    name: "update",
    prepare: prepare_update,
    app_confirms: false,
    bootable: both,
    check: check_update,
};
const CONFIRM: Scenario = Scenario {
    name: "update+confirm",
    prepare: prepare_update,
    app_confirms: true,
    bootable: both,
    check: check_confirm,
};
const ROLLBACK: Scenario = Scenario {
    name: "rollback",
    prepare: prepare_rollback,
    app_confirms: false,
    bootable: both,
    check: check_rollback,
};
const EMERGENCY: Scenario = Scenario {
    name: "emergency fallback",
    prepare: prepare_emergency,
    app_confirms: false,
    bootable: only_new,
    check: check_emergency,
};
const CORRUPT: Scenario = Scenario {
    name: "corrupt update refused",
    prepare: prepare_corrupt_update,
    app_confirms: false,
    bootable: only_old,
    check: check_keeps_old,
};
const DOWNGRADE: Scenario = Scenario {
    name: "downgrade refused",
    prepare: prepare_downgrade,
    app_confirms: false,
    bootable: only_new,
    check: check_keeps_new,
};

/// One reset: boot, check that what is booted verified and is a legitimate
/// image byte for byte, then let the application run (maybe confirm).
fn reset(r: &mut Rig, sc: &Scenario, im: &Images) -> Result<BootDecision, BootError> {
    let d = r.bl.boot()?;
    let bootable = (sc.bootable)(im);
    let boot = r.bl.layout().boot;
    let ok = bootable
        .iter()
        .any(|img| d.image.version == version(img) && part_bytes(r, boot, img.len()) == *img);
    assert!(
        ok,
        "{}: booted something that is not a legitimate image: {d:?}",
        sc.name
    );
    if sc.app_confirms && d.image.version == version(&im.new) {
        r.bl.success()?;
        return Ok(BootDecision {
            boot_state: Some(PartitionState::Success),
            ..d
        });
    }
    Ok(d)
}

/// Reset until a boot completes (no cut armed); at most a few times.
fn settle(r: &mut Rig, sc: &Scenario, im: &Images) -> BootDecision {
    r.power.reboot();
    for _ in 0..3 {
        match reset(r, sc, im) {
            Ok(d) => return d,
            Err(BootError::Flash(_)) => r.power.reboot(),
            Err(e) => panic!("{}: boot failed without cut: {e}", sc.name),
        }
    }
    panic!("{}: no boot after 3 resets", sc.name);
}

#[derive(Default)]
struct Tally {
    first: u64,
    second: u64,
    outcomes: std::collections::BTreeMap<&'static str, u64>,
}

fn run(sc: &Scenario, g: &Geo, im: &Images) -> Tally {
    let base = (sc.prepare)(g, im);
    let (bi, be) = snapshot(&base);
    let fresh = || {
        let mut r = build(g, &bi, &be);
        reset_stats(&mut r);
        r
    };
    // Uncut run: count operations, check the result.
    let mut r = fresh();
    let d = reset(&mut r, sc, im).unwrap_or_else(|e| panic!("{} on {}: {e}", sc.name, g.name));
    (sc.check)(&mut r, im, &d, false)
        .unwrap_or_else(|e| panic!("{} on {} uncut: {e}", sc.name, g.name));
    let n = mutations(&r);

    let mut t = Tally::default();
    for k in 0..=n {
        let mut r = fresh();
        r.power.cut_after(k);
        let first = reset(&mut r, sc, im);
        t.first += 1;
        if k < n {
            assert!(first.is_err(), "{}: cut at {k} did not interrupt", sc.name);
        }
        let d = match first {
            Ok(d) => d,
            Err(_) => {
                // Second-level cuts during the resume, at a spread of points.
                if k % g.second_every == 0 {
                    r.power.reboot();
                    let (ci, ce) = snapshot(&r);
                    let mut probe = build(g, &ci, &ce);
                    reset_stats(&mut probe);
                    let _ = reset(&mut probe, sc, im);
                    let m = mutations(&probe);
                    let mut points = vec![0, m / 4, m / 2, (3 * m) / 4, m.saturating_sub(1)];
                    points.dedup();
                    for j in points.into_iter().filter(|j| *j < m) {
                        let mut r2 = build(g, &ci, &ce);
                        r2.power.cut_after(j);
                        let _ = reset(&mut r2, sc, im);
                        let d2 = settle(&mut r2, sc, im);
                        let label = (sc.check)(&mut r2, im, &d2, g.torn).unwrap_or_else(|e| {
                            panic!("{} on {}: cut {k} then {j}: {e}", sc.name, g.name)
                        });
                        *t.outcomes.entry(label).or_default() += 1;
                        t.second += 1;
                    }
                }
                settle(&mut r, sc, im)
            }
        };
        let label = (sc.check)(&mut r, im, &d, g.torn)
            .unwrap_or_else(|e| panic!("{} on {}: cut at {k}/{n}: {e}", sc.name, g.name));
        *t.outcomes.entry(label).or_default() += 1;
    }
    eprintln!(
        "power-cut [{}] on [{}]: {} ops, {} cut points, {} second-level cuts, outcomes {:?}",
        sc.name, g.name, n, t.first, t.second, t.outcomes
    );
    t
}

fn all_scenarios(g: &Geo, im: &Images) {
    for sc in [
        &UPDATE, &CONFIRM, &ROLLBACK, &EMERGENCY, &CORRUPT, &DOWNGRADE,
    ] {
        run(sc, g, im);
    }
}

#[test]
fn cuts_4k_sectors() {
    all_scenarios(&GEO_4K, &small_images());
}

#[test]
fn cuts_128k_sectors() {
    all_scenarios(&GEO_128K, &small_images());
}

#[test]
fn cuts_external_update_and_swap() {
    all_scenarios(&GEO_EXT, &small_images());
}

#[test]
fn cuts_write_once_trailer() {
    let g = Geo {
        name: "4KiB, NVM_FLASH_WRITEONCE (double program = error)",
        write_once: true,
        psize: 0x8000,
        ..GEO_4K
    };
    for sc in [&UPDATE, &ROLLBACK] {
        run(sc, &g, &small_images());
    }
}

#[test]
fn cuts_torn_operations() {
    let g = Geo {
        name: "4KiB, torn erase/program at the cut",
        torn: true,
        ..GEO_4K
    };
    for sc in [&UPDATE, &ROLLBACK, &EMERGENCY] {
        run(sc, &g, &small_images());
    }
}

#[test]
fn cuts_large_images() {
    let im = Images {
        // (payload_delta_new_v503 has a 512-byte header: not this layout)
        old: vector("custom_tlv_buffer_v235_signed.bin"),
        new: vector("delta_base_v492_signed.bin"),
    };
    let g = Geo {
        name: "4KiB, 70 KB images",
        psize: 0x18000,
        second_every: 16,
        ..GEO_4K
    };
    run(&UPDATE, &g, &im);
    run(&ROLLBACK, &g, &im);
}
