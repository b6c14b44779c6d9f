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

Usage: harness/e2e.py [--sign ecc256|ed25519] [--cut-stride K] [--tear] [--no-build]
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
HEADER_SIZE = 256
TESTCTL = 0x203F_FF00
INBOX = 0x202F_FF00
INBOX_SIZE = 0x10_0000
MAGIC = 0x5742_5443
FILE_BACKED, TEAR, APP_NO_CONFIRM, APP_TRIGGER, APP_STAGE = 1, 2, 4, 8, 16
EXIT_POWER_CUT, EXIT_NO_IMAGE = 99, 2

FW_ENV = dict(os.environ, RUSTC="/usr/bin/rustc", RUSTC_BOOTSTRAP="1")
CARGO = "/usr/bin/cargo"

passed = failed = 0


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
    def __init__(self, work, sign):
        self.work, self.sign = work, sign
        self.bootloader = os.path.join(BOARD, "target/thumbv7m-none-eabi/release/wolfboot-mps2-an385")
        self.sign_cli = os.environ.get("SIGN_CLI", os.path.join(ROOT, "target/debug/sign-cli"))

    def build(self):
        os.makedirs(self.work, exist_ok=True)
        for name in os.listdir(self.work):  # images signed with an older key
            if name.endswith("_signed.bin"):
                os.remove(os.path.join(self.work, name))
        run([self.sign_cli, "keygen", f"--{self.sign}", "-g", "key.der", "--force"], cwd=self.work)
        env = dict(FW_ENV, WOLFBOOT_KEYSTORE_RS=os.path.join(self.work, "keystore.rs"))
        features = ["--no-default-features", "--features", f"{self.sign},sha256"]
        run([CARGO, "fw"] + features, cwd=BOARD, env=env)
        run([CARGO, "fw"] + features, cwd=APP, env=env)  # same keystore and algorithms
        app_elf = os.path.join(APP, "target/thumbv7m-none-eabi/release/mps2-an385-app")
        run(["llvm-objcopy", "-O", "binary", app_elf, os.path.join(self.work, "app.bin")])

    def image(self, version):
        path = os.path.join(self.work, f"app_v{version}_signed.bin")
        if not os.path.exists(path):
            run([self.sign_cli, f"--{self.sign}", "--sha256", "app.bin", "key.der", str(version)],
                cwd=self.work, stdout=subprocess.DEVNULL)
        return open(path, "rb").read()

    # flash.bin: the flash device, file offset = address - FLASH_BASE.
    def fresh_flash(self, boot_image):
        f = bytearray(b"\xff" * FLASH_SIZE)
        f[BOOT_OFF:BOOT_OFF + len(boot_image)] = boot_image
        self.save(f)

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

    def qemu(self, flags=0, cut=0, inbox=None):
        """One QEMU run; `inbox`: image bytes for the update inbox (sets APP_STAGE)."""
        cmd = ["qemu-system-arm", "-machine", "mps2-an385", "-cpu", "cortex-m3", "-nographic",
               "-semihosting-config", "enable=on,target=native", "-kernel", self.bootloader]
        if inbox is not None:
            assert len(inbox) <= INBOX_SIZE
            flags |= APP_STAGE
            open(os.path.join(self.work, "inbox.bin"), "wb").write(inbox)
            cmd += ["-device", f"loader,file=inbox.bin,addr={INBOX:#x},force-raw=on",
                    "-device", f"loader,addr={TESTCTL + 0x10:#x},data={len(inbox):#x},data-len=4"]
        cmd += ["-device", f"loader,addr={TESTCTL:#x},data={MAGIC:#x},data-len=4",
                "-device", f"loader,addr={TESTCTL + 4:#x},data={flags | FILE_BACKED:#x},data-len=4",
                "-device", f"loader,addr={TESTCTL + 8:#x},data={cut:#x},data-len=4"]
        try:
            p = subprocess.run(cmd, cwd=self.work, capture_output=True, timeout=60)
            out = p.stdout.decode(errors="replace").replace("\r", "")
            return p.returncode, out
        except subprocess.TimeoutExpired as e:
            return None, (e.stdout or b"").decode(errors="replace")


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sign", default="ecc256", choices=["ecc256", "ed25519"])
    ap.add_argument("--cut-stride", type=int, default=1, help="test every K-th power-cut point")
    ap.add_argument("--tear", action="store_true", help="torn operations at the cut")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    rig = Rig(os.path.join(BOARD, "target", f"e2e-{args.sign}"), args.sign)
    if not args.no_build:
        rig.build()

    print("1. boot v1")
    rig.fresh_flash(rig.image(1))
    rc, out = rig.qemu()
    check(rc == 0 and "boot: no update; version 1" in out and app_version(out) == 1, "v1 boots", out)
    check("confirmed" in out, "v1 confirms itself", out)

    print("2. update to v2 through the inbox and UpdateWriter")
    rc, out = rig.qemu(inbox=rig.image(2))
    check("app: staged version 2" in out, "v1 streams v2 through UpdateWriter, verified", out)
    check("boot: update installed; version 2" in out, "bootloader swaps v2 in", out)
    check(rc == 0 and app_version(out) == 2 and "BOOT state testing" in out and "confirmed" in out,
          "v2 runs in TESTING and confirms", out)
    check(out.count("app: staging") == 1 and "inbox already staged" in out,
          "the inbox is staged once (not again after the reset)", out)
    rc, out = rig.qemu()
    check(rc == 0 and "boot: no update; version 2" in out and "BOOT state success" in out,
          "v2 stays after reset", out)
    confirmed_v2 = rig.load()

    print("3. unconfirmed v3 rolled back")
    rc, out = rig.qemu(APP_NO_CONFIRM, inbox=rig.image(3))
    check("app: staged version 3" in out and "boot: update installed; version 3" in out
          and app_version(out) == 3 and "not confirming" in out, "v3 staged, installed, not confirmed", out)
    rc, out = rig.qemu()
    check(rc == 0 and "boot: rolled back; version 2" in out and app_version(out) == 2,
          "reset rolls back to v2", out)

    payload_flip = bytearray(rig.image(4))
    payload_flip[HEADER_SIZE + 100] ^= 0x01
    sig_flip = bytearray(rig.image(4))
    sig_flip[tlv_value(sig_flip, 0x0020) + 5] ^= 0x80  # a byte of the signature
    other = os.path.join(rig.work, "other")
    os.makedirs(other, exist_ok=True)
    run([rig.sign_cli, "keygen", f"--{args.sign}", "-g", "key.der", "--force"], cwd=other,
        stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(rig.work, "app.bin"), other)
    run([rig.sign_cli, f"--{args.sign}", "--sha256", "app.bin", "key.der", "4"], cwd=other,
        stdout=subprocess.DEVNULL)
    untrusted = open(os.path.join(other, "app_v4_signed.bin"), "rb").read()

    print("4. UpdateWriter refuses bad updates offered through the inbox")
    for image, reason, what in [
            (payload_flip, "digest mismatch", "payload bit flip"),
            (sig_flip, "bad signature", "signature bit flip"),
            (untrusted, "unknown key", "image signed by an untrusted key"),
            (rig.image(1), "version 1 not newer than 2", "downgrade to v1")]:
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

    print("6. power cuts during the v2 -> v3 update through the inbox" + (" (torn)" if args.tear else ""))
    v3 = rig.image(3)
    rig.save(confirmed_v2)
    start = rig.load()
    rc, out = rig.qemu(inbox=v3)
    m = re.findall(r"app: flash operations so far (\d+)", out)
    total = int(m[-1]) if m else 0
    check(rc == 0 and "app: staged version 3" in out and app_version(out) == 3 and total > 0,
          f"uncut update takes {total} flash operations", out)
    bad = 0
    trigger_done = None
    for n in range(1, total + 1, args.cut_stride):
        rig.save(start)
        rc, out = rig.qemu(TEAR if args.tear else 0, cut=n, inbox=v3)
        if rc != EXIT_POWER_CUT:
            bad += 1
            print(f"  cut {n}: run ended with {rc}\n{out}")
            continue
        for _ in range(3):
            rc, out = rig.qemu()
            if rc != EXIT_POWER_CUT:
                break
        v = app_version(out)
        if rc != 0 or v not in (2, 3):
            bad += 1
            print(f"  cut {n}: after reboot rc={rc} version={v}\n{out}")
        elif v == 3 and trigger_done is None:
            trigger_done = n
    check(bad == 0, f"every cut point of {len(range(1, total + 1, args.cut_stride))} recovers to v2 or v3")
    print(f"  (first cut point that ends in v3: {trigger_done})")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
