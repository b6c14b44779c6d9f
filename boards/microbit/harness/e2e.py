#!/usr/bin/env python3
"""End-to-end test of wolfboot-rs on QEMU's `microbit` machine (nRF51822).

The bootloader and the test application run on QEMU's model of the nRF51
NVMC (hw/nvram/nrf51_nvm.c): every erase and program goes through the
`wolfboot-nrf-nvmc` driver's register sequence. QEMU's flash is not
file-backed, so the flash window (BOOT to the end of flash) lives in
`flash.bin`: the bootloader programs it into the NVMC at its first start
in a QEMU run, and every completed flash operation is written through to
it by semihosting (see src/testctl.rs). A power cut ends QEMU just before
flash operation N; the next QEMU run starts from the file.

  1. boot v1; an exception the app pends (PendSV) reaches the app's handler
     through the bootloader's vector table (the Cortex-M0 has no VTOR)
  2. v2 through `inbox.bin` and UpdateWriter: staged, triggered, reset,
     swapped, v2 runs in TESTING and confirms
  3. v3 installed but not confirmed: the next boot rolls back to v2
  4. UpdateWriter refuses a payload bit flip, a signature bit flip, an
     untrusted key and a downgrade (nothing triggered, v2 keeps running)
  5. the bootloader refuses the same tampered images written raw into
     UPDATE and triggered, and a tampered BOOT
  6. power cuts: the v2 -> v3 update through the inbox (staging, trigger,
     swap, final erase) is cut before flash operation N for every K-th N
     (--cut-stride), then rebooted until the app runs: the app must be v2
     or v3 and BOOT must hold that signed image byte for byte.

Usage: harness/e2e.py --work DIR --bootloader ELF --app-bin BIN --sign-cli PATH
                      [--sign ecc256|ed25519] [--cut-stride K] [--jobs J]
Exit status 0 when every check passed; prints 'N passed, N failed'.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import struct
import subprocess
import sys

# Must match src/memory_map.rs and src/testctl.rs.
FLASH_SIZE = 0x34000
PARTITION_SIZE = 0x18000
BOOT_OFF = 0
UPDATE_OFF = PARTITION_SIZE
HEADER_SIZE = 256
TESTCTL = 0x2000_3F00
MAGIC = 0x5742_5443
FILE_BACKED, APP_NO_CONFIRM, APP_TRIGGER, APP_STAGE = 1, 4, 8, 16
EXIT_POWER_CUT, EXIT_NO_IMAGE = 99, 2

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


class Rig:
    def __init__(self, args):
        self.work, self.sign = os.path.abspath(args.work), args.sign
        self.bootloader = os.path.abspath(args.bootloader)
        self.sign_cli = os.path.abspath(args.sign_cli)
        os.makedirs(self.work, exist_ok=True)
        shutil.copy(args.app_bin, os.path.join(self.work, "app.bin"))
        shutil.copy(args.key, os.path.join(self.work, "key.der"))
        for name in os.listdir(self.work):  # images signed earlier
            if name.endswith(".bin") and "_signed" in name:
                os.remove(os.path.join(self.work, name))

    def image(self, version, cwd=None):
        cwd = cwd or self.work
        path = os.path.join(cwd, f"app_v{version}_signed.bin")
        if not os.path.exists(path):
            subprocess.run([self.sign_cli, f"--{self.sign}", "--sha256", "app.bin", "key.der",
                            str(version)], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        return open(path, "rb").read()

    def flash_path(self, d=None):
        return os.path.join(d or self.work, "flash.bin")

    def fresh_flash(self, boot_image):
        f = bytearray(b"\xff" * FLASH_SIZE)
        f[BOOT_OFF:BOOT_OFF + len(boot_image)] = boot_image
        self.save(f)

    def load(self, d=None):
        return bytearray(open(self.flash_path(d), "rb").read())

    def save(self, f, d=None):
        open(self.flash_path(d), "wb").write(f)

    def stage_raw(self, image):
        """Erase UPDATE, write the image, mark it UPDATING (trailer magic and
        state at the end of UPDATE), as an unchecked updater would."""
        f = self.load()
        f[UPDATE_OFF:UPDATE_OFF + PARTITION_SIZE] = b"\xff" * PARTITION_SIZE
        f[UPDATE_OFF:UPDATE_OFF + len(image)] = image
        end = UPDATE_OFF + PARTITION_SIZE
        f[end - 4:end] = b"BOOT"
        f[end - 5] = 0x70
        self.save(f)

    def qemu(self, flags=0, cut=0, inbox=None, d=None):
        d = d or self.work
        inbox_path = os.path.join(d, "inbox.bin")
        if inbox is not None:
            flags |= APP_STAGE
            open(inbox_path, "wb").write(inbox)
        cmd = ["qemu-system-arm", "-M", "microbit", "-nographic",
               "-semihosting-config", "enable=on,target=native", "-kernel", self.bootloader,
               "-device", f"loader,addr={TESTCTL:#x},data={MAGIC:#x},data-len=4",
               "-device", f"loader,addr={TESTCTL + 4:#x},data={flags | FILE_BACKED:#x},data-len=4",
               "-device", f"loader,addr={TESTCTL + 8:#x},data={cut:#x},data-len=4"]
        try:
            p = subprocess.run(cmd, cwd=d, capture_output=True, timeout=60)
            return p.returncode, p.stdout.decode(errors="replace").replace("\r", "")
        except subprocess.TimeoutExpired as e:
            return None, (e.stdout or b"").decode(errors="replace")


def tlv_value(image, tag):
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


def boot_holds(flash, image):
    return flash[BOOT_OFF:BOOT_OFF + len(image)] == image


def cut_point(rig, start, v3, full, n):
    """One cut point in its own folder: returns None when it recovered to v2 or
    v3 with BOOT holding that image, else a description."""
    d = os.path.join(rig.work, f"cut-{n % 64}")
    os.makedirs(d, exist_ok=True)
    rig.save(start, d)
    rc, out = rig.qemu(cut=n, inbox=v3, d=d)
    if rc != EXIT_POWER_CUT:
        return f"cut {n}: run ended with {rc}\n{out}"
    for _ in range(3):
        rc, out = rig.qemu(d=d)
        if rc != EXIT_POWER_CUT:
            break
    v = app_version(out)
    if rc != 0 or v not in (2, 3):
        return f"cut {n}: after reboot rc={rc} version={v}\n{out}"
    if not boot_holds(rig.load(d), full[v]):
        return f"cut {n}: v{v} runs but BOOT is not the signed v{v}"
    return None if v == 2 else 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--bootloader", required=True)
    ap.add_argument("--app-bin", required=True)
    ap.add_argument("--key", required=True, help="signing key (key.der) of the bootloader's keystore")
    ap.add_argument("--sign-cli", required=True)
    ap.add_argument("--sign", default="ecc256", choices=["ecc256", "ed25519", "ecc384"])
    ap.add_argument("--cut-stride", type=int, default=1, help="test every K-th power-cut point")
    ap.add_argument("--jobs", type=int, default=2, help="QEMU runs in parallel in the cut sweep")
    args = ap.parse_args()
    rig = Rig(args)

    print("1. boot v1")
    rig.fresh_flash(rig.image(1))
    rc, out = rig.qemu()
    check(rc == 0 and "boot: no update; version 1" in out and app_version(out) == 1, "v1 boots", out)
    check("confirmed" in out, "v1 confirms itself", out)
    check("app: PendSV handled here (forwarded by the bootloader)" in out,
          "an exception of the app enters through the bootloader's table (no VTOR) and is forwarded", out)

    print("2. update to v2 through inbox.bin and UpdateWriter")
    rc, out = rig.qemu(inbox=rig.image(2))
    check("app: staged version 2" in out, "v1 streams v2 through UpdateWriter, verified", out)
    check("boot: update installed; version 2" in out, "bootloader swaps v2 in", out)
    check(rc == 0 and app_version(out) == 2 and "BOOT state testing" in out and "confirmed" in out,
          "v2 runs in TESTING and confirms", out)
    check(out.count("app: staging") == 1 and "inbox already staged" in out,
          "the inbox is staged once (not again after the reset)", out)
    check(boot_holds(rig.load(), rig.image(2)), "BOOT holds the signed v2 byte for byte")
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
    check(boot_holds(rig.load(), rig.image(2)), "BOOT holds the signed v2 byte for byte again")

    sig_at = tlv_value(rig.image(4), 0x0020) + 5  # a byte of the signature
    payload_flip = bytearray(rig.image(4))
    payload_flip[HEADER_SIZE + 100] ^= 0x01
    sig_flip = bytearray(rig.image(4))
    sig_flip[sig_at] ^= 0x80
    other = os.path.join(rig.work, "other")
    os.makedirs(other, exist_ok=True)
    subprocess.run([rig.sign_cli, "keygen", f"--{args.sign}", "-g", "key.der", "--force"], cwd=other,
                   check=True, stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(rig.work, "app.bin"), other)
    if os.path.exists(os.path.join(other, "app_v4_signed.bin")):
        os.remove(os.path.join(other, "app_v4_signed.bin"))
    untrusted = rig.image(4, cwd=other)

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
    for image, reason, what in [(payload_flip, "digest mismatch", "payload bit flip"),
                                (sig_flip, "bad signature", "signature bit flip"),
                                (untrusted, "unknown key", "image signed by an untrusted key")]:
        rig.save(confirmed_v2)
        rig.stage_raw(bytes(image))
        rc, out = rig.qemu()
        check(rc == 0 and f"update refused ({reason}); version 2" in out and app_version(out) == 2
              and boot_holds(rig.load(), rig.image(2)),
              f"{what}: refused by the bootloader, BOOT untouched", out)
    f = bytearray(confirmed_v2)
    f[BOOT_OFF + HEADER_SIZE + 100] ^= 0x01
    rig.save(f)
    rc, out = rig.qemu()
    # UPDATE holds v1 (the backup of the v1 -> v2 swap): the emergency
    # fallback installs it; with nothing to fall back to the bootloader halts.
    check(app_version(out) != 2 and (("emergency fallback to UPDATE; version 1" in out
                                      and boot_holds(rig.load(), rig.image(1)))
                                     or ("no bootable image" in out and rc == EXIT_NO_IMAGE)),
          "tampered BOOT not booted (emergency fallback to the intact v1 in UPDATE)", out)
    f = bytearray(confirmed_v2)
    f[BOOT_OFF + HEADER_SIZE + 100] ^= 0x01
    f[UPDATE_OFF:UPDATE_OFF + PARTITION_SIZE] = b"\xff" * PARTITION_SIZE
    rig.save(f)
    rc, out = rig.qemu()
    check(rc == EXIT_NO_IMAGE and "boot: no bootable image: BOOT digest mismatch" in out
          and "app:" not in out, "tampered BOOT and empty UPDATE: halted, nothing booted", out)

    print("6. power cut before flash operations of the v2 -> v3 update")
    full = {2: rig.image(2), 3: rig.image(3)}
    rig.save(confirmed_v2)
    start = rig.load()
    rc, out = rig.qemu(inbox=full[3])
    m = re.findall(r"app: flash operations so far (\d+)", out)
    total = int(m[-1]) if m else 0
    check(rc == 0 and "app: staged version 3" in out and app_version(out) == 3 and total > 0,
          f"uncut update takes {total} flash operations", out)
    points = list(range(1, total + 1, args.cut_stride))
    if args.cut_stride > 1 and points and points[-1] != total:
        points.append(total)  # the last operation of the update too
    bad, first_v3 = [], None
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda n: (n, cut_point(rig, start, full[3], full, n)), points))
    for n, r in results:
        if r == 3:
            first_v3 = first_v3 or n
        elif r is not None:
            bad.append(r)
    for b in bad:
        print("  " + b)
    check(not bad, f"every one of {len(points)} cut points (of {total} operations) recovers to v2 or v3, "
          "BOOT byte for byte")
    print(f"  (first cut point that ends in v3: {first_v3})")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
