//! Links the application at BOOT + image header, from the numbers the board
//! crate exports (`links = "wolfboot-mps2-an385"` metadata), so the two can
//! never disagree: `$OUT_DIR/memory.x` with FLASH = BOOT + header up to
//! BOOT's trailer sector, RAM = the board's linker RAM (below the update inbox and control block).
//! Also `$OUT_DIR/keystore.rs`, the keystore the application checks staged
//! updates with: the same `keystore.rs` (written by `sign-cli keygen`) the
//! bootloader is built with (`WOLFBOOT_KEYSTORE_RS`; empty without it).

use wolfboot_firmware_build::{application_keystore, out_dir, write, Layout};

fn main() {
    let out = out_dir();
    let layout = Layout::import("wolfboot-mps2-an385");
    write(
        &out.join("memory.x"),
        &layout.application_memory_x("wolfboot-rs test application on mps2-an385"),
    );
    application_keystore(&out);
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
