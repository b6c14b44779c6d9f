//! Power cuts at fuzzer-chosen points of fuzzer-chosen update stories.
//!
//! A story starts from a device state (a confirmed image; an update
//! triggered; an update installed and under test; a broken BOOT with a good
//! image in UPDATE), then runs events: resets, and, while an image runs, the
//! application confirming it, triggering an update, or streaming a new image
//! into UPDATE with `UpdateWriter` (then triggering it). Any event may lose
//! power after N flash operations, torn or not; any geometry and option.
//!
//! Asserts, beyond "never panics":
//! * every boot boots an intact image signed on purpose by a key allowed
//!   to sign applications (`rig::check_booted`), nothing outside the
//!   partitions changes, and no boot ends without a bootable image;
//! * without `ALLOW_DOWNGRADE`, nothing older than a confirmed version is
//!   ever booted again;
//! * with power back, the device boots within three resets.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wolfboot_fuzz::images::{bootable_indices, catalogue, keystore, Entry, Registry, BOOT_SET};
use wolfboot_fuzz::rig::{check_booted, Geometry, Options, Rig};
use wolfboot_fuzz::seeds;
use wolfboot_hal_flash::PartitionId;
use wolfboot_libwolfboot::VersionPolicy;
use wolfboot_swap_state_machine::BootError;

#[derive(Arbitrary, Debug)]
enum Start {
    /// A confirmed image in BOOT.
    Confirmed { old: u8 },
    /// A confirmed image in BOOT, an update (any image) triggered.
    Triggered { old: u8, new: u8 },
    /// An update installed and under test (or refused).
    Installed { old: u8, new: u8 },
    /// BOOT corrupted, a good image in UPDATE.
    Broken { old: u8, new: u8 },
}

#[derive(Arbitrary, Debug)]
enum Event {
    Boot {
        cut: Option<u16>,
    },
    Confirm {
        cut: Option<u16>,
    },
    Trigger {
        cut: Option<u16>,
    },
    Stage {
        image: u8,
        chunk: u16,
        trigger: bool,
        cut: Option<u16>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    geo: Geometry,
    opts: Options,
    start: Start,
    events: Vec<Event>,
}

fn bootable(i: u8) -> &'static Entry {
    let idx = bootable_indices();
    &catalogue()[idx[usize::from(i) % idx.len()]]
}

fn any(i: u8) -> &'static Entry {
    &catalogue()[usize::from(i) % BOOT_SET]
}

struct Story {
    rig: Rig,
    reg: Registry,
    allow_downgrade: bool,
    /// Highest version the application confirmed.
    floor: u32,
    /// Version of the image running (a boot succeeded, no cut since).
    running: Option<u32>,
}

impl Story {
    fn arm(&self, cut: Option<u16>) {
        if let Some(n) = cut {
            self.rig.power.cut_after(u64::from(n % 96));
        }
    }

    /// After an event: a cut ends the running application; power comes back.
    fn settle_power(&mut self) {
        if self.rig.power.is_off() {
            self.running = None;
        }
        self.rig.power.reboot();
        self.rig.check_guards();
    }

    fn boot(&mut self, cut: Option<u16>) {
        self.arm(cut);
        let r = self.rig.boot();
        if wolfboot_fuzz::debug() {
            for part in [PartitionId::Boot, PartitionId::Update] {
                let b = self.rig.partition(part);
                let n = b.len();
                let s = wolfboot_fuzz::rig::SECTOR as usize;
                eprintln!(
                    "  {part:?} hdr {:02x?} copy1 tail {:02x?} copy0 tail {:02x?}",
                    &b[..12],
                    &b[n - s - 12..n - s],
                    &b[n - 12..]
                );
            }
            eprintln!(
                "boot(cut {cut:?}) -> {r:?}; BOOT intact {:?}, UPDATE intact {:?}",
                self.rig.intact_image(PartitionId::Boot).map(|f| f.version),
                self.rig
                    .intact_image(PartitionId::Update)
                    .map(|f| f.version)
            );
        }
        match r {
            Ok(d) => {
                let facts = check_booted(&self.rig, &self.reg, &d);
                if !self.allow_downgrade {
                    assert!(
                        facts.version >= self.floor,
                        "booted v{} after v{} was confirmed",
                        facts.version,
                        self.floor
                    );
                }
                self.running = Some(facts.version);
            }
            Err(BootError::Flash(_)) => {}
            Err(e) => panic!("boot failed: {e}"),
        }
        self.settle_power();
    }

    fn confirm(&mut self, cut: Option<u16>) {
        let Some(v) = self.running else { return };
        self.arm(cut);
        if self.rig.with_app(|app| app.success()).is_ok() {
            self.floor = self.floor.max(v);
        }
        self.settle_power();
    }

    fn trigger(&mut self, cut: Option<u16>) {
        if self.running.is_none() {
            return;
        }
        self.arm(cut);
        let _ = self.rig.with_app(|app| app.update_trigger());
        self.settle_power();
    }

    fn stage(&mut self, image: &[u8], chunk: usize, trigger: bool, cut: Option<u16>) {
        if self.running.is_none() {
            return;
        }
        self.arm(cut);
        let _ = self.rig.with_app(|app| -> Result<(), ()> {
            let mut w = app.update_writer().map_err(|_| ())?;
            for part in image.chunks(chunk) {
                w.write(part).map_err(|_| ())?;
            }
            let staged = w
                .finish(keystore(), VersionPolicy::NewerOnly)
                .map_err(|_| ())?;
            if trigger {
                staged.trigger().map_err(|_| ())?;
            }
            Ok(())
        });
        self.settle_power();
    }
}

fuzz_target!(
    init: {
        seeds::write_from_env("power_cut");
        let _ = catalogue();
    },
    |input: Input| {
        let mut opts = input.opts;
        if input.geo.write_once {
            // Out of model (docs/security.md, "Limits"): byte-by-byte tearing
            // of the two-copy trailer of NVM_FLASH_WRITEONCE can leave a copy
            // with its magic but not all its sector flags (picked over the
            // good copy: a swap resumed two steps back destroys both images),
            // or a copy that reads erased but was programmed (the next write
            // skips its erase: every boot fails with a double program).
            opts.torn_seed = None;
        }
        let mut s = Story {
            rig: Rig::new(input.geo, opts),
            reg: Registry::new(),
            allow_downgrade: opts.allow_downgrade,
            floor: 0,
            running: None,
        };
        // The starting state, built without cuts.
        match input.start {
            Start::Confirmed { old } | Start::Triggered { old, .. } | Start::Installed { old, .. } => {
                let old = bootable(old);
                s.rig.place(PartitionId::Boot, 0, &old.bytes);
                s.rig.with_app(|app| app.success()).expect("confirm");
                s.floor = old.facts.version;
                if let Start::Triggered { new, .. } | Start::Installed { new, .. } = input.start {
                    s.rig.place(PartitionId::Update, 0, &any(new).bytes);
                    s.rig.with_app(|app| app.update_trigger()).expect("trigger");
                }
                if let Start::Installed { .. } = input.start {
                    s.boot(None);
                }
            }
            Start::Broken { old, new } => {
                let mut bad = bootable(old).bytes.clone();
                let last = bad.len() - 1;
                bad[last] ^= 0x80;
                s.rig.place(PartitionId::Boot, 0, &bad);
                s.rig.place(PartitionId::Update, 0, &bootable(new).bytes);
            }
        }
        s.rig.check_guards();

        for e in input.events.iter().take(8) {
            match *e {
                Event::Boot { cut } => s.boot(cut),
                Event::Confirm { cut } => s.confirm(cut),
                Event::Trigger { cut } => s.trigger(cut),
                Event::Stage {
                    image,
                    chunk,
                    trigger,
                    cut,
                } => {
                    let img = any(image).bytes.clone();
                    s.stage(&img, 1 + usize::from(chunk) % 700, trigger, cut);
                }
            }
        }

        // Power back for good: the device boots within three resets.
        for attempt in 0.. {
            assert!(attempt < 3, "no boot after 3 resets without power cuts");
            s.boot(None);
            if s.running.is_some() {
                break;
            }
        }
    }
);
