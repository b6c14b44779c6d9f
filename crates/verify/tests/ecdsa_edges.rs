//! ECDSA edge cases on wolfBoot-made images, for every NIST curve: whatever
//! backend or key decoding the ECC features use, `r` or `s` of zero or not
//! below the group order is refused, the high-S twin of a valid signature
//! (`n - s`) is accepted as wolfBoot accepts it, and keys that are not
//! points of the curve (off the curve, the identity, coordinates not below
//! the field prime) are refused.

use wolfboot_image_format::ImageHeader;
use wolfboot_test_vectors as tv;
use wolfboot_verify::{
    verify_image_bytes, verify_signature, AuthType, HashAlgorithm, KeySlot, Keystore, VerifyError,
    VerifyOptions, VerifyPolicy,
};

/// Big-endian group orders.
const N256: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const N384: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf\
                    581a0db248b0a77aecec196accc52973";
const N521: &str = "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
                    fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e9138\
                    6409";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `a - b` of equal-length big-endian numbers (a ≥ b).
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = (d < 0) as i16;
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    assert_eq!(borrow, 0);
    out
}

struct Case {
    image: &'static str,
    key: &'static str,
    auth: AuthType,
    order: &'static str,
}

const CASES: [Case; 3] = [
    Case {
        image: "ecc256_sha256_v668_signed.bin",
        key: "keys/ecc256/ecc256_pub.der",
        auth: AuthType::Ecc256,
        order: N256,
    },
    Case {
        image: "ecc384_sha256_v215_signed.bin",
        key: "keys/ecc384/ecc384_pub.der",
        auth: AuthType::Ecc384,
        order: N384,
    },
    Case {
        image: "ecc521_sha256_v30_signed.bin",
        key: "keys/ecc521/ecc521_pub.der",
        auth: AuthType::Ecc521,
        order: N521,
    },
];

/// The image with its signature replaced by `r || s`, verified with `key`.
fn verify_with(
    image: &[u8],
    sig_at: usize,
    r: &[u8],
    s: &[u8],
    case: &Case,
    key: &[u8],
) -> Result<(), VerifyError> {
    let mut img = image.to_vec();
    img[sig_at..sig_at + r.len()].copy_from_slice(r);
    img[sig_at + r.len()..sig_at + r.len() + s.len()].copy_from_slice(s);
    let slots = [KeySlot::new(0, case.auth, key)];
    verify_image_bytes(&img, &Keystore::new(&slots), &VerifyOptions::new()).map(|_| ())
}

#[test]
fn ecdsa_scalars_and_keys_at_the_edges() {
    for case in &CASES {
        let image = tv::read(case.image);
        let key = tv::read(case.key);
        let n = hex(case.order);
        let field = n.len();
        assert_eq!(key.len(), 2 * field, "{}", case.image);
        let header = ImageHeader::parse_auto(&image).unwrap();
        let sig = header.signature().unwrap();
        assert_eq!(sig.len(), 2 * field);
        let sig_at = sig.as_ptr() as usize - image.as_ptr() as usize;
        let (r, s) = sig.split_at(field);
        let (r, s) = (r.to_vec(), s.to_vec());
        let zero = vec![0u8; field];
        let ones = vec![0xFFu8; field];
        let what = case.image;

        assert_eq!(
            verify_with(&image, sig_at, &r, &s, case, &key),
            Ok(()),
            "{what}: valid"
        );
        // High S: (r, n - s) is the same signature for ECDSA; wolfBoot
        // accepts it, and so do we.
        let high = sub(&n, &s);
        assert_eq!(
            verify_with(&image, sig_at, &r, &high, case, &key),
            Ok(()),
            "{what}: n - s accepted"
        );
        let bad = Err(VerifyError::BadSignature);
        for (rr, ss, label) in [
            (&zero, &s, "r = 0"),
            (&r, &zero, "s = 0"),
            (&n, &s, "r = n"),
            (&r, &n, "s = n"),
            (&ones, &s, "r > n"),
            (&r, &ones, "s > n"),
        ] {
            assert_eq!(
                verify_with(&image, sig_at, rr, ss, case, &key),
                bad,
                "{what}: {label}"
            );
        }

        // Keys: checked by verify_signature over the image's own digest.
        let digest = verify_image_bytes(
            &image,
            &Keystore::new(&[KeySlot::new(0, case.auth, &key)]),
            &VerifyOptions::new(),
        )
        .unwrap()
        .digest;
        let check = |k: &[u8]| {
            verify_signature(
                case.auth,
                k,
                HashAlgorithm::Sha256,
                digest.as_bytes(),
                sig,
                &VerifyPolicy::new(),
            )
        };
        assert_eq!(check(&key), Ok(()), "{what}: key");
        let mut off_curve = key.clone();
        *off_curve.last_mut().unwrap() ^= 1;
        assert_eq!(
            check(&off_curve),
            Err(VerifyError::BadPublicKey),
            "{what}: off curve"
        );
        assert_eq!(
            check(&vec![0u8; 2 * field]),
            Err(VerifyError::BadPublicKey),
            "{what}: identity"
        );
        let mut big_x = key.clone();
        big_x[..field].copy_from_slice(&ones);
        assert_eq!(
            check(&big_x),
            Err(VerifyError::BadPublicKey),
            "{what}: x not below p"
        );
        assert_eq!(
            check(&key[..2 * field - 1]),
            Err(VerifyError::BadPublicKey),
            "{what}: short key"
        );
    }
}
