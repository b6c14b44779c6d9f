//! Signing speed: one signed image per algorithm over a synthetic payload.

use crate::error::Result;
use crate::keys::{KeyKind, PrivateKey};
use crate::sign::{sign_payload, ImageSpec};
use std::time::{Duration, Instant};
use wolfboot_image_format::{AuthType, HashAlgorithm};

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Algorithm name as the flags spell it.
    pub name: String,
    /// Hash used.
    pub hash: HashAlgorithm,
    /// Fastest of the runs (hash + sign + header).
    pub best: Duration,
    /// Mean of the runs.
    pub mean: Duration,
}

/// The configurations measured by default.
pub fn default_cases() -> Vec<(AuthType, HashAlgorithm)> {
    vec![
        (AuthType::Ed25519, HashAlgorithm::Sha256),
        (AuthType::Ed448, HashAlgorithm::Sha256),
        (AuthType::Ecc256, HashAlgorithm::Sha256),
        (AuthType::Ecc384, HashAlgorithm::Sha384),
        (AuthType::Ecc521, HashAlgorithm::Sha384),
        (AuthType::Rsa2048, HashAlgorithm::Sha256),
        (AuthType::Rsa3072, HashAlgorithm::Sha256),
        (AuthType::Rsa4096, HashAlgorithm::Sha256),
        (AuthType::RsaPss2048, HashAlgorithm::Sha256),
        (AuthType::None, HashAlgorithm::Sha256),
        (AuthType::Ed25519, HashAlgorithm::Sha3_384),
    ]
}

/// Time signing a `size`-byte payload `iterations` times per case (keys are
/// generated once per case, outside the timing).
pub fn run(
    size: usize,
    iterations: u32,
    cases: &[(AuthType, HashAlgorithm)],
) -> Result<Vec<BenchResult>> {
    let payload: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(13) + 32) as u8).collect();
    let iterations = iterations.max(1);
    let mut out = Vec::new();
    for &(auth, hash) in cases {
        let key = match KeyKind::for_auth(auth) {
            Some(kind) => Some(PrivateKey::generate(kind)?),
            None => None,
        };
        let spec = ImageSpec {
            auth,
            digest_info: false,
            hash,
            version: 1,
            timestamp: Some(0),
            partition_id: 1,
            custom_tlvs: &[],
            min_header_size: None,
            delta: None,
        };
        let mut best = Duration::MAX;
        let mut total = Duration::ZERO;
        for _ in 0..iterations {
            let t = Instant::now();
            let signed = sign_payload(&spec, key.as_ref(), &payload)?;
            let dt = t.elapsed();
            std::hint::black_box(signed);
            best = best.min(dt);
            total += dt;
        }
        out.push(BenchResult {
            name: auth.name().to_string(),
            hash,
            best,
            mean: total / iterations,
        });
    }
    Ok(out)
}

/// Text table of results.
pub fn render(size: usize, results: &[BenchResult]) -> String {
    let mut s = format!("sign-cli bench: {size}-byte payload (hash + sign + header)\n");
    s.push_str(&format!(
        "{:<12} {:<9} {:>12} {:>12}\n",
        "algorithm", "hash", "best ms", "mean ms"
    ));
    for r in results {
        s.push_str(&format!(
            "{:<12} {:<9} {:>12.3} {:>12.3}\n",
            r.name,
            r.hash.name(),
            r.best.as_secs_f64() * 1e3,
            r.mean.as_secs_f64() * 1e3
        ));
    }
    s
}
