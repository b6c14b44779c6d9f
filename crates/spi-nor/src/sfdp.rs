//! JESD216 Serial Flash Discoverable Parameters: the few fields a NOR
//! driver needs from the Basic Flash Parameter Table (BFPT).
//!
//! Layout (all little endian): an 8-byte SFDP header at address 0
//! (`"SFDP"`, minor, major, number of parameter headers − 1, access
//! protocol), then 8-byte parameter headers (ID LSB, minor, major, length in
//! DWORDs, 24-bit table pointer, ID MSB). The BFPT has ID 0xFF00.

/// `"SFDP"` read as a little-endian word.
pub const SIGNATURE: u32 = 0x5044_4653;
/// Size of the SFDP header and of each parameter header.
pub const HEADER_LEN: usize = 8;
/// BFPT DWORDs this driver reads (JESD216B has 16).
pub const BFPT_DWORDS: usize = 16;

/// Why an SFDP table was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SfdpError {
    /// No `"SFDP"` signature at address 0: the chip does not implement SFDP.
    NoSignature,
    /// The signature is there but no parameter header names the BFPT.
    NoBasicTable,
    /// The BFPT is shorter than the 9 DWORDs of JESD216, or a field is out of range.
    Malformed,
}

/// Where the BFPT is, from the SFDP and parameter headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BfptLocation {
    /// Byte address of the table in SFDP space.
    pub pointer: u32,
    /// Length in DWORDs.
    pub dwords: usize,
}

/// Number of parameter headers announced by the 8-byte SFDP header.
pub fn parameter_headers(header: &[u8; HEADER_LEN]) -> Result<usize, SfdpError> {
    if u32::from_le_bytes([header[0], header[1], header[2], header[3]]) != SIGNATURE {
        return Err(SfdpError::NoSignature);
    }
    Ok(usize::from(header[6]) + 1)
}

/// The BFPT location if this parameter header describes it.
pub fn bfpt_location(param: &[u8; HEADER_LEN]) -> Option<BfptLocation> {
    if param[0] != 0x00 || param[7] != 0xFF {
        return None;
    }
    Some(BfptLocation {
        pointer: u32::from_le_bytes([param[4], param[5], param[6], 0]),
        dwords: usize::from(param[3]),
    })
}

/// What the driver takes from the BFPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicParams {
    /// Capacity in bytes.
    pub capacity: u64,
    /// Opcode of the 4 KiB erase, if the chip has one.
    pub erase_4k: Option<u8>,
    /// Page-program buffer size in bytes (256 when the table predates JESD216A).
    pub page_size: u32,
    /// Address bytes the chip accepts.
    pub address: AddressBytes,
}

/// BFPT DWORD 1 bits 18:17.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressBytes {
    /// 3-byte addresses only.
    Three,
    /// 3-byte by default, 4-byte available.
    ThreeOrFour,
    /// 4-byte addresses only.
    Four,
}

/// Parse the BFPT (`dwords` read from its pointer; at least 9).
pub fn parse_bfpt(dw: &[u32]) -> Result<BasicParams, SfdpError> {
    if dw.len() < 9 {
        return Err(SfdpError::Malformed);
    }
    let address = match (dw[0] >> 17) & 0b11 {
        0b00 => AddressBytes::Three,
        0b01 => AddressBytes::ThreeOrFour,
        0b10 => AddressBytes::Four,
        _ => return Err(SfdpError::Malformed),
    };
    // DWORD 2: density in bits, either N-1 (bit 31 clear) or 2^N (bit 31 set).
    let density = dw[1];
    let bits: u64 = if density & 0x8000_0000 == 0 {
        u64::from(density) + 1
    } else {
        let n = density & 0x7FFF_FFFF;
        if !(3..=40).contains(&n) {
            return Err(SfdpError::Malformed);
        }
        1u64 << n
    };
    if bits < 8 * 256 {
        return Err(SfdpError::Malformed);
    }
    // 4 KiB erase: the erase types of DWORDs 8-9 (size 2^N, opcode), else
    // DWORD 1 (bits 1:0 == 01 means "4 KiB erase", opcode in bits 15:8).
    let mut erase_4k = None;
    for &word in &dw[7..9] {
        for half in [word & 0xFFFF, word >> 16] {
            let (size_log2, opcode) = (half & 0xFF, (half >> 8) as u8);
            if size_log2 == 12 && erase_4k.is_none() {
                erase_4k = Some(opcode);
            }
        }
    }
    if erase_4k.is_none() && dw[0] & 0b11 == 0b01 {
        erase_4k = Some((dw[0] >> 8) as u8);
    }
    // DWORD 11 bits 7:4: page size 2^N (JESD216A and later).
    let page_size = match dw.get(10) {
        Some(&w) => {
            let n = (w >> 4) & 0xF;
            if !(4..=12).contains(&n) {
                return Err(SfdpError::Malformed);
            }
            1u32 << n
        }
        None => 256,
    };
    Ok(BasicParams {
        capacity: bits / 8,
        erase_4k,
        page_size,
        address,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_location() {
        let h = *b"SFDP\x06\x01\x01\xff";
        assert_eq!(parameter_headers(&h), Ok(2));
        assert_eq!(
            parameter_headers(b"\xff\xff\xff\xff\xff\xff\xff\xff"),
            Err(SfdpError::NoSignature)
        );
        let p = [0x00, 0x06, 0x01, 16, 0x80, 0x00, 0x00, 0xFF];
        assert_eq!(
            bfpt_location(&p),
            Some(BfptLocation {
                pointer: 0x80,
                dwords: 16
            })
        );
        // A vendor table (ID 0xFF84: 4-byte address instructions) is not the BFPT.
        assert_eq!(bfpt_location(&[0x84, 0, 1, 2, 0xC0, 0, 0, 0xFF]), None);
    }

    #[test]
    fn density_both_encodings() {
        let mut dw = [0u32; 9];
        dw[0] = 0x20E5 | (0b01 << 17);
        dw[1] = 0x0FFF_FFFF; // 256 Mbit, N-1 form
        let p = parse_bfpt(&dw).unwrap();
        assert_eq!(p.capacity, 32 << 20);
        assert_eq!(p.erase_4k, Some(0x20));
        assert_eq!(p.page_size, 256);
        assert_eq!(p.address, AddressBytes::ThreeOrFour);
        dw[1] = 0x8000_0000 | 33; // 8 Gbit, 2^N form
        assert_eq!(parse_bfpt(&dw).unwrap().capacity, 1 << 30);
        dw[1] = 0x8000_0000 | 60;
        assert_eq!(parse_bfpt(&dw), Err(SfdpError::Malformed));
        assert_eq!(parse_bfpt(&dw[..8]), Err(SfdpError::Malformed));
    }

    #[test]
    fn erase_types_win_over_dword1_and_page_size_from_dword11() {
        let mut dw = [0u32; 11];
        dw[0] = 0b00; // DWORD 1 says "no 4 KiB erase"
        dw[1] = 0x00FF_FFFF; // 16 Mbit
        dw[7] = 0x520F_2112; // type 1: 2^18 bytes, opcode 0x21; type 2: 32 KiB, opcode 0x52
        dw[8] = 0x0000_200C; // type 3: 4 KiB, opcode 0x20
        dw[10] = 0x8 << 4; // 256-byte pages
        let p = parse_bfpt(&dw).unwrap();
        assert_eq!(p.erase_4k, Some(0x20));
        assert_eq!(p.capacity, 2 << 20);
        dw[10] = 0x9 << 4;
        assert_eq!(parse_bfpt(&dw).unwrap().page_size, 512);
        dw[8] = 0;
        assert_eq!(parse_bfpt(&dw).unwrap().erase_4k, None);
    }
}
