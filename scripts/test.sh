#!/usr/bin/env bash
# Installs what is missing, then builds and runs the tests.
#
# Full run (the README's test command, what CI runs): gcc and clang release
# builds with warnings as errors (the gcc one also runs the slow suite, the
# clang one the emulated AVX-512 model), a clang build under AddressSanitizer and
# UndefinedBehaviorSanitizer and a gcc build under UndefinedBehaviorSanitizer
# running every suite at reduced sizes, the concurrency test under
# ThreadSanitizer, then an aarch64 cross build tested under qemu (NEON, SVE
# at several vector lengths: scripts/test-arm.sh). The x86-64 builds find
# Open MPI (installed here) and run the MPI example's suite, mpi.
#
# --quick: one release build (kept between runs, rebuilt incrementally) and
# the unit, reproducibility and dispatch suites at reduced sizes
# (SM_TEST_QUICK): every op on every ISA this CPU has against scalar, bit for
# bit, in a few minutes.
#
# Prints each stage's set-up, build and test times; the last line is the
# summary "N passed, N failed" over all of them.
# Usage: bash scripts/test.sh [--quick] [build-dir-prefix]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
quick=0
if [ "${1:-}" = --quick ]; then
    quick=1
    shift
fi
PREFIX=${1:-build-test}

if [ $quick = 1 ]; then
    # shellcheck disable=SC2086
    sm_install_deps $SM_BUILD_DEPS libcmocka-dev python3 || exit 1
else
    # shellcheck disable=SC2086
    sm_install_deps $SM_BUILD_DEPS libcmocka-dev g++ libbenchmark-dev clang \
        binutils python3 $SM_MPI_DEPS || exit 1
fi

status=0
broken=0 # configurations that did not build: each counts as a failure
logs=()
timings=()
# run NAME SETUP-ARGS...: configure, build and test one configuration.
# TARGETS: build only these (then tests run with --no-rebuild); TEST_ARGS:
# arguments to meson test; KEEP=1: reuse an existing build directory.
run() {
    local name=$1 dir="$PREFIX-$1" t0=$SECONDS t1 t2
    shift
    echo "=== $name"
    if [ "${KEEP:-0}" = 1 ] && [ -f "$dir/build.ninja" ]; then
        # Options given again override the stored ones.
        if ! meson configure "$dir" "$@" >"$dir.setup.log" 2>&1; then
            cat "$dir.setup.log"; echo "setup failed: $name"; broken=$((broken + 1)); return
        fi
    else
        rm -rf "$dir"
        if ! meson setup "$dir" "$@" >"$dir.setup.log" 2>&1; then
            cat "$dir.setup.log"; echo "setup failed: $name"; broken=$((broken + 1)); return
        fi
    fi
    t1=$SECONDS
    # shellcheck disable=SC2086
    if ! meson compile -C "$dir" ${TARGETS:-} >"$dir.build.log" 2>&1; then
        cat "$dir.build.log"; echo "build failed: $name"; broken=$((broken + 1)); return
    fi
    t2=$SECONDS
    local rebuild=()
    [ -n "${TARGETS:-}" ] && rebuild=(--no-rebuild)
    # shellcheck disable=SC2086
    meson test -C "$dir" "${rebuild[@]}" --print-errorlogs --num-processes 2 \
        ${TEST_ARGS:-} || status=1
    logs+=("$dir/meson-logs/testlog.json")
    timings+=("$(printf '%-15s setup %4d s, build %4d s, tests %4d s' \
        "$name" $((t1 - t0)) $((t2 - t1)) $((SECONDS - t2)))")
}

summary() {
    echo "=== timing"
    printf '%s\n' "${timings[@]}"
    /usr/bin/python3 scripts/count-tests.py --slowest 8 --broken "$broken" "${logs[@]}" ||
        status=1
    exit $status
}

if [ $quick = 1 ]; then
    # No tool, no benchmarks; the emulated AVX-512 model only where the CPU
    # lacks AVX-512 (the option's default).
    KEEP=1 SM_TEST_QUICK=1 TEST_ARGS="--suite unit --suite repro --suite dispatch" \
        run quick --buildtype=release --werror -Dbenchmarks=disabled -Dtool=false \
        -Davx512_emulation=auto
    summary
fi

# Everything at full size once, with the slow suite (every float through
# both exps); then clang's build, which also runs the AVX-512 kernel source
# over its C model (clang compiles the model several times faster than gcc).
run release --buildtype=release --werror -Davx512_emulation=auto
export TEST_ARGS="--no-suite slow"
CC=clang CXX=clang++ run clang --buildtype=release --werror \
    -Davx512_emulation=enabled
# The sanitizers run every suite but the tool's and the slow one (the
# release builds run those) at reduced sizes: every op, ISA, tail and
# special value, fewer large rows. clang runs AddressSanitizer with
# UndefinedBehaviorSanitizer (its UBSan checks more, e.g. arithmetic on
# NULL); gcc runs its own UBSan alone (its ASan build is the slowest of
# all, and clang's ASan covers the same code). Line tables only: the stack
# traces need no more, and full debug information slows these builds.
# -O1 (as ASan recommends): the instrumented kernels compile faster
# than at -O2, and the tests at reduced sizes take about as long.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
sanitize=(-Ddebug=true -Doptimization=1 -Db_lundef=false -Dbenchmarks=disabled
          -Dtool=false -Davx512_emulation=disabled)
SM_TEST_QUICK=1 run sanitize "${sanitize[@]}" -Db_sanitize=undefined \
    -Dc_args=-g1
SM_TEST_QUICK=1 CC=clang CXX=clang++ run clang-sanitize "${sanitize[@]}" \
    -Db_sanitize=address,undefined -Dc_args=-gline-tables-only
# ThreadSanitizer on the concurrency tests (first calls racing the
# dispatcher's set-up, calls racing sm_isa_force, the thread pool and the
# threaded calls): only what they need, at -O1 as the other sanitizers.
TARGETS="tests/test_threads tests/test_threads-api" \
    TEST_ARGS="threads threads-api" CC=clang CXX=clang++ run clang-thread \
    "${sanitize[@]}" -Db_sanitize=thread

# aarch64 under qemu: one log per emulated CPU; a set-up or build failure
# (exit status 2) counts as a broken configuration.
echo "=== aarch64 (qemu)"
t0=$SECONDS
bash scripts/test-arm.sh "$PREFIX-arm"
case $? in
0) ;;
1) status=1 ;;
*) broken=$((broken + 1)) ;;
esac
timings+=("$(printf '%-15s %4d s (its own timing line above)' aarch64 $((SECONDS - t0)))")
for log in "$PREFIX-arm"/meson-logs/testlog-*.json; do
    [ -f "$log" ] && logs+=("$log")
done
summary
