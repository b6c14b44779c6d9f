//! `sign-cli`: wolfBoot-compatible image signing tool.

fn main() {
    sign_cli::main_entry()
}
