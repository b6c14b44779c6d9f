//! Power-cut harness: every flash operation of an update scenario is a cut
//! point; after each cut the device is "rebooted" (boot sequence run again on
//! the same flash, sometimes cut again) and invariants are checked.
//!
//! Images are wolfBoot-made (ECC P-256 + SHA-256, `keys/ecc256`) and every
//! scenario runs with the real verifier ([`KeystoreVerifier`] over the
//! vectors' keystore): at each reset, what is booted has passed the
//! signature check and equals a legitimate image byte for byte.
//!
//! Encrypted runs (`EXT_ENCRYPTED`, each cipher) keep UPDATE encrypted with
//! wolfBoot's vector keys and the key stored at the end of BOOT; after every
//! cut, UPDATE and SWAP are searched for plaintext of the images. Delta runs
//! install wolfBoot's own diff image (`payload_delta_new_v503_signed_diff.bin`)
//! over its base and roll it back with the inverse patch.
//!
//! [`KeystoreVerifier`]: wolfboot_swap_state_machine::KeystoreVerifier

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use common::{ecc256_keystore, ed25519_keystore, vector, Sha256Verifier, TestVerifier, HDR};
use wolfboot_encrypt::{encrypt_image, Algorithm, Cipher};
use wolfboot_hal_flash::{
    Device, Flash, MemFlash, MemFlashConfig, Partition, PartitionSet, PowerSupply, SplitFlash,
};
use wolfboot_swap_state_machine::PartitionId::{self, Boot, Update};
use wolfboot_swap_state_machine::{
    BootAction, BootConfig, BootDecision, BootError, Bootloader, PartitionState, RefuseReason,
    TrailerConfig, VerifyError,
};

type Bl = Bootloader<SplitFlash<MemFlash, MemFlash>, TestVerifier>;

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
const GEO_TORN: Geo = Geo {
    name: "4KiB, torn erase/program at the cut",
    torn: true,
    ..GEO_4K
};

/// Which verifier the bootloader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// `KeystoreVerifier` with the ECC P-256 keystore of the vectors.
    Ecc256,
    /// `KeystoreVerifier` with the Ed25519 keystore of the vectors.
    Ed25519,
    /// SHA-256 digest only (test double, no signature).
    Digest,
    /// `KeystoreVerifier` (ECC P-256) for 512-byte headers: delta builds.
    Ecc256Delta,
}

impl Check {
    fn verifier(self) -> TestVerifier {
        match self {
            Check::Ecc256 => TestVerifier::keys(ecc256_keystore()),
            Check::Ed25519 => TestVerifier::keys(ed25519_keystore()),
            Check::Digest => TestVerifier::Digest(Sha256Verifier::default()),
            Check::Ecc256Delta => TestVerifier::Keys512(
                wolfboot_swap_state_machine::KeystoreVerifier::new(ecc256_keystore()),
            ),
        }
    }

    fn header_size(self) -> u32 {
        match self {
            Check::Ecc256Delta => 512,
            _ => HDR,
        }
    }
}

/// The images of a run.
struct Images {
    /// Installed and confirmed before the update.
    old: Vec<u8>,
    /// The update (newer version).
    new: Vec<u8>,
    /// A newer-or-not image signed by a key the keystore does not hold.
    foreign: Vec<u8>,
    /// A delta image from `old` to `new` (delta scenarios).
    diff: Vec<u8>,
}

/// ECC P-256 images (`keys/ecc256`); the foreign one is signed with Ed25519.
fn ecc_images(old: &str, new: &str) -> Images {
    let im = Images {
        old: vector(old),
        new: vector(new),
        foreign: vector("ed25519_sha256_v262_signed.bin"),
        diff: Vec::new(),
    };
    assert!(version(&im.old) < version(&im.new), "{old} / {new}");
    im
}

/// Delta images made by our sign tool from wolfBoot's delta payloads, with
/// 512-byte headers as wolfBoot's `sign --delta` sizes them (a delta build
/// uses that header size for every image): base v492 (70 KB), new v503
/// (every 997th byte changed, 24 bytes inserted), their diff, and another
/// v470 image as a wrong base. The patch format itself is checked against
/// wolfBoot's diff file in `wolfboot-delta` and `sign-cli`.
fn delta_images() -> Images {
    use sign_cli::sign::{sign_payload, DeltaSpec, ImageSpec};
    use wolfboot_image_format::{AuthType, HashAlgorithm};
    let key = sign_cli::keys::load_private_key(
        &wolfboot_test_vectors::path("keys/ecc256/ecc256.der"),
        None,
    )
    .unwrap();
    let spec = |version, delta| ImageSpec {
        auth: AuthType::Ecc256,
        digest_info: false,
        hash: HashAlgorithm::Sha256,
        version,
        timestamp: Some(1_795_535_434),
        partition_id: 1,
        custom_tlvs: &[],
        min_header_size: Some(512),
        delta,
    };
    let sign = |version, payload: &[u8], delta| {
        let s = sign_payload(&spec(version, delta), Some(&key), payload).unwrap();
        [s.header, payload.to_vec()].concat()
    };
    let old = sign(492, &vector("payload_70001.bin"), None);
    let new = sign(503, &vector("payload_delta_new.bin"), None);
    let foreign = sign(470, &vector("payload_4096.bin"), None);
    let (payload, fwd, padded, inv) =
        sign_cli::delta::diff_payload(&old, &new, 4096, false).unwrap();
    let base_hash = wolfboot_image_format::ImageHeader::parse(&old, 512)
        .unwrap()
        .find(wolfboot_image_format::wire::tlv::SHA256)
        .unwrap()
        .to_vec();
    let diff = sign(
        503,
        &payload,
        Some(DeltaSpec {
            base_version: 492,
            patch_len: fwd as u32,
            inverse_offset: (padded + 512) as u32,
            inverse_len: inv as u32,
            base_hash,
        }),
    );
    Images {
        old,
        new,
        foreign,
        diff,
    }
}

/// The key file of the vectors for `alg` (key then nonce).
fn key_file(alg: Algorithm) -> Vec<u8> {
    vector(match alg {
        Algorithm::ChaCha20 => "enc_chacha.key",
        Algorithm::Aes128Ctr => "enc_aes128.key",
        Algorithm::Aes256Ctr => "enc_aes256.key",
    })
}

/// Which key the device holds at the end of BOOT (encrypted runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StoredKey {
    /// The key the images were encrypted with.
    Right,
    /// Another key: UPDATE decrypts to garbage.
    Wrong,
    /// None stored (erased).
    Missing,
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

/// Geometry, verifier and mode of a run.
#[derive(Clone, Copy, Debug)]
struct Setup {
    g: Geo,
    check: Check,
    disable_backup: bool,
    /// `EXT_ENCRYPTED` with this cipher.
    enc: Option<Algorithm>,
    key: StoredKey,
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

fn config(s: &Setup) -> BootConfig {
    let mut c = BootConfig {
        trailer: TrailerConfig {
            write_once: s.g.write_once,
            ..TrailerConfig::DEFAULT
        },
        header_size: s.check.header_size(),
        disable_backup: s.disable_backup,
        ..BootConfig::default()
    };
    if let Some(alg) = s.enc {
        c.trailer = c
            .trailer
            .with_encrypt_secret(alg.key_len() as u32, alg.nonce_len() as u32);
        c.encryption = Some(alg);
    }
    c
}

struct Rig {
    bl: Bl,
    power: PowerSupply,
    enc: Option<Algorithm>,
}

/// Encrypt `img` as `sign --encrypt` does with the vectors' key.
fn encrypt(alg: Algorithm, img: &[u8]) -> Vec<u8> {
    let mut c = Cipher::from_key_file(alg, &key_file(alg)).unwrap();
    encrypt_image(&mut c, img)
}

/// Decrypt bytes read from UPDATE at offset 0.
fn decrypt(alg: Algorithm, bytes: &[u8]) -> Vec<u8> {
    let mut c = Cipher::from_key_file(alg, &key_file(alg)).unwrap();
    let mut v = bytes.to_vec();
    c.apply_keystream(0, &mut v);
    v
}

fn build(s: &Setup, int_bytes: &[u8], ext_bytes: &[u8]) -> Rig {
    let g = &s.g;
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
    if let Some(alg) = s.enc {
        // The secret at the end of BOOT (libwolfboot-rs `set_encrypt_key`).
        let mut secret = key_file(alg);
        match s.key {
            StoredKey::Right => {}
            StoredKey::Wrong => secret[3] ^= 0x40,
            StoredKey::Missing => secret.fill(0xFF),
        }
        int.poke(g.psize - secret.len() as u32, &secret).unwrap();
    }
    let mut ext = MemFlash::with_power(ec, power.clone()).unwrap();
    ext.poke(0, ext_bytes).unwrap();
    let bl = Bootloader::new(
        SplitFlash {
            internal: int,
            external: ext,
        },
        s.check.verifier(),
        layout(g),
        config(s),
    )
    .unwrap();
    Rig {
        bl,
        power,
        enc: s.enc,
    }
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
    prepare: fn(&Setup, &Images) -> Rig,
    /// `DISABLE_BACKUP` mode.
    disable_backup: bool,
    /// The application confirms when it runs the new image.
    app_confirms: bool,
    /// Flash operations the uncut step must make: `None` for a refusal,
    /// which must write nothing; `Some(n)`: at least `n`.
    min_ops: Option<u64>,
    /// Images that may legitimately be booted.
    bootable: fn(&Images) -> Vec<Vec<u8>>,
    /// The end states it accepts.
    expect: Expect,
}

fn place(s: &Setup, boot: &[u8], update: &[u8]) -> Rig {
    let update = match s.enc {
        Some(alg) => encrypt(alg, update),
        None => update.to_vec(),
    };
    place_raw(s, boot, &update)
}

/// `update` goes into UPDATE as given (already encrypted, or tampered with).
fn place_raw(s: &Setup, boot: &[u8], update: &[u8]) -> Rig {
    if s.g.ext_ws.is_some() {
        build(s, boot, update)
    } else {
        let mut int = vec![0xFFu8; s.g.psize as usize + update.len()];
        int[..boot.len()].copy_from_slice(boot);
        int[s.g.psize as usize..].copy_from_slice(update);
        build(s, &int, &[])
    }
}

fn prepare_update(s: &Setup, im: &Images) -> Rig {
    let mut r = place(s, &im.old, &im.new);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_rollback(s: &Setup, im: &Images) -> Rig {
    let mut r = prepare_update(s, im);
    let d = r.bl.boot().unwrap();
    assert_eq!(d.action, BootAction::Installed);
    r
}

fn prepare_emergency(s: &Setup, im: &Images) -> Rig {
    place(s, &corrupt(&im.old), &im.new)
}

fn prepare_corrupt_update(s: &Setup, im: &Images) -> Rig {
    let mut r = place(s, &im.old, &corrupt(&im.new));
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

/// Encrypted: one ciphertext byte of the payload flipped.
fn prepare_tampered_ciphertext(s: &Setup, im: &Images) -> Rig {
    let mut c = match s.enc {
        Some(alg) => encrypt(alg, &im.new),
        None => im.new.clone(),
    };
    c[HDR as usize + 100] ^= 0x20;
    let mut r = place_raw(s, &im.old, &c);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_delta(s: &Setup, im: &Images) -> Rig {
    let mut r = place(s, &im.old, &im.diff);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_delta_rollback(s: &Setup, im: &Images) -> Rig {
    let mut r = prepare_delta(s, im);
    let d = r.bl.boot().unwrap();
    assert_eq!(d.action, BootAction::Installed);
    r
}

/// The diff over an image that is not its base (another version).
fn prepare_delta_wrong_base(s: &Setup, im: &Images) -> Rig {
    let mut r = place(s, &im.foreign, &im.diff);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_downgrade(s: &Setup, im: &Images) -> Rig {
    let mut r = place(s, &im.new, &im.old);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn prepare_foreign(s: &Setup, im: &Images) -> Rig {
    let mut r = place(s, &im.old, &im.foreign);
    r.bl.success().unwrap();
    r.bl.update_trigger().unwrap();
    r
}

fn holds(r: &mut Rig, id: PartitionId, img: &[u8]) -> bool {
    let p = r.bl.layout().get(id);
    let bytes = part_bytes(r, p, img.len());
    match (id, r.enc) {
        (Update, Some(alg)) => decrypt(alg, &bytes) == img,
        _ => bytes == img,
    }
}

/// Encrypted runs: neither UPDATE nor SWAP may hold plaintext of any image.
/// Every 16-byte aligned block of the images (blocks of one repeated byte
/// aside) is looked for at every 16-byte aligned offset of both.
fn assert_no_plaintext(r: &mut Rig, im: &Images, when: &str) {
    if r.enc.is_none() {
        return;
    }
    let mut blocks = HashSet::new();
    for img in [&im.old, &im.new, &im.foreign] {
        for b in img.chunks_exact(16) {
            if b.iter().any(|x| *x != b[0]) {
                blocks.insert(b.to_vec());
            }
        }
    }
    // Straight from the cells: the power may be off after a cut.
    let l = r.bl.layout();
    let f = r.bl.flash();
    let cells = |p: Partition| match p.device {
        Device::Internal => &f.internal.contents()[p.offset as usize..][..p.size as usize],
        Device::External => &f.external.contents()[p.offset as usize..][..p.size as usize],
    };
    let mut dump = cells(l.update).to_vec();
    dump.extend_from_slice(cells(l.swap));
    if let Some(at) = dump.chunks_exact(16).position(|c| blocks.contains(c)) {
        panic!("{when}: plaintext found in UPDATE/SWAP at block {at}");
    }
}

/// One of a run's images.
#[derive(Clone, Copy, Debug)]
enum Img {
    Old,
    New,
    Diff,
    Foreign,
}

impl Img {
    fn of(self, im: &Images) -> &[u8] {
        match self {
            Img::Old => &im.old,
            Img::New => &im.new,
            Img::Diff => &im.diff,
            Img::Foreign => &im.foreign,
        }
    }
}

/// The end states a scenario accepts after a reset.
#[derive(Clone, Copy)]
enum Expect {
    /// The step completed: `boots` runs in state `state`, and each
    /// (partition, image) of `holds` is there byte for byte; a torn cut may
    /// instead leave the image from before the step running (`torn` label,
    /// `None`: not acceptable). `always` must hold whatever happened.
    Completed {
        boots: Img,
        state: PartitionState,
        holds: &'static [(PartitionId, Img)],
        always: &'static [(PartitionId, Img)],
        label: &'static str,
        torn: Option<&'static str>,
    },
    /// The update is refused for a reason `reason` accepts, nothing is
    /// installed, and `kept` runs from BOOT.
    Refused {
        reason: fn(&RefuseReason) -> bool,
        kept: Img,
        label: &'static str,
    },
    /// Scenarios with more than one acceptable outcome, checked by hand.
    Custom(fn(&mut Rig, &Images, &BootDecision, bool) -> Result<&'static str, String>),
}

/// Check a reset's decision `d` (after a torn cut if `torn`) against
/// `expect`; the outcome's label, or what is wrong.
fn judge(
    expect: &Expect,
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    torn: bool,
) -> Result<&'static str, String> {
    match *expect {
        Expect::Completed {
            boots,
            state,
            holds: held,
            always,
            label,
            torn: torn_label,
        } => {
            for &(part, img) in always {
                if !holds(r, part, img.of(im)) {
                    return Err(format!("{label}: {part:?} no longer holds {img:?}"));
                }
            }
            if d.image.version != version(boots.of(im)) {
                return match torn_label {
                    Some(ok) if torn => Ok(ok),
                    _ => Err(format!("{label}: step not done: {d:?}")),
                };
            }
            for &(part, img) in held {
                if !holds(r, part, img.of(im)) {
                    return Err(format!("{label}: {part:?} does not hold {img:?}"));
                }
            }
            if d.boot_state != Some(state) {
                return Err(format!("{label}: BOOT state {:?}", d.boot_state));
            }
            Ok(label)
        }
        Expect::Refused {
            reason,
            kept,
            label,
        } => {
            if !matches!(&d.action, BootAction::UpdateRefused(why) if reason(why)) {
                return Err(format!("{label}: not refused as expected: {:?}", d.action));
            }
            if d.image.version != version(kept.of(im)) || !holds(r, Boot, kept.of(im)) {
                return Err(format!("{label}: {kept:?} not kept: {d:?}"));
            }
            Ok(label)
        }
        Expect::Custom(f) => f(r, im, d, torn),
    }
}

fn check_confirm(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    _torn: bool,
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
        Ok("confirm cut: rolled back to old image")
    } else {
        Err("BOOT holds neither image".into())
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

/// DISABLE_BACKUP end state: the new image in BOOT, verified, not in
/// TESTING; UPDATE untouched (no backup); and no rollback at next reset.
fn check_no_backup(
    r: &mut Rig,
    im: &Images,
    d: &BootDecision,
    _torn: bool,
) -> Result<&'static str, String> {
    if d.image.version != version(&im.new) || !holds(r, Boot, &im.new) {
        return Err(format!("new image not installed: {d:?}"));
    }
    if !holds(r, Update, &im.new) {
        return Err("UPDATE was written (DISABLE_BACKUP keeps no backup)".into());
    }
    let label = match d.boot_state {
        Some(PartitionState::Success) => "new image, SUCCESS, no backup",
        // A cut after BOOT's trailer sector was erased and before SUCCESS
        // was written (no magic, or magic and an erased state byte): the
        // image is complete and verified; not TESTING, so it is not rolled
        // back either.
        None | Some(PartitionState::New) => "new image, state not yet written, no backup",
        other => return Err(format!("unexpected BOOT state {other:?}")),
    };
    // Rollback is impossible: an unconfirmed reset boots the new image again
    // without writing anything.
    let again =
        r.bl.boot()
            .map_err(|e| format!("reset after install: {e}"))?;
    if again.image.version != version(&im.new) || !holds(r, Boot, &im.new) {
        return Err(format!("second reset left the new image: {again:?}"));
    }
    match again.action {
        BootAction::NoUpdate | BootAction::UpdateRefused(RefuseReason::NotNewer { .. }) => {}
        other => return Err(format!("second reset did {other:?}")),
    }
    Ok(label)
}

fn any_refusal(_: &RefuseReason) -> bool {
    true
}

fn not_newer(r: &RefuseReason) -> bool {
    matches!(r, RefuseReason::NotNewer { .. })
}

fn unknown_key(r: &RefuseReason) -> bool {
    matches!(r, RefuseReason::Verify(VerifyError::UnknownKey))
}

fn digest_mismatch(r: &RefuseReason) -> bool {
    matches!(r, RefuseReason::Verify(VerifyError::HashMismatch))
}

fn undecryptable(r: &RefuseReason) -> bool {
    matches!(r, RefuseReason::NoImage | RefuseReason::NoKey)
}

fn wrong_base(r: &RefuseReason) -> bool {
    matches!(r, RefuseReason::DeltaBaseMismatch)
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
fn only_foreign(im: &Images) -> Vec<Vec<u8>> {
    vec![im.foreign.clone()]
}

const SWAP_MIN_OPS: Option<u64> = Some(20);

const UPDATE: Scenario = Scenario {
    name: "update",
    prepare: prepare_update,
    disable_backup: false,
    app_confirms: false,
    min_ops: SWAP_MIN_OPS,
    bootable: both,
    expect: Expect::Completed {
        boots: Img::New,
        state: PartitionState::Testing,
        holds: &[(Update, Img::Old)],
        always: &[],
        label: "new image TESTING, old in UPDATE",
        torn: Some("torn cut: old image kept (safe)"),
    },
};
const CONFIRM: Scenario = Scenario {
    name: "update+confirm",
    app_confirms: true,
    expect: Expect::Custom(check_confirm),
    ..UPDATE
};
const ROLLBACK: Scenario = Scenario {
    name: "rollback",
    prepare: prepare_rollback,
    expect: Expect::Completed {
        boots: Img::Old,
        state: PartitionState::Success,
        holds: &[(Boot, Img::Old), (Update, Img::New)],
        always: &[],
        label: "old image restored, SUCCESS",
        torn: Some("torn cut: new image still TESTING (safe)"),
    },
    ..UPDATE
};
const EMERGENCY: Scenario = Scenario {
    name: "emergency fallback",
    prepare: prepare_emergency,
    bootable: only_new,
    expect: Expect::Custom(check_emergency),
    ..UPDATE
};
const CORRUPT: Scenario = Scenario {
    name: "corrupt update refused",
    prepare: prepare_corrupt_update,
    min_ops: None,
    bootable: only_old,
    expect: Expect::Refused {
        reason: any_refusal,
        kept: Img::Old,
        label: "update refused, current image kept",
    },
    ..UPDATE
};
const DOWNGRADE: Scenario = Scenario {
    name: "downgrade refused",
    prepare: prepare_downgrade,
    min_ops: None,
    bootable: only_new,
    expect: Expect::Refused {
        reason: not_newer,
        kept: Img::New,
        label: "downgrade refused",
    },
    ..UPDATE
};
const FOREIGN: Scenario = Scenario {
    name: "update signed by unknown key refused",
    prepare: prepare_foreign,
    min_ops: None,
    bootable: only_old,
    expect: Expect::Refused {
        reason: unknown_key,
        kept: Img::Old,
        label: "untrusted key refused, current image kept",
    },
    ..UPDATE
};
const NB_UPDATE: Scenario = Scenario {
    name: "DISABLE_BACKUP update",
    disable_backup: true,
    min_ops: Some(10),
    bootable: both,
    expect: Expect::Custom(check_no_backup),
    ..UPDATE
};
const NB_EMERGENCY: Scenario = Scenario {
    name: "DISABLE_BACKUP emergency fallback",
    prepare: prepare_emergency,
    bootable: only_new,
    ..NB_UPDATE
};
const NB_CORRUPT: Scenario = Scenario {
    disable_backup: true,
    name: "DISABLE_BACKUP corrupt update refused",
    ..CORRUPT
};
const NB_FOREIGN: Scenario = Scenario {
    disable_backup: true,
    name: "DISABLE_BACKUP update signed by unknown key refused",
    ..FOREIGN
};

const TAMPERED: Scenario = Scenario {
    name: "tampered ciphertext refused",
    prepare: prepare_tampered_ciphertext,
    expect: Expect::Refused {
        reason: digest_mismatch,
        kept: Img::Old,
        label: "tampered ciphertext refused, current image kept",
    },
    ..CORRUPT
};
const WRONG_KEY: Scenario = Scenario {
    name: "update under another key refused",
    expect: Expect::Refused {
        reason: undecryptable,
        kept: Img::Old,
        label: "undecryptable update refused, current image kept",
    },
    ..CORRUPT
};
const DELTA: Scenario = Scenario {
    name: "delta update",
    prepare: prepare_delta,
    expect: Expect::Completed {
        boots: Img::New,
        state: PartitionState::Testing,
        holds: &[],
        always: &[(Update, Img::Diff)],
        label: "patched to new image, TESTING, diff kept",
        torn: Some("torn cut: base image kept (safe)"),
    },
    ..UPDATE
};
const DELTA_ROLLBACK: Scenario = Scenario {
    name: "delta rollback (inverse patch)",
    prepare: prepare_delta_rollback,
    expect: Expect::Completed {
        boots: Img::Old,
        state: PartitionState::Success,
        holds: &[],
        always: &[(Update, Img::Diff)],
        label: "inverse patch restored base, SUCCESS",
        torn: Some("torn cut: new image still TESTING (safe)"),
    },
    ..UPDATE
};
const DELTA_WRONG_BASE: Scenario = Scenario {
    name: "delta on another base refused",
    prepare: prepare_delta_wrong_base,
    min_ops: None,
    bootable: only_foreign,
    expect: Expect::Refused {
        reason: wrong_base,
        kept: Img::Foreign,
        label: "wrong base refused, running image kept",
    },
    ..UPDATE
};

/// The backup-swap scenarios.
const SWAP_SCENARIOS: [&Scenario; 7] = [
    &UPDATE, &CONFIRM, &ROLLBACK, &EMERGENCY, &CORRUPT, &DOWNGRADE, &FOREIGN,
];
/// The `DISABLE_BACKUP` scenarios.
const NB_SCENARIOS: [&Scenario; 4] = [&NB_UPDATE, &NB_EMERGENCY, &NB_CORRUPT, &NB_FOREIGN];

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
            Err(BootError::Flash(f)) => {
                if std::env::var("CUT_DEBUG").is_ok() {
                    eprintln!("settle: {f:?}");
                }
                r.power.reboot()
            }
            Err(e) => panic!("{}: boot failed without cut: {e}", sc.name),
        }
    }
    panic!("{}: no boot after 3 resets", sc.name);
}

#[derive(Default)]
struct Tally {
    ops: u64,
    first: u64,
    second: u64,
    outcomes: BTreeMap<&'static str, u64>,
}

fn run_with(
    sc: &Scenario,
    g: &Geo,
    check: Check,
    im: &Images,
    enc: Option<Algorithm>,
    key: StoredKey,
) -> Tally {
    let s = Setup {
        g: *g,
        check,
        disable_backup: sc.disable_backup,
        enc,
        key,
    };
    let base = (sc.prepare)(&s, im);
    let (bi, be) = snapshot(&base);
    let fresh = || {
        let mut r = build(&s, &bi, &be);
        reset_stats(&mut r);
        r
    };
    // Uncut run: count operations, check the result.
    let mut r = fresh();
    let d = reset(&mut r, sc, im).unwrap_or_else(|e| panic!("{} on {}: {e}", sc.name, g.name));
    judge(&sc.expect, &mut r, im, &d, false)
        .unwrap_or_else(|e| panic!("{} on {} uncut: {e}", sc.name, g.name));
    let n = mutations(&r);
    match sc.min_ops {
        None => assert_eq!(n, 0, "{} on {}: a refusal wrote to flash", sc.name, g.name),
        Some(min) => assert!(
            n >= min,
            "{} on {}: only {n} flash operations (expected at least {min})",
            sc.name,
            g.name
        ),
    }

    let mut t = Tally {
        ops: n,
        ..Tally::default()
    };
    for k in 0..=n {
        let mut r = fresh();
        r.power.cut_after(k);
        let first = reset(&mut r, sc, im);
        assert_no_plaintext(&mut r, im, &format!("{}: cut at {k}", sc.name));
        t.first += 1;
        if k < n {
            assert!(first.is_err(), "{}: cut at {k} did not interrupt", sc.name);
        }
        let d = match first {
            Ok(d) => d,
            Err(_) => {
                if std::env::var("CUT_DEBUG").is_ok() {
                    eprintln!("cut at {k}/{n}");
                }
                // Second-level cuts during the resume, at a spread of points.
                if k % g.second_every == 0 {
                    r.power.reboot();
                    let (ci, ce) = snapshot(&r);
                    let mut probe = build(&s, &ci, &ce);
                    reset_stats(&mut probe);
                    let _ = reset(&mut probe, sc, im);
                    let m = mutations(&probe);
                    let mut points = vec![0, m / 4, m / 2, (3 * m) / 4, m.saturating_sub(1)];
                    points.dedup();
                    for j in points.into_iter().filter(|j| *j < m) {
                        if std::env::var("CUT_DEBUG").is_ok() {
                            eprintln!("  then at {j}/{m}");
                        }
                        let mut r2 = build(&s, &ci, &ce);
                        r2.power.cut_after(j);
                        let _ = reset(&mut r2, sc, im);
                        let d2 = settle(&mut r2, sc, im);
                        assert_no_plaintext(&mut r2, im, sc.name);
                        let label =
                            judge(&sc.expect, &mut r2, im, &d2, g.torn).unwrap_or_else(|e| {
                                panic!("{} on {}: cut {k} then {j}: {e}", sc.name, g.name)
                            });
                        *t.outcomes.entry(label).or_default() += 1;
                        t.second += 1;
                    }
                }
                settle(&mut r, sc, im)
            }
        };
        assert_no_plaintext(&mut r, im, sc.name);
        let label = judge(&sc.expect, &mut r, im, &d, g.torn)
            .unwrap_or_else(|e| panic!("{} on {}: cut at {k}/{n}: {e}", sc.name, g.name));
        *t.outcomes.entry(label).or_default() += 1;
    }
    assert_eq!(
        t.first,
        n + 1,
        "{}: every operation is a cut point",
        sc.name
    );
    t
}

/// Run scenarios on one geometry and print a summary line per scenario.
fn run_all(label: &str, scenarios: &[&Scenario], g: &Geo, check: Check, im: &Images) {
    run_all_with(label, scenarios, g, check, im, None, StoredKey::Right);
}

fn run_all_with(
    label: &str,
    scenarios: &[&Scenario],
    g: &Geo,
    check: Check,
    im: &Images,
    enc: Option<Algorithm>,
    key: StoredKey,
) {
    let start = Instant::now();
    let mut lines = Vec::new();
    let mut total = 0;
    for sc in scenarios {
        let t = run_with(sc, g, check, im, enc, key);
        total += t.first + t.second;
        lines.push(format!(
            "  {:<52} {:>4} ops {:>4} cut points {:>5} second-level  {:?}",
            sc.name, t.ops, t.first, t.second, t.outcomes
        ));
    }
    eprintln!(
        "power-cut summary [{label}] on [{}], verifier {:?}, images old v{} / new v{} / untrusted v{}: \
         {} scenarios, {total} boot runs after cuts, {:.1?}\n{}",
        g.name,
        check,
        version(&im.old),
        version(&im.new),
        version(&im.foreign),
        scenarios.len(),
        start.elapsed(),
        lines.join("\n")
    );
}

#[test]
fn cuts_4k_sectors() {
    let im = ecc_images(
        "ecc256_sha256_v668_signed.bin",
        "custom_tlv_v739_signed.bin",
    );
    run_all("swap", &SWAP_SCENARIOS, &GEO_4K, Check::Ecc256, &im);
}

#[test]
fn cuts_128k_sectors() {
    let im = ecc_images(
        "custom_tlv_string_v822_signed.bin",
        "no_timestamp_v968_signed.bin",
    );
    run_all("swap", &SWAP_SCENARIOS, &GEO_128K, Check::Ecc256, &im);
}

#[test]
fn cuts_external_update_and_swap() {
    let im = ecc_images(
        "custom_tlv_v739_signed.bin",
        "custom_tlv_string_v822_signed.bin",
    );
    run_all("swap", &SWAP_SCENARIOS, &GEO_EXT, Check::Ecc256, &im);
}

#[test]
fn cuts_write_once_trailer() {
    let g = Geo {
        name: "4KiB, NVM_FLASH_WRITEONCE (double program = error)",
        write_once: true,
        ..GEO_4K
    };
    let im = ecc_images(
        "ecc256_sha256_v668_signed.bin",
        "no_timestamp_v968_signed.bin",
    );
    run_all(
        "swap",
        &[&UPDATE, &ROLLBACK, &EMERGENCY],
        &g,
        Check::Ecc256,
        &im,
    );
}

#[test]
fn cuts_torn_operations() {
    let im = ecc_images(
        "encrypted_aes128_v470_signed.bin",
        "custom_tlv_v739_signed.bin",
    );
    run_all(
        "swap",
        &[&UPDATE, &ROLLBACK, &EMERGENCY],
        &GEO_TORN,
        Check::Ecc256,
        &im,
    );
}

#[test]
fn cuts_large_images() {
    // 4 KiB old image, 70 KB new one (18 sectors to swap).
    let im = ecc_images(
        "encrypted_aes128_v470_signed.bin",
        "delta_base_v492_signed.bin",
    );
    let g = Geo {
        name: "4KiB, 70 KB images",
        psize: 0x18000,
        second_every: 16,
        ..GEO_4K
    };
    run_all("swap", &[&UPDATE, &ROLLBACK], &g, Check::Ecc256, &im);
}

/// A keystore that lacks the key of a valid, newer update: refused at every
/// geometry, the older image (signed with the trusted key) keeps booting.
#[test]
fn cuts_untrusted_newer_update() {
    let im = Images {
        old: vector("ed25519_sha256_v262_signed.bin"),
        new: vector("ed25519_sha256_v262_signed.bin"),
        // Validly signed by keys/ecc256, not in the Ed25519 keystore; newer.
        foreign: vector("ecc256_sha256_v668_signed.bin"),
        diff: Vec::new(),
    };
    assert!(version(&im.foreign) > version(&im.old));
    for g in [&GEO_4K, &GEO_128K, &GEO_EXT] {
        run_all(
            "untrusted",
            &[&FOREIGN, &NB_FOREIGN],
            g,
            Check::Ed25519,
            &im,
        );
    }
}

/// `DISABLE_BACKUP`: UPDATE is copied over BOOT, no backup, no rollback.
/// Every single cut (and a spread of second cuts) still ends with the new
/// image verified in BOOT: UPDATE is never written, so a half-copied BOOT
/// (which does not verify) is copied again at the next reset.
#[test]
fn cuts_disable_backup() {
    let im = ecc_images(
        "ecc256_sha256_v668_signed.bin",
        "custom_tlv_v739_signed.bin",
    );
    let write_once = Geo {
        name: "4KiB, NVM_FLASH_WRITEONCE (double program = error)",
        write_once: true,
        ..GEO_4K
    };
    for g in [&GEO_4K, &GEO_128K, &GEO_EXT, &GEO_TORN, &write_once] {
        run_all("DISABLE_BACKUP", &NB_SCENARIOS, g, Check::Ecc256, &im);
    }
}

/// The digest-only verifier gives the same results (the harness itself does
/// not depend on which verifier runs).
#[test]
fn cuts_4k_sectors_digest_only() {
    let im = ecc_images(
        "ecc256_sha256_v668_signed.bin",
        "custom_tlv_v739_signed.bin",
    );
    run_all(
        "swap",
        &[&UPDATE, &ROLLBACK, &EMERGENCY, &CORRUPT, &DOWNGRADE],
        &GEO_4K,
        Check::Digest,
        &im,
    );
}

/// `EXT_ENCRYPTED`, each cipher: update, confirm, rollback, emergency
/// fallback and the refusals, with a cut before every flash operation and no
/// plaintext ever in UPDATE or SWAP.
#[test]
fn cuts_encrypted_each_cipher() {
    let im = ecc_images(
        "ecc256_sha256_v668_signed.bin",
        "custom_tlv_v739_signed.bin",
    );
    let all: [&Scenario; 8] = [
        &UPDATE, &CONFIRM, &ROLLBACK, &EMERGENCY, &CORRUPT, &TAMPERED, &DOWNGRADE, &FOREIGN,
    ];
    for alg in Algorithm::ALL {
        let label = format!("encrypted {alg}");
        run_all_with(
            &label,
            &all,
            &GEO_4K,
            Check::Ecc256,
            &im,
            Some(alg),
            StoredKey::Right,
        );
    }
    // UPDATE and SWAP on their own (external) device, torn operations.
    run_all_with(
        "encrypted, external UPDATE+SWAP",
        &[&UPDATE, &ROLLBACK],
        &GEO_EXT,
        Check::Ecc256,
        &im,
        Some(Algorithm::ChaCha20),
        StoredKey::Right,
    );
    run_all_with(
        "encrypted, torn",
        &[&UPDATE, &ROLLBACK, &EMERGENCY],
        &GEO_TORN,
        Check::Ecc256,
        &im,
        Some(Algorithm::Aes256Ctr),
        StoredKey::Right,
    );
}

/// A device holding another key, or none, refuses the update and keeps
/// running its image untouched.
#[test]
fn cuts_encrypted_wrong_or_missing_key() {
    let im = ecc_images(
        "ecc256_sha256_v668_signed.bin",
        "custom_tlv_v739_signed.bin",
    );
    for alg in Algorithm::ALL {
        for key in [StoredKey::Wrong, StoredKey::Missing] {
            run_all_with(
                "encrypted",
                &[&WRONG_KEY],
                &GEO_4K,
                Check::Ecc256,
                &im,
                Some(alg),
                key,
            );
        }
    }
}

const GEO_DELTA: Geo = Geo {
    name: "4KiB, 96 KiB partitions (wolfBoot delta vectors)",
    psize: 0x18000,
    second_every: 16,
    ..GEO_4K
};

/// wolfBoot's diff image installed over its base, confirmed, rolled back
/// with the inverse patch, refused on another base; a cut before every
/// flash operation.
#[test]
fn cuts_delta_update() {
    let im = delta_images();
    run_all(
        "delta",
        &[&DELTA, &DELTA_ROLLBACK, &DELTA_WRONG_BASE],
        &GEO_DELTA,
        Check::Ecc256Delta,
        &im,
    );
    let torn = Geo {
        torn: true,
        second_every: 32,
        ..GEO_DELTA
    };
    run_all(
        "delta torn",
        &[&DELTA, &DELTA_ROLLBACK],
        &torn,
        Check::Ecc256Delta,
        &im,
    );
}

/// Delta and encryption together: the diff image is delivered encrypted.
#[test]
fn cuts_delta_encrypted() {
    let im = delta_images();
    run_all_with(
        "delta, encrypted",
        &[&DELTA, &DELTA_ROLLBACK],
        &GEO_DELTA,
        Check::Ecc256Delta,
        &im,
        Some(Algorithm::ChaCha20),
        StoredKey::Right,
    );
}
