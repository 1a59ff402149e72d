#!/usr/bin/python3
"""PyTorch peer for libsoftmax's benchmarks (bench_softmax.cc).

Times torch.softmax, torch.log_softmax and torch.logsumexp on one thread
(or --threads N), on the same shapes, logits and buffer layout as bench_softmax, and names
the results the same way with the implementation in the ISA slot:

    softmax_f32/torch/n:1000/out/beta:1
    log_softmax_rows_f32/torch/256x32000/in/beta:1
    logsumexp_f32/torch/n:32000/out/beta:1

and bench_softmax's decoding cells, the way a Python engine writes them
(vLLM's top log-probabilities, Hugging Face's sampling on top-k
candidates), with a table at the end of their time over torch.softmax of
the same rows:

    top20_f32/torch/n:128000/out/beta:1         torch.log_softmax, torch.topk
    sample_f32/torch/n:128000/out/beta:1        torch.softmax, torch.multinomial
    sample_filtered_f32/torch/n:128000/out/beta:1
        torch.topk 40, softmax over them, min-p 0.05 and top-p 0.95 masks
        (bench_softmax's order: top-k, min-p, top-p), torch.multinomial

and, like bench_loss.cc, F.cross_entropy (forward only, and forward plus
backward, with and without label smoothing), F.cross_entropy against
target rows and F.kl_div on bench_loss's shapes, beside torch.softmax of
the same rows, whose time a table at the end divides them by:

    cross_entropy_f32/torch/64x32000/loss/beta:1     the loss only
    cross_entropy_f32/torch/64x32000/out/beta:1      loss, then backward()
    softmax_rows_f32/torch/64x32000/out/beta:1       the baseline

and bench_attention.cc's attention decode (one query per head against a
KV cache [n][H_kv][d], grouped-query: H = 32 query heads over H_kv = 8),
written as a PyTorch decoder does it, q @ k^T, softmax, @ v, the query
heads of a group as a batch dimension over their shared kv head:

    attention_decode/torch/n:32768/d:128/H:32/Hkv:8

It prints JSON in Google Benchmark's format (--benchmark_format=json), so
a report can merge it with bench_softmax's output by name. Run it with
Debian's python, the one that sees python3-torch:

    taskset -c 1 /usr/bin/python3 bench/peer_torch.py --filter 'n:1000/'
    ATEN_CPU_CAPABILITY=avx512 /usr/bin/python3 bench/peer_torch.py --out t.json

With --threads N, torch runs on N intra-op threads and the names end in
/threads:N, like bench_softmax's thread cases
(softmax_rows_f32/torch/256x32000/out/beta:1/threads:2), whose rates,
like these, are then per second of real time.

With ATEN_CPU_CAPABILITY set, the implementation is named after it
("torch-avx512"), and the context records the capability torch really
uses. Torch 1.13 does not check the variable against the CPU: asked for
AVX-512 on a CPU without it, it runs AVX-512 code and dies of SIGILL, so
this script refuses such a run (exit status 77, "skipped").

Timing: one untimed call (which is also checked against a float64
evaluation), then the iteration count is grown until a run lasts at least
--min-time seconds, then --repetitions runs of that count; real_time and
cpu_time are the medians per call, and the rates are per CPU second, as
Google Benchmark computes them (per real second with --threads, where the
CPU time is every thread's). Every call goes through the Python
interpreter and torch's dispatcher, which is what a Python caller pays: on
short rows that overhead, not the kernel, is most of the time.
"""

import argparse
import datetime
import functools
import gc
import json
import os
import platform
import re
import socket
import statistics
import sys
import time

# The shapes of bench_util.h (kRowSizes, kBatchShapes); keep them in step.
ROW_SIZES = (16, 100, 1000, 4096, 32000, 128000, 256000, 262144, 1048576,
             16777216)
BATCH_SHAPES = ((4096, 1000), (256, 32000), (32, 131072), (64, 128000))
# bench_loss.cc's kLossShapes, and its label smoothing.
LOSS_SHAPES = ((64, 1000), (64, 32000), (1, 128000), (256, 100), (256, 10))
SMOOTHING = 0.1

# bench_util.h's apply_defaults: huge cases run a fixed handful of calls
# (each takes tens of milliseconds), and times are reported in
# microseconds from 4096 elements up.
HUGE_ELEMENTS = 1 << 24
HUGE_ITERATIONS = 5
MICROSECOND_ELEMENTS = 4096

# bench_util.h's IoBuffers: the output starts three cache lines past the
# next 4 KiB boundary after the input (see there for why).
PAGE = 4096
OUTPUT_SKEW = 3 * 64

# Exit status for "nothing to run here", as automake and meson test read it.
EXIT_SKIPPED = 77

# What ATen 1.13 requires of the CPU before it picks each capability by
# itself (aten/src/ATen/native/DispatchStub.cpp); an explicit
# ATEN_CPU_CAPABILITY skips this check.
CAPABILITY_CPU_FLAGS = {
    "avx512": ("avx512f", "avx512vl", "avx512bw", "avx512dq", "fma"),
    "avx2": ("avx2", "fma"),
    "default": (),
}


def parse_args():
    p = argparse.ArgumentParser(
        description="Time PyTorch's softmax, log-softmax and logsumexp "
        "like bench_softmax does libsoftmax's.")
    p.add_argument("--filter", default="",
                   help="regex searched in the case names (like "
                   "--benchmark_filter; a leading '-' excludes)")
    p.add_argument("--min-time", type=float, default=0.2,
                   help="seconds each repetition lasts at least (default 0.2)")
    p.add_argument("--repetitions", type=int, default=3,
                   help="timed runs per case; the median is reported "
                   "(default 3)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch.set_num_threads(N), names ending in "
                   "/threads:N and rates per real second (default: one "
                   "thread, plain names, rates per CPU second)")
    p.add_argument("--out", help="write the JSON here instead of stdout")
    p.add_argument("--list", action="store_true",
                   help="print the case names and exit")
    args = p.parse_args()
    if args.min_time <= 0 or args.repetitions < 1:
        p.error("--min-time must be > 0 and --repetitions >= 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be >= 1")
    return args


# ---- cases ----------------------------------------------------------------

class Case:
    """One op on one shape; single rows are 1 x n, named n:<n>."""

    def __init__(self, op, rows, cols, single_row, in_place, impl):
        self.op, self.rows, self.cols = op, rows, cols
        self.single_row, self.in_place = single_row, in_place
        shape = f"n:{cols}" if single_row else f"{rows}x{cols}"
        kind = "_f32" if single_row else "_rows_f32"
        place = "in" if in_place else "out"
        self.name = f"{op}{kind}/{impl}/{shape}/{place}/beta:1"

    @property
    def elements(self):
        return self.rows * self.cols

    @property
    def bytes_per_call(self):
        # Compulsory traffic, as bench_softmax counts it: read the input,
        # write the output rows (logsumexp's one float per row is left out).
        writes = 0 if self.op == "logsumexp" else 1
        return self.elements * 4 * (1 + writes)


class DecodeCase(Case):
    """A decoding cell of bench_softmax on one shape (out of place, beta
    1): top20, sample or sample_filtered, timed beside torch.softmax of the
    same rows (its baseline)."""

    def __init__(self, op, rows, cols, single_row, impl):
        super().__init__(op, rows, cols, single_row, False, impl)
        self.baseline = Case("softmax", rows, cols, single_row, False,
                             impl).name

    @property
    def bytes_per_call(self):
        # As bench_softmax counts them: top20 as a row-to-row operation,
        # the samplers as reading the row only.
        return self.elements * 4 * (2 if self.op == "top20" else 1)


# bench_softmax.cc's kTopN, and its filtered sampler's options (llama.cpp's
# defaults).
TOP_N = 20
TOP_K, TOP_P, MIN_P = 40, 0.95, 0.05
# The generator's seed for torch.multinomial.
SAMPLE_SEED = 42


def all_cases(impl):
    """bench_softmax's order: op, then shape, then placement. beta is 1
    only (torch has no temperature argument); logsumexp has no in place.
    Then the decoding cells (top20 needs rows of 2 * TOP_N, as
    bench_softmax's), then the losses."""
    cases = []
    shapes = [(1, n, True) for n in ROW_SIZES]
    shapes += [(r, c, False) for r, c in BATCH_SHAPES]
    for op in ("softmax", "log_softmax", "logsumexp"):
        placements = (False,) if op == "logsumexp" else (False, True)
        for rows, cols, single_row in shapes:
            for in_place in placements:
                cases.append(Case(op, rows, cols, single_row, in_place, impl))
    for op in ("top20", "sample", "sample_filtered"):
        for rows, cols, single_row in shapes:
            if op != "top20" or cols >= 2 * TOP_N:
                cases.append(DecodeCase(op, rows, cols, single_row, impl))
    return cases + loss_cases(impl) + attention_cases(impl)


class LossCase:
    """A loss of bench_loss.cc on one shape: op is cross_entropy,
    soft_cross_entropy or kl_div; write is "loss" (forward only) or "out"
    (forward and backward: the gradient lands in x.grad)."""

    def __init__(self, op, rows, cols, write, smoothing, impl):
        self.op, self.rows, self.cols = op, rows, cols
        self.write, self.smoothing = write, smoothing
        smooth = f"/smooth:{smoothing:g}" if smoothing else ""
        self.name = f"{op}_f32/{impl}/{rows}x{cols}/{write}/beta:1{smooth}"
        self.baseline = f"softmax_rows_f32/{impl}/{rows}x{cols}/out/beta:1"

    @property
    def elements(self):
        return self.rows * self.cols

    @property
    def bytes_per_call(self):
        # As bench_loss counts: the logits, the target rows, the gradient.
        arrays = 1 + (self.op != "cross_entropy") + (self.write == "out")
        return self.elements * 4 * arrays


def loss_cases(impl):
    """Per shape, the softmax baseline and then the losses."""
    cases = []
    for rows, cols in LOSS_SHAPES:
        cases.append(Case("softmax", rows, cols, False, False, impl))
        for op, write, smoothing in (
                ("cross_entropy", "loss", 0), ("cross_entropy", "out", 0),
                ("cross_entropy", "out", SMOOTHING),
                ("soft_cross_entropy", "out", 0), ("kl_div", "out", 0)):
            cases.append(LossCase(op, rows, cols, write, smoothing, impl))
    return cases


# bench_attention.cc's cells.
ATTN_HEADS, ATTN_KV_HEADS = 32, 8
ATTN_SIZES = (512, 4096, 32768)
ATTN_DIMS = (64, 128)


class AttentionCase:
    """Attention decode on one (n, d): bytes are those of K and V."""

    def __init__(self, n, d, impl):
        self.n, self.d = n, d
        self.name = (f"attention_decode/{impl}/n:{n}/d:{d}/H:{ATTN_HEADS}"
                     f"/Hkv:{ATTN_KV_HEADS}")

    @property
    def elements(self):
        return self.n

    @property
    def bytes_per_call(self):
        return 2 * self.n * ATTN_KV_HEADS * self.d * 4


def attention_cases(impl):
    return [AttentionCase(n, d, impl) for n in ATTN_SIZES for d in ATTN_DIMS]


def attention_setup(torch, case):
    """(call, check): scores q k^T * scale over the cache's strided view,
    softmax, the weighted sum, into a preallocated output; the check
    against float64."""
    n, d, h, g = case.n, case.d, ATTN_HEADS, ATTN_KV_HEADS
    gen = torch.Generator().manual_seed(7)
    q = torch.rand(g, h // g, d, generator=gen) * 0.1 - 0.05
    k = torch.rand(n, g, d, generator=gen) * 2 - 1  # the cache's layout
    v = torch.rand(n, g, d, generator=gen) * 2 - 1
    kt = k.permute(1, 2, 0)  # [g, d, n], a view
    vv = v.permute(1, 0, 2)  # [g, n, d], a view
    scale = 1.0 / d ** 0.5
    scores = torch.empty(g, h // g, n)
    out = torch.empty(g, h // g, d)

    def call():
        torch.matmul(q, kt, out=scores)
        scores.mul_(scale)
        p = torch.softmax(scores, dim=-1)
        return torch.matmul(p, vv, out=out)

    def check(o):
        s64 = torch.matmul(q.double(), kt.double()) * scale
        ref = torch.matmul(torch.softmax(s64, dim=-1), vv.double())
        return bool(torch.allclose(o.double(), ref, rtol=1e-4, atol=1e-5))

    return call, check


def run_attention_case(torch, case, args):
    call, check = attention_setup(torch, case)
    if not check(call()):
        raise RuntimeError(f"{case.name}: output differs from float64")
    return time_call(call, case, args)


def with_threads(cases, threads):
    """The cases (and their baselines) named /threads:N, as bench_softmax
    names its thread cases; unchanged without --threads."""
    if threads is None:
        return cases
    for c in cases:
        c.name += f"/threads:{threads}"
        if hasattr(c, "baseline"):
            c.baseline += f"/threads:{threads}"
    return cases


def select(cases, pattern):
    if not pattern:
        return cases
    exclude = pattern.startswith("-")
    regex = re.compile(pattern[1:] if exclude else pattern)
    return [c for c in cases if bool(regex.search(c.name)) != exclude]


# ---- inputs and buffers ---------------------------------------------------

def fill_logits(n, seed=42):
    """bench_util.h's fill_logits, bit for bit: SplitMix64, the top 24 bits
    as a float in [0, 1), then 20 u - 10 in float32. In chunks, so a 16M
    row does not need gigabytes of uint64 temporaries."""
    import numpy as np
    out = np.empty(n, dtype=np.float32)
    golden = np.uint64(0x9E3779B97F4A7C15)
    chunk = 1 << 20
    with np.errstate(over="ignore"):  # the uint64 products wrap, as in C
        for start in range(0, n, chunk):
            i = np.arange(start + 1, min(start + chunk, n) + 1, dtype=np.uint64)
            z = np.uint64(seed) + i * golden
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            u = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
            out[start:start + len(i)] = np.float32(20.0) * u - np.float32(10.0)
    return out


def io_tensors(torch, case):
    """Input and output views into one allocation laid out like IoBuffers:
    the input page-aligned, the output OUTPUT_SKEW bytes past the next
    4 KiB boundary, so torch runs with the same (non-)aliasing as ours."""
    n = case.elements
    out_offset = -(-n * 4 // PAGE) * PAGE + OUTPUT_SKEW
    floats = (PAGE + out_offset) // 4 + n
    storage = torch.empty(floats, dtype=torch.float32)
    start = (-storage.data_ptr() % PAGE) // 4  # allocations are 4-aligned
    shape = (n,) if case.single_row else (case.rows, case.cols)
    x = storage[start:start + n].view(shape)
    x.copy_(torch.from_numpy(fill_logits(n)).view(shape))
    if case.op == "logsumexp":
        # One float per row; a 0-d tensor for a single row.
        y = torch.empty(() if case.single_row else (case.rows,))
    elif case.in_place:
        y = x
    else:
        o = start + out_offset // 4
        y = storage[o:o + n].view(shape)
    return x, y


def the_call(torch, case, x, y):
    """The timed call, bound with functools.partial so that the loop adds
    no Python frame of its own. The public functions, with out=, as a
    Python caller would write them."""
    if case.op == "softmax":
        return functools.partial(torch.softmax, x, -1, out=y)
    if case.op == "log_softmax":
        return functools.partial(torch.log_softmax, x, -1, out=y)
    return functools.partial(torch.logsumexp, x, -1, out=y)


def check(torch, case, x_before, y):
    """The first output against a float64 evaluation. Loose on purpose: it
    catches a wrong axis or op, not rounding (torch sums in float)."""
    xd = x_before.double()
    if case.op == "softmax":
        ref = torch.softmax(xd, -1)
        return bool(((y.double() - ref).abs() <= 1e-2 * ref).all())
    ref = torch.log_softmax(xd, -1) if case.op == "log_softmax" \
        else torch.logsumexp(xd, -1)
    return bool(((y.double() - ref).abs() <= 1e-2 * (1 + ref.abs())).all())


def make_labels(rows, cols):
    """bench_loss.cc's make_labels: SplitMix64 from seed 7, modulo cols."""
    mask, state, labels = (1 << 64) - 1, 7, []
    for _ in range(rows):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        labels.append((z ^ (z >> 31)) % cols)
    return labels


def loss_setup(torch, case):
    """(call, check): the timed call, and a check of the loss it returns
    against a float64 evaluation (the mean over the rows)."""
    F = torch.nn.functional
    shape = (case.rows, case.cols)
    x = torch.from_numpy(fill_logits(case.elements)).view(shape)
    if case.op == "cross_entropy":
        target = torch.tensor(make_labels(*shape), dtype=torch.int64)
    else:  # the softmax of other logits, as bench_loss's targets
        other = torch.from_numpy(fill_logits(case.elements, 4242)).view(shape)
        target = torch.softmax(other, -1)
    if case.op == "kl_div":
        # batchmean: the sum over the rows' KL, divided by the rows.
        def loss(z):
            return F.kl_div(torch.log_softmax(z, -1), target,
                            reduction="batchmean")
    else:
        loss = functools.partial(F.cross_entropy, target=target,
                                 label_smoothing=case.smoothing)
    if case.write == "loss":
        call = functools.partial(loss, x)
    else:
        x.requires_grad_(True)

        def call():
            x.grad = None  # as zero_grad(set_to_none=True) leaves it
            value = loss(x)
            value.backward()
            return value

    def check(value):
        ref = loss(x.detach().double()).item()
        return abs(value.item() - ref) <= 1e-3 * (1 + abs(ref))
    return call, check


def decode_setup(torch, case):
    """(call, check): the timed call on bench_softmax's logits, written as
    a Python engine would (preallocated outputs where torch takes them),
    and a check of what the first call returned against a float64
    evaluation."""
    x, _ = io_tensors(torch, case)
    lead = () if case.single_row else (case.rows,)
    if case.op == "top20":
        lp = torch.empty_like(x)
        out = (torch.empty(lead + (TOP_N,)),
               torch.empty(lead + (TOP_N,), dtype=torch.int64))

        def call():  # vLLM's: the log-probabilities, then their top
            torch.log_softmax(x, -1, out=lp)
            return torch.topk(lp, TOP_N, out=out)

        def check(result):
            values, index = result
            ref_values, ref_index = torch.topk(
                torch.log_softmax(x.double(), -1), TOP_N)
            # torch sums in float: about 1e-4 off at 16M entries
            return bool((index == ref_index).all()) and bool(
                ((values.double() - ref_values).abs()
                 <= 1e-3 * (1 + ref_values.abs())).all())
        return call, check

    gen = torch.Generator().manual_seed(SAMPLE_SEED)
    token = torch.empty(lead + (1,), dtype=torch.int64)
    if case.op == "sample":
        p = torch.empty_like(x)

        def call():
            torch.softmax(x, -1, out=p)
            return torch.multinomial(p, 1, generator=gen, out=token)

        def check(result):  # any entry may come out: check the softmax
            ref = torch.softmax(x.double(), -1)
            return bool(((p.double() - ref).abs() <= 1e-2 * ref).all()) and \
                bool(((result >= 0) & (result < case.cols)).all())
        return call, check

    k = min(TOP_K, case.cols)  # top-k is off on shorter rows
    top = (torch.empty(lead + (k,)), torch.empty(lead + (k,), dtype=torch.int64))
    j = torch.empty(lead + (1,), dtype=torch.int64)

    def call():
        values, index = torch.topk(x, k, out=top)  # most probable first
        p = torch.softmax(values, -1)
        p.masked_fill_(p < MIN_P * p[..., :1], 0.0)
        # top-p: drop what comes after the running mass reached TOP_P of
        # the kept mass (the first entry always stays)
        c = p.cumsum(-1)
        p.masked_fill_(c - p >= TOP_P * c[..., -1:], 0.0)
        torch.multinomial(p, 1, generator=gen, out=j)
        return torch.gather(index, -1, j, out=token)

    def check(result):
        # The kept set in float64, row by row, in bench_softmax's order.
        rows = x.double().reshape(-1, case.cols)
        for r, t in zip(rows, result.reshape(-1).tolist()):
            values, index = torch.topk(r, k)
            p = torch.softmax(values, -1)
            keep = p >= MIN_P * p[0]
            p = p * keep
            c = p.cumsum(-1)
            keep &= (c - p) < TOP_P * c[-1]
            if t not in index[keep].tolist():
                return False
        return True
    return call, check


def run_decode_case(torch, case, args):
    call, check = decode_setup(torch, case)
    if not check(call()):  # untimed: allocations, caches, and the check
        raise RuntimeError(f"{case.name}: output differs from float64")
    return time_call(call, case, args)


def print_ratios(results, cases):
    """Each loss's CPU time over its shape's softmax, as bench_loss's table
    gives libsoftmax's; then each decoding cell's over torch.softmax of
    the same rows."""
    cpu = {r["name"]: r["cpu_time"] for r in results}
    for kind, title in (
            (LossCase, "softmax_rows_f32/torch/<shape>/out/beta:1"),
            (DecodeCase, "softmax(_rows)_f32/torch/<shape>/out/beta:1")):
        lines = [(c.name, cpu[c.name] / cpu[c.baseline]) for c in cases
                 if isinstance(c, kind) and c.name in cpu
                 and c.baseline in cpu]
        if lines:
            print(f"\nCPU time over {title}:", file=sys.stderr)
        for name, ratio in lines:
            print(f"{name:<56} {ratio:>6.2f}", file=sys.stderr)


# ---- timing ---------------------------------------------------------------

def timed_run(call, iterations):
    """(real, cpu) nanoseconds for `iterations` calls."""
    r0, c0 = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(iterations):
        call()
    return time.perf_counter_ns() - r0, time.process_time_ns() - c0


def calibrate(call, min_time):
    """Google Benchmark's search: grow the count by the predicted factor
    (with 40 % to spare), at most tenfold per step, until a run lasts
    min_time."""
    iterations = 1
    while True:
        real_ns, _ = timed_run(call, iterations)
        seconds = real_ns / 1e9
        if seconds >= min_time or iterations >= 10 ** 9:
            return iterations
        factor = 10.0 if seconds <= min_time / 10 else min_time * 1.4 / seconds
        iterations = max(int(iterations * factor), iterations + 1)


def time_call(call, case, args):
    """(iterations, real, cpu): the calibrated count (a fixed one for the
    huge rows) and the median real and CPU nanoseconds per call over
    --repetitions runs."""
    if case.elements >= HUGE_ELEMENTS:
        iterations = HUGE_ITERATIONS
    else:
        iterations = calibrate(call, args.min_time)
    runs = [timed_run(call, iterations) for _ in range(args.repetitions)]
    real = statistics.median(r for r, _ in runs) / iterations
    cpu = statistics.median(c for _, c in runs) / iterations
    return iterations, real, cpu


def run_case(torch, case, args):
    x, y = io_tensors(torch, case)
    x_before = x.clone() if case.in_place else x
    call = the_call(torch, case, x, y)
    y_ptr = y.data_ptr()
    call()  # untimed: page faults, caches, and the check
    if y.data_ptr() != y_ptr:
        raise RuntimeError(f"{case.name}: torch reallocated the output")
    if not check(torch, case, x_before, y):
        raise RuntimeError(f"{case.name}: output differs from float64 softmax")
    del x_before
    return time_call(call, case, args)


def run_loss_case(torch, case, args):
    call, check = loss_setup(torch, case)
    if not check(call()):  # untimed: allocations, caches, and the check
        raise RuntimeError(f"{case.name}: loss differs from float64")
    return time_call(call, case, args)


def result_entry(case, iterations, real_ns, cpu_ns, args, label):
    """Google Benchmark's entry; with --threads, rates per real second
    (its UseRealTime), since the CPU time adds up every thread's."""
    us = case.elements >= MICROSECOND_ELEMENTS
    scale = 1e-3 if us else 1.0
    per_ns = real_ns if args.threads else cpu_ns
    seconds = max(per_ns, 1.0) / 1e9
    return {
        "name": case.name,
        "run_name": case.name,
        "run_type": "iteration",
        "repetitions": args.repetitions,
        "threads": args.threads or 1,
        "iterations": iterations,
        "real_time": real_ns * scale,
        "cpu_time": cpu_ns * scale,
        "time_unit": "us" if us else "ns",
        "bytes_per_second": case.bytes_per_call / seconds,
        "items_per_second": case.elements / seconds,
        "label": label,
    }


# ---- context --------------------------------------------------------------

def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo, or None elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def torch_capability(torch):
    """The capability ATen's kernels dispatch to ("AVX2", "AVX512", ...):
    torch 1.13 has no function for it, but its build summary says it."""
    m = re.search(r"CPU capability usage: (.+)", torch.__config__.show())
    return m.group(1).strip() if m else "unknown"


def context(torch, requested, capability, flags, args):
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "executable": os.path.abspath(__file__),
        "num_cpus": os.cpu_count(),
        "load_avg": list(os.getloadavg()) if hasattr(os, "getloadavg") else [],
        "python": platform.python_version(),
        "torch": torch.__version__ if torch else "not found",
        "torch_threads": torch.get_num_threads() if torch else 0,
        "aten_cpu_capability_env": requested or "(unset)",
        "torch_cpu_capability": capability,
        "cpu_avx512": "unknown" if flags is None
        else ("yes" if {"avx512f", "avx512vl", "avx512bw", "avx512dq"} <= flags
              else "no"),
        "timing": f"median of {args.repetitions} runs of at least "
                  f"{args.min_time} s; rates per "
                  + ("real" if args.threads else "CPU") + " second",
    }


def emit(doc, path):
    text = json.dumps(doc, indent=2) + "\n"
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def main():
    args = parse_args()
    requested = os.environ.get("ATEN_CPU_CAPABILITY", "").strip().lower()
    if requested and requested not in CAPABILITY_CPU_FLAGS:
        # Torch would warn, ignore it and pick by itself: the name would lie.
        print(f"peer_torch: ATEN_CPU_CAPABILITY={requested} is not one of "
              f"{', '.join(CAPABILITY_CPU_FLAGS)}", file=sys.stderr)
        return 2
    impl = f"torch-{requested}" if requested else "torch"
    cases = select(with_threads(all_cases(impl), args.threads), args.filter)
    if args.list:
        print("\n".join(c.name for c in cases))
        return 0

    flags = cpu_flags()
    try:
        import torch
    except ImportError as e:
        print(f"peer_torch: skipped: cannot import torch ({e}); install "
              "python3-torch and run with /usr/bin/python3", file=sys.stderr)
        emit({"context": context(None, requested, "none", flags, args),
              "benchmarks": []}, args.out)
        return EXIT_SKIPPED

    missing = [f for f in CAPABILITY_CPU_FLAGS.get(requested, ())
               if flags is not None and f not in flags]
    if missing:
        # Torch would run the kernels anyway and die of SIGILL.
        ctx = context(torch, requested, "none (skipped)", flags, args)
        print(f"peer_torch: skipped: ATEN_CPU_CAPABILITY={requested} but this "
              f"CPU lacks {' '.join(missing)}", file=sys.stderr)
        emit({"context": ctx, "benchmarks": []}, args.out)
        return EXIT_SKIPPED

    torch.set_num_threads(args.threads or 1)
    capability = torch_capability(torch)
    results = []
    gc.disable()  # as timeit does: no collection pauses inside a timing
    for case in cases:
        run = run_loss_case if isinstance(case, LossCase) \
            else run_attention_case if isinstance(case, AttentionCase) \
            else run_decode_case if isinstance(case, DecodeCase) else run_case
        iterations, real, cpu = run(torch, case, args)
        entry = result_entry(case, iterations, real, cpu, args, capability)
        results.append(entry)
        print(f"{case.name:<52} {entry['real_time']:>10.1f} "
              f"{entry['time_unit']:<2} {entry['items_per_second'] / 1e6:>9.1f} "
              f"M items/s", file=sys.stderr)
    print_ratios(results, cases)
    emit({"context": context(torch, requested, capability, flags, args),
          "benchmarks": results}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
