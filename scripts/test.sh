#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test in four
# configurations: gcc and clang release builds with warnings as errors, and
# gcc and clang builds under AddressSanitizer and UndefinedBehaviorSanitizer
# (clang's UBSan checks more, e.g. arithmetic on NULL); then the concurrency
# test under ThreadSanitizer; then an aarch64 cross build tested under qemu
# (NEON, SVE at several vector lengths: scripts/test-arm.sh). The last line
# is the summary "N passed, N failed" over all of them.
# Usage: bash scripts/test.sh [build-dir-prefix]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
PREFIX=${1:-build-test}

# shellcheck disable=SC2086
sm_install_deps $SM_BUILD_DEPS libcmocka-dev g++ libbenchmark-dev clang \
    binutils python3 || exit 1

status=0
broken=0 # configurations that did not build: each counts as a failure
logs=()
# run NAME SETUP-ARGS...: configure, build and test one configuration.
run() {
    local name=$1 dir="$PREFIX-$1"
    shift
    echo "=== $name"
    rm -rf "$dir"
    if ! meson setup "$dir" "$@" >"$dir.setup.log" 2>&1; then
        cat "$dir.setup.log"; echo "setup failed: $name"; broken=$((broken + 1)); return
    fi
    if ! meson compile -C "$dir" >"$dir.build.log" 2>&1; then
        cat "$dir.build.log"; echo "build failed: $name"; broken=$((broken + 1)); return
    fi
    # shellcheck disable=SC2086
    meson test -C "$dir" --print-errorlogs --num-processes 2 ${TEST_ARGS:-} || status=1
    logs+=("$dir/meson-logs/testlog.json")
}

# The slow suite (every float through both exps, about a minute) runs once.
run release --buildtype=release --werror
export TEST_ARGS="--no-suite slow"
CC=clang CXX=clang++ run clang --buildtype=release --werror
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
sanitize=(--buildtype=debugoptimized -Db_sanitize=address,undefined
          -Db_lundef=false -Dbenchmarks=disabled)
run sanitize "${sanitize[@]}"
CC=clang CXX=clang++ run clang-sanitize "${sanitize[@]}"
# ThreadSanitizer on the concurrency test: calls racing the dispatcher's
# set-up and sm_isa_force.
TEST_ARGS="threads dispatch-unset" CC=clang CXX=clang++ run clang-thread \
    --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
    -Dbenchmarks=disabled -Dtool=false

# aarch64 under qemu: one log per emulated CPU; a set-up or build failure
# (exit status 2) counts as a broken configuration.
echo "=== aarch64 (qemu)"
bash scripts/test-arm.sh "$PREFIX-arm"
case $? in
0) ;;
1) status=1 ;;
*) broken=$((broken + 1)) ;;
esac
for log in "$PREFIX-arm"/meson-logs/testlog-*.json; do
    [ -f "$log" ] && logs+=("$log")
done

/usr/bin/python3 scripts/count-tests.py --broken "$broken" "${logs[@]}" || status=1
exit $status
