//! What the build scripts of the firmware crates (boards under `boards/`,
//! their applications under `examples/`) share, so that each build script
//! only states its board's numbers.
//!
//! * [`image_header_size`]: wolfBoot's `IMAGE_HEADER_SIZE` from
//!   `WOLFBOOT_IMAGE_HEADER_SIZE`, checked; [`write_config`] writes it as
//!   `config.rs`.
//! * [`bootloader_keystore`] / [`application_keystore`]: the `keystore.rs`
//!   that `sign-cli keygen` writes, copied from `WOLFBOOT_KEYSTORE_RS`.
//! * [`memory_x`]: a cortex-m-rt `memory.x`.
//! * [`Layout`]: the partition layout a board crate exports as `links`
//!   metadata and its application reads back, so the two never disagree.
//! * [`CortexMBoard::write`]: all of the above for a Cortex-M board crate.
//!
//! Build scripts stop the build with a message on bad input: these helpers
//! panic with one line naming the variable or file at fault.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// `OUT_DIR` of the running build script.
pub fn out_dir() -> PathBuf {
    PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo for build scripts"))
}

/// Write `contents` to `path` (creating its folder), or stop the build.
pub fn write(path: &Path, contents: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    fs::write(path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Whether `size` is a header size wolfBoot accepts: a multiple of 256 from
/// 256 to 65536 (the post-quantum headers are 4096, 8192 and 12288 bytes).
pub fn valid_header_size(size: u32) -> bool {
    size.is_multiple_of(256) && (256..=0x1_0000).contains(&size)
}

/// wolfBoot's `IMAGE_HEADER_SIZE`: `WOLFBOOT_IMAGE_HEADER_SIZE` when set,
/// else `default`; the build stops when it is not a number or not a valid
/// header size ([`valid_header_size`]). Reruns the script when it changes.
pub fn image_header_size(default: u32) -> u32 {
    println!("cargo:rerun-if-env-changed=WOLFBOOT_IMAGE_HEADER_SIZE");
    let size = match env::var("WOLFBOOT_IMAGE_HEADER_SIZE") {
        Ok(v) => parse_header_size(&v).unwrap_or_else(|e| panic!("{e}")),
        Err(_) => default,
    };
    assert!(
        valid_header_size(size),
        "WOLFBOOT_IMAGE_HEADER_SIZE must be a multiple of 256 from 256 to 65536, not {size}"
    );
    size
}

fn parse_header_size(v: &str) -> Result<u32, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("WOLFBOOT_IMAGE_HEADER_SIZE={v}: not a number"))
}

/// `out/config.rs`: `pub const IMAGE_HEADER_SIZE: u32`, for `include!`.
pub fn write_config(out: &Path, header_size: u32) {
    write(
        &out.join("config.rs"),
        &format!(
            "/// wolfBoot's `IMAGE_HEADER_SIZE` (from `WOLFBOOT_IMAGE_HEADER_SIZE` at build time).\n\
             pub const IMAGE_HEADER_SIZE: u32 = {header_size};\n"
        ),
    );
}

/// The keystore file named by `WOLFBOOT_KEYSTORE_RS`, copied to
/// `out/keystore.rs`; `false` when the variable is not set.
fn copy_keystore(out: &Path) -> bool {
    println!("cargo:rerun-if-env-changed=WOLFBOOT_KEYSTORE_RS");
    let Some(path) = env::var_os("WOLFBOOT_KEYSTORE_RS").map(PathBuf::from) else {
        return false;
    };
    fs::copy(&path, out.join("keystore.rs"))
        .unwrap_or_else(|e| panic!("WOLFBOOT_KEYSTORE_RS={}: {e}", path.display()));
    println!("cargo:rerun-if-changed={}", path.display());
    true
}

/// The bootloader's trusted keys: `out/keystore.rs` copied from
/// `WOLFBOOT_KEYSTORE_RS`. Without it the file is a `compile_error!`, so
/// only a binary that includes it fails (a library using the board crate
/// builds without a keystore).
pub fn bootloader_keystore(out: &Path) {
    if !copy_keystore(out) {
        write(
            &out.join("keystore.rs"),
            "compile_error!(\"set WOLFBOOT_KEYSTORE_RS to the keystore.rs written by \
             `sign-cli keygen` (absolute path)\");\n",
        );
    }
}

/// An application's keystore (the keys it checks staged updates with):
/// `out/keystore.rs` copied from `WOLFBOOT_KEYSTORE_RS`. Without it the
/// keystore is empty and a build warning says so: the application boots and
/// confirms, but refuses every update it is offered.
pub fn application_keystore(out: &Path) {
    if !copy_keystore(out) {
        println!(
            "cargo:warning=WOLFBOOT_KEYSTORE_RS not set: the application's keystore is empty \
             and it refuses every update offered through UpdateWriter"
        );
        write(
            &out.join("keystore.rs"),
            "// No WOLFBOOT_KEYSTORE_RS at build time: no trusted key.\n\
             pub static KEYSTORE: wolfboot_verify::Keystore<'static> =\n    \
             wolfboot_verify::Keystore::new(&[]);\n",
        );
    }
}

/// A cortex-m-rt `memory.x`: `FLASH` and `RAM` regions, with a comment
/// naming what it links.
pub fn memory_x(what: &str, flash: (u32, u32), ram: (u32, u32)) -> String {
    format!(
        "/* {what} (generated by build.rs) */\n\
         MEMORY\n{{\n  FLASH : ORIGIN = {:#010x}, LENGTH = {:#x}\n  \
         RAM : ORIGIN = {:#010x}, LENGTH = {:#x}\n}}\n",
        flash.0, flash.1, ram.0, ram.1
    )
}

/// What a board tells its application's build script: where BOOT is, its
/// geometry, the header size and the RAM the application may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Address of the BOOT partition (where the signed image starts).
    pub boot_address: u32,
    /// Size of each of BOOT and UPDATE.
    pub partition_size: u32,
    /// Erase sector size (the last sector of BOOT holds its trailer).
    pub sector_size: u32,
    /// `IMAGE_HEADER_SIZE`: the application runs at BOOT + header.
    pub image_header_size: u32,
    /// Start of the RAM the application links into.
    pub ram_base: u32,
    /// Its size.
    pub ram_size: u32,
}

impl Layout {
    const KEYS: [&'static str; 6] = [
        "boot_address",
        "partition_size",
        "sector_size",
        "image_header_size",
        "ram_base",
        "ram_size",
    ];

    fn values(&self) -> [u32; 6] {
        [
            self.boot_address,
            self.partition_size,
            self.sector_size,
            self.image_header_size,
            self.ram_base,
            self.ram_size,
        ]
    }

    /// From a board crate's build script (whose package sets `links`):
    /// export the layout as `links` metadata.
    pub fn export(&self) {
        for (key, value) in Self::KEYS.iter().zip(self.values()) {
            println!("cargo:{key}={value}");
        }
    }

    /// From an application's build script: the layout exported by the board
    /// crate whose `links` name is `links` (e.g. `wolfboot-mps2-an385`),
    /// read from `DEP_<LINKS>_<KEY>`.
    pub fn import(links: &str) -> Layout {
        let prefix = format!("DEP_{}", links.to_ascii_uppercase().replace('-', "_"));
        let get = |key: &str| {
            let name = format!("{prefix}_{}", key.to_ascii_uppercase());
            let v = env::var(&name).unwrap_or_else(|_| panic!("{name} not set by the board crate"));
            v.parse::<u32>()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
        };
        let [boot_address, partition_size, sector_size, image_header_size, ram_base, ram_size] =
            Self::KEYS.map(get);
        Layout {
            boot_address,
            partition_size,
            sector_size,
            image_header_size,
            ram_base,
            ram_size,
        }
    }

    /// Where an application image's code goes: from BOOT + header up to
    /// BOOT's last sector (the trailer), as (origin, length).
    pub fn application_flash(&self) -> (u32, u32) {
        (
            self.boot_address + self.image_header_size,
            self.partition_size - self.image_header_size - self.sector_size,
        )
    }

    /// The application's `memory.x` ([`Layout::application_flash`], the
    /// board's application RAM).
    pub fn application_memory_x(&self, what: &str) -> String {
        memory_x(
            what,
            self.application_flash(),
            (self.ram_base, self.ram_size),
        )
    }
}

/// The [`CortexMBoard`] of a board whose `src/memory_map.rs` (included in
/// the build script) names its numbers as every board here does:
/// `BOOTLOADER_ADDRESS`/`_SIZE`, `RAM_BASE`, `LINKER_RAM_SIZE`,
/// `BOOT_ADDRESS`, `PARTITION_SIZE`, `SECTOR_SIZE`. The build script states
/// only its name, header size and `device.x`:
///
/// ```ignore
/// cortex_m_board!("mps2-an385", header_size, Some("/* ... */\n")).write();
/// ```
#[macro_export]
macro_rules! cortex_m_board {
    ($name:expr, $header_size:expr, $device_x:expr) => {
        $crate::CortexMBoard {
            name: $name,
            bootloader_flash: (BOOTLOADER_ADDRESS, BOOTLOADER_SIZE),
            bootloader_ram: (RAM_BASE, LINKER_RAM_SIZE),
            device_x: $device_x,
            layout: $crate::Layout {
                boot_address: BOOT_ADDRESS,
                partition_size: PARTITION_SIZE,
                sector_size: SECTOR_SIZE,
                image_header_size: $header_size,
                ram_base: RAM_BASE,
                ram_size: LINKER_RAM_SIZE,
            },
        }
    };
}

/// What a Cortex-M board crate's build script states; [`CortexMBoard::write`]
/// does the rest.
#[derive(Debug, Clone, Copy)]
pub struct CortexMBoard<'a> {
    /// Board name for the generated files' comments ("mps2-an385").
    pub name: &'a str,
    /// The bootloader's flash: (origin, length).
    pub bootloader_flash: (u32, u32),
    /// The bootloader's RAM: (origin, length).
    pub bootloader_ram: (u32, u32),
    /// `device.x` for cortex-m-rt's `device` feature (interrupt handler
    /// names), when the board crate provides the vector table itself;
    /// `None` when a PAC does.
    pub device_x: Option<&'a str>,
    /// What the application is told.
    pub layout: Layout,
}

impl CortexMBoard<'_> {
    /// Write `device.x` (on the link path of every firmware using the board
    /// crate), `bootloader/memory.x` (on the link path of the board's own
    /// binaries only: an application writes its own), `config.rs` (the
    /// header size) and `keystore.rs` (the bootloader's keys), and export
    /// the layout for the application's build script.
    pub fn write(&self) {
        let out = out_dir();
        if let Some(device_x) = self.device_x {
            write(&out.join("device.x"), device_x);
        }
        let boot_dir = out.join("bootloader");
        write(
            &boot_dir.join("memory.x"),
            &memory_x(
                &format!("wolfboot-rs bootloader on {}", self.name),
                self.bootloader_flash,
                self.bootloader_ram,
            ),
        );
        write_config(&out, self.layout.image_header_size);
        bootloader_keystore(&out);
        println!("cargo:rustc-link-search={}", out.display());
        println!("cargo:rustc-link-arg-bins=-L{}", boot_dir.display());
        self.layout.export();
        println!("cargo:rerun-if-changed=src/memory_map.rs");
        println!("cargo:rerun-if-changed=build.rs");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_follow_wolfboot() {
        for ok in [256, 512, 4096, 8192, 12288, 0x1_0000] {
            assert!(valid_header_size(ok), "{ok}");
        }
        for bad in [0, 128, 300, 0x1_0100] {
            assert!(!valid_header_size(bad), "{bad}");
        }
        assert_eq!(parse_header_size(" 512\n"), Ok(512));
        assert!(parse_header_size("big").is_err());
    }

    #[test]
    fn the_application_stops_before_boots_trailer_sector() {
        let l = Layout {
            boot_address: 0x2_0000,
            partition_size: 0x4_0000,
            sector_size: 0x1000,
            image_header_size: 256,
            ram_base: 0x2000_0000,
            ram_size: 0x8000,
        };
        assert_eq!(l.application_flash(), (0x2_0100, 0x3_EF00));
        let x = l.application_memory_x("app on test");
        assert!(x.starts_with("/* app on test (generated by build.rs) */\n"));
        assert!(x.contains("FLASH : ORIGIN = 0x00020100, LENGTH = 0x3ef00"));
        assert!(x.contains("RAM : ORIGIN = 0x20000000, LENGTH = 0x8000"));
    }

    #[test]
    fn the_macro_takes_the_memory_map_names() {
        const BOOTLOADER_ADDRESS: u32 = 0;
        const BOOTLOADER_SIZE: u32 = 0x2_0000;
        const RAM_BASE: u32 = 0x2000_0000;
        const LINKER_RAM_SIZE: u32 = 0x1_0000;
        const BOOT_ADDRESS: u32 = 0x2_0000;
        const PARTITION_SIZE: u32 = 0x4_0000;
        const SECTOR_SIZE: u32 = 0x1000;
        let b = cortex_m_board!("test", 512, None);
        assert_eq!(b.bootloader_flash, (0, 0x2_0000));
        assert_eq!(b.bootloader_ram, (0x2000_0000, 0x1_0000));
        assert_eq!(
            b.layout,
            Layout {
                boot_address: 0x2_0000,
                partition_size: 0x4_0000,
                sector_size: 0x1000,
                image_header_size: 512,
                ram_base: 0x2000_0000,
                ram_size: 0x1_0000,
            }
        );
    }

    #[test]
    fn keystores_are_copied_or_stand_in() {
        let out = env::temp_dir().join(format!("fw-build-test-{}", std::process::id()));
        fs::create_dir_all(&out).unwrap();
        // The only test that touches WOLFBOOT_KEYSTORE_RS.
        env::remove_var("WOLFBOOT_KEYSTORE_RS");
        bootloader_keystore(&out);
        let text = fs::read_to_string(out.join("keystore.rs")).unwrap();
        assert!(text.starts_with("compile_error!"));
        application_keystore(&out);
        let text = fs::read_to_string(out.join("keystore.rs")).unwrap();
        assert!(text.contains("Keystore::new(&[])"));
        let src = out.join("given.rs");
        fs::write(&src, "// keys\n").unwrap();
        env::set_var("WOLFBOOT_KEYSTORE_RS", &src);
        bootloader_keystore(&out);
        assert_eq!(
            fs::read_to_string(out.join("keystore.rs")).unwrap(),
            "// keys\n"
        );
        env::remove_var("WOLFBOOT_KEYSTORE_RS");
        fs::remove_dir_all(&out).unwrap();
    }
}
