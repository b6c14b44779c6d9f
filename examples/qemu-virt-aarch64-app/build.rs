//! Links the application at the board's load address with the linker script
//! the board crate writes (`links = "wolfboot-qemu-virt-aarch64"` metadata),
//! so the two can never disagree; and copies the keystore the application
//! checks staged updates with (`WOLFBOOT_KEYSTORE_RS`, the same
//! `keystore.rs` the bootloader is built with; empty without it).

use std::env;

use wolfboot_firmware_build::{application_keystore, out_dir};

fn main() {
    let name = "DEP_WOLFBOOT_QEMU_VIRT_AARCH64_APP_LINKER_SCRIPT";
    let script = env::var(name).unwrap_or_else(|_| panic!("{name} not set by the board crate"));
    println!("cargo:rustc-link-arg-bins=-T{script}");
    println!("cargo:rerun-if-changed={script}");
    application_keystore(&out_dir());
    println!("cargo:rerun-if-changed=build.rs");
}
