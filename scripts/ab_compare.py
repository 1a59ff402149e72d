#!/usr/bin/env python3
"""A/B timing of two builds of one benchmark binary, alternating them.

Runs BASE and NEW (Google Benchmark binaries) ROUNDS times each, pinned to
one CPU, in the order A B, B A, A B, ..., so drift on a shared machine falls
on both; each run repeats each cell REPETITIONS times, and a cell's time is
its best over all of them. Prints, per cell, both best times, their ratio
new/base and the median of the per-round ratios; with --over R, only the
cells whose two ratios both exceed R (a slowdown beyond the noise). Judge a
change against a control run too (BASE against a copy of itself).

With --per-cell the alternation is per cell instead (cell 1: A B, B A, ...;
then cell 2 ...), so that a burst of load from elsewhere, which can last
longer than a whole run of the filter, falls on both builds of the cells it
hits rather than on one build's stretch of cells.

Usage: ab_compare.py BASE NEW FILTER [--rounds N] [--repetitions R]
                     [--min-time S] [--cpu C] [--over R] [--tsv FILE]
                     [--per-cell]
"""
import argparse
import json
import re
import statistics
import subprocess
import sys


def run(binary, flt, min_time, reps, cpu):
    cmd = [binary, f"--benchmark_filter={flt}", "--benchmark_format=json",
           f"--benchmark_min_time={min_time}",
           f"--benchmark_repetitions={reps}"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    times = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        t = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6,
                              "s": 1e9}[b["time_unit"]]
        name = b.get("run_name", b["name"])
        times[name] = min(t, times.get(name, t))
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("new")
    ap.add_argument("filter")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", default="0.05")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--over", type=float)
    ap.add_argument("--tsv")
    ap.add_argument("--per-cell", action="store_true")
    a = ap.parse_args()
    runs = {"base": [], "new": []}
    if a.per_cell:
        cells = subprocess.run([a.base, f"--benchmark_filter={a.filter}",
                                "--benchmark_list_tests"], check=True,
                               capture_output=True, text=True).stdout.split()
        runs = {"base": [{} for _ in range(a.rounds)],
                "new": [{} for _ in range(a.rounds)]}
        for i, cell in enumerate(cells):
            flt = "^" + re.sub(r"([.+*?()\[\]{}|^$])", r"\\\1", cell) + "$"
            for r in range(a.rounds):
                order = ("base", "new") if r % 2 == 0 else ("new", "base")
                for which in order:
                    runs[which][r].update(run(getattr(a, which), flt,
                                              a.min_time, a.repetitions,
                                              a.cpu))
            print(f"cell {i + 1}/{len(cells)}", file=sys.stderr, flush=True)
    else:
        for r in range(a.rounds):
            order = ("base", "new") if r % 2 == 0 else ("new", "base")
            for which in order:
                runs[which].append(run(getattr(a, which), a.filter,
                                       a.min_time, a.repetitions, a.cpu))
            print(f"round {r + 1}/{a.rounds}", file=sys.stderr, flush=True)
    names = [n for n in runs["base"][0] if n in runs["new"][0]]
    rows = []
    for n in names:
        b = [t[n] for t in runs["base"]]
        w = [t[n] for t in runs["new"]]
        best = min(w) / min(b)
        med = statistics.median(x / y for x, y in zip(w, b))
        rows.append((n, min(b), min(w), best, med))
    shown = [r for r in rows
             if a.over is None or (r[3] > a.over and r[4] > a.over)]
    width = max([len(r[0]) for r in shown] + [4])
    print(f"{'cell':{width}}  {'base ns':>12}  {'new ns':>12}  best  median")
    for n, b, w, best, med in shown:
        print(f"{n:{width}}  {b:12.1f}  {w:12.1f}  {best:.3f}  {med:.3f}")
    worst = max(rows, key=lambda r: min(r[3], r[4]))
    print(f"{len(rows)} cells; worst (min of the two ratios): {worst[0]} "
          f"{worst[3]:.3f} / {worst[4]:.3f}")
    if a.tsv:
        with open(a.tsv, "w") as f:
            for r in rows:
                f.write("\t".join([r[0]] + [f"{v:.4f}" for v in r[1:]]) + "\n")


if __name__ == "__main__":
    main()
