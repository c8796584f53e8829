#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run: installs what
# is missing, builds everything with warnings as errors, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh -DGATEKEEPER_WERROR=ON -DGATEKEEPER_BUILD_TESTS=ON
cd build
ctest --output-on-failure --timeout 300 -j 2
