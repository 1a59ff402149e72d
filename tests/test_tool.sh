#!/bin/sh
# Checks the softmax command-line tool end to end.
# Usage: sh tests/test_tool.sh path/to/softmax
# Exits 0 if every check passes; otherwise names the first failing check.
set -eu

tool=${1:?usage: test_tool.sh path/to/softmax}
[ -x "$tool" ] || { echo "test_tool.sh: FAIL: '$tool' is not executable" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
checks=0

fail() {
    printf 'test_tool.sh: FAIL: %s\n' "$*" >&2
    if [ -s "$tmp/err" ]; then
        printf '  stderr was: %s\n' "$(cat "$tmp/err")" >&2
    fi
    exit 1
}

pass() { checks=$((checks + 1)); }

# run_in INPUT ARGS...: runs the tool with INPUT as stdin; sets $status and
# leaves stdout in $tmp/out and stderr in $tmp/err.
run_in() {
    input=$1
    shift
    set +e
    "$tool" "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
    status=$?
    set -e
}

run() { run_in /dev/null "$@"; }

# Asserts the last run's exit status.
want_status() { # NAME STATUS
    [ "$status" -eq "$2" ] || fail "$1: exit status $status, expected $2"
}

# Asserts the last run's stdout, byte for byte (each line ends in \n).
want_out() { # NAME EXPECTED
    printf '%s\n' "$2" >"$tmp/want"
    cmp -s "$tmp/want" "$tmp/out" ||
        fail "$1: expected output '$2', got '$(cat "$tmp/out")'"
}

want_no_out() { # NAME
    [ ! -s "$tmp/out" ] || fail "$1: expected no output, got '$(cat "$tmp/out")'"
}

want_err() { # NAME TEXT: stderr contains TEXT
    grep -qF -- "$2" "$tmp/err" || fail "$1: stderr lacks '$2'"
}

# expect NAME EXPECTED ARGS...: exit 0 and exactly EXPECTED on stdout.
expect() {
    name=$1 want=$2
    shift 2
    run "$@"
    want_status "$name" 0
    want_out "$name" "$want"
    pass
}

# expect_usage NAME ARGS...: exit 2, a message, nothing on stdout.
expect_usage() {
    name=$1
    shift
    run "$@"
    want_status "$name" 2
    want_no_out "$name"
    [ -s "$tmp/err" ] || fail "$name: no message on stderr"
    pass
}

seed_in='1 2 3 4 1 2 3'
seed_out='0.023641 0.064262 0.174681 0.474833 0.023641 0.064262 0.174681'

# ---- values -----------------------------------------------------------------
expect 'seed example' "$seed_out" $seed_in
expect '--temperature 10' '0.125 0.138 0.153 0.169 0.125 0.138 0.153' \
    --temperature 10 --precision 3 $seed_in
expect '--beta 0.1 equals --temperature 10' \
    '0.125 0.138 0.153 0.169 0.125 0.138 0.153' --beta 0.1 -p 3 $seed_in
expect 'softmax 1 2 8' '0.001 0.002 0.997' --precision 3 1 2 8
expect 'softmax 0 10 keeps 5e-05 readable' '0.000045 0.999955' 0 10
expect '--op log-softmax' '-2.407606 -1.407606 -0.407606' --op log-softmax 1 2 3
expect '--op logsumexp' '4.744792' --op logsumexp $seed_in
expect 'options after the numbers' '0.269 0.731' 1 2 -p 3
expect 'negative numbers are not options' '0.731 0.269 0.000' -p 3 -1 -2 -inf
expect 'numbers after --' '0.269 0.731' -p 3 -- -2 -1
expect 'one argument holding several numbers' '0.090031 0.244728 0.665241' '1,2' 3
expect 'temperature 0 is hardmax, ties split' '0.000000 0.500000 0.500000' \
    -t 0 1 3 3
expect 'negative beta favours the smallest' '0.731 0.269' -p 3 -b -1 1 2
expect 'NaN in a row makes the row NaN' 'nan nan' nan 1
expect '--format g shows tiny values' '2.06115e-09 1' --format g 0 20
expect '--format e' '2.69e-01 7.31e-01' --format e -p 2 1 2
expect '--precision 0' '0 1' -p 0 0 10
# The fast exp is within a few ulp of SLEEF's: 6 decimals cannot tell.
expect '--fast-exp' "$seed_out" --fast-exp $seed_in
expect '--fast-exp --op logsumexp' '4.744792' --fast-exp --op logsumexp $seed_in

# ---- rows from stdin and files ----------------------------------------------
printf '1,2,3\n\n  4, 5\t6 \r\n1 2 3 4 1 2 3\n' >"$tmp/rows"
rows_out="0.090031 0.244728 0.665241
0.090031 0.244728 0.665241
$seed_out"
run_in "$tmp/rows"
want_status 'stdin rows' 0
want_out 'stdin rows (commas, tabs, blank line, CRLF)' "$rows_out"
pass
run_in "$tmp/rows" -
want_out "stdin via '-'" "$rows_out"
pass
run --file "$tmp/rows"
want_status '--file' 0
want_out '--file' "$rows_out"
pass
run_in "$tmp/rows" --op logsumexp
want_out 'logsumexp per row' '3.407606
6.407606
4.744792'
pass
printf '1 2\n1 2 3 4 5\n7\n' >"$tmp/ragged"
run_in "$tmp/ragged" -p 3
want_out 'rows of different lengths' '0.269 0.731
0.012 0.032 0.086 0.234 0.636
1.000'
pass

: >"$tmp/empty"
run_in "$tmp/empty"
want_status 'empty input' 0
want_no_out 'empty input'
pass
printf '\n  \n,\n' >"$tmp/blank"
run_in "$tmp/blank"
want_status 'blank lines only' 0
want_no_out 'blank lines only'
pass

# One long line, and many rows.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%d ", i % 13; print "" }' \
    >"$tmp/long"
run_in "$tmp/long"
want_status 'long line' 0
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail 'long line: expected one output line'
[ "$(wc -w <"$tmp/out")" -eq 100000 ] || fail 'long line: expected 100000 values'
pass
awk 'BEGIN { for (r = 0; r < 5000; r++) print r % 5, "1,2" }' >"$tmp/many"
run_in "$tmp/many" --op logsumexp
want_status 'many rows' 0
[ "$(wc -l <"$tmp/out")" -eq 5000 ] || fail 'many rows: expected 5000 lines'
pass

# ---- bad input ----------------------------------------------------------------
printf '1 2 3\n4 abc 6\n7 8 9\n' >"$tmp/bad"
run_in "$tmp/bad"
want_status 'bad token' 2
want_err 'bad token' "line 2, column 3: invalid number 'abc'"
want_out 'bad token: rows before it only' '0.090031 0.244728 0.665241'
pass
printf '1,2\n0.5, 1e-3,x7, 4\n' >"$tmp/bad2"
run_in "$tmp/bad2" --op logsumexp
want_status 'bad token after commas' 2
want_err 'bad token after commas' "line 2, column 11: invalid number 'x7'"
want_out 'bad token after commas: rows before it only' '2.313262'
pass
run 1 abc
want_status 'bad number argument' 2
want_err 'bad number argument' "argument 2, column 1: invalid number 'abc'"
want_no_out 'bad number argument'
pass
run --file "$tmp/does-not-exist"
want_status 'missing file' 1
want_err 'missing file' 'does-not-exist'
pass

# ---- options ----------------------------------------------------------------
expect_usage '--beta with --temperature' --beta 2 --temperature 0.5 1 2
expect_usage '--temperature nan' --temperature nan 1 2
expect_usage '--temperature abc' --temperature abc 1 2
expect_usage '--beta empty' --beta '' 1 2
expect_usage '--op bogus' --op bogus 1 2
expect_usage '--precision x' --precision x 1 2
expect_usage '--precision -1' --precision -1 1 2
expect_usage '--format z' --format z 1 2
expect_usage 'unknown option' --bogus 1 2
expect_usage 'missing option value' 1 2 --precision
expect_usage 'numbers and --file together' --file "$tmp/rows" 1 2

expect '--isa scalar' "$seed_out" --isa scalar $seed_in
expect '--isa auto' "$seed_out" --isa auto $seed_in
expect_usage '--isa bogus' --isa bogus $seed_in
want_err '--isa bogus names the supported ISAs' 'scalar'

run --help
want_status '--help' 0
grep -q '^Usage: softmax' "$tmp/out" || fail '--help: no usage line'
grep -q 'Exit status' "$tmp/out" || fail '--help: exit statuses not documented'
pass
run --version
want_status '--version' 0
grep -q '^softmax [0-9]' "$tmp/out" || fail '--version: no version'
pass

# ---- --info and ISAs --------------------------------------------------------
set +e
SOFTMAX_ISA=scalar "$tool" --info >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
want_status 'SOFTMAX_ISA=scalar --info' 0
grep -qx 'active: scalar' "$tmp/out" || fail 'SOFTMAX_ISA=scalar --info: no "active: scalar"'
grep -qx 'SOFTMAX_ISA: scalar' "$tmp/out" || fail 'SOFTMAX_ISA=scalar --info: no "SOFTMAX_ISA: scalar"'
pass
run --isa scalar --info
grep -qx 'active: scalar' "$tmp/out" || fail '--isa scalar --info: no "active: scalar"'
grep -qx 'forced: scalar' "$tmp/out" || fail '--isa scalar --info: no "forced: scalar"'
pass
run --info
want_status '--info' 0
for key in 'library version' 'header version' 'cpu features' supported active \
    forced SOFTMAX_ISA; do
    grep -q "^$key: " "$tmp/out" || fail "--info: no '$key:' line"
done
supported=$(sed -n 's/^supported: //p' "$tmp/out")
case " $supported " in
*' scalar '*) ;;
*) fail "--info: scalar missing from supported ISAs '$supported'" ;;
esac
pass

run --fast-exp --info
want_status '--fast-exp --info' 0
grep -q '^active: ' "$tmp/out" || fail '--fast-exp --info: no "active:" line'
pass

# The library promises the same bits on every ISA, in either exp mode:
# print 9 significant digits (enough to tell any two floats apart) and
# compare with scalar in the same mode.
printf '1 2 3 4 1 2 3\n-1e3 0.5 88 -inf 3.25\n0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2,1.3,1.4,1.5,1.6,1.7\n' \
    >"$tmp/mixed"
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "%.3f ", (i * 7919 % 1000) / 37.0; print "" }' \
    >>"$tmp/mixed"
for mode in sleef fast-exp; do
    flag=
    [ "$mode" = sleef ] || flag=--fast-exp
    for op in softmax log-softmax logsumexp; do
        # $flag is unquoted: empty, it must vanish rather than be an argument.
        run_in "$tmp/mixed" --isa scalar $flag --op "$op" -t 0.7 --format e -p 8
        want_status "--isa scalar $flag --op $op" 0
        mv "$tmp/out" "$tmp/scalar-$mode-$op"
        for isa in $supported; do
            run_in "$tmp/mixed" --isa "$isa" $flag --op "$op" -t 0.7 --format e -p 8
            want_status "--isa $isa $flag --op $op" 0
            cmp -s "$tmp/scalar-$mode-$op" "$tmp/out" ||
                fail "--isa $isa $flag --op $op: output differs from scalar"
        done
        pass
    done
done
# --fast-exp must reach the library: over these 1000-odd values the two
# exps round at least one result differently.
differ=no
for op in softmax log-softmax logsumexp; do
    cmp -s "$tmp/scalar-sleef-$op" "$tmp/scalar-fast-exp-$op" || differ=yes
done
[ "$differ" = yes ] || fail "--fast-exp: every result equals the default mode's"
pass

# ---- softmax bench ----------------------------------------------------------
# One row per (op, ISA, exp mode), each with one positive figure per size.
run bench --seconds 0.3 --sizes 100,1000
want_status 'bench' 0
grep -q '^libsoftmax .*active ISA: ' "$tmp/out" || fail 'bench: no header line'
grep -Eq '^op +isa +exp +n=100 +n=1000 ' "$tmp/out" || fail 'bench: no table header'
n_isas=$(printf '%s\n' $supported | wc -l)
awk -v isas=" $supported " '
    $1 ~ /^(softmax|log-softmax|logsumexp)$/ {
        rows++
        if (NF != 5 || index(isas, " " $2 " ") == 0 ||
            ($3 != "sleef" && $3 != "fast-exp") || seen[$1, $2, $3]++) {
            print "bad row: " $0; bad = 1; exit 1
        }
        for (i = 4; i <= 5; i++)
            if ($i !~ /^[0-9]+(\.[0-9]+)?$/ || $i + 0 <= 0) {
                print "bad cell: " $0; bad = 1; exit 1
            }
    }
    END {
        if (bad) exit 1
        if (rows != 3 * 2 * '"$n_isas"') { print rows + 0 " rows"; exit 1 }
    }
' "$tmp/out" >"$tmp/why" || fail "bench: $(cat "$tmp/why") in: $(cat "$tmp/out")"
pass
run bench --seconds 0.05 --sizes 10 --op logsumexp --isa scalar
want_status 'bench --op --isa' 0
[ "$(grep -c '^logsumexp  *scalar ' "$tmp/out")" -eq 2 ] ||
    fail "bench --op logsumexp --isa scalar: expected 2 rows, got: $(cat "$tmp/out")"
pass
expect_usage 'bench --op bogus' bench --op bogus
expect_usage 'bench --isa bogus' bench --isa bogus
expect_usage 'bench --sizes 0' bench --sizes 0
expect_usage 'bench --sizes 10,' bench --sizes 10,
expect_usage 'bench --seconds 0' bench --seconds 0
expect_usage 'bench operand' bench 1 2
run bench --help
want_status 'bench --help' 0
grep -q '^Usage: softmax bench' "$tmp/out" || fail 'bench --help: no usage line'
pass

# ---- output errors ----------------------------------------------------------
if [ -w /dev/full ]; then
    set +e
    "$tool" 1 2 >/dev/full 2>"$tmp/err"
    status=$?
    set -e
    want_status 'writing to a full disk' 1
    want_err 'writing to a full disk' 'write error'
    pass
    set +e
    "$tool" bench --seconds 0.05 --sizes 10 >/dev/full 2>"$tmp/err"
    status=$?
    set -e
    want_status 'bench writing to a full disk' 1
    want_err 'bench writing to a full disk' 'write error'
    pass
fi

echo "test_tool.sh: all $checks checks passed"
