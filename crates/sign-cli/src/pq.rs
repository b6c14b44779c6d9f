//! Signing with the post-quantum schemes (`--ml_dsa`, `--lms`, `--xmss`), alone or
//! as the primary half of a hybrid image (`--ml_dsa --sha256 --ecc384
//! IMAGE KEY KEY2 VERSION`, wolfBoot's `SIGN_SECONDARY`).
//!
//! LMS and XMSS keys are stateful: each signature consumes a one-time leaf, whose
//! index lives in the key file. The file is rewritten with the next index
//! (temporary file, `fsync`, `rename`, directory `fsync`) *before* the
//! signed image is written, so a crash at any point can lose a leaf but
//! never hand the same leaf out twice; a key whose leaves are all used is
//! refused.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{read_file, write_file, Error, Result};
use crate::keys::{load_private_key, KeyKind, PrivateKey};
use crate::lms::LmsKey;
use crate::mldsa::MlDsaKey;
use crate::sign::{
    image_digest, key_hint, output_path, timestamp_of, Artifact, SignReport, SignRequest,
    SignatureChoice,
};
use crate::xmss::XmssKey;
use wolfboot_image_format::{AuthType, HeaderBuilder};

/// A post-quantum signing key.
#[derive(Debug)]
pub enum PqKey {
    /// ML-DSA (stateless).
    MlDsa(MlDsaKey),
    /// LMS (stateful: the next leaf index is in the file).
    Lms(LmsKey),
    /// XMSS-SHA2_10_256 (stateful likewise).
    Xmss(XmssKey),
}

impl PqKey {
    /// Load the key file for `auth`.
    pub fn load(path: &Path, auth: AuthType) -> Result<Self> {
        let bytes = read_file(path)?;
        let key = match auth {
            AuthType::MlDsa => {
                let k = MlDsaKey::parse(&bytes).map_err(|e| Error::key(path, e))?;
                if let Some(level) = crate::mldsa::env_level()? {
                    if level != k.level {
                        return Err(Error::key(
                            path,
                            format!("ML_DSA_LEVEL={level}, but this is a level {} key", k.level),
                        ));
                    }
                }
                PqKey::MlDsa(k)
            }
            AuthType::Lms => PqKey::Lms(LmsKey::parse(&bytes).map_err(|e| Error::key(path, e))?),
            AuthType::Xmss => {
                check_xmss_params()?;
                PqKey::Xmss(XmssKey::parse(&bytes).map_err(|e| Error::key(path, e))?)
            }
            other => {
                return Err(Error::usage(format!(
                    "--{} signing is not supported by sign-cli (verification is)",
                    other.name()
                )))
            }
        };
        Ok(key)
    }

    /// The public key (keystore form).
    pub fn public_key(&self) -> &[u8] {
        match self {
            PqKey::MlDsa(k) => k.public_key(),
            PqKey::Lms(k) => k.public_key(),
            PqKey::Xmss(k) => k.public_key(),
        }
    }

    fn signature_len(&self) -> usize {
        match self {
            PqKey::MlDsa(k) => crate::mldsa::signature_len(k.level).unwrap_or(0),
            PqKey::Lms(k) => k.params.signature_len(),
            PqKey::Xmss(_) => crate::xmss::SIG_LEN,
        }
    }
}

/// Write `bytes` to `path` so that a crash leaves either the old or the
/// new contents: temporary file beside it, `fsync`, `rename`, then `fsync`
/// of the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("update", path, e)
    })
}

/// Sign `msg` with the key; an LMS key's file at `path` is advanced past
/// the leaf used before the signature is returned.
fn sign_consuming(key: &mut PqKey, path: &Path, msg: &[u8]) -> Result<Vec<u8>> {
    match key {
        PqKey::MlDsa(k) => k.sign(msg),
        PqKey::Lms(k) => {
            let q = k.q;
            let sig = k.sign_at(q, msg)?;
            k.q = q + 1;
            write_atomically(path, &k.to_bytes())?;
            Ok(sig)
        }
        PqKey::Xmss(k) => {
            let idx = k.idx;
            let sig = k.sign_at(idx, msg)?;
            k.idx = idx + 1;
            write_atomically(path, &k.to_bytes())?;
            Ok(sig)
        }
    }
}

/// Run a `sign` request whose primary algorithm is post-quantum.
pub fn run_pq_sign(req: &SignRequest, auth: AuthType) -> Result<SignReport> {
    if req.encrypt.is_some() || req.delta_base.is_some() {
        return Err(Error::usage(
            "--encrypt and --delta are not supported with post-quantum signing",
        ));
    }
    let key_path = req
        .key
        .clone()
        .ok_or_else(|| Error::usage("missing private key file"))?;
    let mut key = PqKey::load(&key_path, auth)?;
    let secondary: Option<(AuthType, PrivateKey)> = match (req.signature, &req.secondary_key) {
        (SignatureChoice::Fixed { auth: sec, .. }, Some(path)) => {
            let kind = KeyKind::for_auth(sec)
                .ok_or_else(|| Error::usage(format!("{sec} cannot be the secondary algorithm")))?;
            Some((sec, load_private_key(path, Some(kind))?))
        }
        (SignatureChoice::Auto | SignatureChoice::None, None) => None,
        _ => {
            return Err(Error::usage(
                "a hybrid image needs --ALG for the second key and KEY2",
            ))
        }
    };

    let payload = read_file(&req.image)?;
    let payload_len = u32::try_from(payload.len())
        .map_err(|_| Error::usage("the firmware image is larger than 4 GiB"))?;
    let timestamp = timestamp_of(req)?;
    let mut builder = HeaderBuilder::new(auth, req.hash, req.version)
        .timestamp(timestamp)
        .partition_id(req.partition_id)
        .signature_len(key.signature_len());
    for (tag, value) in &req.custom_tlvs {
        builder = builder.custom_tlv(*tag, value);
    }
    if let Some((sec_auth, sec_key)) = &secondary {
        let hint = key_hint(req.hash, &sec_key.public_key())?;
        builder = builder.secondary(*sec_auth, &hint, sec_auth.signature_len());
    }
    if let Some(min) = req.min_header_size {
        if min > builder.effective_header_size()? {
            builder = builder.header_size(min);
        }
    }
    let hint = key_hint(req.hash, key.public_key())?;
    let unsigned = builder.begin(payload_len, &hint)?;
    let image_digest = image_digest(req.hash, unsigned.hashed_prefix(), &payload)?;
    let output = req
        .output
        .clone()
        .unwrap_or_else(|| output_path(&req.image, &req.version_text, req.artifact));
    let header_size = unsigned.header_size();
    if req.artifact == Artifact::DigestOnly {
        write_file(&output, &image_digest)?;
    } else {
        let sig = sign_consuming(&mut key, &key_path, &image_digest)?;
        let header = match &secondary {
            Some((sec_auth, sec_key)) => {
                let sec = sec_key.sign_digest(*sec_auth, req.hash, false, &image_digest)?;
                unsigned.finish_hybrid(&image_digest, &sig, &sec)?
            }
            None => unsigned.finish(&image_digest, Some(&sig))?,
        };
        let bytes = match req.artifact {
            Artifact::HeaderOnly => header,
            _ => [header.as_slice(), payload.as_slice()].concat(),
        };
        write_file(&output, &bytes)?;
    }
    Ok(SignReport {
        auth,
        digest_info: false,
        key_kind: secondary.as_ref().map(|(_, k)| k.kind()),
        header_size,
        output,
        payload_size: payload.len(),
        encrypted: None,
        diff: None,
    })
}

/// `keygen` for a post-quantum algorithm: the key file (wolfBoot layout)
/// and its public key.
pub fn generate(auth: AuthType) -> Result<(Vec<u8>, Vec<u8>)> {
    match auth {
        AuthType::MlDsa => {
            let level = crate::mldsa::env_level()?.unwrap_or(2);
            let k = MlDsaKey::generate(level)?;
            Ok((k.to_bytes(), k.public_key().to_vec()))
        }
        AuthType::Lms => {
            let num = |var: &str, default: u32| -> Result<u32> {
                match std::env::var(var) {
                    Err(_) => Ok(default),
                    Ok(v) => v
                        .trim()
                        .parse()
                        .map_err(|_| Error::usage(format!("invalid {var}: {v}"))),
                }
            };
            if num("LMS_LEVELS", 1)? != 1 {
                return Err(Error::usage(
                    "LMS_LEVELS other than 1 is not supported by sign-cli",
                ));
            }
            let params =
                crate::lms::Params::new(num("LMS_HEIGHT", 10)?, num("LMS_WINTERNITZ", 8)?)?;
            let k = LmsKey::generate(params)?;
            Ok((k.to_bytes(), k.public_key().to_vec()))
        }
        AuthType::Xmss => {
            check_xmss_params()?;
            let k = XmssKey::generate()?;
            Ok((k.to_bytes(), k.public_key().to_vec()))
        }
        other => Err(Error::usage(format!(
            "keygen --{} is not supported by sign-cli",
            other.name()
        ))),
    }
}

/// `XMSS_PARAMS` as wolfBoot reads it: only XMSS-SHA2_10_256 is supported.
fn check_xmss_params() -> Result<()> {
    match std::env::var("XMSS_PARAMS") {
        Ok(v) if v.trim() != "XMSS-SHA2_10_256" => Err(Error::usage(format!(
            "XMSS_PARAMS={v}: only XMSS-SHA2_10_256 is supported by sign-cli"
        ))),
        _ => Ok(()),
    }
}
