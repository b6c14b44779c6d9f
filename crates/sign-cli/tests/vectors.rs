//! Interop with wolfBoot's own tools: reproduce the images its `sign` made,
//! sign with the keys its `keygen` made, check everything with both our
//! verifier and the independent Python checker.

mod common;

use common::*;
use std::path::Path;
use wolfboot_test_vectors as tv;

/// The algorithm × hash matrix wolfBoot supports.
fn matrix() -> Vec<(&'static str, &'static str, &'static str)> {
    // (flag, key directory, hash flag)
    let mut v = Vec::new();
    for (flag, dir) in [
        ("--ed25519", "ed25519"),
        ("--ed448", "ed448"),
        ("--ecc256", "ecc256"),
        ("--ecc384", "ecc384"),
        ("--ecc521", "ecc521"),
        ("--rsa2048", "rsa2048"),
        ("--rsa3072", "rsa3072"),
        ("--rsa4096", "rsa4096"),
        ("--rsa2048enc", "rsa2048"),
        ("--rsa3072enc", "rsa3072"),
        ("--rsa4096enc", "rsa4096"),
    ] {
        for hash in ["--sha256", "--sha384", "--sha3"] {
            v.push((flag, dir, hash));
        }
    }
    for (flag, dir) in [
        ("--rsapss2048", "rsa2048"),
        ("--rsapss3072", "rsa3072"),
        ("--rsapss4096", "rsa4096"),
    ] {
        for hash in ["--sha256", "--sha384"] {
            v.push((flag, dir, hash));
        }
    }
    v
}

#[test]
fn seed_command_as_written() {
    let dir = scratch("seed");
    std::fs::copy(tv::path("payload_4096.bin"), dir.join("firmware.bin")).unwrap();
    std::fs::copy(tv::path("keys/ecc256/ecc256.der"), dir.join("ecc256.der")).unwrap();
    let out = run_ok(
        &dir,
        &["--ecc256", "--sha256", "firmware.bin", "ecc256.der", "2"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("firmware_v2_signed.bin"), "{stdout}");
    assert!(stdout.contains("Manifest header size: 256"), "{stdout}");
    let signed = dir.join("firmware_v2_signed.bin");
    let bytes = std::fs::read(&signed).unwrap();
    assert_eq!(&bytes[..4], b"WOLF");
    assert_eq!(bytes.len(), 256 + 4096);
    // Timestamp = the input file's ctime.
    let ts = image_timestamp(&bytes).expect("timestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(ts <= now && now - ts < 3600, "timestamp {ts} vs now {now}");
    assert_valid_both(
        &signed,
        &tv::path("keys/ecc256/ecc256_pub.der"),
        &["--expect-version", "2"],
    );
}

#[test]
fn every_algorithm_and_hash_with_wolfboot_keys() {
    let dir = scratch("matrix-vector-keys");
    std::fs::copy(tv::path("payload_4096.bin"), dir.join("fw.bin")).unwrap();
    for (i, (flag, kdir, hash)) in matrix().into_iter().enumerate() {
        let key = tv::path(&format!("keys/{kdir}/{kdir}.der"));
        let pubkey = tv::path(&format!("keys/{kdir}/{kdir}_pub.der"));
        let out = dir.join(format!("out{i}.bin"));
        run_ok(
            &dir,
            &[
                flag,
                hash,
                "-o",
                out.to_str().unwrap(),
                "fw.bin",
                key.to_str().unwrap(),
                &(100 + i).to_string(),
            ],
        );
        let encoding = if flag.ends_with("enc") {
            "digestinfo"
        } else {
            "raw"
        };
        assert_valid_both(
            &out,
            &pubkey,
            &[
                "--rsa-encoding",
                encoding,
                "--payload",
                dir.join("fw.bin").to_str().unwrap(),
            ],
        );
    }
}

#[test]
fn rsa_pss_refuses_sha3() {
    let dir = scratch("pss-sha3");
    let key = tv::path("keys/rsa2048/rsa2048.der");
    let line = run_err(
        &dir,
        &[
            "--rsapss2048",
            "--sha3",
            tv::path("payload_1.bin").to_str().unwrap(),
            key.to_str().unwrap(),
            "1",
        ],
    );
    assert!(line.contains("RSA-PSS"), "{line}");
}

/// The wolfBoot command of a vector, rewritten for this tool: encryption
/// flags dropped (the `_signed.bin` is the image before encryption), the
/// vector's timestamp forced, the output redirected.
fn our_args(cmd: &str, timestamp: Option<u64>, out: &Path) -> Vec<String> {
    let mut words: Vec<String> = cmd.split_whitespace().skip(1).map(String::from).collect();
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "--encrypt" => {
                words.drain(i..i + 2);
            }
            "--aes128" | "--aes256" | "--chacha" => {
                words.remove(i);
            }
            _ => i += 1,
        }
    }
    let mut args = Vec::new();
    if let Some(ts) = timestamp {
        args.push("--timestamp".to_string());
        args.push(ts.to_string());
    }
    args.push("-o".to_string());
    args.push(out.display().to_string());
    args.extend(words);
    args
}

fn deterministic(alg: &str) -> bool {
    alg.starts_with("ed") || alg.starts_with("rsa") && !alg.starts_with("rsapss") || alg == "none"
}

#[test]
fn reproduce_wolfboot_images() {
    let dir = scratch("reproduce");
    let vectors = tv::dir().expect("vectors");
    let mut whole = Vec::new();
    let mut header_only = Vec::new();
    for e in tv::entries() {
        if e.kind != "signed_image" || e.valid != Some(true) {
            continue;
        }
        let Some(cmd) = &e.cmd else { continue };
        if cmd.contains("--delta") {
            continue;
        }
        let theirs = tv::read(&e.file);
        let out = dir.join(&e.file);
        let args = our_args(cmd, image_timestamp(&theirs), &out);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_ok(&vectors, &args);
        let ours = std::fs::read(&out).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{}: size", e.file);
        let alg = e.alg.as_deref().unwrap_or("none");
        if deterministic(alg) {
            assert!(ours == theirs, "{}: not byte-for-byte identical", e.file);
            whole.push(e.file.clone());
        } else {
            let (at, len) = signature_range(&theirs).expect("signature");
            assert_eq!(signature_range(&ours), Some((at, len)), "{}", e.file);
            assert_eq!(
                ours[..at],
                theirs[..at],
                "{}: header before the signature",
                e.file
            );
            assert_eq!(
                ours[at + len..],
                theirs[at + len..],
                "{}: after the signature",
                e.file
            );
            header_only.push(e.file.clone());
        }
        let pubkey = e.pubkey.as_deref().map(tv::path);
        let (ok, line) = python_check(&out, pubkey.as_deref(), &[]);
        assert!(ok, "{}: {line}", e.file);
    }
    eprintln!("identical files: {whole:?}");
    eprintln!("identical except the (randomized) signature: {header_only:?}");
    assert!(whole.len() >= 20, "{whole:?}");
    assert!(header_only.len() >= 16, "{header_only:?}");
}

#[test]
fn algorithm_is_detected_from_the_key() {
    let dir = scratch("autodetect");
    let payload = tv::path("payload_255.bin");
    for (kdir, code) in [
        ("ed25519", 0x01u8),
        ("ed448", 0x05),
        ("ecc256", 0x02),
        ("ecc384", 0x06),
        ("ecc521", 0x07),
        ("rsa2048", 0x03),
        ("rsa3072", 0x08),
        ("rsa4096", 0x04),
    ] {
        let out = dir.join(format!("{kdir}.bin"));
        let key = tv::path(&format!("keys/{kdir}/{kdir}.der"));
        run_ok(
            &dir,
            &[
                "-o",
                out.to_str().unwrap(),
                payload.to_str().unwrap(),
                key.to_str().unwrap(),
                "9",
            ],
        );
        let bytes = std::fs::read(&out).unwrap();
        let h = wolfboot_image_format::ImageHeader::parse_auto(&bytes).unwrap();
        assert_eq!(h.image_type().unwrap().auth_code(), code, "{kdir}");
        assert_valid_both(&out, &tv::path(&format!("keys/{kdir}/{kdir}_pub.der")), &[]);
    }
}

#[test]
fn keystore_slots_match_wolfboot_keygen() {
    let dir = scratch("keystore-import");
    for kdir in [
        "ed25519", "ed448", "ecc256", "ecc384", "rsa2048", "rsa3072", "rsa4096",
    ] {
        let pubkey = tv::path(&format!("keys/{kdir}/{kdir}_pub.der"));
        let der = dir.join(format!("{kdir}.keystore.der"));
        run_ok(
            &dir,
            &[
                "keygen",
                "-i",
                pubkey.to_str().unwrap(),
                "--keystore-der",
                der.to_str().unwrap(),
            ],
        );
        assert_eq!(
            std::fs::read(&der).unwrap(),
            tv::read(&format!("keys/{kdir}/keystore.der")),
            "{kdir} keystore.der"
        );
    }
    // wolfBoot's keygen writes a P-521 slot with size 0 and no key; ours
    // carries the 132-byte key (KEYSTORE_PUBKEY_SIZE_ECC521).
    let der = dir.join("ecc521.keystore.der");
    let pubkey = tv::path("keys/ecc521/ecc521_pub.der");
    run_ok(
        &dir,
        &[
            "keygen",
            "-i",
            pubkey.to_str().unwrap(),
            "--keystore-der",
            der.to_str().unwrap(),
        ],
    );
    let ours = std::fs::read(&der).unwrap();
    let theirs = tv::read("keys/ecc521/keystore.der");
    assert_eq!(ours[..12], theirs[..12]);
    assert_eq!(&ours[12..16], &132u32.to_le_bytes());
    assert_eq!(&ours[16..], &tv::read("keys/ecc521/ecc521_pub.der")[..]);
}

#[test]
fn public_keys_match_wolfboot_pub_files() {
    for kdir in [
        "ed25519", "ed448", "ecc256", "ecc384", "ecc521", "rsa2048", "rsa3072", "rsa4096",
    ] {
        let key =
            sign_cli::keys::parse_private_key(&tv::read(&format!("keys/{kdir}/{kdir}.der")), None)
                .unwrap_or_else(|e| panic!("{kdir}: {e}"));
        assert_eq!(
            key.public_key(),
            tv::read(&format!("keys/{kdir}/{kdir}_pub.der")),
            "{kdir}"
        );
        assert_eq!(
            key.to_wolfboot_raw().unwrap(),
            tv::read(&format!("keys/{kdir}/{kdir}.der")),
            "{kdir} raw private key round trip"
        );
    }
}

#[test]
fn verify_accepts_and_refuses_wolfboot_vectors() {
    let vectors = tv::dir().expect("vectors");
    for e in tv::entries() {
        if e.kind != "signed_image" || e.base.is_some() || e.file.starts_with("payload_delta") {
            continue;
        }
        let img = e.file.clone();
        let mut args = vec!["verify".to_string(), img.clone()];
        match &e.pubkey {
            Some(p) => {
                args.push("--pubkey".into());
                args.push(p.clone());
            }
            None => args.push("--allow-unsigned".into()),
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        if e.valid == Some(true) {
            run_ok(&vectors, &argv);
        } else {
            let line = run_err(&vectors, &argv);
            assert!(
                line.contains("verification failed") || line.contains("bad image"),
                "{img}: {line}"
            );
        }
    }
}
