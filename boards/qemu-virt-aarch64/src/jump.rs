//! Handing over to the application: check its arm64 `Image` header, copy
//! it from BOOT to [`LOAD_ADDRESS`] and branch to it.
//!
//! The flash bank cannot run code while it is being programmed (a command
//! takes the whole bank out of read-array mode), so, as wolfBoot does on
//! Cortex-A with `WOLFBOOT_LOAD_ADDRESS`, the verified payload is copied to
//! RAM and runs there. The payload is a flat binary that starts with the
//! Linux arm64 `Image` header (`Documentation/arch/arm64/booting.rst`), so
//! the same path could start a Linux kernel:
//!
//! | offset | field | checked |
//! | --- | --- | --- |
//! | 0x00 | `code0` (branch to the entry) | entered at offset 0 |
//! | 0x08 | `text_offset` | must place the image at [`LOAD_ADDRESS`] (its 2 MiB base + `text_offset`) |
//! | 0x10 | `image_size` (with bss) | covers the payload and fits the application RAM (0: payload only) |
//! | 0x18 | `flags` | bit 0 clear: little-endian |
//! | 0x38 | magic `"ARM\x64"` | must match |
//!
//! State at entry (what the Linux boot protocol asks for): EL1, MMU off,
//! data and instruction caches off (as QEMU starts the CPU; the bootloader
//! never turns them on; the instruction cache is invalidated after the
//! copy anyway), all of DAIF masked, `x0` = the device tree blob QEMU placed
//! at the start of RAM (0 if none), `x1..x3` = 0.

use crate::layout::{APP_RAM_SIZE, LOAD_ADDRESS};

/// Size of the arm64 `Image` header.
pub const IMAGE_HEADER_LEN: usize = 64;
/// `"ARM\x64"` at offset 0x38, little-endian.
pub const ARM64_MAGIC: u32 = 0x644D_5241;

/// Why the application was not entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpError {
    /// No arm64 `Image` magic.
    NotAnImage,
    /// Big-endian image.
    BigEndian,
    /// `text_offset` does not put the image at [`LOAD_ADDRESS`].
    TextOffset(u64),
    /// `image_size` smaller than the payload or larger than the RAM.
    ImageSize(u64),
    /// The payload cannot be read from flash.
    Read,
}

fn le_u64(h: &[u8; IMAGE_HEADER_LEN], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = h.get(at..at + 8) {
        b.copy_from_slice(src);
    }
    u64::from_le_bytes(b)
}

/// Check the `Image` header `h` of a payload of `payload_size` bytes.
pub fn check_image_header(h: &[u8; IMAGE_HEADER_LEN], payload_size: u32) -> Result<(), JumpError> {
    if le_u64(h, 0x38) as u32 != ARM64_MAGIC || (payload_size as usize) < IMAGE_HEADER_LEN {
        return Err(JumpError::NotAnImage);
    }
    if le_u64(h, 0x18) & 1 != 0 {
        return Err(JumpError::BigEndian);
    }
    let text_offset = le_u64(h, 0x08);
    if text_offset != u64::from(LOAD_ADDRESS % 0x0020_0000) {
        return Err(JumpError::TextOffset(text_offset));
    }
    let image_size = le_u64(h, 0x10);
    let effective = if image_size == 0 {
        u64::from(payload_size)
    } else {
        image_size
    };
    if effective < u64::from(payload_size) || effective > u64::from(APP_RAM_SIZE) {
        return Err(JumpError::ImageSize(image_size));
    }
    Ok(())
}

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
pub use target::load_and_enter;

#[cfg(all(target_arch = "aarch64", target_os = "none"))]
mod target {
    use super::*;
    use crate::layout::DTB_ADDRESS;
    use wolfboot_hal_flash::{FlashSet, Partition};

    /// The device tree magic 0xd00dfeed (big-endian), read as a little-endian word.
    const FDT_MAGIC_LE: u32 = 0xEDFE_0DD0;

    /// Copy the payload (`payload_size` bytes after `header_size` in `boot`)
    /// to [`LOAD_ADDRESS`] and enter it. Returns only if the `Image` header
    /// is refused or the flash cannot be read.
    ///
    /// Call only with an image that has just been verified in place, and
    /// nothing written since (the swap state machine's decision).
    pub fn load_and_enter<S: FlashSet>(
        flash: &mut S,
        boot: Partition,
        header_size: u32,
        payload_size: u32,
    ) -> JumpError {
        let mut h = [0u8; IMAGE_HEADER_LEN];
        if boot.read(flash, header_size, &mut h).is_err() {
            return JumpError::Read;
        }
        if let Err(e) = check_image_header(&h, payload_size) {
            return e;
        }
        // SAFETY: [LOAD_ADDRESS, LOAD_ADDRESS + payload_size) is RAM
        // (payload_size ≤ APP_RAM_SIZE, checked above) that the bootloader's
        // linker script leaves out (layout.rs asserts LOAD_ADDRESS lies past
        // the bootloader's region), so no Rust object lives there and nothing
        // else refers to it while the slice exists.
        let dest = unsafe {
            core::slice::from_raw_parts_mut(LOAD_ADDRESS as usize as *mut u8, payload_size as usize)
        };
        if boot.read(flash, header_size, dest).is_err() {
            return JumpError::Read;
        }
        // SAFETY: the start of RAM, mapped and readable; a word-aligned read.
        let dtb = match unsafe { (DTB_ADDRESS as usize as *const u32).read_volatile() } {
            FDT_MAGIC_LE => u64::from(DTB_ADDRESS),
            _ => 0,
        };
        // SAFETY: the image was verified (digest and signature) in BOOT and
        // just copied to LOAD_ADDRESS, where its `Image` header says it runs.
        // The data barrier completes the copy, the instruction cache is
        // invalidated so no stale line shadows it, and the branch leaves the
        // bootloader for good (its stack is abandoned). The MMU and caches are
        // off and DAIF is masked since reset: the Linux arm64 entry state.
        unsafe {
            core::arch::asm!(
                "dsb sy",
                "ic iallu",
                "dsb sy",
                "isb",
                "br {entry}",
                entry = in(reg) u64::from(LOAD_ADDRESS),
                in("x0") dtb,
                in("x1") 0u64,
                in("x2") 0u64,
                in("x3") 0u64,
                options(noreturn),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text_offset: u64, image_size: u64, flags: u64) -> [u8; IMAGE_HEADER_LEN] {
        let mut h = [0u8; IMAGE_HEADER_LEN];
        h[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
        h[8..16].copy_from_slice(&text_offset.to_le_bytes());
        h[16..24].copy_from_slice(&image_size.to_le_bytes());
        h[24..32].copy_from_slice(&flags.to_le_bytes());
        h[0x38..0x3C].copy_from_slice(b"ARM\x64");
        h
    }

    #[test]
    fn accepts_an_image_for_the_load_address() {
        assert_eq!(
            check_image_header(&header(0, 0x2_0000, 2), 0x1_0000),
            Ok(())
        );
        // image_size 0 (old kernels): the payload alone.
        assert_eq!(check_image_header(&header(0, 0, 0), 0x1_0000), Ok(()));
        assert_eq!(
            check_image_header(&header(0, u64::from(APP_RAM_SIZE), 2), 0x1_0000),
            Ok(())
        );
    }

    #[test]
    fn refuses_other_images() {
        let mut h = header(0, 0x2_0000, 2);
        h[0x38] = b'X';
        assert_eq!(check_image_header(&h, 0x1_0000), Err(JumpError::NotAnImage));
        assert_eq!(
            check_image_header(&header(0, 0x2_0000, 2), 32),
            Err(JumpError::NotAnImage)
        );
        assert_eq!(
            check_image_header(&header(0, 0x2_0000, 3), 0x1_0000),
            Err(JumpError::BigEndian)
        );
        assert_eq!(
            check_image_header(&header(0x8_0000, 0x2_0000, 2), 0x1_0000),
            Err(JumpError::TextOffset(0x8_0000))
        );
        assert_eq!(
            check_image_header(&header(0, 0x8000, 2), 0x1_0000),
            Err(JumpError::ImageSize(0x8000))
        );
        assert_eq!(
            check_image_header(&header(0, u64::from(APP_RAM_SIZE) + 1, 2), 0x1_0000),
            Err(JumpError::ImageSize(u64::from(APP_RAM_SIZE) + 1))
        );
        // Erased flash.
        assert_eq!(
            check_image_header(&[0xFF; IMAGE_HEADER_LEN], 0x1_0000),
            Err(JumpError::NotAnImage)
        );
    }
}
