#!/bin/sh
# Exported ABI of the shared library ($1 = path to libsoftmax.so):
#  - every dynamic symbol it defines starts with sm_;
#  - every function declared SM_API in include/softmax.h is exported, and
#    nothing else with the sm_ prefix is (no internal helper leaks);
#  - every one carries the version node of src/softmax.map (SOFTMAX_0.2)
#    as its default version;
#  - the SONAME is libsoftmax.so.0.2.
set -eu

lib=${1:?usage: check_exports.sh path/to/libsoftmax.so}
header="$(dirname "$0")/../include/softmax.h"
fail=0

die() { echo "check_exports: $*" >&2; exit 1; }

[ -f "$lib" ] || die "no such library: $lib"
[ -f "$header" ] || die "header not found: $header"
command -v nm >/dev/null 2>&1 || die "nm not found (binutils)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

node=SOFTMAX_0.2
want_soname=libsoftmax.so.0.2

# Defined dynamic symbols, names only (version suffixes stripped), without
# the version node itself (an absolute symbol named after it).
nm -D --defined-only "$lib" > "$tmp/nm.out" || die "nm -D failed on $lib"
awk 'NF >= 3 { print $3 } NF == 2 { print $2 }' "$tmp/nm.out" |
    grep -v "^$node\$" > "$tmp/versioned" || true
sed 's/@.*//' "$tmp/versioned" | sort -u > "$tmp/exported"
[ -s "$tmp/exported" ] || die "$lib exports no symbols at all"

# 1. Only sm_ symbols.
grep -v '^sm_' "$tmp/exported" > "$tmp/offenders" || true
if [ -s "$tmp/offenders" ]; then
    echo "FAIL: exported symbols without the sm_ prefix:" >&2
    sed 's/^/    /' "$tmp/offenders" >&2
    fail=1
fi

# 2. The SM_API functions of the public header: each declaration names its
# function on the SM_API line ("SM_API <type> sm_name(...").
grep '^SM_API[[:space:]]' "$header" > "$tmp/api_lines" || true
sed -n 's/^SM_API[^(]*[^A-Za-z0-9_]\(sm_[A-Za-z0-9_]*\)[[:space:]]*(.*/\1/p' \
    "$tmp/api_lines" | sort -u > "$tmp/declared"
n_lines=$(wc -l < "$tmp/api_lines")
n_decl=$(wc -l < "$tmp/declared")
if [ "$n_decl" -eq 0 ]; then
    die "no SM_API function found in $header (parser out of date?)"
fi
if [ "$n_lines" -ne "$n_decl" ]; then
    echo "FAIL: $n_lines SM_API lines in $header but $n_decl function names parsed:" >&2
    sed 's/^/    /' "$tmp/api_lines" >&2
    fail=1
fi

comm -23 "$tmp/declared" "$tmp/exported" > "$tmp/missing"
if [ -s "$tmp/missing" ]; then
    echo "FAIL: declared SM_API in softmax.h but not exported:" >&2
    sed 's/^/    /' "$tmp/missing" >&2
    fail=1
fi
grep '^sm_' "$tmp/exported" | comm -13 "$tmp/declared" - > "$tmp/extra" || true
if [ -s "$tmp/extra" ]; then
    echo "FAIL: exported sm_ symbols that softmax.h does not declare (internal leaks):" >&2
    sed 's/^/    /' "$tmp/extra" >&2
    fail=1
fi

# 3. Every symbol versioned: name@@SOFTMAX_0.2 (the node is what a 0.1
# program's unversioned or differently versioned references cannot bind to).
grep -v "@@$node\$" "$tmp/versioned" > "$tmp/unversioned" || true
if [ -s "$tmp/unversioned" ]; then
    echo "FAIL: exported symbols without the default version $node:" >&2
    sed 's/^/    /' "$tmp/unversioned" >&2
    fail=1
fi

# 4. SONAME.
if command -v readelf >/dev/null 2>&1; then
    soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
elif command -v objdump >/dev/null 2>&1; then
    soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
else
    die "neither readelf nor objdump found"
fi
if [ "$soname" != "$want_soname" ]; then
    echo "FAIL: SONAME is '${soname}', expected '$want_soname'" >&2
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "check_exports: ok: $n_decl sm_ functions exported, all as @@$node, nothing else; SONAME $soname"
