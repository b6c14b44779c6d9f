//! Flash rigs for the boot targets: BOOT, UPDATE and SWAP on in-memory NOR
//! flash, every partition surrounded by guard sectors holding a pattern, the
//! bootloader (with the real keystore verifier) and the application library
//! over the same flash.

use arbitrary::Arbitrary;
use wolfboot_hal_flash::{
    Device, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, PowerSupply, SplitFlash,
};
use wolfboot_libwolfboot::{WolfBoot, WolfBootConfig};
use wolfboot_swap_state_machine::{
    BootConfig, BootDecision, BootError, Bootloader, KeystoreVerifier, PartitionTrailer,
    TrailerConfig,
};

use crate::images::{catalogue, keystore, Facts, Registry};
use crate::reference;

/// Tag of the signature field.
const SIGNATURE: u16 = 0x0020;

/// Both devices (with a single-device layout the external one holds only a
/// guard sector).
pub type Flash = SplitFlash<MemFlash, MemFlash>;
/// The bootloader's verifier, 256-byte headers.
pub type Verifier = KeystoreVerifier<'static, 256>;
/// The application library.
pub type App = WolfBoot<Flash, 256>;

/// Swap sector (and erase sector) size.
pub const SECTOR: u32 = 0x400;
/// BOOT and UPDATE size: six sectors.
pub const PSIZE: u32 = 6 * SECTOR;
/// `IMAGE_HEADER_SIZE`.
pub const HEADER_SIZE: usize = 256;

const WRITE_SIZES: [u32; 8] = [1, 2, 4, 8, 16, 32, 64, 256];

/// Flash geometry and trailer options, chosen by the fuzzer.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Geometry {
    /// Program unit of the internal device (index into 1..256).
    pub write_size: u8,
    /// Program unit of the external device.
    pub ext_write_size: u8,
    /// UPDATE and SWAP on an external device (wolfBoot's `EXT_FLASH`).
    pub split: bool,
    /// `NVM_FLASH_WRITEONCE` (and programming twice is an error).
    pub write_once: bool,
    /// `WOLFBOOT_FLAGS_INVERT` (flash erases to 0x00).
    pub flags_invert: bool,
}

/// Bootloader options.
#[derive(Debug, Clone, Copy, Default, Arbitrary)]
pub struct Options {
    /// `ALLOW_DOWNGRADE`.
    pub allow_downgrade: bool,
    /// `DISABLE_BACKUP`.
    pub disable_backup: bool,
    /// Power cuts leave the interrupted operation torn (seeded).
    pub torn_seed: Option<u64>,
}

/// Devices, layout, options and the guard regions to watch.
pub struct Rig {
    flash: Option<Flash>,
    /// The power rail of both devices.
    pub power: PowerSupply,
    /// BOOT, UPDATE, SWAP.
    pub layout: PartitionSet,
    /// Bootloader options.
    pub config: BootConfig,
    /// Bytes of BOOT / UPDATE an image may occupy.
    pub image_area: u32,
    guards: Vec<(Device, u32, Vec<u8>)>,
}

fn guard_pattern(device: Device, at: u32, len: u32) -> Vec<u8> {
    let salt = if device == Device::Internal {
        0xA5
    } else {
        0x3C
    };
    (at..at + len).map(|i| salt ^ (i as u8)).collect()
}

impl Rig {
    /// A rig with every partition erased and the guards filled.
    pub fn new(geo: Geometry, opts: Options) -> Rig {
        let s = SECTOR;
        let (layout, int_size, ext_size) = if geo.split {
            (
                PartitionSet {
                    boot: Partition::new(Device::Internal, s, PSIZE),
                    update: Partition::new(Device::External, s, PSIZE),
                    swap: Partition::new(Device::External, 2 * s + PSIZE, s),
                    sector_size: s,
                },
                2 * s + PSIZE,
                4 * s + PSIZE,
            )
        } else {
            (
                PartitionSet {
                    boot: Partition::new(Device::Internal, s, PSIZE),
                    update: Partition::new(Device::Internal, 2 * s + PSIZE, PSIZE),
                    swap: Partition::new(Device::Internal, 3 * s + 2 * PSIZE, s),
                    sector_size: s,
                },
                5 * s + 2 * PSIZE,
                s,
            )
        };
        let erased = if geo.flags_invert { 0x00 } else { 0xFF };
        let power = PowerSupply::new();
        let mut ic = MemFlashConfig::new(
            int_size,
            s,
            WRITE_SIZES[usize::from(geo.write_size) % WRITE_SIZES.len()],
        );
        ic.erased_byte = erased;
        ic.double_program_is_error = geo.write_once;
        ic.torn_seed = opts.torn_seed;
        let mut ec = MemFlashConfig::new(
            ext_size,
            s,
            WRITE_SIZES[usize::from(geo.ext_write_size) % 4],
        );
        ec.erased_byte = erased;
        ec.torn_seed = opts.torn_seed.map(|t| t.rotate_left(17) ^ 0xBEEF);
        let internal = MemFlash::with_power(ic, power.clone()).expect("internal geometry");
        let external = MemFlash::with_power(ec, power.clone()).expect("external geometry");
        let config = BootConfig {
            trailer: TrailerConfig {
                write_once: geo.write_once,
                flags_invert: geo.flags_invert,
                trailer_skip: 0,
            },
            header_size: HEADER_SIZE as u32,
            allow_downgrade: opts.allow_downgrade,
            disable_backup: opts.disable_backup,
            ..BootConfig::default()
        };
        let mut rig = Rig {
            flash: Some(SplitFlash { internal, external }),
            power,
            layout,
            config,
            image_area: 0,
            guards: Vec::new(),
        };
        // Everything outside the partitions is guard.
        for (device, size) in [(Device::Internal, int_size), (Device::External, ext_size)] {
            let mut parts: Vec<Partition> = [layout.boot, layout.update, layout.swap]
                .into_iter()
                .filter(|p| p.device == device)
                .collect();
            parts.sort_by_key(|p| p.offset);
            let mut at = 0;
            for p in parts
                .iter()
                .copied()
                .chain(std::iter::once(Partition::new(device, size, 0)))
            {
                if p.offset > at {
                    let pattern = guard_pattern(device, at, p.offset - at);
                    rig.device(device).poke(at, &pattern).expect("guard");
                    rig.guards.push((device, at, pattern));
                }
                at = p.offset + p.size;
            }
        }
        rig.image_area = rig.with_bootloader(|bl| bl.image_area());
        rig
    }

    fn device(&mut self, device: Device) -> &mut MemFlash {
        let f = self.flash.as_mut().expect("flash present");
        match device {
            Device::Internal => &mut f.internal,
            Device::External => &mut f.external,
        }
    }

    /// Both devices.
    pub fn flash(&self) -> &Flash {
        self.flash.as_ref().expect("flash present")
    }

    /// Both devices, mutably.
    pub fn flash_mut(&mut self) -> &mut Flash {
        self.flash.as_mut().expect("flash present")
    }

    /// Overwrite bytes of a partition directly (no NOR rules, no power),
    /// clipped to the partition.
    pub fn place(&mut self, part: PartitionId, offset: u32, bytes: &[u8]) {
        let p = self.layout.get(part);
        if offset >= p.size {
            return;
        }
        let n = bytes.len().min((p.size - offset) as usize);
        self.device(p.device)
            .poke(p.offset + offset, &bytes[..n])
            .expect("poke inside the partition");
    }

    /// The whole contents of a partition.
    pub fn partition(&self, part: PartitionId) -> Vec<u8> {
        let p = self.layout.get(part);
        let f = self.flash();
        let dev = match p.device {
            Device::Internal => &f.internal,
            Device::External => &f.external,
        };
        dev.contents()[p.offset as usize..(p.offset + p.size) as usize].to_vec()
    }

    /// Trailer of BOOT or UPDATE.
    pub fn trailer(&self, part: PartitionId) -> PartitionTrailer {
        PartitionTrailer::of(&self.layout, part, self.config.trailer)
    }

    /// Run `f` with a bootloader over the rig's flash.
    pub fn with_bootloader<R>(
        &mut self,
        f: impl FnOnce(&mut Bootloader<Flash, Verifier>) -> R,
    ) -> R {
        let flash = self.flash.take().expect("flash present");
        let mut bl =
            match Bootloader::new(flash, Verifier::new(keystore()), self.layout, self.config) {
                Ok(bl) => bl,
                Err(e) => panic!("rig layout refused by the bootloader: {e}"),
            };
        let r = f(&mut bl);
        self.flash = Some(bl.into_parts().0);
        r
    }

    /// One reset: the boot sequence.
    pub fn boot(&mut self) -> Result<BootDecision, BootError> {
        self.with_bootloader(|bl| bl.boot())
    }

    /// Run `f` with the application library over the rig's flash.
    pub fn with_app<R>(&mut self, f: impl FnOnce(&mut App) -> R) -> R {
        let flash = self.flash.take().expect("flash present");
        let mut app = App::new(
            flash,
            WolfBootConfig {
                layout: self.layout,
                trailer: self.config.trailer,
                secret: None,
            },
        );
        let r = f(&mut app);
        self.flash = Some(app.into_flash());
        r
    }

    /// Panic if any byte outside the partitions changed.
    pub fn check_guards(&self) {
        let f = self.flash();
        for (device, at, pattern) in &self.guards {
            let dev = match device {
                Device::Internal => &f.internal,
                Device::External => &f.external,
            };
            let now = &dev.contents()[*at as usize..*at as usize + pattern.len()];
            if now != pattern.as_slice() {
                let first = now.iter().zip(pattern).position(|(a, b)| a != b);
                panic!(
                    "flash outside the partitions changed: {device} offset {:#x}",
                    *at as usize + first.unwrap_or(0)
                );
            }
        }
    }

    /// The catalogue image a partition holds, intact as far as verification
    /// goes: the digest covers a catalogue image's bytes and the signature
    /// field is that image's (bytes nothing covers, like padding, may differ).
    pub fn intact_image(&self, part: PartitionId) -> Option<Facts> {
        let bytes = self.partition(part);
        let area = &bytes[..self.image_area as usize];
        let r = reference::recompute(area, HEADER_SIZE)?;
        if !r.matches {
            return None;
        }
        let e = catalogue()
            .iter()
            .find(|e| e.facts.header_size == HEADER_SIZE && e.digest == r.digest)?;
        let sig =
            |h: &[u8]| reference::find(&h[..HEADER_SIZE], SIGNATURE).map(|f| f.value.to_vec());
        (sig(area) == sig(&e.bytes)).then_some(e.facts)
    }
}

/// The checks after a boot decision: BOOT holds an intact image, signed on
/// purpose by a key allowed to sign applications, whose facts are the
/// decision's; nothing outside the partitions changed.
pub fn check_booted(rig: &Rig, reg: &Registry, d: &BootDecision) -> Facts {
    rig.check_guards();
    let bytes = rig.partition(PartitionId::Boot);
    let area = &bytes[..rig.image_area as usize];
    let r = reference::recompute(area, HEADER_SIZE)
        .unwrap_or_else(|| panic!("booted, but BOOT holds no complete image: {d:?}"));
    assert!(
        r.matches,
        "booted an image whose digest does not match: {d:?}"
    );
    let facts = reg
        .lookup(&r.digest)
        .unwrap_or_else(|| panic!("booted an image nobody signed: {d:?}"));
    assert!(
        facts.bootable(),
        "booted an image its key may not sign, or not an application: {facts:?}"
    );
    assert_eq!(d.image.version, facts.version, "decision version");
    assert_eq!(d.image.payload_size, facts.payload_size, "decision size");
    assert_eq!(d.image.image_type.0, facts.image_type, "decision type");
    assert_eq!(d.image.header_size, HEADER_SIZE, "decision header");
    // The decision carries the verifier's facts: the digest the image
    // verified with is the one the reference recomputed.
    assert_eq!(d.image.digest.as_bytes(), &r.digest[..], "decision digest");
    facts
}
