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
expect '--op argmax: the first of tied maxima' '1' --op argmax 1 3 2 3
expect '--op argmax -b -1: the first minimum' '2' --op argmax -b -1 1 3 -2 3 -2
expect '--op argmax -b 0: every entry as likely, the first' '0' --op argmax -b 0 1 3
expect '--op argmax: a NaN row gives its first NaN' '1' --op argmax 1 nan 5 nan
expect '--op argmax of a fully masked row' '0' --op argmax -- -inf -inf
expect_usage 'softmax bench --op argmax' bench --op argmax

# ---- sparsemax and hardmax ----------------------------------------------------
expect '--op sparsemax: two survive' '0.600000 0.400000 0.000000' --op sparsemax 1 0.8 0.1
expect '--op sparsemax: one survivor' '0.000000 1.000000 0.000000' --op sparsemax 0 3 1
expect '--op sparsemax -b 0: uniform' '0.250000 0.250000 0.250000 0.250000' \
    --op sparsemax -b 0 1 2 3 4
expect '--op sparsemax -t 0: hardmax' '0.000000 0.500000 0.500000' --op sparsemax -t 0 1 5 5
expect '--op sparsemax: +inf entries share' '0.500000 0.000000 0.500000' \
    --op sparsemax -- inf 2 inf
expect '--op sparsemax: a NaN row' 'nan nan' --op sparsemax 1 nan
expect '--op hardmax: ties split' '0.000000 0.500000 0.500000' --op hardmax 1 5 5
expect '--op hardmax -b -1: hardmin' '0.500000 0.000000 0.500000' --op hardmax -b -1 1 5 1
expect '--op hardmax: all -inf' '0.000000 0.000000' --op hardmax -- -inf -inf
run --op hardmax -b 0 1 2
want_status '--op hardmax -b 0: the library refuses beta 0' 1
want_err '--op hardmax -b 0' 'invalid'
pass
expect '--op sparsemax --grad: p, then beta (dy - mean_S dy) on S' '0.600000 0.400000 0.000000
-0.500000 0.500000 0.000000' --op sparsemax --grad --upstream 1,2,7 1 0.8 0.1
expect '--op sparsemax --grad -b 2' '0.700000 0.300000 0.000000
-1.000000 1.000000 0.000000' --op sparsemax -b 2 --grad --upstream 1,2,7 1 0.8 0.1
printf '1 0.8 0.1\n0 0 0 0\n' >"$tmp/sparse_x"
printf '1 2 7\n4 0 0 0\n' >"$tmp/sparse_dy"
run --op sparsemax --grad --upstream "$tmp/sparse_dy" --file "$tmp/sparse_x"
want_status '--op sparsemax --grad, rows from files' 0
want_out '--op sparsemax --grad, rows from files' '0.600000 0.400000 0.000000
-0.500000 0.500000 0.000000
0.250000 0.250000 0.250000 0.250000
3.000000 -1.000000 -1.000000 -1.000000'
pass
expect_usage '--op sparsemax --grad without --upstream' --op sparsemax --grad 1 2
expect_usage '--upstream without --grad' --op sparsemax --upstream 1,2 1 2
expect_usage '--upstream with --op softmax' --op softmax --grad --upstream 1,2 1 2
expect_usage '--grad with --op hardmax' --op hardmax --grad 1 2
run --op sparsemax --grad --upstream 1,2,3 1 2
want_status '--upstream row of another length' 2
want_err '--upstream row of another length' 'upstream'
pass
printf '1 2\n' >"$tmp/one_dy"
run --op sparsemax --grad --upstream "$tmp/one_dy" --file "$tmp/sparse_x"
want_status '--upstream with fewer rows' 2
want_err '--upstream with fewer rows' 'upstream'
pass

# ---- entmax --------------------------------------------------------------------
# 1.5-entmax of (1, 0.8, 0.1): t = (0, -0.1, -0.45), all in the support,
# tau = mean - sqrt((1 - sum (t - mean)^2) / 3) = -0.727494
expect '--op entmax: alpha 1.5 by default' '0.529248 0.393749 0.077003' --op entmax 1 0.8 0.1
expect '--op entmax --alpha 2: sparsemax' '0.600000 0.400000 0.000000' --op entmax --alpha 2 1 0.8 0.1
expect '--op entmax --alpha 1.25' '0.484180 0.378119 0.137701' --op entmax --alpha 1.25 1 0.8 0.1
expect '--op entmax: one survivor' '0.000000 1.000000 0.000000' --op entmax 0 3 1
expect '--op entmax -b 0: uniform' '0.250000 0.250000 0.250000 0.250000' \
    --op entmax -b 0 1 2 3 4
expect '--op entmax: +inf entries share' '0.500000 0.000000 0.500000' \
    --op entmax -- inf 2 inf
expect '--op entmax: a NaN row' 'nan nan' --op entmax 1 nan
# s = sqrt(p), dx = s (dy - sum s dy / sum s)
expect '--op entmax --grad' '0.529248 0.393749 0.077003
-1.021604 -0.253682 1.275286' --op entmax --grad --upstream 1,2,7 1 0.8 0.1
expect '--op entmax --alpha 2 --grad: sparsemax backward' '0.600000 0.400000 0.000000
-0.500000 0.500000 0.000000' --op entmax --alpha 2 --grad --upstream 1,2,7 1 0.8 0.1
expect_usage '--alpha 1' --op entmax --alpha 1 1 2
expect_usage '--alpha inf' --op entmax --alpha inf 1 2
expect_usage '--alpha nan' --op entmax --alpha nan 1 2
expect_usage '--alpha with --op softmax' --op softmax --alpha 1.5 1 2
expect_usage '--op entmax --grad without --upstream' --op entmax --grad 1 2
expect '--op top: ties to the lower index, log-softmax values' \
    '1:-0.917576 3:-0.917576 2:-1.917576 0:-2.917576' --op top 1 3 2 3
expect '--op top --top-n 2 -b -1: the smallest' '2:-0.061342 0:-3.061342' \
    --op top --top-n 2 -b -1 1 3 -2 3
expect '--op top: 5 by default' '6:-0.458 5:-1.458 4:-2.458 3:-3.458 2:-4.458' \
    --op top -p 3 1 2 3 4 5 6 7
expect '--op top: NaNs first, the row NaN' '0:nan 2:nan' --op top --top-n 2 nan 1 2
expect_usage '--top-n 0' --op top --top-n 0 1 2
# --pieces: through the online state; the seeds' example entry by entry
expect '--pieces 1: the seeds example' \
    '0.023641 0.064262 0.174681 0.474833 0.023641 0.064262 0.174681' \
    --pieces 1 1 2 3 4 1 2 3
expect '--pieces 3 --op log-softmax -b 0.1' \
    '-2.079817 -1.979817 -1.879817 -1.779817 -2.079817 -1.979817 -1.879817' \
    --pieces 3 --op log-softmax -b 0.1 1 2 3 4 1 2 3
expect '--pieces 2 --op logsumexp' '4.744792' --pieces 2 --op logsumexp 1 2 3 4 1 2 3
expect '--pieces 2: a masked piece' '0.000000 0.000000 0.500000 0.500000' \
    --pieces 2 -- -inf -inf 0 0
expect_usage '--pieces 0' --pieces 0 1 2
expect_usage '--pieces with --op argmax' --pieces 2 --op argmax 1 2
# --threads: a pool of N; the bits of one thread, here on a row of two chunks
awk 'BEGIN { srand(5); for (i = 0; i < 270000; i++)
             printf "%s%.4f", i ? " " : "", 10 * rand() - 5; print "" }' \
    >"$tmp/long"
for op in softmax log-softmax logsumexp; do
    run --op "$op" -p 9 --format e --file "$tmp/long"
    want_status "--op $op, a long row" 0
    cp "$tmp/out" "$tmp/one"
    run --threads 3 --op "$op" -p 9 --format e --file "$tmp/long"
    want_status "--threads 3 --op $op" 0
    cmp -s "$tmp/one" "$tmp/out" || fail "--threads 3 --op $op: other bits"
    pass
done
expect '--threads 2: a short row' '0.090031 0.244728 0.665241' --threads 2 1 2 3
expect_usage '--threads 0' --threads 0 1 2
expect_usage '--threads with --op argmax' --threads 2 --op argmax 1 2
expect_usage '--threads with --pieces' --threads 2 --pieces 2 1 2
expect '--op sample -t 0: the argmax, certainly' '1 1.000000' --op sample -t 0 1 3 2 3
expect '--op sample --top-k 1' '3 1.000000' --op sample --top-k 1 --seed 9 1 2 3 4
expect '--op sample --min-p 1: a maximum, half each' '3 0.500' \
    --op sample --min-p 1 --seed 3 -p 3 1 3 2 3
run --op sample --seed 12345 --draws 200 --top-k 3 1 2 3 4
want_status '--op sample --draws 200' 0
[ "$(wc -l <"$tmp/out")" -eq 200 ] || fail '--draws 200: not 200 lines'
awk '$1 < 1 || $1 > 3 { exit 1 }' "$tmp/out" || fail '--top-k 3: a token outside it'
cp "$tmp/out" "$tmp/draws1"
run --op sample --seed 12345 --draws 200 --top-k 3 1 2 3 4
cmp -s "$tmp/draws1" "$tmp/out" || fail '--op sample: the same seed drew differently'
run --op sample --seed 54321 --draws 200 --top-k 3 1 2 3 4
cmp -s "$tmp/draws1" "$tmp/out" && fail '--op sample: another seed drew the same 200'
pass
expect '--op gumbel -t 0: the argmax' '1' --op gumbel -t 0 1 3 2 3
run --op gumbel --seed 7 --draws 300 1 2 3 4
want_status '--op gumbel --draws 300' 0
[ "$(wc -l <"$tmp/out")" -eq 300 ] || fail '--op gumbel --draws 300: not 300 lines'
awk '$1 < 0 || $1 > 3 || NF != 1 { exit 1 }' "$tmp/out" || fail '--op gumbel: a bad line'
awk '{ n[$1]++ } END { if (n[3] < 120 || n[3] > 220) exit 1 }' "$tmp/out" ||
    fail '--op gumbel: token 3 (p 0.64) drawn far from 192 times in 300'
cp "$tmp/out" "$tmp/gumbel1"
run --op gumbel --seed 7 --draws 300 1 2 3 4
cmp -s "$tmp/gumbel1" "$tmp/out" || fail '--op gumbel: the same seed drew differently'
pass
expect_usage '--op gumbel --top-k 2' --op gumbel --top-k 2 1 2 3
# Gumbel-softmax: the soft sample's bits, the same on every ISA; the
# straight-through one-hot; the gradient through the soft sample.
expect '--op gumbel-softmax' '0.029415 0.000949 0.969636' \
    --op gumbel-softmax --tau 0.5 --seed 7 1 2 3
expect '--op gumbel-softmax --isa scalar' '0.029415 0.000949 0.969636' \
    --op gumbel-softmax --tau 0.5 --seed 7 --isa scalar 1 2 3
expect '--op gumbel-softmax --hard' '0.000000 0.000000 1.000000' \
    --op gumbel-softmax --tau 0.5 --seed 7 --hard 1 2 3
expect '--op gumbel-softmax --grad' '0.000000 0.000000 1.000000
0.057099 -0.000056 -0.057043' --op gumbel-softmax --tau 0.5 --seed 7 --hard \
    --grad --upstream 1,0,0 1 2 3
expect '--op gumbel-softmax of a fully masked row' '0.000000 0.000000' \
    --op gumbel-softmax --hard -- -inf -inf
run --op gumbel-softmax --hard --seed 3 --draws 400 1 2 3 4
want_status '--op gumbel-softmax --hard --draws 400' 0
awk 'NF != 4 || $1 + $2 + $3 + $4 != 1 { exit 1 }' "$tmp/out" ||
    fail '--op gumbel-softmax --hard: a row that is not one-hot'
n3=$(awk '$4 == 1' "$tmp/out" | wc -l)
[ "$n3" -gt 220 ] && [ "$n3" -lt 290 ] ||
    fail "--op gumbel-softmax --hard: entry 3 (p 0.64) chosen $n3 times in 400"
pass
expect_usage '--op gumbel-softmax --tau 0' --op gumbel-softmax --tau 0 1 2
expect_usage '--hard without --op gumbel-softmax' --op softmax --hard 1 2
expect_usage '--op gumbel-softmax --grad without --upstream' \
    --op gumbel-softmax --grad 1 2
expect_usage '--op gumbel-softmax --grad --draws 2' \
    --op gumbel-softmax --grad --upstream 1,1 --draws 2 1 2
expect_usage '--op gumbel-softmax --top-k 2' --op gumbel-softmax --top-k 2 1 2
run --op sample -- -inf -inf
want_status '--op sample of a fully masked row' 1
pass
expect_usage '--top-p 1.5' --op sample --top-p 1.5 1 2
expect_usage '--seed -1' --op sample --seed -1 1 2
expect_usage '--top-k without --op sample' --top-k 3 1 2
expect_usage '--top-n without --op top' --top-n 2 1 2
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
    for op in softmax log-softmax logsumexp argmax top sample sparsemax hardmax entmax; do
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

# ---- losses ---------------------------------------------------------------
# Reference values from awk's double-precision log and exp, at 6 decimals.
ref() { awk "BEGIN { printf \"%.6f\", $1 }"; }

expect 'cross-entropy of 1 2 3, label 2' '0.407606' --op cross-entropy --labels 2 1 2 3
# Without smoothing, weights or L2 it is minus log-softmax at the label,
# to the bit.
expect 'cross-entropy is minus log-softmax' '4.07605976e-01' \
    --op cross-entropy --labels 2 --format e -p 8 1 2 3
run --op log-softmax --format e -p 8 1 2 3
want_out 'log-softmax at the label' '-2.40760589e+00 -1.40760601e+00 -4.07605976e-01'
pass
# A margin m over K - 1 equal logits: loss ln(1 + (K - 1) e^-m).
for mk in '1 4' '2 4' '5 4' '3 10' '0.5 1000'; do
    set -- $mk
    row=$(awk -v m="$1" -v k="$2" 'BEGIN { printf "%s", m; for (i = 1; i < k; i++) printf ",0" }')
    expect "cross-entropy margin $1, K = $2" "$(ref "log(1 + ($2 - 1) * exp(-$1))")" \
        --op cross-entropy --labels 0 "$row"
done
expect 'cross-entropy --grad: p - onehot under the loss' '0.407606
0.090031 0.244728 -0.334759' --op cross-entropy --labels 2 --grad 1 2 3
expect 'entropy of a uniform row is ln K' "$(ref 'log(1000)')" \
    --op entropy "$(awk 'BEGIN { for (i = 1; i < 1000; i++) printf "0,"; print 0 }')"
expect 'entropy at beta 0 is ln K' "$(ref 'log(7)')" --op entropy -b 0 1 2 3 4 5 6 7
expect 'entropy --grad of a uniform row is 0' '1.386294
0.000000 0.000000 0.000000 0.000000' --op entropy --grad 5 5 5 5
expect 'KL of identical distributions is 0' '0.000e+00
0.000e+00 0.000e+00 0.000e+00 0.000e+00' \
    --op kl --targets 0.25,0.25,0.25,0.25 --grad --format e -p 3 7 7 7 7
expect 'KL(q || softmax(1 2 3))' "$(ref '0.2 * log(0.2 / 0.0900306) + 0.3 * log(0.3 / 0.2447285) + 0.5 * log(0.5 / 0.6652410)')" \
    --op kl --targets 0.2,0.3,0.5 1 2 3
expect 'soft cross-entropy with a one-hot target is cross-entropy' '0.407606' \
    --op soft-cross-entropy --targets 0,0,1 1 2 3
expect 'distill against itself is 0' '0.000000
0.000000 0.000000 0.000000' --op distill --teacher 1,2,3 -t 3 --grad 1 2 3
# T^2 KL at T = 2: q = softmax(1.5 1 0.5), p its reverse.
distill_ref=$(ref '4 * (exp(1.5) - exp(0.5)) / (exp(1.5) + exp(1) + exp(0.5))')
expect 'distill, T = 2' "$distill_ref" --op distill --teacher 3,2,1 -t 2 1 2 3
expect 'distill, beta = 1/T' "$distill_ref" --op distill --teacher 3,2,1 -b 0.5 1 2 3

printf '1 2 3\n\n3 2 1\n0 0 0\n' >"$tmp/logits"
printf '2\n0\n1\n' >"$tmp/labels"
ce_rows='0.407606
0.407606
1.098612'
run --op cross-entropy --labels "$tmp/labels" --file "$tmp/logits"
want_status 'cross-entropy rows' 0
want_out 'cross-entropy, labels from a file, one loss per row' "$ce_rows"
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1
want_out 'cross-entropy, a list of labels, rows from stdin' "$ce_rows"
pass
run_in "$tmp/labels" --op cross-entropy --labels - --file "$tmp/logits"
want_out 'cross-entropy, labels from stdin' "$ce_rows"
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1 --reduction sum
want_out '--reduction sum' "$(ref '2 * 0.40760596 + log(3)')"
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1 --reduction mean --grad
want_out '--reduction mean --grad: the loss, then every gradient row' '0.637941
0.030010 0.081576 -0.111586
-0.111586 0.081576 0.030010
0.111111 -0.222222 0.111111'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,-1,1 --ignore-index -1 --reduction mean
want_out '--ignore-index: left out of the mean' "$(ref '(0.40760596 + log(3)) / 2')"
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,-100,1 --grad
want_out 'an ignored row: loss 0, gradient 0' '0.407606
0.090031 0.244728 -0.334759
0.000000
0.000000 0.000000 0.000000
1.098612
0.333333 -0.666667 0.333333'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1 --weights 1,2,0
want_out '--weights: w[label] times the loss' "0.000000
0.407606
$(ref '2 * log(3)')"
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1 --weights 1,2,0 --reduction mean
want_out '--weights --reduction mean: over the total weight' "$(ref '(0.40760596 + 2 * log(3)) / 3')"
pass
expect '--label-smoothing' "$(ref '0.9 * 0.40760596 + 0.1 / 3 * (2.40760596 + 1.40760596 + 0.40760596)')" \
    --op cross-entropy --labels 2 --label-smoothing 0.1 1 2 3
expect '--l2' "$(ref '0.40760596 + 0.005 * 14')" --op cross-entropy --labels 2 --l2 0.01 1 2 3
expect '--l2 --grad' '0.477606
0.100031 0.264728 -0.304759' --op cross-entropy --labels 2 --l2 0.01 --grad 1 2 3
expect 'cross-entropy --temperature' "$(ref 'log(exp(-1) + exp(-0.5) + 1)')" \
    --op cross-entropy --labels 2 -t 2 1 2 3
printf '0.2 0.3 0.5\n\n1,0,0\n0 0 1\n' >"$tmp/targets"
run_in "$tmp/logits" --op soft-cross-entropy --targets "$tmp/targets"
want_out 'soft cross-entropy, target rows from a file (blank lines skipped)' \
    "$(ref '0.2 * 2.40760596 + 0.3 * 1.40760596 + 0.5 * 0.40760596')
0.407606
1.098612"
pass
run_in "$tmp/logits" --op entropy --reduction sum --grad
want_out 'entropy --reduction sum --grad' '2.763403
0.141817 0.140770 -0.282587
-0.282587 0.140770 0.141817
0.000000 0.000000 0.000000'
pass
: >"$tmp/empty"
run_in "$tmp/empty" --op entropy --reduction mean
want_out 'a mean over no rows is 0' '0.000000'
pass
run_in "$tmp/empty" --op entropy
want_status 'no rows, no reduction' 0
want_no_out 'no rows, no reduction'
pass

# Every loss gives the same bits on every ISA, in either exp mode.
awk 'BEGIN { for (r = 0; r < 3; r++) { for (i = 0; i < 300; i++) printf "%.3f ", ((i + r) * 7919 % 1000) / 37.0; print "" } }' \
    >"$tmp/wide"
awk 'BEGIN { for (r = 0; r < 3; r++) { for (i = 0; i < 300; i++) printf "%.4f ", ((i * 31 + r) % 17) / 2312.0; print "" } }' \
    >"$tmp/wide-q"
for mode in sleef fast-exp; do
    flag=
    [ "$mode" = sleef ] || flag=--fast-exp
    for loss in 'cross-entropy --labels 7,299,0 --label-smoothing 0.1' \
        'soft-cross-entropy --targets wide-q' 'kl --targets wide-q' \
        'distill --teacher wide-q' 'entropy'; do
        # $loss, $args and $flag are unquoted: they split into arguments.
        set -- $loss
        name=$1
        shift
        args=$(printf '%s\n' "$@" | sed "s|^wide-q\$|$tmp/wide-q|")
        # The same arguments for every ISA: the loss's own, then ours.
        run_in "$tmp/wide" --isa scalar $flag --op "$name" $args -t 0.7 --grad --format e -p 8
        want_status "--isa scalar $flag --op $name" 0
        mv "$tmp/out" "$tmp/scalar-loss"
        for isa in $supported; do
            run_in "$tmp/wide" --isa "$isa" $flag --op "$name" $args -t 0.7 --grad --format e -p 8
            want_status "--isa $isa $flag --op $name" 0
            cmp -s "$tmp/scalar-loss" "$tmp/out" ||
                fail "--isa $isa $flag --op $name: output differs from scalar"
        done
        pass
    done
done

# ---- losses: bad input --------------------------------------------------------
run_in "$tmp/logits" --op cross-entropy --labels 2,0,5
want_status 'label out of range' 2
want_err 'label out of range' 'line 4: invalid argument'
want_err 'label out of range names the label' 'label 5 (row 3) is not a class'
want_out 'label out of range: rows before it only' '0.407606
0.407606'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,-3,1 --reduction mean --grad
want_status 'label out of range, reduced' 2
want_err 'label out of range, reduced' 'line 3: invalid argument'
want_no_out 'label out of range, reduced'
pass
printf '2\n1.5\n0\n' >"$tmp/bad-labels"
run_in "$tmp/logits" --op cross-entropy --labels "$tmp/bad-labels"
want_status 'non-integer label in a file' 2
want_err 'non-integer label in a file' "bad-labels: line 2, column 1: invalid label '1.5'"
want_no_out 'non-integer label in a file'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,x,1
want_status 'bad label in a list' 2
want_err 'bad label in a list' "--labels, column 3: invalid label 'x'"
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0
want_status 'fewer labels than rows' 2
want_err 'fewer labels than rows' 'line 4: no label for row 3 (--labels gives 2)'
want_out 'fewer labels than rows: rows before it only' '0.407606
0.407606'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1,1
want_status 'more labels than rows' 2
want_err 'more labels than rows' '4 labels for 3 rows'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1,1 --reduction sum
want_status 'more labels than rows, reduced' 2
want_no_out 'more labels than rows, reduced: nothing printed'
pass
run --op cross-entropy --labels "$tmp/no-such-labels" 1 2 3
want_status 'missing labels file' 1
want_err 'missing labels file' 'no-such-labels'
pass
printf '0.2 0.3 0.5\n1 0\n' >"$tmp/short-targets"
run_in "$tmp/logits" --op kl --targets "$tmp/short-targets"
want_status 'target row of another length' 2
want_err 'target row of another length' 'line 3: 3 logits, but 2 targets ('
want_err 'target row of another length names its line' 'short-targets: line 2)'
pass
run --op kl --targets "$tmp/targets" 1 2 3
want_status 'more target rows than rows' 2
want_err 'more target rows than rows' 'more rows of targets than of logits'
pass
run_in "$tmp/logits" --op soft-cross-entropy --targets 0,0,1
want_status 'fewer target rows than rows' 2
want_err 'fewer target rows than rows' 'line 3: no row of --targets left for row 2'
pass
run_in "$tmp/logits" --op cross-entropy --labels 2,0,1 --weights 1,1
want_status 'weights of another length' 2
want_err 'weights of another length' '--weights gives 2 class weights'
pass
printf '0 0 0\n5 5\n' >"$tmp/ragged-logits"
run_in "$tmp/ragged-logits" --op entropy --reduction sum
want_status 'ragged rows with a reduction' 2
want_err 'ragged rows with a reduction' 'line 2: 2 logits, but the rows before have 3'
want_no_out 'ragged rows with a reduction'
pass
run_in "$tmp/ragged-logits" --op entropy -p 3
want_out 'ragged rows without a reduction' '1.099
0.693'
pass
expect_usage 'negative class weight' --op cross-entropy --labels 0 --weights 1,-1 1 2
expect_usage 'cross-entropy without --labels' --op cross-entropy 1 2 3
expect_usage 'kl without --targets' --op kl 1 2 3
expect_usage 'distill without --teacher' --op distill 1 2 3
expect_usage 'distill at temperature 0' --op distill --teacher 1,2 -t 0 1 2
expect_usage '--labels with --op softmax' --labels 1 1 2 3
expect_usage '--grad with --op logsumexp' --op logsumexp --grad 1 2 3
expect_usage '--label-smoothing with --op kl' --op kl --targets 1,0 --label-smoothing 0.1 1 2
expect_usage '--label-smoothing 1.5' --op cross-entropy --labels 0 --label-smoothing 1.5 1 2
expect_usage '--l2 -1' --op cross-entropy --labels 0 --l2 -1 1 2
expect_usage '--ignore-index x' --op cross-entropy --labels 0 --ignore-index x 1 2
expect_usage '--reduction bogus' --op entropy --reduction bogus 1 2
expect_usage '--labels empty' --op cross-entropy --labels '' 1 2
run_in "$tmp/logits" --op cross-entropy --labels -
want_status 'labels and logits both from stdin' 2
want_err 'labels and logits both from stdin' 'only one input can come from standard input'
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
# --threads: per exp mode a row with 1 thread, one with N, their ratio
run bench --seconds 0.1 --sizes 1000 --rows 200 --threads 2 --op softmax \
    --isa scalar
want_status 'bench --threads' 0
grep -Eq '^op +isa +exp +threads +n=1000 ' "$tmp/out" ||
    fail "bench --threads: no threads column in: $(cat "$tmp/out")"
[ "$(grep -Ec '^softmax +scalar +(sleef|fast-exp) +(1|2|2/1) ' "$tmp/out")" -eq 6 ] ||
    fail "bench --threads 2: expected 6 rows, got: $(cat "$tmp/out")"
pass
expect_usage 'bench --threads 0' bench --threads 0
expect_usage 'bench --rows 0' bench --rows 0
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
