#!/usr/bin/env bash
# mpirun with the options this machine needs: --allow-run-as-root when root, --oversubscribe
# when asking for more ranks than cores. Usage: Scripts/mpirun.sh NP COMMAND [ARGS…]
set -euo pipefail
np="$1"; shift
options=()
[ "$(id -u)" -eq 0 ] && options+=(--allow-run-as-root)
[ "$np" -gt "$(nproc)" ] && options+=(--oversubscribe)
exec mpirun "${options[@]}" -np "$np" "$@"
