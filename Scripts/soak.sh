#!/usr/bin/env bash
# Soak test of "records exactly once" (docs/fuzzing-and-hardening.md, "Soak test"): TASKS small
# GEMM tasks on RANKS oversubscribed ranks; KILLS times a random rank is killed with SIGKILL at a
# random moment and the run is continued with --resume; then the final results.jsonl is compared
# with an uninterrupted run's, key by key (task, step, rank): none missing, none twice, every output
# checksum and error the same. Not a CI test (minutes). Usage:
#   swift build -c release && Scripts/soak.sh            # FRUGAL=… TASKS=… RANKS=… KILLS=… SEED=…
set -euo pipefail
cd "$(dirname "$0")/.."
FRUGAL=${FRUGAL:-.build/release/frugal}
TASKS=${TASKS:-1000}
RANKS=${RANKS:-4}
KILLS=${KILLS:-20}
RANDOM=${SEED:-1}
[ -x "$FRUGAL" ] || { echo "soak: $FRUGAL not built (swift build -c release)" >&2; exit 2; }
work=$(mktemp -d /tmp/frugal-soak.XXXXXX)
job=$work/soak.toml
export OMPI_MCA_rmaps_base_oversubscribe=1
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

{
  echo 'name = "soak"'
  echo 'seed = 11'
  for i in $(seq 0 $((TASKS - 1))); do
    sharding=rows; [ $((i % 3)) -eq 0 ] && sharding=grid
    printf '\n[[tasks]]\nkind = "gemm"\nname = "t%d"\nm = %d\nn = %d\nk = 8\nsharding = "%s"\n' \
      "$i" $((8 + i % 9)) $((6 + i % 5)) "$sharding"
  done
} > "$job"

start=$(date +%s.%N)
t0=$(date +%s.%N)
mpirun -np "$RANKS" "$FRUGAL" run "$job" --out "$work/reference" > "$work/reference.log" 2>&1
reference_seconds=$(echo "$(date +%s.%N) - $t0" | bc)
echo "soak: uninterrupted run of $TASKS tasks on $RANKS ranks: ${reference_seconds}s"

runs=1 kills=0 missed=0 stuck=0
records() { [ -f "$work/broken/results.jsonl" ] && grep -c '"type":"task"' "$work/broken/results.jsonl" || echo 0; }
for attempt in $(seq 1 "$KILLS"); do
  resume=(); [ -f "$work/broken/results.jsonl" ] && resume=(--resume)
  mpirun -np "$RANKS" "$FRUGAL" run "$job" --out "$work/broken" "${resume[@]}" > "$work/attempt-$attempt.log" 2>&1 &
  launcher=$!
  runs=$((runs + 1))
  # A random moment within what is left of the run.
  left=$(echo "1 - $(records) / ($TASKS * $RANKS)" | bc -l)
  delay=$(echo "0.3 + $RANDOM / 32767 * $reference_seconds * $left" | bc -l)
  sleep "$delay"
  ranks=($(pgrep -P "$launcher" || true))
  if [ ${#ranks[@]} -gt 0 ]; then
    victim=${ranks[$((RANDOM % ${#ranks[@]}))]}
    kill -9 "$victim" 2>/dev/null && kills=$((kills + 1))
  else
    missed=$((missed + 1))
  fi
  # Open MPI's launcher itself can hang when a rank dies while PMIx is still connecting
  # ("PMIX ERROR: UNREACHABLE"); the ranks are gone then. End such a launcher after 30 s.
  for _ in $(seq 1 300); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$launcher" 2>/dev/null; then
    stuck=$((stuck + 1))
    kill "$launcher" 2>/dev/null || true
    sleep 2
    kill -9 "$launcher" 2>/dev/null || true
  fi
  wait "$launcher" 2>/dev/null || true
done
# Finish: resume until the run completes.
until mpirun -np "$RANKS" "$FRUGAL" run "$job" --out "$work/broken" --resume > "$work/final.log" 2>&1; do
  runs=$((runs + 1))
  [ $runs -gt $((KILLS + 5)) ] && { echo "soak: FAILED: the run does not complete (see $work/final.log)" >&2; exit 1; }
done
runs=$((runs + 1))
seconds=$(echo "$(date +%s.%N) - $start" | bc)

set +e
python3 - "$work/reference/results.jsonl" "$work/broken/results.jsonl" <<'PY'
import collections, json, sys
def keyed(path):
    values, counts = {}, collections.Counter()
    for line in open(path):
        record = json.loads(line)
        if record["type"] not in ("task", "moe", "batch"):
            continue
        key = (record["taskIndex"], record.get("step", 0), record["rank"])
        counts[key] += 1
        values[key] = (record.get("outputChecksum"), record.get("maxAbsError"), record["verified"])
    return values, counts
reference, _ = keyed(sys.argv[1])
resumed, counts = keyed(sys.argv[2])
twice = [k for k, c in counts.items() if c > 1]
missing = [k for k in reference if k not in resumed]
differ = [k for k in reference if k in resumed and resumed[k] != reference[k]]
print(f"soak: {len(reference)} keys in the reference, {len(resumed)} after the kills: "
      f"{len(missing)} missing, {len(twice)} twice, {len(differ)} different")
sys.exit(1 if twice or missing or differ or len(resumed) != len(reference) else 0)
PY
result=$?
echo "soak: $runs runs, $kills kills ($missed runs ended before their kill, $stuck launchers ended after hanging), ${seconds}s in all: $([ $result -eq 0 ] && echo PASSED || echo FAILED)"
rm -rf "$work"
exit $result
