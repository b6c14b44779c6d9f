//! The application API over in-memory NOR flash: wolfBoot's sim dumps read
//! back correctly, and the update writer never lets a bad image be triggered.

use wolfboot_hal_flash::{
    Device, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
};
use wolfboot_image_format::AuthType;
use wolfboot_libwolfboot::{
    EncryptSecret, PartitionState, UpdateError, VersionPolicy, WolfBoot, WolfBootConfig,
};
use wolfboot_test_vectors as vectors;
use wolfboot_verify::{KeySlot, Keystore, VerifyError};

const SECTOR: u32 = 0x1000;

/// wolfBoot's sim layout (config/examples/sim.config).
fn sim_layout() -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0x80000, 0x40000),
        update: Partition::new(Device::Internal, 0x100000, 0x40000),
        swap: Partition::new(Device::Internal, 0x180000, SECTOR),
        sector_size: SECTOR,
    }
}

fn sim_flash(write_size: u32) -> SingleFlash<MemFlash> {
    SingleFlash(MemFlash::new(MemFlashConfig::new(0x181000, SECTOR, write_size)).unwrap())
}

fn sim(write_size: u32) -> WolfBoot<SingleFlash<MemFlash>> {
    WolfBoot::new(sim_flash(write_size), WolfBootConfig::new(sim_layout()))
}

fn place(wb: &mut WolfBoot<SingleFlash<MemFlash>>, part: PartitionId, bytes: &[u8]) {
    let off = sim_layout().get(part).offset;
    wb.flash_mut().0.poke(off, bytes).unwrap();
}

#[test]
fn reads_states_and_versions_of_wolfboot_sim_dumps() {
    // (dir, BOOT version, BOOT state, UPDATE version, UPDATE state)
    let cases = [
        ("01_factory", 1, None, 2, None),
        (
            "02_after_update_trigger",
            1,
            None,
            2,
            Some(PartitionState::Updating),
        ),
        (
            "03_after_swap_testing",
            2,
            Some(PartitionState::Testing),
            1,
            None,
        ),
        (
            "04_after_success",
            2,
            Some(PartitionState::Success),
            1,
            None,
        ),
        (
            "05_after_rollback",
            1,
            Some(PartitionState::Success),
            2,
            None,
        ),
    ];
    for (dir, boot_v, boot_st, upd_v, upd_st) in cases {
        let mut wb = sim(1);
        let d = |r: &str| vectors::read(&format!("sim_flash/{dir}/{r}.bin"));
        wb.flash_mut().0.poke(0x80000, &d("boot_header")).unwrap();
        wb.flash_mut()
            .0
            .poke(0xbf000, &d("boot_trailer_sector"))
            .unwrap();
        wb.flash_mut()
            .0
            .poke(0x100000, &d("update_header"))
            .unwrap();
        wb.flash_mut()
            .0
            .poke(0x13f000, &d("update_trailer_sector"))
            .unwrap();
        wb.flash_mut().0.poke(0x180000, &d("swap_sector")).unwrap();
        assert_eq!(
            wb.current_firmware_version().unwrap(),
            Some(boot_v),
            "{dir}"
        );
        assert_eq!(wb.update_firmware_version().unwrap(), Some(upd_v), "{dir}");
        assert_eq!(
            wb.partition_state(PartitionId::Boot).unwrap(),
            boot_st,
            "{dir}"
        );
        assert_eq!(
            wb.partition_state(PartitionId::Update).unwrap(),
            upd_st,
            "{dir}"
        );
        let ty = wb.image_type(PartitionId::Boot).unwrap().unwrap();
        assert_eq!(ty.auth(), Some(AuthType::Ed25519), "{dir}");
        assert!(wb.fallback_is_possible().unwrap());
    }
}

#[test]
fn trigger_and_success_write_what_wolfboot_writes() {
    // Same bytes as wolfBoot's own library produced in the sim dumps.
    let mut wb = sim(1);
    wb.update_trigger().unwrap();
    let mut trailer = vec![0u8; SECTOR as usize];
    wb.flash_mut().0.contents()[0x13f000..0x140000].clone_into(&mut trailer);
    assert_eq!(
        trailer,
        vectors::read("sim_flash/02_after_update_trigger/update_trailer_sector.bin")
    );
    let mut wb = sim(1);
    wb.success().unwrap();
    assert_eq!(
        wb.partition_state(PartitionId::Boot).unwrap(),
        Some(PartitionState::Success)
    );
    // A second success writes nothing.
    let before = wb.flash_mut().0.stats();
    wb.success().unwrap();
    assert_eq!(wb.flash_mut().0.stats().mutations(), before.mutations());
}

#[test]
fn finds_custom_tlvs_of_the_running_image() {
    let mut wb = sim(1);
    place(
        &mut wb,
        PartitionId::Boot,
        &vectors::read("custom_tlv_string_v822_signed.bin"),
    );
    let mut out = [0u8; 32];
    let n = wb.find_header(PartitionId::Boot, 0x35, &mut out).unwrap();
    assert_eq!(n, Some(14));
    assert_eq!(&out[..14], b"hello-wolfboot");
    assert_eq!(
        wb.find_header(PartitionId::Boot, 0x77, &mut out).unwrap(),
        None
    );
    assert_eq!(
        wb.find_header(PartitionId::Update, 0x35, &mut out).unwrap(),
        None
    );
    assert_eq!(wb.image_version(PartitionId::Update).unwrap(), None);
    assert!(!wb.fallback_is_possible().unwrap());
}

fn ecc_keystore_key() -> Vec<u8> {
    vectors::read("keys/ecc256/ecc256_pub.der")
}

fn stage(
    wb: &mut WolfBoot<SingleFlash<MemFlash>>,
    image: &[u8],
    chunk: usize,
    keystore: &Keystore<'_>,
) -> Result<u32, UpdateError> {
    let mut w = wb.update_writer().map_err(UpdateError::Io)?;
    for c in image.chunks(chunk.max(1)) {
        w.write(c)?;
    }
    let staged = w.finish(keystore, VersionPolicy::NewerOnly)?;
    Ok(staged.trigger().map_err(UpdateError::Io)?.version)
}

#[test]
fn update_writer_streams_any_chunking_and_triggers_only_verified_images() {
    let key = ecc_keystore_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let keystore = Keystore::new(&slots);
    let image = vectors::read("ecc256_sha256_v668_signed.bin");
    for write_size in [1u32, 4, 8, 256] {
        for chunk in [1usize, 3, 7, 64, 300, 4096, 100_000] {
            let mut wb = sim(write_size);
            place(
                &mut wb,
                PartitionId::Boot,
                &vectors::read("encrypted_aes128_v470_signed.bin"),
            );
            assert_eq!(stage(&mut wb, &image, chunk, &keystore), Ok(668));
            assert_eq!(
                wb.partition_state(PartitionId::Update).unwrap(),
                Some(PartitionState::Updating)
            );
            let upd = &wb.flash_mut().0.contents()[0x100000..0x100000 + image.len()];
            assert!(
                upd == &image[..],
                "ws {write_size} chunk {chunk}: UPDATE differs"
            );
            assert_eq!(wb.update_firmware_version().unwrap(), Some(668));
        }
    }
}

fn refused(file_bytes: &[u8], boot: Option<&[u8]>) -> (UpdateError, Option<PartitionState>) {
    let key = ecc_keystore_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let keystore = Keystore::new(&slots);
    let mut wb = sim(4);
    if let Some(b) = boot {
        place(&mut wb, PartitionId::Boot, b);
    }
    // A stale trigger from before must not survive a new staging.
    wb.update_trigger().unwrap();
    let err = stage(&mut wb, file_bytes, 512, &keystore).unwrap_err();
    (err, wb.partition_state(PartitionId::Update).unwrap())
}

#[test]
fn tampered_truncated_oversized_and_downgraded_images_are_never_triggered() {
    let not_triggered = |st: Option<PartitionState>| st != Some(PartitionState::Updating);
    let (e, st) = refused(&vectors::read("invalid_payload_bitflip.bin"), None);
    assert_eq!(e, UpdateError::Verify(VerifyError::HashMismatch));
    assert!(not_triggered(st));
    let (e, st) = refused(&vectors::read("invalid_signature_bitflip.bin"), None);
    assert_eq!(e, UpdateError::Verify(VerifyError::BadSignature));
    assert!(not_triggered(st));
    let (e, st) = refused(&vectors::read("invalid_pubkey_hint.bin"), None);
    assert_eq!(e, UpdateError::Verify(VerifyError::UnknownKey));
    assert!(not_triggered(st));
    let (e, st) = refused(&vectors::read("ed25519_sha256_v262_signed.bin"), None);
    assert_eq!(e, UpdateError::Verify(VerifyError::UnknownKey));
    assert!(not_triggered(st));
    let (e, st) = refused(&vectors::read("invalid_truncated_payload.bin"), None);
    assert!(
        matches!(
            e,
            UpdateError::Incomplete {
                received: 4342,
                expected: 4352
            }
        ),
        "{e:?}"
    );
    assert!(not_triggered(st));
    let (e, _) = refused(&vectors::read("invalid_magic.bin"), None);
    assert!(matches!(e, UpdateError::Header(_)), "{e:?}");
    let mut huge = vectors::read("ecc256_sha256_v668_signed.bin");
    huge[4..8].copy_from_slice(&0x0010_0000u32.to_le_bytes());
    let (e, st) = refused(&huge, None);
    assert_eq!(e, UpdateError::TooLarge);
    assert!(not_triggered(st));
    let mut extra = vectors::read("ecc256_sha256_v668_signed.bin");
    extra.extend_from_slice(&[0u8; 9]);
    let (e, _) = refused(&extra, None);
    assert_eq!(e, UpdateError::ExtraData);
    // v668 offered while v739 runs.
    let (e, st) = refused(
        &vectors::read("ecc256_sha256_v668_signed.bin"),
        Some(&vectors::read("custom_tlv_v739_signed.bin")),
    );
    assert_eq!(
        e,
        UpdateError::Downgrade {
            current: 739,
            offered: 668
        }
    );
    assert!(not_triggered(st));
}

#[test]
fn power_cut_while_staging_never_leaves_a_trigger() {
    let key = ecc_keystore_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let keystore = Keystore::new(&slots);
    let image = vectors::read("delta_base_v492_signed.bin");
    // Count the operations of a full staging, then cut before each of them.
    let mut wb = sim(8);
    stage(&mut wb, &image, 1000, &keystore).unwrap();
    let total = wb.flash_mut().0.stats().mutations();
    assert!(total > 20);
    let region = 0x100000..0x100000 + image.len();
    for k in 0..total {
        let mut wb = sim(8);
        // UPDATE holds an earlier image and a stale trigger.
        place(
            &mut wb,
            PartitionId::Update,
            &vectors::read("ecc256_sha256_v668_signed.bin"),
        );
        wb.update_trigger().unwrap();
        let before = wb.flash_mut().0.contents()[region.clone()].to_vec();
        wb.flash_mut().0.cut_power_after(k);
        let r = stage(&mut wb, &image, 1000, &keystore);
        wb.flash_mut().0.reboot();
        let st = wb.partition_state(PartitionId::Update).unwrap();
        let now = &wb.flash_mut().0.contents()[region.clone()];
        // A trigger only ever points at untouched old contents (the cut came
        // before the stale trigger was cleared) or at the complete new image.
        if st == Some(PartitionState::Updating) {
            assert!(
                now == &before[..] || now == &image[..],
                "cut {k}: trigger over a partial image ({r:?})"
            );
            if now == &image[..] {
                assert!(
                    r.is_ok() || k + 2 >= total,
                    "cut {k}: new image triggered after {r:?}"
                );
            }
        } else {
            assert!(
                r.is_err(),
                "cut {k}: staging reported success without a trigger"
            );
        }
    }
}

#[test]
fn encrypt_key_is_stored_at_the_end_of_boot_and_erased() {
    let cfg = WolfBootConfig::new(sim_layout()).with_encryption(EncryptSecret::CHACHA20);
    let mut wb: WolfBoot<_> = WolfBoot::new(sim_flash(4), cfg);
    // The trailer sits below the secret; its state survives key changes.
    wb.success().unwrap();
    let end = 0x80000 + 0x40000;
    assert_eq!(
        &wb.flash_mut().0.contents()[end - 44 - 4..end - 44],
        b"BOOT"
    );
    let key: Vec<u8> = (0..32).collect();
    let nonce: Vec<u8> = (100..112).collect();
    let (mut k, mut n) = ([0u8; 32], [0u8; 12]);
    assert!(!wb.get_encrypt_key(&mut k, &mut n).unwrap());
    wb.set_encrypt_key(&key, &nonce).unwrap();
    assert_eq!(
        wb.partition_state(PartitionId::Boot).unwrap(),
        Some(PartitionState::Success)
    );
    assert_eq!(&wb.flash_mut().0.contents()[end - 44..end - 12], &key[..]);
    assert_eq!(&wb.flash_mut().0.contents()[end - 12..end], &nonce[..]);
    assert!(wb.get_encrypt_key(&mut k, &mut n).unwrap());
    assert_eq!((&k[..], &n[..]), (&key[..], &nonce[..]));
    wb.erase_encrypt_key().unwrap();
    assert!(!wb.get_encrypt_key(&mut k, &mut n).unwrap());
    assert!(wb.flash_mut().0.contents()[end - 44..end]
        .iter()
        .all(|b| *b == 0xFF));
    assert_eq!(
        wb.partition_state(PartitionId::Boot).unwrap(),
        Some(PartitionState::Success)
    );
    assert!(wb.set_encrypt_key(&key[..16], &nonce).is_err());
    let mut plain = sim(4);
    assert!(plain.set_encrypt_key(&key, &nonce).is_err());
}

/// Encrypted updates: wolfBoot's `*_signed_and_encrypted.bin` streamed in
/// as it arrives, stored as ciphertext, verified through the key in BOOT.
#[test]
fn update_writer_stages_wolfboot_encrypted_images() {
    let key = ecc_keystore_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let keystore = Keystore::new(&slots);
    for (secret, key_file, stem, version) in [
        (
            EncryptSecret::CHACHA20,
            "enc_chacha.key",
            "encrypted_chacha_v751",
            751,
        ),
        (
            EncryptSecret::AES128,
            "enc_aes128.key",
            "encrypted_aes128_v470",
            470,
        ),
        (
            EncryptSecret::AES256,
            "enc_aes256.key",
            "encrypted_aes256_v737",
            737,
        ),
    ] {
        let cfg = WolfBootConfig::new(sim_layout()).with_encryption(secret);
        let enc = vectors::read(&format!("{stem}_signed_and_encrypted.bin"));
        let plain = vectors::read(&format!("{stem}_signed.bin"));
        let kf = vectors::read(key_file);
        let (k, n) = kf.split_at(secret.key_len as usize);
        let n = &n[..secret.nonce_len as usize];
        for chunk in [1usize, 13, 512, 100_000] {
            let mut wb: WolfBoot<_> = WolfBoot::new(sim_flash(4), cfg);
            // No key yet: nothing can be staged.
            assert_eq!(
                wb.update_writer().err(),
                Some(wolfboot_libwolfboot::Error::NoEncryptKey)
            );
            wb.set_encrypt_key(k, n).unwrap();
            assert_eq!(stage(&mut wb, &enc, chunk, &keystore), Ok(version));
            let upd = &wb.flash_mut().0.contents()[0x100000..0x100000 + enc.len()];
            assert!(upd == &enc[..], "{stem}: UPDATE must hold the ciphertext");
            assert_ne!(&upd[..plain.len()], &plain[..]);
            assert_eq!(wb.update_firmware_version().unwrap(), Some(version));
        }
        // Another key: the header does not decrypt to an image.
        let mut wb: WolfBoot<_> = WolfBoot::new(sim_flash(4), cfg);
        let mut wrong = k.to_vec();
        wrong[0] ^= 1;
        wb.set_encrypt_key(&wrong, n).unwrap();
        assert!(matches!(
            stage(&mut wb, &enc, 512, &keystore),
            Err(UpdateError::Header(_))
        ));
        assert_ne!(
            wb.partition_state(PartitionId::Update).unwrap(),
            Some(PartitionState::Updating)
        );
        // Tampered ciphertext: refused by the digest, never triggered.
        let mut wb: WolfBoot<_> = WolfBoot::new(sim_flash(4), cfg);
        wb.set_encrypt_key(k, n).unwrap();
        let mut bad = enc.clone();
        bad[1000] ^= 0x10;
        assert_eq!(
            stage(&mut wb, &bad, 512, &keystore),
            Err(UpdateError::Verify(VerifyError::HashMismatch))
        );
        assert_ne!(
            wb.partition_state(PartitionId::Update).unwrap(),
            Some(PartitionState::Updating)
        );
    }
}

#[test]
fn version_policy_decides_whether_an_older_image_may_be_staged() {
    let key = ecc_keystore_key();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &key)];
    let keystore = Keystore::new(&slots);
    let older = vectors::read("ecc256_sha384_v389_signed.bin");
    let running = vectors::read("encrypted_aes128_v470_signed.bin");
    for (policy, expected) in [
        (
            VersionPolicy::NewerOnly,
            Err(UpdateError::Downgrade {
                current: 470,
                offered: 389,
            }),
        ),
        (VersionPolicy::AllowDowngrade, Ok(389)),
    ] {
        let mut wb = sim(4);
        place(&mut wb, PartitionId::Boot, &running);
        let r = (|| {
            let mut w = wb.update_writer().map_err(UpdateError::Io)?;
            w.write(&older)?;
            let staged = w.finish(&keystore, policy)?;
            Ok(staged.trigger().map_err(UpdateError::Io)?.version)
        })();
        assert_eq!(r, expected, "{policy:?}");
        let state = wb.partition_state(PartitionId::Update).unwrap();
        let triggered = state == Some(PartitionState::Updating);
        assert_eq!(triggered, expected.is_ok(), "{policy:?}: {state:?}");
    }
    assert_eq!(VersionPolicy::default(), VersionPolicy::NewerOnly);
}
