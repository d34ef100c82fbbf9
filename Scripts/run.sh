#!/usr/bin/env bash
# The main job: set up if needed, then
#   1. measured strong-scaling sweeps of the demo GEMM job and the MoE layer at 1 and 2 ranks
#      (verified runs), and 50 real training steps of tiny-moe on 2 pipeline stages
#      (Cluster/jobs/train-tiny.toml; every step checked against the single-rank run);
#   2. calibration of this machine and the simulator's prediction of the demo job vs the measurement;
#   3. when this build has `frugal simulate`: DeepSeek-V3 on 2048 H800s (pp=16, ep=64, dp=128,
#      DualPipe), and the same on 2048 H100s, A800s and H20s; then scaling curves from 256 to
#      16,384 chips of each type, the best `frugal plan` configuration per count, for DeepSeek-V3
#      and a dense model (Llama-3-70B);
#   4. the report: reports/latest/index.html (+ summary.md, points.csv, points.json).
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
# The expert-parallel MoE layer at 1 and 2 ranks (verified against a single-rank run each step).
"$frugal" sweep Cluster/jobs/moe-layer.toml --ranks 1,2 --scaling strong --out "$out" || status=$?
sed -n '2,$p' "$out/points/run_moe-layer_strong_r2_rep1/log.txt" 2>/dev/null || true
# A real training step, pp = 2 (the report's training section: loss over steps, op kinds per rank).
"$frugal" sweep Cluster/jobs/train-tiny.toml --ranks 2 --scaling strong --out "$out" || status=$?
tail -n 4 "$out/points/run_train-tiny_strong_r2_rep1/log.txt" 2>/dev/null || true

# The bridge: calibrate this machine, then predict the demo job at 1 and 2 ranks and compare
# with the measured runs (the report's predicted-vs-measured chart).
Scripts/mpirun.sh 2 "$frugal" calibrate --out Cluster/clusters/local.toml || status=$?
for ranks in 1 2; do
    Scripts/mpirun.sh "$ranks" "$frugal" run Cluster/jobs/demo.toml --predict --cluster Cluster/clusters/local.toml \
        --out "$out/predicted-r$ranks" | sed -n '/^# predicted/,$p' || status=$?
done
cat "$out"/predicted-r*/predictions.jsonl > "$out/predictions.jsonl" 2>/dev/null || true

# DeepSeek-V3 on 2048 GPUs of each chip type. FP8 chips (H800, H100, H20) use the training file
# as it is; the A800 has no FP8 tensor cores, so it is simulated in BF16.
model=Cluster/models/deepseek-v3.toml
train=Cluster/train/deepseek-v3.toml
simulator=${FRUGAL_SIMULATOR:-$frugal}   # another build's frugal, until this one has `simulate`
fp8=(); bf16=()
for chip in h800 h100 h20; do [ -f "Cluster/clusters/$chip-2048.toml" ] && fp8+=("Cluster/clusters/$chip-2048.toml"); done
[ -f Cluster/clusters/a800-2048.toml ] && bf16+=(Cluster/clusters/a800-2048.toml)
if "$simulator" simulate --help >/dev/null 2>&1 && [ -f "$model" ] && [ $((${#fp8[@]} + ${#bf16[@]})) -gt 0 ]; then
    options=()
    [ -f "$train" ] && options+=(--simulate-option=--train "--simulate-option=$train")
    # FRUGAL_SIMULATE_OPTIONS: extra words passed to every `frugal simulate` call.
    for word in ${FRUGAL_SIMULATE_OPTIONS:-}; do options+=("--simulate-option=$word"); done
    simulate() {
        "$frugal" sweep --simulate --simulator "$simulator" --cluster "$1" --model "$model" \
            --parallel pp=16,ep=64,dp=128 --schedule dualpipe "${options[@]}" "${@:2}" --out "$out" || status=$?
    }
    [ ${#fp8[@]} -gt 0 ] && simulate "$(IFS=,; echo "${fp8[*]}")"
    [ ${#bf16[@]} -gt 0 ] && simulate "$(IFS=,; echo "${bf16[*]}")" --simulate-option=--precision --simulate-option=bf16
    # Scaling curves: at each chip count the best configuration `frugal plan` finds (parallel
    # degrees, schedule, ZeRO, micro-batch, recompute, precision, node limit), for every chip type,
    # for DeepSeek-V3 (its training file) and a dense model (Llama-3-70B, default training setup).
    counts=256,512,1024,2048,4096,8192,16384
    every=("${fp8[@]}" "${bf16[@]}")
    chips=$(IFS=,; echo "${every[*]}")
    plan_options=()
    [ -f "$train" ] && plan_options+=(--simulate-option=--train "--simulate-option=$train")
    "$frugal" sweep --simulate --simulator "$simulator" --cluster "$chips" --model "$model" --parallel plan \
        --chips "$counts" "${plan_options[@]}" --out "$out" || status=$?
    [ -f Cluster/models/llama3-70b.toml ] && { "$frugal" sweep --simulate --simulator "$simulator" --cluster "$chips" \
        --model Cluster/models/llama3-70b.toml --parallel plan --chips "$counts" --out "$out" || status=$?; }
else
    echo "run.sh: no 'frugal simulate' in this build (or no cluster/model files): the report has measured points only" >&2
fi

"$frugal" report "$out" --out "$report" --title "Frugal: demo scaling and DeepSeek-V3 on 2048 export-limited GPUs" >&2 || status=$?
[ "$status" -eq 0 ] || echo "run.sh: some step failed (exit status $status); see above" >&2
echo "$report/index.html"
exit "$status"
