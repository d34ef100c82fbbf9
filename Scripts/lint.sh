#!/usr/bin/env bash
# Structural lint (the code is Scripts/lint.py, Python 3 standard library only):
#   - every target's dependencies in Package.swift are exactly the modules its sources import;
#   - no function, initializer, subscript or computed property in Sources/ is over 80 lines.
# Scripts/test.sh (so CI) runs it first. Each finding is one `lint: FILE:LINE: …` line; exit
# status 1 when there is any.
# Usage: Scripts/lint.sh [--only imports|length] [--limit N] [--self-test]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "lint: needs python3 (Debian: apt-get install python3)" >&2; exit 1; }
python3 Scripts/lint.py --self-test
exec python3 Scripts/lint.py "$@" .
