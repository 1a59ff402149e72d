#!/usr/bin/python3
"""The benchmark report behind scripts/bench-report.

Runs bench_softmax (our kernels per ISA and exp mode, the oneDNN and
XNNPACK peers when the build has them, the memory floors and the exp
ceilings) and bench/peer_torch.py (PyTorch, when python3-torch is there),
both pinned to one core, on single rows at every size, out of place,
beta = 1, and the three batch shapes; then, not pinned, ours and the peers
with 1 and 2 threads on the thread-scaling shapes (--no-threads: not);
then writes, in the output directory (bench/report/ by default):

    report.md        the machine, the commands, one table per op and one
                     for the batches (M elements/s, medians), and the
                     thread-scaling table
    <op>.png         throughput against n, one line per ISA/mode and peer,
                     the floors and the exp ceilings drawn in
    ratio.png        ours ÷ the fastest peer against n, per op, for both
                     exp modes, the batch shapes beside
    threads.png      throughput with 1 and 2 threads and the speedup, ours
                     and the peers', on the thread-scaling shapes
    raw.json         bench_softmax's Google Benchmark JSON (raw-2.json...:
                     the further runs of --runs)
    torch.json       peer_torch.py's, in the same format
    threads.json     the thread-scaling runs, unpinned: bench_softmax's
    onednn-threads-<N>.json, torch-threads-<N>.json
                     thread cases, oneDNN under OMP_NUM_THREADS=N and
                     peer_torch.py --threads N (N = 1, 2)
    run.json         what the report needs besides: the commands, the
                     machine, how long the run took (--render-only reads it)

Medians of three repetitions (Google Benchmark's `_median` aggregates); of
several runs (--runs, separate processes), each case's fastest median.
"""

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# bench_util.h's kRowSizes and kBatchShapes.
SIZES = (16, 100, 1000, 4096, 32000, 128000, 262144, 1048576, 16777216)
SHAPES = ((4096, 1000), (256, 32000), (32, 131072))
QUICK_SIZES = (16, 1000, 32000, 262144, 1048576)
QUICK_SHAPES = ((256, 32000),)
# The thread-scaling shapes: bench_softmax's thread cases (register_threads),
# a single row of 16M as 1 x 16M.
THREAD_SHAPES = ((256, 32000), (4096, 1000), (1, 16777216))
QUICK_THREAD_SHAPES = ((256, 32000), (4096, 1000))
THREAD_COUNTS = (1, 2)
OPS = ("softmax", "log_softmax", "logsumexp")

# Full run: Google Benchmark's default repetition length would do, but a
# longer one steadies the medians on a busy machine.
MIN_TIME, QUICK_MIN_TIME = 0.2, 0.01
REPETITIONS = 3
# oneDNN's softmax ran at 1 or at about 0.5-0.7 times its best speed for the
# whole life of a process here (n = 1000: 680 or 930-1460 ns), ours within
# a few per cent: two processes give every implementation two chances.
RUNS = 2

# Our implementations are named after the ISA, "-fast" for SM_FAST_EXP;
# everything else in the ISA slot is a peer.
ISA_ORDER = ("scalar", "avx2", "avx512", "neon", "sve")
PEER_ORDER = ("onednn", "xnnpack", "torch")
PEER_NAMES = {"onednn": "oneDNN", "xnnpack": "XNNPACK", "torch": "PyTorch"}
PEER_OPS = {"onednn": {"softmax", "log_softmax"}, "xnnpack": {"softmax"},
            "torch": set(OPS)}
PEER_PACKAGES = {"onednn": "libdnnl-dev", "xnnpack": "libxnnpack-dev",
                 "torch": "python3-torch"}

# What building the benchmarks needs (scripts/deps.sh has the library's).
BENCH_DEPS = ("g++", "libbenchmark-dev")


def log(msg):
    print(f"bench-report: {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(1)


def rel(path):
    """A path as the user would type it from the source root."""
    r = os.path.relpath(os.path.abspath(path), ROOT)
    return path if r.startswith("..") else r


def parse_args():
    p = argparse.ArgumentParser(
        prog="scripts/bench-report",
        description="Run libsoftmax's benchmarks (and its peers') pinned to "
        "one core; write a markdown report and one PNG chart per op.")
    p.add_argument("--build", default="build", metavar="DIR",
                   help="meson build directory; configured with "
                   "-Dbenchmarks=enabled and built if needed (default: build)")
    p.add_argument("--out", default="bench/report", metavar="DIR",
                   help="where report.md, the PNGs and the JSON go "
                   "(default: bench/report)")
    p.add_argument("--quick", action="store_true",
                   help=f"sizes {','.join(map(str, QUICK_SIZES))} and one "
                   f"batch shape, {QUICK_MIN_TIME} s per repetition: "
                   "under a minute, indicative only")
    p.add_argument("--core", type=int, metavar="N",
                   help="CPU to pin to (default: the highest-numbered one "
                   "this process may use)")
    p.add_argument("--ops", default=",".join(OPS),
                   help="comma-separated subset of "
                   f"{','.join(OPS)} (default: all)")
    p.add_argument("--min-time", type=float, metavar="S",
                   help=f"seconds per repetition (default {MIN_TIME}, "
                   f"--quick {QUICK_MIN_TIME})")
    p.add_argument("--runs", type=int, default=RUNS, metavar="N",
                   help="run bench_softmax N times, each in a new process, "
                   "and keep each case's fastest median: a peer's speed can "
                   f"differ between processes (default {RUNS})")
    p.add_argument("--no-torch", action="store_true",
                   help="leave PyTorch out")
    p.add_argument("--no-threads", action="store_true",
                   help="leave out the thread-scaling runs (1 and 2 "
                   "threads, unpinned)")
    p.add_argument("--render-only", action="store_true",
                   help="run nothing: rewrite report.md and the charts from "
                   "the JSON already in --out")
    a = p.parse_args()
    a.ops = [o.strip() for o in a.ops.split(",") if o.strip()]
    bad = [o for o in a.ops if o not in OPS]
    if bad or not a.ops:
        p.error(f"--ops: unknown {' '.join(bad) or '(empty)'}; "
                f"choose from {','.join(OPS)}")
    a.ops = [o for o in OPS if o in a.ops]  # canonical order
    if a.min_time is None:
        a.min_time = QUICK_MIN_TIME if a.quick else MIN_TIME
    if a.min_time <= 0:
        p.error("--min-time must be > 0")
    if a.runs < 1:
        p.error("--runs must be >= 1")
    return a


# ---- setting up -----------------------------------------------------------

def install(packages):
    """scripts/deps.sh's sm_install_deps: apt-get what is missing."""
    cmd = ["bash", "-c", '. scripts/deps.sh && sm_install_deps "$@"',
           "bench-report"] + list(packages)
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode != 0:
        die(f"could not install {' '.join(packages)}")


def build_deps():
    out = subprocess.run(["bash", "-c", '. scripts/deps.sh && echo "$SM_BUILD_DEPS"'],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def setup(args):
    packages = build_deps() + list(BENCH_DEPS) + ["util-linux"]  # taskset
    if importlib.util.find_spec("matplotlib") is None:
        packages.append("python3-matplotlib")
    log("checking packages: " + " ".join(packages))
    install(packages)
    importlib.invalidate_caches()
    if importlib.util.find_spec("matplotlib") is None:
        die("python3-matplotlib is installed but /usr/bin/python3 cannot "
            "import matplotlib")

    build = args.build
    exe = os.path.join(build, "bench", "bench_softmax")
    if not os.path.exists(os.path.join(build, "build.ninja")):
        log(f"configuring {build} with -Dbenchmarks=enabled")
        run_checked(["meson", "setup", build, "-Dbenchmarks=enabled"])
    compile_(build)
    if not os.access(exe, os.X_OK):
        # Configured with -Dbenchmarks=disabled, or =auto before
        # libbenchmark-dev was there.
        log(f"reconfiguring {build} with -Dbenchmarks=enabled")
        run_checked(["meson", "configure", build, "-Dbenchmarks=enabled"])
        compile_(build)
    if not os.access(exe, os.X_OK):
        die(f"{exe} was not built")
    return exe


def compile_(build):
    log(f"building {build}")
    r = subprocess.run(["meson", "compile", "-C", build], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        die(f"building {build} failed")


def run_checked(cmd):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        die(f"failed: {shlex.join(cmd)}")
    return r.stdout


def buildoption(build, name):
    try:
        with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
            for o in json.load(f):
                if o["name"] == name:
                    return o["value"]
    except (OSError, ValueError):
        pass
    return None


def pick_core(requested):
    allowed = sorted(os.sched_getaffinity(0))
    if requested is None:
        return allowed[-1]
    if requested not in allowed:
        die(f"--core {requested}: not one of the CPUs this process may use "
            f"({','.join(map(str, allowed))})")
    return requested


# ---- what to run ----------------------------------------------------------

def alternation(items):
    return "(" + "|".join(items) + ")"


# Cases with a fixed iteration count (rows of 16M elements) carry it in
# their names: softmax_f32/avx2/n:16777216/out/beta:1/iterations:5.
ITER = "(/iterations:[0-9]+)?$"


def bench_filter(ops, sizes, shapes):
    n = alternation(str(s) for s in sizes)
    o = alternation(ops)
    parts = [f"^{o}_f32/[^/]+/n:{n}/out/beta:1{ITER}"]
    if shapes:
        parts.append(f"^{o}_rows_f32/[^/]+/"
                     f"{alternation(f'{r}x{c}' for r, c in shapes)}/out/beta:1{ITER}")
    parts.append(f"^(floor_(memcpy|read)|ceiling_exp/[^/]+)/n:{n}{ITER}")
    return "|".join(parts)


def torch_filter(ops, sizes, shapes):
    n = alternation(str(s) for s in sizes)
    o = alternation(ops)
    f = f"^{o}_f32/[^/]+/n:{n}/out/beta:1$"
    if shapes:
        f += (f"|^{o}_rows_f32/[^/]+/"
              f"{alternation(f'{r}x{c}' for r, c in shapes)}/out/beta:1$")
    return f


def bench_command(exe, core, flt, out_json, min_time, env=()):
    """env: leading NAME=value words; core None: not pinned."""
    pin = [] if core is None else ["taskset", "-c", str(core)]
    return list(env) + pin + [exe,
            f"--benchmark_filter={flt}",
            "--benchmark_out_format=json", f"--benchmark_out={out_json}",
            f"--benchmark_repetitions={REPETITIONS}",
            "--benchmark_report_aggregates_only=true",
            f"--benchmark_min_time={min_time:g}"]


def torch_command(core, flt, out_json, min_time, threads=None):
    pin = [] if core is None else ["taskset", "-c", str(core)]
    return pin + ["/usr/bin/python3", "bench/peer_torch.py", "--filter", flt,
                  "--min-time", f"{min_time:g}",
                  "--repetitions", str(REPETITIONS)] \
        + ([] if threads is None else ["--threads", str(threads)]) \
        + ["--out", out_json]


def split_env(cmd):
    """(command, environment): a command's leading NAME=value words go into
    the environment. OMP_NUM_THREADS is dropped otherwise, so that oneDNN
    keeps to one thread (peer_onednn.cc follows it when it is set)."""
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    i = 0
    while i < len(cmd) and re.fullmatch(r"[A-Za-z_]\w*=.*", cmd[i]):
        name, value = cmd[i].split("=", 1)
        env[name] = value
        i += 1
    return cmd[i:], env


def torch_available():
    r = subprocess.run(["/usr/bin/python3", "-c", "import torch, numpy"],
                       capture_output=True)
    return r.returncode == 0


def run_bench(cmd, total):
    """Runs bench_softmax, showing one line per finished case."""
    log(f"running {total} cases: {shlex.join(cmd)}")
    done = 0
    t0 = time.monotonic()
    argv, env = split_env(cmd)
    with subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                          env=env) as p:
        for line in p.stdout:
            m = re.match(r"(\S+)_median\s", line)
            if not m:
                continue
            done += 1
            rate = re.search(r"items_per_second=([\d.]+)([kMGT]?)/s", line)
            shown = ""
            if rate:
                scale = {"": 1e-6, "k": 1e-3, "M": 1, "G": 1e3, "T": 1e6}
                shown = f"{float(rate.group(1)) * scale[rate.group(2)]:10.0f} M/s"
            print(f"  [{done:3d}/{total}] {m.group(1):<52}{shown}"
                  f"  {time.monotonic() - t0:5.0f} s", file=sys.stderr, flush=True)
    if p.returncode != 0:
        die(f"bench_softmax exited with status {p.returncode}")


def raw_name(i):
    """bench_softmax's JSON of run i (from 0)."""
    return "raw.json" if i == 0 else f"raw-{i + 1}.json"


def list_cases(exe, flt):
    out = run_checked([exe, f"--benchmark_filter={flt}",
                       "--benchmark_list_tests=true"])
    return [l for l in out.splitlines() if l.strip()]


def run_all(args, exe, core):
    sizes = QUICK_SIZES if args.quick else SIZES
    shapes = QUICK_SHAPES if args.quick else SHAPES
    os.makedirs(args.out, exist_ok=True)
    # The last report's files stay until this run has succeeded.
    raws = [os.path.join(args.out, raw_name(i)) for i in range(args.runs)]
    tjson = os.path.join(args.out, "torch.json")
    raw_tmps, tjson_tmp = [r + ".part" for r in raws], tjson + ".part"
    for f in raw_tmps + [tjson_tmp]:
        if os.path.exists(f):
            os.remove(f)

    t0 = time.monotonic()
    flt = bench_filter(args.ops, sizes, shapes)
    cases = list_cases(exe, flt)
    if not cases:
        die("the filter selects no benchmark: " + flt)
    commands = []
    for i, tmp in enumerate(raw_tmps):
        if args.runs > 1:
            log(f"run {i + 1} of {args.runs}")
        cmd = bench_command(rel(exe), core, flt, rel(tmp), args.min_time)
        run_bench(cmd, len(cases))
        commands.append(cmd)

    torch_note = None
    if args.no_torch:
        torch_note = "left out (--no-torch)"
    elif not torch_available():
        torch_note = ("skipped: python3-torch is not installed "
                      "(apt-get install python3-torch to include it)")
        log("PyTorch " + torch_note)
    else:
        tcmd = torch_command(core, torch_filter(args.ops, sizes, shapes),
                             rel(tjson_tmp), args.min_time)
        log(f"running PyTorch: {shlex.join(tcmd)}")
        r = subprocess.run(tcmd, cwd=ROOT)
        if r.returncode == 0:
            commands.append(tcmd)
        else:
            torch_note = f"skipped: peer_torch.py exited with status {r.returncode}"
            log("PyTorch " + torch_note)
    elapsed = time.monotonic() - t0

    renames = list(zip(raw_tmps, raws))
    if torch_note is None:
        renames.append((tjson_tmp, tjson))
    threads = None
    if not args.no_threads:
        threads, thread_files = run_threads(args, exe)
        renames += thread_files
    remove_stale_thread_files(args.out, [f for _, f in renames])

    for tmp, final_name in renames:
        os.replace(tmp, final_name)
    for i in range(args.runs, 100):  # a longer earlier run's leftovers
        old = os.path.join(args.out, raw_name(i))
        if not os.path.exists(old):
            break
        os.remove(old)
    if torch_note is not None:
        for f in (tjson_tmp, tjson):
            if os.path.exists(f):
                os.remove(f)
    # The commands as they would be typed again, naming the final files.
    renames = [(rel(t), rel(r)) for t, r in renames + [(tjson_tmp, tjson)]]

    def final(word):
        for tmp, name in renames:
            word = word.replace(tmp, name)
        return word
    commands = [[final(w) for w in c] for c in commands]
    if threads is not None:
        threads["commands"] = [[final(w) for w in c]
                               for c in threads["commands"]]

    invocation = ["scripts/bench-report"] + sys.argv[1:]
    meta = {
        "invocation": invocation,
        "commands": commands,
        "core": core,
        "quick": args.quick,
        "min_time": args.min_time,
        "repetitions": REPETITIONS,
        "runs": args.runs,
        "ops": args.ops,
        "elapsed_s": round(elapsed, 1),
        "torch_note": torch_note,
        "threads": threads,
        "machine": machine_info(args.build),
    }
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


# ---- thread scaling -------------------------------------------------------

# Ours is bench_softmax's thread cases on the library's pool, automatic ISA.
THREAD_IMPLS = ("auto", "onednn", "torch")


def thread_file(impl, threads):
    """Where a thread-scaling run's JSON goes: ours has both counts in one."""
    return "threads.json" if impl == "auto" else f"{impl}-threads-{threads}.json"


def shapes_pattern(ops, shapes, impl, batches_only=False):
    """A regex for impl's cases of the shapes (without the end): batches
    as <op>_rows_f32/<impl>/RxC; single rows as the peers name them,
    <op>_f32/<impl>/n:N, unless batches_only (bench_softmax's thread cases
    name the 16M row 1x16777216)."""
    o = alternation(ops)
    rows = [s for s in shapes if batches_only or s[0] > 1]
    single = [s[1] for s in shapes if not batches_only and s[0] == 1]
    parts = []
    if rows:
        parts.append(f"^{o}_rows_f32/{impl}/"
                     f"{alternation(f'{r}x{c}' for r, c in rows)}/out/beta:1")
    if single:
        parts.append(f"^{o}_f32/{impl}/n:{alternation(map(str, single))}"
                     "/out/beta:1")
    return parts


def thread_commands(args, exe, shapes):
    """(impl, threads, filter, command writing to <out>.part) for each
    run; threads is None for ours (both counts in one run)."""
    counts = alternation(map(str, THREAD_COUNTS))
    ours = "|".join(p + f"/threads:{counts}{ITER[:-1]}(/real_time)?$"
                    for p in shapes_pattern(args.ops, shapes, "auto", True))
    runs = [("auto", None, ours, bench_command(
        rel(exe), None, ours, rel(thread_path(args.out, "auto", None)),
        args.min_time))]
    onednn_ops = [o for o in args.ops if o in PEER_OPS["onednn"]]
    if onednn_ops:
        flt = "|".join(p + ITER for p in shapes_pattern(onednn_ops, shapes, "onednn"))
        if list_cases(exe, flt):
            runs += [("onednn", t, flt, bench_command(
                rel(exe), None, flt, rel(thread_path(args.out, "onednn", t)),
                args.min_time, env=[f"OMP_NUM_THREADS={t}"]))
                for t in THREAD_COUNTS]
    if not args.no_torch and torch_available():
        for t in THREAD_COUNTS:
            flt = "|".join(p + f"/threads:{t}$"
                           for p in shapes_pattern(args.ops, shapes, "torch"))
            runs.append(("torch", t, flt, torch_command(
                None, flt, rel(thread_path(args.out, "torch", t)),
                args.min_time, threads=t)))
    return runs


def thread_path(out, impl, threads):
    return os.path.join(out, thread_file(impl, threads)) + ".part"


def run_threads(args, exe):
    """The thread-scaling runs, not pinned (two threads need two CPUs):
    (what run.json keeps of them, [(the .part file, its final name)])."""
    shapes = QUICK_THREAD_SHAPES if args.quick else THREAD_SHAPES
    t0 = time.monotonic()
    done, files, commands, notes = [], [], [], []
    for impl, threads, flt, cmd in thread_commands(args, exe, shapes):
        out = thread_path(args.out, impl, threads)
        if os.path.exists(out):
            os.remove(out)
        if impl == "torch":
            log(f"running PyTorch on {threads} thread"
                + ("s" if threads > 1 else "") + f": {shlex.join(cmd)}")
            argv, env = split_env(cmd)
            ok = subprocess.run(argv, cwd=ROOT, env=env).returncode == 0
        else:
            run_bench(cmd, len(list_cases(exe, flt)))
            ok = True
        if ok:
            done.append((out, out.removesuffix(".part")))
            files.append([thread_file(impl, threads), impl, threads])
            commands.append(cmd)
        else:
            notes.append(f"{PEER_NAMES[impl]} with {threads} threads failed")
            log(notes[-1])
    meta = {"shapes": [list(s) for s in shapes],
            "files": files,
            "commands": commands, "notes": notes,
            "elapsed_s": round(time.monotonic() - t0, 1)}
    return meta, done


def remove_stale_thread_files(out, keep):
    """A previous report's thread-scaling JSON that this run did not redo."""
    keep = {os.path.abspath(k) for k in keep}
    names = {thread_file(i, t) for i in THREAD_IMPLS for t in THREAD_COUNTS}
    for name in sorted(names):
        path = os.path.join(out, name)
        if os.path.exists(path) and os.path.abspath(path) not in keep:
            os.remove(path)


# ---- the machine ----------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def compiler(build):
    """The C compiler meson used, from its log: "gcc 12.2.0"."""
    try:
        with open(os.path.join(build, "meson-logs", "meson-log.txt"),
                  errors="replace") as f:
            for line in f:
                m = re.match(r"C compiler for the host machine: \S+ \((\S+ [^\s\"]+)", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return "unknown compiler"


def package_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def machine_info(build):
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "os": os_name(),
        "kernel": platform.release(),
        "compiler": compiler(build),
        "buildtype": buildoption(build, "buildtype") or "unknown",
        "peer_versions": {p: package_version(pkg)
                          for p, pkg in PEER_PACKAGES.items()},
    }


# ---- the results ----------------------------------------------------------

class Results:
    """items_per_second medians by (kind, impl, shape); kind is an op name
    ("softmax"), "softmax_rows", "floor_memcpy", "floor_read" or
    "ceiling_exp"; shape is n for single rows, (rows, cols) for batches."""

    def __init__(self):
        self.rate = {}
        self.label = {}
        self.errors = {}  # name: message, for cases that were skipped
        self.context = {}
        self.torch_context = {}

    def load(self, path, torch=False):
        with open(path) as f:
            doc = json.load(f)
        if torch:
            self.torch_context = doc.get("context", {})
        else:
            self.context = doc.get("context", {})
        for b in doc.get("benchmarks", []):
            if b.get("error_occurred"):
                self.errors[b.get("run_name", b["name"])] = b.get("error_message", "?")
                continue
            if "items_per_second" not in b:
                continue
            # Aggregated runs: take the median; a lone run (peer_torch.py's
            # entries are already medians) stands for itself.
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") != "median":
                    continue
                name = b.get("run_name") or b["name"].rsplit("_", 1)[0]
            else:
                name = b["name"]
            key = parse_name(name)
            if key is None:
                continue
            rate = b["items_per_second"] / 1e6
            self.rate[key] = max(rate, self.rate.get(key, 0.0))  # of runs
            if b.get("label"):
                self.label[key[1]] = b["label"]

    def get(self, kind, impl, shape):
        return self.rate.get((kind, impl, shape))

    def impls(self, kind):
        return {k[1] for k in self.rate if k[0] == kind}

    def shapes(self, kind):
        return {k[2] for k in self.rate if k[0] == kind}


def parse_name(name):
    name = re.sub(r"(/(iterations|min_time|repeats):[^/]+|/real_time)+$", "", name)
    m = re.fullmatch(r"(\w+?)(_rows)?_f32/([^/]+)/(?:n:(\d+)|(\d+)x(\d+))"
                     r"/out/beta:1", name)
    if m:
        op, rows, impl = m.group(1), m.group(2), m.group(3)
        if op not in OPS:
            return None
        if rows:
            return (op + "_rows", impl, (int(m.group(5)), int(m.group(6))))
        return (op, impl, int(m.group(4)))
    m = re.fullmatch(r"(floor_memcpy|floor_read)/n:(\d+)", name)
    if m:
        return (m.group(1), "", int(m.group(2)))
    m = re.fullmatch(r"ceiling_exp/([^/]+)/n:(\d+)", name)
    if m:
        return ("ceiling_exp", m.group(1), int(m.group(2)))
    return None


TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


class ThreadResults:
    """M elements per second of real time by (op, (rows, cols), impl,
    threads), impl "auto" (ours), "onednn" or "torch"; single rows as
    (1, n). Real time because a second thread's work does not show in the
    calling thread's CPU time, and shows twice in the process's."""

    def __init__(self):
        self.rate = {}
        self.onednn_context = {}  # threads: "2.6.3, OpenMP threads: 2"

    def load(self, path, threads=None):
        """threads: the count of the whole file (the peers' runs), else
        the names' /threads:N."""
        with open(path) as f:
            doc = json.load(f)
        if threads is not None and "onednn" in doc.get("context", {}):
            self.onednn_context[threads] = doc["context"]["onednn"]
        for b in doc.get("benchmarks", []):
            if b.get("error_occurred") or "real_time" not in b:
                continue
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            key = parse_thread_name(b.get("run_name") or b["name"], threads)
            if key is None:
                continue
            shape = key[1]
            seconds = b["real_time"] * TIME_UNITS.get(b.get("time_unit", "ns"), 1e-9)
            rate = shape[0] * shape[1] / seconds / 1e6
            self.rate[key] = max(rate, self.rate.get(key, 0.0))

    def get(self, op, shape, impl, threads):
        return self.rate.get((op, shape, impl, threads))

    def cases(self):
        """(op, shape) in the report's order: op, then THREAD_SHAPES'."""
        order = {s: i for i, s in enumerate(THREAD_SHAPES)}
        keys = {(k[0], k[1]) for k in self.rate}
        return sorted(keys, key=lambda c: (OPS.index(c[0]),
                                           order.get(c[1], len(order)), c[1]))

    def impls(self):
        present = {k[2] for k in self.rate}
        return [i for i in THREAD_IMPLS if i in present]


def parse_thread_name(name, threads):
    """(op, (rows, cols), impl, threads) of a thread-scaling case."""
    m = re.search(r"/threads:(\d+)", name)
    if m:
        threads = int(m.group(1))
        name = name[:m.start()] + name[m.end():]
    key = parse_name(name)
    if key is None or threads is None or key[0] not in OPS + tuple(
            o + "_rows" for o in OPS):
        return None
    kind, impl, shape = key
    if isinstance(shape, int):
        shape = (1, shape)
    return (kind.removesuffix("_rows"), shape, impl.split("-")[0], threads)


def load_threads(meta, out):
    """The thread-scaling runs run.json lists, or None."""
    info = meta.get("threads")
    if not info:
        return None
    tr = ThreadResults()
    for name, impl, threads in info.get("files", []):
        path = os.path.join(out, name)
        try:
            tr.load(path, threads)
        except (OSError, ValueError) as e:
            log(f"ignoring {path}: {e}")
    return tr if tr.rate else None


def our_isas(res):
    isas = res.context.get("isas", "").split()
    return isas or list(ISA_ORDER)


def is_ours(impl, isas):
    return impl.removesuffix("-fast") in isas


def impl_order(impl):
    """scalar, scalar-fast, avx2, avx2-fast, ..., then the peers."""
    base, fast = impl.removesuffix("-fast"), impl.endswith("-fast")
    if base in ISA_ORDER:
        return (0, ISA_ORDER.index(base), fast, impl)
    peer = base.split("-")[0]
    if peer in PEER_ORDER:
        return (1, PEER_ORDER.index(peer), 0, impl)
    return (2, 0, 0, impl)


def display(impl):
    peer, _, rest = impl.partition("-")
    if peer in PEER_NAMES:
        return PEER_NAMES[peer] + (f" ({rest})" if rest else "")
    return impl


def sorted_impls(impls):
    return sorted(impls, key=impl_order)


# ---- markdown -------------------------------------------------------------

def size_label(n):
    """2^18 as 256K, 2^20 as 1M: short enough that 128000 and 262144 do
    not collide on the chart's log axis."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20}M"
    if n > 1 << 16 and n & (n - 1) == 0:
        return f"{n >> 10}K"
    return str(n)


def shape_label(shape):
    return f"{shape[0]}×{shape[1]}"


def fmt(v):
    return "—" if v is None else f"{v:.0f}"


def ratio_cell(num, den):
    if num is None or den is None or den <= 0:
        return "—"
    r = num / den
    s = f"{r:.2f}" if r < 10 else f"{r:.0f}"
    return f"**{s}**" if r >= 1 else s


def best(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def md_table(header, rows, align_first="l"):
    out = ["| " + " | ".join(header) + " |",
           "|" + (":---|" if align_first == "l" else "---|")
           + "---:|" * (len(header) - 1)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def ratio_rows(columns, ours, peers, get):
    """'best of ours ÷ fastest peer' per column, for the deterministic exp
    and for SM_FAST_EXP, where there is a peer to compare with."""
    if not peers:
        return []
    rows = []
    exact = [i for i in ours if not i.endswith("-fast")]
    fast = [i for i in ours if i.endswith("-fast")]
    for label, group in (("*ours ÷ fastest peer*", exact),
                         ("*ours, fast exp ÷ fastest peer*", fast)):
        if not group:
            continue
        cells = [ratio_cell(best(get(i, c) for i in group),
                            best(get(p, c) for p in peers)) for c in columns]
        rows.append([label] + cells)
    return rows


def op_table(res, op, sizes, isas):
    impls = sorted_impls(res.impls(op))
    ours = [i for i in impls if is_ours(i, isas)]
    peers = [i for i in impls if not is_ours(i, isas)]

    def get(impl, n):
        return res.get(op, impl, n)

    rows = [[i] + [fmt(get(i, n)) for n in sizes] for i in ours]
    rows += [[display(p)] + [fmt(get(p, n)) for n in sizes] for p in peers]
    rows += ratio_rows(sizes, ours, peers, get)
    for impl in sorted_impls(res.impls("ceiling_exp")):
        rows.append([f"*exp ceiling, {impl}*"]
                    + [fmt(res.get("ceiling_exp", impl, n)) for n in sizes])
    for floor, what in (("floor_memcpy", "memcpy"), ("floor_read", "read")):
        if res.impls(floor):
            rows.append([f"*floor: {what}*"]
                        + [fmt(res.get(floor, "", n)) for n in sizes])
    header = ["n ="] + [size_label(n) for n in sizes]
    return md_table(header, rows)


def batch_table(res, ops, isas):
    """Transposed: a row per op and shape, a column per implementation
    (the shapes' labels are too long for column headers)."""
    order = {shape: i for i, shape in enumerate(SHAPES)}
    cases = [(op, shape) for op in ops
             for shape in sorted(res.shapes(op + "_rows"),
                                 key=lambda s: (order.get(s, len(order)), s))]
    if not cases:
        return []
    impls = sorted_impls(set().union(*(res.impls(op + "_rows") for op in ops)))
    ours = [i for i in impls if is_ours(i, isas)]
    peers = [i for i in impls if not is_ours(i, isas)]

    def get(impl, case):
        return res.get(case[0] + "_rows", impl, case[1])

    # ratio_rows gives one row per exp mode across the cases: turn each
    # into a column.
    ratio = ratio_rows(cases, ours, peers, get)
    header = ["op, rows×cols"] + [display(i) for i in ours + peers]
    header += [{"*ours ÷ fastest peer*": "ours ÷ peer",
                "*ours, fast exp ÷ fastest peer*": "fast ÷ peer"}[r[0]]
               for r in ratio]
    rows = []
    for k, case in enumerate(cases):
        op, shape = case
        rows.append([f"{op.replace('_', '-')} {shape_label(shape)}"]
                    + [fmt(get(i, case)) for i in ours + peers]
                    + [r[k + 1] for r in ratio])
    return md_table(header, rows)


THREAD_NAMES = {"auto": "libsoftmax", "onednn": "oneDNN", "torch": "PyTorch"}


def speedup_cell(one, two):
    if one is None or two is None or one <= 0:
        return "—"
    return f"{two / one:.2f}×"


def thread_table(tr):
    """A row per op and shape; per implementation, 1 thread, 2 threads and
    the speedup."""
    impls = tr.impls()
    header = ["op, rows×cols"]
    for i in impls:
        name = THREAD_NAMES[i]
        header += [f"{name}, 1 thread", "2 threads", "speedup"]
    rows = []
    for op, shape in tr.cases():
        row = [f"{op.replace('_', '-')} {shape_label(shape)}"]
        for i in impls:
            one, two = tr.get(op, shape, i, 1), tr.get(op, shape, i, 2)
            row += [fmt(one), fmt(two), speedup_cell(one, two)]
        rows.append(row)
    return md_table(header, rows)


def ratio_section(chart_name):
    return ["", "## Ours ÷ fastest peer", "",
            f"![ours ÷ fastest peer]({chart_name})", "",
            "Our best ISA's throughput (and AVX2's, on machines with more), "
            "with the deterministic exp and with `SM_FAST_EXP`, divided at "
            "each n by that of the fastest peer at that n, named at the top; "
            "above 1 we are faster. Beside it, the same for the batch shapes "
            "(the tables' ratio rows and columns give the best of all our "
            "ISAs)."]


def threads_section(tr, meta, chart_name):
    info = meta["threads"]
    onednn = tr.onednn_context.get(2, "").partition(", ")[2]
    lines = ["", "## Threads: 1 and 2", "",
             "M elements per second of real time (higher is better), out of "
             "place, β = 1, not pinned (two threads need two CPUs), median of "
             f"{meta['repetitions']} repetitions of at least "
             f"{meta['min_time']:g} s; speedup: 2 threads ÷ 1 thread. "
             "libsoftmax: `sm_<op>_rows_f32` on an `sm_thread_pool` of that "
             "many threads (1: no pool), automatic ISA; oneDNN: "
             "`OMP_NUM_THREADS=N`"
             + (f" (its context with N = 2: `{onednn}`)" if onednn else "")
             + "; PyTorch: `torch.set_num_threads`. 1×16M is a single row."
             + (" **Quick run: fewer shapes, short repetitions.**"
                if meta["quick"] else ""), ""]
    lines += thread_table(tr)
    if chart_name:
        lines += ["", f"![thread scaling]({chart_name})"]
    if info.get("notes"):
        lines += ["", "; ".join(info["notes"]) + "."]
    lines += ["", "Run with:", "", "```sh",
              "\n".join(command_block(c) for c in info["commands"]), "```"]
    return lines


def caches_line(ctx):
    parts = []
    for c in ctx.get("caches", []):
        if c.get("type") == "Instruction":
            continue
        size = c["size"]
        s = f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"
        name = f"L{c['level']}" + ("d" if c.get("type") == "Data" else "")
        shared = c.get("num_sharing", 1)
        parts.append(f"{name} {s}" + (f" shared by {shared}" if shared > 1 else ""))
    return ", ".join(parts)


def peers_line(res, meta, isas, ops):
    present = set()
    for kind in list(ops) + [o + "_rows" for o in ops]:
        present |= {i.split("-")[0] for i in res.impls(kind) if not is_ours(i, isas)}
    failed = {}
    for name, msg in res.errors.items():
        impl = name.split("/")[1] if "/" in name else ""
        if not is_ours(impl, isas):
            failed.setdefault(impl.split("-")[0], msg)
    versions = meta["machine"].get("peer_versions", {})
    parts = []
    for p in PEER_ORDER:
        if not set(ops) & PEER_OPS[p]:
            continue
        if p in present:
            # The Debian package's upstream version (torch.__version__ says
            # 1.13.0a0 for Debian's 1.13.1), then what the harness reports:
            # oneDNN's runtime and JIT kernel, XNNPACK's operator, the ATen
            # capability torch dispatches to.
            v = upstream(versions.get(p))
            details = []
            if p == "torch":
                v = v or res.torch_context.get("torch")
                details = [res.torch_context.get("torch_cpu_capability"),
                           "via bench/peer_torch.py"]
            else:
                ctx = res.context.get(p, "")
                if p == "onednn" and ctx:
                    v, _, ctx = ctx.partition(", ")  # "2.6.3, OpenMP threads: 1"
                details = [ctx, res.label.get(p)]
            details = ", ".join(d for d in details if d)
            parts.append(f"{PEER_NAMES[p]} {v or '(version unknown)'}"
                         + (f" ({details})" if details else ""))
        elif p in failed:
            parts.append(f"{PEER_NAMES[p]} failed: {failed[p]}")
        elif p == "torch" and meta.get("torch_note"):
            parts.append(f"PyTorch {meta['torch_note']}")
        else:
            parts.append(f"{PEER_NAMES[p]} not in this build "
                         f"({PEER_PACKAGES[p]} missing when it was configured)")
    if present:
        parts[-1] += ". One thread each"
    return "; ".join(parts)


def upstream(version):
    """Debian's 1.13.1+dfsg-4 as 1.13.1."""
    if not version:
        return None
    return re.sub(r"(\+dfsg[^-]*)?(-[^-]+)?$", "", version.split(":")[-1])


def command_block(cmd):
    """The program on the first line, then one option (and its value) per
    line, continued with backslashes."""
    words = [shlex.quote(w) for w in cmd]
    first = next((i for i, w in enumerate(words) if w.startswith("--")), len(words))
    lines = [" ".join(words[:first])]
    for w in words[first:]:
        if w.startswith("--"):
            lines.append(w)
        else:
            lines[-1] += " " + w
    return " \\\n    ".join(lines)


def minutes(seconds):
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def write_markdown(res, meta, out, charts, tr=None):
    ctx = res.context
    isas = our_isas(res)
    mach = meta["machine"]
    ops = meta["ops"]
    sizes = sorted(set().union(*(res.shapes(op) for op in ops)) or QUICK_SIZES)
    date = ctx.get("date", "")[:16].replace("T", " ")
    lines = [
        "# libsoftmax benchmark report",
        "",
        f"**Machine:** {mach['cpu']}, {mach['cpus']} CPUs; {caches_line(ctx)}; "
        f"CPU features as the library sees them: `{ctx.get('cpu_features', '?')}`; "
        f"{mach['os']}, Linux {mach['kernel']}; {mach['compiler']}, "
        f"{mach['buildtype']} build; libsoftmax {ctx.get('libsoftmax', '?')}; "
        f"{date}.",
        "",
        f"**Run:** one thread pinned to CPU {meta['core']}; "
        f"ISAs timed: {', '.join(isas)} (with `-fast`: `SM_FAST_EXP`); "
        f"median of {meta['repetitions']} repetitions of at least "
        f"{meta['min_time']:g} s"
        + (f", the fastest of {meta['runs']} runs (separate processes)"
           if meta.get("runs", 1) > 1 else "")
        + (" (rows of 16M elements: 5 calls each)" if 1 << 24 in sizes else "")
        + "; "
        f"load average at start {', '.join(f'{x:.1f}' for x in ctx.get('load_avg', []))}; "
        f"took {minutes(meta['elapsed_s'])}."
        + (" **Quick run: fewer sizes, short repetitions, indicative only.**"
           if meta["quick"] else ""),
        "",
        f"**Peers:** {peers_line(res, meta, isas, ops)}.",
        "",
        "Made by:",
        "",
        "```sh",
        shlex.join(meta["invocation"]),
        "```",
        "",
        "which ran:",
        "",
        "```sh",
        "\n".join(command_block(c) for c in meta["commands"]),
        "```",
        "",
        "Million elements per second (higher is better), one row of n floats, "
        "out of place, β = 1 (K = 2¹⁰, M = 2²⁰). The ratio rows divide "
        "our best by the fastest peer (bold: we are at least as fast). "
        "The exp ceiling is one pass of Σ exp(x − c) through the kernels' "
        "own exp; the floors move the same bytes and do nothing else "
        "(memcpy: read n floats and write n, like softmax; read: like "
        "logsumexp)."
        + (" PyTorch is called from Python, as a Python caller would: on short "
           "rows the interpreter and torch's dispatcher, not the kernel, take "
           "most of its time." if res.torch_context.get("torch") else ""),
    ]
    titles = {"softmax": "softmax (`sm_softmax_f32`)",
              "log_softmax": "log-softmax (`sm_log_softmax_f32`)",
              "logsumexp": "logsumexp (`sm_logsumexp_f32`)"}
    for op in ops:
        if not res.impls(op):
            continue
        lines += ["", f"## {titles[op]}", ""]
        lines += op_table(res, op, sizes, isas)
        if op in charts:
            lines += ["", f"![{op.replace('_', '-')} throughput]({charts[op]})"]
    bt = batch_table(res, ops, isas)
    if bt:
        lines += ["", "## Batches (`sm_<op>_rows_f32`, out of place, β = 1)", ""] + bt
    if "ratio" in charts:
        lines += ratio_section(charts["ratio"])
    if tr is not None:
        lines += threads_section(tr, meta, charts.get("threads"))
    if res.errors:
        shown = [f"`{n}`: {m}" for n, m in sorted(res.errors.items())[:6]]
        more = len(res.errors) - len(shown)
        lines += ["", "Cases that failed (left out above): " + "; ".join(shown)
                  + (f"; and {more} more" if more > 0 else "") + "."]
    if ctx.get("cpu_scaling_enabled"):
        lines += ["", "Note: CPU frequency scaling was enabled; figures may "
                  "be noisy."]
    text = "\n".join(lines) + "\n"
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write(text)
    return path, text


# ---- charts ---------------------------------------------------------------

ISA_COLOURS = {"scalar": "#8c564b", "avx2": "#1f77b4", "avx512": "#2ca02c",
               "neon": "#17becf", "sve": "#e377c2"}
PEER_COLOURS = {"onednn": "#ff7f0e", "xnnpack": "#d62728", "torch": "#9467bd"}


def lighter(colour, amount=0.45):
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def colour(impl):
    base = impl.removesuffix("-fast")
    if base in ISA_COLOURS:
        c = ISA_COLOURS[base]
        return lighter(c) if impl.endswith("-fast") else c
    return PEER_COLOURS.get(base.split("-")[0], "#7f7f7f")


def chart(res, meta, op, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    isas = our_isas(res)
    impls = sorted_impls(res.impls(op))
    sizes = sorted(res.shapes(op))
    if not sizes:
        return False

    # 12 x 7 inches at 100 dpi with three rows of legend; taller when an
    # AVX-512 machine brings more (the layout is settled once all is drawn).
    fig, ax = plt.subplots(figsize=(12, 7), dpi=100)

    def series(kind, impl):
        xs = [n for n in sizes if res.get(kind, impl, n) is not None]
        return xs, [res.get(kind, impl, n) for n in xs]

    # Where the row (input, plus output for softmax/log-softmax) outgrows
    # each data cache, as faint vertical lines.
    bytes_per_elem = 4 if op == "logsumexp" else 8
    what = "x" if op == "logsumexp" else "x + y"
    for c in res.context.get("caches", []):
        if c.get("type") == "Instruction":
            continue
        n = c["size"] / bytes_per_elem
        if sizes[0] < n < sizes[-1]:
            name = f"L{c['level']}" + ("d" if c.get("type") == "Data" else "")
            ax.axvline(n, color="#d8d8d8", lw=1, zorder=0)
            ax.text(n, 0.995, f" {what} > {name}", transform=ax.get_xaxis_transform(),
                    va="top", ha="left", fontsize=8.5, color="#909090")

    # Drawn in this order, listed in the legend ours, peers, ceilings,
    # floors.
    ours_h, peers_h, floor_h = [], [], []
    for floor, style, grey, name in (
            ("floor_memcpy", (0, (1, 1.2)), "#707070", "floor: memcpy (read + write)"),
            ("floor_read", (0, (1, 2.5)), "#a8a8a8", "floor: read only")):
        xs, ys = series(floor, "")
        if xs:
            floor_h += ax.plot(xs, ys, ls=style, lw=2.2, color=grey, label=name)
    ceil_h = []
    for impl in sorted_impls(res.impls("ceiling_exp")):
        if impl.removesuffix("-fast") == "scalar":
            continue  # in the table; on the chart it only adds clutter
        xs, ys = series("ceiling_exp", impl)
        if xs:
            ceil_h += ax.plot(xs, ys, ls=(0, (7, 2, 1.5, 2)), lw=1.1,
                              color=colour(impl), label=f"exp ceiling: {impl}")
    for impl in impls:
        xs, ys = series(op, impl)
        if not xs:
            continue
        ours = is_ours(impl, isas)
        fast = impl.endswith("-fast")
        h = ax.plot(xs, ys, color=colour(impl), lw=2.4 if ours else 1.8,
                    ls="-" if ours else (0, (5, 2)),
                    marker=("s" if fast else "o") if ours else "^", ms=5,
                    label=impl if ours else display(impl), zorder=3)
        (ours_h if ours else peers_h).extend(h)

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: size_label(int(round(v)))))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:g}" if str(int(v))[0] in "25" and v >= 1 else ""))
    ax.tick_params(axis="y", which="minor", labelsize=8, labelcolor="#666666")
    ax.set_xlim(sizes[0] / 1.3, sizes[-1] * 1.3)
    ax.grid(True, which="major", color="#e5e5e5", lw=0.8)
    ax.grid(True, which="minor", axis="y", color="#f2f2f2", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel("n (floats in the row)")
    ax.set_ylabel("M elements/s (log scale, higher is better)")
    date = res.context.get("date", "")[:10]
    ax.set_title(f"{op.replace('_', '-')}: one row, out of place, β = 1, "
                 f"one thread\n{meta['machine']['cpu']} · CPU {meta['core']} · "
                 f"libsoftmax {res.context.get('libsoftmax', '?')} · {date}"
                 + (" · quick run" if meta["quick"] else ""), fontsize=12)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    # Below the plot, so the plot gets the whole width (on a log axis
    # 128000 and 262144 are close), in columns: our exact exp, our fast
    # exp, the peers, the ceilings, the floors. The legend fills column by
    # column, so short columns are padded with blank entries.
    exact_h = [h for h in ours_h if not h.get_label().endswith("-fast")]
    fast_h = [h for h in ours_h if h.get_label().endswith("-fast")]
    columns = [c for c in (exact_h, fast_h, peers_h, ceil_h, floor_h) if c]
    rows = max(len(c) for c in columns)
    blank = Line2D([], [], alpha=0, label=" ")
    handles = [h for c in columns for h in c + [blank] * (rows - len(c))]
    legend_in = 0.2 * rows + 0.15
    fig.set_size_inches(12, 6.4 + legend_in)
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0),
               ncol=len(columns), frameon=False, fontsize=10,
               handlelength=3.2, columnspacing=2.5)
    fig.tight_layout(rect=(0, legend_in / (6.4 + legend_in), 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return True


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def ratio_impls(res, isas, kinds):
    """What the ratio chart draws of ours: the best ISA, plain and fast, and
    AVX2 too when it is not the best (scalar only when there is nothing
    else)."""
    present = set().union(*(res.impls(k) for k in kinds))
    bases = [i for i in ISA_ORDER if i in isas and i in present]
    if not bases:
        return []
    best_isa = ([b for b in bases if b != "scalar"] or bases)[-1]
    picked = [best_isa] + (["avx2"] if best_isa != "avx2" and "avx2" in bases else [])
    return [i for b in picked for i in (b, b + "-fast") if i in present]


def ratio_points(res, kind, impl, peers, shapes):
    """(shapes, ours ÷ fastest peer, the fastest peer) where both ran."""
    xs, ys, who = [], [], []
    for shape in shapes:
        ours = res.get(kind, impl, shape)
        rates = [(res.get(kind, p, shape), p) for p in peers]
        rates = [r for r in rates if r[0] is not None]
        if ours is None or not rates:
            continue
        rate, peer = max(rates)
        xs.append(shape)
        ys.append(ours / rate)
        who.append(peer)
    return xs, ys, who


def ratio_style(impl, isas, best_isa):
    fast = impl.endswith("-fast")
    main = impl.removesuffix("-fast") == best_isa
    return dict(color=colour(impl), lw=2.4 if main else 1.4,
                ls=(0, (5, 2)) if fast else "-", marker="s" if fast else "o",
                ms=6 if main else 4.5, label=impl, zorder=3 if main else 2)


def ratio_chart(res, meta, path):
    """Ours ÷ the fastest peer against n, a row of axes per op with a
    peer; the batch shapes in a narrow axis beside."""
    from matplotlib.ticker import (FixedLocator, FuncFormatter, LogLocator,
                                   NullFormatter, NullLocator)
    isas = our_isas(res)
    rows = []
    for op in meta["ops"]:
        kinds = (op, op + "_rows")
        peers = {k: [i for i in res.impls(k) if not is_ours(i, isas)] for k in kinds}
        impls = ratio_impls(res, isas, kinds)
        if impls and (peers[op] or peers[op + "_rows"]):
            rows.append((op, peers, impls))
    if not rows:
        return False
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), 2, squeeze=False, sharey="row",
                             figsize=(12, 3.9 * len(rows) + 1.4), dpi=100,
                             gridspec_kw={"width_ratios": (5, 1.2)})
    handles = {}
    for (op, peers, impls), (ax, bx) in zip(rows, axes):
        best_isa = impls[0].removesuffix("-fast")
        sizes = sorted(res.shapes(op))
        order = {s: i for i, s in enumerate(SHAPES)}
        batches = sorted(res.shapes(op + "_rows"),
                         key=lambda s: (order.get(s, len(order)), s))
        fastest = {}
        for impl in impls:
            style = ratio_style(impl, isas, best_isa)
            xs, ys, who = ratio_points(res, op, impl, peers[op], sizes)
            if xs:
                handles[impl] = ax.plot(xs, ys, **style)[0]
                fastest.update(zip(xs, who))
            xs, ys, _ = ratio_points(res, op + "_rows", impl, peers[op + "_rows"],
                                     batches)
            style.update(ls="none")
            bx.plot([batches.index(x) for x in xs], ys, **style)
        for a in (ax, bx):
            a.axhline(1.0, color="#404040", lw=1.2, zorder=1)
            a.set_yscale("log")
            a.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
            a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            a.yaxis.set_minor_formatter(NullFormatter())
            a.grid(True, which="major", color="#e5e5e5", lw=0.8)
            a.set_axisbelow(True)
            for side in ("top", "right"):
                a.spines[side].set_visible(False)
        ax.set_xscale("log")
        if sizes:
            ax.xaxis.set_major_locator(FixedLocator(sizes))
            ax.set_xlim(sizes[0] / 1.3, sizes[-1] * 1.3)
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: size_label(int(round(v)))))
        ax.xaxis.set_minor_locator(NullLocator())
        for n, peer in fastest.items():  # the peer each ratio divides by
            ax.text(n, 1.0, display(peer), transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=8, color="#808080")
        ax.set_title(f"{op.replace('_', '-')}: one row of n floats",
                     fontsize=11, pad=16)
        ax.set_xlabel("n (floats in the row)")
        ax.set_ylabel("ours ÷ fastest peer\n(log scale, > 1: ours faster)")
        bx.set_xticks(range(len(batches)))
        bx.set_xticklabels([shape_label(s) for s in batches], rotation=30,
                           ha="right", fontsize=9)
        bx.set_xlim(-0.6, len(batches) - 0.4)
        bx.set_title("batches", fontsize=11, pad=16)
        bx.set_xlabel("rows×cols")
    date = res.context.get("date", "")[:10]
    fig.suptitle("libsoftmax ÷ the fastest peer (oneDNN, XNNPACK, PyTorch) "
                 "at each size, out of place, β = 1, one thread\n"
                 f"{meta['machine']['cpu']} · CPU {meta['core']} · "
                 f"libsoftmax {res.context.get('libsoftmax', '?')} · {date}"
                 + (" · quick run" if meta["quick"] else ""), fontsize=12)
    ordered = sorted(handles, key=impl_order)
    labels = [f"{i} ({'fast exp' if i.endswith('-fast') else 'default exp'})"
              for i in ordered]
    fig.legend([handles[i] for i in ordered], labels, loc="lower center",
               ncol=len(ordered), frameon=False, fontsize=10,
               handlelength=3.2)
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0.45 / height, 1, 1 - 0.2 / height))
    fig.savefig(path)
    plt.close(fig)
    return True


THREAD_COLOURS = {"auto": ISA_COLOURS["avx512"], "onednn": PEER_COLOURS["onednn"],
                  "torch": PEER_COLOURS["torch"]}


def group_offsets(tr, cases, impls, width):
    """{(case index, impl): x}: each case's group of implementations (those
    that ran it) centred on its tick."""
    x = {}
    for c, (op, shape) in enumerate(cases):
        ran = [i for i in impls
               if any(tr.get(op, shape, i, t) for t in THREAD_COUNTS)]
        for k, impl in enumerate(ran):
            x[c, impl] = c + (k - (len(ran) - 1) / 2) * width
    return x


def threads_chart(tr, meta, title, path):
    """Throughput with 1 and 2 threads (top) and the speedup (below), a
    group of bars per op and shape."""
    cases, impls = tr.cases(), tr.impls()
    if not cases:
        return False
    plt = pyplot()
    fig, (top, low) = plt.subplots(2, 1, sharex=True, dpi=100,
                                   figsize=(max(8, 1.6 * len(cases) + 3), 9),
                                   gridspec_kw={"height_ratios": (3, 2)})
    width = 0.84 / len(impls)  # one implementation's share of a group
    at = group_offsets(tr, cases, impls, width)
    for impl in impls:
        ran = [c for c in range(len(cases)) if (c, impl) in at]
        for j, threads in enumerate(THREAD_COUNTS):
            xs = [at[c, impl] + (j - 0.5) * width / 2 for c in ran]
            ys = [tr.get(*cases[c], impl, threads) or 0 for c in ran]
            top.bar(xs, ys, width / 2, color=THREAD_COLOURS[impl],
                    alpha=0.45 if threads == 1 else 1.0,
                    label=f"{THREAD_NAMES[impl]}, {threads} thread"
                    + ("s" if threads > 1 else ""))
        xs = [at[c, impl] for c in ran]
        speedups = [speedup(tr, *cases[c], impl) for c in ran]
        low.bar(xs, [v or 0 for v in speedups], width * 0.9,
                color=THREAD_COLOURS[impl], label=THREAD_NAMES[impl])
        for x, v in zip(xs, speedups):
            if v:
                low.text(x, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    top.set_ylabel("M elements/s of real time\n(higher is better)")
    top.legend(ncol=len(impls), fontsize=9, frameon=False, loc="upper center",
               bbox_to_anchor=(0.5, -0.02))
    low.axhline(1.0, color="#404040", lw=1.2)
    low.axhline(2.0, color="#a0a0a0", lw=1, ls=(0, (4, 3)))
    low.text(len(cases) - 0.5, 2.0, "ideal ", ha="right", va="bottom",
             fontsize=8.5, color="#808080")
    low.set_ylim(0, max(2.3, max((speedup(tr, o, s, i) or 0
                                  for o, s in cases for i in impls)) * 1.12))
    low.set_ylabel("speedup: 2 threads ÷ 1")
    low.set_xticks(range(len(cases)))
    low.set_xticklabels([f"{op.replace('_', '-')}\n{shape_label(s)}"
                         for op, s in cases], fontsize=9.5)
    low.set_xlim(-0.6, len(cases) - 0.4)
    for a in (top, low):
        a.grid(True, axis="y", color="#e5e5e5", lw=0.8)
        a.set_axisbelow(True)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    top.set_title("1 and 2 threads, out of place, β = 1, not pinned\n"
                  + title + (" · quick run" if meta["quick"] else ""),
                  fontsize=12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def speedup(tr, op, shape, impl):
    one, two = tr.get(op, shape, impl, 1), tr.get(op, shape, impl, 2)
    return two / one if one and two else None


# ---- main -----------------------------------------------------------------

def main():
    args = parse_args()
    os.chdir(ROOT)
    if args.render_only:
        try:
            with open(os.path.join(args.out, "run.json")) as f:
                meta = json.load(f)
        except OSError as e:
            die(f"--render-only: {e}; run without it first")
        if importlib.util.find_spec("matplotlib") is None:
            install(["python3-matplotlib"])
    else:
        core = pick_core(args.core)
        exe = setup(args)
        meta = run_all(args, exe, core)

    res = Results()
    raws = [os.path.join(args.out, raw_name(i)) for i in range(meta.get("runs", 1))]
    for raw in raws:
        try:
            res.load(raw)
        except (OSError, ValueError) as e:
            die(f"cannot read {raw}: {e}")
    tjson = os.path.join(args.out, "torch.json")
    if os.path.exists(tjson):
        try:
            res.load(tjson, torch=True)
        except (OSError, ValueError) as e:
            log(f"ignoring {tjson}: {e}")

    tr = load_threads(meta, args.out)

    charts = {}
    for op in meta["ops"]:
        png = os.path.join(args.out, f"{op}.png")
        if chart(res, meta, op, png):
            charts[op] = os.path.basename(png)
    if ratio_chart(res, meta, os.path.join(args.out, "ratio.png")):
        charts["ratio"] = "ratio.png"
    title = (f"{meta['machine']['cpu']} · libsoftmax "
             f"{res.context.get('libsoftmax', '?')} · {res.context.get('date', '')[:10]}")
    if tr is not None and threads_chart(tr, meta, title,
                                        os.path.join(args.out, "threads.png")):
        charts["threads"] = "threads.png"
    for name in ("ratio.png", "threads.png"):  # a previous report's
        stale = os.path.join(args.out, name)
        if name not in charts.values() and os.path.exists(stale):
            os.remove(stale)
    path, text = write_markdown(res, meta, args.out, charts, tr)
    written = [path] + [os.path.join(args.out, c) for c in charts.values()]
    thread_jsons = [os.path.join(args.out, f[0])
                    for f in (meta.get("threads") or {}).get("files", [])]
    written += [p for p in raws + [tjson] + thread_jsons
                + [os.path.join(args.out, "run.json")] if os.path.exists(p)]
    log("wrote " + ", ".join(rel(p) for p in written))
    if not args.render_only:
        threads = meta.get("threads") or {}
        log(f"took {minutes(meta['elapsed_s'])} of benchmarking"
            + (f", then {minutes(threads['elapsed_s'])} on thread scaling"
               if threads else ""))


if __name__ == "__main__":
    main()
