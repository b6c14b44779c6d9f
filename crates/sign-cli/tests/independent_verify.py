#!/usr/bin/env python3
"""Independent checker for wolfBoot signed images, written from the format
description (docs/Signing.md, docs/firmware_image.md) with the `cryptography`
package -- it shares no code with the Rust tool it checks.

usage: independent_verify.py IMAGE PUBKEY|- [--payload FILE] [--rsa-encoding raw|digestinfo|any]
                             [--expect-version N] [--expect-partition N] [--header-size N]

PUBKEY is the key as the keystore stores it (ECC raw X||Y, EdDSA raw, RSA
SubjectPublicKeyInfo DER); '-' for an unsigned (--no-sign) image.
Exit status 0 and one line "OK ..." when the image is valid, 1 and the reason
otherwise.
"""

import argparse
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import load_der_public_key

MAGIC = b"WOLF"
TAG_VERSION, TAG_TIMESTAMP, TAG_SHA256, TAG_IMG_TYPE = 0x01, 0x02, 0x03, 0x04
TAG_PUBKEY_HINT, TAG_SHA3_384, TAG_SHA384, TAG_SIGNATURE = 0x10, 0x13, 0x14, 0x20

# auth code (high byte of the image type) -> (name, signature length, minimum header size)
AUTH = {
    0xFF: ("none", 0, 256),
    0x01: ("ed25519", 64, 256),
    0x02: ("ecc256", 64, 256),
    0x03: ("rsa2048", 256, 512),
    0x04: ("rsa4096", 512, 1024),
    0x05: ("ed448", 114, 512),
    0x06: ("ecc384", 96, 512),
    0x07: ("ecc521", 132, 512),
    0x08: ("rsa3072", 384, 512),
    0x0C: ("rsapss2048", 256, 512),
    0x0D: ("rsapss3072", 384, 512),
    0x0E: ("rsapss4096", 512, 1024),
}

DIGESTS = {
    TAG_SHA256: ("sha256", hashlib.sha256, hashes.SHA256),
    TAG_SHA384: ("sha384", hashlib.sha384, hashes.SHA384),
    TAG_SHA3_384: ("sha3-384", hashlib.sha3_384, hashes.SHA3_384),
}


class Invalid(Exception):
    pass


def walk_tlvs(header):
    """Yield (tag, offset, value): padding bytes 0xFF and odd offsets are
    skipped, tag 0 ends the list, a field that does not fit stops the walk."""
    pos = 8
    size = len(header)
    while pos + 4 < size:
        tag = header[pos] | (header[pos + 1] << 8)
        if tag == 0:
            return
        if header[pos] == 0xFF or pos % 2 == 1:
            pos += 1
            continue
        length = header[pos + 2] | (header[pos + 3] << 8)
        if 4 + length > size - 8 or pos + 4 + length > size:
            return
        yield tag, pos, header[pos + 4 : pos + 4 + length]
        pos += 4 + length


def find(header, tag):
    for t, off, val in walk_tlvs(header):
        if t == tag:
            return off, val
    return None


def parse(image, forced_size=None):
    if len(image) < 256:
        raise Invalid("image shorter than a header")
    if image[:4] != MAGIC:
        raise Invalid("bad magic")
    payload_size = struct.unpack_from("<I", image, 4)[0]
    first = find(image[:256], TAG_IMG_TYPE)
    if first is None or len(first[1]) != 2:
        raise Invalid("no image type field")
    img_type = struct.unpack("<H", first[1])[0]
    auth = img_type >> 8
    if auth not in AUTH:
        raise Invalid("unknown auth type 0x%02x" % auth)
    name, sig_len, min_size = AUTH[auth]
    size = forced_size or min_size
    while size <= 65536:
        header = image[:size]
        if len(header) < size:
            raise Invalid("image shorter than its header")
        digest = next(((t, o, v) for t, o, v in walk_tlvs(header) if t in DIGESTS), None)
        sig = find(header, TAG_SIGNATURE)
        if digest is not None and (auth == 0xFF or sig is not None):
            return {
                "header": header,
                "payload": image[size : size + payload_size],
                "payload_size": payload_size,
                "img_type": img_type,
                "auth": auth,
                "auth_name": name,
                "sig_len": sig_len,
                "digest": digest,
                "signature": sig[1] if sig else None,
            }
        size *= 2
    raise Invalid("no complete header (digest/signature fields missing)")


def load_pubkey(auth_name, raw):
    if auth_name == "ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if auth_name == "ed448":
        return ed448.Ed448PublicKey.from_public_bytes(raw)
    if auth_name.startswith("ecc"):
        curve, n = {"ecc256": (ec.SECP256R1(), 32), "ecc384": (ec.SECP384R1(), 48),
                    "ecc521": (ec.SECP521R1(), 66)}[auth_name]
        if len(raw) != 2 * n:
            raise Invalid("ECC public key must be %d bytes X||Y, got %d" % (2 * n, len(raw)))
        x = int.from_bytes(raw[:n], "big")
        y = int.from_bytes(raw[n:], "big")
        return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    key = load_der_public_key(raw)
    if not isinstance(key, rsa.RSAPublicKey):
        raise Invalid("not an RSA public key")
    return key


def check_signature(img, pub_raw, rsa_encoding):
    name = img["auth_name"]
    _, value = img["digest"][0], img["digest"][2]
    hname, _, hcls = DIGESTS[img["digest"][0]]
    sig = img["signature"]
    if sig is None:
        raise Invalid("no signature field")
    if len(sig) != img["sig_len"]:
        raise Invalid("signature is %d bytes, %s needs %d" % (len(sig), name, img["sig_len"]))
    key = load_pubkey(name, pub_raw)
    try:
        if name in ("ed25519", "ed448"):
            key.verify(sig, value)
            return "eddsa"
        if name.startswith("ecc"):
            n = len(sig) // 2
            r = int.from_bytes(sig[:n], "big")
            s = int.from_bytes(sig[n:], "big")
            key.verify(utils.encode_dss_signature(r, s), value, ec.ECDSA(utils.Prehashed(hcls())))
            return "ecdsa"
        if name.startswith("rsapss"):
            if hname == "sha3-384":
                raise Invalid("RSA-PSS with SHA3 is not defined by wolfBoot")
            key.verify(sig, value,
                       padding.PSS(mgf=padding.MGF1(hcls()), salt_length=len(value)),
                       utils.Prehashed(hcls()))
            return "pss"
        if key.key_size != img["sig_len"] * 8:
            raise Invalid("RSA key is %d bits, image type needs %d" % (key.key_size, img["sig_len"] * 8))
        # PKCS#1 v1.5: the recovered block is either the bare digest or a DigestInfo.
        if rsa_encoding in ("raw", "any"):
            try:
                if key.recover_data_from_signature(sig, padding.PKCS1v15(), None) == value:
                    return "pkcs1v15-raw"
            except InvalidSignature:
                pass
        if rsa_encoding in ("digestinfo", "any"):
            try:
                if key.recover_data_from_signature(sig, padding.PKCS1v15(), hcls()) == value:
                    return "pkcs1v15-digestinfo"
            except (InvalidSignature, ValueError):
                pass
        raise Invalid("signature invalid (RSA PKCS#1 v1.5, encoding %s)" % rsa_encoding)
    except InvalidSignature:
        raise Invalid("signature invalid (%s)" % name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("pubkey")
    ap.add_argument("--payload")
    ap.add_argument("--rsa-encoding", default="any", choices=["raw", "digestinfo", "any"])
    ap.add_argument("--expect-version", type=int)
    ap.add_argument("--expect-partition", type=int)
    ap.add_argument("--header-size", type=int, help="header size, when not the smallest that fits")
    a = ap.parse_args()
    try:
        image = open(a.image, "rb").read()
        img = parse(image, a.header_size)
        if len(img["payload"]) != img["payload_size"]:
            raise Invalid("image shorter than header + payload size")
        tag, off, value = img["digest"]
        hname, hfun, _ = DIGESTS[tag]
        if len(value) != hfun().digest_size:
            raise Invalid("digest field has the wrong length")
        computed = hfun(img["header"][:off] + img["payload"]).digest()
        if computed != value:
            raise Invalid("digest mismatch")
        if a.payload is not None and open(a.payload, "rb").read() != img["payload"]:
            raise Invalid("payload differs from the original firmware")
        ver = find(img["header"], TAG_VERSION)
        if ver is None or len(ver[1]) != 4:
            raise Invalid("no version field")
        version = struct.unpack("<I", ver[1])[0]
        if a.expect_version is not None and version != a.expect_version:
            raise Invalid("version %d, expected %d" % (version, a.expect_version))
        part = img["img_type"] & 0x000F
        if a.expect_partition is not None and part != a.expect_partition:
            raise Invalid("partition %d, expected %d" % (part, a.expect_partition))
        hint = find(img["header"], TAG_PUBKEY_HINT)
        if hint is None:
            raise Invalid("no public key hint")
        if img["auth"] == 0xFF:
            if a.pubkey != "-":
                raise Invalid("image is unsigned but a key was given")
            if hint[1] != hfun(b"").digest():
                raise Invalid("unsigned image hint is not the hash of no bytes")
            how = "unsigned"
        else:
            if a.pubkey == "-":
                raise Invalid("image is signed (%s) but no key was given" % img["auth_name"])
            pub_raw = open(a.pubkey, "rb").read()
            if hint[1] != hfun(pub_raw).digest():
                raise Invalid("public key hint does not match the key")
            how = check_signature(img, pub_raw, a.rsa_encoding)
        print("OK %s %s %s version=%d partition=%d header=%d payload=%d" % (
            img["auth_name"], hname, how, version, part, len(img["header"]), img["payload_size"]))
        return 0
    except Invalid as e:
        print("INVALID: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
