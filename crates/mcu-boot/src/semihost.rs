//! ARM semihosting (QEMU `-semihosting-config enable=on,target=native`):
//! exit with a status, and the few file calls the test harness needs.
//!
//! Semihosting traps to the debugger (`BKPT 0xAB`); without one, on real
//! hardware, it faults. The QEMU boards' bootloaders only call it when their
//! test control block asks for it (each board's `testctl`), and to end a
//! test run.

use cortex_m_semihosting::{nr, syscall};

/// `SYS_EXIT_EXTENDED`: exit with a status code (semihosting 2.0, QEMU ≥ 4.1).
const SYS_EXIT_EXTENDED: usize = 0x20;
/// `ADP_Stopped_ApplicationExit`.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;

/// End the QEMU run with exit status `code`.
pub fn exit(code: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    // SAFETY: SYS_EXIT_EXTENDED reads the two-word parameter block, which
    // lives on the stack for the duration of the call.
    unsafe { syscall(SYS_EXIT_EXTENDED, &block) };
    // Only reached when no debugger ends the run.
    loop {
        cortex_m::asm::wfi();
    }
}

/// Open mode `"r+b"`: read and write an existing binary file.
pub const MODE_RW_BINARY: usize = nr::open::RW_BINARY;
/// Open mode `"rb"`: read a binary file.
pub const MODE_READ_BINARY: usize = nr::open::R_BINARY;

/// A file on the host, open through semihosting.
#[derive(Debug)]
pub struct HostFile(usize);

impl HostFile {
    /// Open `name`, which must end with a NUL byte.
    pub fn open(name: &[u8], mode: usize) -> Option<HostFile> {
        let (last, _) = name.split_last()?;
        if *last != 0 {
            return None;
        }
        let block = [name.as_ptr() as usize, mode, name.len() - 1];
        // SAFETY: SYS_OPEN reads the NUL-terminated name (checked above) and the
        // parameter block, both alive for the duration of the call.
        let handle = unsafe { syscall(nr::OPEN, &block) };
        if handle as isize == -1 {
            None
        } else {
            Some(HostFile(handle))
        }
    }

    /// Length of the file in bytes.
    pub fn len(&self) -> Option<usize> {
        let block = [self.0];
        // SAFETY: SYS_FLEN only reads the one-word parameter block.
        let len = unsafe { syscall(nr::FLEN, &block) };
        if len as isize == -1 {
            None
        } else {
            Some(len)
        }
    }

    /// Move to absolute position `pos`.
    pub fn seek(&self, pos: usize) -> bool {
        let block = [self.0, pos];
        // SAFETY: SYS_SEEK only reads the parameter block.
        unsafe { syscall(nr::SEEK, &block) == 0 }
    }

    /// Write `len` bytes starting at `ptr` at the current position.
    ///
    /// # Safety
    /// `[ptr, ptr + len)` must be readable memory.
    pub unsafe fn write_raw(&self, ptr: *const u8, len: usize) -> bool {
        let block = [self.0, ptr as usize, len];
        // SAFETY: the host reads `len` bytes at `ptr`, readable by the
        // caller's contract; the parameter block lives on the stack.
        unsafe { syscall(nr::WRITE, &block) == 0 }
    }

    /// Read up to `buf.len()` bytes from the current position into `buf`;
    /// returns the number of bytes read.
    pub fn read(&self, buf: &mut [u8]) -> usize {
        // SAFETY: `buf` is writable for its whole length and, borrowed
        // mutably here, no other reference points into it.
        unsafe { self.read_raw(buf.as_mut_ptr(), buf.len()) }
    }

    /// Read `len` bytes from the current position to `ptr`; returns the
    /// number of bytes read.
    ///
    /// # Safety
    /// `[ptr, ptr + len)` must be writable memory that no Rust reference
    /// points into.
    pub unsafe fn read_raw(&self, ptr: *mut u8, len: usize) -> usize {
        let block = [self.0, ptr as usize, len];
        // SAFETY: the host writes at most `len` bytes at `ptr`, writable and
        // unaliased by the caller's contract. SYS_READ returns the number of
        // bytes *not* read.
        let not_read = unsafe { syscall(nr::READ, &block) };
        len.saturating_sub(not_read)
    }
}
