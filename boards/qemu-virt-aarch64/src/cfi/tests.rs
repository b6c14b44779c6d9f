//! The driver against a simulated bank of two x16 Intel-command-set chips
//! on a 32-bit bus (QEMU virt's arrangement), small enough to look at.

use super::*;
use std::vec;
use std::vec::Vec;

/// Per chip: 4 blocks of 256 bytes, a 16-byte write buffer.
const CHIP_BLOCK: u32 = 256;
const CHIP_BLOCKS: u32 = 4;
const BANK_BLOCK: u32 = 2 * CHIP_BLOCK;
const BANK_SIZE: u32 = 2 * CHIP_BLOCK * CHIP_BLOCKS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Erase(u32),
    Word(u32),
    Buffer(u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Array,
    Status,
    Query,
    Erase,
    Word,
    BufferCount(u32),
    BufferData {
        start: u32,
        left: u32,
        words: Vec<(u32, u32)>,
    },
    BufferConfirm {
        start: u32,
        words: Vec<(u32, u32)>,
    },
}

/// Two chips, modelled as one: every command must reach both lanes alike.
struct SimBank {
    mem: Vec<u8>,
    mode: Mode,
    sr: u8,
    /// Status reads that still report busy after an operation starts.
    busy_per_op: u32,
    busy: u32,
    /// Never becomes ready again.
    stuck: bool,
    /// Error bits the next operation ends with.
    fail: u8,
    /// Programs are accepted but do not change the array.
    deaf: bool,
    locked: Vec<bool>,
    query: [u8; 0x40],
    log: Vec<Event>,
}

impl SimBank {
    fn new() -> Self {
        let mut query = [0u8; 0x40];
        query[0x10..0x13].copy_from_slice(b"QRY");
        query[0x13] = 0x01; // Intel/Sharp extended command set
        query[0x1F] = 7; // word program typ. 128 µs
        query[0x20] = 8; // buffer program typ. 256 µs
        query[0x21] = 10; // block erase typ. 1024 ms
        query[0x23] = 4;
        query[0x24] = 4;
        query[0x25] = 4;
        query[0x27] = 10; // 1 KiB per chip
        query[0x2A] = 4; // 16-byte buffer per chip
        query[0x2C] = 1;
        query[0x2D] = (CHIP_BLOCKS - 1) as u8;
        query[0x2F] = (CHIP_BLOCK / 256) as u8;
        SimBank {
            mem: vec![0xFF; BANK_SIZE as usize],
            mode: Mode::Array,
            sr: status::READY,
            busy_per_op: 2,
            busy: 0,
            stuck: false,
            fail: 0,
            deaf: false,
            locked: vec![false; CHIP_BLOCKS as usize],
            query,
            log: Vec::new(),
        }
    }

    fn word(&self, offset: u32) -> u32 {
        let o = offset as usize;
        u32::from_le_bytes(self.mem[o..o + 4].try_into().unwrap())
    }

    /// NOR programming: bits can only go from 1 to 0.
    fn program_word(&mut self, offset: u32, value: u32) {
        if self.deaf {
            return;
        }
        let v = self.word(offset) & value;
        let o = offset as usize;
        self.mem[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// End an operation: errors, or `apply` it.
    fn finish(&mut self, offset: u32, error: u8, apply: impl FnOnce(&mut Self)) {
        let locked = self.locked[(offset / BANK_BLOCK) as usize];
        self.sr = status::READY | self.fail;
        if locked {
            self.sr |= status::LOCKED | error;
        }
        if self.fail == 0 && !locked {
            apply(self);
        }
        self.fail = 0;
        self.busy = self.busy_per_op;
        self.mode = Mode::Status;
    }

    fn sequence_error(&mut self) {
        self.sr = status::READY | status::ERASE_ERROR | status::PROGRAM_ERROR;
        self.mode = Mode::Status;
    }
}

fn both_lanes(v: u32) -> u32 {
    assert_eq!(v >> 16, v & 0xFFFF, "lanes differ: {v:#010x}");
    v & 0xFFFF
}

impl Bus for SimBank {
    fn read(&mut self, offset: u32) -> u32 {
        assert!(offset.is_multiple_of(4) && offset < BANK_SIZE);
        match self.mode {
            Mode::Array => self.word(offset),
            Mode::Query => {
                u32::from(*self.query.get((offset / 4) as usize).unwrap_or(&0)) * 0x0001_0001
            }
            Mode::BufferCount(_) => u32::from(status::READY) * 0x0001_0001,
            _ => {
                if self.stuck {
                    return 0;
                }
                if self.busy > 0 {
                    self.busy -= 1;
                    return 0;
                }
                u32::from(self.sr) * 0x0001_0001
            }
        }
    }

    fn write(&mut self, offset: u32, value: u32) {
        assert!(offset.is_multiple_of(4) && offset < BANK_SIZE);
        match std::mem::replace(&mut self.mode, Mode::Array) {
            Mode::Erase => {
                if both_lanes(value) as u8 == cmd::CONFIRM {
                    let block = offset / BANK_BLOCK * BANK_BLOCK;
                    self.log.push(Event::Erase(block));
                    self.finish(offset, status::ERASE_ERROR, |s| {
                        s.mem[block as usize..(block + BANK_BLOCK) as usize].fill(0xFF)
                    });
                } else {
                    self.sequence_error();
                }
            }
            Mode::Word => {
                self.log.push(Event::Word(offset));
                self.finish(offset, status::PROGRAM_ERROR, |s| {
                    s.program_word(offset, value)
                });
            }
            Mode::BufferCount(start) => {
                let left = both_lanes(value) + 1;
                self.mode = Mode::BufferData {
                    start,
                    left,
                    words: Vec::new(),
                };
            }
            Mode::BufferData {
                start,
                left,
                mut words,
            } => {
                words.push((offset, value));
                self.mode = if left == 1 {
                    Mode::BufferConfirm { start, words }
                } else {
                    Mode::BufferData {
                        start,
                        left: left - 1,
                        words,
                    }
                };
            }
            Mode::BufferConfirm { start, words } => {
                // The buffer must lie in one buffer window of 16 bytes per chip.
                let window = 32;
                let inside = words
                    .iter()
                    .all(|(a, _)| a / window == start / window && *a >= start);
                if both_lanes(value) as u8 == cmd::CONFIRM && inside {
                    self.log.push(Event::Buffer(start, words.len() as u32));
                    self.finish(start, status::PROGRAM_ERROR, |s| {
                        for (a, v) in words {
                            s.program_word(a, v);
                        }
                    });
                } else {
                    self.sequence_error();
                }
            }
            Mode::Array | Mode::Status | Mode::Query => {
                let c = both_lanes(value) as u8;
                self.mode = match c {
                    cmd::READ_ARRAY => Mode::Array,
                    cmd::CLEAR_STATUS => {
                        self.sr = status::READY;
                        Mode::Array
                    }
                    0x70 => Mode::Status,
                    cmd::CFI_QUERY => Mode::Query,
                    cmd::BLOCK_ERASE => Mode::Erase,
                    cmd::WORD_PROGRAM => Mode::Word,
                    cmd::BUFFERED_PROGRAM => Mode::BufferCount(offset),
                    other => panic!("unexpected command {other:#04x}"),
                };
            }
        }
    }
}

/// One tick per reading, a microsecond each.
struct Ticks(u64);

impl Clock for Ticks {
    fn ticks(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
    fn ticks_per_second(&self) -> u64 {
        1_000_000
    }
}

/// Counts operations and cuts at one of them.
#[derive(Default)]
struct Cutter {
    ops: Vec<Operation>,
    at: Option<(usize, Cut)>,
    cuts: usize,
}

impl Monitor for Cutter {
    fn before(&mut self, op: Operation) -> Cut {
        self.ops.push(op);
        match self.at {
            Some((n, cut)) if n == self.ops.len() => cut,
            _ => Cut::No,
        }
    }
    fn cut(&mut self, _op: Operation) {
        self.cuts += 1;
    }
}

type Sim = CfiFlash<SimBank, Ticks, Cutter>;

fn flash_over(bank: SimBank) -> Sim {
    CfiFlash::probe(bank, Ticks(0), Cutter::default()).unwrap()
}

fn flash() -> Sim {
    flash_over(SimBank::new())
}

fn contents(f: &mut Sim) -> Vec<u8> {
    let mut v = vec![0; BANK_SIZE as usize];
    f.read(0, &mut v).unwrap();
    v
}

#[test]
fn probe_reads_the_query_table() {
    let mut f = flash();
    assert_eq!(
        *f.info(),
        CfiInfo {
            interleave: 2,
            command_set: 1,
            size: BANK_SIZE,
            block_size: BANK_BLOCK,
            blocks: CHIP_BLOCKS,
            buffer_size: 32,
            word_timeout_us: 128 * 16,
            buffer_timeout_us: 256 * 16,
            erase_timeout_us: 1024 * 16 * 1000,
        }
    );
    assert_eq!(
        f.geometry(),
        Geometry {
            capacity: BANK_SIZE,
            erase_size: BANK_BLOCK,
            write_size: 4,
            erased_byte: 0xFF,
        }
    );
    // Left in read-array mode.
    assert_eq!(f.bus().mode, Mode::Array);
}

#[test]
fn qemu_virt_query_table() {
    // What QEMU 7.2's virt machine answers for flash bank 1 (two x16 chips
    // on a 32-bit bus), read with this driver's probe.
    let mut t = [0u8; 0x40];
    t[0x10..0x13].copy_from_slice(b"QRY");
    t[0x13] = 0x01;
    t[0x1F] = 0x07;
    t[0x20] = 0x07;
    t[0x21] = 0x0A;
    t[0x23] = 0x04;
    t[0x24] = 0x04;
    t[0x25] = 0x04;
    t[0x27] = 0x19;
    t[0x2A] = 0x0B;
    t[0x2C] = 0x01;
    t[0x2D] = 0xFF;
    t[0x30] = 0x02;
    let info = CfiInfo::parse(2, |i| t[i as usize]).unwrap();
    assert_eq!(info.size, 64 << 20);
    assert_eq!(info.block_size, 256 << 10);
    assert_eq!(info.blocks, 256);
    assert_eq!(info.buffer_size, 4096);
    assert_eq!(info.word_timeout_us, 2048);
    assert_eq!(info.erase_timeout_us, 16_384_000);
}

#[test]
fn probe_refuses_what_it_cannot_drive() {
    let mut bank = SimBank::new();
    bank.query[0x11] = b'X';
    assert_eq!(
        CfiFlash::probe(bank, Ticks(0), NoMonitor).err(),
        Some(CfiError::NotCfi)
    );
    let mut bank = SimBank::new();
    bank.query[0x13] = 0x02; // AMD/Fujitsu
    assert_eq!(
        CfiFlash::probe(bank, Ticks(0), NoMonitor).err(),
        Some(CfiError::UnsupportedCommandSet(2))
    );
    let mut bank = SimBank::new();
    bank.query[0x2C] = 2; // boot-block part: two regions
    assert_eq!(
        CfiFlash::probe(bank, Ticks(0), NoMonitor).err(),
        Some(CfiError::UnsupportedGeometry)
    );
    let mut bank = SimBank::new();
    bank.query[0x2D] = 2; // 3 blocks do not make the device size
    assert_eq!(
        CfiFlash::probe(bank, Ticks(0), NoMonitor).err(),
        Some(CfiError::UnsupportedGeometry)
    );
}

#[test]
fn erase_sets_one_block_to_ff() {
    let mut bank = SimBank::new();
    bank.mem.fill(0);
    let mut f = flash_over(bank);
    f.erase(BANK_BLOCK, 2 * BANK_BLOCK).unwrap();
    let c = contents(&mut f);
    let b = BANK_BLOCK as usize;
    assert!(c[..b].iter().all(|x| *x == 0));
    assert!(c[b..2 * b].iter().all(|x| *x == 0xFF));
    assert!(c[2 * b..].iter().all(|x| *x == 0));
    assert_eq!(f.bus().log, [Event::Erase(BANK_BLOCK)]);
    assert_eq!(f.bus().mode, Mode::Array);
    // Two blocks are two operations.
    f.erase(2 * BANK_BLOCK, 4 * BANK_BLOCK).unwrap();
    assert_eq!(f.monitor().ops.len(), 3);
    f.erase(0, 0).unwrap();
}

#[test]
fn erase_checks_alignment_and_bounds() {
    let mut f = flash();
    assert_eq!(f.erase(4, BANK_BLOCK), Err(CfiError::NotAligned));
    assert_eq!(f.erase(0, BANK_BLOCK + 4), Err(CfiError::NotAligned));
    assert_eq!(
        f.erase(0, BANK_SIZE + BANK_BLOCK),
        Err(CfiError::OutOfBounds)
    );
    assert_eq!(f.erase(BANK_BLOCK, 0), Err(CfiError::OutOfBounds));
    assert!(f.bus().log.is_empty());
}

#[test]
fn single_words_use_word_program_and_runs_use_the_buffer() {
    let mut f = flash();
    f.write(8, &[0x11, 0x22, 0x33, 0x44]).unwrap();
    assert_eq!(f.bus().log, [Event::Word(8)]);
    // 64 bytes from 16: buffer windows of 32 bytes split it in three.
    let data: Vec<u8> = (0..64).collect();
    f.write(16, &data).unwrap();
    assert_eq!(
        f.bus().log[1..],
        [
            Event::Buffer(16, 4),
            Event::Buffer(32, 8),
            Event::Buffer(64, 4)
        ]
    );
    let c = contents(&mut f);
    assert_eq!(c[8..12], [0x11, 0x22, 0x33, 0x44]);
    assert_eq!(c[16..80], data[..]);
    assert!(c[80..].iter().all(|x| *x == 0xFF));
}

#[test]
fn words_already_in_place_are_not_programmed() {
    let mut f = flash();
    f.write(0, &[0xFF; 64]).unwrap();
    assert!(f.bus().log.is_empty());
    // One word to change among erased ones: a word program.
    let mut data = [0xFF; 32];
    data[12] = 0x7F;
    f.write(32, &data).unwrap();
    assert_eq!(f.bus().log, [Event::Word(44)]);
    // The same data again: nothing to do.
    f.write(32, &data).unwrap();
    assert_eq!(f.bus().log.len(), 1);
    // A span with an unchanged word in the middle: one buffer over it.
    let mut data = [0xFF; 16];
    data[0] = 0;
    data[12] = 0;
    f.write(64, &data).unwrap();
    assert_eq!(f.bus().log[1..], [Event::Buffer(64, 4)]);
    assert_eq!(f.monitor().ops.len(), 4);
}

#[test]
fn programs_may_only_clear_bits() {
    let mut f = flash();
    f.write(0, &[0xF0, 0xF0, 0xF0, 0xF0]).unwrap();
    // Clearing more bits of a programmed word is fine (trailer updates).
    f.write(0, &[0x70, 0xF0, 0x30, 0x00]).unwrap();
    let before = contents(&mut f);
    let log = f.bus().log.len();
    let ops = f.monitor().ops.len();
    // Setting one is refused before anything reaches the chip.
    assert_eq!(
        f.write(0, &[0xF0, 0xF0, 0xF0, 0xF0, 0x00, 0x00, 0x00, 0x00]),
        Err(CfiError::WouldSetBits { offset: 0 })
    );
    assert_eq!(contents(&mut f), before);
    assert_eq!(f.bus().log.len(), log);
    assert_eq!(f.monitor().ops.len(), ops);
}

#[test]
fn program_checks_alignment_and_bounds() {
    let mut f = flash();
    assert_eq!(f.write(2, &[0; 4]), Err(CfiError::NotAligned));
    assert_eq!(f.write(0, &[0; 6]), Err(CfiError::NotAligned));
    assert_eq!(f.write(BANK_SIZE - 4, &[0; 8]), Err(CfiError::OutOfBounds));
    assert_eq!(f.write(u32::MAX - 3, &[0; 4]), Err(CfiError::OutOfBounds));
    assert_eq!(f.write(0xFFFF_FFFC, &[0; 8]), Err(CfiError::OutOfBounds));
    let mut b = [0u8; 3];
    assert_eq!(f.read(BANK_SIZE - 2, &mut b), Err(CfiError::OutOfBounds));
    assert!(f.bus().log.is_empty());
}

#[test]
fn reads_any_range() {
    let mut f = flash();
    let data: Vec<u8> = (1..=32).collect();
    f.write(0, &data).unwrap();
    let mut b = [0u8; 7];
    f.read(3, &mut b).unwrap();
    assert_eq!(b, [4, 5, 6, 7, 8, 9, 10]);
    let mut one = [0u8; 1];
    f.read(31, &mut one).unwrap();
    assert_eq!(one, [32]);
    f.read(BANK_SIZE - 1, &mut one).unwrap();
    assert_eq!(one, [0xFF]);
    f.read(BANK_SIZE, &mut []).unwrap();
}

#[test]
fn status_errors_become_typed_errors_and_the_bank_recovers() {
    let cases = [
        (status::PROGRAM_ERROR, CfiError::ProgramFailed { offset: 8 }),
        (status::VPP_LOW, CfiError::VoltageLow { offset: 8 }),
        (
            status::PROGRAM_ERROR | status::ERASE_ERROR,
            CfiError::CommandSequence { offset: 8 },
        ),
    ];
    for (bits, err) in cases {
        let mut f = flash();
        f.bus().fail = bits;
        assert_eq!(f.write(8, &[0; 4]), Err(err));
        // Status cleared, back in read-array mode, the next program works.
        assert_eq!(f.bus().mode, Mode::Array);
        assert_eq!(f.bus().sr, status::READY);
        f.write(8, &[0; 4]).unwrap();
        assert_eq!(f.bus().word(8), 0);
    }
    let mut f = flash();
    f.bus().fail = status::ERASE_ERROR;
    assert_eq!(
        f.erase(BANK_BLOCK, 2 * BANK_BLOCK),
        Err(CfiError::EraseFailed { offset: BANK_BLOCK })
    );
    assert_eq!(f.bus().mode, Mode::Array);
    // A buffered program that fails names the buffer start.
    f.bus().fail = status::PROGRAM_ERROR;
    assert_eq!(
        f.write(0, &[0; 16]),
        Err(CfiError::ProgramFailed { offset: 0 })
    );
}

#[test]
fn locked_blocks_are_reported() {
    let mut bank = SimBank::new();
    bank.locked[1] = true;
    let mut f = flash_over(bank);
    assert_eq!(
        f.erase(BANK_BLOCK, 2 * BANK_BLOCK),
        Err(CfiError::Locked { offset: BANK_BLOCK })
    );
    assert_eq!(
        f.write(BANK_BLOCK, &[0; 4]),
        Err(CfiError::Locked { offset: BANK_BLOCK })
    );
    assert_eq!(f.bus().word(BANK_BLOCK), u32::MAX);
    f.write(0, &[0; 4]).unwrap();
}

#[test]
fn busy_chips_are_waited_for_and_stuck_ones_time_out() {
    let mut bank = SimBank::new();
    bank.busy_per_op = 500; // 500 polls, well inside the 2 ms budget
    let mut f = flash_over(bank);
    f.write(0, &[0; 4]).unwrap();
    f.bus().stuck = true;
    let start = f.clock.0;
    assert_eq!(f.write(4, &[0; 4]), Err(CfiError::Timeout { offset: 4 }));
    // Gave up after the CFI maximum word program time (2048 µs), not before.
    let waited = f.clock.0 - start;
    assert!((2048..2048 + 16).contains(&waited), "{waited}");
    let start = f.clock.0;
    assert_eq!(f.erase(0, BANK_BLOCK), Err(CfiError::Timeout { offset: 0 }));
    assert!(f.clock.0 - start > 16_384_000);
}

#[test]
fn a_program_that_does_not_stick_is_caught() {
    let mut bank = SimBank::new();
    bank.deaf = true;
    let mut f = flash_over(bank);
    assert_eq!(
        f.write(4, &[1, 2, 3, 4]),
        Err(CfiError::VerifyFailed { offset: 4 })
    );
    assert_eq!(
        f.write(32, &[0; 8]),
        Err(CfiError::VerifyFailed { offset: 32 })
    );
}

#[test]
fn power_cut_before_an_operation_changes_nothing() {
    let mut f = flash();
    f.monitor().at = Some((2, Cut::Before));
    f.write(0, &[0; 8]).unwrap();
    let before = contents(&mut f);
    assert_eq!(f.write(8, &[0; 8]), Err(CfiError::PowerCut));
    assert_eq!(contents(&mut f), before);
    assert_eq!(f.monitor().cuts, 1);
}

#[test]
fn power_cut_midway_programs_the_first_half() {
    let mut f = flash();
    f.monitor().at = Some((1, Cut::Midway));
    assert_eq!(f.write(0, &[0; 16]), Err(CfiError::PowerCut));
    let c = contents(&mut f);
    assert_eq!(c[..8], [0; 8]);
    assert!(c[8..].iter().all(|x| *x == 0xFF));
    assert_eq!(f.monitor().cuts, 1);
    // An erase cut midway was started but not waited for.
    let mut f = flash();
    f.monitor().at = Some((2, Cut::Midway));
    assert_eq!(f.erase(0, 2 * BANK_BLOCK), Err(CfiError::PowerCut));
    assert_eq!(f.bus().log, [Event::Erase(0), Event::Erase(BANK_BLOCK)]);
    assert_eq!(f.bus().mode, Mode::Status);
    assert_eq!(f.monitor().cuts, 1);
}

#[test]
fn the_bank_is_an_embedded_storage_nor_flash_of_its_block_size() {
    use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
    const B: usize = BANK_BLOCK as usize;
    assert_eq!(
        flash().into_nor_flash::<{ 2 * B }>().err(),
        Some(CfiError::UnsupportedGeometry)
    );
    let mut nor = flash().into_nor_flash::<B>().unwrap();
    assert_eq!(ReadNorFlash::capacity(&nor), BANK_SIZE as usize);
    // Code that knows only embedded-storage drives the CFI state machine.
    fn store<N: NorFlash>(n: &mut N, at: u32, data: &[u8]) -> Result<(), N::Error> {
        n.erase(at, at + N::ERASE_SIZE as u32)?;
        n.write(at, data)
    }
    store(&mut nor, BANK_BLOCK, b"wolfboot").unwrap();
    assert_eq!(
        NorFlash::write(&mut nor, 2, b"odd!"),
        Err(CfiError::NotAligned)
    );
    let mut back = [0u8; 8];
    ReadNorFlash::read(&mut nor, BANK_BLOCK, &mut back).unwrap();
    assert_eq!(&back, b"wolfboot");
    let mut f = nor.into_inner();
    assert_eq!(f.bus().mode, Mode::Array);
    assert_eq!(&contents(&mut f)[BANK_BLOCK as usize..][..8], b"wolfboot");
}
