//! The board's numbers (`src/memory_map.rs`) for the shared build steps.
//!
//! `wolfboot_firmware_build::CortexMBoard` writes `device.x`, the
//! bootloader's `memory.x`, `config.rs` (`IMAGE_HEADER_SIZE` from
//! `WOLFBOOT_IMAGE_HEADER_SIZE`, default 256, wolfBoot's value for ECC256
//! and Ed25519; 512 with the `delta` feature), `keystore.rs` (from
//! `WOLFBOOT_KEYSTORE_RS`, included by the bootloader binary only) and the
//! `links` metadata (`DEP_WOLFBOOT_MPS2_AN385_*`) an application's build
//! script places itself with. `WOLFBOOT_MPS2_BOARD` tells the code which of
//! the two MPS2 boards it is built for.
#![allow(dead_code)]

#[path = "src/memory_map.rs"]
mod memory_map;
use memory_map::*;
use wolfboot_firmware_build::{cortex_m_board, image_header_size};

fn main() {
    let header_size = image_header_size(
        // wolfBoot's default; a delta build needs 512 (the diff image's
        // delta fields do not fit 256 bytes with ECC256, so wolfBoot's sign
        // grows the header), and every image is then signed with
        // `--header-size 512`. Any multiple of 256 works here: the header
        // may span sectors (the swap copies whole sectors and never treats
        // the header's apart) and the application's vector table at BOOT +
        // header stays 256-byte aligned as VTOR requires.
        if std::env::var_os("CARGO_FEATURE_DELTA").is_some() {
            512
        } else {
            256
        },
    );
    cortex_m_board!(
        "mps2-an385",
        header_size,
        Some("/* AN385: every interrupt uses DefaultHandler (see rt.rs) */\n")
    )
    .write();
    // Same crate for both MPS2 boards: the Cortex-M4 target means mps2-an386.
    let target = std::env::var("TARGET").unwrap_or_default();
    let board = if target.starts_with("thumbv7em") {
        "mps2-an386"
    } else {
        "mps2-an385"
    };
    println!("cargo:rustc-env=WOLFBOOT_MPS2_BOARD={board}");
}
