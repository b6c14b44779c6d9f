//! The async application API (feature `async`) over an async in-memory NOR
//! flash: it takes the flash through exactly the states the blocking API
//! does, operation by operation (so every power-cut proof of the blocking
//! API holds for it), and the bootloader installs what it stages.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use wolfboot_hal_flash::{
    Device, Flash, MemFlash, MemFlashConfig, MemNorFlash, Partition, PartitionId, PartitionSet,
    SingleFlash,
};
use wolfboot_libwolfboot::{
    AsyncWolfBoot, AuthType, Error, KeySlot, Keystore, PartitionState, UpdateError, VersionPolicy,
    WolfBoot, WolfBootConfig,
};
use wolfboot_swap_state_machine::{BootAction, BootConfig, Bootloader, KeystoreVerifier};
use wolfboot_test_vectors as vectors;

const SECTOR: u32 = 0x1000;
const PART: u32 = 0x40000;
const SIZE: u32 = 0x81000;
/// Async flash of 4 KiB sectors programmed in 8-byte units.
type Nor = MemNorFlash<0x1000, 8>;

fn layout() -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0, PART),
        update: Partition::new(Device::Internal, PART, PART),
        swap: Partition::new(Device::Internal, 2 * PART, SECTOR),
        sector_size: SECTOR,
    }
}

fn config() -> WolfBootConfig {
    WolfBootConfig::new(layout())
}

/// A flash with `boot` in BOOT, on its own power rail.
fn mem(boot: &[u8]) -> MemFlash {
    let mut m = MemFlash::new(MemFlashConfig::new(SIZE, SECTOR, 8)).unwrap();
    m.poke(0, boot).unwrap();
    m
}

/// Run a future to completion (the futures here never wait: the flash is RAM).
fn run<T>(f: impl Future<Output = T>) -> T {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

struct Keys(Vec<u8>);

impl Keys {
    fn ecc256() -> Keys {
        Keys(vectors::read("keys/ecc256/ecc256_pub.der"))
    }
}

fn boot_image() -> Vec<u8> {
    vectors::read("encrypted_aes128_v470_signed.bin")
}

fn update_image() -> Vec<u8> {
    vectors::read("ecc256_sha256_v668_signed.bin")
}

/// The blocking API's staging and trigger; the version triggered.
fn stage_blocking(
    flash: MemFlash,
    image: &[u8],
    keys: &Keys,
) -> (MemFlash, Result<u32, UpdateError>) {
    let slots = [KeySlot::new(0, AuthType::Ecc256, &keys.0)];
    let keystore = Keystore::new(&slots);
    let mut wb: WolfBoot<_> = WolfBoot::new(SingleFlash(flash), config());
    let r = (|| {
        let mut w = wb.update_writer().map_err(UpdateError::Io)?;
        for c in image.chunks(700) {
            w.write(c)?;
        }
        let staged = w.finish(&keystore, VersionPolicy::NewerOnly)?;
        Ok(staged.trigger().map_err(UpdateError::Io)?.version)
    })();
    (wb.into_flash().0, r)
}

/// The async API's staging and trigger, same chunks.
fn stage_async(flash: MemFlash, image: &[u8], keys: &Keys) -> (MemFlash, Result<u32, UpdateError>) {
    let slots = [KeySlot::new(0, AuthType::Ecc256, &keys.0)];
    let keystore = Keystore::new(&slots);
    let mut wb: AsyncWolfBoot<Nor> = AsyncWolfBoot::new(Nor::new(flash).unwrap(), config());
    let r = run(async {
        let mut w = wb.update_writer().await.map_err(UpdateError::Io)?;
        for c in image.chunks(700) {
            w.write(c).await?;
        }
        let staged = w.finish(&keystore, VersionPolicy::NewerOnly).await?;
        Ok(staged.trigger().await.map_err(UpdateError::Io)?.version)
    });
    (wb.into_flash().into_mem(), r)
}

#[test]
fn async_staging_takes_the_flash_through_the_blocking_states_at_every_cut() {
    let keys = Keys::ecc256();
    let (boot, image) = (boot_image(), update_image());
    // UPDATE starts triggered with an old image, so staging also erases a
    // trailer first (the recorded-and-replayed path).
    let start = {
        let mut wb: WolfBoot<_> = WolfBoot::new(SingleFlash(mem(&boot)), config());
        wb.update_trigger().unwrap();
        wb.into_flash().0
    };
    let fresh = || {
        let mut m = mem(&boot);
        m.poke(0, start.contents()).unwrap();
        m
    };

    let (done_b, rb) = stage_blocking(fresh(), &image, &keys);
    let (done_a, ra) = stage_async(fresh(), &image, &keys);
    assert_eq!(rb, Ok(668));
    assert_eq!(ra, Ok(668));
    assert!(
        done_a.contents() == done_b.contents(),
        "final flash differs"
    );
    let (sb, sa) = (done_b.stats(), done_a.stats());
    assert_eq!(
        (sa.erase_ops, sa.programs, sa.bytes_written),
        (sb.erase_ops, sb.programs, sb.bytes_written)
    );
    let total = sb.mutations();
    assert!(total >= 12, "{total} operations");

    // A cut before every operation: the same flash either way.
    for n in 0..total {
        let b = fresh();
        b.cut_power_after(n);
        let a = fresh();
        a.cut_power_after(n);
        let (b, rb) = stage_blocking(b, &image, &keys);
        let (a, ra) = stage_async(a, &image, &keys);
        assert!(rb.is_err() && ra.is_err(), "cut {n}: {rb:?} {ra:?}");
        assert!(a.contents() == b.contents(), "cut {n}: flash differs");
    }
}

#[test]
fn bootloader_installs_what_the_async_api_staged_and_the_app_confirms_it() {
    let keys = Keys::ecc256();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &keys.0)];
    let keystore = Keystore::new(&slots);
    let (flash, r) = stage_async(mem(&boot_image()), &update_image(), &keys);
    assert_eq!(r, Ok(668));

    // Reset into the bootloader (blocking, as on the chip).
    let mut bl = Bootloader::new(
        SingleFlash(flash),
        KeystoreVerifier::<256>::new(&keystore),
        layout(),
        BootConfig::default(),
    )
    .unwrap();
    let d = bl.boot().unwrap();
    assert_eq!(d.action, BootAction::Installed);
    assert_eq!(d.image.version, 668);
    let (SingleFlash(flash), _) = bl.into_parts();

    // The new image runs, asks its state and confirms itself.
    let mut wb: AsyncWolfBoot<Nor> = AsyncWolfBoot::new(Nor::new(flash).unwrap(), config());
    run(async {
        assert_eq!(wb.current_firmware_version().await.unwrap(), Some(668));
        assert_eq!(wb.update_firmware_version().await.unwrap(), Some(470));
        assert_eq!(
            wb.partition_state(PartitionId::Boot).await.unwrap(),
            Some(PartitionState::Testing)
        );
        wb.success().await.unwrap();
        assert_eq!(
            wb.partition_state(PartitionId::Boot).await.unwrap(),
            Some(PartitionState::Success)
        );
        // A second confirmation writes nothing.
        let before = wb.flash_mut().mem().stats().mutations();
        wb.success().await.unwrap();
        assert_eq!(wb.flash_mut().mem().stats().mutations(), before);
    });
    let flash = wb.into_flash().into_mem();
    let mut bl = Bootloader::new(
        SingleFlash(flash),
        KeystoreVerifier::<256>::new(&keystore),
        layout(),
        BootConfig::default(),
    )
    .unwrap();
    let d = bl.boot().unwrap();
    assert_eq!((d.action, d.image.version), (BootAction::NoUpdate, 668));
}

#[test]
fn async_writer_refuses_what_the_blocking_writer_refuses() {
    let keys = Keys::ecc256();
    let mut tampered = update_image();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let (flash, r) = stage_async(mem(&boot_image()), &tampered, &keys);
    assert!(matches!(r, Err(UpdateError::Verify(_))), "{r:?}");
    let mut wb: AsyncWolfBoot<Nor> = AsyncWolfBoot::new(Nor::new(flash).unwrap(), config());
    assert_eq!(
        run(wb.partition_state(PartitionId::Update)).unwrap(),
        None,
        "a refused image is never triggered"
    );
    // Truncated stream.
    let image = update_image();
    let slots = [KeySlot::new(0, AuthType::Ecc256, &keys.0)];
    let keystore = Keystore::new(&slots);
    let r = run(async {
        let mut w = wb.update_writer().await.map_err(UpdateError::Io)?;
        w.write(&image[..image.len() - 10]).await?;
        w.finish(&keystore, VersionPolicy::NewerOnly)
            .await
            .map(|_| ())
    });
    assert!(matches!(r, Err(UpdateError::Incomplete { .. })), "{r:?}");
    // Not an image at all.
    let r = run(async {
        let mut w = wb.update_writer().await.map_err(UpdateError::Io)?;
        w.write(b"definitely not wolf").await
    });
    assert!(matches!(r, Err(UpdateError::Header(_))), "{r:?}");
    // Encrypted configurations are refused with their own error.
    let mut enc: AsyncWolfBoot<Nor> = AsyncWolfBoot::new(
        wb.into_flash(),
        config().with_encryption(wolfboot_libwolfboot::EncryptSecret::CHACHA20),
    );
    assert_eq!(run(enc.update_trigger()), Err(Error::AsyncEncryption));
    let _ = Flash::geometry(enc.flash_mut());
}
