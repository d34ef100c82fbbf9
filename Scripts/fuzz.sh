#!/usr/bin/env bash
# Fuzzes every decoder and flag parser with frugal-fuzz (docs/fuzzing-and-hardening.md,
# "Fuzzing"): builds it in release, runs RUNS inputs per target (two targets at a time), prints
# inputs tried and findings per target, and exits 1 if any input crashed, hung or produced a
# non-finite success.
#
#   Scripts/fuzz.sh                          # CI budget: 10,000 inputs per target, seed 1
#   Scripts/fuzz.sh --runs 1000000 --seed 2  # the long run
#   Scripts/fuzz.sh --targets "job model"    # some targets only
#
# Findings: FINDINGS/<target>-<n>.<ext> (the input) and .note (what happened, the stack, how to
# reproduce); FINDINGS defaults to .build/fuzz-findings. Crashing inputs are minimised with
# --minimize (slower; the long run uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10000 seed=1 findings=.build/fuzz-findings jobs=2 targets="" extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --findings) findings=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --targets) targets=$2; shift 2 ;;
        --minimize) extra+=(--minimize); shift ;;
        *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
    esac
done
swift build -c release --product frugal-fuzz 2>&1 | grep -E "error|Compiling|Build" | tail -3 >&2
fuzz=.build/release/frugal-fuzz
[ -n "$targets" ] || targets=$($fuzz --list)
rm -rf "$findings" && mkdir -p "$findings"
start=$(date +%s)
# Each target in its own process, $jobs at a time; a target's status lands in $findings/<t>.status.
printf '%s\n' $targets | xargs -P "$jobs" -I{} sh -c \
    "$fuzz --target {} --runs $runs --seed $seed --findings '$findings' ${extra[*]:-} > '$findings/{}.log' 2>&1; echo \$? > '$findings/{}.status'"
status=0
for target in $targets; do
    cat "$findings/$target.log"
    code=$(cat "$findings/$target.status")
    [ "$code" = 0 ] || status=1
done
echo "fuzz: $(echo $targets | wc -w) targets × $runs inputs (seed $seed) in $(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then
    echo "fuzz: FINDINGS in $findings:" >&2
    ls "$findings" | grep -E '\.note$' >&2 || true
fi
exit $status
