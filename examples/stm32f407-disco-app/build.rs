//! Links the application at BOOT + image header, from the numbers the board
//! crate exports (`links = "wolfboot-stm32f407-disco"` metadata), so the two can
//! never disagree: `$OUT_DIR/memory.x` with FLASH = BOOT + header up to
//! BOOT's trailer sector, RAM = the board's RAM.

use wolfboot_firmware_build::{out_dir, write, Layout};

fn main() {
    let out = out_dir();
    let layout = Layout::import("wolfboot-stm32f407-disco");
    write(
        &out.join("memory.x"),
        &layout.application_memory_x("wolfboot-rs application on the STM32F407G-DISC1"),
    );
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
