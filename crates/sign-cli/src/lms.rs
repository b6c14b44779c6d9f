//! LMS signing keys as wolfBoot's `keygen --lms` writes them (wolfCrypt's
//! `wc_lms` format), signing, and the one-time-leaf state.
//!
//! Key file: the 64-byte private key, then the 60-byte public key.
//! Private key: leaf index `q` (u64 big-endian, the next unused leaf),
//! eight parameter bytes (per level: LMS type << 4 | LM-OTS type, 0xFF for
//! absent levels), `SEED` (32) and the identifier `I` (16). The one-time
//! keys are derived from `SEED` and `I` as RFC 8554 Appendix A describes,
//! and the randomizer `C` of leaf `q` likewise (index 0xFFFD), so a
//! signature depends only on the key and `q`: signatures made here are
//! byte-identical to wolfBoot's.
//!
//! Only one level (L = 1) is supported for signing: that is what wolfBoot's
//! LMS configurations use.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const N: usize = 32;
/// Private key length in the file (`HSS_MAX_PRIVATE_KEY_LEN`).
pub const PRIV_LEN: usize = 64;
/// Public key length (`KEYSTORE_PUBKEY_SIZE_LMS`).
pub const PUB_LEN: usize = 60;

const D_PBLC: [u8; 2] = [0x80, 0x80];
const D_MESG: [u8; 2] = [0x81, 0x81];
const D_LEAF: [u8; 2] = [0x82, 0x82];
const D_INTR: [u8; 2] = [0x83, 0x83];
const D_C: [u8; 2] = [0xFF, 0xFD];

/// LMS parameters: tree height and Winternitz width (SHA-256, n = 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Tree height h (5, 10, 15, 20 or 25).
    pub height: u32,
    /// Winternitz parameter w (1, 2, 4 or 8).
    pub winternitz: u32,
}

impl Params {
    /// From wolfBoot's `LMS_HEIGHT` and `LMS_WINTERNITZ`.
    pub fn new(height: u32, winternitz: u32) -> Result<Self> {
        let p = Params { height, winternitz };
        if p.lms_type().is_none() || p.ots_type().is_none() {
            return Err(Error::usage(format!(
                "unsupported LMS parameters: height {height}, Winternitz {winternitz} \
                 (heights 5, 10, 15, 20, 25; Winternitz 1, 2, 4, 8)"
            )));
        }
        Ok(p)
    }

    fn lms_type(self) -> Option<u32> {
        match self.height {
            5 => Some(5),
            10 => Some(6),
            15 => Some(7),
            20 => Some(8),
            25 => Some(9),
            _ => None,
        }
    }

    fn ots_type(self) -> Option<u32> {
        match self.winternitz {
            1 => Some(1),
            2 => Some(2),
            4 => Some(3),
            8 => Some(4),
            _ => None,
        }
    }

    fn from_types(lms: u32, ots: u32) -> Option<Self> {
        let height = match lms {
            5 => 5,
            6 => 10,
            7 => 15,
            8 => 20,
            9 => 25,
            _ => return None,
        };
        let winternitz = match ots {
            1 => 1,
            2 => 2,
            3 => 4,
            4 => 8,
            _ => return None,
        };
        Some(Params { height, winternitz })
    }

    /// Number of hash chains p and checksum shift ls.
    fn p_ls(self) -> (usize, u32) {
        match self.winternitz {
            1 => (265, 7),
            2 => (133, 6),
            4 => (67, 4),
            _ => (34, 0),
        }
    }

    /// Signatures one key can make.
    pub fn leaves(self) -> u64 {
        1u64 << self.height
    }

    /// HSS signature length (one level).
    pub fn signature_len(self) -> usize {
        let (p, _) = self.p_ls();
        4 + 4 + (4 + N + p * N) + 4 + self.height as usize * N
    }
}

/// An LMS private key with its state.
#[derive(Clone)]
pub struct LmsKey {
    /// Next unused leaf.
    pub q: u64,
    /// Parameters.
    pub params: Params,
    seed: [u8; N],
    id: [u8; 16],
    public: [u8; PUB_LEN],
}

impl std::fmt::Debug for LmsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LmsKey(q={}, {:?})", self.q, self.params)
    }
}

fn h(parts: &[&[u8]]) -> [u8; N] {
    let mut s = Sha256::new();
    for p in parts {
        s.update(p);
    }
    s.finalize().into()
}

fn coef(s: &[u8], i: usize, w: u32) -> u32 {
    let per_byte = 8 / w as usize;
    let byte = s.get(i / per_byte).copied().unwrap_or(0);
    let shift = 8 - (w * (i % per_byte) as u32 + w);
    (u32::from(byte) >> shift) & ((1 << w) - 1)
}

impl LmsKey {
    /// A fresh key (random `SEED` and `I`), leaf 0 next.
    pub fn generate(params: Params) -> Result<Self> {
        let mut seed = [0u8; N];
        let mut id = [0u8; 16];
        getrandom::fill(&mut seed)
            .and_then(|_| getrandom::fill(&mut id))
            .map_err(|e| Error::Sign(format!("random generator: {e}")))?;
        let mut key = LmsKey {
            q: 0,
            params,
            seed,
            id,
            public: [0; PUB_LEN],
        };
        let root = key.tree_root();
        key.public = key.public_from_root(&root);
        Ok(key)
    }

    /// Parse a key file (private key then public key).
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        if bytes.len() != PRIV_LEN + PUB_LEN {
            return Err(format!(
                "an LMS key file is {} bytes (private {PRIV_LEN} + public {PUB_LEN}), not {}",
                PRIV_LEN + PUB_LEN,
                bytes.len()
            ));
        }
        let (private, public) = bytes.split_at(PRIV_LEN);
        let q = u64::from_be_bytes(private[..8].try_into().map_err(|_| "short key")?);
        let levels = u32::from_be_bytes(public[..4].try_into().map_err(|_| "short key")?);
        if levels != 1 {
            return Err(format!(
                "LMS keys with {levels} levels are not supported (one level only)"
            ));
        }
        let lms = u32::from_be_bytes(public[4..8].try_into().map_err(|_| "short key")?);
        let ots = u32::from_be_bytes(public[8..12].try_into().map_err(|_| "short key")?);
        let params = Params::from_types(lms, ots).ok_or("unknown LMS parameter set")?;
        if private[8] != ((lms as u8) << 4 | ots as u8) || private[9..16].iter().any(|&b| b != 0xFF)
        {
            return Err("LMS private key parameters do not match its public key".into());
        }
        let mut seed = [0u8; N];
        seed.copy_from_slice(&private[16..48]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&private[48..64]);
        if public[12..28] != id {
            return Err("LMS private key identifier does not match its public key".into());
        }
        let mut pk = [0u8; PUB_LEN];
        pk.copy_from_slice(public);
        Ok(LmsKey {
            q,
            params,
            seed,
            id,
            public: pk,
        })
    }

    /// The key file bytes (private key with the current `q`, public key).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PRIV_LEN + PUB_LEN);
        out.extend_from_slice(&self.q.to_be_bytes());
        let lms = self.params.lms_type().unwrap_or(0) as u8;
        let ots = self.params.ots_type().unwrap_or(0) as u8;
        out.push(lms << 4 | ots);
        out.extend_from_slice(&[0xFF; 7]);
        out.extend_from_slice(&self.seed);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&self.public);
        out
    }

    /// The public key (keystore form).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn public_from_root(&self, root: &[u8; N]) -> [u8; PUB_LEN] {
        let mut pk = [0u8; PUB_LEN];
        pk[..4].copy_from_slice(&1u32.to_be_bytes());
        pk[4..8].copy_from_slice(&self.params.lms_type().unwrap_or(0).to_be_bytes());
        pk[8..12].copy_from_slice(&self.params.ots_type().unwrap_or(0).to_be_bytes());
        pk[12..28].copy_from_slice(&self.id);
        pk[28..].copy_from_slice(root);
        pk
    }

    /// One-time private key element i of leaf q (RFC 8554 Appendix A).
    fn ots_secret(&self, q: u32, i: u16) -> [u8; N] {
        h(&[
            &self.id,
            &q.to_be_bytes(),
            &i.to_be_bytes(),
            &[0xFF],
            &self.seed,
        ])
    }

    /// `steps` hash-chain steps of element i of leaf q, from position `from`.
    fn chain(&self, q: u32, i: u16, mut x: [u8; N], from: u32, to: u32) -> [u8; N] {
        for j in from..to {
            x = h(&[&self.id, &q.to_be_bytes(), &i.to_be_bytes(), &[j as u8], &x]);
        }
        x
    }

    fn leaf(&self, q: u32) -> [u8; N] {
        let (p, _) = self.params.p_ls();
        let max = (1u32 << self.params.winternitz) - 1;
        let mut k = Sha256::new();
        k.update(self.id);
        k.update(q.to_be_bytes());
        k.update(D_PBLC);
        for i in 0..p as u16 {
            let x = self.ots_secret(q, i);
            k.update(self.chain(q, i, x, 0, max));
        }
        let k: [u8; N] = k.finalize().into();
        let node = (1u32 << self.params.height) + q;
        h(&[&self.id, &node.to_be_bytes(), &D_LEAF, &k])
    }

    /// Every node of the tree, indexed as RFC 8554 numbers them (root 1).
    fn tree(&self) -> Vec<[u8; N]> {
        let leaves = 1usize << self.params.height;
        let mut nodes = vec![[0u8; N]; 2 * leaves];
        // The leaves (one-time public keys) are most of the work: spread
        // them over the machine's cores.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = leaves.div_ceil(threads);
        std::thread::scope(|scope| {
            for (t, chunk) in nodes[leaves..].chunks_mut(per).enumerate() {
                scope.spawn(move || {
                    for (i, node) in chunk.iter_mut().enumerate() {
                        *node = self.leaf((t * per + i) as u32);
                    }
                });
            }
        });
        for r in (1..leaves).rev() {
            nodes[r] = h(&[
                &self.id,
                &(r as u32).to_be_bytes(),
                &D_INTR,
                &nodes[2 * r],
                &nodes[2 * r + 1],
            ]);
        }
        nodes
    }

    fn tree_root(&self) -> [u8; N] {
        self.tree()[1]
    }

    /// The HSS signature of `msg` with leaf `q` (no state change).
    pub fn sign_at(&self, q: u64, msg: &[u8]) -> Result<Vec<u8>> {
        if q >= self.params.leaves() {
            return Err(Error::Sign(format!(
                "LMS key exhausted: all {} one-time leaves are used",
                self.params.leaves()
            )));
        }
        let q = q as u32;
        let (p, ls) = self.params.p_ls();
        let w = self.params.winternitz;
        let max = (1u32 << w) - 1;
        let c = h(&[&self.id, &q.to_be_bytes(), &D_C, &[0xFF], &self.seed]);
        let qh = h(&[&self.id, &q.to_be_bytes(), &D_MESG, &c, msg]);
        let sum: u32 = (0..N * 8 / w as usize).map(|i| max - coef(&qh, i, w)).sum();
        let mut qc = qh.to_vec();
        qc.extend_from_slice(&((sum << ls) as u16).to_be_bytes());

        let mut sig = Vec::with_capacity(self.params.signature_len());
        sig.extend_from_slice(&0u32.to_be_bytes()); // Nspk
        sig.extend_from_slice(&q.to_be_bytes());
        sig.extend_from_slice(&self.params.ots_type().unwrap_or(0).to_be_bytes());
        sig.extend_from_slice(&c);
        for i in 0..p as u16 {
            let a = coef(&qc, usize::from(i), w);
            sig.extend_from_slice(&self.chain(q, i, self.ots_secret(q, i), 0, a));
        }
        sig.extend_from_slice(&self.params.lms_type().unwrap_or(0).to_be_bytes());
        let nodes = self.tree();
        let mut r = (1usize << self.params.height) + q as usize;
        while r > 1 {
            sig.extend_from_slice(&nodes[r ^ 1]);
            r /= 2;
        }
        if nodes[1] != self.public[28..] {
            return Err(Error::Sign(
                "LMS private key does not produce its public key".into(),
            ));
        }
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_key_signs_and_verifies() {
        let params = Params::new(5, 4).unwrap();
        let mut key = LmsKey::generate(params).unwrap();
        let bytes = key.to_bytes();
        let again = LmsKey::parse(&bytes).unwrap();
        assert_eq!(again.to_bytes(), bytes);
        let msg = [7u8; 32];
        for q in [0u64, 1, 31] {
            key.q = q;
            let sig = key.sign_at(q, &msg).unwrap();
            assert_eq!(sig.len(), params.signature_len());
            wolfboot_verify::lms::verify(key.public_key(), &msg, &sig).unwrap();
            assert!(wolfboot_verify::lms::verify(key.public_key(), &[8u8; 32], &sig).is_err());
        }
        assert!(key.sign_at(32, &msg).is_err());
        // A two-level HSS signature (RFC 8554 section 6.2) made from two
        // one-level keys: the top key signs the bottom key's LMS public
        // key, the bottom key signs the message. The verifier walks both.
        let top = LmsKey::generate(params).unwrap();
        let bottom = LmsKey::generate(Params::new(5, 8).unwrap()).unwrap();
        let bottom_pub = &bottom.public_key()[4..];
        let mut hss = 1u32.to_be_bytes().to_vec();
        hss.extend_from_slice(&top.sign_at(3, bottom_pub).unwrap()[4..]);
        hss.extend_from_slice(bottom_pub);
        hss.extend_from_slice(&bottom.sign_at(7, &msg).unwrap()[4..]);
        let mut hss_pub = top.public_key().to_vec();
        hss_pub[..4].copy_from_slice(&2u32.to_be_bytes());
        wolfboot_verify::lms::verify(&hss_pub, &msg, &hss).unwrap();
        assert!(wolfboot_verify::lms::verify(&hss_pub, &[9u8; 32], &hss).is_err());
        let mut forged = hss.clone();
        let at = 4 + top.params.signature_len() - 4 + 20; // inside the bottom key
        forged[at] ^= 1;
        assert!(wolfboot_verify::lms::verify(&hss_pub, &msg, &forged).is_err());
        // One level announced where two are given, and the reverse.
        assert!(wolfboot_verify::lms::verify(top.public_key(), &msg, &hss).is_err());
        // wolfBoot's key file round-trips.
        let file = wolfboot_test_vectors::read("pq/lms-l1-h10-w8/wolfboot_signing_private_key.der");
        assert_eq!(LmsKey::parse(&file).unwrap().to_bytes(), file);
    }
}
