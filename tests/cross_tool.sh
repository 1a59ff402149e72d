#!/bin/sh
# Runs test_tool.sh on a cross-built tool: a small executable script that
# starts the tool under the emulator stands in for it.
# Usage: cross_tool.sh TEST_TOOL_SH TOOL WRAPPER...
set -eu
script=${1:?usage: cross_tool.sh TEST_TOOL_SH TOOL WRAPPER...}
tool=${2:?usage: cross_tool.sh TEST_TOOL_SH TOOL WRAPPER...}
shift 2
[ "$#" -gt 0 ] || { echo "cross_tool.sh: no wrapper given" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# Single-quote each word; a ' inside becomes '\''.
quote() { printf "'%s' " "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    printf '#!/bin/sh\nexec '
    for word in "$@" "$tool"; do quote "$word"; done
    printf '"$@"\n'
} >"$tmp/softmax"
chmod +x "$tmp/softmax"
sh "$script" "$tmp/softmax"
