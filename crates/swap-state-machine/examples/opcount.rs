//! Print flash operation counts for an update, a confirm and a rollback.
//!
//! `cargo run -p wolfboot-swap-state-machine --features opcount --example opcount [partition_size sector_size write_size image_size]`

use wolfboot_swap_state_machine::opcount::measure;

fn parse(s: &str) -> Option<u32> {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn main() {
    let args: Vec<u32> = std::env::args().skip(1).filter_map(|a| parse(&a)).collect();
    let runs: Vec<[u32; 4]> = if args.len() == 4 {
        vec![[args[0], args[1], args[2], args[3]]]
    } else {
        vec![
            // wolfBoot sim layout, image of the sim dumps (0x27888 + 256 bytes)
            [0x40000, 0x1000, 4, 0x27888 + 256],
            [0x40000, 0x1000, 8, 70537],
            [0x80000, 0x20000, 256, 70537],
        ]
    };
    for [p, s, w, i] in runs {
        match measure(p, s, w, i) {
            Ok(c) => println!("{c}\n"),
            Err(e) => eprintln!("partition {p:#x} sector {s:#x}: {e}"),
        }
    }
}
