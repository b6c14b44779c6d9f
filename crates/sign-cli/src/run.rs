//! The `sign` command carried out: read the key and the firmware, sign, and
//! write the signed image, its encrypted form (`--encrypt`) and its diff
//! image (`--delta`); post-quantum requests go to [`crate::pq`].
//!
//! Modules below this one never call back into it: [`crate::sign`] builds
//! headers, [`crate::delta`] and [`crate::encryption`] build on it.

use crate::delta::{diff_header_size, write_diff, DeltaBase};
use crate::encryption::load_encryption_key;
use crate::error::{read_file, write_file, Error, Result};
use crate::keys::{load_private_key, load_public_key, KeyKind, PrivateKey};
use crate::sign::{
    output_path, prepare, rsa_signature_len, sign_payload, suffixed, timestamp_of, Artifact,
    ImageSpec, SignReport, SignRequest, SignatureChoice,
};
use wolfboot_image_format::{AuthType, HashAlgorithm};

/// Resolve the auth type: the one asked for, or the key's own.
fn resolve_auth(choice: SignatureChoice, key: Option<&PrivateKey>) -> (AuthType, bool) {
    match (choice, key) {
        (SignatureChoice::None, _) => (AuthType::None, false),
        (SignatureChoice::Fixed { auth, digest_info }, _) => (auth, digest_info),
        (SignatureChoice::Auto, Some(k)) => (k.kind().default_auth(), false),
        (SignatureChoice::Auto, None) => (AuthType::None, false),
    }
}

/// `--sha-only`: the digest of the image that would be signed; the key file
/// may be a public key.
fn run_digest_only(req: &SignRequest) -> Result<SignReport> {
    let (auth, digest_info, public) = match (&req.signature, &req.key) {
        (SignatureChoice::None, _) => (AuthType::None, false, None),
        (_, None) => return Err(Error::usage("missing key file")),
        (choice, Some(path)) => {
            let public = load_public_key(path)?;
            let (auth, digest_info) = match choice {
                SignatureChoice::Fixed { auth, digest_info } => {
                    if KeyKind::for_auth(*auth) != Some(public.kind) {
                        return Err(Error::key(
                            path,
                            format!("this is a {} key, but {auth} was selected", public.kind),
                        ));
                    }
                    (*auth, *digest_info)
                }
                _ => (public.kind.default_auth(), false),
            };
            (auth, digest_info, Some(public))
        }
    };
    let payload = read_file(&req.image)?;
    let spec = ImageSpec {
        auth,
        digest_info,
        hash: req.hash,
        version: req.version,
        timestamp: timestamp_of(req)?,
        partition_id: req.partition_id,
        custom_tlvs: &req.custom_tlvs,
        min_header_size: req.min_header_size,
        delta: None,
    };
    let pubkey = public.as_ref().map(|p| p.bytes.clone()).unwrap_or_default();
    let sig_len = public.as_ref().and_then(|p| rsa_signature_len(p.kind));
    let (unsigned, digest) = prepare(&spec, &pubkey, sig_len, &payload)?;
    let output = req
        .output
        .clone()
        .unwrap_or_else(|| output_path(&req.image, &req.version_text, req.artifact));
    write_file(&output, &digest)?;
    Ok(SignReport {
        auth,
        digest_info,
        key_kind: public.map(|p| p.kind),
        header_size: unsigned.header_size(),
        output,
        payload_size: payload.len(),
        encrypted: None,
        diff: None,
    })
}

/// Run one `sign` request: read the files, sign, write the output.
pub fn run_sign(req: &SignRequest) -> Result<SignReport> {
    if let Some(auth) = req.pq {
        return crate::pq::run_pq_sign(req, auth);
    }
    if req.artifact == Artifact::DigestOnly {
        return run_digest_only(req);
    }
    let key = match (&req.signature, &req.key) {
        (SignatureChoice::None, _) => None,
        (_, None) => return Err(Error::usage("missing private key file")),
        (SignatureChoice::Fixed { auth, .. }, Some(path)) => {
            let kind = KeyKind::for_auth(*auth).ok_or_else(|| {
                Error::usage(format!("signature algorithm {auth} is not supported"))
            })?;
            Some(load_private_key(path, Some(kind))?)
        }
        (SignatureChoice::Auto, Some(path)) => Some(load_private_key(path, None)?),
    };
    let (auth, digest_info) = resolve_auth(req.signature, key.as_ref());
    if matches!(
        auth,
        AuthType::RsaPss2048 | AuthType::RsaPss3072 | AuthType::RsaPss4096
    ) && req.hash == HashAlgorithm::Sha3_384
    {
        return Err(Error::usage("RSA-PSS requires --sha256 or --sha384"));
    }
    let payload = read_file(&req.image)?;
    let timestamp = timestamp_of(req)?;
    let encryption = match &req.encrypt {
        Some((alg, path)) => Some(load_encryption_key(*alg, path)?),
        None => None,
    };
    let base = match &req.delta_base {
        Some(path) => Some(DeltaBase::load(path, req.hash)?),
        None => None,
    };
    let mut min_header_size = req.min_header_size;
    let mut spec = ImageSpec {
        auth,
        digest_info,
        hash: req.hash,
        version: req.version,
        timestamp,
        partition_id: req.partition_id,
        custom_tlvs: &req.custom_tlvs,
        min_header_size: req.min_header_size,
        delta: None,
    };
    if let Some(base) = &base {
        // As wolfBoot: the new image and its diff share one header size,
        // large enough for the diff's extra fields.
        let pubkey = key.as_ref().map(PrivateKey::public_key).unwrap_or_default();
        let sig_len = key.as_ref().and_then(|k| rsa_signature_len(k.kind()));
        let need = diff_header_size(&spec, base, &pubkey, sig_len)?;
        min_header_size = Some(min_header_size.unwrap_or(0).max(need));
        spec.min_header_size = min_header_size;
    }
    let signed = sign_payload(&spec, key.as_ref(), &payload)?;
    let output = req
        .output
        .clone()
        .unwrap_or_else(|| output_path(&req.image, &req.version_text, req.artifact));
    let bytes = match req.artifact {
        Artifact::Signed => [signed.header.as_slice(), payload.as_slice()].concat(),
        Artifact::HeaderOnly => signed.header.clone(),
        Artifact::DigestOnly => signed.digest,
    };
    write_file(&output, &bytes)?;
    let mut encrypted = None;
    if let (Some(cipher), Artifact::Signed) = (&encryption, req.artifact) {
        let path = suffixed(&output, "_signed", "_signed_and_encrypted");
        write_file(&path, &cipher.encrypt(&bytes)?)?;
        encrypted = Some(path);
    }
    let diff = match (&base, req.artifact) {
        (Some(base), Artifact::Signed) => Some(write_diff(
            &spec,
            key.as_ref(),
            base,
            &bytes,
            signed.header.len(),
            &output,
            encryption.as_ref(),
        )?),
        _ => None,
    };
    Ok(SignReport {
        auth,
        digest_info,
        key_kind: key.as_ref().map(PrivateKey::kind),
        header_size: signed.header.len(),
        output,
        payload_size: payload.len(),
        encrypted,
        diff,
    })
}
