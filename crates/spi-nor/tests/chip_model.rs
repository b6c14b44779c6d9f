//! A command-level model of a 25-series SPI NOR chip behind an
//! `embedded-hal` 1.0 `SpiDevice`: one `transaction` is one chip-select
//! window; the command executes when chip select rises, as on a real chip.
//!
//! It models what the driver must get right: WEL set by WREN and cleared by
//! every program/erase, page programs that wrap inside their page, programs
//! that only clear bits, commands ignored while WIP is set (so a driver that
//! does not poll loses data), 3-byte addresses that wrap at 16 MiB, the
//! 4-byte opcodes, SFDP, WP# (WREN refused) and block protection (program
//! and erase silently ignored).

use std::cell::RefCell;
use std::rc::Rc;

use embedded_hal::spi::{ErrorKind, ErrorType, Operation, SpiDevice};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusError;

impl embedded_hal::spi::Error for BusError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

#[derive(Debug)]
pub struct Chip {
    pub mem: Vec<u8>,
    pub id: [u8; 3],
    pub sfdp: Option<Vec<u8>>,
    pub page: usize,
    pub four_byte_opcodes: bool,
    /// WP# asserted with the status register protected: WREN does nothing.
    pub wp: bool,
    /// Block-protected range: program and erase there are ignored.
    pub protected: Option<(u32, u32)>,
    /// Status reads that report WIP after each program or erase.
    pub busy_after_op: u32,
    /// WIP never clears.
    pub stuck_busy: bool,
    pub wel: bool,
    pub busy: u32,
    /// Every command: (opcode, address, data bytes).
    pub log: Vec<(u8, u32, usize)>,
    /// Commands other than RDSR received while WIP was set (a driver bug).
    pub ignored_while_busy: u32,
    /// Bus failure injection: fail the n-th transaction from now.
    pub fail_in: Option<u32>,
}

impl Chip {
    pub fn new(capacity: usize, id: [u8; 3]) -> Self {
        Chip {
            mem: vec![0xFF; capacity],
            id,
            sfdp: None,
            page: 256,
            four_byte_opcodes: true,
            wp: false,
            protected: None,
            busy_after_op: 3,
            stuck_busy: false,
            wel: false,
            busy: 0,
            log: Vec::new(),
            ignored_while_busy: 0,
            fail_in: None,
        }
    }

    pub fn opcodes(&self) -> Vec<u8> {
        self.log.iter().map(|e| e.0).collect()
    }

    fn addr_len(&self, op: u8) -> Option<(usize, usize)> {
        // (address bytes, dummy bytes)
        match op {
            0x03 | 0x02 | 0x20 => Some((3, 0)),
            0x0B | 0x5A => Some((3, 1)),
            0x13 | 0x12 | 0x21 if self.four_byte_opcodes => Some((4, 0)),
            0x0C if self.four_byte_opcodes => Some((4, 1)),
            _ => None,
        }
    }

    fn address(&self, bytes: &[u8], n: usize) -> u32 {
        let mut a = 0u32;
        for &b in &bytes[1..=n] {
            a = a << 8 | u32::from(b);
        }
        if n == 3 {
            a % (1 << 24).min(self.mem.len() as u32)
        } else {
            a % self.mem.len() as u32
        }
    }

    /// MISO for the byte at `pos` of the current command (`bytes` = MOSI so far).
    fn miso(&mut self, bytes: &[u8], pos: usize) -> u8 {
        if pos == 0 {
            return 0xFF;
        }
        let op = bytes[0];
        match op {
            0x9F => self.id[(pos - 1) % 3],
            0x05 => {
                let wip = self.stuck_busy || self.busy > 0;
                if pos == 1 && self.busy > 0 {
                    self.busy -= 1;
                }
                u8::from(wip) | (u8::from(self.wel) << 1)
            }
            _ => match self.addr_len(op) {
                Some((n, dummy)) if pos > n + dummy && bytes.len() > n => {
                    let a = self.address(bytes, n) as usize + (pos - 1 - n - dummy);
                    if op == 0x5A {
                        self.sfdp
                            .as_ref()
                            .and_then(|t| t.get(a).copied())
                            .unwrap_or(0xFF)
                    } else if [0x03, 0x0B, 0x13, 0x0C].contains(&op) {
                        self.mem[a % self.mem.len()]
                    } else {
                        0xFF
                    }
                }
                _ => 0xFF,
            },
        }
    }

    fn protected(&self, a: u32) -> bool {
        self.protected.is_some_and(|(lo, hi)| (lo..hi).contains(&a))
    }

    /// Chip select rises: execute.
    fn finish(&mut self, bytes: &[u8]) {
        let Some(&op) = bytes.first() else { return };
        let (addr, data) = match self.addr_len(op) {
            Some((n, d)) if bytes.len() >= 1 + n + d => {
                (self.address(bytes, n), bytes.len() - 1 - n - d)
            }
            _ => (0, 0),
        };
        self.log.push((op, addr, data));
        if op != 0x05 && (self.busy > 0 || self.stuck_busy) {
            self.ignored_while_busy += 1;
            return;
        }
        match op {
            0x06 => self.wel = !self.wp,
            0x02 | 0x12 if self.addr_len(op).is_some() && self.wel => {
                let n = self.addr_len(op).unwrap().0;
                let page_base = addr as usize / self.page * self.page;
                for (i, &d) in bytes[1 + n..].iter().enumerate() {
                    let a = page_base + (addr as usize % self.page + i) % self.page;
                    if !self.protected(a as u32) {
                        self.mem[a] &= d;
                    }
                }
                self.wel = false;
                self.busy = self.busy_after_op;
            }
            0x20 | 0x21 if self.addr_len(op).is_some() && self.wel => {
                let base = addr as usize & !0xFFF;
                if !self.protected(base as u32) {
                    self.mem[base..base + 4096].fill(0xFF);
                }
                self.wel = false;
                self.busy = self.busy_after_op;
            }
            _ => {}
        }
    }
}

/// The `SpiDevice` handle: the HAL side (bus + chip select) of one chip.
#[derive(Clone, Debug)]
pub struct ChipSpi(pub Rc<RefCell<Chip>>);

impl ChipSpi {
    pub fn new(chip: Chip) -> Self {
        ChipSpi(Rc::new(RefCell::new(chip)))
    }
}

impl ErrorType for ChipSpi {
    type Error = BusError;
}

impl SpiDevice for ChipSpi {
    fn transaction(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), BusError> {
        let mut chip = self.0.borrow_mut();
        if let Some(n) = chip.fail_in.as_mut() {
            if *n == 0 {
                chip.fail_in = None;
                return Err(BusError);
            }
            *n -= 1;
        }
        let mut bytes = Vec::new();
        for op in ops.iter_mut() {
            match op {
                Operation::Write(w) => {
                    for &b in w.iter() {
                        let pos = bytes.len();
                        chip.miso(&bytes, pos);
                        bytes.push(b);
                    }
                }
                Operation::Read(r) => {
                    for slot in r.iter_mut() {
                        let pos = bytes.len();
                        *slot = chip.miso(&bytes, pos);
                        bytes.push(0);
                    }
                }
                Operation::Transfer(r, w) => {
                    for i in 0..r.len().max(w.len()) {
                        let pos = bytes.len();
                        let out = chip.miso(&bytes, pos);
                        if let Some(s) = r.get_mut(i) {
                            *s = out;
                        }
                        bytes.push(w.get(i).copied().unwrap_or(0));
                    }
                }
                Operation::TransferInPlace(buf) => {
                    for slot in buf.iter_mut() {
                        let pos = bytes.len();
                        let out = chip.miso(&bytes, pos);
                        bytes.push(*slot);
                        *slot = out;
                    }
                }
                Operation::DelayNs(_) => {}
            }
        }
        chip.finish(&bytes);
        Ok(())
    }
}

/// An SFDP table as a W25Q256-class chip reports it: 32 MiB, 3- or 4-byte
/// addresses, 4 KiB erase 0x20 (DWORD 1 and erase type 1), 256-byte pages.
pub fn sfdp_table(capacity_bytes: u64, address_bits: u32, page_log2: u32) -> Vec<u8> {
    let mut t = vec![0xFF; 0x80 + 16 * 4];
    t[..8].copy_from_slice(b"SFDP\x06\x01\x01\xFF");
    // Parameter header 0: a vendor table (skipped), header 1: the BFPT.
    t[8..16].copy_from_slice(&[0x84, 0x00, 0x01, 0x02, 0xC0, 0x00, 0x00, 0xFF]);
    t[16..24].copy_from_slice(&[0x00, 0x06, 0x01, 16, 0x80, 0x00, 0x00, 0xFF]);
    let mut dw = [0u32; 16];
    dw[0] = 0xFFF1_20E5 & !(0b11 << 17) | (address_bits << 17);
    dw[1] = (capacity_bytes * 8 - 1) as u32;
    dw[7] = 0x520F_200C; // type 1: 4 KiB 0x20, type 2: 32 KiB 0x52
    dw[8] = 0x0000_D810; // type 3: 64 KiB 0xD8
    dw[10] = page_log2 << 4;
    for (i, w) in dw.iter().enumerate() {
        t[0x80 + 4 * i..][..4].copy_from_slice(&w.to_le_bytes());
    }
    t
}
