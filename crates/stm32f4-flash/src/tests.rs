//! The driver against a register-level model of the STM32F4 FLASH interface.
extern crate std;

use std::vec;
use std::vec::Vec;

use super::*;
use regs::*;

/// What the model saw that the silicon would refuse or that RM0090 forbids.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Misuse {
    /// CR written while LOCK was set (ignored).
    CrWhileLocked(u32),
    /// CR or a flash store while BSY.
    Busy(&'static str),
    /// A store into the array without CR.PG (PGSERR on the chip).
    StoreWithoutPg(u32),
    /// A wrong key sequence (locks KEYR until reset on the chip).
    BadKey(u32),
}

/// Register-level model: KEYR unlock sequence, CR with LOCK, SR flags
/// (write 1 to clear) and BSY for `busy_polls` reads after each start, SER +
/// SNB + STRT erase, PG + PSIZE word programs that can only clear bits,
/// write-protected sectors (WRPERR), ACR data cache (holds stale contents
/// of erased sectors until reset).
struct Model {
    flash: Vec<u8>,
    cr: u32,
    sr: u32,
    acr: u32,
    key_step: u8,
    keys_dead: bool,
    busy_polls: u32,
    busy_left: u32,
    stuck: bool,
    protected: Vec<u8>,
    /// Sectors erased while the data cache was enabled and not reset since.
    stale: Vec<u8>,
    misuse: Vec<Misuse>,
    log: Vec<(u32, u32)>,
    erases: Vec<u8>,
}

impl Model {
    fn new(busy_polls: u32) -> Self {
        Model {
            flash: vec![0xFF; FLASH_LEN as usize],
            cr: CR_LOCK,
            sr: 0,
            acr: 0,
            key_step: 0,
            keys_dead: false,
            busy_polls,
            busy_left: 0,
            stuck: false,
            protected: Vec::new(),
            stale: Vec::new(),
            misuse: Vec::new(),
            log: Vec::new(),
            erases: Vec::new(),
        }
    }

    fn busy(&self) -> bool {
        self.stuck || self.busy_left > 0
    }

    fn start(&mut self) {
        self.busy_left = self.busy_polls;
        self.sr |= SR_EOP;
    }

    fn psize_ok(&mut self) -> bool {
        if self.cr & CR_PSIZE_MASK != CR_PSIZE_X32 {
            self.sr |= SR_PGPERR;
            return false;
        }
        true
    }
}

impl FlashRegs for Model {
    fn read(&mut self, offset: u32) -> u32 {
        match offset {
            SR => {
                let mut v = self.sr;
                if self.busy() {
                    v |= SR_BSY;
                    self.busy_left = self.busy_left.saturating_sub(1);
                }
                v
            }
            CR => self.cr,
            ACR => self.acr,
            _ => panic!("read of register {offset:#x}"),
        }
    }

    fn write(&mut self, offset: u32, value: u32) {
        self.log.push((offset, value));
        match offset {
            KEYR => {
                let expect = if self.key_step == 0 { KEY1 } else { KEY2 };
                if self.keys_dead || value != expect {
                    self.keys_dead = true;
                    self.misuse.push(Misuse::BadKey(value));
                } else if self.key_step == 0 {
                    self.key_step = 1;
                } else {
                    self.key_step = 0;
                    self.cr &= !CR_LOCK;
                }
            }
            SR => self.sr &= !(value & (SR_ERRORS | SR_EOP)),
            ACR => {
                if value & ACR_DCRST != 0 && value & ACR_DCEN == 0 {
                    self.stale.clear();
                }
                self.acr = value & !ACR_DCRST;
            }
            CR => {
                if self.busy() {
                    self.misuse.push(Misuse::Busy("CR write"));
                    return;
                }
                if self.cr & CR_LOCK != 0 {
                    self.misuse.push(Misuse::CrWhileLocked(value));
                    return;
                }
                self.cr = value & !CR_STRT;
                if value & CR_STRT != 0 && value & CR_SER != 0 && self.psize_ok() {
                    let snb = ((value >> CR_SNB_SHIFT) & CR_SNB_MASK) as u8;
                    let s = SECTORS[snb as usize];
                    if self.protected.contains(&snb) {
                        self.sr |= SR_WRPERR;
                        return;
                    }
                    self.flash[s.offset as usize..(s.offset + s.size) as usize].fill(0xFF);
                    self.erases.push(snb);
                    if self.acr & ACR_DCEN != 0 {
                        self.stale.push(snb);
                    }
                    self.start();
                }
            }
            _ => panic!("write of register {offset:#x}"),
        }
    }

    fn read_flash(&mut self, address: u32, buf: &mut [u8]) {
        let o = (address - FLASH_START) as usize;
        let s = sector_at(address).unwrap().number;
        if self.stale.contains(&s) {
            // The data cache still answers with pre-erase contents.
            buf.fill(0x00);
            return;
        }
        buf.copy_from_slice(&self.flash[o..o + buf.len()]);
    }

    fn write_flash_word(&mut self, address: u32, word: u32) {
        if self.busy() {
            self.misuse.push(Misuse::Busy("flash store"));
            return;
        }
        if self.cr & CR_PG == 0 {
            self.misuse.push(Misuse::StoreWithoutPg(address));
            self.sr |= SR_PGSERR;
            return;
        }
        if !address.is_multiple_of(4) {
            self.sr |= SR_PGAERR;
            return;
        }
        if !self.psize_ok() {
            return;
        }
        let snb = sector_at(address).unwrap().number;
        if self.protected.contains(&snb) {
            self.sr |= SR_WRPERR;
            return;
        }
        let o = (address - FLASH_START) as usize;
        let old = u32::from_le_bytes(self.flash[o..o + 4].try_into().unwrap());
        self.flash[o..o + 4].copy_from_slice(&(old & word).to_le_bytes());
        self.start();
    }
}

const BOOT: u32 = FLASH_START + 0x2_0000;
const WINDOW: u32 = 7 * SECTOR_SIZE;

fn driver(busy: u32) -> Stm32f4Flash<Model> {
    Stm32f4Flash::new(Model::new(busy), BOOT, WINDOW).unwrap()
}

#[test]
fn sector_map() {
    assert_eq!(sector_at(FLASH_START).unwrap().number, 0);
    assert_eq!(sector_at(FLASH_START + 0x3FFF).unwrap().number, 0);
    assert_eq!(sector_at(FLASH_START + 0x4000).unwrap().number, 1);
    assert_eq!(
        sector_at(FLASH_START + 0x1_0000).unwrap(),
        sector(4, 0x1_0000, 0x1_0000)
    );
    assert_eq!(
        sector_at(FLASH_START + 0x2_0000).unwrap(),
        sector(5, 0x2_0000, 0x2_0000)
    );
    assert_eq!(sector_at(FLASH_START + 0xF_FFFF).unwrap().number, 11);
    assert_eq!(sector_at(FLASH_START + 0x10_0000), None);
    assert_eq!(sector_at(0x0000_1000), None);
    let total: u32 = SECTORS.iter().map(|s| s.size).sum();
    assert_eq!(total, FLASH_LEN);
    for w in SECTORS.windows(2) {
        assert_eq!(w[0].offset + w[0].size, w[1].offset);
    }
}

#[test]
fn window_must_be_whole_128k_sectors() {
    use wolfboot_hal_flash::Flash as _;
    let ok = |base, len| Stm32f4Flash::new(Model::new(0), base, len).is_some();
    assert!(ok(BOOT, WINDOW));
    assert!(ok(FLASH_START + 0x6_0000, SECTOR_SIZE));
    assert!(!ok(FLASH_START, 0x2_0000), "the small sectors 0-4");
    assert!(
        !ok(FLASH_START + 0x1_0000, 0x3_0000),
        "64 KiB sector 4 included"
    );
    assert!(!ok(BOOT + 0x1000, SECTOR_SIZE), "not on a sector start");
    assert!(!ok(BOOT, SECTOR_SIZE + 0x1000), "not on a sector end");
    assert!(!ok(BOOT, WINDOW + SECTOR_SIZE), "past the array");
    assert!(!ok(BOOT, 0));
    let g = driver(0).geometry();
    assert_eq!(
        (g.capacity, g.erase_size, g.write_size),
        (WINDOW, 0x2_0000, 4)
    );
}

#[test]
fn erase_register_sequence() {
    let mut f = driver(5);
    f.regs().flash[0x2_0000..0x6_0000].fill(0);
    f.erase(SECTOR_SIZE, 2 * SECTOR_SIZE).unwrap();
    let m = f.regs();
    assert!(m.misuse.is_empty(), "{:?}", m.misuse);
    let cr6 = CR_PSIZE_X32 | CR_SER | (6 << CR_SNB_SHIFT);
    assert_eq!(
        m.log,
        vec![
            (KEYR, KEY1),
            (KEYR, KEY2),
            (SR, SR_ERRORS | SR_EOP),
            (CR, cr6),
            (CR, cr6 | CR_STRT),
            (CR, 0),
            (CR, CR_LOCK),
        ]
    );
    assert_eq!(m.erases, vec![6]);
    assert!(
        m.flash[0x2_0000..0x4_0000].iter().all(|b| *b == 0),
        "sector 5 kept"
    );
    assert!(m.flash[0x4_0000..0x6_0000].iter().all(|b| *b == 0xFF));
    assert_eq!(m.cr, CR_LOCK, "locked again");
}

#[test]
fn every_window_sector_gets_its_number() {
    let mut f = driver(0);
    f.erase(0, WINDOW).unwrap();
    assert_eq!(f.regs().erases, vec![5, 6, 7, 8, 9, 10, 11]);
    assert!(f.regs().misuse.is_empty());
}

#[test]
fn program_sequence_and_nor_rules() {
    let mut f = driver(3);
    f.write(
        0x100,
        &[0x12, 0x34, 0x56, 0x78, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0],
    )
    .unwrap();
    let m = f.regs();
    assert!(m.misuse.is_empty(), "{:?}", m.misuse);
    assert_eq!(
        &m.flash[0x2_0100..0x2_010C],
        &[0x12, 0x34, 0x56, 0x78, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
    );
    assert_eq!(
        m.log,
        vec![
            (KEYR, KEY1),
            (KEYR, KEY2),
            (SR, SR_ERRORS | SR_EOP),
            (CR, CR_PSIZE_X32 | CR_PG),
            (CR, 0),
            (CR, CR_LOCK),
        ]
    );
    // More bits cleared: fine. A bit raised: refused, nothing touched.
    f.write(0x100, &[0x02, 0x30, 0x50, 0x70]).unwrap();
    let before = f.regs().flash.clone();
    let log = f.regs().log.len();
    assert_eq!(
        f.write(0x100, &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
        Err(FlashError::WouldSetBits { offset: 0x108 })
    );
    assert_eq!(f.regs().flash, before);
    assert_eq!(f.regs().log.len(), log);
}

#[test]
fn alignment_and_bounds() {
    let mut f = driver(0);
    assert_eq!(f.write(2, &[0; 4]), Err(FlashError::NotAligned));
    assert_eq!(f.write(0, &[0; 6]), Err(FlashError::NotAligned));
    assert_eq!(f.write(WINDOW - 4, &[0; 8]), Err(FlashError::OutOfBounds));
    assert_eq!(f.erase(0, 0x1000), Err(FlashError::NotAligned));
    assert_eq!(f.erase(SECTOR_SIZE, 0), Err(FlashError::OutOfBounds));
    assert_eq!(
        f.erase(0, WINDOW + SECTOR_SIZE),
        Err(FlashError::OutOfBounds)
    );
    let mut b = [0u8; 4];
    assert_eq!(f.read(WINDOW, &mut b), Err(FlashError::OutOfBounds));
    assert!(f.regs().log.is_empty());
}

#[test]
fn controller_errors_are_reported_and_the_flash_locked() {
    let mut f = driver(0);
    f.regs().protected.push(7);
    assert_eq!(
        f.erase(2 * SECTOR_SIZE, 3 * SECTOR_SIZE),
        Err(FlashError::Controller { flags: SR_WRPERR })
    );
    assert_eq!(f.regs().cr, CR_LOCK);
    assert_eq!(
        f.write(2 * SECTOR_SIZE, &[0; 4]),
        Err(FlashError::Controller { flags: SR_WRPERR })
    );
    assert_eq!(f.regs().cr, CR_LOCK);
    // The flags of the last operation are cleared before the next one.
    f.write(0, &[0; 4]).unwrap();
    assert!(f.regs().misuse.is_empty(), "{:?}", f.regs().misuse);
}

#[test]
fn refused_keys_give_locked() {
    let mut f = driver(0);
    f.regs().keys_dead = true;
    assert_eq!(f.erase(0, SECTOR_SIZE), Err(FlashError::Locked));
    assert_eq!(f.write(0, &[0; 4]), Err(FlashError::Locked));
    assert!(f.regs().erases.is_empty());
    assert!(f.regs().flash[0x2_0000..0x2_0004]
        .iter()
        .all(|b| *b == 0xFF));
}

#[test]
fn busy_waits_are_bounded() {
    let mut f = driver(0).with_busy_polls(50);
    f.regs().stuck = true;
    assert_eq!(f.erase(0, SECTOR_SIZE), Err(FlashError::Timeout));
    assert!(
        f.regs().log.is_empty(),
        "nothing started on a busy controller"
    );
    let mut f = driver(40).with_busy_polls(41);
    f.erase(0, SECTOR_SIZE).unwrap();
    f.write(0, &[1, 2, 3, 4]).unwrap();
    assert!(f.regs().misuse.is_empty(), "{:?}", f.regs().misuse);
    let mut f = driver(40).with_busy_polls(39);
    assert_eq!(f.erase(0, SECTOR_SIZE), Err(FlashError::Timeout));
}

#[test]
fn data_cache_is_reset_after_an_erase() {
    let mut f = driver(0);
    f.regs().acr = ACR_DCEN | 5;
    f.write(0, &[0; 4]).unwrap();
    f.erase(0, SECTOR_SIZE).unwrap();
    let m = f.regs();
    assert!(m.stale.is_empty());
    assert_eq!(m.acr, ACR_DCEN | 5, "cache enabled again, latency kept");
    let acr_writes: Vec<u32> = m
        .log
        .iter()
        .filter(|(r, _)| *r == ACR)
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(acr_writes, vec![5, 5 | ACR_DCRST, ACR_DCEN | 5]);

    // Without the flush, the model's cache would show the old contents.
    let mut m = Model::new(0);
    m.acr = ACR_DCEN;
    m.cr = 0;
    m.write(CR, CR_PSIZE_X32 | CR_SER | (5 << CR_SNB_SHIFT) | CR_STRT);
    let mut b = [0xAAu8; 4];
    m.read_flash(BOOT, &mut b);
    assert_eq!(b, [0; 4]);
}

#[test]
fn failed_program_is_reported() {
    let mut f = driver(0);
    f.regs().protected.push(5);
    // WRPERR is reported before the read-back.
    assert!(matches!(
        f.write(0, &[0; 4]),
        Err(FlashError::Controller { .. })
    ));
    assert_eq!(
        std::format!("{}", FlashError::Controller { flags: SR_WRPERR }),
        "FLASH error flags 0x10"
    );
    assert_eq!(FlashError::Timeout.kind(), NorFlashErrorKind::Other);
}

mod swap {
    //! The swap state machine over this driver and the register model, with
    //! the stm32f407-disco layout: 128 KiB sectors, three-sector BOOT and
    //! UPDATE, one-sector SWAP, 512-byte headers.
    use super::*;
    use wolfboot_hal_flash::{Device, Partition, PartitionSet};
    use wolfboot_swap_state_machine::testing::{install_and_roll_back, synthetic_image};

    #[test]
    fn update_and_rollback_on_128k_sectors() {
        let layout = PartitionSet {
            boot: Partition::new(Device::Internal, 0, 3 * SECTOR_SIZE),
            update: Partition::new(Device::Internal, 3 * SECTOR_SIZE, 3 * SECTOR_SIZE),
            swap: Partition::new(Device::Internal, 6 * SECTOR_SIZE, SECTOR_SIZE),
            sector_size: SECTOR_SIZE,
        };
        // v1 spans two sectors, v2 a bit less: the swap moves both.
        let v1 = synthetic_image(1, 200 * 1024, 512);
        let v2 = synthetic_image(2, 150 * 1024, 512);
        let mut f = driver(2);
        f.write(0, &v1).unwrap();
        f.write(3 * SECTOR_SIZE, &v2).unwrap();
        let mut f = install_and_roll_back(f, layout, 512, &v1, &v2);
        let m = f.regs();
        assert!(m.misuse.is_empty(), "{:?}", m.misuse);
        assert_eq!(m.cr, CR_LOCK);
        // Only the window's 128 KiB sectors were ever erased, never 0-4.
        assert!(!m.erases.is_empty() && m.erases.iter().all(|s| (5..=11).contains(s)));
        assert!(m.erases.contains(&11), "SWAP used");
    }
}
