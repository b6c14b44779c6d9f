//! XMSS (RFC 8391) verification over the image digest, single tree,
//! SHA-256 with n = 32 and Winternitz w = 16 (`XMSS-SHA2_10_256`,
//! `_16_256`, `_20_256`), as wolfBoot builds it (`SIGN=XMSS`).
//!
//! No maintained Rust XMSS verifier exists, so this is a small verify-only
//! one written from RFC 8391 (Algorithms 2, 6, 7, 8, 13, 14). It does not
//! allocate: the 67 WOTS+ chain ends (2144 bytes) are the largest buffer.
//!
//! Public key (the keystore's 68 bytes): OID (u32 big-endian), root (32),
//! public seed SEED (32). Signature: leaf index (u32 big-endian), the
//! randomness `r` (32), the WOTS+ signature (67 × 32) and the
//! authentication path (h × 32): 2500 bytes for height 10.

use crate::sha256::Sha256;

use crate::error::VerifyError;

const N: usize = 32;
/// Winternitz parameter (w = 16, lg(w) = 4).
const W: u32 = 16;
const LEN1: usize = 64;
const LEN2: usize = 3;
/// WOTS+ chains per signature.
const LEN: usize = LEN1 + LEN2;
/// Public key: OID, root, SEED.
const PUB_LEN: usize = 4 + 2 * N;

/// Hash-function domain separators (`toByte(x, 32)` prefixes).
const F_PAD: u8 = 0;
const H_PAD: u8 = 1;
const HMSG_PAD: u8 = 2;
const PRF_PAD: u8 = 3;

/// Tree height of an XMSS OID (RFC 8391 section 5.3, SHA-256, n = 32).
const fn height(oid: u32) -> Option<u32> {
    match oid {
        0x0000_0001 => Some(10),
        0x0000_0002 => Some(16),
        0x0000_0003 => Some(20),
        _ => None,
    }
}

/// The signature length for an XMSS public key, or `None` for a key of
/// another size or parameter set.
pub fn signature_len(pubkey: &[u8]) -> Option<usize> {
    if pubkey.len() != PUB_LEN {
        return None;
    }
    let oid = u32::from_be_bytes(pubkey.get(..4)?.try_into().ok()?);
    Some(4 + N + LEN * N + height(oid)? as usize * N)
}

/// A hash address (RFC 8391 section 2.5): eight big-endian words.
#[derive(Clone, Copy)]
struct Adrs([u32; 8]);

impl Adrs {
    /// A fresh address of this type (layer and tree 0: a single tree).
    fn new(kind: u32) -> Self {
        Adrs([0, 0, 0, kind, 0, 0, 0, 0])
    }
    fn set(&mut self, word: usize, value: u32) {
        if let Some(w) = self.0.get_mut(word) {
            *w = value;
        }
    }
    fn get(&self, word: usize) -> u32 {
        self.0.get(word).copied().unwrap_or(0)
    }
    fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, w) in out.chunks_exact_mut(4).zip(self.0) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

// Address words.
const OTS_ADDR: usize = 4;
const LTREE_ADDR: usize = 4;
const CHAIN_ADDR: usize = 5;
const HASH_ADDR: usize = 6;
const TREE_HEIGHT: usize = 5;
const TREE_INDEX: usize = 6;
const KEY_AND_MASK: usize = 7;

fn pad(kind: u8) -> [u8; N] {
    let mut p = [0u8; N];
    if let Some(last) = p.last_mut() {
        *last = kind;
    }
    p
}

// The hashes below update one state in place: a chain of by-value
// `chain_update` calls moves the whole state at every call unless the
// compiler inlines them all (LMS's chains: 20.7 M instructions per check
// that way on mps2-an386, 15.6 M in place).
fn prf(seed: &[u8], adrs: &Adrs) -> [u8; N] {
    let mut h = Sha256::new();
    h.update(&pad(PRF_PAD));
    h.update(seed);
    h.update(&adrs.bytes());
    h.finalize()
}

fn xor(a: &[u8; N], b: &[u8; N]) -> [u8; N] {
    let mut out = [0u8; N];
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x ^ y;
    }
    out
}

/// Algorithm 7, RAND_HASH.
fn rand_hash(left: &[u8; N], right: &[u8; N], seed: &[u8], adrs: &mut Adrs) -> [u8; N] {
    adrs.set(KEY_AND_MASK, 0);
    let key = prf(seed, adrs);
    adrs.set(KEY_AND_MASK, 1);
    let bm0 = prf(seed, adrs);
    adrs.set(KEY_AND_MASK, 2);
    let bm1 = prf(seed, adrs);
    Sha256::new()
        .chain_update(pad(H_PAD))
        .chain_update(key)
        .chain_update(xor(left, &bm0))
        .chain_update(xor(right, &bm1))
        .finalize()
}

/// Algorithm 2, chain: `steps` applications of F from position `start`.
fn chain(x: &[u8], start: u32, steps: u32, seed: &[u8], adrs: &mut Adrs) -> [u8; N] {
    let mut tmp = [0u8; N];
    tmp.copy_from_slice(x);
    for j in start..start.saturating_add(steps).min(W) {
        adrs.set(HASH_ADDR, j);
        adrs.set(KEY_AND_MASK, 0);
        let key = prf(seed, adrs);
        adrs.set(KEY_AND_MASK, 1);
        let bm = prf(seed, adrs);
        let mut h = Sha256::new();
        h.update(&pad(F_PAD));
        h.update(&key);
        h.update(&xor(&tmp, &bm));
        h.finalize_into(&mut tmp);
    }
    tmp
}

/// base_w (Algorithm 1) for w = 16 of the 32-byte message digest followed
/// by its checksum (Algorithm 6's first half).
fn wots_digits(msg: &[u8; N]) -> [u8; LEN] {
    let mut d = [0u8; LEN];
    for (pair, byte) in d.chunks_exact_mut(2).zip(msg) {
        if let [hi, lo] = pair {
            *hi = byte >> 4;
            *lo = byte & 0x0F;
        }
    }
    let mut csum: u32 = d.iter().take(LEN1).map(|&x| W - 1 - u32::from(x)).sum();
    // len2 * lg(w) = 12 bits, left-aligned in two bytes.
    csum <<= 4;
    let cb = (csum as u16).to_be_bytes();
    if let Some(tail) = d.get_mut(LEN1..) {
        let digits = [cb[0] >> 4, cb[0] & 0x0F, cb[1] >> 4];
        tail.copy_from_slice(&digits);
    }
    d
}

/// Verify the XMSS signature `sig` over `msg` (the image digest) with the
/// public key `pubkey` (as the keystore stores it).
///
/// Errors: [`VerifyError::BadPublicKey`] for a key of the wrong size or an
/// OID that is not a SHA-256 n = 32 single-tree set; [`VerifyError::BadSignature`]
/// for a signature of the wrong length, a leaf index outside the tree, or
/// one that does not verify.
pub fn verify(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let expected = signature_len(pubkey).ok_or(VerifyError::BadPublicKey)?;
    if sig.len() != expected {
        return Err(VerifyError::BadSignature);
    }
    let oid_bytes: [u8; 4] = pubkey
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::BadPublicKey)?;
    let h = height(u32::from_be_bytes(oid_bytes)).ok_or(VerifyError::BadPublicKey)?;
    let root = pubkey.get(4..4 + N).ok_or(VerifyError::BadPublicKey)?;
    let seed = pubkey
        .get(4 + N..PUB_LEN)
        .ok_or(VerifyError::BadPublicKey)?;

    let idx_bytes: [u8; 4] = sig
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::BadSignature)?;
    let idx = u32::from_be_bytes(idx_bytes);
    if u64::from(idx) >= 1u64 << h {
        return Err(VerifyError::BadSignature);
    }
    let r = sig.get(4..4 + N).ok_or(VerifyError::BadSignature)?;
    let ots = sig
        .get(4 + N..4 + N + LEN * N)
        .ok_or(VerifyError::BadSignature)?;
    let auth = sig
        .get(4 + N + LEN * N..)
        .ok_or(VerifyError::BadSignature)?;

    // Algorithm 14: M' = H_msg(r || root || toByte(idx, 32), M).
    let mut idx_n = [0u8; N];
    if let Some(tail) = idx_n.get_mut(N - 4..) {
        tail.copy_from_slice(&idx_bytes);
    }
    let m: [u8; N] = Sha256::new()
        .chain_update(pad(HMSG_PAD))
        .chain_update(r)
        .chain_update(root)
        .chain_update(idx_n)
        .chain_update(msg)
        .finalize();

    // Algorithm 6: the WOTS+ public key from the signature.
    let digits = wots_digits(&m);
    let mut pk = [[0u8; N]; LEN];
    let mut ots_adrs = Adrs::new(0);
    ots_adrs.set(OTS_ADDR, idx);
    for ((end, part), &a) in pk.iter_mut().zip(ots.chunks_exact(N)).zip(&digits) {
        let i = u32::from(a);
        *end = chain(part, i, W - 1 - i, seed, &mut ots_adrs);
        ots_adrs.set(CHAIN_ADDR, ots_adrs.get(CHAIN_ADDR) + 1);
    }

    // Algorithm 8: compress the WOTS+ key with an L-tree.
    let mut ladrs = Adrs::new(1);
    ladrs.set(LTREE_ADDR, idx);
    let mut len = LEN;
    while len > 1 {
        for i in 0..len / 2 {
            ladrs.set(TREE_INDEX, i as u32);
            let (l, rt) = match (pk.get(2 * i), pk.get(2 * i + 1)) {
                (Some(l), Some(rt)) => (*l, *rt),
                _ => return Err(VerifyError::BadSignature),
            };
            let node = rand_hash(&l, &rt, seed, &mut ladrs);
            if let Some(slot) = pk.get_mut(i) {
                *slot = node;
            }
        }
        if len % 2 == 1 {
            let last = pk.get(len - 1).copied().unwrap_or([0; N]);
            if let Some(slot) = pk.get_mut(len / 2) {
                *slot = last;
            }
        }
        len = len.div_ceil(2);
        ladrs.set(TREE_HEIGHT, ladrs.get(TREE_HEIGHT) + 1);
    }
    let mut node = pk.first().copied().unwrap_or([0; N]);

    // Algorithm 13: climb the hash tree along the authentication path.
    let mut hadrs = Adrs::new(2);
    hadrs.set(TREE_INDEX, idx);
    for (k, sibling) in auth.chunks_exact(N).enumerate().take(h as usize) {
        let mut s = [0u8; N];
        s.copy_from_slice(sibling);
        hadrs.set(TREE_HEIGHT, k as u32);
        let index = hadrs.get(TREE_INDEX);
        if (idx >> k) & 1 == 0 {
            hadrs.set(TREE_INDEX, index / 2);
            node = rand_hash(&node, &s, seed, &mut hadrs);
        } else {
            hadrs.set(TREE_INDEX, (index - 1) / 2);
            node = rand_hash(&s, &node, seed, &mut hadrs);
        }
    }
    if bool::from(subtle::ConstantTimeEq::ct_eq(&node[..], root)) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_w_and_checksum_follow_rfc8391() {
        // RFC 8391 section 2.6: X = 0x1234, w = 16 gives 1, 2, 3, 4.
        let mut m = [0u8; N];
        m[0] = 0x12;
        m[1] = 0x34;
        let d = wots_digits(&m);
        assert_eq!(d[..4], [1, 2, 3, 4]);
        // Checksum: sum of (15 - digit) over 64 digits, shifted by 4,
        // split into three base-16 digits.
        let csum: u32 = d[..LEN1].iter().map(|&x| 15 - u32::from(x)).sum();
        assert_eq!(csum, 60 * 15 + 14 + 13 + 12 + 11);
        let v = (u32::from(d[64]) << 8) | (u32::from(d[65]) << 4) | u32::from(d[66]);
        assert_eq!(v, csum);
        // An all-ones digest has a zero checksum.
        assert_eq!(wots_digits(&[0xFF; N])[LEN1..], [0, 0, 0]);
    }

    #[test]
    fn parameter_sets() {
        let mut key = [0u8; PUB_LEN];
        key[3] = 1;
        assert_eq!(signature_len(&key), Some(2500));
        key[3] = 2;
        assert_eq!(signature_len(&key), Some(2500 + 6 * 32));
        key[3] = 4;
        assert_eq!(signature_len(&key), None);
        assert_eq!(signature_len(&key[..67]), None);
    }
}
