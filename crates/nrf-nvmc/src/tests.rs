//! The driver against a register-level model of the NVMC.
extern crate std;

use std::vec;
use std::vec::Vec;

use super::*;

/// Absolute address where the model's flash array starts (an nRF's flash
/// starts at 0; the window under test starts higher, as BOOT does).
const CHIP_FLASH: u32 = 0;
const CHIP_SIZE: u32 = 1024 * 1024;

/// What the model saw that real silicon would not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Misuse {
    /// A flash store while CONFIG was not WEN (ignored, as on the chip).
    StoreNotWriteEnabled(u32),
    /// ERASEPAGE while CONFIG was not EEN (ignored).
    EraseNotEnabled(u32),
    /// Any access other than a READY poll while an operation runs.
    Busy(&'static str),
}

/// Register-level NVMC: CONFIG, READY (busy for `busy_polls` reads after
/// each operation), ERASEPAGE; a store into the array ANDs the word in (a
/// program can only clear bits) and counts writes per word since its erase.
struct Model<const PAGE: u32> {
    flash: Vec<u8>,
    config: u32,
    busy_polls: u32,
    busy_left: u32,
    /// READY never comes back.
    stuck: bool,
    /// Stores are accepted but do nothing (a failed program).
    drop_stores: bool,
    misuse: Vec<Misuse>,
    writes: Vec<u8>,
    /// Every register write, in order.
    log: Vec<(u32, u32)>,
}

impl<const PAGE: u32> Model<PAGE> {
    fn new(busy_polls: u32) -> Self {
        Model {
            flash: vec![0xFF; CHIP_SIZE as usize],
            config: 0,
            busy_polls,
            busy_left: 0,
            stuck: false,
            drop_stores: false,
            misuse: Vec::new(),
            writes: vec![0; (CHIP_SIZE / 4) as usize],
            log: Vec::new(),
        }
    }

    fn start(&mut self) {
        self.busy_left = self.busy_polls;
    }

    fn check_idle(&mut self, what: &'static str) {
        if self.busy_left > 0 || self.stuck {
            self.misuse.push(Misuse::Busy(what));
        }
    }
}

impl<const PAGE: u32> NvmcBus for Model<PAGE> {
    fn read_reg(&mut self, offset: u32) -> u32 {
        match offset {
            regs::READY => {
                if self.stuck {
                    0
                } else if self.busy_left > 0 {
                    self.busy_left -= 1;
                    0
                } else {
                    1
                }
            }
            regs::CONFIG => self.config,
            _ => panic!("read of unknown register {offset:#x}"),
        }
    }

    fn write_reg(&mut self, offset: u32, value: u32) {
        self.log.push((offset, value));
        self.check_idle("register write");
        match offset {
            regs::CONFIG => self.config = value & 3,
            regs::ERASEPAGE => {
                if self.config != regs::CONFIG_EEN {
                    self.misuse.push(Misuse::EraseNotEnabled(value));
                    return;
                }
                let page = ((value - CHIP_FLASH) & !(PAGE - 1)) as usize;
                self.flash[page..page + PAGE as usize].fill(0xFF);
                for w in &mut self.writes[page / 4..(page + PAGE as usize) / 4] {
                    *w = 0;
                }
                self.start();
            }
            _ => panic!("write of unknown register {offset:#x}"),
        }
    }

    fn read_flash(&mut self, address: u32, buf: &mut [u8]) {
        let a = (address - CHIP_FLASH) as usize;
        buf.copy_from_slice(&self.flash[a..a + buf.len()]);
    }

    fn write_flash_word(&mut self, address: u32, word: u32) {
        assert_eq!(address % 4, 0, "unaligned store");
        self.check_idle("flash store");
        if self.config != regs::CONFIG_WEN {
            self.misuse.push(Misuse::StoreNotWriteEnabled(address));
            return;
        }
        let a = (address - CHIP_FLASH) as usize;
        self.writes[a / 4] += 1;
        if !self.drop_stores {
            let old = u32::from_le_bytes(self.flash[a..a + 4].try_into().unwrap());
            self.flash[a..a + 4].copy_from_slice(&(old & word).to_le_bytes());
        }
        self.start();
    }
}

const WINDOW: u32 = 0x4000;
const WINDOW_LEN: u32 = 0x8000;

fn nrf51(busy: u32) -> Nrf51Nvmc<Model<1024>> {
    Nvmc::new(Model::new(busy), WINDOW, WINDOW_LEN).unwrap()
}

fn nrf52(busy: u32) -> Nrf52Nvmc<Model<4096>> {
    Nvmc::new(Model::new(busy), WINDOW, WINDOW_LEN).unwrap()
}

#[test]
fn geometry_follows_the_page_size() {
    use wolfboot_hal_flash::Flash as _;
    let a = nrf51(0);
    let g = a.geometry();
    assert_eq!(
        (g.capacity, g.erase_size, g.write_size, g.erased_byte),
        (WINDOW_LEN, 1024, 4, 0xFF)
    );
    let b = nrf52(0);
    assert_eq!(b.geometry().erase_size, 4096);
    // The window must be page-aligned.
    assert!(Nrf52Nvmc::new(Model::<4096>::new(0), 0x1000 + 1024, 0x4000).is_none());
    assert!(Nrf51Nvmc::new(Model::<1024>::new(0), 0x400, 0x4000).is_some());
    assert!(Nrf51Nvmc::new(Model::<1024>::new(0), 0xFFFF_FC00, 0x800).is_none());
}

#[test]
fn erase_uses_een_erasepage_and_returns_to_read_only() {
    let mut f = nrf51(3);
    f.bus().flash[WINDOW as usize..(WINDOW + 0x1000) as usize].fill(0);
    f.erase(0x400, 0xC00).unwrap();
    let m = f.bus();
    assert!(m.misuse.is_empty(), "{:?}", m.misuse);
    assert_eq!(m.config, regs::CONFIG_REN);
    // Two pages, each: EEN, ERASEPAGE (absolute address), REN.
    assert_eq!(
        m.log,
        vec![
            (regs::CONFIG, regs::CONFIG_EEN),
            (regs::ERASEPAGE, WINDOW + 0x400),
            (regs::CONFIG, regs::CONFIG_REN),
            (regs::CONFIG, regs::CONFIG_EEN),
            (regs::ERASEPAGE, WINDOW + 0x800),
            (regs::CONFIG, regs::CONFIG_REN),
        ]
    );
    let w = WINDOW as usize;
    assert!(m.flash[w..w + 0x400].iter().all(|b| *b == 0));
    assert!(m.flash[w + 0x400..w + 0xC00].iter().all(|b| *b == 0xFF));
    assert!(m.flash[w + 0xC00..w + 0x1000].iter().all(|b| *b == 0));
}

#[test]
fn program_clears_bits_only_and_checks_first() {
    let mut f = nrf52(2);
    f.write(8, &[0x0F, 0xF0, 0x00, 0xFF, 0x12, 0x34, 0x56, 0x78])
        .unwrap();
    let mut back = [0u8; 8];
    f.read(8, &mut back).unwrap();
    assert_eq!(back, [0x0F, 0xF0, 0x00, 0xFF, 0x12, 0x34, 0x56, 0x78]);
    // Clearing more bits of a programmed word is fine (multi-write).
    f.write(8, &[0x0E, 0x00, 0x00, 0x0F]).unwrap();
    // Raising a bit is refused for the whole call, nothing written.
    let before = f.bus().flash.clone();
    let log_len = f.bus().log.len();
    assert_eq!(
        f.write(8, &[0x00, 0x00, 0x00, 0x00, 0x13, 0x34, 0x56, 0x78]),
        Err(NvmcError::WouldSetBits { offset: 12 })
    );
    assert_eq!(f.bus().flash, before);
    assert_eq!(f.bus().log.len(), log_len, "no register touched");
    let m = f.bus();
    assert!(m.misuse.is_empty(), "{:?}", m.misuse);
    assert_eq!(m.config, regs::CONFIG_REN);
}

#[test]
fn words_that_hold_their_value_are_not_programmed_again() {
    let mut f = nrf51(0);
    f.write(0, &[0xAA; 16]).unwrap();
    f.write(
        0,
        &[
            0xAA, 0xAA, 0xAA, 0xAA, 0, 0, 0, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF,
        ],
    )
    .unwrap_err();
    f.write(0, &[0xAA, 0xAA, 0xAA, 0xAA, 0, 0, 0, 0]).unwrap();
    let w = (WINDOW / 4) as usize;
    assert_eq!(&f.bus().writes[w..w + 4], &[1, 2, 1, 1]);
    // An erase starts the count again.
    f.erase(0, 1024).unwrap();
    assert_eq!(&f.bus().writes[w..w + 4], &[0, 0, 0, 0]);
    // A write of all-0xFF words to erased flash programs nothing.
    f.write(0, &[0xFF; 8]).unwrap();
    assert_eq!(&f.bus().writes[w..w + 2], &[0, 0]);
}

#[test]
fn alignment_and_bounds() {
    let mut f = nrf52(0);
    assert_eq!(f.write(2, &[0; 4]), Err(NvmcError::NotAligned));
    assert_eq!(f.write(0, &[0; 3]), Err(NvmcError::NotAligned));
    assert_eq!(
        f.write(WINDOW_LEN - 4, &[0; 8]),
        Err(NvmcError::OutOfBounds)
    );
    assert_eq!(f.write(u32::MAX - 3, &[0; 4]), Err(NvmcError::OutOfBounds));
    assert_eq!(f.erase(0, 1024), Err(NvmcError::NotAligned));
    assert_eq!(f.erase(4096, 0), Err(NvmcError::OutOfBounds));
    assert_eq!(f.erase(0, WINDOW_LEN + 4096), Err(NvmcError::OutOfBounds));
    let mut b = [0u8; 8];
    assert_eq!(f.read(WINDOW_LEN - 4, &mut b), Err(NvmcError::OutOfBounds));
    assert!(f.bus().log.is_empty());
    // Reads outside the window never reach the bus; the bootloader below the
    // window cannot be erased through the driver.
    assert_eq!(f.read(WINDOW_LEN, &mut b[..1]), Err(NvmcError::OutOfBounds));
}

#[test]
fn a_controller_that_stays_busy_times_out() {
    let mut f = nrf51(0).with_ready_polls(100);
    f.bus().stuck = true;
    assert_eq!(f.erase(0, 1024), Err(NvmcError::Timeout));
    assert_eq!(f.write(0, &[0; 4]), Err(NvmcError::Timeout));
    // Nothing was started against a busy controller.
    assert!(f.bus().flash.iter().all(|b| *b == 0xFF));
    assert!(f.bus().log.iter().all(|(r, _)| *r != regs::ERASEPAGE));
}

#[test]
fn slow_controller_is_waited_for() {
    let mut f = nrf52(1000).with_ready_polls(1001);
    f.erase(0, 4096).unwrap();
    f.write(0, &[1, 2, 3, 4]).unwrap();
    assert!(f.bus().misuse.is_empty(), "{:?}", f.bus().misuse);
    let mut f = nrf52(1000).with_ready_polls(999);
    assert_eq!(f.erase(0, 4096), Err(NvmcError::Timeout));
}

#[test]
fn failed_program_and_erase_are_reported() {
    let mut f = nrf51(0);
    f.bus().drop_stores = true;
    assert_eq!(
        f.write(16, &[0, 0, 0, 0]),
        Err(NvmcError::ProgramFailed { offset: 16 })
    );
    assert_eq!(f.bus().config, regs::CONFIG_REN);

    /// A controller that ignores ERASEPAGE.
    struct NoErase(Model<1024>);
    impl NvmcBus for NoErase {
        fn read_reg(&mut self, o: u32) -> u32 {
            self.0.read_reg(o)
        }
        fn write_reg(&mut self, o: u32, v: u32) {
            if o != regs::ERASEPAGE {
                self.0.write_reg(o, v)
            }
        }
        fn read_flash(&mut self, a: u32, b: &mut [u8]) {
            self.0.read_flash(a, b)
        }
        fn write_flash_word(&mut self, a: u32, w: u32) {
            self.0.write_flash_word(a, w)
        }
    }
    let mut f = Nrf51Nvmc::new(NoErase(Model::new(0)), WINDOW, WINDOW_LEN).unwrap();
    f.write(0x404, &[0; 4]).unwrap();
    // Page 0 was blank already; page 1 still holds the programmed word.
    assert_eq!(
        f.erase(0, 0x800),
        Err(NvmcError::EraseFailed { offset: 0x400 })
    );
}

#[test]
fn errors_display() {
    assert_eq!(
        std::format!("{}", NvmcError::WouldSetBits { offset: 0x10 }),
        "program at 0x10 would set bits (erase first)"
    );
    assert_eq!(NvmcError::NotAligned.kind(), NorFlashErrorKind::NotAligned);
    assert_eq!(NvmcError::Timeout.kind(), NorFlashErrorKind::Other);
}

mod swap {
    //! The swap state machine over this driver and the register model, with
    //! the nrf52840-dk layout (wolfBoot's nrf52840.config): 4 KiB pages,
    //! BOOT 0x20000 and UPDATE 0x60000 of 256 KiB, SWAP 0xE0000.
    use super::*;
    use wolfboot_hal_flash::{Device, Partition, PartitionSet};
    use wolfboot_swap_state_machine::testing::{install_and_roll_back, synthetic_image};

    /// `data` programmed at `at`, its last word padded with erased bytes.
    fn program(f: &mut Nrf52Nvmc<Model<4096>>, at: u32, data: &[u8]) {
        let mut padded = data.to_vec();
        padded.resize(data.len().div_ceil(4) * 4, 0xFF);
        f.write(at, &padded).unwrap();
    }

    #[test]
    fn update_and_rollback_on_4k_pages() {
        let base = 0x2_0000;
        let layout = PartitionSet {
            boot: Partition::new(Device::Internal, 0, 0x4_0000),
            update: Partition::new(Device::Internal, 0x6_0000 - base, 0x4_0000),
            swap: Partition::new(Device::Internal, 0xE_0000 - base, 0x1000),
            sector_size: 0x1000,
        };
        let v1 = synthetic_image(1, 60 * 1024 + 123, 256);
        let v2 = synthetic_image(2, 45 * 1024 + 7, 256);
        let mut f = Nrf52Nvmc::new(Model::<4096>::new(2), base, 0x10_0000 - base).unwrap();
        program(&mut f, 0, &v1);
        program(&mut f, 0x4_0000, &v2);
        let mut f = install_and_roll_back(f, layout, 256, &v1, &v2);
        let m = f.bus();
        assert!(m.misuse.is_empty(), "{:?}", m.misuse);
        assert_eq!(m.config, regs::CONFIG_REN);
        // The bootloader's 128 KiB below the window were never written.
        assert!(m.flash[..base as usize].iter().all(|b| *b == 0xFF));
        assert!(m
            .log
            .iter()
            .all(|(r, v)| *r != regs::ERASEPAGE || *v >= base));
    }
}
