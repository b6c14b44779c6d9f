#!/usr/bin/env python3
"""End-to-end test of wolfboot-rs on QEMU virt (AArch64), with power cuts by
killing QEMU.

The flash is QEMU's CFI flash model for bank 1, backed by `flash.bin`
(`-drive if=pflash,unit=1,format=raw,file=flash.bin`): QEMU writes every
completed erase and program through to the file, so killing QEMU (SIGKILL)
is pulling the plug, and the next QEMU run on the same file is the next
power-up. Updates reach the test application over the UART (QEMU's stdio),
framed as `WBUP`, length, image, CRC-32 (see src/transfer.rs).

  1. boot v1
  2. v2 over the UART: staged by UpdateWriter, triggered, reset, swapped,
     runs in TESTING and confirms; stays after reset
  3. v3 over the UART, installed but not confirmed: next boot rolls back to v2
  4. UpdateWriter refuses a payload bit flip, a signature bit flip, an
     untrusted key, a downgrade and a frame with a bad CRC (nothing
     triggered, v2 still runs)
  5. the bootloader refuses the same tampered images written raw into
     UPDATE and triggered by hand, and a tampered BOOT
  6. power cuts at flash operations of the v2 -> v3 update (staging over the
     UART, trigger, swap), chosen by the operation count the firmware reports
     on the UART (TRACE lists them): the firmware stops at operation N (half
     done with a torn cut) and prints `cut: ...`; the harness kills QEMU
     there, restarts it on the same flash file and checks the device comes
     back to a verified v2 (cut before the trigger), v3 (after it), or v2
     again if v3 had not confirmed itself yet, and that it then stays
  7. the same during the rollback of an unconfirmed v3: always back to v2
  8. kills at random wall-clock times during the v2 -> v3 update and during
     the swap alone: v2 or v3; v2 if staging had not started, v3 once v3
     confirmed itself

Usage: harness/e2e.py --work DIR --bootloader ELF --sign-cli PATH
                      [--sign ecc256|ed25519] [--cuts N | --all] [--kills N] [--jobs N] [--seed S]
`--work` holds key.der and app.bin (what `cargo xtask build --board
qemu-virt-aarch64` leaves). Exit status 0 when every check passed; prints
'N passed, N failed' and the number of cut points exercised.
"""
import argparse
import concurrent.futures
import fcntl
import os
import random
import re
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import zlib

# Must match src/memory_map.rs and src/testctl.rs.
FLASH_SIZE = 64 << 20
PARTITION_SIZE = 0x10_0000
BOOT_OFF, UPDATE_OFF, SWAP_OFF = 0, PARTITION_SIZE, 2 * PARTITION_SIZE
USED = SWAP_OFF + 0x4_0000  # BOOT, UPDATE and SWAP: what the firmware may change
HEADER_SIZE = 256
TESTCTL = 0x47FF_F000
MAGIC = 0x5654_4257
TEAR, APP_NO_CONFIRM, APP_RECEIVE, TRACE = 2, 4, 16, 32
EXIT_NO_IMAGE = 2

# QEMU 7.2 feeds the UART from its main loop, one byte per iteration, and
# stops watching stdin while the PL011's receive FIFO is full. When the guest
# drains the FIFO, the main loop is not always woken to watch stdin again
# (seen under load: input stalls until some other event, here until the
# application's receive timeout). While bytes wait in the pipe, the harness
# therefore sends QEMU a SIGIO every KICK_PERIOD seconds: QEMU takes SIGIO
# through its signalfd in the main loop and otherwise ignores it, so the only
# effect is one more main-loop iteration.
KICK_PERIOD = 0.05


def queued(pipe):
    """Bytes written to `pipe` that the reader has not taken yet."""
    try:
        return struct.unpack("i", fcntl.ioctl(pipe.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0


lock = threading.Lock()
passed = failed = 0


def check(cond, what, output=""):
    global passed, failed
    with lock:
        if cond:
            passed += 1
            print(f"  ok   {what}", flush=True)
        else:
            failed += 1
            print(f"  FAIL {what}", flush=True)
            if output:
                print("       " + output.replace("\n", "\n       "), flush=True)


def frame(image):
    return b"WBUP" + struct.pack("<I", len(image)) + image + struct.pack("<I", zlib.crc32(image))


class Run:
    """What one QEMU run printed and how it ended."""

    def __init__(self, rc, out, cut, killed, seconds, first):
        self.rc, self.out, self.cut, self.killed, self.seconds = rc, out, cut, killed, seconds
        # Seconds from the start of QEMU to its first output (the bootloader's banner).
        self.first = first

    def version(self):
        m = re.findall(r"app: version (\d+)", self.out)
        return int(m[-1]) if m else None

    def number(self, pattern):
        m = re.findall(pattern, self.out)
        return int(m[-1]) if m else None


class Rig:
    """One flash file and the QEMU command line around it."""

    def __init__(self, work, name, bootloader):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.flash = os.path.join(self.dir, "flash.bin")
        self.bootloader = bootloader
        with open(self.flash, "wb") as f:
            f.write(b"\xff" * FLASH_SIZE)

    def load(self):
        """The used part of the flash (BOOT, UPDATE, SWAP)."""
        with open(self.flash, "rb") as f:
            return bytearray(f.read(USED))

    def save(self, used):
        assert len(used) == USED
        with open(self.flash, "r+b") as f:
            f.write(used)

    def qemu(self, flags=0, cut=0, send=None, kill_after=None, timeout=60):
        """One QEMU run. `send`: bytes written to the UART once the
        application asks for an update; `cut`: the flash operation where
        the firmware stops and QEMU is killed; `kill_after`: seconds after
        the bootloader's first output at which QEMU is killed anyway."""
        cmd = ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a53", "-m", "128M",
               "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
               "-semihosting", "-kernel", self.bootloader,
               "-drive", f"if=pflash,unit=1,format=raw,file={self.flash}",
               "-device", f"loader,addr={TESTCTL:#x},data={MAGIC:#x},data-len=4",
               "-device", f"loader,addr={TESTCTL + 4:#x},data={flags:#x},data-len=4",
               "-device", f"loader,addr={TESTCTL + 8:#x},data={cut:#x},data-len=4"]
        start = time.monotonic()
        p = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        os.set_blocking(p.stdin.fileno(), False)
        pending = b""
        sending = False
        out = bytearray()
        line_start = 0
        cut_seen = killed = False
        first = None
        deadline = start + timeout
        kill_at = None

        def kill():
            try:
                p.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass

        open_out = True
        last_kick = start
        while open_out:
            now = time.monotonic()
            if sending and now - last_kick >= KICK_PERIOD and (pending or queued(p.stdin)):
                # Bytes wait for the UART: nudge QEMU's main loop (see KICK_PERIOD).
                last_kick = now
                try:
                    p.send_signal(signal.SIGIO)
                except ProcessLookupError:
                    pass
            if kill_at is not None and now >= kill_at and not killed:
                kill()
                killed = True
            if now >= deadline and not killed:
                kill()
                killed = True
            wait = max(0.0, min(deadline, kill_at or deadline) - now)
            for key, events in sel.select(timeout=min(wait, KICK_PERIOD if sending else 0.5)):
                if key.fileobj is p.stdout:
                    data = os.read(p.stdout.fileno(), 65536)
                    if not data:
                        sel.unregister(p.stdout)
                        open_out = False
                        continue
                    out += data
                    if first is None:
                        first = time.monotonic() - start
                        if kill_after is not None:
                            kill_at = start + first + kill_after
                    while True:
                        nl = out.find(b"\n", line_start)
                        if nl < 0:
                            break
                        line = out[line_start:nl].decode(errors="replace").strip()
                        line_start = nl + 1
                        if line.startswith("app: ready for update") and send is not None and not sending:
                            sending = True
                            pending = send
                            sel.register(p.stdin, selectors.EVENT_WRITE)
                        elif line.startswith("cut: ") and not killed:
                            cut_seen = True
                            kill()
                            killed = True
                else:
                    try:
                        n = os.write(p.stdin.fileno(), pending[:65536])
                        pending = pending[n:]
                    except BlockingIOError:
                        pass
                    except BrokenPipeError:
                        pending = b""
                    if not pending:
                        sel.unregister(p.stdin)
        sel.close()
        rc = p.wait()
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        p.stdout.close()
        text = out.decode(errors="replace").replace("\r", "")
        return Run(None if killed else rc, text, cut_seen, killed, time.monotonic() - start,
                   first or 0.0)


def tlv_value(image, tag):
    """Offset of the value of header field `tag` (TLVs after magic and size;
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


def stage_raw(used, image):
    """What a careless updater does: UPDATE erased, the image written, the
    trailer set to UPDATING (magic "BOOT", state 0x70) without any check."""
    used[UPDATE_OFF:UPDATE_OFF + PARTITION_SIZE] = b"\xff" * PARTITION_SIZE
    used[UPDATE_OFF:UPDATE_OFF + len(image)] = image
    end = UPDATE_OFF + PARTITION_SIZE
    used[end - 4:end] = b"BOOT"
    used[end - 5] = 0x70


def pick(points, n, rng):
    """About `n` of `points`, evenly spread, always the first and last."""
    points = sorted(set(points))
    if len(points) <= n:
        return points
    step = len(points) / n
    chosen = {points[int(i * step)] for i in range(n)} | {points[0], points[-1]}
    return sorted(chosen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--bootloader", required=True)
    ap.add_argument("--sign-cli", required=True)
    ap.add_argument("--sign", default="ecc256", choices=["ecc256", "ed25519"])
    ap.add_argument("--hash", default="sha256")
    ap.add_argument("--cuts", type=int, default=120, help="cut points chosen by operation count")
    ap.add_argument("--kills", type=int, default=20, help="kills at random wall-clock times")
    ap.add_argument("--all", action="store_true",
                    help="cut at every flash operation (staging, swap, rollback), each torn and not")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = os.path.abspath(args.work)
    sign_cli = os.path.abspath(args.sign_cli) if os.sep in args.sign_cli else args.sign_cli
    began = time.monotonic()

    def sign(version, src_dir=work):
        path = os.path.join(src_dir, f"app_v{version}_signed.bin")
        subprocess.run([sign_cli, f"--{args.sign}", f"--{args.hash}", "app.bin", "key.der",
                        str(version)], cwd=src_dir, check=True, stdout=subprocess.DEVNULL)
        with open(path, "rb") as f:
            return f.read()

    images = {v: sign(v) for v in (1, 2, 3, 4)}
    rigs = [Rig(work, f"rig{i}", os.path.abspath(args.bootloader)) for i in range(max(1, args.jobs))]
    rig = rigs[0]

    def fresh(image):
        used = bytearray(b"\xff" * USED)
        used[:len(image)] = image
        return used

    print("1. boot v1", flush=True)
    rig.save(fresh(images[1]))
    r = rig.qemu()
    check(r.rc == 0 and "boot: no update; version 1" in r.out and r.version() == 1
          and "confirmed (success)" in r.out, "v1 boots, verified, and confirms itself", r.out)

    print("2. update to v2 over the UART", flush=True)
    r = rig.qemu(APP_RECEIVE, send=frame(images[2]))
    check(f"app: receiving {len(images[2])} bytes" in r.out and "app: staged version 2" in r.out,
          "v1 receives v2 and stages it through UpdateWriter, verified", r.out)
    check("boot: update installed; version 2" in r.out, "bootloader swaps v2 in", r.out)
    check(r.rc == 0 and r.version() == 2 and "BOOT state testing" in r.out
          and "confirmed" in r.out and "update already received" in r.out,
          "v2 runs in TESTING and confirms", r.out)
    print(f"     (update over the UART, swap and confirm: {r.seconds:.2f} s)", flush=True)
    r = rig.qemu()
    check(r.rc == 0 and "boot: no update; version 2" in r.out and "BOOT state success" in r.out,
          "v2 stays after reset", r.out)
    confirmed_v2 = rig.load()

    print("3. unconfirmed v3 rolled back", flush=True)
    r = rig.qemu(APP_RECEIVE | APP_NO_CONFIRM, send=frame(images[3]))
    check("app: staged version 3" in r.out and "boot: update installed; version 3" in r.out
          and r.version() == 3 and "not confirming" in r.out,
          "v3 staged, installed, not confirmed", r.out)
    v3_testing = rig.load()
    r = rig.qemu()
    check(r.rc == 0 and "boot: rolled back; version 2" in r.out and r.version() == 2,
          "next boot rolls back to v2", r.out)

    payload_flip = bytearray(images[4])
    payload_flip[HEADER_SIZE + 100] ^= 0x01
    sig_flip = bytearray(images[4])
    sig_flip[tlv_value(sig_flip, 0x0020) + 5] ^= 0x80
    other = os.path.join(work, "other-key")
    os.makedirs(other, exist_ok=True)
    subprocess.run([sign_cli, "keygen", f"--{args.sign}", "-g", "key.der", "--force"],
                   cwd=other, check=True, stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(work, "app.bin"), other)
    untrusted = sign(4, other)
    bad_crc = bytearray(frame(images[4]))
    bad_crc[-1] ^= 0xFF

    print("4. UpdateWriter refuses bad updates sent over the UART", flush=True)
    for data, reason, what in [
            (frame(bytes(payload_flip)), "digest mismatch", "payload bit flip"),
            (frame(bytes(sig_flip)), "bad signature", "signature bit flip"),
            (frame(untrusted), "unknown key", "image signed by an untrusted key"),
            (frame(images[1]), "version 1 not newer than 2", "downgrade to v1"),
            (bytes(bad_crc), "transport CRC mismatch", "frame with a bad CRC")]:
        rig.save(confirmed_v2)
        r = rig.qemu(APP_RECEIVE, send=data)
        refused = (r.rc == 0 and f"app: update refused: {reason}" in r.out and r.version() == 2
                   and "app: staged" not in r.out and r.out.count("wolfboot-rs bootloader") == 1)
        r2 = rig.qemu()
        check(refused and r2.rc == 0 and "boot: no update; version 2" in r2.out and r2.version() == 2,
              f"{what} refused, nothing triggered, v2 still runs", r.out + r2.out)

    print("5. the bootloader refuses tampered images (written and triggered raw)", flush=True)
    for image, reason, what in [
            (payload_flip, "digest mismatch", "payload bit flip"),
            (sig_flip, "bad signature", "signature bit flip"),
            (untrusted, "unknown key", "image signed by an untrusted key")]:
        used = bytearray(confirmed_v2)
        stage_raw(used, image)
        rig.save(used)
        r = rig.qemu()
        check(r.rc == 0 and f"update refused ({reason}); version 2" in r.out and r.version() == 2,
              f"{what} refused by the bootloader, v2 runs", r.out)
    used = bytearray(confirmed_v2)
    used[BOOT_OFF + HEADER_SIZE + 100] ^= 0x01
    rig.save(used)
    r = rig.qemu()
    check(r.version() != 2 and ("fallback" in r.out or r.rc == EXIT_NO_IMAGE),
          "tampered BOOT is not entered", r.out)

    # Reference runs: where the operations are (TRACE prints each one).
    rig.save(confirmed_v2)
    ref = rig.qemu(APP_RECEIVE | TRACE, send=frame(images[3]))
    total = ref.number(r"app: flash operations so far (\d+)") or 0
    trigger = ref.number(r"app: triggered after flash operation (\d+)") or 0
    check(ref.rc == 0 and ref.version() == 3 and 0 < trigger < total,
          f"v2 -> v3 takes {total} flash operations: {trigger} to stage and trigger it, "
          f"{total - trigger} to swap and confirm", ref.out)
    erases = len(re.findall(r"op \d+ erase", ref.out))
    # The flash right after the trigger: what the bootloader finds at the
    # reset. Cutting the swap from there spares each run the UART transfer.
    rig.save(confirmed_v2)
    r = rig.qemu(APP_RECEIVE, cut=trigger + 1, send=frame(images[3]))
    triggered_v3 = rig.load()
    timed_update = rig.qemu(APP_RECEIVE, send=frame(images[3])) if r.cut else r
    rig.save(triggered_v3)
    ref_swap = rig.qemu(TRACE)
    swap_total = ref_swap.number(r"app: flash operations so far (\d+)") or 0
    check(r.cut and ref_swap.rc == 0 and "boot: update installed; version 3" in ref_swap.out
          and swap_total == total - trigger,
          f"the flash saved at the trigger installs v3 in {swap_total} operations", r.out + ref_swap.out)
    # Operations of v3's own first run (its `success`): a cut there leaves
    # v3 unconfirmed, and the next boot rolls back to v2, as it must.
    at = ref_swap.out.find("app: version 3")
    after = [int(n) for n in re.findall(r"op (\d+) ", ref_swap.out[at:])] if at >= 0 else []
    confirm_start = min(after) if after else swap_total + 1
    rig.save(triggered_v3)
    timed_swap = rig.qemu()
    rig.save(v3_testing)
    ref_rb = rig.qemu(TRACE)
    rollback_total = ref_rb.number(r"app: flash operations so far (\d+)") or 0
    check(ref_rb.rc == 0 and ref_rb.version() == 2 and rollback_total > 0,
          f"the rollback of an unconfirmed v3 takes {rollback_total} flash operations", ref_rb.out)

    # Cut points: most in the swap and the rollback (the bootloader's
    # side), fewer in the staging (each of those runs carries the UART
    # transfer); the trigger and the first swap operation always; every
    # other one torn.
    n_stage = max(2, args.cuts // 6)
    n_swap = max(2, (args.cuts - n_stage) // 2)
    n_rollback = max(1, args.cuts - n_stage - n_swap)
    stage_points = sorted(set(pick(range(1, trigger + 1), n_stage - 1, rng)) | {trigger})
    swap_points = pick(range(1, swap_total + 1), n_swap, rng)
    rollback_points = pick(range(1, rollback_total + 1), n_rollback, rng)
    if args.all:
        stage_points = list(range(1, trigger + 1))
        swap_points = list(range(1, swap_total + 1))
        rollback_points = list(range(1, rollback_total + 1))

    def recovered(r2, r3, expected):
        """The next boot enters a verified `expected`, which stays confirmed."""
        if r2.rc != 0 or r2.version() != expected or not re.search(
                r"boot: .*; version %d\n" % expected, r2.out):
            return f"expected v{expected}, got rc={r2.rc} v{r2.version()}"
        if (r3.rc != 0 or f"boot: no update; version {expected}" not in r3.out
                or "BOOT state success" not in r3.out):
            return f"v{expected} does not stay"
        return None

    stage_erases = {int(n) for n in re.findall(r"op (\d+) erase", ref.out)}
    swap_erases = {int(n) for n in re.findall(r"op (\d+) erase", ref_swap.out)}

    def cut_test(rig, kind, n, tear):
        flags = TEAR if tear else 0
        if kind == "stage":
            rig.save(confirmed_v2)
            r = rig.qemu(flags | APP_RECEIVE, cut=n, send=frame(images[3]))
            # A torn erase has been done (QEMU erases at once): as a cut
            # before the next operation.
            done = n + 1 if tear and n in stage_erases else n
            expected = 3 if done > trigger else 2
        elif kind == "swap":
            rig.save(triggered_v3)
            r = rig.qemu(flags, cut=n)
            # Once the swap's last operation is done, v3 is in TESTING and
            # must confirm itself: a cut before that rolls back to v2.
            done = n + 1 if tear and n in swap_erases else n
            expected = 2 if done >= confirm_start else 3
        else:
            rig.save(v3_testing)
            r = rig.qemu(flags, cut=n)
            expected = 2
        name = f"{kind} cut {n}{' (torn)' if tear else ''}"
        if not r.cut:
            return f"{name}: no power cut (run ended with {r.rc})\n{r.out}"
        r2 = rig.qemu()
        r3 = rig.qemu()
        err = recovered(r2, r3, expected)
        return f"{name}: {err}\n{r.out}{r2.out}{r3.out}" if err else None

    def random_kill(rig, start, delay):
        if start == "update":
            rig.save(confirmed_v2)
            r = rig.qemu(APP_RECEIVE, send=frame(images[3]), kill_after=delay)
        else:
            rig.save(triggered_v3)
            r = rig.qemu(kill_after=delay)
        if not r.killed:
            return None, "after the end"
        started = start != "update" or "app: receiving" in r.out
        triggered = start != "update" or "update triggered" in r.out
        swapping = "wolfboot-rs bootloader" in r.out if start != "update" else triggered
        swapped = "boot: update installed; version 3" in r.out
        v3_confirmed = re.search(r"app: version 3.*\napp: confirmed", r.out) is not None
        r2 = rig.qemu()
        r3 = rig.qemu()
        v = r2.version()
        # v2 if the update never started; v3 once v3 confirmed itself; in
        # between either: v2 while staging, v3 once triggered, v2 again if
        # the kill came after the swap's end but before v3's `success` (an
        # unconfirmed image is rolled back, as it must).
        err = recovered(r2, r3, v) if v in (2, 3) else f"got rc={r2.rc} v{v}"
        if not err and v == 3 and not started:
            err = "v3 without an update"
        if not err and v == 2 and v3_confirmed:
            err = "v2 after v3 confirmed itself"
        where = ("after v3 confirmed" if v3_confirmed else "before v3 confirmed" if swapped
                 else "in the swap" if swapping else "at the reset" if triggered
                 else "while staging" if started else "before staging")
        if err:
            return f"kill at {delay:.3f} s ({where}): {err}\n{r.out}{r2.out}{r3.out}", where
        return None, where

    tears = [False, True] if args.all else None
    tasks = []
    for kind, points in (("stage", stage_points), ("swap", swap_points), ("rollback", rollback_points)):
        for i, n in enumerate(points):
            for tear in tears or [i % 2 == 1]:
                tasks.append((kind, n, tear))
    # Kill delays, from the bootloader's first output: up to the end of a run.
    spans = {}
    for name, t, default in (("update", timed_update, 2.0), ("swap", timed_swap, 0.2)):
        spans[name] = (0.0, t.seconds - t.first if t.rc == 0 and t.first < t.seconds else default)
    for i in range(args.kills):
        start = "update" if i % 2 == 0 else "swap"
        tasks.append(("kill", start, rng.uniform(*spans[start])))
    cut_points = sum(1 for t in tasks if t[0] != "kill")
    torn = sum(1 for t in tasks if t[0] != "kill" and t[2])

    print(f"6-8. power cuts (seed {seed}, {time.monotonic() - began:.0f} s so far), {len(rigs)} QEMU "
          f"at a time: {cut_points} by operation count "
          f"({len(stage_points)} of {trigger} while staging, {len(swap_points)} of {swap_total} in the "
          f"swap, {len(rollback_points)} of {rollback_total} in the rollback; {torn} torn), "
          f"{args.kills} random kills (within {spans['update'][1]:.2f} s of the bootloader's start for the "
          f"update, {spans['swap'][1]:.2f} s for the swap)", flush=True)
    free = list(rigs)
    free_lock = threading.Lock()
    kill_where = {}

    def run_task(task):
        with free_lock:
            r = free.pop()
        try:
            if task[0] != "kill":
                return task, cut_test(r, *task)
            err, where = random_kill(r, task[1], task[2])
            with free_lock:
                kill_where[where] = kill_where.get(where, 0) + 1
            return task, err
        finally:
            with free_lock:
                free.append(r)

    failures = {"stage": [], "swap": [], "rollback": [], "kill": []}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(rigs)) as pool:
        for task, err in pool.map(run_task, tasks):
            if err:
                failures[task[0]].append(err)
                print("  " + err.replace("\n", "\n    "), flush=True)
    count = {k: sum(1 for t in tasks if t[0] == k) for k in failures}
    check(not failures["stage"],
          f"{count['stage']} cuts while staging v3 over the UART: back to a verified v2 "
          f"(v3 once triggered), which stays")
    check(not failures["swap"],
          f"{count['swap']} cuts in the swap: back to a verified v3 that confirms and stays "
          f"(v2 once the swap was complete but v3 had not confirmed itself)")
    check(not failures["rollback"],
          f"{count['rollback']} cuts in the rollback: back to a verified v2 that stays")
    check(not failures["kill"],
          f"{args.kills} random kills ("
          + ", ".join(f"{n} {w}" for w, n in sorted(kill_where.items()))
          + "): back to a verified v2 or v3 that stays")
    print(f"cut points exercised: {cut_points} by operation count ({torn} of them torn) "
          f"+ {args.kills} random kills = {cut_points + args.kills} (the update is {total} flash "
          f"operations, {erases} of them erases; the rollback {rollback_total})")
    print(f"{passed} passed, {failed} failed ({time.monotonic() - began:.0f} s)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
