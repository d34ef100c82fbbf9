#!/usr/bin/env bash
# Every test: set up if needed (Debian packages, plus Chromium for the report-rendering test),
# the structural lint (Scripts/lint.sh: Package.swift dependencies match the imports, no
# function over 80 lines), then `swift test`, which includes the MPI integration tests that
# launch mpirun on the built executable with 1–4 ranks, and the corpus of once-crashing inputs;
# then the CI fuzz budget.
set -euo pipefail
cd "$(dirname "$0")/.."
FRUGAL_SKIP_BUILD=1 Scripts/setup.sh
Scripts/lint.sh
if ! command -v chromium >/dev/null && [ "${FRUGAL_SKIP_BROWSER_TEST:-0}" != 1 ]; then
    echo "test: installing chromium (headless rendering of the HTML report)" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "test: need root or sudo to apt-get install chromium (or FRUGAL_SKIP_BROWSER_TEST=1)" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
swift test --no-parallel
# Then a bounded fuzz budget over every decoder and flag parser (docs/fuzzing-and-hardening.md,
# "Fuzzing"); any crash, hang or non-finite success fails the run. FRUGAL_FUZZ_RUNS changes the per-target budget.
Scripts/fuzz.sh --runs "${FRUGAL_FUZZ_RUNS:-10000}"
