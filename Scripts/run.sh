#!/usr/bin/env bash
# The main job: set up if needed, then a 2-rank measured run of the demo GEMM job, verified,
# with a per-rank throughput table; results in results/latest/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
out=results/latest
Scripts/mpirun.sh 2 .build/release/frugal run Cluster/jobs/demo.toml --out "$out"
