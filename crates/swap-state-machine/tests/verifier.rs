//! `KeystoreVerifier` on wolfBoot-made images, in flash,
//! alone and as the bootloader's verifier; image-area limits and the
//! `EXT_ENCRYPTED` trailer skip seen from the bootloader.

mod common;

use common::{ecc256_keystore, vector, TestVerifier, HDR};
use wolfboot_hal_flash::{
    Device, Flash, MemFlash, MemFlashConfig, Partition, PartitionId, PartitionSet, SingleFlash,
};
use wolfboot_swap_state_machine::{
    app, AppImageOptions, BootAction, BootConfig, BootError, Bootloader, ImageVerifier,
    KeystoreVerifier, PartitionReader, PartitionState, RefuseReason, SourceError, TrailerConfig,
    VerifyError,
};

const SECTOR: u32 = 0x1000;
const PSIZE: u32 = 0x18000;

fn layout(sector: u32, psize: u32) -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0, psize),
        update: Partition::new(Device::Internal, psize, psize),
        swap: Partition::new(Device::Internal, 2 * psize, sector),
        sector_size: sector,
    }
}

fn flash(sector: u32, psize: u32, boot: &[u8], update: &[u8]) -> SingleFlash<MemFlash> {
    let mut f = MemFlash::new(MemFlashConfig::new(2 * psize + sector, sector, 8)).unwrap();
    f.poke(0, boot).unwrap();
    f.poke(psize, update).unwrap();
    SingleFlash(f)
}

type Kv = KeystoreVerifier<'static, { HDR as usize }>;
/// The same verifier with its options as a build-time constant.
type FixedKv = KeystoreVerifier<'static, { HDR as usize }, AppImageOptions>;

/// Verify `img` placed at the start of BOOT, the reader limited to `area`.
fn verify_in_flash(v: &mut impl ImageVerifier, img: &[u8], area: u32) -> Result<u32, VerifyError> {
    let l = layout(SECTOR, PSIZE);
    let mut f = flash(SECTOR, PSIZE, img, &[]);
    let mut r = PartitionReader::with_len(&mut f, l.boot, area);
    v.verify(PartitionId::Boot, &mut r).map(|i| {
        assert_eq!(i.header_size, HDR as usize);
        assert_eq!(i.header_size + i.payload_size as usize, img.len());
        assert_eq!(i.image_type.partition_id(), 1, "application image");
        assert!(i.key_slot.is_some(), "verified with a keystore key");
        i.version
    })
}

#[test]
fn accepts_wolfboot_signed_images() {
    accepts_wolfboot_signed_images_with(&mut Kv::new(ecc256_keystore()));
    accepts_wolfboot_signed_images_with(&mut FixedKv::fixed(ecc256_keystore()));
}

fn accepts_wolfboot_signed_images_with(v: &mut impl ImageVerifier) {
    for (file, version) in [
        ("ecc256_sha256_v668_signed.bin", 668),
        ("custom_tlv_v739_signed.bin", 739),
        ("custom_tlv_string_v822_signed.bin", 822),
        ("no_timestamp_v968_signed.bin", 968),
        ("encrypted_aes128_v470_signed.bin", 470),
        ("delta_base_v492_signed.bin", 492),
    ] {
        assert_eq!(
            verify_in_flash(v, &vector(file), PSIZE - SECTOR),
            Ok(version),
            "{file}"
        );
    }
}

/// The verifier's refusal is `wolfboot-verify`'s error, with its detail;
/// the same with the options held or constant.
#[test]
fn refusals_are_the_detailed_verify_errors() {
    assert_eq!(
        Kv::new(ecc256_keystore()).options(),
        FixedKv::fixed(ecc256_keystore()).options()
    );
    refusals_with(&mut Kv::new(ecc256_keystore()));
    refusals_with(&mut FixedKv::fixed(ecc256_keystore()));
}

fn refusals_with(v: &mut impl ImageVerifier) {
    let cases: [(&str, VerifyError); 9] = [
        ("invalid_magic.bin", VerifyError::BadMagic),
        ("invalid_payload_bitflip.bin", VerifyError::HashMismatch),
        // Shorter than its size field: in flash the rest reads erased.
        ("invalid_truncated_payload.bin", VerifyError::HashMismatch),
        ("invalid_version_changed.bin", VerifyError::HashMismatch),
        ("invalid_signature_bitflip.bin", VerifyError::BadSignature),
        ("invalid_pubkey_hint.bin", VerifyError::UnknownKey),
        // Valid, but signed with a key the keystore does not hold.
        ("ed25519_sha256_v262_signed.bin", VerifyError::UnknownKey),
        (
            "partition_id_3_v606_signed.bin",
            VerifyError::WrongPartition {
                expected: 1,
                found: 3,
            },
        ),
        (
            "nosign_sha256_v32_signed.bin",
            VerifyError::UnsignedNotAllowed,
        ),
    ];
    for (file, expected) in cases {
        assert_eq!(
            verify_in_flash(v, &vector(file), PSIZE - SECTOR),
            Err(expected),
            "{file}"
        );
    }
    // An empty partition.
    assert_eq!(
        verify_in_flash(v, &[], PSIZE - SECTOR),
        Err(VerifyError::BadMagic)
    );
}

#[test]
fn image_must_fit_the_area_the_bootloader_gives() {
    let mut v = Kv::new(ecc256_keystore());
    let img = vector("ecc256_sha256_v668_signed.bin");
    let n = img.len() as u32;
    assert_eq!(verify_in_flash(&mut v, &img, n), Ok(668));
    assert_eq!(
        verify_in_flash(&mut v, &img, n - 1),
        Err(VerifyError::TooLarge)
    );
    // Options can narrow the limit further, never widen it.
    let mut opts = Kv::new(ecc256_keystore()).options();
    opts.max_image_size = Some(n - 1);
    let mut narrow = Kv::with_options(ecc256_keystore(), opts);
    assert_eq!(
        verify_in_flash(&mut narrow, &img, PSIZE),
        Err(VerifyError::TooLarge)
    );
}

fn bootloader(
    sector: u32,
    psize: u32,
    boot: &[u8],
    update: &[u8],
    config: BootConfig,
) -> Result<Bootloader<SingleFlash<MemFlash>, TestVerifier>, BootError> {
    Bootloader::new(
        flash(sector, psize, boot, update),
        TestVerifier::keys(ecc256_keystore()),
        layout(sector, psize),
        BootConfig {
            header_size: HDR,
            ..config
        },
    )
}

#[test]
fn image_area_excludes_the_trailer_sectors() {
    // 2 KiB sectors: a 4352-byte image needs 3 sectors before the trailer.
    let img = vector("ecc256_sha256_v668_signed.bin");
    let new = vector("custom_tlv_v739_signed.bin");
    let fits = bootloader(0x800, 0x2000, &img, &[], BootConfig::default()).unwrap();
    assert_eq!(fits.image_area(), 0x1800);
    let mut fits = fits;
    assert_eq!(fits.boot().unwrap().image.version, 668);

    // Write-once: two trailer sectors, the image no longer fits in BOOT.
    let wo = BootConfig {
        trailer: TrailerConfig {
            write_once: true,
            ..TrailerConfig::DEFAULT
        },
        ..BootConfig::default()
    };
    let mut b = bootloader(0x800, 0x2000, &img, &[], wo).unwrap();
    assert_eq!(b.image_area(), 0x1000);
    assert_eq!(
        b.boot(),
        Err(BootError::NoBootableImage {
            boot: VerifyError::TooLarge,
            fallback: Some(RefuseReason::NoImage),
        })
    );
    // ... nor in UPDATE: the update is refused before being verified.
    let mut b = bootloader(0x800, 0x2800, &img, &new, wo).unwrap();
    assert_eq!(b.image_area(), 0x1800);
    b.update_trigger().unwrap();
    assert_eq!(b.boot().unwrap().action, BootAction::Installed);
    let mut b = bootloader(0x800, 0x2000, &[], &new, wo).unwrap();
    b.update_trigger().unwrap();
    assert_eq!(
        b.boot(),
        Err(BootError::NoBootableImage {
            boot: VerifyError::BadMagic,
            fallback: Some(RefuseReason::TooLarge),
        })
    );
}

#[test]
fn untrusted_fallback_leaves_nothing_to_boot() {
    let old = vector("ecc256_sha256_v668_signed.bin");
    let mut bad = old.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let foreign = vector("ed25519_sha256_v262_signed.bin");
    let mut b = bootloader(SECTOR, 0x8000, &bad, &foreign, BootConfig::default()).unwrap();
    assert_eq!(
        b.boot(),
        Err(BootError::NoBootableImage {
            boot: VerifyError::HashMismatch,
            fallback: Some(RefuseReason::Verify(VerifyError::UnknownKey)),
        })
    );
    // Nothing was written.
    assert_eq!(b.flash().0.stats().mutations(), 0);
}

#[test]
fn power_loss_while_verifying_is_a_flash_error() {
    let old = vector("ecc256_sha256_v668_signed.bin");
    let l = layout(SECTOR, 0x8000);
    let power = wolfboot_hal_flash::PowerSupply::new();
    let mut f =
        MemFlash::with_power(MemFlashConfig::new(0x11000, SECTOR, 8), power.clone()).unwrap();
    f.poke(0, &old).unwrap();
    let mut f = SingleFlash(f);
    power.cut_after(0);
    assert!(f.0.erase(0x10000, 0x11000).is_err(), "power now off");
    let mut v = Kv::new(ecc256_keystore());
    let mut r = PartitionReader::new(&mut f, l.boot);
    assert!(matches!(
        v.verify(PartitionId::Boot, &mut r),
        Err(VerifyError::Source(SourceError::Flash(_)))
    ));
    assert!(r.fault().is_some());
    let mut b = Bootloader::new(f, v, l, BootConfig::default()).unwrap();
    assert!(matches!(b.boot(), Err(BootError::Flash(_))));
    power.reboot();
    assert_eq!(b.boot().unwrap().image.version, 668);
}

/// `EXT_ENCRYPTED` layout: key + nonce at the end of BOOT, every trailer
/// moved down by their size. The swap and rollback work with the moved
/// trailers; the application side reads the same states.
#[test]
fn encrypt_secret_area_moves_the_trailers() {
    const PS: u32 = 0x8000;
    let cfg = BootConfig {
        trailer: TrailerConfig::DEFAULT.with_encrypt_secret(32, 12),
        ..BootConfig::default()
    };
    let old = vector("ecc256_sha256_v668_signed.bin");
    let new = vector("custom_tlv_v739_signed.bin");
    let mut b = bootloader(SECTOR, PS, &old, &new, cfg).unwrap();
    assert_eq!(b.boot_trailer().end_offset(), PS - 44);
    assert_eq!(b.image_area(), PS - SECTOR);
    let secret: Vec<u8> = (1..=44).collect();
    b.flash_mut().0.poke(PS - 44, &secret).unwrap();
    b.success().unwrap();
    b.update_trigger().unwrap();
    let read = |b: &mut Bootloader<SingleFlash<MemFlash>, TestVerifier>, at: u32, n: usize| {
        let mut v = vec![0u8; n];
        b.flash_mut().0.read(at, &mut v).unwrap();
        v
    };
    // BOOT: SUCCESS (0x00) then the magic, right before the secret.
    assert_eq!(read(&mut b, PS - 49, 5), [0x00, b'B', b'O', b'O', b'T']);
    assert_eq!(read(&mut b, PS - 44, 44), secret);
    // UPDATE: UPDATING (0x70), moved down too.
    assert_eq!(read(&mut b, 2 * PS - 49, 5), [0x70, b'B', b'O', b'O', b'T']);
    assert!(read(&mut b, 2 * PS - 44, 44).iter().all(|x| *x == 0xFF));

    let d = b.boot().unwrap();
    assert_eq!((d.action, d.image.version), (BootAction::Installed, 739));
    assert_eq!(d.boot_state, Some(PartitionState::Testing));
    assert_eq!(read(&mut b, PS - 49, 5), [0x10, b'B', b'O', b'O', b'T']);
    let l = b.layout();
    assert_eq!(
        app::partition_state(b.flash_mut(), &l, cfg.trailer, PartitionId::Boot).unwrap(),
        Some(PartitionState::Testing)
    );
    // The swap erases BOOT's trailer sector, secret included (not preserved:
    // EXT_ENCRYPTED swaps are not implemented).
    assert!(read(&mut b, PS - 44, 44).iter().all(|x| *x == 0xFF));

    let d = b.boot().unwrap();
    assert_eq!((d.action, d.image.version), (BootAction::RolledBack, 668));
    assert_eq!(d.boot_state, Some(PartitionState::Success));
}

#[test]
fn trailer_skip_must_leave_the_trailer_in_the_last_sector() {
    let img = vector("ecc256_sha256_v668_signed.bin");
    for (skip, ok) in [
        (0, true),
        (44, true),
        (SECTOR - 6 - 4, true),
        (SECTOR - 6, false),
        (SECTOR, false),
        (SECTOR + 44, false),
    ] {
        let cfg = BootConfig {
            trailer: TrailerConfig {
                trailer_skip: skip,
                ..TrailerConfig::DEFAULT
            },
            ..BootConfig::default()
        };
        let r = bootloader(SECTOR, 0x8000, &img, &[], cfg);
        assert_eq!(r.is_ok(), ok, "skip {skip}");
        if !ok {
            assert!(matches!(r, Err(BootError::Unsupported)));
        }
    }
}

/// wolfBoot's ML-DSA-87 header is 12288 bytes: a multiple of 256, not a
/// power of two, and three 4 KiB sectors. `KeystoreVerifier` takes it as
/// wolfBoot does (wolfBoot's own vector, its keystore); a flipped payload
/// byte and a flipped signature byte are still refused.
#[test]
fn accepts_the_12288_byte_ml_dsa_87_header() {
    // ML-DSA-87 keeps a few hundred KB on the stack (more unoptimized).
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(|| {
            let der: &'static [u8] = Box::leak(
                wolfboot_test_vectors::read("pq/ml-dsa-87/keystore.der").into_boxed_slice(),
            );
            let slots: Vec<_> = wolfboot_verify::parse_keystore(der)
                .collect::<Result<_, _>>()
                .expect("ML-DSA-87 keystore");
            let ks: &'static wolfboot_verify::Keystore<'static> = Box::leak(Box::new(
                wolfboot_verify::Keystore::new(Box::leak(slots.into_boxed_slice())),
            ));
            let img = wolfboot_test_vectors::read("pq/ml-dsa-87/image_v1_signed.bin");
            let psize = 0x40000;
            let check = |img: &[u8]| {
                let mut v = KeystoreVerifier::<'static, 12288>::new(ks);
                let l = layout(SECTOR, psize);
                let mut f = flash(SECTOR, psize, img, &[]);
                let mut r = PartitionReader::with_len(&mut f, l.boot, psize - SECTOR);
                v.verify(PartitionId::Boot, &mut r)
            };
            let info = check(&img).expect("wolfBoot's ML-DSA-87 image");
            assert_eq!((info.header_size, info.version), (12288, 1));
            let mut bad = img.clone();
            bad[12288 + 100] ^= 1;
            assert_eq!(check(&bad).unwrap_err(), VerifyError::HashMismatch);
            let sig = img
                .windows(4)
                .position(|w| w == [0x20, 0x00, 0x13, 0x12])
                .expect("signature TLV (0x20, 4627 bytes)");
            let mut bad = img.clone();
            bad[sig + 4 + 1000] ^= 0x80;
            assert_eq!(check(&bad).unwrap_err(), VerifyError::BadSignature);
        })
        .unwrap()
        .join()
        .unwrap();
}
