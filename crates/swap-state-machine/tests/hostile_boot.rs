//! The boot decision against hostile flash contents: replayed and older
//! images, a forged version after the signature, a key not allowed for the
//! application, garbage in the trailers. Listed in docs/security.md; the
//! fuzz targets `boot_decision` and `power_cut` explore the same ground.

mod common;

use common::{ecc256_keystore, vector, TestVerifier, HDR};
use wolfboot_hal_flash::{
    Device, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
};
use wolfboot_swap_state_machine::{
    BootAction, BootConfig, BootError, Bootloader, KeystoreVerifier, PartitionState,
    PartitionTrailer, RefuseReason, SectorFlag, TrailerConfig, VerifyError,
};
use wolfboot_verify::{AuthType, KeySlot, Keystore};

const SECTOR: u32 = 0x1000;
const PSIZE: u32 = 0x8000;
/// ECC P-256 images of the vectors, oldest first (signature ends at 192,
/// 200 and 172 in their 256-byte headers).
const V668: &str = "ecc256_sha256_v668_signed.bin";
const V739: &str = "custom_tlv_v739_signed.bin";
const V968: &str = "no_timestamp_v968_signed.bin";

fn layout() -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0, PSIZE),
        update: Partition::new(Device::Internal, PSIZE, PSIZE),
        swap: Partition::new(Device::Internal, 2 * PSIZE, SECTOR),
        sector_size: SECTOR,
    }
}

type Bl<V> = Bootloader<SingleFlash<MemFlash>, V>;

fn bootloader_with<V: wolfboot_swap_state_machine::ImageVerifier>(
    boot: &[u8],
    update: &[u8],
    verifier: V,
    config: BootConfig,
) -> Bl<V> {
    let mut f = MemFlash::new(MemFlashConfig::new(2 * PSIZE + SECTOR, SECTOR, 8)).unwrap();
    f.poke(0, boot).unwrap();
    f.poke(PSIZE, update).unwrap();
    Bootloader::new(
        SingleFlash(f),
        verifier,
        layout(),
        BootConfig {
            header_size: HDR,
            ..config
        },
    )
    .unwrap()
}

fn bootloader(boot: &[u8], update: &[u8], config: BootConfig) -> Bl<TestVerifier> {
    bootloader_with(boot, update, TestVerifier::keys(ecc256_keystore()), config)
}

fn partition(bl: &Bl<impl wolfboot_swap_state_machine::ImageVerifier>, id: PartitionId) -> Vec<u8> {
    let p = bl.layout().get(id);
    bl.flash().0.contents()[p.offset as usize..(p.offset + p.size) as usize].to_vec()
}

/// A version field (tag 1, 4 bytes) written into the padding after the
/// signature: not covered by anything, never the one read.
fn with_forged_version(img: &[u8], sig_end: usize, version: u32) -> Vec<u8> {
    let mut v = img.to_vec();
    assert!(v[sig_end..sig_end + 8].iter().all(|b| *b == 0xFF));
    v[sig_end..sig_end + 4].copy_from_slice(&[0x01, 0x00, 0x04, 0x00]);
    v[sig_end + 4..sig_end + 8].copy_from_slice(&version.to_le_bytes());
    v
}

/// Replay: the running image, or an older validly signed one, placed in
/// UPDATE and triggered. Refused as not newer, and nothing is written.
#[test]
fn replayed_or_older_images_are_refused() {
    let running = vector(V739);
    for (update, candidate) in [(vector(V739), 739), (vector(V668), 668)] {
        let mut b = bootloader(&running, &update, BootConfig::default());
        b.success().unwrap();
        b.update_trigger().unwrap();
        b.flash_mut().0.reset_stats();
        let d = b.boot().unwrap();
        assert_eq!(d.image.version, 739);
        assert_eq!(
            d.action,
            BootAction::UpdateRefused(RefuseReason::NotNewer {
                current: 739,
                candidate
            })
        );
        assert_eq!(b.flash().0.stats().mutations(), 0, "a refusal wrote");
        assert_eq!(
            partition(&b, PartitionId::Boot)[..running.len()],
            running[..]
        );
    }
}

/// A higher version forged after the signature does not count: neither on
/// the running image (which would make a real update look like a
/// downgrade) nor on an older update (which would sneak it in).
#[test]
fn forged_version_after_the_signature_is_ignored() {
    // BOOT v668 claiming 9999 after its signature: v739 still installs.
    let forged = with_forged_version(&vector(V668), 192, 9999);
    let mut b = bootloader(&forged, &vector(V739), BootConfig::default());
    b.success().unwrap();
    b.update_trigger().unwrap();
    let d = b.boot().unwrap();
    assert_eq!((d.image.version, d.action), (739, BootAction::Installed));

    // UPDATE v739 claiming 9999, BOOT v968: refused as the v739 it is.
    let forged = with_forged_version(&vector(V739), 200, 9999);
    let mut b = bootloader(&vector(V968), &forged, BootConfig::default());
    b.success().unwrap();
    b.update_trigger().unwrap();
    let d = b.boot().unwrap();
    assert_eq!(d.image.version, 968);
    assert_eq!(
        d.action,
        BootAction::UpdateRefused(RefuseReason::NotNewer {
            current: 968,
            candidate: 739
        })
    );
}

/// A trusted key whose permission mask leaves out the application
/// partition (id 1): its images are not booted, nor installed.
#[test]
fn key_not_permitted_for_the_application_partition() {
    let key: &'static [u8] = Box::leak(vector("keys/ecc256/ecc256_pub.der").into_boxed_slice());
    let slots: &'static [KeySlot<'static>] = Box::leak(Box::new([KeySlot {
        slot_id: 0,
        key_type: AuthType::Ecc256,
        part_mask: 1 << 0,
        pubkey: key,
    }]));
    let ks: &'static Keystore<'static> = Box::leak(Box::new(Keystore::new(slots)));
    let verifier = KeystoreVerifier::<'static, { HDR as usize }>::new(ks);
    let mut b = bootloader_with(
        &vector(V668),
        &vector(V739),
        verifier,
        BootConfig::default(),
    );
    assert_eq!(
        b.boot(),
        Err(BootError::NoBootableImage {
            boot: VerifyError::KeyNotPermitted,
            fallback: Some(RefuseReason::Verify(VerifyError::KeyNotPermitted)),
        })
    );
    assert_eq!(b.flash().0.stats().mutations(), 0);
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Random bytes over both trailers (magic, states, sector flags), with a
/// valid image in BOOT and garbage, a corrupted image or a valid newer image
/// in UPDATE: whatever the bootloader does, it boots only an image that is
/// byte for byte one of the valid ones, and a device that booted keeps
/// booting over the next resets.
#[test]
fn garbage_trailers_never_boot_an_unverified_image() {
    let old = vector(V668);
    let new = vector(V739);
    let mut corrupt = new.clone();
    corrupt[1000] ^= 0x10;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    for round in 0..300 {
        let garbage: Vec<u8> = (0..new.len()).map(|_| rng.next() as u8).collect();
        let update = [&garbage, &corrupt, &new][round % 3];
        let config = BootConfig {
            disable_backup: round % 4 == 3,
            ..BootConfig::default()
        };
        let mut b = bootloader(&old, update, config);
        for part in [0, PSIZE] {
            // The last 64 bytes of the partition: magic, state, flags.
            let n = 1 + (rng.next() % 64) as usize;
            // Random bytes, or the values states and flags take.
            const MEANINGFUL: [u8; 8] = [0xFF, 0x70, 0x30, 0x10, 0x00, 0x0F, 0x07, 0x33];
            let bytes: Vec<u8> = (0..n)
                .map(|_| match rng.next() % 2 {
                    0 => rng.next() as u8,
                    _ => MEANINGFUL[(rng.next() % 8) as usize],
                })
                .collect();
            let mut at = part + PSIZE - n as u32;
            if rng.next().is_multiple_of(2) {
                // Sometimes a real magic, so that the rest is read.
                at = part + PSIZE - 4 - n as u32;
                b.flash_mut().0.poke(part + PSIZE - 4, b"BOOT").unwrap();
            }
            b.flash_mut().0.poke(at, &bytes).unwrap();
        }
        let mut booted = false;
        for reset in 0..3 {
            let label = match b.boot() {
                Ok(d) => {
                    let img = if d.image.version == 668 { &old } else { &new };
                    assert!(d.image.version == 668 || d.image.version == 739);
                    assert_eq!(
                        partition(&b, PartitionId::Boot)[..img.len()],
                        img[..],
                        "round {round}: booted something that is not a valid image"
                    );
                    booted = true;
                    format!("v{} {:?}", d.image.version, d.action)
                }
                Err(BootError::NoBootableImage { .. }) => {
                    assert!(
                        !booted,
                        "round {round}, reset {reset}: booted, then bricked"
                    );
                    "no bootable image".into()
                }
                // Programming over garbage the flash refuses (bit raise).
                Err(BootError::Flash(f)) => format!("flash refused: {:?}", f.kind),
                Err(e) => panic!("round {round}: {e}"),
            };
            *outcomes.entry(label).or_default() += 1;
        }
    }
    eprintln!("garbage trailers: {outcomes:#?}");
}

/// `boot_decision` fuzz finding: with DISABLE_BACKUP (which records no
/// progress), a sector flag past NEW in UPDATE's trailer made the bootloader
/// "resume" a copy without verifying UPDATE, copying garbage over a good
/// BOOT. It now verifies UPDATE whatever the flags say.
#[test]
fn disable_backup_verifies_update_whatever_the_sector_flags() {
    let old = vector(V668);
    let mut garbage = vector(V739);
    garbage[300] ^= 0xFF;
    let config = BootConfig {
        disable_backup: true,
        ..BootConfig::default()
    };
    let mut b = bootloader(&old, &garbage, config);
    b.success().unwrap();
    b.update_trigger().unwrap();
    let t = PartitionTrailer::of(&layout(), PartitionId::Update, TrailerConfig::default());
    t.set_sector_flag(b.flash_mut(), 0, SectorFlag::Updated)
        .unwrap();
    t.set_sector_flag(b.flash_mut(), 1, SectorFlag::Backup)
        .unwrap();
    let d = b.boot().unwrap();
    assert_eq!(d.image.version, 668);
    assert_eq!(
        d.action,
        BootAction::UpdateRefused(RefuseReason::Verify(VerifyError::HashMismatch))
    );
    assert_eq!(partition(&b, PartitionId::Boot)[..old.len()], old[..]);
    assert_eq!(d.boot_state, Some(PartitionState::Success));
}

/// `boot_decision` fuzz finding: with NVM_FLASH_WRITEONCE, `update_trigger`
/// wrote a new copy of UPDATE's trailer sector keeping its sector flags (as
/// wolfBoot's does). Garbage flags there ("sector 0 backed up") made the
/// next boot resume a swap that never started, without verifying UPDATE,
/// and nothing was left to boot. The trigger now erases every copy first.
#[test]
fn write_once_trigger_over_garbage_sector_flags_keeps_the_device_booting() {
    let config = BootConfig {
        trailer: TrailerConfig {
            write_once: true,
            ..TrailerConfig::DEFAULT
        },
        ..BootConfig::default()
    };
    let mut b = bootloader(&vector(V668), &vector(V739), config);
    let t = PartitionTrailer::of(&layout(), PartitionId::Update, config.trailer);
    t.set_state(b.flash_mut(), PartitionState::Success).unwrap();
    for (sector, flag) in [SectorFlag::Backup, SectorFlag::Swapping]
        .into_iter()
        .enumerate()
    {
        t.set_sector_flag(b.flash_mut(), sector as u32, flag)
            .unwrap();
    }
    b.success().unwrap();
    assert_eq!(b.boot().unwrap().image.version, 668);
    b.update_trigger().unwrap();
    let d = b.boot().expect("the device booted before the trigger");
    assert_eq!((d.image.version, d.action), (739, BootAction::Installed));
    assert_eq!(
        partition(&b, PartitionId::Boot)[..vector(V739).len()],
        vector(V739)[..]
    );
}
