"""Prints 'N passed, N failed[, N skipped]' over meson testlog.json files;
exits 1 if any test failed or no test ran.
Usage: count-tests.py [--slowest N] [--broken N] testlog.json...
(--slowest: first list the N longest tests, with their logs' directories;
--broken: configurations that did not build, each counted as a failure)"""
import json
import os
import sys

args = sys.argv[1:]
passed = failed = skipped = 0
slowest = 0
durations = []
if args[:1] == ["--slowest"]:
    slowest = int(args[1])
    args = args[2:]
if args[:1] == ["--broken"]:
    failed = int(args[1])
    args = args[2:]
for path in args:
    where = os.path.basename(os.path.dirname(os.path.dirname(path)))
    run = os.path.basename(path)[len("testlog"):-len(".json")].lstrip("-")
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            result = test["result"]
            durations.append((test.get("duration", 0.0), test["name"],
                              where + (" " + run if run else "")))
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
if slowest:
    print(f"slowest tests ({sum(d for d, _, _ in durations):.0f} s in all):")
    for duration, name, where in sorted(durations, reverse=True)[:slowest]:
        print(f"  {duration:7.1f} s  {name} ({where})")
summary = f"{passed} passed, {failed} failed"
print(summary + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)
