#!/usr/bin/env bash
# Every test: set up if needed (Debian packages), then `swift test`, which includes the MPI
# integration tests that launch mpirun on the built executable with 1–4 ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
FRUGAL_SKIP_BUILD=1 Scripts/setup.sh
swift test
