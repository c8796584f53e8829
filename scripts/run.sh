#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running daemon: installs what
# is missing, builds, and runs gatekeeperd with the example config
# (127.0.0.1:50051, data under ./var). Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh -DGATEKEEPER_BUILD_TESTS=OFF -DGATEKEEPER_BUILD_BENCH=OFF
exec ./build/daemon/gatekeeperd --config "${1:-config/gatekeeper.example.yaml}"
