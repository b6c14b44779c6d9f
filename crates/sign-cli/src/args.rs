//! wolfBoot's `sign` command line: `[options] IMAGE KEY VERSION`.
//!
//! Hand-parsed because wolfBoot's flags (`--ecc256`, `--custom-tlv TAG LEN
//! VALUE`, ...) take a variable number of values and the positionals follow
//! them; the accepted spellings are exactly wolfBoot's.

use crate::error::{read_file, Error, Result};
use crate::sign::{Artifact, SignRequest, SignatureChoice, Timestamp};
use std::path::PathBuf;
use wolfboot_encrypt::Algorithm as EncryptAlgorithm;
use wolfboot_image_format::{wire, AuthType, HashAlgorithm};

/// Most custom fields one image may carry (wolfBoot's `MAX_CUSTOM_TLVS`).
pub const MAX_CUSTOM_TLVS: usize = 16;
/// Longest custom field value (wolfBoot's `MAX_TLV_LEN`).
pub const MAX_TLV_LEN: usize = 65524;

/// Usage text of the `sign` form.
pub const SIGN_HELP: &str = "\
Usage: sign-cli [OPTIONS] IMAGE KEY VERSION
       sign-cli --no-sign [OPTIONS] IMAGE VERSION
       sign-cli <keygen|inspect|verify|bench> ...   (see sign-cli <command> --help)

Signs IMAGE for wolfBoot exactly as wolfBoot's `sign` tool does and writes
IMAGE_v<VERSION>_signed.bin next to it (the input's extension is dropped).

Signature algorithm (default: detected from the key file):
  --ed25519  --ed448  --ecc256  --ecc384  --ecc521
  --rsa2048  --rsa3072  --rsa4096            RSA PKCS#1 v1.5 over the raw digest
  --rsa2048enc --rsa3072enc --rsa4096enc     RSA PKCS#1 v1.5 over a DigestInfo
  --rsapss2048 --rsapss3072 --rsapss4096     RSA-PSS (SHA-256/384 only)
  --no-sign                                  no signature (hash only; no KEY argument)
  --ml_dsa                                   ML-DSA (level from the key; ML_DSA_LEVEL=2|3|5 must agree)
  --lms                                      LMS (stateful: the key file's next leaf is used and advanced)
  --xmss                                     XMSS-SHA2_10_256 (stateful likewise)
  --ml_dsa --ecc384 (or another classic flag) hybrid: IMAGE KEY KEY2 VERSION, both signatures

Digest (default --sha256):
  --sha256  --sha384  --sha3 (SHA3-384)

Header fields:
  --id N                       partition id 0..15 (default 1; 0 = bootloader update)
  --wolfboot-update            same as --id 0
  --no-ts                      no timestamp field (default: the input file's ctime)
  --timestamp N                timestamp value N (seconds since 1970), for reproducible images
  --custom-tlv TAG LEN VALUE   number VALUE (decimal or 0x hex) in LEN = 1, 2, 4 or 8 bytes (LE)
  --custom-tlv-buffer TAG HEX  bytes given as an even-length hex string
  --custom-tlv-string TAG STR  the bytes of STR
  --custom-tlv-file TAG FILE   the bytes of FILE
  --cert-chain FILE            certificate chain field (0x0023)
      TAG: decimal or 0x hex, at least 0x30; low or high byte 0xFF is reserved
  --header-size N              minimum header size (multiple of 256; also IMAGE_HEADER_SIZE=N)

Updates:
  --encrypt KEYFILE            also write IMAGE_v<VERSION>_signed_and_encrypted.bin, encrypted
                               with the key then nonce read from KEYFILE
  --chacha | --aes128 | --aes256
                               cipher for --encrypt (default ChaCha20: 32+12 bytes of key
                               file; AES-128: 16+16; AES-256: 32+16)
  --delta BASE_SIGNED.bin      also write IMAGE_v<VERSION>_signed_diff.bin: forward and inverse
                               patches against the signed base image (needs WOLFBOOT_SECTOR_SIZE)

Output:
  --header-only                write only the header (IMAGE_v<VERSION>_header.bin)
  --sha-only                   write only the digest (IMAGE_v<VERSION>_digest.bin);
                               KEY may be a public key
  -o, --output FILE            output file instead of the derived name

Key files: wolfBoot keygen raw keys (ECC X||Y||d, Ed25519/Ed448 private||public,
RSA PKCS#1 DER), PKCS#8 DER/PEM, SEC1 EC PEM, PKCS#1 RSA PEM.

  -h, --help                   this text
  -V, --version                tool version
";

/// What the command line asks for.
#[derive(Debug)]
pub enum SignCommand {
    /// Sign an image.
    Sign(Box<SignRequest>),
    /// Print help.
    Help,
    /// Print the tool version.
    Version,
}

fn flag_signature(flag: &str) -> Option<SignatureChoice> {
    let fixed = |auth, digest_info| Some(SignatureChoice::Fixed { auth, digest_info });
    match flag {
        "--no-sign" => Some(SignatureChoice::None),
        "--ed25519" => fixed(AuthType::Ed25519, false),
        "--ed448" => fixed(AuthType::Ed448, false),
        "--ecc256" => fixed(AuthType::Ecc256, false),
        "--ecc384" => fixed(AuthType::Ecc384, false),
        "--ecc521" => fixed(AuthType::Ecc521, false),
        "--rsa2048" => fixed(AuthType::Rsa2048, false),
        "--rsa2048enc" => fixed(AuthType::Rsa2048, true),
        "--rsa3072" => fixed(AuthType::Rsa3072, false),
        "--rsa3072enc" => fixed(AuthType::Rsa3072, true),
        "--rsa4096" => fixed(AuthType::Rsa4096, false),
        "--rsa4096enc" => fixed(AuthType::Rsa4096, true),
        "--rsapss2048" => fixed(AuthType::RsaPss2048, false),
        "--rsapss3072" => fixed(AuthType::RsaPss3072, false),
        "--rsapss4096" => fixed(AuthType::RsaPss4096, false),
        _ => None,
    }
}

/// The post-quantum algorithm flags (`--ml_dsa` reads `ML_DSA_LEVEL`).
fn pq_flag(flag: &str) -> Option<AuthType> {
    match flag {
        "--ml_dsa" => Some(AuthType::MlDsa),
        "--lms" => Some(AuthType::Lms),
        "--xmss" => Some(AuthType::Xmss),
        _ => None,
    }
}

/// wolfBoot flags this tool knowingly does not implement.
const UNSUPPORTED: &[&str] = &[
    "--no-base-sha",
    "--policy",
    "--manual-sign",
    "--dts",
    "--cmdline",
    "--custom-tlv-pubkey-der",
];

/// Parse a number the way wolfBoot's `arg2num` reads it: `0x` + hex, or decimal.
pub fn parse_num(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() => u64::from_str_radix(hex, 16).ok(),
        Some(_) => None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        None => None,
    }
}

/// A custom TLV tag: at least 0x30, and neither byte 0xFF.
pub fn parse_tag(text: &str) -> Result<u16> {
    let v = parse_num(text).ok_or_else(|| Error::usage(format!("invalid custom tag: {text}")))?;
    let tag =
        u16::try_from(v).map_err(|_| Error::usage(format!("custom tag out of range: {text}")))?;
    if tag < wire::tlv::CUSTOM_MIN || tag & 0xFF00 == 0xFF00 || tag & 0x00FF == 0x00FF {
        return Err(Error::usage(format!(
            "invalid custom tag: {text} (must be at least 0x30, and neither byte may be 0xFF)"
        )));
    }
    Ok(tag)
}

fn parse_hex(text: &str) -> Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return Err(Error::usage(format!(
            "custom tlv buffer hex string must have an even number of digits: {text}"
        )));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| Error::usage(format!("invalid hex string: {text}")))
        })
        .collect()
}

struct Cursor {
    args: Vec<String>,
    pos: usize,
}

impl Cursor {
    fn value(&mut self, flag: &str, what: &str) -> Result<String> {
        let v = self
            .args
            .get(self.pos)
            .cloned()
            .ok_or_else(|| Error::usage(format!("{flag} needs {what}")))?;
        self.pos += 1;
        Ok(v)
    }
}

/// Parse the arguments after the program name.
pub fn parse_sign_args(args: Vec<String>) -> Result<SignCommand> {
    let mut cur = Cursor { args, pos: 0 };
    let mut signature = SignatureChoice::Auto;
    let mut hash = HashAlgorithm::Sha256;
    let mut partition_id = wire::img_type::PART_APP;
    let mut timestamp = Timestamp::FileCtime;
    let mut custom: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut cert_chain: Option<Vec<u8>> = None;
    let mut min_header_size = None;
    let mut artifact = Artifact::Signed;
    let mut output = None;
    let mut positionals = Vec::new();
    let mut only_positionals = false;
    let mut encrypt_key: Option<PathBuf> = None;
    let mut encrypt_alg: Option<EncryptAlgorithm> = None;
    let mut delta_base: Option<PathBuf> = None;
    let mut pq: Option<AuthType> = None;

    while cur.pos < cur.args.len() {
        let arg = cur.args[cur.pos].clone();
        cur.pos += 1;
        if only_positionals || !arg.starts_with('-') || arg == "-" {
            positionals.push(arg);
            continue;
        }
        if let Some(a) = pq_flag(&arg) {
            if pq.is_some_and(|p| p != a) {
                return Err(Error::usage(format!(
                    "{arg}: only one post-quantum algorithm may be given"
                )));
            }
            if signature != SignatureChoice::Auto {
                return Err(Error::usage(format!(
                    "{arg}: in a hybrid image the post-quantum algorithm comes first \
                     (--ml_dsa --sha256 --ecc384 IMAGE KEY KEY2 VERSION)"
                )));
            }
            pq = Some(a);
            continue;
        }
        if let Some(c) = flag_signature(&arg) {
            if signature != SignatureChoice::Auto && signature != c {
                return Err(Error::usage(format!(
                    "{arg}: only one signature algorithm may be given (two for a hybrid image: a post-quantum one first)"
                )));
            }
            if pq.is_some() && c == SignatureChoice::None {
                return Err(Error::usage(
                    "--no-sign cannot be combined with a signature",
                ));
            }
            signature = c;
            continue;
        }
        match arg.as_str() {
            "--" => only_positionals = true,
            "-h" | "--help" => return Ok(SignCommand::Help),
            "-V" | "--version" => return Ok(SignCommand::Version),
            "--sha256" => hash = HashAlgorithm::Sha256,
            "--sha384" => hash = HashAlgorithm::Sha384,
            "--sha3" => hash = HashAlgorithm::Sha3_384,
            "--wolfboot-update" => partition_id = wire::img_type::PART_WOLFBOOT,
            "--header-only" => artifact = Artifact::HeaderOnly,
            "--sha-only" => artifact = Artifact::DigestOnly,
            "--no-ts" => timestamp = Timestamp::Omit,
            "--timestamp" => {
                let v = cur.value(&arg, "a number of seconds")?;
                let t =
                    parse_num(&v).ok_or_else(|| Error::usage(format!("invalid timestamp: {v}")))?;
                timestamp = Timestamp::Fixed(t);
            }
            "--id" => {
                let v = cur.value(&arg, "a partition id")?;
                partition_id =
                    v.parse::<u8>().ok().filter(|id| *id <= 15).ok_or_else(|| {
                        Error::usage(format!("invalid partition id: {v} (0..15)"))
                    })?;
            }
            "--header-size" => {
                let v = cur.value(&arg, "a size")?;
                let n = parse_num(&v)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| Error::usage(format!("invalid header size: {v}")))?;
                min_header_size = Some(n);
            }
            "-o" | "--output" => {
                output = Some(PathBuf::from(cur.value(&arg, "a file name")?));
            }
            "--custom-tlv" => {
                let tag = parse_tag(&cur.value(&arg, "TAG LEN VALUE")?)?;
                let len_text = cur.value(&arg, "TAG LEN VALUE")?;
                let len = match parse_num(&len_text) {
                    Some(n @ (1 | 2 | 4 | 8)) => n as usize,
                    _ => {
                        return Err(Error::usage(format!(
                            "invalid custom tag len: {len_text} (accepted: 1, 2, 4 or 8)"
                        )))
                    }
                };
                let val_text = cur.value(&arg, "TAG LEN VALUE")?;
                let val = parse_num(&val_text)
                    .ok_or_else(|| Error::usage(format!("invalid custom TLV value: {val_text}")))?;
                if len < 8 && val >> (8 * len) != 0 {
                    return Err(Error::usage(format!(
                        "custom TLV value {val_text} does not fit in {len} bytes"
                    )));
                }
                custom.push((tag, val.to_le_bytes()[..len].to_vec()));
            }
            "--custom-tlv-buffer" => {
                let tag = parse_tag(&cur.value(&arg, "TAG HEXSTRING")?)?;
                let bytes = parse_hex(&cur.value(&arg, "TAG HEXSTRING")?)?;
                custom.push((tag, bytes));
            }
            "--custom-tlv-string" => {
                let tag = parse_tag(&cur.value(&arg, "TAG STRING")?)?;
                custom.push((tag, cur.value(&arg, "TAG STRING")?.into_bytes()));
            }
            "--custom-tlv-file" => {
                let tag = parse_tag(&cur.value(&arg, "TAG FILE")?)?;
                let path = PathBuf::from(cur.value(&arg, "TAG FILE")?);
                let bytes = read_file(&path)?;
                if bytes.is_empty() {
                    return Err(Error::usage(format!(
                        "custom tlv file is empty: {}",
                        path.display()
                    )));
                }
                custom.push((tag, bytes));
            }
            "--encrypt" => {
                encrypt_key = Some(PathBuf::from(cur.value(&arg, "a key file")?));
            }
            "--chacha" | "--aes128" | "--aes256" => {
                let alg = EncryptAlgorithm::from_name(&arg[2..])
                    .ok_or_else(|| Error::usage(format!("unknown cipher {arg}")))?;
                if encrypt_alg.is_some_and(|a| a != alg) {
                    return Err(Error::usage(format!(
                        "{arg}: only one of --chacha, --aes128, --aes256 may be given"
                    )));
                }
                encrypt_alg = Some(alg);
            }
            "--delta" => {
                delta_base = Some(PathBuf::from(cur.value(&arg, "the signed base image")?));
            }
            "--cert-chain" => {
                let path = PathBuf::from(cur.value(&arg, "a file")?);
                cert_chain = Some(read_file(&path)?);
            }
            other if UNSUPPORTED.contains(&other) => {
                return Err(Error::usage(format!(
                    "{other} is not supported by sign-cli"
                )));
            }
            other => return Err(Error::usage(format!("unknown option: {other}"))),
        }
    }

    if custom.len() > MAX_CUSTOM_TLVS {
        return Err(Error::usage(format!(
            "too many custom TLVs ({}, at most {MAX_CUSTOM_TLVS})",
            custom.len()
        )));
    }
    if let Some((tag, _)) = custom.iter().find(|(_, v)| v.len() > MAX_TLV_LEN) {
        return Err(Error::usage(format!(
            "custom TLV 0x{tag:04x} is too long (at most {MAX_TLV_LEN} bytes)"
        )));
    }
    if let Some(chain) = cert_chain {
        if chain.len() > MAX_TLV_LEN {
            return Err(Error::usage(
                "certificate chain too large for a header field",
            ));
        }
        custom.push((wire::tlv::CERT_CHAIN, chain));
    }
    if min_header_size.is_none() {
        if let Ok(v) = std::env::var("IMAGE_HEADER_SIZE") {
            let n = parse_num(v.trim())
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| Error::usage(format!("invalid IMAGE_HEADER_SIZE: {v}")))?;
            if n != 0 {
                min_header_size = Some(n);
            }
        }
    }

    let encrypt = match (encrypt_key, encrypt_alg) {
        (Some(path), alg) => Some((alg.unwrap_or(EncryptAlgorithm::ChaCha20), path)),
        (None, Some(alg)) => {
            return Err(Error::usage(format!(
                "--{} needs --encrypt KEYFILE",
                alg.name()
            )))
        }
        (None, None) => None,
    };
    if (encrypt.is_some() || delta_base.is_some()) && artifact != Artifact::Signed {
        return Err(Error::usage(
            "--encrypt and --delta write full images; not with --header-only or --sha-only",
        ));
    }

    let needs_key = signature != SignatureChoice::None || pq.is_some();
    let hybrid = pq.is_some() && signature != SignatureChoice::Auto;
    let expected = match (needs_key, hybrid) {
        (false, _) => 2,
        (true, false) => 3,
        (true, true) => 4,
    };
    if positionals.is_empty() {
        return Err(Error::usage("missing arguments: IMAGE KEY VERSION"));
    }
    if positionals.len() != expected {
        let what = if hybrid {
            "IMAGE KEY KEY2 VERSION (hybrid)"
        } else if needs_key {
            "IMAGE KEY VERSION"
        } else {
            "IMAGE VERSION (no key with --no-sign)"
        };
        return Err(Error::usage(format!(
            "expected {what}, got {} argument(s): {}",
            positionals.len(),
            positionals.join(" ")
        )));
    }
    let version_text = positionals.pop().unwrap_or_default();
    let secondary_key = if hybrid {
        positionals.pop().map(PathBuf::from)
    } else {
        None
    };
    let key = if needs_key {
        positionals.pop().map(PathBuf::from)
    } else {
        None
    };
    let image = PathBuf::from(positionals.pop().unwrap_or_default());
    let version = if !version_text.is_empty() && version_text.bytes().all(|b| b.is_ascii_digit()) {
        version_text.parse::<u32>().ok()
    } else {
        None
    }
    .ok_or_else(|| {
        Error::usage(format!(
            "invalid firmware version: {version_text} (a decimal number up to 4294967295)"
        ))
    })?;

    Ok(SignCommand::Sign(Box::new(SignRequest {
        signature,
        hash,
        image,
        key,
        version_text,
        version,
        partition_id,
        timestamp,
        custom_tlvs: custom,
        min_header_size,
        artifact,
        output,
        encrypt,
        delta_base,
        pq,
        secondary_key,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<SignCommand> {
        parse_sign_args(args.iter().map(|s| s.to_string()).collect())
    }

    fn req(args: &[&str]) -> SignRequest {
        match parse(args) {
            Ok(SignCommand::Sign(r)) => *r,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn seed_command() {
        let r = req(&["--ecc256", "--sha256", "firmware.bin", "ecc256.der", "2"]);
        assert_eq!(
            r.signature,
            SignatureChoice::Fixed {
                auth: AuthType::Ecc256,
                digest_info: false
            }
        );
        assert_eq!(r.hash, HashAlgorithm::Sha256);
        assert_eq!(r.image, PathBuf::from("firmware.bin"));
        assert_eq!(r.key, Some(PathBuf::from("ecc256.der")));
        assert_eq!(r.version, 2);
        assert_eq!(r.partition_id, 1);
        assert_eq!(r.timestamp, Timestamp::FileCtime);
    }

    #[test]
    fn custom_tlvs() {
        let r = req(&[
            "--custom-tlv",
            "0x34",
            "4",
            "0xAABBCCDD",
            "--custom-tlv-buffer",
            "0x36",
            "deadbeef",
            "--custom-tlv-string",
            "53",
            "hi",
            "fw.bin",
            "k.der",
            "1",
        ]);
        assert_eq!(
            r.custom_tlvs,
            vec![
                (0x34, vec![0xDD, 0xCC, 0xBB, 0xAA]),
                (0x36, vec![0xde, 0xad, 0xbe, 0xef]),
                (53, b"hi".to_vec())
            ]
        );
    }

    #[test]
    fn encrypt_and_delta() {
        let r = req(&["--ecc256", "--encrypt", "e.key", "fw.bin", "k.der", "2"]);
        assert_eq!(
            r.encrypt,
            Some((EncryptAlgorithm::ChaCha20, PathBuf::from("e.key")))
        );
        let r = req(&[
            "--aes256",
            "--encrypt",
            "e.key",
            "--delta",
            "b.bin",
            "fw.bin",
            "k.der",
            "2",
        ]);
        assert_eq!(
            r.encrypt,
            Some((EncryptAlgorithm::Aes256Ctr, PathBuf::from("e.key")))
        );
        assert_eq!(r.delta_base, Some(PathBuf::from("b.bin")));
    }

    #[test]
    fn no_sign_takes_two_positionals() {
        let r = req(&["--no-sign", "fw.bin", "7"]);
        assert_eq!(r.signature, SignatureChoice::None);
        assert_eq!(r.key, None);
        assert!(parse(&["--no-sign", "fw.bin", "k", "7"]).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&["--ecc256", "fw.bin", "k.der"]).is_err());
        assert!(parse(&["--ecc256", "fw.bin", "k.der", "x1"]).is_err());
        assert!(parse(&["--id", "16", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--custom-tlv", "0x10", "4", "1", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--custom-tlv", "0x1FF", "4", "1", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--custom-tlv", "0x40", "3", "1", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--custom-tlv", "0x40", "1", "256", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--custom-tlv-buffer", "0x40", "abc", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--ecc256", "--ed25519", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--delta"]).is_err());
        assert!(parse(&["--aes128", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&[
            "--encrypt",
            "e.key",
            "--chacha",
            "--aes256",
            "fw.bin",
            "k.der",
            "1"
        ])
        .is_err());
        assert!(parse(&["--encrypt", "e.key", "--sha-only", "fw.bin", "k.der", "1"]).is_err());
        assert!(parse(&["--bogus", "fw.bin", "k.der", "1"]).is_err());
    }
}
