//! An embassy application that updates itself with wolfboot-rs.
//!
//! One task receives the new image in chunks (here from memory; on a device
//! from a radio, a UART or a network stack) and hands them over a channel;
//! the main task streams them into UPDATE with [`AsyncUpdateWriter`], which
//! verifies the image in place before it can be triggered. Then the device
//! "resets": the bootloader (blocking, as on the chip) installs the update,
//! and the new image confirms itself.
//!
//! The flash is an in-memory NOR flash (`MemNorFlash`, 4 KiB sectors) that
//! enforces NOR rules; on a chip it is the HAL's async flash driver, for
//! example embassy-nrf's `Nvmc` or an external QSPI flash.
//!
//! Run: `cargo run -p wolfboot-embassy-update`.
//!
//! [`AsyncUpdateWriter`]: wolfboot_libwolfboot::AsyncUpdateWriter

use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use wolfboot_hal_flash::{MemFlash, MemFlashConfig, MemNorFlash};
use wolfboot_libwolfboot::{
    AsyncWolfBoot, AuthType, Device, KeySlot, Keystore, Partition, PartitionId, PartitionSet,
    SingleFlash, VersionPolicy, WolfBootConfig,
};
use wolfboot_swap_state_machine::{BootConfig, Bootloader, KeystoreVerifier};

/// The image running now (version 470) and the update (version 668), both
/// signed by wolfBoot's own `sign` with the ECC256 key below.
static RUNNING: &[u8] = include_bytes!("../../../vectors/encrypted_aes128_v470_signed.bin");
static UPDATE: &[u8] = include_bytes!("../../../vectors/ecc256_sha256_v668_signed.bin");
static PUBKEY: &[u8] = include_bytes!("../../../vectors/keys/ecc256/ecc256_pub.der");

/// What the bootloader and the application trust (`sign-cli keygen` writes
/// this as `keystore.rs`).
static SLOTS: [KeySlot<'static>; 1] = [KeySlot {
    slot_id: 0,
    key_type: AuthType::Ecc256,
    part_mask: 0xFFFF_FFFF,
    pubkey: PUBKEY,
}];
static KEYSTORE: Keystore<'static> = Keystore::new(&SLOTS);

const SECTOR: u32 = 0x1000;
const PARTITION: u32 = 0x40000;
/// The device's flash: 4 KiB sectors, 4-byte program units (as an nRF52).
type Flash = MemNorFlash<0x1000, 4>;

fn layout() -> PartitionSet {
    PartitionSet {
        boot: Partition::new(Device::Internal, 0, PARTITION),
        update: Partition::new(Device::Internal, PARTITION, PARTITION),
        swap: Partition::new(Device::Internal, 2 * PARTITION, SECTOR),
        sector_size: SECTOR,
    }
}

/// A piece of the image in transit; an empty one ends the transfer.
struct Chunk {
    bytes: [u8; 256],
    len: usize,
}

static INBOX: Channel<CriticalSectionRawMutex, Chunk, 4> = Channel::new();

/// The transport: delivers the image in chunks.
#[embassy_executor::task]
async fn receive(image: &'static [u8]) {
    for piece in image.chunks(256) {
        let mut chunk = Chunk {
            bytes: [0; 256],
            len: piece.len(),
        };
        chunk.bytes[..piece.len()].copy_from_slice(piece);
        INBOX.send(chunk).await;
    }
    INBOX
        .send(Chunk {
            bytes: [0; 256],
            len: 0,
        })
        .await;
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let code = match run(spawner).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("embassy-update: {e}");
            1
        }
    };
    std::process::exit(code);
}

async fn run(spawner: Spawner) -> Result<(), String> {
    // The device as it left the factory: version 470 in BOOT.
    let mut mem = MemFlash::new(MemFlashConfig::new(2 * PARTITION + SECTOR, SECTOR, 4))
        .map_err(|e| e.to_string())?;
    mem.poke(0, RUNNING).map_err(|e| e.to_string())?;
    let flash = Flash::new(mem).map_err(|e| e.to_string())?;
    let mut wb: AsyncWolfBoot<Flash> = AsyncWolfBoot::new(flash, WolfBootConfig::new(layout()));
    println!(
        "app: running version {:?}",
        wb.current_firmware_version()
            .await
            .map_err(|e| e.to_string())?
    );

    // Receive and stage the update while the transport task runs.
    spawner.spawn(receive(UPDATE).map_err(|e| format!("spawn: {e:?}"))?);
    let mut writer = wb.update_writer().await.map_err(|e| e.to_string())?;
    loop {
        let chunk = INBOX.receive().await;
        if chunk.len == 0 {
            break;
        }
        writer
            .write(&chunk.bytes[..chunk.len])
            .await
            .map_err(|e| e.to_string())?;
    }
    println!("app: received {} bytes", writer.received());
    let staged = writer
        .finish(&KEYSTORE, VersionPolicy::NewerOnly)
        .await
        .map_err(|e| e.to_string())?;
    let image = staged.trigger().await.map_err(|e| e.to_string())?;
    println!(
        "app: version {} verified and triggered; resetting",
        image.version
    );

    // Reset: the bootloader runs, verifies and installs the update.
    let flash = wb.into_flash().into_mem();
    let mut bootloader = Bootloader::new(
        SingleFlash(flash),
        KeystoreVerifier::<256>::new(&KEYSTORE),
        layout(),
        BootConfig::default(),
    )
    .map_err(|e| e.to_string())?;
    let decision = bootloader.boot().map_err(|e| e.to_string())?;
    println!(
        "bootloader: {:?}, booting version {} ({:?})",
        decision.action, decision.image.version, decision.boot_state
    );
    let (SingleFlash(flash), _) = bootloader.into_parts();

    // The new image confirms itself, so it is not rolled back.
    let flash = Flash::new(flash).map_err(|e| e.to_string())?;
    let mut wb: AsyncWolfBoot<Flash> = AsyncWolfBoot::new(flash, WolfBootConfig::new(layout()));
    wb.success().await.map_err(|e| e.to_string())?;
    let state = wb
        .partition_state(PartitionId::Boot)
        .await
        .map_err(|e| e.to_string())?;
    let version = wb
        .current_firmware_version()
        .await
        .map_err(|e| e.to_string())?;
    println!("app: running version {version:?}, BOOT {state:?}");
    if version != Some(image.version) {
        return Err(format!(
            "expected version {} after the update",
            image.version
        ));
    }
    Ok(())
}
