//! Signing time for a 1 MB payload per algorithm (hash + sign + header).
//!
//! `cargo run --release -p sign-cli --example bench_sign [-- SIZE_BYTES [ITERATIONS]]`
//! (the same as `sign-cli bench --size N --iterations N`).

fn main() {
    let mut args = std::env::args().skip(1);
    let size = args.next().and_then(|s| s.parse().ok()).unwrap_or(1 << 20);
    let iterations = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    match sign_cli::bench::run(size, iterations, &sign_cli::bench::default_cases()) {
        Ok(results) => print!("{}", sign_cli::bench::render(size, &results)),
        Err(e) => {
            eprintln!("bench_sign: error: {e}");
            std::process::exit(1);
        }
    }
}
