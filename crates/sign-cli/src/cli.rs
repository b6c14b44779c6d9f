//! Command dispatch: wolfBoot's `sign` form, or one of our subcommands.

use crate::args::{parse_sign_args, SignCommand, SIGN_HELP};
use crate::bench;
use crate::error::{write_file, Error, Result};
use crate::inspect::{hex, inspect};
use crate::keys::{load_public_key, KeyKind, PrivateKey};
use crate::keystore::{keystore_der, keystore_rs, SlotSpec};
use crate::run::run_sign;
use crate::sign::{Artifact, SignRequest};
use crate::verify::{run_verify, VerifyRequest};
use clap::{ArgGroup, Parser};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use wolfboot_image_format::{AuthType, HashAlgorithm};

/// Program name used in messages.
pub const PROG: &str = "sign-cli";

/// `sign-cli keygen`.
#[derive(Debug, Parser)]
#[command(
    name = "sign-cli keygen",
    about = "Generate signing keys as wolfBoot's keygen does, plus the keystore files",
    group(ArgGroup::new("alg").args([
        "ed25519", "ed448", "ecc256", "ecc384", "ecc521", "rsa2048", "rsa3072", "rsa4096",
        "ml_dsa", "lms", "xmss"
    ]))
)]
struct KeygenArgs {
    /// Ed25519 key.
    #[arg(long)]
    ed25519: bool,
    /// Ed448 key.
    #[arg(long)]
    ed448: bool,
    /// ECDSA P-256 key.
    #[arg(long)]
    ecc256: bool,
    /// ECDSA P-384 key.
    #[arg(long)]
    ecc384: bool,
    /// ECDSA P-521 key.
    #[arg(long)]
    ecc521: bool,
    /// RSA-2048 key (also for --rsapss2048 / --rsa2048enc signing).
    #[arg(long)]
    rsa2048: bool,
    /// RSA-3072 key.
    #[arg(long)]
    rsa3072: bool,
    /// RSA-4096 key.
    #[arg(long)]
    rsa4096: bool,
    /// ML-DSA key: level from ML_DSA_LEVEL (2, 3 or 5; default 2). With
    /// -i, classic public keys join the keystore (a hybrid keystore).
    #[arg(long = "ml_dsa")]
    ml_dsa: bool,
    /// LMS key (stateful): LMS_LEVELS=1, LMS_HEIGHT (default 10),
    /// LMS_WINTERNITZ (default 8) as wolfBoot reads them.
    #[arg(long)]
    lms: bool,
    /// XMSS key (stateful), XMSS_PARAMS=XMSS-SHA2_10_256 only. Its BDS cache
    /// area is zeroed: keep signing it with sign-cli.
    #[arg(long)]
    xmss: bool,
    /// Generate a private key into FILE (wolfBoot raw format); repeatable.
    #[arg(short = 'g', value_name = "FILE")]
    generate: Vec<PathBuf>,
    /// Import a public key FILE into the keystore; repeatable.
    #[arg(short = 'i', value_name = "FILE")]
    import: Vec<PathBuf>,
    /// Also write each public key to <name>_pub<.ext> (keystore form).
    #[arg(long)]
    exportpubkey: bool,
    /// Binary keystore file (default: keystore.der beside the first key).
    #[arg(long, value_name = "FILE")]
    keystore_der: Option<PathBuf>,
    /// Rust keystore source file (default: keystore.rs beside keystore.der).
    #[arg(long, value_name = "FILE")]
    keystore_rs: Option<PathBuf>,
    /// Partition mask of the keys (bit n: may sign for partition n).
    #[arg(long, value_name = "MASK", default_value = "0xFFFFFFFF", value_parser = parse_mask)]
    id_mask: u32,
    /// Overwrite existing private key files.
    #[arg(long)]
    force: bool,
}

fn parse_mask(s: &str) -> std::result::Result<u32, String> {
    crate::args::parse_num(s)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| format!("invalid mask: {s}"))
}

/// `sign-cli inspect`.
#[derive(Debug, Parser)]
#[command(
    name = "sign-cli inspect",
    about = "Show every header field of a wolfBoot image"
)]
struct InspectArgs {
    /// Signed image.
    image: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Header size (IMAGE_HEADER_SIZE), when larger than the smallest that fits.
    #[arg(long, value_name = "N")]
    header_size: Option<usize>,
}

/// `sign-cli verify`.
#[derive(Debug, Parser)]
#[command(
    name = "sign-cli verify",
    about = "Verify a wolfBoot image as the bootloader does (exit 0 only when valid)"
)]
struct VerifyArgs {
    /// Signed image.
    image: PathBuf,
    /// Trusted public key (keystore form, SubjectPublicKeyInfo, or a private key); repeatable.
    #[arg(long, value_name = "KEY")]
    pubkey: Vec<PathBuf>,
    /// Trusted keys from a wolfBoot binary keystore (keystore.der); repeatable.
    #[arg(long, value_name = "FILE")]
    keystore: Vec<PathBuf>,
    /// Partition id the image must be built for.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=15))]
    id: Option<u8>,
    /// Accept an unsigned (--no-sign) image on its digest alone.
    #[arg(long)]
    allow_unsigned: bool,
    /// The bootloader's IMAGE_HEADER_SIZE (default: the smallest that fits, as sign sizes it).
    #[arg(long, value_name = "N")]
    header_size: Option<usize>,
}

/// `sign-cli bench`.
#[derive(Debug, Parser)]
#[command(name = "sign-cli bench", about = "Time image signing per algorithm")]
struct BenchArgs {
    /// Payload size in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    size: usize,
    /// Runs per algorithm.
    #[arg(long, default_value_t = 3)]
    iterations: u32,
}

fn parse_clap<T: Parser>(args: Vec<String>) -> Result<Option<T>> {
    match T::try_parse_from(args) {
        Ok(v) => Ok(Some(v)),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                print!("{e}");
                Ok(None)
            }
            _ => {
                let text = e.to_string();
                let line = text.lines().next().unwrap_or("invalid arguments");
                Err(Error::Usage(line.trim_start_matches("error: ").to_string()))
            }
        },
    }
}

fn cipher_name(auth: AuthType, digest_info: bool) -> String {
    let mut s = auth.name().to_uppercase();
    if digest_info {
        s.push_str("ENC");
    }
    s
}

fn hash_name(h: HashAlgorithm) -> &'static str {
    match h {
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha384 => "SHA384",
        HashAlgorithm::Sha3_384 => "SHA3",
    }
}

fn cmd_sign(req: &SignRequest) -> Result<()> {
    let report = run_sign(req)?;
    println!("wolfboot-rs {PROG} {}", env!("CARGO_PKG_VERSION"));
    println!(
        "Update type:          {}",
        if req.partition_id == 0 {
            "wolfBoot"
        } else {
            "Firmware"
        }
    );
    println!("Input image:          {}", req.image.display());
    println!(
        "Selected cipher:      {}",
        cipher_name(report.auth, report.digest_info)
    );
    println!("Selected hash  :      {}", hash_name(req.hash));
    if let Some(key) = &req.key {
        println!("Private key:          {}", key.display());
    }
    match (req.pq, report.key_kind, &req.secondary_key) {
        (Some(_), Some(kind), Some(key2)) => {
            println!("Secondary key:        {} ({kind})", key2.display());
        }
        (Some(_), _, _) => {}
        (None, Some(kind), _) => println!("Key type:             {kind}"),
        (None, None, _) => {}
    }
    if report.auth == AuthType::None {
        println!("*** WARNING: cipher 'none' selected: the image is not authenticated");
    }
    println!(
        "Target partition id : {}{}",
        req.partition_id,
        if req.partition_id == 0 {
            " (bootloader)"
        } else {
            ""
        }
    );
    println!("Manifest header size: {}", report.header_size);
    println!("Payload size:         {}", report.payload_size);
    let what = match req.artifact {
        Artifact::Signed => "image",
        Artifact::HeaderOnly => "header",
        Artifact::DigestOnly => "digest",
    };
    println!("Output {what:>6}:        {}", report.output.display());
    if let Some(p) = &report.encrypted {
        println!("Encrypted image:      {}", p.display());
    }
    if let Some(d) = &report.diff {
        println!(
            "Delta image:          {} ({} bytes: forward patch {}, inverse patch {})",
            d.path.display(),
            d.total_len,
            d.forward_len,
            d.inverse_len
        );
        if let Some(p) = &d.encrypted {
            println!("Encrypted delta:      {}", p.display());
        }
    }
    println!("Output image(s) successfully created.");
    Ok(())
}

/// `keys/ecc256.der` → `keys/ecc256_pub.der` (wolfBoot inserts `_pub` before
/// the first `.` of the name).
pub fn pub_file_name(private: &Path) -> PathBuf {
    let name = private
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let new = match name.find('.') {
        Some(i) => format!("{}_pub{}", &name[..i], &name[i..]),
        None => format!("{name}_pub"),
    };
    private.with_file_name(new)
}

fn cmd_keygen(a: KeygenArgs) -> Result<()> {
    if a.ml_dsa || a.lms || a.xmss {
        return cmd_keygen_pq(a);
    }
    let flags = [
        (a.ed25519, KeyKind::Ed25519),
        (a.ed448, KeyKind::Ed448),
        (a.ecc256, KeyKind::Ecc256),
        (a.ecc384, KeyKind::Ecc384),
        (a.ecc521, KeyKind::Ecc521),
        (a.rsa2048, KeyKind::Rsa2048),
        (a.rsa3072, KeyKind::Rsa3072),
        (a.rsa4096, KeyKind::Rsa4096),
    ];
    let kind = flags.iter().find(|(on, _)| *on).map(|(_, k)| *k);
    if a.generate.is_empty() && a.import.is_empty() {
        return Err(Error::usage("keygen needs -g KEYFILE or -i PUBKEY"));
    }
    if !a.generate.is_empty() && kind.is_none() {
        return Err(Error::usage(
            "keygen -g needs a key type (--ed25519, --ecc256, --rsa2048, ...)",
        ));
    }
    let mut slots = Vec::new();
    for path in &a.generate {
        if path.exists() && !a.force {
            return Err(Error::usage(format!(
                "{} exists; refusing to overwrite a key (use --force)",
                path.display()
            )));
        }
    }
    for path in &a.generate {
        let kind = kind.unwrap_or(KeyKind::Ed25519);
        let key = PrivateKey::generate(kind)?;
        write_file(path, &key.to_wolfboot_raw()?)?;
        let public = crate::keys::PublicKey {
            kind,
            bytes: key.public_key(),
        };
        println!("Generated {kind} key: {}", path.display());
        if a.exportpubkey {
            let pub_path = pub_file_name(path);
            write_file(&pub_path, &public.bytes)?;
            println!("Public key:           {}", pub_path.display());
        }
        let mut slot = SlotSpec::new(slots.len() as u32, public, path.display().to_string());
        slot.part_mask = a.id_mask;
        slots.push(slot);
    }
    for path in &a.import {
        let public = load_public_key(path)?;
        println!("Imported {} public key: {}", public.kind, path.display());
        let mut slot = SlotSpec::new(slots.len() as u32, public, path.display().to_string());
        slot.part_mask = a.id_mask;
        slots.push(slot);
    }
    let first = a.generate.first().or(a.import.first());
    let dir = first
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let der_path = a.keystore_der.unwrap_or_else(|| dir.join("keystore.der"));
    let rs_path = a
        .keystore_rs
        .unwrap_or_else(|| der_path.with_file_name("keystore.rs"));
    write_file(&der_path, &keystore_der(&slots))?;
    write_file(&rs_path, keystore_rs(&slots).as_bytes())?;
    for s in &slots {
        println!(
            "Keystore slot {}:      {} ({} bytes, partitions mask {:08x})",
            s.slot_id,
            s.key.kind,
            s.key.bytes.len(),
            s.part_mask
        );
    }
    println!("Keystore (binary):    {}", der_path.display());
    println!("Keystore (Rust):      {}", rs_path.display());
    Ok(())
}

/// `keygen --ml_dsa` / `--lms`: key files in wolfBoot's layout and a binary
/// keystore (generated post-quantum keys first, then imported keys).
fn cmd_keygen_pq(a: KeygenArgs) -> Result<()> {
    let auth = if a.ml_dsa {
        AuthType::MlDsa
    } else if a.lms {
        AuthType::Lms
    } else {
        AuthType::Xmss
    };
    if a.generate.is_empty() {
        return Err(Error::usage(
            "keygen --ml_dsa / --lms / --xmss needs -g KEYFILE",
        ));
    }
    for path in &a.generate {
        if path.exists() && !a.force {
            return Err(Error::usage(format!(
                "{} exists; refusing to overwrite a key (use --force)",
                path.display()
            )));
        }
    }
    let mut der = Vec::new();
    let mut raw = Vec::new();
    let mut slot_id = 0u32;
    for path in &a.generate {
        let (file, public) = crate::pq::generate(auth)?;
        write_file(path, &file)?;
        println!("Generated {auth} key: {}", path.display());
        if a.exportpubkey {
            let pub_path = pub_file_name(path);
            write_file(&pub_path, &public)?;
            println!("Public key:           {}", pub_path.display());
        }
        der.extend(crate::keystore::raw_slot_bytes(
            slot_id,
            auth,
            a.id_mask,
            &public,
            public.len(),
        ));
        raw.push(crate::keystore::RawSlot {
            slot_id,
            auth,
            part_mask: a.id_mask,
            key: public.clone(),
            origin: path.display().to_string(),
        });
        println!(
            "Keystore slot {slot_id}:      {auth} ({} bytes, partitions mask {:08x})",
            public.len(),
            a.id_mask
        );
        slot_id += 1;
    }
    for path in &a.import {
        let public = load_public_key(path)?;
        println!("Imported {} public key: {}", public.kind, path.display());
        let mut slot = SlotSpec::new(slot_id, public, path.display().to_string());
        slot.part_mask = a.id_mask;
        der.extend(crate::keystore::slot_bytes(&slot));
        raw.push(crate::keystore::RawSlot {
            slot_id,
            auth: slot.key.kind.default_auth(),
            part_mask: a.id_mask,
            key: slot.key.bytes.clone(),
            origin: slot.origin.clone(),
        });
        slot_id += 1;
    }
    let dir = a
        .generate
        .first()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let der_path = a.keystore_der.unwrap_or_else(|| dir.join("keystore.der"));
    let rs_path = a
        .keystore_rs
        .unwrap_or_else(|| der_path.with_file_name("keystore.rs"));
    write_file(&der_path, &der)?;
    write_file(&rs_path, crate::keystore::keystore_rs_raw(&raw).as_bytes())?;
    println!("Keystore (binary):    {}", der_path.display());
    println!("Keystore (Rust):      {}", rs_path.display());
    Ok(())
}

fn cmd_inspect(a: InspectArgs) -> Result<()> {
    let bytes = crate::error::read_file(&a.image)?;
    let report = inspect(&bytes, a.header_size)?;
    let name = a.image.display().to_string();
    if a.json {
        let text = serde_json::to_string_pretty(&report.to_json(&name))
            .map_err(|e| Error::Image(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", report.to_text(&name));
    }
    Ok(())
}

fn cmd_verify(a: VerifyArgs) -> Result<()> {
    let req = VerifyRequest {
        image: a.image,
        pubkeys: a.pubkey,
        keystores: a.keystore,
        partition_id: a.id,
        allow_unsigned: a.allow_unsigned,
        header_size: a.header_size,
    };
    let v = run_verify(&req)?;
    let auth = v
        .image_type
        .auth()
        .map_or_else(|| "unknown".to_string(), |a| a.name().to_string());
    println!(
        "{}: OK (version {}, {auth}, {}, partition {}, header {} + payload {} bytes{})",
        req.image.display(),
        v.version,
        v.digest.algorithm(),
        v.image_type.partition_id(),
        v.header_size,
        v.payload_size,
        v.key_slot
            .map(|s| format!(", key slot {s}"))
            .unwrap_or_else(|| ", unsigned".to_string())
            + &v.secondary
                .map(|(a, s)| format!(" + {a} key slot {s} (hybrid)"))
                .unwrap_or_default()
    );
    println!("digest: {}", hex(v.digest.as_bytes()));
    Ok(())
}

fn cmd_bench(a: BenchArgs) -> Result<()> {
    let results = bench::run(a.size, a.iterations, &bench::default_cases())?;
    print!("{}", bench::render(a.size, &results));
    Ok(())
}

/// Run the tool; returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    match dispatch(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{PROG}: error: {e}");
            e.exit_code()
        }
    }
}

fn dispatch(args: impl IntoIterator<Item = OsString>) -> Result<()> {
    let mut args = args
        .into_iter()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| Error::usage(format!("argument is not valid UTF-8: {a:?}")))
        })
        .collect::<Result<Vec<String>>>()?;
    let sub = args.first().cloned().unwrap_or_default();
    let with_name = |rest: &[String], name: &str| {
        std::iter::once(format!("{PROG} {name}"))
            .chain(rest.iter().cloned())
            .collect::<Vec<_>>()
    };
    match sub.as_str() {
        "keygen" => {
            if let Some(a) = parse_clap::<KeygenArgs>(with_name(&args[1..], "keygen"))? {
                cmd_keygen(a)?;
            }
            Ok(())
        }
        "inspect" => {
            if let Some(a) = parse_clap::<InspectArgs>(with_name(&args[1..], "inspect"))? {
                cmd_inspect(a)?;
            }
            Ok(())
        }
        "verify" => {
            if let Some(a) = parse_clap::<VerifyArgs>(with_name(&args[1..], "verify"))? {
                cmd_verify(a)?;
            }
            Ok(())
        }
        "bench" => {
            if let Some(a) = parse_clap::<BenchArgs>(with_name(&args[1..], "bench"))? {
                cmd_bench(a)?;
            }
            Ok(())
        }
        "help" => {
            print!("{SIGN_HELP}");
            Ok(())
        }
        _ => {
            if sub == "sign" {
                args.remove(0);
            }
            if args.is_empty() {
                print!("{SIGN_HELP}");
                return Err(Error::usage("missing arguments: IMAGE KEY VERSION"));
            }
            match parse_sign_args(args)? {
                SignCommand::Help => {
                    print!("{SIGN_HELP}");
                    Ok(())
                }
                SignCommand::Version => {
                    println!(
                        "{PROG} {} (wolfBoot-compatible sign)",
                        env!("CARGO_PKG_VERSION")
                    );
                    Ok(())
                }
                SignCommand::Sign(req) => cmd_sign(&req),
            }
        }
    }
}
