#!/usr/bin/env bash
# Installs what Frugal needs from Debian if it is missing (idempotent), then builds release.
# Usage: Scripts/setup.sh            (FRUGAL_SKIP_BUILD=1 to install only)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenmpi-dev openmpi-bin libopenblas-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    echo "setup: the Swift toolchain (6.1 or newer) is not on PATH; install it from swift.org and re-run" >&2
    exit 1
fi

if [ "${FRUGAL_SKIP_BUILD:-0}" != 1 ]; then
    echo "setup: swift build -c release" >&2
    swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Applying)' >&2 || true
    test -x .build/release/frugal || { echo "setup: build failed" >&2; swift build -c release; exit 1; }
fi
