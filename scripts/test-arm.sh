#!/usr/bin/env bash
# Cross-builds libsoftmax for aarch64 (Debian's cross gcc, multiarch arm64
# libraries) and runs its tests under qemu-user:
#  - the whole suite but threads-api (below) at qemu's default CPU
#    ("max": SVE at 512 bits, which the dispatch test asserts);
#  - the suites whose code depends on the vector length (kernels,
#    gradients, losses, decoding, sampling, the online state, attention,
#    sparsemax and hardmax, entmax, reproducibility, dispatch) with SVE at
#    128, 256 and 2048 bits, testing the SVE kernels only (SM_TEST_ISAS=sve: NEON
#    and scalar code do not depend on the vector length; tests of
#    ISA-independent code, such as the long-double references, run once,
#    in the first run; the comparisons with scalar take fewer betas and
#    long rows, still every op and tail);
#  - detection alone (the dispatch suite) with SVE off and on a
#    Cortex-A72: the NEON kernels are the same code on every CPU and the
#    first run tests them.
# Each run tells test_dispatch what detection must find (the supported ISAs,
# SVE's vector length), so the dispatcher cannot pass by falling back.
# Under qemu the suites trim their largest cases (SM_TEST_QUICK, set by
# meson for cross builds).
# Installs the Debian packages it needs (as root, or with sudo). Fails if
# any test fails, is skipped, or a run runs no test. Exit status: 0 pass,
# 1 test failures, 2 set-up or build failure.
# Usage: bash scripts/test-arm.sh [build-dir]   (default build-arm; wiped)
# Leaves BUILD/meson-logs/testlog-<run>.json for scripts/count-tests.py.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
BUILD=${1:-build-arm}
t_start=$SECONDS

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64 || exit 2
fi
# shellcheck disable=SC2086
sm_install_deps meson ninja-build pkg-config python3 binutils \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
    libsleef-dev:arm64 libcpu-features-dev:arm64 libcmocka-dev:arm64 || exit 2
t_deps=$SECONDS

rm -rf "$BUILD"
mkdir -p "$BUILD" || exit 2
if ! meson setup "$BUILD" --cross-file scripts/aarch64-linux-gnu.ini \
        >"$BUILD/setup.log" 2>&1; then
    cat "$BUILD/setup.log"; echo "aarch64 setup failed"; exit 2
fi
if ! meson compile -C "$BUILD" >"$BUILD/build.log" 2>&1; then
    cat "$BUILD/build.log"; echo "aarch64 build failed"; exit 2
fi
t_build=$SECONDS

status=0
# run NAME QEMU_CPU SUPPORTED SVE_BITS TEST_ISAS [meson test args...]
run() {
    local name=$1 cpu=$2 supported=$3 bits=$4 isas=$5 t=$SECONDS
    shift 5
    echo "=== aarch64 $name: QEMU_CPU=${cpu:-(qemu default)}, expecting $supported"
    (
        if [ -n "$cpu" ]; then export QEMU_CPU=$cpu; else unset QEMU_CPU; fi
        export SM_EXPECT_SUPPORTED=$supported SM_EXPECT_SVE_BITS=$bits \
            SM_TEST_ISAS=$isas
        meson test -C "$BUILD" --no-rebuild --print-errorlogs \
            --num-processes 2 --logbase "testlog-$name" "$@"
    ) || status=1
    # A run that skipped a test or ran none passes silently otherwise.
    local summary
    summary=$(python3 scripts/count-tests.py "$BUILD/meson-logs/testlog-$name.json")
    case $summary in
    *skipped* | "0 passed"*) echo "aarch64 $name: $summary: not acceptable"; status=1 ;;
    esac
    echo "--- aarch64 $name: $summary in $((SECONDS - t)) s"
}

# The tests whose code depends on the vector length or the CPU model.
mapfile -t matrix < <(meson test -C "$BUILD" --no-rebuild --list 2>/dev/null |
    sed -n 's|^[^ ]* / ||p' | grep -E '^(kernels|backward|loss|decode|sample|penalties|speculative|gumbel|gumbel-softmax|state|attention|sparse|entmax|repro|dispatch-.*)$')
if [ "${#matrix[@]}" -lt 22 ]; then
    echo "aarch64: the matrix found only: ${matrix[*]}"; exit 2
fi
# threads-api tests the threading code, which is the same C on every ISA;
# under qemu-user its pool's threads run one at a time and take minutes.
# The x86-64 builds run it natively and under the sanitizers.
mapfile -t all_but_threads < <(meson test -C "$BUILD" --no-rebuild --list 2>/dev/null |
    sed -n 's|^[^ ]* / ||p' | grep -vx 'threads-api')
run default "" "scalar neon sve" 512 "" "${all_but_threads[@]}"
run sve128 max,sve-default-vector-length=16 "scalar neon sve" 128 sve "${matrix[@]}"
run sve256 max,sve-default-vector-length=32 "scalar neon sve" 256 sve "${matrix[@]}"
run sve2048 max,sve-default-vector-length=256 "scalar neon sve" 2048 sve "${matrix[@]}"
run sve-off max,sve=off "scalar neon" 0 "" --suite dispatch
run cortex-a72 cortex-a72 "scalar neon" 0 "" --suite dispatch

echo "aarch64 timing: packages $((t_deps - t_start)) s, build $((t_build - t_deps)) s," \
     "tests $((SECONDS - t_build)) s, total $((SECONDS - t_start)) s"
exit $status
