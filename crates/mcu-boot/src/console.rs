//! Console output without `core::fmt`.

/// Where text goes: a byte sink with string and number helpers.
pub trait Console {
    /// Send one byte.
    fn put(&mut self, byte: u8);

    /// Send a string (`\n` becomes `\r\n`).
    fn print(&mut self, s: &str) {
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
    }

    /// Send a string and a line break.
    fn println(&mut self, s: &str) {
        self.print(s);
        self.print("\n");
    }

    /// Print `value` in decimal.
    fn dec(&mut self, value: u32) {
        let mut digits = [0u8; 10];
        let n = dec_digits(value, &mut digits);
        for d in digits.iter().skip(10 - n) {
            self.put(*d);
        }
    }

    /// Print `value` as `0x` and eight hex digits.
    fn hex(&mut self, value: u32) {
        self.print("0x");
        for d in hex_digits(value) {
            self.put(d);
        }
    }
}

/// The console of a build without one (a quiet bootloader, as wolfBoot
/// without `DEBUG_UART`): every call does nothing, and each is overridden
/// so that no message, digit loop or string is linked.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Console for Silent {
    #[inline(always)]
    fn put(&mut self, _byte: u8) {}
    #[inline(always)]
    fn print(&mut self, _s: &str) {}
    #[inline(always)]
    fn println(&mut self, _s: &str) {}
    #[inline(always)]
    fn dec(&mut self, _value: u32) {}
    #[inline(always)]
    fn hex(&mut self, _value: u32) {}
}

/// Right-aligned decimal digits of `value` in `out`; returns how many.
pub fn dec_digits(mut value: u32, out: &mut [u8; 10]) -> usize {
    let mut n = 0;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
        n += 1;
        if value == 0 {
            break;
        }
    }
    n
}

/// The eight hex digits of `value`, most significant first.
pub fn hex_digits(value: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, slot) in out.iter_mut().enumerate() {
        let nibble = (value >> (28 - 4 * i)) & 0xF;
        *slot = b"0123456789abcdef"[nibble as usize];
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A console into a vector.
    pub struct Sink(pub Vec<u8>);
    impl Console for Sink {
        fn put(&mut self, byte: u8) {
            self.0.push(byte);
        }
    }

    #[test]
    fn numbers() {
        let mut s = Sink(Vec::new());
        s.dec(0);
        s.print(" ");
        s.dec(4_294_967_295);
        s.print(" ");
        s.dec(1234);
        s.print(" ");
        s.hex(0x0002_0100);
        s.println("");
        assert_eq!(s.0, b"0 4294967295 1234 0x00020100\r\n");
    }
}
