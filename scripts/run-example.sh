#!/usr/bin/env bash
# The main job: install what is missing, build, and run the softmax tool on
# the seed example, then show what the dispatcher sees on this machine.
# Usage: bash scripts/run-example.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
BUILD=${1:-build}

# shellcheck disable=SC2086
sm_install_deps $SM_BUILD_DEPS
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" -Dtests=false -Dbenchmarks=disabled >/dev/null
meson compile -C "$BUILD" >/dev/null

echo "\$ softmax 1 2 3 4 1 2 3"
"$BUILD/tools/softmax" 1 2 3 4 1 2 3
echo "\$ softmax --temperature 10 1 2 3 4 1 2 3"
"$BUILD/tools/softmax" --temperature 10 1 2 3 4 1 2 3
echo "\$ softmax --info"
"$BUILD/tools/softmax" --info
