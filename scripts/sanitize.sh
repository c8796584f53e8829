#!/usr/bin/env bash
# The test suite under the sanitizers, each in its own build folder, with
# gcc at -O1 and line tables (our code and the tests instrumented; the Debian
# libraries are not). Any report fails the test that made it. The benchmarks
# are left out: they are measured on the plain build, and link jemalloc.
#
#   scripts/sanitize.sh address   # ASan + UBSan, the whole suite (build-asan)
#   scripts/sanitize.sh thread    # TSan, the concurrency tests: the suites
#                                 # of unit_tests that run threads against
#                                 # each other (the store's writer and group
#                                 # commit, the consent index read while it
#                                 # grows, counters, ids), built alone as
#                                 # concurrency_tests (build-tsan)
# Extra arguments go to ctest (e.g. -R StoreTest).
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-}"
shift || true
case "$kind" in
  address)
    dir=build-asan
    sanitize=address,undefined
    targets=(all)
    ;;
  thread)
    dir=build-tsan
    sanitize=thread
    targets=(concurrency_tests)
    ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [ctest args]" >&2
    exit 2
    ;;
esac

cmake -S . -B "$dir" -DGATEKEEPER_SANITIZE="$sanitize" -DGATEKEEPER_WERROR=ON \
  -DGATEKEEPER_BUILD_TESTS=ON -DGATEKEEPER_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS="-O1 -g1" -DCMAKE_C_FLAGS="-O1 -g1" >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"

# Leaks are reported at exit (a daemon's on a clean stop); UBSan stops at the
# first report, with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
cd "$dir"
if [ "$kind" = thread ]; then
  # Only these: TSan needs every library instrumented, and Debian's are
  # not; outside them, reflection on a map field crashed inside libprotobuf
  # (RequestStringsTest; clean under ASan and the plain build). The rest of
  # the suite is the ASan build's.
  suites=StoreTest.*:StoreCallsTest.*:RetentionTest.*:SqliteTest.*
  suites+=:ConsentIndexTest.*:IndexSnapshotTest.*:DoNotSolicitIndexTest.*
  suites+=:CryptoTest.*:MinuteRingTest.*:DialCounterTest.*:GatesClockTest.*
  suites+=:CollectDashboardTest.*:MetricsUnitTest.*
  suites+=:DenialLimiterTest.*:CallRateLimiterTest.*
  # In two shards side by side (GoogleTest's sharding).
  pids=()
  for i in 0 1; do
    GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=$i ./tests/concurrency_tests --gtest_brief=1 \
      "--gtest_filter=$suites" "$@" \
      >"concurrency_tests.shard$i.log" 2>&1 &
    pids+=($!)
  done
  rc=0
  for i in 0 1; do
    if ! wait "${pids[$i]}"; then rc=1; cat "concurrency_tests.shard$i.log"; fi
    tail -3 "concurrency_tests.shard$i.log"
  done
  exit $rc
fi
exec ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
