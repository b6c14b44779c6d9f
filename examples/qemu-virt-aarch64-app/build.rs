//! Links the application at the board's load address with the linker script
//! the board crate writes (`links = "wolfboot-qemu-virt-aarch64"` metadata),
//! so the two can never disagree; and copies the keystore the application
//! verifies staged updates with.
//!
//! * The linker script: `DEP_WOLFBOOT_QEMU_VIRT_AARCH64_APP_LINKER_SCRIPT`
//!   (RAM from `WOLFBOOT_LOAD_ADDRESS`, the arm64 `Image` header first).
//! * `$OUT_DIR/keystore.rs`: a copy of `WOLFBOOT_KEYSTORE_RS`, the same
//!   `keystore.rs` (written by `sign-cli keygen`) the bootloader is built
//!   with. Without it the keystore is empty (a warning): the application
//!   still boots and confirms, but refuses every update it is offered.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let name = "DEP_WOLFBOOT_QEMU_VIRT_AARCH64_APP_LINKER_SCRIPT";
    let script = env::var(name).unwrap_or_else(|_| panic!("{name} not set by the board crate"));
    println!("cargo:rustc-link-arg-bins=-T{script}");
    println!("cargo:rerun-if-changed={script}");

    let keystore = out.join("keystore.rs");
    match env::var_os("WOLFBOOT_KEYSTORE_RS") {
        Some(path) => {
            fs::copy(&path, &keystore).unwrap_or_else(|e| {
                panic!(
                    "WOLFBOOT_KEYSTORE_RS={}: {e}",
                    PathBuf::from(&path).display()
                )
            });
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
        }
        None => {
            println!(
                "cargo:warning=WOLFBOOT_KEYSTORE_RS not set: the test application's keystore \
                 is empty and it refuses every update offered through UpdateWriter"
            );
            fs::write(
                &keystore,
                "// No WOLFBOOT_KEYSTORE_RS at build time: no trusted key.\n\
                 pub static KEYSTORE: wolfboot_verify::Keystore<'static> =\n    \
                 wolfboot_verify::Keystore::new(&[]);\n",
            )
            .expect("write keystore.rs");
        }
    }
    println!("cargo:rerun-if-env-changed=WOLFBOOT_KEYSTORE_RS");
    println!("cargo:rerun-if-changed=build.rs");
}
