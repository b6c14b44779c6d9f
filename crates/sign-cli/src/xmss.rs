//! XMSS-SHA2_10_256 signing keys as wolfBoot's `keygen --xmss` writes them
//! (wolfCrypt's `wc_xmss` format), and signing.
//!
//! Key file: the 1343-byte private key, then the 68-byte public key (OID,
//! root, public seed). Private key: leaf index `idx` (u32 big-endian, the
//! next unused leaf), `SK_SEED`, `SK_PRF`, root, `PUB_SEED` (32 bytes each),
//! then wolfCrypt's tree-traversal (BDS) cache. The WOTS+ keys come from
//! `SK_SEED` as RFC 8391's reference code derives them (`PRF_keygen`), `r`
//! from `SK_PRF`: a signature depends only on the key and `idx`, and is
//! byte-identical to wolfBoot's.
//!
//! This signer recomputes the tree for each signature and never reads the
//! BDS cache; it advances `idx` and leaves the cache as it found it (zeros
//! in keys it generates). A key file signed here must go on being signed
//! here: wolfBoot's `sign` would trust the stale cache.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const N: usize = 32;
const LEN1: usize = 64;
const LEN: usize = 67;
const HEIGHT: u32 = 10;
/// OID of XMSS-SHA2_10_256.
const OID: u32 = 1;
/// Private key length of XMSS-SHA2_10_256 in wolfCrypt's format.
pub const PRIV_LEN: usize = 1343;
/// Public key length.
pub const PUB_LEN: usize = 68;
/// Signature length.
pub const SIG_LEN: usize = 4 + N + LEN * N + HEIGHT as usize * N;
/// Signatures one key can make.
pub const LEAVES: u32 = 1 << HEIGHT;

fn h(parts: &[&[u8]]) -> [u8; N] {
    let mut s = Sha256::new();
    for p in parts {
        s.update(p);
    }
    s.finalize().into()
}

fn pad(x: u8) -> [u8; N] {
    let mut p = [0u8; N];
    p[N - 1] = x;
    p
}

fn adrs(words: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (c, w) in out.chunks_exact_mut(4).zip(words) {
        c.copy_from_slice(&w.to_be_bytes());
    }
    out
}

fn xor(a: &[u8; N], b: &[u8; N]) -> [u8; N] {
    let mut o = [0u8; N];
    for i in 0..N {
        o[i] = a[i] ^ b[i];
    }
    o
}

/// An XMSS-SHA2_10_256 private key with its state.
#[derive(Clone)]
pub struct XmssKey {
    /// Next unused leaf.
    pub idx: u32,
    private: Vec<u8>,
    public: [u8; PUB_LEN],
}

impl std::fmt::Debug for XmssKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "XmssKey(idx={})", self.idx)
    }
}

impl XmssKey {
    fn sk_seed(&self) -> &[u8] {
        &self.private[4..36]
    }
    fn sk_prf(&self) -> &[u8] {
        &self.private[36..68]
    }
    fn root(&self) -> &[u8] {
        &self.public[4..36]
    }
    fn seed(&self) -> &[u8] {
        &self.public[36..68]
    }

    /// Parse a key file (private key then public key).
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        if bytes.len() != PRIV_LEN + PUB_LEN {
            return Err(format!(
                "an XMSS-SHA2_10_256 key file is {} bytes, not {}",
                PRIV_LEN + PUB_LEN,
                bytes.len()
            ));
        }
        let (private, public) = bytes.split_at(PRIV_LEN);
        if public[..4] != OID.to_be_bytes() {
            return Err("only XMSS-SHA2_10_256 keys are supported".into());
        }
        if private[68..100] != public[4..36] || private[100..132] != public[36..68] {
            return Err("XMSS private key does not match its public key".into());
        }
        let idx = u32::from_be_bytes(private[..4].try_into().map_err(|_| "short key")?);
        let mut pk = [0u8; PUB_LEN];
        pk.copy_from_slice(public);
        Ok(XmssKey {
            idx,
            private: private.to_vec(),
            public: pk,
        })
    }

    /// A fresh key, leaf 0 next (the BDS cache area zeroed).
    pub fn generate() -> Result<Self> {
        let mut seeds = [0u8; 3 * N];
        getrandom::fill(&mut seeds).map_err(|e| Error::Sign(format!("random generator: {e}")))?;
        let mut private = vec![0u8; PRIV_LEN];
        private[4..68].copy_from_slice(&seeds[..2 * N]);
        private[100..132].copy_from_slice(&seeds[2 * N..]);
        let mut public = [0u8; PUB_LEN];
        public[..4].copy_from_slice(&OID.to_be_bytes());
        public[36..].copy_from_slice(&seeds[2 * N..]);
        let mut key = XmssKey {
            idx: 0,
            private,
            public,
        };
        let root = key.tree()[1];
        key.public[4..36].copy_from_slice(&root);
        key.private[68..100].copy_from_slice(&root);
        Ok(key)
    }

    /// The key file bytes with the current `idx`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.private.clone();
        out[..4].copy_from_slice(&self.idx.to_be_bytes());
        out.extend_from_slice(&self.public);
        out
    }

    /// The public key (keystore form).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn prf(&self, words: &[u32; 8]) -> [u8; N] {
        h(&[&pad(3), self.seed(), &adrs(words)])
    }

    fn rand_hash(&self, l: &[u8; N], r: &[u8; N], words: &mut [u32; 8]) -> [u8; N] {
        words[7] = 0;
        let key = self.prf(words);
        words[7] = 1;
        let bm0 = self.prf(words);
        words[7] = 2;
        let bm1 = self.prf(words);
        h(&[&pad(1), &key, &xor(l, &bm0), &xor(r, &bm1)])
    }

    fn chain(&self, mut x: [u8; N], start: u32, steps: u32, words: &mut [u32; 8]) -> [u8; N] {
        for j in start..start + steps {
            words[6] = j;
            words[7] = 0;
            let key = self.prf(words);
            words[7] = 1;
            let bm = self.prf(words);
            x = h(&[&pad(0), &key, &xor(&x, &bm)]);
        }
        x
    }

    /// WOTS+ secret element `i` of leaf `leaf`.
    fn wots_secret(&self, leaf: u32, i: u32) -> [u8; N] {
        let words = [0, 0, 0, 0, leaf, i, 0, 0];
        h(&[&pad(4), self.sk_seed(), self.seed(), &adrs(&words)])
    }

    fn leaf(&self, leaf: u32) -> [u8; N] {
        let mut pk = [[0u8; N]; LEN];
        for (i, p) in pk.iter_mut().enumerate() {
            let mut words = [0, 0, 0, 0, leaf, i as u32, 0, 0];
            *p = self.chain(self.wots_secret(leaf, i as u32), 0, 15, &mut words);
        }
        let mut words = [0, 0, 0, 1, leaf, 0, 0, 0];
        let mut len = LEN;
        while len > 1 {
            for i in 0..len / 2 {
                words[6] = i as u32;
                pk[i] = self.rand_hash(&pk[2 * i], &pk[2 * i + 1], &mut words);
            }
            if len % 2 == 1 {
                pk[len / 2] = pk[len - 1];
            }
            len = len.div_ceil(2);
            words[5] += 1;
        }
        pk[0]
    }

    /// Every node, heap-numbered (root 1, leaves from 2^h).
    fn tree(&self) -> Vec<[u8; N]> {
        let leaves = LEAVES as usize;
        let mut nodes = vec![[0u8; N]; 2 * leaves];
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
        // Level k node j (from the leaves, k = 1..h) is nodes[(2^h >> k) + j].
        for k in 1..=HEIGHT {
            let first = leaves >> k;
            for j in 0..first {
                let mut words = [0, 0, 0, 2, 0, k - 1, j as u32, 0];
                let (l, r) = (nodes[2 * (first + j)], nodes[2 * (first + j) + 1]);
                nodes[first + j] = self.rand_hash(&l, &r, &mut words);
            }
        }
        nodes
    }

    /// The XMSS signature of `msg` with leaf `idx` (no state change).
    pub fn sign_at(&self, idx: u32, msg: &[u8]) -> Result<Vec<u8>> {
        if idx >= LEAVES {
            return Err(Error::Sign(format!(
                "XMSS key exhausted: all {LEAVES} one-time leaves are used"
            )));
        }
        let mut idx_n = [0u8; N];
        idx_n[N - 4..].copy_from_slice(&idx.to_be_bytes());
        let r = h(&[&pad(3), self.sk_prf(), &idx_n]);
        let m = h(&[&pad(2), &r, self.root(), &idx_n, msg]);
        let mut digits = [0u8; LEN];
        for (i, b) in m.iter().enumerate() {
            digits[2 * i] = b >> 4;
            digits[2 * i + 1] = b & 15;
        }
        let csum: u32 = digits[..LEN1]
            .iter()
            .map(|&d| 15 - u32::from(d))
            .sum::<u32>()
            << 4;
        let cb = (csum as u16).to_be_bytes();
        digits[64..].copy_from_slice(&[cb[0] >> 4, cb[0] & 15, cb[1] >> 4]);

        let mut sig = Vec::with_capacity(SIG_LEN);
        sig.extend_from_slice(&idx.to_be_bytes());
        sig.extend_from_slice(&r);
        for (i, &d) in digits.iter().enumerate() {
            let mut words = [0, 0, 0, 0, idx, i as u32, 0, 0];
            let x = self.wots_secret(idx, i as u32);
            sig.extend_from_slice(&self.chain(x, 0, u32::from(d), &mut words));
        }
        let nodes = self.tree();
        if nodes[1] != self.root() {
            return Err(Error::Sign(
                "XMSS private key does not produce its public key".into(),
            ));
        }
        let mut node = LEAVES as usize + idx as usize;
        while node > 1 {
            sig.extend_from_slice(&nodes[node ^ 1]);
            node /= 2;
        }
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wolfboot_key_files_round_trip() {
        let file =
            wolfboot_test_vectors::read("pq/xmss-sha2_10_256/wolfboot_signing_private_key.der");
        let key = XmssKey::parse(&file).unwrap();
        assert_eq!(key.to_bytes(), file);
        assert!(key.sign_at(LEAVES, &[0; 32]).is_err());
        let mut other = file.clone();
        other[70] ^= 1; // the private copy of the root
        assert!(XmssKey::parse(&other).is_err());
    }
}
