//! [`SecretArea`]: the update-encryption key and nonce at the end of BOOT.
//! Round trip, the same geometry as the trailer's, the bytes wolfBoot
//! expects, and a power cut before every flash operation of a write.

mod common;

use common::{ecc256_keystore, vector, TestVerifier, HDR};
use wolfboot_encrypt::{encrypt_image, Algorithm, Cipher};
use wolfboot_hal_flash::{
    Flash, MemFlash, MemFlashConfig, PartitionId, PartitionSet, PowerSupply, SingleFlash,
};
use wolfboot_swap_state_machine::{
    app, BootAction, BootConfig, Bootloader, PartitionState, PartitionTrailer, RefuseReason,
    SecretArea, SecretError, TrailerConfig,
};

const SECTOR: u32 = 0x1000;
const PS: u32 = 0x8000;

/// The bootloader's options for an encrypted UPDATE with trailer `t`.
fn encrypted(t: TrailerConfig, alg: Algorithm) -> BootConfig {
    BootConfig {
        trailer: t,
        header_size: HDR,
        encryption: Some(alg),
        ..BootConfig::default()
    }
}

fn layout() -> PartitionSet {
    PartitionSet::internal(0, [0, PS, 2 * PS], PS, SECTOR, SECTOR)
}

fn trailer(alg: Algorithm) -> TrailerConfig {
    TrailerConfig::DEFAULT.with_encrypt_secret(alg.key_len() as u32, alg.nonce_len() as u32)
}

fn flash(power: &PowerSupply, write_size: u32) -> SingleFlash<MemFlash> {
    let cfg = MemFlashConfig::new(2 * PS + SECTOR, SECTOR, write_size);
    SingleFlash(MemFlash::with_power(cfg, power.clone()).unwrap())
}

fn peek(f: &mut SingleFlash<MemFlash>, at: u32, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    f.0.read(at, &mut v).unwrap();
    v
}

fn key_nonce(alg: Algorithm, seed: u8) -> (Vec<u8>, Vec<u8>) {
    let key = (0..alg.key_len())
        .map(|i| seed.wrapping_add(i as u8))
        .collect();
    let nonce = (0..alg.nonce_len())
        .map(|i| seed.wrapping_mul(3).wrapping_add(i as u8))
        .collect();
    (key, nonce)
}

#[test]
fn round_trip_keeps_the_trailer_and_the_wolfboot_bytes() {
    for alg in Algorithm::ALL {
        for ws in [1, 8, 256] {
            let power = PowerSupply::new();
            let mut f = flash(&power, ws);
            let l = layout();
            let t = trailer(alg);
            app::success(&mut f, &l, t).unwrap();
            let area = SecretArea::new(&l, t, alg).unwrap();
            let (key, nonce) = key_nonce(alg, 0x21);
            let (mut k, mut n) = (vec![0u8; key.len()], vec![0u8; nonce.len()]);
            assert!(
                !area.read(&mut f, &mut k, &mut n).unwrap(),
                "nothing stored"
            );

            area.write(&mut f, &key, &nonce).unwrap();
            assert!(area.read(&mut f, &mut k, &mut n).unwrap());
            assert_eq!((&k, &n), (&key, &nonce), "{alg:?} ws {ws}");
            // wolfBoot's bytes: key then nonce in the last bytes of BOOT,
            // BOOT's trailer (SUCCESS, magic) right before them, kept.
            let len = alg.secret_len();
            let stored = peek(&mut f, PS - len as u32, len);
            assert_eq!(stored, [key.clone(), nonce.clone()].concat());
            let len = len as u32;
            assert_eq!(
                peek(&mut f, PS - len - 5, 5),
                [0x00, b'B', b'O', b'O', b'T']
            );
            assert_eq!(
                app::partition_state(&mut f, &l, t, PartitionId::Boot).unwrap(),
                Some(PartitionState::Success)
            );
            let mut raw = vec![0u8; alg.secret_len()];
            area.read_raw(&mut f, &mut raw).unwrap();
            assert_eq!(raw, stored);

            // Another key replaces it; erasing leaves the erased pattern.
            let (key2, nonce2) = key_nonce(alg, 0x90);
            area.write(&mut f, &key2, &nonce2).unwrap();
            assert!(area.read(&mut f, &mut k, &mut n).unwrap());
            assert_eq!((&k, &n), (&key2, &nonce2));
            area.erase(&mut f).unwrap();
            assert!(!area.read(&mut f, &mut k, &mut n).unwrap());
            assert!(peek(&mut f, PS - len, len as usize)
                .iter()
                .all(|b| *b == 0xFF));
            assert_eq!(
                app::partition_state(&mut f, &l, t, PartitionId::Boot).unwrap(),
                Some(PartitionState::Success)
            );
        }
    }
}

#[test]
fn geometry_is_the_trailers() {
    let l = layout();
    for alg in Algorithm::ALL {
        for extra in [0, 16, 100] {
            let t = TrailerConfig {
                trailer_skip: extra,
                ..TrailerConfig::DEFAULT
            }
            .with_encrypt_secret(alg.key_len() as u32, alg.nonce_len() as u32);
            let area = SecretArea::new(&l, t, alg).unwrap();
            let boot = PartitionTrailer::of(&l, PartitionId::Boot, t);
            assert_eq!(area.offset(), boot.end_offset());
            assert_eq!(area.offset(), t.end_offset(PS).unwrap());
            assert_eq!(area.len(), alg.secret_len());
            assert_eq!(area.algorithm(), alg);
            // The rewrite covers BOOT's whole trailer and stays in its sector.
            let power = PowerSupply::new();
            let f = flash(&power, 8);
            let (tail, sector) = area.rewritten(&f).unwrap();
            assert_eq!(sector, PS - SECTOR);
            assert!(tail <= boot.end_offset() - boot.used_len());
            assert!(tail + 8 > boot.end_offset() - boot.used_len());
        }
        // A skip without room for the secret is refused.
        let short = TrailerConfig {
            trailer_skip: alg.secret_len() as u32 - 1,
            ..TrailerConfig::DEFAULT
        };
        assert!(SecretArea::new(&l, short, alg).is_err());
        // Wrong lengths are refused.
        let area = SecretArea::new(&l, trailer(alg), alg).unwrap();
        let power = PowerSupply::new();
        let mut f = flash(&power, 8);
        let (key, nonce) = key_nonce(alg, 1);
        assert_eq!(
            area.write(&mut f, &key[1..], &nonce),
            Err(SecretError::BadLength)
        );
        assert_eq!(
            area.write(&mut f, &key, &nonce[1..]),
            Err(SecretError::BadLength)
        );
    }
}

/// A cut before each flash operation of a write leaves the old secret, the
/// new one, or an erased area; the bootloader then refuses the triggered
/// (encrypted) update with `NoKey` and boots the image in BOOT.
#[test]
fn a_cut_in_a_write_leaves_old_new_or_no_key() {
    let alg = Algorithm::ChaCha20;
    let key_file = vector("enc_chacha.key");
    let (new_key, new_nonce) = key_file.split_at(alg.key_len());
    let new_nonce = &new_nonce[..alg.nonce_len()];
    let (old_key, old_nonce) = key_nonce(alg, 0x44);
    let old_img = vector("ecc256_sha256_v668_signed.bin");
    let mut c = Cipher::from_key_file(alg, &key_file).unwrap();
    let new_img = encrypt_image(&mut c, &vector("custom_tlv_v739_signed.bin"));
    let l = layout();
    let t = trailer(alg);
    let area = SecretArea::new(&l, t, alg).unwrap();

    let setup = |power: &PowerSupply| {
        let mut f = flash(power, 8);
        f.0.poke(0, &old_img).unwrap();
        f.0.poke(PS, &new_img).unwrap();
        app::success(&mut f, &l, t).unwrap();
        app::update_trigger(&mut f, &l, t).unwrap();
        area.write(&mut f, &old_key, &old_nonce).unwrap();
        f
    };
    // Flash operations of one write.
    let power = PowerSupply::new();
    let mut f = setup(&power);
    let before = f.0.stats();
    area.write(&mut f, new_key, new_nonce).unwrap();
    let after = f.0.stats();
    let ops = (after.erase_ops + after.programs) - (before.erase_ops + before.programs);
    assert!(ops >= 2, "an erase and at least one program");

    let mut seen = [false; 3];
    for cut in 0..ops {
        let power = PowerSupply::new();
        let mut f = setup(&power);
        power.cut_after(cut);
        assert!(matches!(
            area.write(&mut f, new_key, new_nonce),
            Err(SecretError::Flash(_))
        ));
        power.reboot();
        let (mut k, mut n) = (vec![0u8; alg.key_len()], vec![0u8; alg.nonce_len()]);
        let present = area.read(&mut f, &mut k, &mut n).unwrap();
        let cfg = encrypted(t, alg);
        let mut b = Bootloader::new(f, TestVerifier::keys(ecc256_keystore()), l, cfg).unwrap();
        let d = b.boot().unwrap();
        if !present {
            seen[2] = true;
            assert!(k.iter().all(|x| *x == 0xFF), "cut {cut}: erased, not torn");
            assert_eq!(
                d.action,
                BootAction::UpdateRefused(RefuseReason::NoKey),
                "cut {cut}"
            );
            assert_eq!(d.image.version, 668);
        } else if (k.as_slice(), n.as_slice()) == (&old_key[..], &old_nonce[..]) {
            seen[0] = true;
            // The wrong key: UPDATE decrypts to no image.
            assert!(
                matches!(d.action, BootAction::UpdateRefused(_)),
                "cut {cut}: {:?}",
                d.action
            );
            assert_eq!(d.image.version, 668);
        } else {
            seen[1] = true;
            assert_eq!(
                (k.as_slice(), n.as_slice()),
                (new_key, new_nonce),
                "cut {cut}"
            );
        }
    }
    assert!(
        seen[0] && seen[2],
        "cuts before the erase and before the program"
    );

    // Uncut, the new key installs the encrypted update.
    let power = PowerSupply::new();
    let mut f = setup(&power);
    area.write(&mut f, new_key, new_nonce).unwrap();
    let cfg = encrypted(t, alg);
    let mut b = Bootloader::new(f, TestVerifier::keys(ecc256_keystore()), l, cfg).unwrap();
    let d = b.boot().unwrap();
    assert_eq!((d.action, d.image.version), (BootAction::Installed, 739));
}
