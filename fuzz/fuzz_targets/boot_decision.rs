//! The boot decision on arbitrary flash contents: BOOT, UPDATE and SWAP
//! hold catalogue images (possibly patched) or raw bytes, each trailer is
//! erased, written with any state and sector flags, raw bytes, or both; any
//! geometry, `NVM_FLASH_WRITEONCE`, `FLAGS_INVERT`, external UPDATE/SWAP,
//! `ALLOW_DOWNGRADE`, `DISABLE_BACKUP`. Then resets, confirmations and
//! triggers in any order.
//!
//! Asserts, beyond "never panics":
//! * whatever is booted is an intact image in BOOT, signed on purpose by a
//!   key allowed to sign applications (independent digest + registry), and
//!   the decision reports its fields (`rig::check_booted`);
//! * nothing outside the three partitions is ever modified;
//! * the only errors are "no bootable image" and, when a trailer held
//!   garbage, the flash refusing a program over it (never an out-of-bounds
//!   or misaligned access, never a layout or trailer-range error);
//! * with clean trailers, a device with a bootable image in BOOT boots it
//!   as is, and one with a bootable image only in UPDATE falls back to it;
//! * once a device has booted, it keeps booting whatever the application
//!   does.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::images::{catalogue, Registry, BOOT_SET};
use wolfboot_fuzz::rig::{check_booted, Geometry, Options, Rig, PSIZE, SECTOR};
use wolfboot_fuzz::seeds;
use wolfboot_hal_flash::{NorFlashErrorKind, PartitionId};
use wolfboot_swap_state_machine::{BootAction, BootError, PartitionState, SectorFlag};

#[derive(Arbitrary, Debug)]
enum Content {
    Erased,
    Image { which: u8, patches: Vec<(u16, u8)> },
    Bytes { at: u16, bytes: Vec<u8> },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum State {
    New,
    Updating,
    FinalFlags,
    Testing,
    Success,
    Other(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Flag {
    New,
    Swapping,
    Backup,
    Updated,
}

#[derive(Arbitrary, Debug)]
enum Trailer {
    Erased,
    Written {
        state: State,
        flags: Vec<Flag>,
    },
    Raw {
        from_end: u16,
        bytes: Vec<u8>,
    },
    WrittenThenRaw {
        state: State,
        flags: Vec<Flag>,
        from_end: u16,
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
enum Action {
    Boot,
    Confirm,
    Trigger,
}

#[derive(Arbitrary, Debug)]
struct Input {
    geo: Geometry,
    allow_downgrade: bool,
    disable_backup: bool,
    boot: Content,
    update: Content,
    swap: Content,
    boot_trailer: Trailer,
    update_trailer: Trailer,
    actions: Vec<Action>,
}

fn fill(rig: &mut Rig, part: PartitionId, content: &Content) {
    let limit = if part == PartitionId::Swap {
        SECTOR
    } else {
        rig.image_area
    } as usize;
    match content {
        Content::Erased => {}
        Content::Image { which, patches } => {
            let mut img = catalogue()[usize::from(*which) % BOOT_SET].bytes.clone();
            for (at, x) in patches.iter().take(8) {
                let i = usize::from(*at) % img.len();
                img[i] ^= x;
            }
            img.truncate(limit);
            rig.place(part, 0, &img);
        }
        Content::Bytes { at, bytes } => {
            let at = usize::from(*at) % limit;
            let n = bytes.len().min(limit - at);
            rig.place(part, at as u32, &bytes[..n]);
        }
    }
}

fn state(s: State) -> PartitionState {
    match s {
        State::New => PartitionState::New,
        State::Updating => PartitionState::Updating,
        State::FinalFlags => PartitionState::FinalFlags,
        State::Testing => PartitionState::Testing,
        State::Success => PartitionState::Success,
        State::Other(b) => PartitionState::Unknown(b),
    }
}

fn flag(f: Flag) -> SectorFlag {
    match f {
        Flag::New => SectorFlag::New,
        Flag::Swapping => SectorFlag::Swapping,
        Flag::Backup => SectorFlag::Backup,
        Flag::Updated => SectorFlag::Updated,
    }
}

/// Write a trailer; returns whether it is still erased.
fn trailer(rig: &mut Rig, part: PartitionId, t: &Trailer) -> bool {
    let (written, raw) = match t {
        Trailer::Erased => return true,
        Trailer::Written { state, flags } => (Some((state, flags)), None),
        Trailer::Raw { from_end, bytes } => (None, Some((from_end, bytes))),
        Trailer::WrittenThenRaw {
            state,
            flags,
            from_end,
            bytes,
        } => (Some((state, flags)), Some((from_end, bytes))),
    };
    if let Some((s, flags)) = written {
        let tr = rig.trailer(part);
        let f = rig.flash_mut();
        tr.set_state(f, state(*s))
            .expect("trailer state on a clean trailer");
        for (i, fl) in flags.iter().take(8).enumerate() {
            tr.set_sector_flag(f, i as u32, flag(*fl))
                .expect("sector flag on a clean trailer");
        }
    }
    if let Some((from_end, bytes)) = raw {
        // Anywhere in the trailer area (two sectors with write-once).
        let back = 1 + u32::from(*from_end) % (2 * SECTOR);
        let at = PSIZE - back;
        let n = bytes.len().min(back as usize);
        rig.place(part, at, &bytes[..n]);
    }
    false
}

fuzz_target!(
    init: {
        seeds::write_from_env("boot_decision");
        let _ = catalogue();
    },
    |input: Input| {
        let reg = Registry::new();
        let mut rig = Rig::new(
            input.geo,
            Options {
                allow_downgrade: input.allow_downgrade,
                disable_backup: input.disable_backup,
                torn_seed: None,
            },
        );
        fill(&mut rig, PartitionId::Boot, &input.boot);
        fill(&mut rig, PartitionId::Update, &input.update);
        fill(&mut rig, PartitionId::Swap, &input.swap);
        let clean = trailer(&mut rig, PartitionId::Boot, &input.boot_trailer)
            & trailer(&mut rig, PartitionId::Update, &input.update_trailer);

        let boot_img = rig.intact_image(PartitionId::Boot).filter(|f| f.bootable());
        let update_img = rig.intact_image(PartitionId::Update).filter(|f| f.bootable());
        // With clean trailers the outcome is known.
        let must_boot = match (clean, boot_img, update_img) {
            (true, Some(b), _) => Some((b.version, BootAction::NoUpdate)),
            (true, None, Some(u)) => Some((u.version, BootAction::EmergencyFallback)),
            _ => None,
        };

        let mut booted_once = false;
        let mut boots = 0;
        let mut actions = input.actions.iter().take(6).collect::<Vec<_>>();
        actions.insert(0, &Action::Boot);
        for action in actions {
            match action {
                Action::Boot => {
                    let r = rig.boot();
                    match &r {
                        Ok(d) => {
                            check_booted(&rig, &reg, d);
                            booted_once = true;
                        }
                        Err(BootError::NoBootableImage { .. }) => {
                            assert!(!booted_once, "a device that booted no longer boots: {r:?}");
                        }
                        Err(BootError::Flash(f)) => {
                            assert!(
                                !clean && f.kind == NorFlashErrorKind::Other,
                                "flash error with clean trailers, or a bad access: {f:?}"
                            );
                        }
                        Err(e) => panic!("boot error {e:?}"),
                    }
                    if boots == 0 {
                        if let Some((version, action)) = must_boot {
                            let d = r.unwrap_or_else(|e| panic!("must boot v{version}: {e:?}"));
                            assert_eq!((d.image.version, d.action), (version, action));
                        }
                    }
                    boots += 1;
                }
                Action::Confirm => {
                    let _ = rig.with_app(|app| app.success());
                }
                Action::Trigger => {
                    let _ = rig.with_app(|app| app.update_trigger());
                }
            }
            rig.check_guards();
        }
    }
);
