//! Staging an update: an image arriving in pieces from any transport
//! ([`ImageSource`]) is streamed into UPDATE through `UpdateWriter`,
//! verified there (`finish`: the bootloader's keystore and version rule)
//! and only then triggered.

use core::convert::Infallible;
use core::fmt;

use wolfboot_libwolfboot::{
    FlashSet, Keystore, StagedUpdate, UpdateError, VersionPolicy, WolfBoot,
};
use wolfboot_mcu_boot::console::Console;

use crate::text::{print_number_line, print_update_error};

/// Where an update comes from: a transport handing over the image piece by
/// piece (a UART frame, a network segment, a host file).
pub trait ImageSource {
    /// Why the transport stopped before the image was complete.
    type Error;

    /// The next piece of the image; empty once the image is complete.
    fn next_chunk(&mut self) -> Result<&[u8], Self::Error>;
}

/// An image already in memory, handed over `size` bytes at a time (as a
/// transport would deliver it).
#[derive(Debug, Clone)]
pub struct SliceChunks<'a> {
    rest: &'a [u8],
    size: usize,
}

impl<'a> SliceChunks<'a> {
    /// `image` in pieces of `size` bytes (the last one shorter).
    pub const fn new(image: &'a [u8], size: usize) -> Self {
        SliceChunks { rest: image, size }
    }
}

impl ImageSource for SliceChunks<'_> {
    type Error = Infallible;

    fn next_chunk(&mut self) -> Result<&[u8], Infallible> {
        let (chunk, rest) = self.rest.split_at(self.size.min(self.rest.len()));
        self.rest = rest;
        Ok(chunk)
    }
}

/// Why an update was not staged. Nothing is triggered after either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageError<E> {
    /// The transport stopped.
    Source(E),
    /// `UpdateWriter` refused the image (or could not start).
    Update(UpdateError),
}

impl<E> StageError<E> {
    /// What went wrong, as fixed text.
    pub const fn description(&self) -> &'static str {
        match self {
            StageError::Source(_) => "the transport stopped",
            StageError::Update(e) => e.description(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for StageError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StageError::Source(e) => write!(f, "{}: {e}", self.description()),
            StageError::Update(e) => write!(f, "{e}"),
        }
    }
}

/// Stream `source` into UPDATE and verify it against `keystore` under
/// `policy`: the update, verified in place, ready to be triggered.
pub fn stream<'w, S, const H: usize, I>(
    wb: &'w mut WolfBoot<S, H>,
    source: &mut I,
    keystore: &Keystore<'_>,
    policy: VersionPolicy,
) -> Result<StagedUpdate<'w, S, H>, StageError<I::Error>>
where
    S: FlashSet,
    I: ImageSource + ?Sized,
{
    let mut writer = match wb.update_writer() {
        Ok(writer) => writer,
        Err(e) => return Err(StageError::Update(UpdateError::Io(e))),
    };
    let mut sent = Ok(());
    loop {
        let chunk = match source.next_chunk() {
            Ok(chunk) => chunk,
            Err(e) => return Err(StageError::Source(e)),
        };
        if chunk.is_empty() {
            break;
        }
        sent = writer.write(chunk);
        if sent.is_err() {
            break;
        }
    }
    match sent {
        // An empty stream is an incomplete image: `finish` says so.
        Ok(()) => writer.finish(keystore, policy).map_err(StageError::Update),
        Err(e) => Err(StageError::Update(e)),
    }
}

/// [`stream`] a newer image from a transport that cannot fail, and say how
/// it went: `app: staged version 3` (then `app: update_trigger failed` if
/// marking it failed), or `app: update refused: digest mismatch`. Returns
/// whether the update was triggered: the caller resets into the bootloader.
pub fn stage<C, S, const H: usize, I>(
    wb: &mut WolfBoot<S, H>,
    con: &mut C,
    source: &mut I,
    keystore: &Keystore<'_>,
) -> bool
where
    C: Console + ?Sized,
    S: FlashSet,
    I: ImageSource<Error = Infallible> + ?Sized,
{
    match stream(wb, source, keystore, VersionPolicy::NewerOnly) {
        Ok(update) => {
            print_number_line(con, "app: staged version ", update.image().version);
            match update.trigger() {
                Ok(_) => true,
                Err(_) => {
                    con.println("app: update_trigger failed");
                    false
                }
            }
        }
        Err(StageError::Update(e)) => {
            con.print("app: update refused: ");
            print_update_error(con, &e);
            con.println("");
            false
        }
        Err(StageError::Source(never)) => match never {},
    }
}

/// [`stage`] an image already in memory (an inbox the harness filled),
/// `chunk` bytes at a time, after `app: staging 1234 bytes through
/// UpdateWriter`.
pub fn stage_slice<C, S, const H: usize>(
    wb: &mut WolfBoot<S, H>,
    con: &mut C,
    image: &[u8],
    chunk: usize,
    keystore: &Keystore<'_>,
) -> bool
where
    C: Console + ?Sized,
    S: FlashSet,
{
    con.print("app: staging ");
    con.dec(image.len() as u32);
    con.println(" bytes through UpdateWriter");
    stage(wb, con, &mut SliceChunks::new(image, chunk), keystore)
}
