//! Host figures for the post-quantum verifiers, on wolfBoot's vectors:
//! time per signature check and the stack each check needs.
//!
//! `cargo run --release -p wolfboot-verify --example pq_figures`
//!
//! Stack: each check runs in a thread with a given stack size, in a child
//! process (an overflow aborts the process); a binary search finds the
//! smallest size that works, to 256 bytes. The thread's own start-up takes
//! some of it, so the figures are upper bounds for the check itself. They
//! are x86-64 figures: a Cortex-M build differs (smaller pointers, other
//! inlining) but is of the same order.

use std::process::Command;
use std::time::Instant;

use wolfboot_image_format::ImageHeader;
use wolfboot_test_vectors as tv;
use wolfboot_verify::{parse_keystore, verify_signature, HashAlgorithm, VerifyPolicy};

const FOLDERS: [&str; 6] = [
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
    "lms-l1-h10-w8",
    "xmss-sha2_10_256",
    "hybrid-ml-dsa-65-ecc384",
];

struct Parts {
    auth: wolfboot_verify::AuthType,
    key: Vec<u8>,
    sig: Vec<u8>,
    digest: Vec<u8>,
}

fn parts(folder: &str) -> Parts {
    let image = tv::read(&format!("pq/{folder}/image_v1_signed.bin"));
    let ks = tv::read(&format!("pq/{folder}/keystore.der"));
    let size: usize = String::from_utf8(tv::read(&format!("pq/{folder}/header_size")))
        .expect("utf-8")
        .trim()
        .parse()
        .expect("header size");
    let h = ImageHeader::parse(&image, size).expect("header");
    let slot = parse_keystore(&ks).next().expect("slot").expect("slot");
    Parts {
        auth: slot.key_type,
        key: slot.pubkey.to_vec(),
        sig: h.signature().expect("signature").to_vec(),
        digest: h.digest().expect("digest").value.to_vec(),
    }
}

fn check(p: &Parts) -> bool {
    verify_signature(
        p.auth,
        &p.key,
        HashAlgorithm::Sha256,
        &p.digest,
        &p.sig,
        &VerifyPolicy::new(),
    )
    .is_ok()
}

/// Run `f` after `depth` frames of 1 KiB have been pushed; returns `f`'s
/// result and the stack address of the deepest frame.
fn burn(depth: usize, f: &dyn Fn() -> bool) -> (bool, usize) {
    let buf = std::hint::black_box([0u8; 1024]);
    let here = &buf as *const _ as usize;
    if depth == 0 {
        (f(), here)
    } else {
        let r = burn(depth - 1, f);
        std::hint::black_box(&buf);
        r
    }
}

/// Stack the check of `folder` needs, measured below the caller's frame:
/// in a 1 MiB thread, the deepest burn that still lets the check complete
/// leaves about that much stack below it; the same figure for an empty
/// check (call overhead, the guard page) is subtracted.
fn stack_below(folder: &str) -> usize {
    let exe = std::env::current_exe().expect("exe");
    let free = |f: &str| {
        let runs = |d: usize| {
            Command::new(&exe)
                .args(["burn", f, &d.to_string()])
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| {
                    String::from_utf8(o.stdout)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
        };
        let (mut lo, mut hi) = (0usize, 1024usize);
        let mut left = runs(0).expect("depth 0 runs");
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            match runs(mid) {
                Some(l) => {
                    lo = mid;
                    left = l;
                }
                None => hi = mid,
            }
        }
        left
    };
    // The stack left below the deepest frame at the deepest burn that
    // completes is (to 1 KiB) what the check needs.
    free(folder).saturating_sub(free("none"))
}

fn probe(folder: &str, stack: usize) -> bool {
    if folder == "none" {
        return std::thread::Builder::new()
            .stack_size(stack)
            .spawn(|| std::hint::black_box(true))
            .expect("spawn")
            .join()
            .unwrap_or(false);
    }
    let p = parts(folder);
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || check(&p))
        .expect("spawn")
        .join()
        .unwrap_or(false)
}

fn fits(folder: &str, stack: usize) -> bool {
    let exe = std::env::current_exe().expect("exe");
    Command::new(exe)
        .args(["probe", folder, &stack.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn smallest_stack(folder: &str) -> usize {
    let (mut lo, mut hi) = (0usize, 1 << 20);
    assert!(fits(folder, hi), "{folder}: 1 MiB is not enough");
    while hi - lo > 256 {
        let mid = (lo + hi) / 2;
        if fits(folder, mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("burn") {
        // Print the stack left below the deepest burn frame of a 1 MiB
        // thread (its top measured by a local of the thread's entry).
        let folder = args[2].clone();
        let depth: usize = args[3].parse().expect("depth");
        let r = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let top = 0u8;
                let top = &top as *const u8 as usize;
                let p = (folder != "none").then(|| parts(&folder));
                let f = move || p.as_ref().is_none_or(check);
                let (ok, deepest) = burn(depth, &f);
                (ok, (1usize << 20).saturating_sub(top - deepest))
            })
            .expect("spawn")
            .join();
        match r {
            Ok((true, left)) => {
                println!("{left}");
                std::process::exit(0)
            }
            _ => std::process::exit(1),
        }
    }
    if args.get(1).map(String::as_str) == Some("probe") {
        let ok = probe(&args[2], args[3].parse().expect("size"));
        std::process::exit(if ok { 0 } else { 1 });
    }
    println!(
        "{:<26} {:>12} {:>14} {:>14}",
        "vector", "verify (µs)", "thread stack", "stack used"
    );
    for folder in FOLDERS.iter().take(5) {
        let p = parts(folder);
        assert!(check(&p), "{folder} does not verify");
        let runs = 20;
        let mut times: Vec<u128> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                assert!(check(&p));
                t.elapsed().as_micros()
            })
            .collect();
        times.sort_unstable();
        println!(
            "{folder:<26} {:>12} {:>14} {:>14}",
            times[runs / 2],
            smallest_stack(folder),
            stack_below(folder)
        );
    }
    println!(
        "(x86-64, release; median of 20 runs. thread stack: smallest that completes, to \
         256 bytes, floored by the platform's minimum ({} for an empty thread); \
         stack used: measured below 1 KiB frames, to about 1 KiB)",
        smallest_stack("none")
    );
}
