#!/bin/sh
# Downstream use of an installed libsoftmax: stage `meson install` into a
# temporary DESTDIR, build tests/consumer.c with `pkg-config softmax` from
# that staged tree only, run it against the staged shared library and check
# its output.
#   $1 = meson build root, $2 = path to tests/consumer.c
set -eu

build=${1:?usage: consumer_test.sh BUILD_ROOT CONSUMER_C}
src=${2:?usage: consumer_test.sh BUILD_ROOT CONSUMER_C}

die() { echo "consumer_test: FAIL: $*" >&2; exit 1; }

command -v pkg-config >/dev/null 2>&1 ||
    die "pkg-config is not installed; it is required to test the installed softmax.pc"
if [ -n "${MESON:-}" ]; then
    meson_cmd=$MESON
elif command -v meson >/dev/null 2>&1; then
    meson_cmd=meson
else
    die "meson not found in PATH (set MESON to its path)"
fi
cc_cmd=${CC:-cc}
command -v "$cc_cmd" >/dev/null 2>&1 || die "C compiler '$cc_cmd' not found"
[ -f "$src" ] || die "no such file: $src"
[ -d "$build" ] || die "no such build directory: $build"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/softmax-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
stage=$tmp/stage

# 1. Stage the install.
$meson_cmd install -C "$build" --destdir "$stage" --no-rebuild --quiet \
    > "$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log" >&2
    die "meson install into $stage failed"
}

# 2. The staged tree has the header, the versioned shared library and the
# static library.
header=$(find "$stage" -path '*/include/softmax.h' | head -n 1)
[ -n "$header" ] || die "staged tree lacks include/softmax.h"
so=$(find "$stage" -name 'libsoftmax.so.0.2' | head -n 1)
[ -n "$so" ] || die "staged tree lacks libsoftmax.so.0.2"
[ -e "$so" ] || die "$so is a dangling symlink"
find "$stage" -name 'libsoftmax.a' | grep -q . || die "staged tree lacks libsoftmax.a"
pc=$(find "$stage" -name softmax.pc | head -n 1)
[ -n "$pc" ] || die "staged tree lacks softmax.pc"
libdir=$(dirname "$so")

# 3. pkg-config, seeing the staged .pc first and mapping its paths into the
# stage. System paths are kept in the flags so the staged ones always show.
PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
PKG_CONFIG_SYSROOT_DIR=$stage
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS \
    PKG_CONFIG_ALLOW_SYSTEM_LIBS

pkg-config --exists softmax || die "pkg-config cannot find softmax in $(dirname "$pc")"
cflags=$(pkg-config --cflags softmax) || die "pkg-config --cflags softmax failed"
libs=$(pkg-config --libs softmax) || die "pkg-config --libs softmax failed"
case " $cflags " in
*" -I$stage/"*) ;;
*) die "pkg-config --cflags does not point into the stage: '$cflags'" ;;
esac
case " $libs " in
*" -L$stage/"*) ;;
*) die "pkg-config --libs does not point into the stage: '$libs'" ;;
esac

want_version=$(sed -n 's/^#define SM_VERSION_STRING "\(.*\)"$/\1/p' "$header")
[ -n "$want_version" ] || die "no SM_VERSION_STRING in $header"
pc_version=$(pkg-config --modversion softmax)
[ "$pc_version" = "$want_version" ] ||
    die "softmax.pc says version $pc_version, the header $want_version"

# 4. Build the consumer: warning-free C11 against the installed header. A
# sanitized build (-Db_sanitize=...) installs an instrumented library, whose
# runtime the program must then link first.
san=$($meson_cmd introspect "$build" --buildoptions 2>/dev/null | tr '{' '\n' |
      sed -n 's/.*"name": "b_sanitize".*"value": "\([^"]*\)".*/\1/p')
san_flags=
case "${san:-none}" in
none | "") ;;
*) san_flags="-fsanitize=$san" ;;
esac
# shellcheck disable=SC2086 # pkg-config output is meant to be split
"$cc_cmd" -std=c11 -Wall -Wextra -Werror $san_flags -o "$tmp/consumer" "$src" \
    $cflags $libs -lm > "$tmp/cc.log" 2>&1 || {
    cat "$tmp/cc.log" >&2
    die "building $src against the staged install failed"
}

# 5. Run it against the staged shared library.
if command -v ldd >/dev/null 2>&1; then
    loaded=$(LD_LIBRARY_PATH="$libdir" ldd "$tmp/consumer" | grep 'libsoftmax' || true)
    case "$loaded" in
    *"$libdir/libsoftmax.so.0.2"*) ;;
    *) die "consumer does not load the staged library: '$loaded'" ;;
    esac
fi
status=0
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$tmp/consumer" > "$tmp/out" 2> "$tmp/err" || status=$?
if [ "$status" -ne 0 ]; then
    cat "$tmp/out" "$tmp/err" >&2
    die "consumer exited with status $status"
fi
cat "$tmp/out"

want_values="softmax: 0.024 0.064 0.175 0.475 0.024 0.064 0.175"
got_values=$(sed -n 's/^softmax: /softmax: /p' "$tmp/out")
[ "$got_values" = "$want_values" ] ||
    die "values: got '$got_values', want '$want_values'"
got_version=$(sed -n 's/^version: //p' "$tmp/out")
[ "$got_version" = "$want_version" ] ||
    die "version: got '$got_version', want '$want_version'"

echo "consumer_test: ok (staged prefix $(dirname "$(dirname "$header")" | sed "s|^$stage||"))"
