#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run (what CI runs):
# installs what is missing, then, each build with warnings as errors,
#   1. the whole test suite under AddressSanitizer and
#      UndefinedBehaviorSanitizer (build-asan; scripts/sanitize.sh address),
#   2. the concurrency tests under ThreadSanitizer (build-tsan; concurrency_tests),
#   3. each fuzz target for a few seconds (build-fuzz; scripts/fuzz.sh).
# The sanitizer build runs every test the plain build has, and catches more;
# building the plain one as well would not fit CI's half hour on two cores.
#   scripts/test.sh --plain   # the suite on the plain build in ./build instead
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ "${1:-}" = "--plain" ]; then
  bash scripts/build.sh -DGATEKEEPER_WERROR=ON -DGATEKEEPER_BUILD_TESTS=ON
  cd build
  exec ctest --output-on-failure --timeout 300 -j 2
fi
start=$SECONDS
step() { echo "== $1 ($(( (SECONDS - start) / 60 )) min in)"; }
step "ASan + UBSan: the whole suite"
bash scripts/sanitize.sh address
step "TSan: the concurrency tests"
bash scripts/sanitize.sh thread
step "libFuzzer: each target ${FUZZ_SECONDS:-10} s"
bash scripts/fuzz.sh --seconds "${FUZZ_SECONDS:-10}" --seed "${FUZZ_SEED:-1}"
step "all passed"
