#!/usr/bin/env python3
"""Do two builds hold the same kernel machine code, whatever its names?

A refactor of kernels/ that only moves, renames or comments code should
leave every instruction as it was; when it does, the benchmarks' "no
slowdown" and the tests' "same bits" hold by construction, with no timing
noise to argue about. This compares the kernel archives (libsm_*.a) of two
meson build directories function by function: each function's instructions
with addresses, jump targets inside it and symbol names normalised away, a
call named by the callee's own normalised body. Functions are matched by
body, not by name, so renamed and reordered functions still match; the
read-only data (constants) is compared as a multiset of its 16-byte lines.

Usage: same_code.py BUILD_A BUILD_B [--show N] [--objdump PROGRAM]
                    [--join-modes]
(aarch64 builds: --objdump aarch64-linux-gnu-objdump). --join-modes
compares each of A's archives with the union of B's libsm_<isa>.a and
libsm_<isa>_fast.a (a build that compiles the kernels once per exp mode
against one that does not).
Exit status 0 when every archive matches, 1 otherwise (the unmatched
functions are listed, N lines of each).
"""
import argparse
import collections
import glob
import hashlib
import os
import re
import subprocess
import sys

OBJDUMP = 'objdump'
FUNC_RE = re.compile(r'^[0-9a-f]+ <([^>]+)>:$')
# "  1f:\t48 89 c7 \tmov ..." without raw bytes: "  1f:\tmov ..."
INSN_RE = re.compile(r'^\s*([0-9a-f]+):\s*(.*)$')
TARGET_RE = re.compile(r'\b[0-9a-f]+ <([^>+]+)(\+0x[0-9a-f]+)?>')
RELOC_RE = re.compile(r'^\s*[0-9a-f]+: (R_\S+)\s+(\S+)$')


def disassemble(archive):
    out = subprocess.run([OBJDUMP, '-d', '-r', '--no-show-raw-insn', archive],
                         check=True, capture_output=True, text=True).stdout
    funcs = collections.OrderedDict()
    name = None
    for line in out.splitlines():
        m = FUNC_RE.match(line)
        if m:
            name = m.group(1)
            funcs[name] = []
            continue
        if name is None or not line.strip():
            continue
        r = RELOC_RE.match(line)
        if r:
            # A relocation's symbol: a local label's name says nothing.
            sym = re.sub(r'^\.L\w+', '.L', r.group(2))
            sym = re.sub(r'[+-]0x[0-9a-f]+$', '', sym)
            funcs[name].append(('reloc', r.group(1) + ' ' + sym))
            continue
        m = INSN_RE.match(line)
        if m:
            funcs[name].append(('insn', m.group(2)))
    return funcs


def normalise(name, insns):
    """The body as text, and the callees named in it."""
    lines, callees = [], []
    for kind, text in insns:
        if kind == 'reloc':
            lines.append(text)
            continue
        # objdump's comments: x86's "# addr <sym>", aarch64's "// ..."
        # (aarch64's immediates, "#0x10", stay)
        text = re.sub(r'\s+(# |//).*$', '', text)

        def target(m):
            sym, off = m.group(1), m.group(2) or '+0x0'
            if sym == name:
                return 'SELF' + off
            callees.append(sym)
            return 'CALLEE'
        lines.append(TARGET_RE.sub(target, text))
    return lines, callees


def signatures(archive):
    funcs = disassemble(archive)
    bodies = {n: normalise(n, i) for n, i in funcs.items()}
    first = {n: hashlib.sha1('\n'.join(b).encode()).hexdigest()
             for n, (b, _) in bodies.items()}
    sigs = {}
    for n, (body, callees) in bodies.items():
        callee_ids = [first.get(c, c) for c in callees]
        sigs[n] = hashlib.sha1(
            (first[n] + ' ' + ' '.join(callee_ids)).encode()).hexdigest()
    return sigs, bodies


def rodata(archive):
    out = subprocess.run([OBJDUMP, '-s', '-j', '.rodata', '-j', '.rodata.cst16',
                          '-j', '.rodata.cst32', '-j', '.rodata.cst64',
                          '-j', '.rodata.cst8', '-j', '.rodata.cst4', archive],
                         capture_output=True, text=True).stdout
    lines = []
    for line in out.splitlines():
        m = re.match(r'^ [0-9a-f]+ ((?:[0-9a-f]{1,8} ?){1,4})', line)
        if m:
            lines.append(m.group(1).strip())
    return collections.Counter(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('a')
    ap.add_argument('b')
    ap.add_argument('--show', type=int, default=0,
                    help='print up to N lines of each unmatched body')
    ap.add_argument('--objdump', default='objdump')
    ap.add_argument('--join-modes', action='store_true',
                    help="B's libsm_<isa>_fast.a joins its libsm_<isa>.a")
    args = ap.parse_args()
    global OBJDUMP
    OBJDUMP = args.objdump
    names = sorted(os.path.basename(p)
                   for p in glob.glob(os.path.join(args.a, 'libsm_*.a')))
    if args.join_modes:
        names = [n for n in names if not n.endswith('_fast.a')]
    if not names:
        sys.exit(f'no kernel archives (libsm_*.a) in {args.a}')
    same = True
    for archive in names:
        pa = os.path.realpath(os.path.join(args.a, archive))
        pb = os.path.realpath(os.path.join(args.b, archive))
        if not os.path.exists(pb):
            print(f'{archive}: missing in {args.b}')
            same = False
            continue
        sa, ba = signatures(pa)
        sb, bb = signatures(pb)
        fast = pb[:-len('.a')] + '_fast.a'
        if args.join_modes and os.path.exists(fast):
            sf, bf = signatures(fast)
            sb.update({'fast:' + n: v for n, v in sf.items()})
            bb.update({'fast:' + n: v for n, v in bf.items()})
        ca = collections.Counter(sa.values())
        cb = collections.Counter(sb.values())
        only_a = ca - cb
        only_b = cb - ca
        data_same = rodata(pa) == rodata(pb)
        if args.join_modes:
            data_same = True  # constants are shared within one archive only
        size_a = sum(len(b) for b, _ in ba.values())
        size_b = sum(len(b) for b, _ in bb.values())
        ok = not only_a and not only_b and data_same
        print(f'{archive}: {len(sa)} / {len(sb)} functions, '
              f'{size_a} / {size_b} instructions: '
              + ('same code' if ok else
                 f'{sum(only_a.values())} bodies only in A, '
                 f'{sum(only_b.values())} only in B'
                 + ('' if data_same else ', constants differ')))
        for side, only, sigs, bodies in (('A', only_a, sa, ba),
                                         ('B', only_b, sb, bb)):
            for n, s in sigs.items():
                if s in only:
                    print(f'  only in {side}: {n} ({len(bodies[n][0])} lines)')
                    for line in bodies[n][0][:args.show]:
                        print('     ', line)
        same = same and ok
    sys.exit(0 if same else 1)


if __name__ == '__main__':
    main()
