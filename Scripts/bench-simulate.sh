#!/usr/bin/env bash
# Same-run speed comparison of `frugal simulate` between this checkout and a base commit.
#
#   Scripts/bench-simulate.sh BASE_COMMIT [RUNS] [-- SIMULATE ARGS...]
#
# Builds both in release (the base in a git worktree under .build/bench-base), then runs them
# alternately (A B A B …, after one warm-up each) and prints each side's median wall seconds and
# CPU seconds (user + sys, less disturbed by other load on a shared machine) and the medians of
# the pair-by-pair ratios current/base (< 1: the current checkout is faster).
# Default workload: DeepSeek-V3 on h800-2048.
set -euo pipefail
base=${1:?usage: Scripts/bench-simulate.sh BASE_COMMIT [RUNS] [-- SIMULATE ARGS...]}
shift
runs=5
if [[ $# -gt 0 && $1 != "--" ]]; then runs=$1; shift; fi
if [[ $# -gt 0 && $1 == "--" ]]; then shift; fi
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--cluster h800-2048 --model deepseek-v3)

root=$(git rev-parse --show-toplevel)
cd "$root"
worktree="$root/.build/bench-base"
if [[ ! -d $worktree ]]; then git worktree add --detach "$worktree" "$base" >/dev/null; else git -C "$worktree" checkout -q --detach "$base"; fi
echo "building current ($(git rev-parse --short HEAD)) and base ($(git -C "$worktree" rev-parse --short HEAD)) in release…" >&2
swift build -c release --product frugal >/dev/null
(cd "$worktree" && swift build -c release --product frugal >/dev/null)
current="$root/.build/release/frugal"
baseline="$worktree/.build/release/frugal"

measure() {  # "wall cpu" seconds of one run of "$@" (output discarded), from /usr/bin/time
    local file
    file=$(mktemp)
    /usr/bin/time -f '%e %U %S' -o "$file" "$@" >/dev/null
    awk '{printf "%s %.3f\n", $1, $2 + $3}' "$file"
    rm -f "$file"
}
"$current" simulate "${args[@]}" >/dev/null   # warm-up
"$baseline" simulate "${args[@]}" >/dev/null
aw=() ac=() bw=() bc=() rw=() rc=()
for ((i = 0; i < runs; i++)); do
    read -r xw xc < <(measure "$current" simulate "${args[@]}")
    read -r yw yc < <(measure "$baseline" simulate "${args[@]}")
    aw+=("$xw") ac+=("$xc") bw+=("$yw") bc+=("$yc")
    rw+=("$(echo "$xw / $yw" | bc -l)") rc+=("$(echo "$xc / $yc" | bc -l)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
printf 'simulate %s, %d runs each, alternated\n' "${args[*]}" "$runs"
printf '%-8s %10s %10s\n' "" "wall s" "cpu s"
printf '%-8s %10.3f %10.3f\n' current "$(median "${aw[@]}")" "$(median "${ac[@]}")"
printf '%-8s %10.3f %10.3f\n' base "$(median "${bw[@]}")" "$(median "${bc[@]}")"
printf '%-8s %10.3f %10.3f   (current/base, median of pairs)\n' ratio "$(median "${rw[@]}")" "$(median "${rc[@]}")"
