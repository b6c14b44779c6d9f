//! The application side over an async flash (`embedded-storage-async`'s
//! [`NorFlash`]), for embassy and RTIC applications: stage an update while
//! the rest of the application keeps running, trigger it, confirm the
//! running image.
//!
//! Nothing of wolfBoot's logic is written twice:
//!
//! * The trailer operations (trigger, success, state) run the same code as
//!   the blocking API, from swap-state-machine, on a RAM copy of the
//!   trailer region (`Window`). What that code programs and erases is
//!   recorded, and replayed on the flash afterwards, in the same order and
//!   with the same bytes: the flash goes through exactly the states the
//!   blocking API would take it through, so a power cut leaves what a cut of
//!   the blocking API at the same operation leaves (the tests compare both
//!   byte for byte, operation by operation).
//! * The update stream's bookkeeping (header preamble, limits, staging) is
//!   the blocking writer's `Intake`; erases and programs are awaited.
//! * Verification at [`AsyncUpdateWriter::finish`] is the same
//!   `wolfboot_verify::verify_image`. It is CPU-bound (hash, signature) and
//!   runs to completion without yielding; its flash reads are polled in
//!   place (`poll_to_completion`).
//!
//! All partitions are on the one flash given. Encrypted UPDATE partitions
//! are not offered here yet ([`Error::AsyncEncryption`]).

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embedded_storage_async::nor_flash::{NorFlash, NorFlashError};
use wolfboot_hal_flash::{
    Device, FlashFault, FlashSet, Geometry, NorFlashErrorKind, Partition, PartitionId,
};
use wolfboot_image_format::wire::img_type::PART_APP;
use wolfboot_image_format::{ImageHeader, ImageType};
use wolfboot_swap_state_machine::{app, PartitionState, PartitionTrailer, TrailerError};
use wolfboot_verify::{
    verify_image, ImageSource, Keystore, SourceError, VerifiedImage, VerifyOptions,
};

use crate::api::WolfBootConfig;
use crate::error::{Error, UpdateError};
use crate::intake::Intake;
use crate::policy::VersionPolicy;

/// The application-side handle over an async flash.
///
/// `HEADER_SIZE` is the bootloader's `IMAGE_HEADER_SIZE`; `WINDOW` bounds
/// the RAM copy of a trailer region (its sector, two with write-once, and
/// the skip after it) that trailer operations work on, and the record of
/// what they write: a layout whose trailer region is larger is refused with
/// [`Error::TrailerTooLarge`].
#[derive(Debug)]
pub struct AsyncWolfBoot<F, const HEADER_SIZE: usize = 256, const WINDOW: usize = 4096> {
    flash: F,
    config: WolfBootConfig,
}

impl<F: NorFlash, const H: usize, const W: usize> AsyncWolfBoot<F, H, W> {
    /// Wrap the flash holding BOOT, UPDATE and SWAP.
    pub fn new(flash: F, config: WolfBootConfig) -> Self {
        AsyncWolfBoot { flash, config }
    }

    /// The configuration.
    pub fn config(&self) -> &WolfBootConfig {
        &self.config
    }

    /// The flash, for board code.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Give the flash back.
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// `wolfBoot_get_partition_state`: `None` when the partition has no
    /// trailer magic.
    pub async fn partition_state(
        &mut self,
        part: PartitionId,
    ) -> Result<Option<PartitionState>, Error> {
        let (layout, trailer) = (self.config.layout, self.config.trailer);
        self.with_trailer(part, |w| app::partition_state(w, &layout, trailer, part))
            .await
    }

    /// `wolfBoot_update_trigger` (raw): mark UPDATE `UPDATING`.
    /// [`AsyncUpdateWriter`] offers a trigger only reachable once the staged
    /// image verified.
    pub async fn update_trigger(&mut self) -> Result<(), Error> {
        let (layout, trailer) = (self.config.layout, self.config.trailer);
        self.with_trailer(PartitionId::Update, |w| {
            app::update_trigger(w, &layout, trailer)
        })
        .await
    }

    /// `wolfBoot_success`: confirm the running image. Writes nothing when
    /// BOOT is already confirmed.
    pub async fn success(&mut self) -> Result<(), Error> {
        if self.partition_state(PartitionId::Boot).await? == Some(PartitionState::Success) {
            return Ok(());
        }
        let (layout, trailer) = (self.config.layout, self.config.trailer);
        self.with_trailer(PartitionId::Boot, |w| app::success(w, &layout, trailer))
            .await
    }

    /// Read the header of the image at the start of `part` into `buf`;
    /// `None` when there is no image.
    pub async fn read_header<'b>(
        &mut self,
        part: PartitionId,
        buf: &'b mut [u8; H],
    ) -> Result<Option<ImageHeader<'b>>, Error> {
        let p = self.config.layout.get(part);
        read_at(&mut self.flash, p, 0, buf).await?;
        Ok(ImageHeader::parse(buf, H).ok())
    }

    /// `wolfBoot_get_image_version`: the version of the image in `part`
    /// (not verified), `None` without an image.
    pub async fn image_version(&mut self, part: PartitionId) -> Result<Option<u32>, Error> {
        let mut buf = [0u8; H];
        Ok(self
            .read_header(part, &mut buf)
            .await?
            .and_then(|h| h.version().ok()))
    }

    /// `wolfBoot_get_image_type`.
    pub async fn image_type(&mut self, part: PartitionId) -> Result<Option<ImageType>, Error> {
        let mut buf = [0u8; H];
        Ok(self
            .read_header(part, &mut buf)
            .await?
            .and_then(|h| h.image_type().ok()))
    }

    /// `wolfBoot_current_firmware_version`.
    pub async fn current_firmware_version(&mut self) -> Result<Option<u32>, Error> {
        self.image_version(PartitionId::Boot).await
    }

    /// `wolfBoot_update_firmware_version`.
    pub async fn update_firmware_version(&mut self) -> Result<Option<u32>, Error> {
        self.image_version(PartitionId::Update).await
    }

    /// Bytes of UPDATE an image may occupy.
    pub fn max_image_size(&self) -> u32 {
        let part = self.config.layout.get(PartitionId::Update);
        part.size
            .saturating_sub(self.trailer(PartitionId::Update).reserved_len())
    }

    /// Start streaming a new image into UPDATE. See [`AsyncUpdateWriter`].
    pub async fn update_writer(&mut self) -> Result<AsyncUpdateWriter<'_, F, H, W>, Error> {
        AsyncUpdateWriter::begin(self).await
    }

    fn trailer(&self, part: PartitionId) -> PartitionTrailer {
        PartitionTrailer::of(&self.config.layout, part, self.config.trailer)
    }

    /// Run a blocking trailer operation on a RAM copy of `part`'s trailer
    /// region, then replay what it programmed and erased on the flash.
    async fn with_trailer<R>(
        &mut self,
        part: PartitionId,
        op: impl FnOnce(&mut Window<'_>) -> Result<R, TrailerError>,
    ) -> Result<R, Error> {
        if self.config.secret.is_some() {
            return Err(Error::AsyncEncryption);
        }
        let p = self.config.layout.get(part);
        let len = self.trailer(part).reserved_len();
        let start = p
            .offset
            .checked_add(p.size - len.min(p.size))
            .ok_or(Error::OutOfRange)?;
        let mut bytes = [0u8; W];
        let mut log = [0u8; W];
        let copy = bytes
            .get_mut(..len as usize)
            .ok_or(Error::TrailerTooLarge)?;
        self.flash
            .read(start, copy)
            .await
            .map_err(|e| fault(p.device, e))?;
        let mut window = Window {
            device: p.device,
            geometry: geometry_of(&self.flash),
            start,
            bytes: copy,
            log: &mut log,
            log_len: 0,
            overflow: false,
        };
        let result = op(&mut window);
        if window.overflow {
            return Err(Error::TrailerTooLarge);
        }
        let result = result?;
        let recorded = window.log_len;
        replay(
            &mut self.flash,
            p.device,
            log.get(..recorded).unwrap_or_default(),
        )
        .await?;
        Ok(result)
    }
}

/// Streams an image into UPDATE over an async flash: the async twin of
/// [`UpdateWriter`](crate::UpdateWriter), with the same checks in the same
/// order (it shares its bookkeeping), and the same rule: only a verified
/// image can be triggered ([`AsyncStagedUpdate`]).
#[derive(Debug)]
pub struct AsyncUpdateWriter<'w, F, const H: usize, const W: usize> {
    wb: &'w mut AsyncWolfBoot<F, H, W>,
    part: Partition,
    intake: Intake<H>,
    erased_end: u32,
    failed: bool,
}

impl<'w, F: NorFlash, const H: usize, const W: usize> AsyncUpdateWriter<'w, F, H, W> {
    async fn begin(wb: &'w mut AsyncWolfBoot<F, H, W>) -> Result<Self, Error> {
        if wb.config.secret.is_some() {
            return Err(Error::AsyncEncryption);
        }
        let part = wb.config.layout.get(PartitionId::Update);
        if wb.partition_state(PartitionId::Boot).await? == Some(PartitionState::Testing) {
            return Err(Error::Unconfirmed);
        }
        let geometry = geometry_of(&wb.flash);
        let intake = Intake::new(
            wb.max_image_size(),
            geometry.write_size,
            geometry.erased_byte,
            1,
        )?;
        // Forget any earlier trigger before the first byte lands.
        let state = wb.partition_state(PartitionId::Update).await?;
        if state.is_some() && state != Some(PartitionState::New) {
            let trailer = wb.trailer(PartitionId::Update);
            wb.with_trailer(PartitionId::Update, |w| trailer.erase(w))
                .await?;
        }
        Ok(AsyncUpdateWriter {
            wb,
            part,
            intake,
            erased_end: 0,
            failed: false,
        })
    }

    /// Bytes received so far.
    pub fn received(&self) -> u32 {
        self.intake.received
    }

    /// Total bytes the image announces (header plus payload), once known.
    pub fn expected_len(&self) -> Option<u32> {
        self.intake.expected
    }

    /// Append the next chunk of the image.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UpdateError> {
        if self.failed {
            return Err(UpdateError::Aborted);
        }
        let r = self.write_inner(chunk).await;
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    async fn write_inner(&mut self, mut chunk: &[u8]) -> Result<(), UpdateError> {
        self.intake.begin_chunk(chunk.len())?;
        while !chunk.is_empty() {
            let n = self.intake.take(chunk, None)?;
            chunk = chunk.get(n..).unwrap_or_default();
            if self.intake.stage_is_full() {
                self.flush(false).await?;
            }
        }
        self.intake.end_chunk()
    }

    async fn flush(&mut self, last: bool) -> Result<(), UpdateError> {
        let Some((at, n)) = self.intake.pending(last) else {
            return Ok(());
        };
        let sector = self.wb.config.layout.sector_size;
        let end = at + n as u32;
        while self.erased_end < end {
            let next = self.erased_end + sector;
            erase_in(&mut self.wb.flash, self.part, self.erased_end, next).await?;
            self.erased_end = next;
        }
        let data = self.intake.staged(n)?;
        write_in(&mut self.wb.flash, self.part, at, data).await?;
        self.intake.programmed(n);
        Ok(())
    }

    /// End of the stream: program what is left, check the length, verify
    /// the image in place (header, digest, signature, partition, version).
    pub async fn finish(
        mut self,
        keystore: &Keystore<'_>,
        policy: VersionPolicy,
    ) -> Result<AsyncStagedUpdate<'w, F, H, W>, UpdateError> {
        if self.failed {
            return Err(UpdateError::Aborted);
        }
        let expected = self.intake.complete()?;
        self.flush(true).await?;
        let mut header = [0u8; H];
        let opts = VerifyOptions {
            partition_id: Some(PART_APP),
            max_image_size: Some(self.intake.limit),
            ..VerifyOptions::new()
        };
        let image = {
            let mut source = PolledSource {
                flash: &mut self.wb.flash,
                partition: self.part,
                len: expected.min(self.part.size),
            };
            verify_image(&mut source, &mut header, keystore, &opts).map_err(UpdateError::Verify)?
        };
        let current = self.wb.current_firmware_version().await?.unwrap_or(0);
        if policy == VersionPolicy::NewerOnly && image.version <= current {
            return Err(UpdateError::Downgrade {
                current,
                offered: image.version,
            });
        }
        Ok(AsyncStagedUpdate { wb: self.wb, image })
    }
}

/// An image that verified in UPDATE, ready to be triggered.
#[derive(Debug)]
pub struct AsyncStagedUpdate<'w, F, const H: usize, const W: usize> {
    wb: &'w mut AsyncWolfBoot<F, H, W>,
    image: VerifiedImage,
}

impl<F: NorFlash, const H: usize, const W: usize> AsyncStagedUpdate<'_, F, H, W> {
    /// What verified.
    pub fn image(&self) -> &VerifiedImage {
        &self.image
    }

    /// Mark UPDATE `UPDATING`: the bootloader verifies it again and
    /// installs it at the next reset.
    pub async fn trigger(self) -> Result<VerifiedImage, Error> {
        self.wb.update_trigger().await?;
        Ok(self.image)
    }
}

/// A RAM copy of one trailer region that the blocking trailer code works on
/// as if it were the flash, recording what it programs and erases.
///
/// Record format, one after the other: kind (0 erase, 1 program), absolute
/// offset (u32 LE), length (u32 LE), and for a program its bytes.
struct Window<'a> {
    device: Device,
    geometry: Geometry,
    /// Absolute device offset of `bytes[0]`.
    start: u32,
    bytes: &'a mut [u8],
    log: &'a mut [u8],
    log_len: usize,
    /// The record did not fit `log`: nothing may be replayed.
    overflow: bool,
}

const RECORD_ERASE: u8 = 0;
const RECORD_PROGRAM: u8 = 1;
const RECORD_HEAD: usize = 9;

impl Window<'_> {
    fn fault(&self, kind: NorFlashErrorKind) -> FlashFault {
        FlashFault {
            device: self.device,
            kind,
        }
    }

    /// `bytes` index range of `[offset, offset + len)`, if inside the window.
    fn range(&self, offset: u32, len: usize) -> Result<core::ops::Range<usize>, FlashFault> {
        let rel = offset
            .checked_sub(self.start)
            .ok_or(self.fault(NorFlashErrorKind::OutOfBounds))? as usize;
        let end = rel
            .checked_add(len)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(self.fault(NorFlashErrorKind::OutOfBounds))?;
        Ok(rel..end)
    }

    fn record(&mut self, kind: u8, offset: u32, len: u32, data: &[u8]) -> Result<(), FlashFault> {
        let need = RECORD_HEAD + data.len();
        let Some(dst) = self.log.get_mut(self.log_len..self.log_len + need) else {
            self.overflow = true;
            return Err(self.fault(NorFlashErrorKind::Other));
        };
        let (head, body) = dst.split_at_mut(RECORD_HEAD);
        head[0] = kind;
        head[1..5].copy_from_slice(&offset.to_le_bytes());
        head[5..9].copy_from_slice(&len.to_le_bytes());
        body.copy_from_slice(data);
        self.log_len += need;
        Ok(())
    }
}

impl FlashSet for Window<'_> {
    fn geometry(&self, _device: Device) -> Geometry {
        self.geometry
    }

    fn read(&mut self, _device: Device, offset: u32, buf: &mut [u8]) -> Result<(), FlashFault> {
        let r = self.range(offset, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write(&mut self, _device: Device, offset: u32, data: &[u8]) -> Result<(), FlashFault> {
        let ws = self.geometry.write_size.max(1);
        if !offset.is_multiple_of(ws) || !data.len().is_multiple_of(ws as usize) {
            return Err(self.fault(NorFlashErrorKind::NotAligned));
        }
        let r = self.range(offset, data.len())?;
        // NOR: a program only clears bits (the flash would refuse, too).
        if self.bytes[r.clone()]
            .iter()
            .zip(data)
            .any(|(old, new)| new & !old != 0)
        {
            return Err(self.fault(NorFlashErrorKind::Other));
        }
        self.record(RECORD_PROGRAM, offset, data.len() as u32, data)?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn erase(&mut self, _device: Device, from: u32, to: u32) -> Result<(), FlashFault> {
        let es = self.geometry.erase_size.max(1);
        if from > to || !from.is_multiple_of(es) || !to.is_multiple_of(es) {
            return Err(self.fault(NorFlashErrorKind::NotAligned));
        }
        let r = self.range(from, (to - from) as usize)?;
        self.record(RECORD_ERASE, from, to - from, &[])?;
        self.bytes[r].fill(self.geometry.erased_byte);
        Ok(())
    }
}

/// Apply a [`Window`]'s record to the flash, in order.
async fn replay<F: NorFlash>(flash: &mut F, device: Device, mut log: &[u8]) -> Result<(), Error> {
    while let Some((head, rest)) = log.split_first_chunk::<RECORD_HEAD>() {
        let offset = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
        let len = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
        log = rest;
        if head[0] == RECORD_ERASE {
            let to = offset.checked_add(len).ok_or(Error::OutOfRange)?;
            flash
                .erase(offset, to)
                .await
                .map_err(|e| fault(device, e))?;
        } else {
            let (data, rest) = log
                .split_at_checked(len as usize)
                .ok_or(Error::OutOfRange)?;
            flash
                .write(offset, data)
                .await
                .map_err(|e| fault(device, e))?;
            log = rest;
        }
    }
    Ok(())
}

fn geometry_of<F: NorFlash>(flash: &F) -> Geometry {
    Geometry {
        capacity: u32::try_from(flash.capacity()).unwrap_or(u32::MAX),
        erase_size: u32::try_from(F::ERASE_SIZE).unwrap_or(u32::MAX),
        write_size: u32::try_from(F::WRITE_SIZE).unwrap_or(u32::MAX),
        erased_byte: 0xFF,
    }
}

fn fault<E: NorFlashError>(device: Device, e: E) -> Error {
    Error::Flash(FlashFault {
        device,
        kind: e.kind(),
    })
}

async fn read_at<F: NorFlash>(
    flash: &mut F,
    part: Partition,
    rel: u32,
    buf: &mut [u8],
) -> Result<(), Error> {
    let abs = part.absolute(rel, buf.len()).ok_or(Error::OutOfRange)?;
    flash
        .read(abs, buf)
        .await
        .map_err(|e| fault(part.device, e))
}

async fn write_in<F: NorFlash>(
    flash: &mut F,
    part: Partition,
    rel: u32,
    data: &[u8],
) -> Result<(), Error> {
    let abs = part.absolute(rel, data.len()).ok_or(Error::OutOfRange)?;
    flash
        .write(abs, data)
        .await
        .map_err(|e| fault(part.device, e))
}

async fn erase_in<F: NorFlash>(
    flash: &mut F,
    part: Partition,
    from: u32,
    to: u32,
) -> Result<(), Error> {
    let len = to.checked_sub(from).ok_or(Error::OutOfRange)?;
    let abs = part.absolute(from, len as usize).ok_or(Error::OutOfRange)?;
    flash
        .erase(abs, abs + len)
        .await
        .map_err(|e| fault(part.device, e))
}

/// UPDATE as the image source of the (blocking) verification: each read is
/// polled until it completes.
struct PolledSource<'a, F> {
    flash: &'a mut F,
    partition: Partition,
    len: u32,
}

impl<F: NorFlash> ImageSource for PolledSource<'_, F> {
    fn len(&self) -> u32 {
        self.len
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), SourceError> {
        let end = u32::try_from(buf.len())
            .ok()
            .and_then(|n| offset.checked_add(n))
            .ok_or(SourceError::OutOfBounds)?;
        if end > self.len {
            return Err(SourceError::OutOfBounds);
        }
        let abs = self
            .partition
            .absolute(offset, buf.len())
            .ok_or(SourceError::OutOfBounds)?;
        poll_to_completion(self.flash.read(abs, buf)).map_err(|e| SourceError::Flash(e.kind()))
    }
}

/// Drive `future` to completion on the spot, polling it until it is ready.
///
/// Used only for the flash reads of the verification, which is CPU-bound and
/// runs to completion anyway. A read of memory-mapped flash is ready at the
/// first poll; one that waits for a DMA or an interrupt is ready when the
/// hardware is done (its future checks that on every poll).
pub(crate) fn poll_to_completion<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        core::hint::spin_loop();
    }
}
