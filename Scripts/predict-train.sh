#!/usr/bin/env bash
# The op-by-op prediction of a real training step (issue 12, README "Predicted op by op"):
# for 1 and 2 ranks, calibrate this machine for the job's train programs at that rank count
# (`frugal calibrate --job`), run the job with `--predict` on that cluster file, and print each
# rank's predicted and measured seconds per op kind and for the step.
#
#   Scripts/predict-train.sh [JOB] [RANKS...]      default: Cluster/jobs/train-predict.toml 1 2
#
# FRUGAL: the frugal binary (default .build/release/frugal, built when missing). Results, cluster
# files and predictions.jsonl go to OUT (default results/predict-train/).
set -euo pipefail
cd "$(dirname "$0")/.."
job=${1:-Cluster/jobs/train-predict.toml}
shift || true
ranks=("$@")
[[ ${#ranks[@]} -gt 0 ]] || ranks=(1 2)
frugal=${FRUGAL:-.build/release/frugal}
out=${OUT:-results/predict-train}
if [[ ! -x $frugal ]]; then
    echo "predict-train.sh: building $frugal…" >&2
    swift build -c release --product frugal >/dev/null
fi
mkdir -p "$out"
status=0
for n in "${ranks[@]}"; do
    echo "## $job on $n rank(s)"
    Scripts/mpirun.sh "$n" "$frugal" calibrate --job "$job" --out "$out/local-$n.toml"
    rm -rf "$out/run-$n"
    Scripts/mpirun.sh "$n" "$frugal" run "$job" --predict --cluster "$out/local-$n.toml" --out "$out/run-$n" | sed -n '/^# train task/,/^# error = (predicted − measured) \/ measured; targets/p' || status=$?
done
exit $status
