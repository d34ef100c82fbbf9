#!/usr/bin/env bash
# The main job: set up if needed, then
#   1. a measured strong-scaling sweep of the demo GEMM job at 1 and 2 ranks (verified runs);
#   2. when this build has `frugal simulate`: DeepSeek-V3 on 2048 H800s (pp=16, ep=64, dp=128,
#      DualPipe), and the same on 2048 H100s, A800s and H20s;
#   3. the report: reports/latest/index.html (+ summary.md, points.csv, points.json).
# Results go to results/latest (started afresh each time); the report's path is printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
frugal=.build/release/frugal
out=results/latest
report=reports/latest
rm -rf "$out"
status=0

"$frugal" sweep Cluster/jobs/demo.toml --ranks 1,2 --scaling strong --out "$out" || status=$?
# The 2-rank run's per-rank table.
sed -n '2,$p' "$out/points/run_demo_strong_r2_rep1/log.txt" 2>/dev/null || true

clusters=(Cluster/clusters/h800-2048.toml Cluster/clusters/h100-2048.toml Cluster/clusters/a800-2048.toml Cluster/clusters/h20-2048.toml)
model=Cluster/models/deepseek-v3.toml
present=()
for cluster in "${clusters[@]}"; do [ -f "$cluster" ] && present+=("$cluster"); done
if "$frugal" simulate --help >/dev/null 2>&1 && [ -f "$model" ] && [ ${#present[@]} -gt 0 ]; then
    list=$(IFS=,; echo "${present[*]}")
    # FRUGAL_SIMULATE_OPTIONS: extra words passed to every `frugal simulate` (e.g. "--train Cluster/train/deepseek-v3.toml").
    extra=()
    for word in ${FRUGAL_SIMULATE_OPTIONS:-}; do extra+=("--simulate-option=$word"); done
    "$frugal" sweep --simulate --cluster "$list" --model "$model" --parallel pp=16,ep=64,dp=128 --schedule dualpipe \
        "${extra[@]}" --out "$out" || status=$?
else
    echo "run.sh: no 'frugal simulate' in this build (or no cluster/model files): the report has measured points only" >&2
fi

"$frugal" report "$out" --out "$report" --title "Frugal: demo scaling and DeepSeek-V3 on 2048 export-limited GPUs" >&2 || status=$?
[ "$status" -eq 0 ] || echo "run.sh: some step failed (exit status $status); see above" >&2
echo "$report/index.html"
exit "$status"
