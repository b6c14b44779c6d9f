//! The driver against the command-level chip model of `chip_model.rs`.

mod chip_model;

use chip_model::{sfdp_table, Chip, ChipSpi};
use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
use wolfboot_hal_flash::{Flash, MemFlash, MemFlashConfig};
use wolfboot_spi_nor::{Config, Error, GeometrySource, ReadCommand, SpiNor};

const N25Q128_ID: [u8; 3] = [0x20, 0xBA, 0x18];
const W25Q256_ID: [u8; 3] = [0xEF, 0x40, 0x19];

fn n25q128() -> (ChipSpi, SpiNor<ChipSpi>) {
    let spi = ChipSpi::new(Chip::new(16 << 20, N25Q128_ID));
    let nor = SpiNor::probe(spi.clone(), Config::DEFAULT).unwrap();
    spi.0.borrow_mut().log.clear();
    (spi, nor)
}

fn w25q256() -> (ChipSpi, SpiNor<ChipSpi>) {
    let mut chip = Chip::new(32 << 20, W25Q256_ID);
    chip.sfdp = Some(sfdp_table(32 << 20, 0b01, 8));
    let spi = ChipSpi::new(chip);
    let nor = SpiNor::probe(spi.clone(), Config::DEFAULT).unwrap();
    spi.0.borrow_mut().log.clear();
    (spi, nor)
}

#[test]
fn probe_without_sfdp_uses_the_jedec_capacity_code() {
    let (_, nor) = n25q128();
    let i = nor.info();
    assert_eq!(i.jedec_id, N25Q128_ID);
    assert_eq!(i.capacity, 16 << 20);
    assert_eq!(
        (i.page_size, i.erase_opcode, i.address_bytes),
        (256, 0x20, 3)
    );
    assert_eq!(i.source, GeometrySource::JedecId);
}

#[test]
fn probe_reads_the_sfdp_basic_table() {
    let (_, nor) = w25q256();
    let i = nor.info();
    assert_eq!(i.capacity, 32 << 20);
    assert_eq!(
        (i.page_size, i.erase_opcode, i.address_bytes),
        (256, 0x20, 4)
    );
    assert_eq!(i.source, GeometrySource::Sfdp);

    // SFDP wins over the ID's capacity code, page size from DWORD 11.
    let mut chip = Chip::new(8 << 20, [0xC2, 0x20, 0x17]);
    chip.sfdp = Some(sfdp_table(4 << 20, 0b00, 9));
    chip.page = 512;
    let nor = SpiNor::probe(ChipSpi::new(chip), Config::DEFAULT).unwrap();
    assert_eq!((nor.info().capacity, nor.info().page_size), (4 << 20, 512));
}

#[test]
fn probe_refuses_what_it_cannot_drive() {
    for id in [[0xFF; 3], [0; 3]] {
        let r = SpiNor::probe(ChipSpi::new(Chip::new(1 << 20, id)), Config::DEFAULT);
        assert!(matches!(r, Err(Error::NoChip)));
    }
    // 4-byte-only addressing.
    let mut chip = Chip::new(32 << 20, W25Q256_ID);
    chip.sfdp = Some(sfdp_table(32 << 20, 0b10, 8));
    let r = SpiNor::probe(ChipSpi::new(chip), Config::DEFAULT);
    assert!(matches!(r, Err(Error::Unsupported)));
    // No 4 KiB erase anywhere in the table.
    let mut t = sfdp_table(4 << 20, 0b00, 8);
    t[0x80] = 0xE4; // DWORD 1 bits 1:0 = 00
    t[0x80 + 28..0x80 + 36].fill(0);
    let mut chip = Chip::new(4 << 20, [0xC2, 0x20, 0x16]);
    chip.sfdp = Some(t);
    let r = SpiNor::probe(ChipSpi::new(chip), Config::DEFAULT);
    assert!(matches!(r, Err(Error::Unsupported)));
    // A signature without a BFPT.
    let mut t = sfdp_table(4 << 20, 0b00, 8);
    t[16..24].fill(0x11);
    let mut chip = Chip::new(4 << 20, [0xC2, 0x20, 0x16]);
    chip.sfdp = Some(t);
    let r = SpiNor::probe(ChipSpi::new(chip), Config::DEFAULT);
    assert!(matches!(r, Err(Error::BadSfdp(_))));
}

#[test]
fn program_is_split_at_page_boundaries() {
    let (spi, mut nor) = n25q128();
    let data: Vec<u8> = (0..600u32).map(|i| (i * 7 + 3) as u8).collect();
    NorFlash::write(&mut nor, 0x1000 + 200, &data).unwrap();
    let chip = spi.0.borrow();
    let programs: Vec<(u32, usize)> = chip
        .log
        .iter()
        .filter(|e| e.0 == 0x02)
        .map(|e| (e.1, e.2))
        .collect();
    assert_eq!(
        programs,
        [(0x10C8, 56), (0x1100, 256), (0x1200, 256), (0x1300, 32)]
    );
    assert_eq!(&chip.mem[0x10C8..0x10C8 + 600], &data[..]);
    assert_eq!(chip.ignored_while_busy, 0, "a command was sent while busy");
    // Every program is preceded by WREN.
    let ops = chip.opcodes();
    for (i, &op) in ops.iter().enumerate() {
        if op == 0x02 {
            let prev = ops[..i].iter().rev().find(|&&o| o != 0x05).copied();
            assert_eq!(prev, Some(0x06));
        }
    }
}

#[test]
fn read_both_commands_and_any_alignment() {
    for read in [ReadCommand::Normal, ReadCommand::Fast] {
        let mut chip = Chip::new(16 << 20, N25Q128_ID);
        for (i, b) in chip.mem[0x2_0000..0x2_1000].iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        let spi = ChipSpi::new(chip);
        let config = Config {
            read,
            ..Config::DEFAULT
        };
        let mut nor = SpiNor::probe(spi.clone(), config).unwrap();
        let mut buf = [0u8; 333];
        ReadNorFlash::read(&mut nor, 0x2_0007, &mut buf).unwrap();
        let want: Vec<u8> = (7..340).map(|i| (i % 251) as u8).collect();
        assert_eq!(&buf[..], &want[..]);
        let op = spi.0.borrow().log.last().unwrap().0;
        assert_eq!(
            op,
            if read == ReadCommand::Fast {
                0x0B
            } else {
                0x03
            }
        );
    }
}

#[test]
fn four_byte_opcodes_above_16_mib() {
    let (spi, mut nor) = w25q256();
    let at = (16 << 20) + 0x3000;
    NorFlash::erase(&mut nor, at, at + 0x1000).unwrap();
    NorFlash::write(&mut nor, at + 5, b"above 16 MiB").unwrap();
    let mut buf = [0u8; 12];
    ReadNorFlash::read(&mut nor, at + 5, &mut buf).unwrap();
    assert_eq!(&buf, b"above 16 MiB");
    let chip = spi.0.borrow();
    // With 3-byte addresses the data would have landed 16 MiB lower.
    assert_eq!(&chip.mem[at as usize + 5..][..12], b"above 16 MiB");
    assert!(chip.mem[0x3000..0x4000].iter().all(|&b| b == 0xFF));
    let ops = chip.opcodes();
    assert!(ops.contains(&0x21) && ops.contains(&0x12) && ops.contains(&0x13));
    assert!(!ops.iter().any(|o| [0x20, 0x02, 0x03].contains(o)));
}

#[test]
fn erase_rules() {
    let (spi, mut nor) = n25q128();
    spi.0.borrow_mut().mem[0x4000..0x7000].fill(0x00);
    assert!(matches!(
        NorFlash::erase(&mut nor, 0x4001, 0x5000),
        Err(Error::NotAligned)
    ));
    assert!(matches!(
        NorFlash::erase(&mut nor, 0x4000, 0x4800),
        Err(Error::NotAligned)
    ));
    assert!(matches!(
        NorFlash::erase(&mut nor, 0xFFF000, 0x1001000),
        Err(Error::OutOfBounds)
    ));
    assert!(
        spi.0.borrow().log.is_empty(),
        "refused erase reached the chip"
    );
    NorFlash::erase(&mut nor, 0x5000, 0x6000).unwrap();
    let chip = spi.0.borrow();
    assert!(chip.mem[0x5000..0x6000].iter().all(|&b| b == 0xFF));
    assert!(chip.mem[0x4000..0x5000].iter().all(|&b| b == 0x00));
    assert!(chip.mem[0x6000..0x7000].iter().all(|&b| b == 0x00));
}

#[test]
fn programs_only_clear_bits() {
    let (spi, mut nor) = n25q128();
    NorFlash::write(&mut nor, 0x100, &[0x0F, 0xFF]).unwrap();
    // Clearing more bits is allowed (MultiwriteNorFlash).
    NorFlash::write(&mut nor, 0x100, &[0x07, 0xAA]).unwrap();
    // Raising one is a NOR violation: reported, not silently lost.
    assert_eq!(
        NorFlash::write(&mut nor, 0x100, &[0x07, 0xFF]),
        Err(Error::Verify { offset: 0x101 })
    );
    assert_eq!(&spi.0.borrow().mem[0x100..0x102], &[0x07, 0xAA]);
    assert!(matches!(
        NorFlash::write(&mut nor, (16 << 20) - 1, &[0, 0]),
        Err(Error::OutOfBounds)
    ));
}

#[test]
fn write_protection_is_a_typed_error() {
    let (spi, mut nor) = n25q128();
    spi.0.borrow_mut().wp = true;
    assert_eq!(
        NorFlash::write(&mut nor, 0, &[0]),
        Err(Error::WriteProtected)
    );
    assert_eq!(
        NorFlash::erase(&mut nor, 0, 0x1000),
        Err(Error::WriteProtected)
    );
    assert_eq!(spi.0.borrow().mem[0], 0xFF);
    // Block protection: WEL sets but the chip ignores the command.
    let mut chip = spi.0.borrow_mut();
    chip.wp = false;
    chip.protected = Some((0, 0x1000));
    chip.mem[0x10] = 0x00;
    drop(chip);
    assert_eq!(
        NorFlash::write(&mut nor, 0x20, &[0x55]),
        Err(Error::Verify { offset: 0x20 })
    );
    assert_eq!(
        NorFlash::erase(&mut nor, 0, 0x1000),
        Err(Error::Verify { offset: 0x10 })
    );
}

#[test]
fn busy_polling_is_bounded() {
    let (spi, mut nor) = n25q128();
    spi.0.borrow_mut().busy_after_op = 50;
    NorFlash::write(&mut nor, 0, b"slow chip").unwrap();
    assert_eq!(spi.0.borrow().ignored_while_busy, 0);
    assert_eq!(&spi.0.borrow().mem[..9], b"slow chip");

    let spi = ChipSpi::new(Chip::new(16 << 20, N25Q128_ID));
    let config = Config {
        program_polls: 10,
        erase_polls: 20,
        ..Config::DEFAULT
    };
    let mut nor = SpiNor::probe(spi.clone(), config).unwrap();
    spi.0.borrow_mut().busy_after_op = 15;
    assert_eq!(NorFlash::write(&mut nor, 0, &[1]), Err(Error::Busy));
    spi.0.borrow_mut().stuck_busy = true;
    spi.0.borrow_mut().log.clear();
    assert_eq!(NorFlash::erase(&mut nor, 0, 0x1000), Err(Error::Busy));
    let polls = spi.0.borrow().log.iter().filter(|e| e.0 == 0x05).count();
    assert_eq!(polls, 20, "status reads bounded by erase_polls");
}

#[test]
fn bus_errors_are_passed_up() {
    let (spi, mut nor) = n25q128();
    spi.0.borrow_mut().fail_in = Some(2);
    assert!(matches!(
        NorFlash::write(&mut nor, 0, &[0]),
        Err(Error::Spi(_))
    ));
    let mut b = [0u8; 4];
    spi.0.borrow_mut().fail_in = Some(0);
    assert!(matches!(
        ReadNorFlash::read(&mut nor, 0, &mut b),
        Err(Error::Spi(_))
    ));
}

#[test]
fn errors_display() {
    let e: Error<chip_model::BusError> = Error::Verify { offset: 0x40 };
    assert_eq!(e.to_string(), "SPI NOR read-back mismatch at 0x40");
    assert_eq!(
        Error::<chip_model::BusError>::WriteProtected.to_string(),
        "SPI NOR chip is write protected"
    );
}

/// The driver, seen through hal-flash's `Flash` contract (which every
/// `NorFlash` implements), behaves like hal-flash's reference
/// `MemFlash` (byte writes, 4 KiB erase) for a pseudo-random mix of
/// operations, refusals included.
#[test]
fn same_behaviour_as_the_reference_nor_flash() {
    let cap = 64 * 1024u32;
    let mut chip = Chip::new(cap as usize, [0xEF, 0x40, 0x10]);
    chip.busy_after_op = 2;
    let spi = ChipSpi::new(chip);
    let mut dut = SpiNor::probe(spi.clone(), Config::DEFAULT).unwrap();
    let mut reference = MemFlash::new(MemFlashConfig {
        size: cap,
        erase_size: 4096,
        write_size: 1,
        erased_byte: 0xFF,
        double_program_is_error: false,
        torn_seed: None,
    })
    .unwrap();
    assert_eq!(Flash::geometry(&dut), reference.geometry());
    assert_eq!(dut.capacity(), cap as usize);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % u64::from(n)) as u32
    };
    for _ in 0..600 {
        match rnd(3) {
            0 => {
                let s = rnd(16) * 4096;
                let e = s + (1 + rnd(2)) * 4096;
                let a = Flash::erase(&mut dut, s, e).map_err(|_| ());
                let b = reference.erase(s, e).map_err(|_| ());
                assert_eq!(a, b, "erase {s:#x}..{e:#x}");
            }
            1 => {
                let off = rnd(cap + 16);
                let len = rnd(700) as usize;
                // Only clear bits (a bit raise is `programs_only_clear_bits`'s subject).
                let data: Vec<u8> = (0..len)
                    .map(|i| {
                        let cur = reference.contents().get(off as usize + i).copied();
                        cur.unwrap_or(0) & !(1u8 << rnd(8))
                    })
                    .collect();
                let a = Flash::write(&mut dut, off, &data).is_ok();
                let b = reference.write(off, &data).is_ok();
                if b {
                    assert!(a, "write {off:#x}+{len} refused by the driver");
                } else if a {
                    panic!("write {off:#x}+{len} accepted, reference refused");
                }
            }
            _ => {}
        }
    }
    let chip = spi.0.borrow();
    assert_eq!(&chip.mem[..], reference.contents());
    assert_eq!(chip.ignored_while_busy, 0);
}
