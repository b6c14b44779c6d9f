//! Host tests: the text the applications print, over a RAM flash.

use wolfboot_hal_flash::{Device, MemFlash, MemFlashConfig, Partition, PartitionSet, SingleFlash};
use wolfboot_libwolfboot::{
    Error, Keystore, PartitionState, UpdateError, VerifyError, WolfBoot, WolfBootConfig,
};

use crate::stage::{stage, stream, ImageSource, SliceChunks, StageError};
use crate::text::{print_update_error, state_name};
use crate::trigger::{trigger_newer, TriggerText};
use crate::{Console, Running};

/// A console into a vector.
struct Sink(Vec<u8>);

impl Console for Sink {
    fn put(&mut self, byte: u8) {
        self.0.push(byte);
    }
}

impl Sink {
    fn text(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap()
    }
}

const SECTOR: u32 = 0x1000;
const PS: u32 = 0x8000;

type App = WolfBoot<SingleFlash<MemFlash>>;

fn app() -> App {
    let layout = PartitionSet {
        boot: Partition::new(Device::Internal, 0, PS),
        update: Partition::new(Device::Internal, PS, PS),
        swap: Partition::new(Device::Internal, 2 * PS, SECTOR),
        sector_size: SECTOR,
    };
    let flash = MemFlash::new(MemFlashConfig::new(2 * PS + SECTOR, SECTOR, 4)).unwrap();
    WolfBoot::new(SingleFlash(flash), WolfBootConfig::new(layout))
}

#[test]
fn errors_read_as_the_harnesses_expect() {
    let cases = [
        (
            UpdateError::Verify(VerifyError::HashMismatch),
            "digest mismatch",
        ),
        (
            UpdateError::Downgrade {
                current: 2,
                offered: 1,
            },
            "version 1 not newer than 2",
        ),
        (
            UpdateError::Incomplete {
                received: 10,
                expected: 20,
            },
            "incomplete (10 of 20 bytes)",
        ),
        (
            UpdateError::Io(Error::Unconfirmed),
            "running image not confirmed",
        ),
        (UpdateError::Io(Error::OutOfRange), "flash error"),
    ];
    for (e, text) in cases {
        let mut con = Sink(Vec::new());
        print_update_error(&mut con, &e);
        assert_eq!(con.text(), text);
    }
    assert_eq!(state_name(None), "none");
    assert_eq!(state_name(Some(PartitionState::Testing)), "testing");
}

#[test]
fn slices_arrive_in_pieces_then_end() {
    let image = [7u8; 10];
    let mut source = SliceChunks::new(&image, 4);
    let lens: Vec<usize> = (0..5).map(|_| source.next_chunk().unwrap().len()).collect();
    assert_eq!(lens, [4, 4, 2, 0, 0]);
}

#[test]
fn a_blank_device_reports_confirms_and_refuses_what_is_not_an_image() {
    let mut wb = app();
    let mut con = Sink(Vec::new());
    let running = Running::report(&mut wb, &mut con);
    assert_eq!(running.version, 0);
    running.confirm(&mut wb, &mut con, true);
    running.confirm(&mut wb, &mut con, false);
    assert_eq!(
        con.text(),
        "app: version 0, BOOT state none\r\napp: not confirming\r\napp: confirmed (success)\r\n"
    );

    let keystore = Keystore::new(&[]);
    let mut con = Sink(Vec::new());
    let garbage = [0x5Au8; 64];
    assert!(!stage(
        &mut wb,
        &mut con,
        &mut SliceChunks::new(&garbage, 16),
        &keystore
    ));
    assert_eq!(con.text(), "app: update refused: not a wolfBoot image\r\n");
    let mut con = Sink(Vec::new());
    assert!(!stage(
        &mut wb,
        &mut con,
        &mut SliceChunks::new(&[], 16),
        &keystore
    ));
    assert!(con
        .text()
        .starts_with("app: update refused: incomplete (0 of"));

    let text = TriggerText {
        already: "already",
        nothing_newer: "nothing newer",
    };
    let mut con = Sink(Vec::new());
    assert!(!trigger_newer(&mut wb, &mut con, 1, &text));
    assert_eq!(con.text(), "nothing newer\r\n");
}

/// A transport that fails after its first piece.
struct Broken(bool);

impl ImageSource for Broken {
    type Error = &'static str;
    fn next_chunk(&mut self) -> Result<&[u8], &'static str> {
        if core::mem::replace(&mut self.0, true) {
            Err("link down")
        } else {
            Ok(b"WOLF")
        }
    }
}

#[test]
fn a_transport_error_stops_the_stream() {
    let mut wb = app();
    let keystore = Keystore::new(&[]);
    let r = stream(
        &mut wb,
        &mut Broken(false),
        &keystore,
        wolfboot_libwolfboot::VersionPolicy::NewerOnly,
    );
    let e = r.err().unwrap();
    assert_eq!(e, StageError::Source("link down"));
    assert_eq!(e.to_string(), "the transport stopped: link down");
}
