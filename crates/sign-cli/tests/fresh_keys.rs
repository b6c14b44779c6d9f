//! `keygen` → sign → verify round trips with freshly generated keys, and
//! other key containers (PKCS#8, SEC1, PEM).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use wolfboot_test_vectors as tv;

fn sign_flags(kind: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    let all = vec!["--sha256", "--sha384", "--sha3"];
    let pss = vec!["--sha256", "--sha384"];
    match kind {
        "ed25519" => vec![("--ed25519", all)],
        "ed448" => vec![("--ed448", all)],
        "ecc256" => vec![("--ecc256", all)],
        "ecc384" => vec![("--ecc384", all)],
        "ecc521" => vec![("--ecc521", all)],
        "rsa2048" => vec![
            ("--rsa2048", all.clone()),
            ("--rsa2048enc", all),
            ("--rsapss2048", pss),
        ],
        "rsa3072" => vec![
            ("--rsa3072", all.clone()),
            ("--rsa3072enc", all),
            ("--rsapss3072", pss),
        ],
        "rsa4096" => vec![
            ("--rsa4096", all.clone()),
            ("--rsa4096enc", all),
            ("--rsapss4096", pss),
        ],
        _ => unreachable!(),
    }
}

#[test]
fn keygen_sign_verify_every_algorithm() {
    let dir = scratch("fresh");
    std::fs::copy(tv::path("payload_4096.bin"), dir.join("fw.bin")).unwrap();
    for kind in [
        "ed25519", "ed448", "ecc256", "ecc384", "ecc521", "rsa2048", "rsa3072", "rsa4096",
    ] {
        let kdir = dir.join(kind);
        std::fs::create_dir_all(&kdir).unwrap();
        let key = kdir.join(format!("{kind}.der"));
        let flag = format!("--{kind}");
        run_ok(
            &dir,
            &[
                "keygen",
                &flag,
                "-g",
                key.to_str().unwrap(),
                "--exportpubkey",
            ],
        );
        let pubkey = kdir.join(format!("{kind}_pub.der"));
        let private = std::fs::read(&key).unwrap();
        let public = std::fs::read(&pubkey).unwrap();
        let parsed = sign_cli::keys::parse_private_key(&private, None).unwrap();
        assert_eq!(parsed.kind().name(), kind);
        assert_eq!(parsed.public_key(), public);

        // keystore.der: slot 0, key type, all partitions, fixed key size, key padded.
        let ks = std::fs::read(kdir.join("keystore.der")).unwrap();
        let size = u32::from_le_bytes(ks[12..16].try_into().unwrap()) as usize;
        assert_eq!(&ks[0..4], &0u32.to_le_bytes());
        assert_eq!(
            u32::from_le_bytes(ks[4..8].try_into().unwrap()),
            u32::from(parsed.kind().default_auth().code())
        );
        assert_eq!(&ks[8..12], &0xFFFF_FFFFu32.to_le_bytes());
        assert_eq!(size, parsed.kind().default_auth().keystore_pubkey_size());
        assert_eq!(ks.len(), 16 + size);
        assert_eq!(&ks[16..16 + public.len()], &public[..]);
        assert!(ks[16 + public.len()..].iter().all(|b| *b == 0));
        let slot = wolfboot_verify::parse_keystore_slot(&ks).expect("our keystore.der parses");
        assert_eq!(slot.pubkey, &public[..]);
        let rs = std::fs::read_to_string(kdir.join("keystore.rs")).unwrap();
        assert!(
            rs.contains("pub static KEYSTORE: wolfboot_verify::Keystore<'static>"),
            "{rs}"
        );

        for (flag, hashes) in sign_flags(kind) {
            for hash in hashes {
                let out = kdir.join(format!("{}{}.bin", &flag[2..], hash));
                run_ok(
                    &dir,
                    &[
                        flag,
                        hash,
                        "-o",
                        out.to_str().unwrap(),
                        "fw.bin",
                        key.to_str().unwrap(),
                        "5",
                    ],
                );
                let enc = if flag.ends_with("enc") {
                    "digestinfo"
                } else {
                    "raw"
                };
                assert_valid_both(&out, &pubkey, &["--rsa-encoding", enc]);
                // The binary keystore works as the trusted key store too.
                run_ok(
                    &dir,
                    &[
                        "verify",
                        out.to_str().unwrap(),
                        "--keystore",
                        kdir.join("keystore.der").to_str().unwrap(),
                    ],
                );
            }
        }
    }
}

#[test]
fn keygen_refuses_to_overwrite() {
    let dir = scratch("keygen-overwrite");
    run_ok(&dir, &["keygen", "--ed25519", "-g", "k.der"]);
    let before = std::fs::read(dir.join("k.der")).unwrap();
    let line = run_err(&dir, &["keygen", "--ed25519", "-g", "k.der"]);
    assert!(line.contains("exists"), "{line}");
    assert_eq!(std::fs::read(dir.join("k.der")).unwrap(), before);
    run_ok(&dir, &["keygen", "--ed25519", "-g", "k.der", "--force"]);
    assert_ne!(std::fs::read(dir.join("k.der")).unwrap(), before);
}

/// Re-encode a wolfBoot raw key as PKCS#8 / SEC1 / PEM with Python's
/// `cryptography`, so the containers come from an independent encoder.
fn python_reencode(kind: &str, raw: &Path, out: &Path, format: &str) {
    let script = r#"
import sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, ed448
kind, raw, out, fmt = sys.argv[1], open(sys.argv[2], 'rb').read(), sys.argv[3], sys.argv[4]
if kind == 'ed25519':
    k = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
elif kind == 'ed448':
    k = ed448.Ed448PrivateKey.from_private_bytes(raw[:57])
elif kind.startswith('ecc'):
    n = {'ecc256': 32, 'ecc384': 48, 'ecc521': 66}[kind]
    curve = {'ecc256': ec.SECP256R1(), 'ecc384': ec.SECP384R1(), 'ecc521': ec.SECP521R1()}[kind]
    k = ec.derive_private_key(int.from_bytes(raw[2*n:], 'big'), curve)
else:
    k = s.load_der_private_key(raw, None)
enc = {'pkcs8-der': (s.Encoding.DER, s.PrivateFormat.PKCS8),
       'pkcs8-pem': (s.Encoding.PEM, s.PrivateFormat.PKCS8),
       'trad-pem': (s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL),
       'trad-der': (s.Encoding.DER, s.PrivateFormat.TraditionalOpenSSL)}[fmt]
open(out, 'wb').write(k.private_bytes(enc[0], enc[1], s.NoEncryption()))
"#;
    let st = Command::new("python3")
        .args(["-c", script, kind])
        .arg(raw)
        .arg(out)
        .arg(format)
        .status()
        .expect("python3");
    assert!(st.success(), "re-encode {kind} {format}");
}

#[test]
fn standard_key_containers_sign_like_the_raw_key() {
    let dir = scratch("containers");
    let payload = tv::path("payload_255.bin");
    for kind in ["ed25519", "ed448", "ecc256", "ecc384", "ecc521", "rsa2048"] {
        let raw = tv::path(&format!("keys/{kind}/{kind}.der"));
        let pubkey = tv::path(&format!("keys/{kind}/{kind}_pub.der"));
        let reference = dir.join(format!("{kind}-raw.bin"));
        run_ok(
            &dir,
            &[
                &format!("--{kind}"),
                "--timestamp",
                "1",
                "-o",
                reference.to_str().unwrap(),
                payload.to_str().unwrap(),
                raw.to_str().unwrap(),
                "3",
            ],
        );
        let mut formats = vec!["pkcs8-der", "pkcs8-pem"];
        if kind.starts_with("ecc") || kind.starts_with("rsa") {
            formats.extend(["trad-pem", "trad-der"]);
        }
        for fmt in formats {
            let key = dir.join(format!("{kind}.{fmt}"));
            python_reencode(kind, &raw, &key, fmt);
            let out = dir.join(format!("{kind}-{fmt}.bin"));
            // Explicit algorithm, then auto-detection.
            run_ok(
                &dir,
                &[
                    &format!("--{kind}"),
                    "--timestamp",
                    "1",
                    "-o",
                    out.to_str().unwrap(),
                    payload.to_str().unwrap(),
                    key.to_str().unwrap(),
                    "3",
                ],
            );
            assert_valid_both(&out, &pubkey, &[]);
            let ours = std::fs::read(&out).unwrap();
            let refb = std::fs::read(&reference).unwrap();
            if kind.starts_with("ed") || kind.starts_with("rsa") {
                assert_eq!(
                    ours, refb,
                    "{kind} {fmt}: same key, same deterministic image"
                );
            } else {
                let (at, _) = signature_range(&refb).unwrap();
                assert_eq!(ours[..at], refb[..at], "{kind} {fmt}: same header");
            }
            let auto = dir.join(format!("{kind}-{fmt}-auto.bin"));
            run_ok(
                &dir,
                &[
                    "--timestamp",
                    "1",
                    "-o",
                    auto.to_str().unwrap(),
                    payload.to_str().unwrap(),
                    key.to_str().unwrap(),
                    "3",
                ],
            );
            assert_valid_both(&auto, &pubkey, &[]);
        }
    }
}
