//! `sign`: the same tool under wolfBoot's name.

fn main() {
    sign_cli::main_entry()
}
