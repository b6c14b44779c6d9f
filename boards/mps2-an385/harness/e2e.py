#!/usr/bin/env python3
"""End-to-end test of wolfboot-rs on QEMU mps2-an385 (prototype for `cargo xtask`).

Builds the bootloader and the test application (same fresh keystore, same
algorithm), signs versions of the application, and runs QEMU on a flash kept
in `flash.bin` (see src/testctl.rs).

Updates are offered the way a transport would deliver them: the signed image
is placed in the RAM update inbox (QEMU `-device loader,file=...`) and the
app (APP_STAGE) streams it through `UpdateWriter` in small chunks, verifies
it and triggers it only if it verified. The raw path (APP_TRIGGER: the host
writes UPDATE directly, the app calls `update_trigger` unchecked) is kept to
test the bootloader's own refusals.

  1. boot v1
  2. v2 through the inbox: staged, triggered, reset, swap, v2 confirms
  3. v3 through the inbox, installed but not confirmed, next boot rolls back to v2
  4. the app's UpdateWriter refuses a payload bit flip, a signature bit flip,
     an untrusted key and a downgrade (nothing triggered, v2 keeps running)
  5. the bootloader refuses the same tampered images written raw into UPDATE,
     and a tampered BOOT
  6. power cuts: the v2 -> v3 update through the inbox (staging, trigger and
     swap) cut at every flash operation N (and torn at N with --tear), then
     rebooted until the app runs: the app must always be v2 or v3.

With --encrypt ALG (bootloader and app built with the `encrypt-ALG` feature)
the app first stores a fresh key in BOOT (APP_SET_KEY, `set_encrypt_key`),
every update is offered as `_signed_and_encrypted.bin`, and the flash dump
(flash.bin) is searched for plaintext of any signed image in UPDATE and SWAP
after the install, the rollback and every power cut. Step 7 then checks that
an image encrypted with another key, or not encrypted, is refused by
UpdateWriter and, forced into UPDATE and triggered, by the bootloader.

With --delta (feature `delta`, IMAGE_HEADER_SIZE 512, every image signed
with --header-size 512) steps 2, 3 and 6 deliver diff images (sign --delta
against the running version): BOOT must then hold the new signed image byte
for byte, and the inverse patch must restore the old one byte for byte on
rollback. Step 7 checks that a tampered diff and a diff for another base are
refused, and cuts power at every K-th operation of a delta rollback.

With --quiet the bootloader is also built with the `quiet` feature (what a
product ships and `cargo xtask size` measures: no UART messages, no test
harness) and step 8 boots it under QEMU with the flash placed by QEMU's
loader and no control block: it must print nothing itself and boot v1,
install a triggered v2, fall back to a valid UPDATE when BOOT is tampered,
and refuse a tampered, untrusted or older update and a BOOT with nothing
valid to fall back to.

With --board mps2-an386 the same crates are built for thumbv7em-none-eabi
and run on QEMU's Cortex-M4 twin of the board (same memory map and UART).

With --sign ml-dsa-44|ml-dsa-65|ml-dsa-87|lms (post-quantum, issue 16) the
bootloader, app and images use wolfBoot's header size for the scheme (8192,
8192, 12288, 4096) and sign-cli the scheme's parameters (ML_DSA_LEVEL, LMS
L1-H10-W8).

Usage: harness/e2e.py [--board mps2-an385|mps2-an386] [--sign ecc256|ed25519|ml-dsa-65|...]
                      [--cut-stride K] [--tear] [--encrypt chacha|aes128|aes256]
                      [--delta] [--quiet] [--no-build]
Exit status 0 when every check passed; prints 'N passed, N failed'.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys

BOARD = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(BOARD))
APP = os.path.join(ROOT, "examples", "mps2-an385-app")

# Must match src/memory_map.rs and src/testctl.rs.
FLASH_BASE = 0x0002_0000
FLASH_SIZE = 0x0040_0000 - FLASH_BASE
PARTITION_SIZE = 0x0010_0000
BOOT_OFF = 0x0002_0000 - FLASH_BASE
UPDATE_OFF = BOOT_OFF + PARTITION_SIZE
HEADER_SIZE = 256  # 512 with --delta (main sets it)
SECTOR_SIZE = 0x1000
SWAP_OFF = UPDATE_OFF + PARTITION_SIZE
TESTCTL = 0x203F_FF00
INBOX = 0x202F_FF00
INBOX_SIZE = 0x10_0000
MAGIC = 0x5742_5443
FILE_BACKED, TEAR, APP_NO_CONFIRM, APP_TRIGGER, APP_STAGE, APP_SET_KEY = 1, 2, 4, 8, 16, 32
KEY_AREA = TESTCTL + 0x20
# Update ciphers: (key length, nonce length), as wolfBoot's ENCRYPT_WITH_*.
CIPHERS = {"chacha": (32, 12), "aes128": (16, 16), "aes256": (32, 16)}
EXIT_POWER_CUT, EXIT_NO_IMAGE = 99, 2
# Post-quantum signatures: (IMAGE_HEADER_SIZE, sign-cli environment), as
# wolfBoot's configurations set them (xtask/src/mps2.rs agrees).
PQ = {
    "ml-dsa-44": (8192, {"ML_DSA_LEVEL": "2"}),
    "ml-dsa-65": (8192, {"ML_DSA_LEVEL": "3"}),
    "ml-dsa-87": (12288, {"ML_DSA_LEVEL": "5"}),
    "lms": (4096, {"LMS_LEVELS": "1", "LMS_HEIGHT": "10", "LMS_WINTERNITZ": "8"}),
}

# Board name: (Rust target, QEMU machine, QEMU CPU).
BOARDS = {
    "mps2-an385": ("thumbv7m-none-eabi", "mps2-an385", "cortex-m3"),
    "mps2-an386": ("thumbv7em-none-eabi", "mps2-an386", "cortex-m4"),
}

FW_ENV = dict(os.environ, RUSTC="/usr/bin/rustc", RUSTC_BOOTSTRAP="1")
CARGO = "/usr/bin/cargo"
# The checkout as firmware builds see it: `cargo xtask` points a fixed path
# at the checkout (xtask/src/firmware.rs, STABLE_ROOT) so that the same
# sources give the same bootloader bytes wherever they are checked out.
FW_ROOT = os.environ.get("WOLFBOOT_FW_ROOT", ROOT)
# The target as `cargo xtask` builds it: its specification without forced
# frame pointers (xtask/src/firmware.rs, target_spec), given by the xtask.
FW_TARGET_SPEC = os.environ.get("WOLFBOOT_FW_TARGET_SPEC")


def manifest(folder):
    """`--manifest-path` of the firmware crate in `folder`, seen through FW_ROOT."""
    return ["--manifest-path", os.path.join(FW_ROOT, os.path.relpath(folder, ROOT), "Cargo.toml")]

passed = failed = 0


def sign_flag(sign):
    """sign-cli's flag for `sign` (every ML-DSA level is --ml_dsa)."""
    return "--ml_dsa" if sign.startswith("ml-dsa") else f"--{sign}"


def check(cond, what, output=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"  ok   {what}")
    else:
        failed += 1
        print(f"  FAIL {what}")
        if output:
            print("       " + output.replace("\n", "\n       "))


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


class Rig:
    def __init__(self, work, sign, encrypt=None, delta=False, board="mps2-an385", quiet=False):
        self.work, self.sign, self.quiet = work, sign, quiet
        self.encrypt, self.delta = encrypt, delta
        self.diffs = {}
        self.target, self.machine, self.cpu = BOARDS[board]
        self.bootloader = os.path.join(BOARD, "target", self.target, "release/wolfboot-mps2-an385")
        self.sign_cli = os.environ.get("SIGN_CLI", os.path.join(ROOT, "target/debug/sign-cli"))

    def build(self):
        os.makedirs(self.work, exist_ok=True)
        for name in os.listdir(self.work):  # images signed with an older key
            path = os.path.join(self.work, name)
            if name.endswith(".bin") and "_signed" in name:
                os.remove(path)
            elif name.startswith("delta-"):
                shutil.rmtree(path)
        run([self.sign_cli, "keygen", sign_flag(self.sign), "-g", "key.der", "--force"], cwd=self.work)
        if self.encrypt:  # a fresh update-encryption key: key then nonce
            open(os.path.join(self.work, "encrypt.key"), "wb").write(os.urandom(sum(CIPHERS[self.encrypt])))
        env = dict(FW_ENV, WOLFBOOT_KEYSTORE_RS=os.path.join(self.work, "keystore.rs"))
        env.pop("WOLFBOOT_IMAGE_HEADER_SIZE", None)  # the `delta` feature picks 512
        if self.sign in PQ:
            env["WOLFBOOT_IMAGE_HEADER_SIZE"] = str(PQ[self.sign][0])
        target = ["-Zjson-target-spec", "--target", FW_TARGET_SPEC] if FW_TARGET_SPEC else ["--target", self.target]
        features = target + ["--no-default-features", "--features", ",".join(self.features())]
        run([CARGO, "fw"] + manifest(BOARD) + features, cwd=BOARD, env=env)
        # Run a copy: another build in the board folder (another test, a size
        # or bench run) must not swap the bootloader under this test.
        built = self.bootloader
        self.bootloader = os.path.join(self.work, "bootloader.elf")
        shutil.copy(built, self.bootloader)
        if self.quiet:  # the shipped build, same keystore (step 8)
            run([CARGO, "fw"] + manifest(BOARD) + features[:-1] + [features[-1] + ",quiet"],
                cwd=BOARD, env=env)
            shutil.copy(built, self.quiet_bootloader())
        run([CARGO, "fw"] + manifest(APP) + features, cwd=APP, env=env)  # same keystore and algorithms
        app_elf = os.path.join(APP, "target", self.target, "release/mps2-an385-app")
        run(["llvm-objcopy", "-O", "binary", app_elf, os.path.join(self.work, "app.bin")])

    def quiet_bootloader(self):
        return os.path.join(self.work, "quiet-bootloader.elf")

    def features(self):
        f = [self.sign, "sha256"]
        if self.encrypt:
            f.append(f"encrypt-{self.encrypt}")
        if self.delta:
            f.append("delta")
        return f

    def sign_cmd(self, version, key_file=None, base=None):
        """sign-cli for `version`: --header-size with delta, --encrypt with a cipher."""
        cmd = [self.sign_cli, sign_flag(self.sign), "--sha256", "--header-size", str(HEADER_SIZE)]
        if self.encrypt:
            cmd += [f"--{self.encrypt}", "--encrypt", key_file or os.path.join(self.work, "encrypt.key")]
        if base:
            cmd += ["--delta", base]
        return cmd + ["app.bin", "key.der", str(version)]

    def image(self, version):
        """The signed image of `version` (plain text)."""
        path = os.path.join(self.work, f"app_v{version}_signed.bin")
        if not os.path.exists(path):
            run(self.sign_cmd(version), cwd=self.work, stdout=subprocess.DEVNULL)
        return open(path, "rb").read()

    def deliverable(self, version):
        """What an update server sends for `version`: encrypted with the device's key if
        updates are encrypted."""
        self.image(version)
        if not self.encrypt:
            return self.image(version)
        return open(os.path.join(self.work, f"app_v{version}_signed_and_encrypted.bin"), "rb").read()

    def diff(self, version, base_version):
        """(diff image to deliver, the signed image it produces) for `version` against
        the signed image of `base_version` (sign --delta; encrypted with the device key
        if updates are encrypted). Signed in its own folder, so that the full image
        the diff leads to stays next to it."""
        if (version, base_version) in self.diffs:
            return self.diffs[(version, base_version)]
        d = os.path.join(self.work, f"delta-{version}-from-{base_version}")
        os.makedirs(d, exist_ok=True)
        for f in ["app.bin", "key.der"]:
            shutil.copy(os.path.join(self.work, f), d)
        base = self.full(base_version)
        open(os.path.join(d, "base.bin"), "wb").write(base)
        run(self.sign_cmd(version, base="base.bin"), cwd=d, stdout=subprocess.DEVNULL,
            env=dict(os.environ, WOLFBOOT_SECTOR_SIZE=str(SECTOR_SIZE)))
        name = "_signed_diff_encrypted.bin" if self.encrypt else "_signed_diff.bin"
        r = (open(os.path.join(d, f"app_v{version}{name}"), "rb").read(),
             open(os.path.join(d, f"app_v{version}_signed.bin"), "rb").read())
        self.diffs[(version, base_version)] = r
        return r

    def full(self, version):
        """The signed image of `version` that BOOT holds in this run: with --delta the
        one produced by the diff that installed it (v2 from v1, v3 from v2)."""
        if self.delta and version in (2, 3):
            return self.diff(version, version - 1)[1]
        return self.image(version)

    def update(self, version):
        """What steps 2, 3 and 6 deliver for `version`: the diff against the version
        before it with --delta, else the (encrypted) image."""
        if self.delta:
            return self.diff(version, version - 1)[0]
        return self.deliverable(version)

    # flash.bin: the flash device, file offset = address - FLASH_BASE.
    def fresh_flash(self, boot_image):
        self.save(flash_with(boot_image))

    def load(self):
        return bytearray(open(os.path.join(self.work, "flash.bin"), "rb").read())

    def save(self, f):
        open(os.path.join(self.work, "flash.bin"), "wb").write(f)

    def stage(self, image):
        """What an application's updater does: erase UPDATE, write the image."""
        f = self.load()
        f[UPDATE_OFF:UPDATE_OFF + PARTITION_SIZE] = b"\xff" * PARTITION_SIZE
        f[UPDATE_OFF:UPDATE_OFF + len(image)] = image
        self.save(f)

    def raw_trigger(self):
        """Mark UPDATE as UPDATING the way `update_trigger` does (trailer magic and
        state at the end of UPDATE, below the key area), without any check."""
        f = self.load()
        mark_updating(f, self.encrypt)
        self.save(f)

    def qemu(self, flags=0, cut=0, inbox=None, key=None):
        """One QEMU run; `inbox`: image bytes for the update inbox (sets APP_STAGE);
        `key`: key-file bytes for the control block's key area (sets APP_SET_KEY)."""
        cmd = self.qemu_cmd(self.bootloader)
        if key is not None:
            flags |= APP_SET_KEY
            open(os.path.join(self.work, "key-area.bin"), "wb").write(key.ljust(48, b"\0")[:48])
            cmd += ["-device", f"loader,file=key-area.bin,addr={KEY_AREA:#x},force-raw=on"]
        if inbox is not None:
            assert len(inbox) <= INBOX_SIZE
            flags |= APP_STAGE
            open(os.path.join(self.work, "inbox.bin"), "wb").write(inbox)
            cmd += ["-device", f"loader,file=inbox.bin,addr={INBOX:#x},force-raw=on",
                    "-device", f"loader,addr={TESTCTL + 0x10:#x},data={len(inbox):#x},data-len=4"]
        cmd += ["-device", f"loader,addr={TESTCTL:#x},data={MAGIC:#x},data-len=4",
                "-device", f"loader,addr={TESTCTL + 4:#x},data={flags | FILE_BACKED:#x},data-len=4",
                "-device", f"loader,addr={TESTCTL + 8:#x},data={cut:#x},data-len=4"]
        return self.run_qemu(cmd)

    def quiet_boot(self, flash, timeout=60):
        """One QEMU run of the quiet bootloader on `flash` (placed by QEMU's loader; no
        control block, no flash file)."""
        open(os.path.join(self.work, "quiet-flash.bin"), "wb").write(flash)
        cmd = self.qemu_cmd(self.quiet_bootloader())
        cmd += ["-device", f"loader,file=quiet-flash.bin,addr={FLASH_BASE:#x},force-raw=on"]
        return self.run_qemu(cmd, timeout)

    def qemu_cmd(self, elf):
        return ["qemu-system-arm", "-machine", self.machine, "-cpu", self.cpu, "-nographic",
                "-semihosting-config", "enable=on,target=native", "-kernel", elf]

    def run_qemu(self, cmd, timeout=60):
        """(exit status, or None when the run never ended; UART output)."""
        try:
            p = subprocess.run(cmd, cwd=self.work, capture_output=True, timeout=timeout)
            return p.returncode, p.stdout.decode(errors="replace").replace("\r", "")
        except subprocess.TimeoutExpired as e:
            return None, (e.stdout or b"").decode(errors="replace").replace("\r", "")


def flash_with(boot=None, update=None, trigger=False):
    """A flash image: `boot` in BOOT, `update` in UPDATE, UPDATE marked UPDATING
    (plain text) if `trigger`."""
    f = bytearray(b"\xff" * FLASH_SIZE)
    if boot:
        f[BOOT_OFF:BOOT_OFF + len(boot)] = boot
    if update:
        f[UPDATE_OFF:UPDATE_OFF + len(update)] = update
    if trigger:
        mark_updating(f)
    return bytes(f)


def mark_updating(f, encrypt=None):
    """UPDATE marked UPDATING in flash image `f` the way `update_trigger` does: trailer
    magic and state at the end of UPDATE, below the key area with a cipher."""
    end = UPDATE_OFF + PARTITION_SIZE - (sum(CIPHERS[encrypt]) if encrypt else 0)
    f[end - 4:end] = b"BOOT"
    f[end - 5] = 0x70


def tlv_value(image, tag):
    """Offset of the value of header field `tag` (wolfBoot TLVs after magic and size;
    0xFF bytes are padding)."""
    off = 8
    while off + 4 <= HEADER_SIZE:
        if image[off] == 0xFF:
            off += 1
            continue
        t, n = struct.unpack_from("<HH", image, off)
        if t == tag:
            return off + 4
        off += 4 + n
    raise ValueError(f"no header field {tag:#06x}")


def app_version(out):
    m = re.findall(r"app: version (\d+)", out)
    return int(m[-1]) if m else None


def plaintext_leak(flash, images):
    """File offset of the first 16-byte block of UPDATE or SWAP that is a block of one
    of the plaintext `images`, or None. Blocks made only of 0x00 and 0xFF bytes do not
    count: trailer sector flags (0x00 per two updated sectors, 0xFF unused) form such
    blocks, and image padding does too."""
    blocks = set()
    for im in images:
        for i in range(0, len(im) - 15, 16):
            b = bytes(im[i:i + 16])
            if set(b) - {0x00, 0xFF}:
                blocks.add(b)
    for off in range(UPDATE_OFF, SWAP_OFF + SECTOR_SIZE, 16):
        if bytes(flash[off:off + 16]) in blocks:
            return off
    return None


def boot_holds(flash, image):
    return flash[BOOT_OFF:BOOT_OFF + len(image)] == image


def main():
    global HEADER_SIZE
    ap = argparse.ArgumentParser()
    ap.add_argument("--board", default="mps2-an385", choices=sorted(BOARDS))
    ap.add_argument("--sign", default="ecc256", choices=["ecc256", "ed25519"] + sorted(PQ))
    ap.add_argument("--cut-stride", type=int, default=1, help="test every K-th power-cut point")
    ap.add_argument("--tear", action="store_true", help="torn operations at the cut")
    ap.add_argument("--encrypt", choices=sorted(CIPHERS), help="encrypted updates with this cipher")
    ap.add_argument("--delta", action="store_true", help="delta updates (diff images)")
    ap.add_argument("--quiet", action="store_true",
                    help="also build the quiet bootloader and boot it (step 8; no --encrypt/--delta)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if args.delta:
        HEADER_SIZE = 512
    if args.sign in PQ:
        HEADER_SIZE = max(HEADER_SIZE, PQ[args.sign][0])
        os.environ.update(PQ[args.sign][1])  # for every sign-cli run
    name = ("e2e-" if args.board == "mps2-an385" else f"e2e-{args.board}-") + args.sign + (f"-{args.encrypt}" if args.encrypt else "") + ("-delta" if args.delta else "")
    if args.quiet and (args.encrypt or args.delta):
        ap.error("--quiet runs with plain-text, full-image updates only")
    rig = Rig(os.path.join(BOARD, "target", name), args.sign, args.encrypt, args.delta, args.board,
              args.quiet)
    if not args.no_build:
        rig.build()
    elif os.path.exists(os.path.join(rig.work, "bootloader.elf")):
        rig.bootloader = os.path.join(rig.work, "bootloader.elf")
    key = open(os.path.join(rig.work, "encrypt.key"), "rb").read() if args.encrypt else None
    plain = []  # plaintext images that must never show in UPDATE or SWAP

    def no_plaintext(what, flash=None):
        if args.encrypt:
            at = plaintext_leak(flash if flash is not None else rig.load(), plain)
            check(at is None, f"no plaintext in UPDATE or SWAP {what}"
                  + ("" if at is None else f" (found at flash offset {at:#x})"))

    print("1. boot v1" + (f" and store the {args.encrypt} key (set_encrypt_key)" if key else ""))
    rig.fresh_flash(rig.image(1))
    rc, out = rig.qemu(key=key)
    check(rc == 0 and "boot: no update; version 1" in out and app_version(out) == 1, "v1 boots", out)
    check("confirmed" in out, "v1 confirms itself", out)
    if key:
        check("app: encryption key stored" in out, "v1 stores the update key at the end of BOOT", out)
        rc, out = rig.qemu(key=key)
        check(rc == 0 and "app: encryption key already stored" in out and "BOOT state success" in out,
              "the key survives a reset (not stored again)", out)
        rig.image(4)  # plaintext of every version the test signs
        plain[:] = [rig.image(v) for v in (1, 2, 3, 4)]

    what = "a diff image (against v1)" if args.delta else "the inbox and UpdateWriter"
    if args.delta:
        diff2, full2 = rig.diff(2, 1)
        print(f"   (v2: {len(full2)} bytes signed, its diff image {len(diff2)} bytes)")
    print(f"2. update to v2 through {what}")
    rc, out = rig.qemu(inbox=rig.update(2))
    check("app: staged version 2" in out, "v1 streams v2 through UpdateWriter, verified", out)
    check("boot: update installed; version 2" in out, "bootloader swaps v2 in", out)
    check(rc == 0 and app_version(out) == 2 and "BOOT state testing" in out and "confirmed" in out,
          "v2 runs in TESTING and confirms", out)
    check(out.count("app: staging") == 1 and "inbox already staged" in out,
          "the inbox is staged once (not again after the reset)", out)
    if args.delta:
        check(boot_holds(rig.load(), rig.full(2)), "BOOT holds the signed v2 byte for byte (patched)")
    no_plaintext("after the install")
    rc, out = rig.qemu()
    check(rc == 0 and "boot: no update; version 2" in out and "BOOT state success" in out,
          "v2 stays after reset", out)
    confirmed_v2 = rig.load()

    print("3. unconfirmed v3 rolled back" + (" (inverse patch)" if args.delta else ""))
    rc, out = rig.qemu(APP_NO_CONFIRM, inbox=rig.update(3))
    check("app: staged version 3" in out and "boot: update installed; version 3" in out
          and app_version(out) == 3 and "not confirming" in out, "v3 staged, installed, not confirmed", out)
    testing_v3 = rig.load()
    if args.delta:
        check(boot_holds(testing_v3, rig.full(3)), "BOOT holds the signed v3 byte for byte")
    rc, out = rig.qemu()
    check(rc == 0 and "boot: rolled back; version 2" in out and app_version(out) == 2,
          "reset rolls back to v2", out)
    if args.delta:
        check(boot_holds(rig.load(), rig.full(2)), "BOOT holds the signed v2 byte for byte again")
    no_plaintext("after the rollback")

    sig_at = tlv_value(rig.image(4), 0x0020) + 5  # a byte of the signature
    payload_flip = bytearray(rig.deliverable(4))
    payload_flip[HEADER_SIZE + 100] ^= 0x01  # encrypted: the same bit of the plaintext flips
    sig_flip = bytearray(rig.deliverable(4))
    sig_flip[sig_at] ^= 0x80
    other = os.path.join(rig.work, "other")
    os.makedirs(other, exist_ok=True)
    run([rig.sign_cli, "keygen", sign_flag(args.sign), "-g", "key.der", "--force"], cwd=other,
        stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(rig.work, "app.bin"), other)
    run(rig.sign_cmd(4), cwd=other, stdout=subprocess.DEVNULL)
    untrusted = open(os.path.join(other, "app_v4_signed_and_encrypted.bin" if args.encrypt
                                  else "app_v4_signed.bin"), "rb").read()

    print("4. UpdateWriter refuses bad updates offered through the inbox")
    for image, reason, what in [
            (payload_flip, "digest mismatch", "payload bit flip"),
            (sig_flip, "bad signature", "signature bit flip"),
            (untrusted, "unknown key", "image signed by an untrusted key"),
            (rig.deliverable(1), "version 1 not newer than 2", "downgrade to v1")]:
        rig.save(confirmed_v2)
        rc, out = rig.qemu(inbox=bytes(image))
        refused = (rc == 0 and f"app: update refused: {reason}" in out and app_version(out) == 2
                   and "app: staged" not in out and out.count("wolfboot-rs bootloader") == 1)
        rc, out2 = rig.qemu()
        check(refused and rc == 0 and "boot: no update; version 2" in out2 and app_version(out2) == 2,
              f"{what} refused by UpdateWriter, nothing triggered, v2 still runs", out + out2)

    print("5. the bootloader refuses tampered images (raw path)")
    rig.save(confirmed_v2)
    rig.stage(bytes(payload_flip))
    rc, out = rig.qemu(APP_TRIGGER)
    check(rc == 0 and "update refused (digest mismatch); version 2" in out and app_version(out) == 2,
          "payload bit flip refused", out)
    rig.save(confirmed_v2)
    rig.stage(bytes(sig_flip))
    rc, out = rig.qemu(APP_TRIGGER)
    check(rc == 0 and "update refused (bad signature); version 2" in out and app_version(out) == 2,
          "signature bit flip refused", out)
    rig.save(confirmed_v2)
    rig.stage(untrusted)
    rc, out = rig.qemu(APP_TRIGGER)
    check(rc == 0 and "update refused (unknown key); version 2" in out and app_version(out) == 2,
          "image signed by an untrusted key refused", out)
    f = bytearray(confirmed_v2)
    f[BOOT_OFF + HEADER_SIZE + 100] ^= 0x01
    rig.save(f)
    rc, out = rig.qemu()
    check(app_version(out) != 2 and ("fallback" in out or rc == EXIT_NO_IMAGE),
          "tampered BOOT not booted", out)

    print("6. power cuts during the v2 -> v3 update through the inbox"
          + (" (diff image)" if args.delta else "") + (" (torn)" if args.tear else ""))
    v3 = rig.update(3)
    full = {2: rig.full(2), 3: rig.full(3)}
    rig.save(confirmed_v2)
    start = rig.load()
    rc, out = rig.qemu(inbox=v3)
    m = re.findall(r"app: flash operations so far (\d+)", out)
    total = int(m[-1]) if m else 0
    check(rc == 0 and "app: staged version 3" in out and app_version(out) == 3 and total > 0,
          f"uncut update takes {total} flash operations", out)
    bad = leaks = 0
    trigger_done = None
    for n in range(1, total + 1, args.cut_stride):
        rig.save(start)
        rc, out = rig.qemu(TEAR if args.tear else 0, cut=n, inbox=v3)
        if rc != EXIT_POWER_CUT:
            bad += 1
            print(f"  cut {n}: run ended with {rc}\n{out}")
            continue
        if args.encrypt and plaintext_leak(rig.load(), plain) is not None:
            leaks += 1
            print(f"  cut {n}: plaintext in UPDATE or SWAP after the cut")
        for _ in range(3):
            rc, out = rig.qemu()
            if rc != EXIT_POWER_CUT:
                break
        v = app_version(out)
        if rc != 0 or v not in (2, 3):
            bad += 1
            print(f"  cut {n}: after reboot rc={rc} version={v}\n{out}")
            continue
        flash = rig.load()
        if args.delta and not boot_holds(flash, full[v]):
            bad += 1
            print(f"  cut {n}: v{v} runs but BOOT is not the signed v{v}")
        if args.encrypt and plaintext_leak(flash, plain) is not None:
            leaks += 1
            print(f"  cut {n}: plaintext in UPDATE or SWAP after recovery")
        if v == 3 and trigger_done is None:
            trigger_done = n
    points = len(range(1, total + 1, args.cut_stride))
    check(bad == 0, f"every cut point of {points} recovers to v2 or v3"
          + (" (BOOT byte for byte)" if args.delta else ""))
    if args.encrypt:
        check(leaks == 0, f"no plaintext in UPDATE or SWAP at any of the {points} cut points")
    print(f"  (first cut point that ends in v3: {trigger_done})")

    if args.encrypt:
        print("7. encryption: another key or no encryption is refused")
        wrong = os.path.join(rig.work, "wrong-key")
        os.makedirs(wrong, exist_ok=True)
        for f in ["app.bin", "key.der"]:
            shutil.copy(os.path.join(rig.work, f), wrong)
        wrong_key = bytearray(key)
        wrong_key[5] ^= 0x80
        open(os.path.join(wrong, "encrypt.key"), "wb").write(wrong_key)
        run(rig.sign_cmd(4, key_file=os.path.join(wrong, "encrypt.key")), cwd=wrong,
            stdout=subprocess.DEVNULL)
        other_key = open(os.path.join(wrong, "app_v4_signed_and_encrypted.bin"), "rb").read()
        for image, what in [(other_key, "image encrypted with another key"),
                            (rig.image(4), "image not encrypted")]:
            rig.save(confirmed_v2)
            rc, out = rig.qemu(inbox=image)
            refused = (rc == 0 and "app: update refused" in out and "app: staged" not in out
                       and app_version(out) == 2)
            rc, out2 = rig.qemu()
            check(refused and rc == 0 and "boot: no update; version 2" in out2,
                  f"{what}: refused by UpdateWriter, v2 still runs", out + out2)
            rig.save(confirmed_v2)
            rig.stage(image)
            rig.raw_trigger()
            rc, out = rig.qemu()
            check(rc == 0 and re.search(r"boot: update refused \([^)]*\); version 2", out) is not None
                  and app_version(out) == 2 and boot_holds(rig.load(), full[2]),
                  f"{what}: forced into UPDATE and triggered, refused by the bootloader, BOOT untouched", out)

    if args.delta:
        print("7. delta: bad diffs refused; power cuts during the inverse patch")
        diff3 = bytearray(rig.update(3))
        diff3[HEADER_SIZE + (len(diff3) - HEADER_SIZE) // 2] ^= 0x01
        rig.save(confirmed_v2)
        rc, out = rig.qemu(inbox=bytes(diff3))
        check(rc == 0 and "app: update refused: digest mismatch" in out and app_version(out) == 2,
              "tampered diff image refused by UpdateWriter", out)
        wrong_base = rig.diff(4, 1)[0]  # a diff for v1, offered to v2
        rig.save(confirmed_v2)
        rc, out = rig.qemu(inbox=wrong_base)
        check(rc == 0 and "app: staged version 4" in out
              and "update refused (delta base mismatch); version 2" in out and app_version(out) == 2
              and boot_holds(rig.load(), full[2]),
              "diff against another base: refused by the bootloader, BOOT untouched", out)
        rig.save(testing_v3)
        rc, out = rig.qemu()
        m = re.findall(r"app: flash operations so far (\d+)", out)
        total = int(m[-1]) if m else 0
        check(rc == 0 and "boot: rolled back; version 2" in out and total > 0,
              f"uncut rollback takes {total} flash operations", out)
        bad = 0
        for n in range(1, total + 1, args.cut_stride):
            rig.save(testing_v3)
            rc, out = rig.qemu(TEAR if args.tear else 0, cut=n)
            if rc != EXIT_POWER_CUT:
                bad += 1
                print(f"  cut {n}: run ended with {rc}\n{out}")
                continue
            for _ in range(3):
                rc, out = rig.qemu()
                if rc != EXIT_POWER_CUT:
                    break
            if rc != 0 or app_version(out) != 2 or not boot_holds(rig.load(), full[2]):
                bad += 1
                print(f"  cut {n}: after reboot rc={rc} version={app_version(out)}\n{out}")
        check(bad == 0, f"every cut point of {len(range(1, total + 1, args.cut_stride))} "
              "of the rollback ends in v2, BOOT byte for byte")

    if args.quiet:
        print("8. the quiet bootloader (feature `quiet`: no messages, no harness)")
        v1, v2 = rig.image(1), rig.image(2)
        bad_v2 = bytearray(v2)
        bad_v2[HEADER_SIZE + 100] ^= 0x01
        bad_v1 = bytearray(v1)
        bad_v1[HEADER_SIZE + 100] ^= 0x01
        rc, out = rig.quiet_boot(flash_with(v1))
        check(rc == 0 and app_version(out) == 1 and "wolfboot-rs" not in out
              and "boot:" not in out, "v1 boots; the bootloader prints nothing", out)
        rc, out = rig.quiet_boot(flash_with(v1, v2, trigger=True))
        check(rc == 0 and app_version(out) == 2 and "BOOT state testing" in out and "confirmed" in out,
              "a triggered v2 is installed and runs in TESTING", out)
        for image, what in [(bad_v2, "payload bit flip"), (untrusted, "image signed by an untrusted key")]:
            rc, out = rig.quiet_boot(flash_with(v1, bytes(image), trigger=True))
            check(rc == 0 and app_version(out) == 1, f"triggered update refused ({what}), v1 runs", out)
        rc, out = rig.quiet_boot(flash_with(v2, v1, trigger=True))
        check(rc == 0 and app_version(out) == 2, "triggered downgrade to v1 refused, v2 runs", out)
        rc, out = rig.quiet_boot(flash_with(bytes(bad_v1), v2))
        check(rc == 0 and app_version(out) == 2, "tampered BOOT: falls back to the valid v2 in UPDATE", out)
        rc, out = rig.quiet_boot(flash_with(bytes(bad_v1)), timeout=8)
        check(rc is None and out.strip() == "", "tampered BOOT, nothing to fall back to: halts, silent", out)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
