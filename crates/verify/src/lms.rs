//! LMS / HSS (RFC 8554) verification over the image digest, SHA-256 with
//! n = m = 32, as wolfBoot builds it (`SIGN=LMS`, wolfCrypt's `wc_lms`).
//!
//! Verify-only and allocation-free: the hash chains and the Merkle path are
//! walked with one SHA-256 state and a few 32-byte buffers on the stack.
//!
//! Public key (the keystore's 60 bytes, big-endian): levels `L` (u32), then
//! the top-level LMS key: LMS type (u32), LM-OTS type (u32), identifier `I`
//! (16 bytes), root `T[1]` (32 bytes).
//!
//! Signature: `Nspk = L - 1` (u32), then for each lower level the LMS
//! signature of the next level's public key followed by that public key
//! (56 bytes), then the bottom LMS signature over the message. An LMS
//! signature is `q` (u32), the LM-OTS signature (type u32, `C` n bytes,
//! `p` chain ends of n bytes), the LMS type (u32) and `h` path nodes.

use crate::sha256::Sha256;

use crate::error::VerifyError;

const N: usize = 32;
const I_LEN: usize = 16;
/// An LMS public key: type, OTS type, I, T.
const LMS_PUB_LEN: usize = 4 + 4 + I_LEN + N;
/// Deepest HSS hierarchy RFC 8554 allows.
const MAX_LEVELS: u32 = 8;

const D_PBLC: [u8; 2] = [0x80, 0x80];
const D_MESG: [u8; 2] = [0x81, 0x81];
const D_LEAF: [u8; 2] = [0x82, 0x82];
const D_INTR: [u8; 2] = [0x83, 0x83];

/// LMS tree height of an LMS type code (SHA-256, M = 32 only).
const fn lms_height(code: u32) -> Option<u32> {
    match code {
        5 => Some(5),
        6 => Some(10),
        7 => Some(15),
        8 => Some(20),
        9 => Some(25),
        _ => None,
    }
}

/// LM-OTS parameters of a type code (SHA-256, N = 32 only): Winternitz
/// width `w`, number of chains `p`, checksum left shift `ls`.
const fn ots_params(code: u32) -> Option<(u32, usize, u32)> {
    match code {
        1 => Some((1, 265, 7)),
        2 => Some((2, 133, 6)),
        3 => Some((4, 67, 4)),
        4 => Some((8, 34, 0)),
        _ => None,
    }
}

const fn ots_sig_len(p: usize) -> usize {
    4 + N + p * N
}

/// Length of an LMS signature of these types, or `None` for unknown types.
fn lms_sig_len(lms_type: u32, ots_type: u32) -> Option<usize> {
    let h = lms_height(lms_type)? as usize;
    let (_, p, _) = ots_params(ots_type)?;
    Some(4 + ots_sig_len(p) + 4 + h * N)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// The HSS signature length that a key of these bytes verifies, when every
/// level uses the top level's types (how wolfBoot's keygen makes them), or
/// `None` for a key this module cannot use.
pub fn signature_len(pubkey: &[u8]) -> Option<usize> {
    let key = PublicKey::parse(pubkey).ok()?;
    let one = lms_sig_len(key.lms_type, key.ots_type)?;
    let lower = (key.levels as usize - 1) * (one + LMS_PUB_LEN);
    Some(4 + lower + one)
}

struct PublicKey<'a> {
    levels: u32,
    lms_type: u32,
    ots_type: u32,
    /// The LMS key after the level count (type, OTS type, I, T).
    lms: &'a [u8],
}

impl<'a> PublicKey<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, VerifyError> {
        if bytes.len() != 4 + LMS_PUB_LEN {
            return Err(VerifyError::BadPublicKey);
        }
        let levels = be32(bytes, 0).ok_or(VerifyError::BadPublicKey)?;
        if !(1..=MAX_LEVELS).contains(&levels) {
            return Err(VerifyError::BadPublicKey);
        }
        let lms = bytes.get(4..).ok_or(VerifyError::BadPublicKey)?;
        let (lms_type, ots_type) = lms_types(lms).ok_or(VerifyError::BadPublicKey)?;
        Ok(PublicKey {
            levels,
            lms_type,
            ots_type,
            lms,
        })
    }
}

/// LMS and LM-OTS types of an LMS public key, both known.
fn lms_types(lms_pub: &[u8]) -> Option<(u32, u32)> {
    let lms_type = be32(lms_pub, 0)?;
    let ots_type = be32(lms_pub, 4)?;
    lms_height(lms_type)?;
    ots_params(ots_type)?;
    Some((lms_type, ots_type))
}

/// Verify the HSS signature `sig` over `msg` with the HSS public key
/// `pubkey` (as the keystore stores it).
///
/// Errors: [`VerifyError::BadPublicKey`] for a key of the wrong size, level
/// count or unknown types; [`VerifyError::BadSignature`] for a signature
/// that is malformed (length, level count, types not those of its key,
/// leaf index out of range) or does not verify.
pub fn verify(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let key = PublicKey::parse(pubkey)?;
    let nspk = be32(sig, 0).ok_or(VerifyError::BadSignature)?;
    if nspk.checked_add(1) != Some(key.levels) {
        return Err(VerifyError::BadSignature);
    }
    let mut rest = sig.get(4..).ok_or(VerifyError::BadSignature)?;
    let mut current: &[u8] = key.lms;
    for _ in 0..nspk {
        let (lms_sig, after) = split_lms_sig(rest, current)?;
        let next = after.get(..LMS_PUB_LEN).ok_or(VerifyError::BadSignature)?;
        lms_types(next).ok_or(VerifyError::BadSignature)?;
        verify_lms(current, next, lms_sig)?;
        current = next;
        rest = after.get(LMS_PUB_LEN..).ok_or(VerifyError::BadSignature)?;
    }
    let (lms_sig, after) = split_lms_sig(rest, current)?;
    if !after.is_empty() {
        return Err(VerifyError::BadSignature);
    }
    verify_lms(current, msg, lms_sig)
}

/// The LMS signature at the start of `bytes` (sized by the types it
/// states, which must be those of `key`), and what follows it.
fn split_lms_sig<'s>(bytes: &'s [u8], key: &[u8]) -> Result<(&'s [u8], &'s [u8]), VerifyError> {
    let (lms_type, ots_type) = lms_types(key).ok_or(VerifyError::BadSignature)?;
    let (_, p, _) = ots_params(ots_type).ok_or(VerifyError::BadSignature)?;
    if be32(bytes, 4) != Some(ots_type) || be32(bytes, 4 + ots_sig_len(p)) != Some(lms_type) {
        return Err(VerifyError::BadSignature);
    }
    let len = lms_sig_len(lms_type, ots_type).ok_or(VerifyError::BadSignature)?;
    if bytes.len() < len {
        return Err(VerifyError::BadSignature);
    }
    Ok(bytes.split_at(len))
}

/// Coefficient `i` of `s` in base 2^w (RFC 8554 `coef`).
fn coef(s: &[u8], i: usize, w: u32) -> u32 {
    let per_byte = 8 / w as usize;
    let byte = s.get(i / per_byte).copied().unwrap_or(0);
    let shift = 8 - (w * (i % per_byte) as u32 + w);
    (u32::from(byte) >> shift) & ((1 << w) - 1)
}

/// Algorithm 6a: verify one LMS signature (already split and type-checked
/// against `key`) over `msg` with the LMS public key `key`.
fn verify_lms(key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let (lms_type, ots_type) = lms_types(key).ok_or(VerifyError::BadSignature)?;
    let h = lms_height(lms_type).ok_or(VerifyError::BadSignature)?;
    let (w, p, ls) = ots_params(ots_type).ok_or(VerifyError::BadSignature)?;
    let id = key.get(8..8 + I_LEN).ok_or(VerifyError::BadSignature)?;
    let root = key.get(8 + I_LEN..).ok_or(VerifyError::BadSignature)?;
    let q = be32(sig, 0).ok_or(VerifyError::BadSignature)?;
    if q >= 1u32 << h {
        return Err(VerifyError::BadSignature);
    }
    let ots = sig
        .get(4..4 + ots_sig_len(p))
        .ok_or(VerifyError::BadSignature)?;
    let path = sig
        .get(4 + ots_sig_len(p) + 4..)
        .ok_or(VerifyError::BadSignature)?;

    // Algorithm 4b: the candidate LM-OTS public key Kc.
    let c = ots.get(4..4 + N).ok_or(VerifyError::BadSignature)?;
    let ys = ots.get(4 + N..).ok_or(VerifyError::BadSignature)?;
    let qb = q.to_be_bytes();
    let mut qc = [0u8; N + 2];
    let q_hash: [u8; N] = Sha256::new()
        .chain_update(id)
        .chain_update(qb)
        .chain_update(D_MESG)
        .chain_update(c)
        .chain_update(msg)
        .finalize();
    let max = (1u32 << w) - 1;
    let mut sum: u32 = 0;
    for i in 0..(N * 8 / w as usize) {
        sum += max - coef(&q_hash, i, w);
    }
    let cksm = (sum << ls) as u16;
    let (head, tail) = qc.split_at_mut(N);
    head.copy_from_slice(&q_hash);
    tail.copy_from_slice(&cksm.to_be_bytes());
    let mut kc = Sha256::new()
        .chain_update(id)
        .chain_update(qb)
        .chain_update(D_PBLC);
    for (i, y) in ys.chunks_exact(N).enumerate().take(p) {
        let a = coef(&qc, i, w);
        let mut tmp = [0u8; N];
        tmp.copy_from_slice(y);
        // One state updated in place: `chain_update` by value moves the
        // whole state at every call unless all of them are inlined (20.7 M
        // instructions per check that way on mps2-an386, 15.6 M in place).
        for j in a..max {
            let mut step = Sha256::new();
            step.update(id);
            step.update(&qb);
            step.update(&(i as u16).to_be_bytes());
            step.update(&[j as u8]);
            step.update(&tmp);
            step.finalize_into(&mut tmp);
        }
        kc.update(&tmp);
    }
    let kc: [u8; N] = kc.finalize();

    // Algorithm 6a: climb the tree from leaf q to the root.
    let mut node = (1u32 << h) + q;
    let mut tmp: [u8; N] = Sha256::new()
        .chain_update(id)
        .chain_update(node.to_be_bytes())
        .chain_update(D_LEAF)
        .chain_update(kc)
        .finalize();
    let mut nodes = path.chunks_exact(N);
    while node > 1 {
        let sibling = nodes.next().ok_or(VerifyError::BadSignature)?;
        let parent = Sha256::new()
            .chain_update(id)
            .chain_update((node / 2).to_be_bytes())
            .chain_update(D_INTR);
        let parent = if node % 2 == 1 {
            parent.chain_update(sibling).chain_update(tmp)
        } else {
            parent.chain_update(tmp).chain_update(sibling)
        };
        tmp = parent.finalize();
        node /= 2;
    }
    if bool::from(subtle::ConstantTimeEq::ct_eq(&tmp[..], root)) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_follow_rfc8554() {
        // RFC 8554 section 3.1.3: S = 0x1234, w = 4 gives 1, 2, 3, 4;
        // w = 1 gives the bits of 0x12.
        let s = [0x12, 0x34];
        assert_eq!([0, 1, 2, 3].map(|i| coef(&s, i, 4)), [1, 2, 3, 4]);
        assert_eq!(
            [0, 1, 2, 3, 4, 5, 6, 7].map(|i| coef(&s, i, 1)),
            [0, 0, 0, 1, 0, 0, 1, 0]
        );
        assert_eq!(coef(&s, 1, 8), 0x34);
    }

    #[test]
    fn wolfboot_parameters_give_its_signature_size() {
        // L1, LMS_SHA256_M32_H10 (6), LMOTS_SHA256_N32_W8 (4).
        let mut key = [0u8; 60];
        key[3] = 1;
        key[7] = 6;
        key[11] = 4;
        assert_eq!(signature_len(&key), Some(1456));
        key[3] = 2;
        assert_eq!(signature_len(&key), Some(4 + 2 * 1452 + 56));
        key[3] = 0;
        assert_eq!(signature_len(&key), None);
    }
}
