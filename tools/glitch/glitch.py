#!/usr/bin/env python3
"""Single-fault injection campaign on the real mps2-an385 bootloader ELF.

The bootloader ELF runs in the Unicorn engine (QEMU's Arm translator as a
library) with the board's memory map: code SRAM at 0x0 (bootloader, then the
flash device with BOOT at 0x20000, UPDATE at 0x120000, SWAP at 0x220000),
data RAM at 0x20000000, the CMSDK UART at 0x40004000 and the system control
space at 0xE000E000. No harness control block is set, so the bootloader runs
as it does on a board: no semihosting, `halt` is its refusal loop.

For each scenario (a tampered image in BOOT, or a tampered triggered update
in UPDATE) the clean run is traced from the first entry of the digest check
(`wolfboot_verify::image::check_digest`, the end of hashing of the tampered
image) to the decision: the jump to the application, or the refusal loop.
Inside the digest check and the signature check only their last TAIL
executed instructions are in the window (the end of hashing with the
digest comparison, the final comparison of the signature check), and the
bulk arithmetic of SHA-256 and P-256 (compression function, field and
scalar arithmetic, point addition and doubling, inversion) is never
faulted: a single fault there only changes a digest or a point, which then
fails the comparison that follows (a forged match has probability 2^-128
or less), while every comparison, branch, copy and return of the decision
path is in the window. Every instruction of the window is then faulted
once per fault model and the run classified:

  refused   the refusal loop was reached and stayed in (good)
  reset     a system reset was requested (good)
  fault     the CPU faulted (HardFault on a chip; good: it ends in a loop)
  hang      instruction budget exhausted elsewhere (good for security)
  genuine   jumped to the application with the genuine image in BOOT
  TAMPERED  jumped to the application with the tampered image in BOOT (bad)

A faulted run that comes back to the clean run's exact state (registers,
RAM, untouched flash and code) at one of its checkpoints ends there with the
clean run's outcome: the emulation is deterministic from that point.

Fault models: `skip` (the instruction is not executed: it is replaced by a
NOP of the same size for one execution, so IT blocks stay consistent),
`zero` / `ones` (after a load the destination registers, after a compare
the condition flags NZCV, are set to all zeros / all ones).

Exit status: 0; 1 with --fail-on-tampered when any run booted a tampered
image; 2 on a usage or set-up error (one line on stderr).
"""

import argparse
import bisect
import collections
import hashlib
import json
import struct
import sys
import time

try:
    import capstone
    import unicorn
    from unicorn import arm_const as A
except ImportError as e:  # pragma: no cover - reported as a one-line error
    sys.stderr.write(f"glitch: {e}: pip install unicorn capstone\n")
    sys.exit(2)

# The board's memory map (boards/mps2-an385/src/memory_map.rs).
CODE_BASE, CODE_SIZE = 0x0000_0000, 0x0040_0000
FLASH_BASE = 0x0002_0000
BOOT, UPDATE, SWAP = 0x0002_0000, 0x0012_0000, 0x0022_0000
PARTITION_SIZE, SECTOR_SIZE = 0x0010_0000, 0x1000
RAM_BASE, RAM_SIZE = 0x2000_0000, 0x0040_0000
UART0 = 0x4000_4000
SCS_BASE, SCS_SIZE = 0xE000_0000, 0x0010_0000
AIRCR = 0xE000_ED0C
HEADER_SIZE = 256
UART_LIMIT = 4096
# What a snapshot keeps of RAM: the bootloader's data and bss, and its stack
# (below the update inbox at 0x202FFF00) with the inbox and control block.
RAM_DATA_END = RAM_BASE + 0x4000
RAM_STACK = 0x202F_0000

# Symbol substrings (Rust v0 mangling keeps the path words). The digest
# check (first: the window starts at its first entry) and the signature
# check are opaque calls: only their last TAIL instructions are faulted.
OPAQUE = ("12check_digest", "16verify_signature")
EXCLUDED = (
    "compress256",  # SHA-256 compression function
    "crypto_bigint",  # big-integer arithmetic (inversion, multiplication)
    "field_impl",  # P-256 field arithmetic
    "FieldElement",
    "6scalar",  # P-256 scalar arithmetic
    "primeorder",  # point addition and doubling
)
HALT = ("4halt", "fail_loop")  # refusal loops: the board's halt, armored fail loop


class SetupError(Exception):
    pass


# --- ELF -------------------------------------------------------------------


def read_elf(path):
    """PT_LOAD segments (load address, bytes) and function symbols of an ELF32 LE file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise SetupError(f"{path}: not a 32-bit little-endian ELF")
    (phoff, shoff) = struct.unpack_from("<II", data, 28)
    (phentsize, phnum, shentsize, shnum) = struct.unpack_from("<HHHH", data, 42)
    segments = []
    for i in range(phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz, _memsz = struct.unpack_from(
            "<IIIIII", data, phoff + i * phentsize
        )
        if p_type == 1 and p_filesz:
            segments.append((p_paddr, data[p_offset : p_offset + p_filesz]))
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    symbols = {}
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 16):
            name, value, size, info = struct.unpack_from("<IIIB", data, off)
            if info & 0xF != 2 or size == 0:  # STT_FUNC
                continue
            start = strtab[4] + name
            end = data.index(b"\0", start)
            symbols[data[start:end].decode("ascii", "replace")] = (value & ~1, size)
    if not segments or not symbols:
        raise SetupError(f"{path}: no loadable segments or no symbols (stripped?)")
    return segments, symbols


def find_funcs(symbols, needles):
    return sorted((a, a + s, n) for n, (a, s) in symbols.items() if any(k in n for k in needles))


# --- images ----------------------------------------------------------------


def tlvs(image):
    """(type, offset of value, length) of each header TLV."""
    out = []
    off = 8
    while off + 4 <= HEADER_SIZE:
        if image[off] == 0xFF:
            off += 1
            continue
        t, n = struct.unpack_from("<HH", image, off)
        if t == 0:
            break
        out.append((t, off + 4, n))
        off += 4 + n
    return out


def tlv(image, kind):
    for t, off, n in tlvs(image):
        if t == kind:
            return off, n
    raise SetupError(f"image has no TLV 0x{kind:04x}")


def flip_payload_bit(image):
    """A copy of a signed image with one payload bit flipped (in the middle)."""
    out = bytearray(image)
    out[HEADER_SIZE + (len(image) - HEADER_SIZE) // 2] ^= 0x10
    return bytes(out)


def untrusted_signature(image):
    """A copy of a signed ECC256 image whose signature is replaced by one made
    over the same digest with a fresh key, the key hint left naming the
    trusted key: digest check passes, the signature check must fail."""
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import (
            Prehashed,
            decode_dss_signature,
        )
    except ImportError as e:
        raise SetupError(f"{e}: pip install cryptography") from e
    d_off, d_len = tlv(image, 0x0003)
    s_off, s_len = tlv(image, 0x0020)
    if d_len != 32 or s_len != 64:
        raise SetupError("untrusted-key scenario needs an ECC256 + SHA-256 image")
    digest = image[d_off : d_off + 32]
    key = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()))))
    out = bytearray(image)
    out[s_off : s_off + 64] = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return bytes(out)


def flash_with(boot=None, update=None, trigger=False):
    """The flash device contents (from FLASH_BASE): BOOT, UPDATE, trailer."""
    flash = bytearray(b"\xff" * (CODE_SIZE - FLASH_BASE))
    if boot:
        flash[BOOT - FLASH_BASE : BOOT - FLASH_BASE + len(boot)] = boot
    if update:
        flash[UPDATE - FLASH_BASE : UPDATE - FLASH_BASE + len(update)] = update
    if trigger:
        end = UPDATE - FLASH_BASE + PARTITION_SIZE
        flash[end - 4 : end] = b"BOOT"
        flash[end - 5] = 0x70  # IMG_STATE_UPDATING
    return bytes(flash)


# --- the machine -----------------------------------------------------------


class Machine:
    def __init__(self, elf):
        self.segments, self.symbols = read_elf(elf)
        self.cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self.cs.detail = True
        self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M3)
        self.uc.mem_map(CODE_BASE, CODE_SIZE)
        self.uc.mem_map(RAM_BASE, RAM_SIZE)
        self.uc.mem_map(SCS_BASE, SCS_SIZE)
        self.uc.mmio_map(UART0, 0x1000, self._uart_read, None, self._uart_write, None)
        for addr, blob in self.segments:
            self.uc.mem_write(addr, blob)
        self.code = bytes(self.uc.mem_read(0, FLASH_BASE))
        self.halt_ranges = find_funcs(self.symbols, HALT)
        if not self.halt_ranges:
            raise SetupError("no refusal loop (`halt`) symbol in the ELF")
        self.excluded = find_funcs(self.symbols, EXCLUDED)
        self.fault_ranges = find_funcs(self.symbols, ("HardFault", "DefaultHandler"))
        self.opaque = [f for needle in OPAQUE for f in find_funcs(self.symbols, (needle,))]
        if len(self.opaque) != len(OPAQUE):
            raise SetupError("digest and signature checks not found (one symbol each) in the ELF")
        self.text_end = max(a + len(b) for a, b in self.segments if a < FLASH_BASE)
        self.uart = bytearray()
        self.flash_dirty = False
        self.entry = None
        self.tampered = None
        self.in_halt = 0
        self.insn_cache = {}
        self.uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, self._on_flash_write, begin=FLASH_BASE, end=CODE_SIZE - 1)
        # Writes outside what a snapshot keeps (the bootloader's own code,
        # RAM between data and stack) are stray: remembered, undone at restore.
        self.stray = False
        self.uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, self._on_stray, begin=CODE_BASE, end=FLASH_BASE - 1)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, self._on_stray, begin=RAM_DATA_END, end=RAM_STACK - 1)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, self._on_stray, begin=SCS_BASE, end=SCS_BASE + SCS_SIZE - 1)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_WRITE, self._on_aircr, begin=AIRCR, end=AIRCR + 3)
        self.uc.hook_add(unicorn.UC_HOOK_INTR, self._on_intr)
        for lo, hi, _ in self.halt_ranges:
            self.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_halt, begin=lo, end=hi - 1)

    # peripherals
    def _uart_read(self, uc, offset, size, data):
        return 0  # STATE: transmitter never full; DATA/CTRL read as 0

    def _uart_write(self, uc, offset, size, value, data):
        if offset == 0:
            self.uart.append(value & 0xFF)
            if len(self.uart) > UART_LIMIT:
                self.stop("hang")  # printing without end

    def _on_flash_write(self, uc, access, addr, size, value, data):
        self.flash_dirty = True

    def _on_stray(self, uc, access, addr, size, value, data):
        self.stray = True

    def _on_aircr(self, uc, access, addr, size, value, data):
        if (value >> 16) == 0x05FA and value & 0x4:
            self.stop("reset")

    def _on_intr(self, uc, intno, data):
        self.stop("fault")

    def _on_halt(self, uc, addr, size, data):
        self.in_halt += 1
        if self.in_halt >= 200:
            self.stop("refused")

    def _on_entry(self, uc, addr, size, data):
        boot = bytes(uc.mem_read(BOOT, len(self.tampered)))
        self.stop("TAMPERED" if boot == self.tampered else "genuine")

    def stop(self, kind):
        self.outcome = kind
        self.uc.emu_stop()

    # state
    def load(self, flash, tampered):
        self.uc.mem_write(FLASH_BASE, flash)
        self.uc.mem_write(RAM_BASE, b"\0" * RAM_SIZE)
        self.uc.mem_write(SCS_BASE + 0xE000, b"\0" * 0x1000)
        self.tampered = tampered
        self.uart.clear()
        sp, reset = struct.unpack("<II", self.code[:8])
        self.uc.reg_write(A.UC_ARM_REG_SP, sp)
        self.uc.reg_write(A.UC_ARM_REG_PC, reset)
        vt = BOOT + HEADER_SIZE
        self.entry = struct.unpack("<I", flash[vt + 4 - FLASH_BASE : vt + 8 - FLASH_BASE])[0] & ~1
        if self.entry_hook is not None:
            self.uc.hook_del(self.entry_hook)
        self.entry_hook = self.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_entry, begin=self.entry, end=self.entry)

    entry_hook = None

    def snapshot(self):
        return (
            self.uc.context_save(),
            bytes(self.uc.mem_read(RAM_BASE, RAM_DATA_END - RAM_BASE)),
            bytes(self.uc.mem_read(RAM_STACK, RAM_BASE + RAM_SIZE - RAM_STACK)),
        )

    def restore(self, snap, flash):
        ctx, data, stack = snap
        self.uc.context_restore(ctx)
        self.uc.mem_write(RAM_BASE, data)
        self.uc.mem_write(RAM_STACK, stack)
        if self.flash_dirty:
            self.uc.mem_write(FLASH_BASE, flash)
            self.flash_dirty = False
        if self.stray:
            # The clean run writes neither region: back to code and zeros.
            self.uc.mem_write(CODE_BASE, self.code)
            self.uc.mem_write(RAM_DATA_END, b"\0" * (RAM_STACK - RAM_DATA_END))
            self.uc.mem_write(SCS_BASE, b"\0" * SCS_SIZE)
            self.uc.ctl_flush_tb()
            self.stray = False
        self.uart.clear()
        self.in_halt = 0
        self.outcome = None

    def registers(self):
        return tuple(self.uc.reg_read(r) for r in CONVERGE_REGS)

    def _on_converge(self, uc, addr, size, data):
        """Back on the clean run's path with the clean run's whole live state
        (registers, data, the stack above SP, untouched flash and code): the
        rest is the clean run."""
        if self.flash_dirty or self.stray:
            return
        regs = None
        for clean_regs, (_, data_ram, stack) in self.converge.get(addr, ()):
            if regs is None:
                regs = self.registers()
            if regs != clean_regs:
                continue
            # The stack below SP is dead (written before it is read again):
            # only the live part has to match.
            live = regs[CONVERGE_SP] - RAM_STACK
            if bytes(uc.mem_read(RAM_BASE, len(data_ram))) == data_ram and bytes(
                uc.mem_read(RAM_STACK + live, len(stack) - live)
            ) == stack[live:]:
                self.converged = True
                self.stop(self.clean)
                return

    def watch_convergence(self, on):
        for h in self.converge_hooks:
            self.uc.hook_del(h)
        self.converge_hooks = []
        if on:
            for addr in self.converge:
                self.converge_hooks.append(
                    self.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_converge, begin=addr, end=addr)
                )

    converge = {}
    converge_hooks = []
    converged = False
    clean = None

    def pc(self):
        return self.uc.reg_read(A.UC_ARM_REG_PC)

    def run(self, count):
        """Run up to `count` instructions; the outcome, or None if the
        instructions ran out outside any refusal loop."""
        self.outcome = None
        try:
            self.uc.emu_start(self.pc() | 1, 0xFFFF_FFFF, count=count)
        except unicorn.UcError:
            return "fault"
        if self.outcome is None:
            # WFI ends the emulation: where it stopped tells what it was.
            pc = self.pc()
            if in_ranges(pc, self.halt_ranges):
                return "refused"
            if in_ranges(pc, self.fault_ranges):
                return "fault"
        return self.outcome

    def insn(self, addr):
        i = self.insn_cache.get(addr)
        if i is None:
            i = next(self.cs.disasm(self.code[addr : addr + 4], addr), None)
            self.insn_cache[addr] = i
        return i

    def run_to(self, addr, occurrence):
        """From the current state, stop before the `occurrence`-th (1-based)
        execution of `addr`. False if never reached."""
        seen = [0]

        def hit(uc, a, size, data):
            seen[0] += 1
            if seen[0] == occurrence:
                uc.emu_stop()

        h = self.uc.hook_add(unicorn.UC_HOOK_CODE, hit, begin=addr, end=addr)
        try:
            self.uc.emu_start(self.pc() | 1, 0xFFFF_FFFF, count=50_000_000)
        except unicorn.UcError:
            return False
        finally:
            self.uc.hook_del(h)
        return seen[0] == occurrence and self.pc() == addr


# --- trace and campaign ----------------------------------------------------


def complement(ranges, lo, hi):
    """[lo, hi) less the (start, end, name) ranges, as (start, end) pairs."""
    out = []
    at = lo
    for a, b, _ in sorted(ranges):
        if a > at:
            out.append((at, min(a, hi)))
        at = max(at, b)
    if at < hi:
        out.append((at, hi))
    return [(a, b) for a, b in out if a < b]


def in_ranges(addr, ranges):
    return any(lo <= addr < hi for lo, hi, _ in ranges)


def record(m, flash, tampered, budget):
    """The clean run: its outcome, UART text and length, a snapshot at the
    window start (the entry of the first digest check), the window's trace
    and its checkpoints.

    Trace entries are (addr, occurrence, anchor, anchor occurrence):
    occurrences count executions since the window start. Inside an opaque
    call (digest check, signature check) only the last TAIL instructions
    are kept (the end of hashing with the digest comparison, the end of the
    signature check with its final comparison); the excluded arithmetic is
    never traced. Checkpoints are (trace index, executions of each address
    before that entry's anchor)."""
    m.load(flash, tampered)
    m.flash_dirty = True
    start = time.time()
    clean = m.run(budget)
    clean_uart = m.uart.decode("ascii", "replace")
    seconds = time.time() - start
    # Second pass: stop at the first entry of the digest check.
    m.load(flash, tampered)
    m.flash_dirty = True
    m.uart.clear()
    m.in_halt = 0
    check_lo = m.opaque[0][0]
    if not m.run_to(check_lo, 1):
        raise SetupError("the clean run never checks a digest")
    snap = m.snapshot()
    if m.uc.reg_read(A.UC_ARM_REG_SP) < RAM_STACK + 0x1000:
        raise SetupError("stack deeper than the snapshot keeps")
    # Third pass: the trace. Unicorn runs an IT block as one unit (a stop or
    # a one-instruction step inside it is not honoured), so each entry also
    # names its anchor: itself, or the IT instruction of its block.
    trace = []
    checkpoints = [(0, {})]
    entries = []  # opaque call entries: (trace index, addr, occurrence, base)
    counts = {}
    it_member = {}
    it_blocks = {}  # address -> addresses its IT instruction covers (() if none)
    last_it = {}
    opaque_starts = {lo: hi for lo, hi, _ in m.opaque}
    state = {"ret": None, "sp": 0, "tail": collections.deque(maxlen=TAIL)}

    def on_insn(uc, addr, size, data):
        n = counts.get(addr, 0) + 1
        counts[addr] = n
        block = it_blocks.get(addr)
        if block is None:
            i = m.insn(addr)
            block = ()
            if i is not None and i.mnemonic.startswith("it"):
                a = addr + i.size
                members = []
                for _ in range(len(i.mnemonic) - 1):
                    j = m.insn(a)
                    if j is None:
                        break
                    members.append(a)
                    a += j.size
                block = tuple(members)
            it_blocks[addr] = block
        if block:
            last_it[addr] = n
            for a in block:
                it_member[a] = addr
        it = it_member.get(addr)
        entry = (addr, n, it, last_it[it]) if it is not None and it != addr else (addr, n, addr, n)
        if state["ret"] is not None:
            if addr == state["ret"] and uc.reg_read(A.UC_ARM_REG_SP) >= state["sp"]:
                # Back from the opaque call: keep its tail, then go on.
                tail = list(state["tail"])
                while tail and tail[0][2] != tail[0][0] and all(t[0] != tail[0][2] for t in tail):
                    tail.pop(0)  # IT members whose IT instruction fell out of the tail
                state["ret"] = None
                base = dict(counts)
                for t in reversed(tail):
                    base[t[2]] = t[3] - 1
                base[entry[2]] = min(base.get(entry[2], 0), entry[3] - 1)
                if tail:
                    checkpoints.append((len(trace), base))
                trace.extend(tail)
            else:
                state["tail"].append(entry)
                return
        if addr in opaque_starts:
            base = dict(counts)
            base[addr] = n - 1
            entries.append((len(trace), addr, n, base))
            state["ret"] = uc.reg_read(A.UC_ARM_REG_LR) & ~1
            state["sp"] = uc.reg_read(A.UC_ARM_REG_SP)
            state["tail"].clear()
            state["tail"].append(entry)
            return
        if len(trace) - checkpoints[-1][0] >= CHECKPOINT_EVERY:
            base = dict(counts)
            base[entry[2]] = entry[3] - 1
            checkpoints.append((len(trace), base))
        trace.append(entry)

    hooks = [
        m.uc.hook_add(unicorn.UC_HOOK_CODE, on_insn, begin=lo, end=hi - 1)
        for lo, hi in complement(m.excluded, 0, m.text_end)
    ]
    m.restore(snap, flash)
    again = m.run(budget)
    for h in hooks:
        m.uc.hook_del(h)
    if again != clean:
        raise SetupError(f"clean run not repeatable: {clean} then {again}")
    return snap, trace, checkpoints, entries, counts, clean, clean_uart, seconds


def fault_targets(m, addr):
    """Registers (or 'flags') a data fault on the instruction at `addr` sets."""
    i = m.insn(addr)
    if i is None:
        return None
    mn = i.mnemonic.split(".")[0]
    if mn in ("cmp", "cmn", "tst", "teq"):
        return "flags"
    if mn.startswith("ldr") or mn.startswith("ldm") or mn == "pop":
        _, written = i.regs_access()
        regs = [r for r in written if r not in (capstone.arm.ARM_REG_PC, capstone.arm.ARM_REG_SP)]
        names = [i.reg_name(r) for r in regs]
        return [n for n in names if n in REGS] or None
    return None


CONVERGE_REGS = [getattr(A, f"UC_ARM_REG_R{n}") for n in range(13)] + [
    A.UC_ARM_REG_SP,
    A.UC_ARM_REG_LR,
    A.UC_ARM_REG_PC,
    A.UC_ARM_REG_XPSR,
]
CONVERGE_SP = 13  # index of SP in CONVERGE_REGS
REGS = {f"r{n}": getattr(A, f"UC_ARM_REG_R{n}") for n in range(13)}
REGS.update(sb=A.UC_ARM_REG_R9, sl=A.UC_ARM_REG_R10, fp=A.UC_ARM_REG_R11, ip=A.UC_ARM_REG_R12, lr=A.UC_ARM_REG_LR)


def inject(m, model, addr, targets):
    """Apply one fault to the instruction at `addr`, the state being just
    before its anchor (itself, or the IT instruction of its block)."""
    i = m.insn(addr)
    if model == "skip":
        nop = b"\x00\xbf" if i.size == 2 else b"\xaf\xf3\x00\x80"
        orig = bytes(m.uc.mem_read(addr, i.size))
        m.uc.mem_write(addr, nop)
        m.uc.ctl_remove_cache(addr, addr + i.size)
        try:
            r = m.run(1)
        finally:
            m.uc.mem_write(addr, orig)
            m.uc.ctl_remove_cache(addr, addr + i.size)
        return r
    r = m.run(1)
    if r is not None:
        return r
    value = 0 if model == "zero" else 0xFFFF_FFFF
    if targets == "flags":
        xpsr = m.uc.reg_read(A.UC_ARM_REG_XPSR)
        xpsr = (xpsr & 0x0FFF_FFFF) | (value & 0xF000_0000)
        m.uc.reg_write(A.UC_ARM_REG_XPSR, xpsr)
    else:
        for reg in targets:
            m.uc.reg_write(REGS[reg], value)
    return None


CHECKPOINT_EVERY = 300
TAIL = 120


def campaign(m, name, flash, tampered, models, stride, budget, log):
    snap, trace, marks, entries, totals, clean, clean_uart, seconds = record(m, flash, tampered, budget)
    log(f"{name}: clean run {clean!r} in {seconds:.2f} s; UART: {clean_uart.strip()!r}")
    log(f"{name}: window {len(trace)} instructions ({len(set(t[0] for t in trace))} distinct)")
    # Snapshots at the checkpoints and at the entries of opaque calls, in
    # execution order, each reached from the one before.
    points = [(k, 1, trace[k][2], trace[k][3], base) for k, base in marks[1:]]
    points += [(k, 0, addr, occ, base) for k, addr, occ, base in entries]
    points.sort(key=lambda p: (p[0], p[1]))
    checkpoints = [(0, snap, {})]
    converge = {}  # address -> [(registers, snapshot)] of the clean run
    prev_snap, prev_base = snap, {}
    for k, kind, anchor, aocc, base in points:
        m.restore(prev_snap, flash)
        if not m.run_to(anchor, aocc - prev_base.get(anchor, 0)):
            raise SetupError(f"checkpoint {k} (0x{anchor:x}) not reachable")
        here = m.snapshot()
        if kind == 1:
            checkpoints.append((k, here, base))
        if totals.get(anchor, 0) <= 64:
            converge.setdefault(anchor, []).append((m.registers(), here))
        prev_snap, prev_base = here, base
    m.converge = converge
    m.clean = clean
    starts = [c[0] for c in checkpoints]
    counts = {}
    examples = {}
    injected = 0
    converged = 0
    start = time.time()
    for k in range(0, len(trace), stride):
        addr, _occ, anchor, aocc = trace[k]
        base_k, base_snap, base_seen = checkpoints[bisect.bisect_right(starts, k) - 1]
        rel = aocc - base_seen.get(anchor, 0)
        targets = fault_targets(m, addr)
        for model in models:
            if model != "skip" and targets is None:
                continue
            m.restore(base_snap, flash)
            if not m.run_to(anchor, rel):
                raise SetupError(f"trace position {k} (0x{anchor:x}) not reachable")
            r = inject(m, model, addr, targets)
            if r is None:
                m.converged = False
                m.watch_convergence(True)
                r = m.run(budget) or "hang"
                m.watch_convergence(False)
                converged += m.converged
            injected += 1
            counts[(model, r)] = counts.get((model, r), 0) + 1
            if r in ("TAMPERED", "genuine") and r != clean and len(examples.setdefault(r, [])) < 10:
                i = m.insn(addr)
                examples[r].append(f"{model} @0x{addr:05x} {i.mnemonic} {i.op_str} ({symbol_of(m, addr)})")
    return {
        "scenario": name,
        "clean": clean,
        "window": len(trace),
        "stride": stride,
        "injected": injected,
        "converged": converged,
        "seconds": round(time.time() - start, 1),
        "counts": {f"{mo}/{r}": n for (mo, r), n in sorted(counts.items())},
        "examples": examples,
    }


def symbol_of(m, addr):
    for n, (a, s) in m.symbols.items():
        if a <= addr < a + s:
            return demangle(n)
    return "?"


def demangle(name):
    """A readable tail of a v0-mangled Rust symbol (identifiers only)."""
    words = []
    i = 0
    while i < len(name):
        if name[i].isdigit():
            j = i
            while j < len(name) and name[j].isdigit():
                j += 1
            n = int(name[i:j])
            w = name[j : j + n]
            if w and (w[0].isalpha() or w[0] == "_") and not w.startswith("Cs"):
                words.append(w.lstrip("_"))
            i = j + n
        else:
            i += 1
    return "::".join(words[-2:]) if words else name


def measure(m, v1):
    """Instructions of a clean boot of the genuine image (no update), to the
    jump: counted per executed block (IT blocks whole, as the core runs them)."""
    m.load(flash_with(boot=v1), b"\0")  # nothing counts as tampered here
    m.flash_dirty = True
    sizes = {}
    total = [0]

    def on_block(uc, addr, size, data):
        n = sizes.get((addr, size))
        if n is None:
            n = sum(1 for _ in m.cs.disasm(m.code[addr : addr + size], addr))
            sizes[(addr, size)] = n
        total[0] += n

    h = m.uc.hook_add(unicorn.UC_HOOK_BLOCK, on_block)
    outcome = m.run(200_000_000)
    m.uc.hook_del(h)
    if outcome != "genuine":
        raise SetupError(f"the genuine image did not boot ({outcome})")
    return total[0]


OUTCOMES = ["refused", "reset", "fault", "hang", "genuine", "TAMPERED"]


def table(results, models):
    lines = []
    head = f"{'scenario':<24} {'model':<5} {'faults':>6} " + " ".join(f"{o:>8}" for o in OUTCOMES)
    lines.append(head)
    for r in results:
        for mo in models:
            row = [r["counts"].get(f"{mo}/{o}", 0) for o in OUTCOMES]
            lines.append(f"{r['scenario']:<24} {mo:<5} {sum(row):>6} " + " ".join(f"{n:>8}" for n in row))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elf", required=True)
    ap.add_argument("--image", required=True, help="genuine signed v1 (ECC256, SHA-256)")
    ap.add_argument("--update", required=True, help="genuine signed v2")
    ap.add_argument("--scenarios", default="boot-bitflip,boot-untrusted,update-bitflip")
    ap.add_argument("--models", default="skip,zero,ones")
    ap.add_argument("--stride", type=int, default=1, help="fault every N-th window instruction")
    ap.add_argument("--budget", type=int, default=40_000_000, help="instructions per run")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--fail-on-tampered", action="store_true")
    ap.add_argument("--measure", action="store_true", help="also count the instructions of a clean boot")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    log = (lambda s: None) if a.quiet else (lambda s: print(s, flush=True))
    models = a.models.split(",")
    for mo in models:
        if mo not in ("skip", "zero", "ones"):
            raise SetupError(f"unknown fault model {mo}")
    with open(a.image, "rb") as f:
        v1 = f.read()
    with open(a.update, "rb") as f:
        v2 = f.read()
    m = Machine(a.elf)
    if a.measure:
        print(f"boot instructions (genuine image, to the jump): {measure(m, v1)}", flush=True)
    scenarios = {
        "boot-bitflip": lambda: (flash_with(boot=flip_payload_bit(v1)), flip_payload_bit(v1)),
        "boot-untrusted": lambda: (flash_with(boot=untrusted_signature_cached(v1)), untrusted_signature_cached(v1)),
        "update-bitflip": lambda: (
            flash_with(boot=v1, update=flip_payload_bit(v2), trigger=True),
            flip_payload_bit(v2),
        ),
    }
    results = []
    for name in a.scenarios.split(","):
        if name not in scenarios:
            raise SetupError(f"unknown scenario {name}")
        flash, tampered = scenarios[name]()
        results.append(campaign(m, name, flash, tampered, models, a.stride, a.budget, log))
        log(f"{name}: {results[-1]['injected']} faults in {results[-1]['seconds']} s")
        log(table(results[-1:], models))
    print(table(results, models))
    bad = sum(r["counts"].get(f"{mo}/TAMPERED", 0) for r in results for mo in models)
    for r in results:
        for kind, ex in r["examples"].items():
            for e in ex:
                print(f"  {r['scenario']}: {kind}: {e}")
    print(
        f"faults injected: {sum(r['injected'] for r in results)} "
        f"(every {a.stride}. window instruction, {'/'.join(models)}); "
        f"runs of a tampered image: {bad}"
    )
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if bad and a.fail_on_tampered else 0


_untrusted = {}


def untrusted_signature_cached(v1):
    key = hashlib.sha256(v1).digest()
    if key not in _untrusted:
        _untrusted[key] = untrusted_signature(v1)
    return _untrusted[key]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (SetupError, OSError) as e:
        sys.stderr.write(f"glitch: {e}\n")
        sys.exit(2)
