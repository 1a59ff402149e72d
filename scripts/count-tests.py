"""Prints 'N passed, N failed[, N skipped]' over meson testlog.json files;
exits 1 if any test failed or no test ran.
Usage: count-tests.py [--broken N] testlog.json...
(--broken: configurations that did not build, each counted as a failure)"""
import json
import sys

args = sys.argv[1:]
passed = failed = skipped = 0
if args[:1] == ["--broken"]:
    failed = int(args[1])
    args = args[2:]
for path in args:
    with open(path) as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
summary = f"{passed} passed, {failed} failed"
print(summary + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)
