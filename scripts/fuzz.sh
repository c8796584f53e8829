#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang under ASan and UBSan
# into ./build-fuzz, then runs each for SECONDS (default 60) and prints a
# table: executions, executions a second, corpus size, result. A crash leaves
# its input in build-fuzz/crashes/ and fails the run; turn it into a test in
# tests/unit before fixing it. The corpus grows in build-fuzz/corpus/ from the
# seeds in tests/fuzz/seeds/ (and config/ for the config loader).
#
# Each run draws a fresh random seed, as exploring should; --seed N fixes it,
# so that a run is the same on every machine (CI's short pass uses seed 1, so
# a commit that passes once passes again, and a new finding is not luck).
#
#   scripts/fuzz.sh [--seconds N] [--seed N] [TARGET...]
#   scripts/fuzz.sh --seconds 10 --seed 1     # CI's short pass
#   build-fuzz/tests/fuzz/proof_fuzz FILE     # replay one input
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
seed=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(config_fuzz phone_fuzz manifest_fuzz import_csv_fuzz audit_verify_fuzz proof_fuzz)
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  case " ${all[*]} " in *" $t "*) ;; *) echo "fuzz.sh: no target $t (one of: ${all[*]})" >&2; exit 2 ;; esac
done

# -O1 with line tables, assertions kept: the usual libFuzzer build.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DGATEKEEPER_FUZZ=ON \
  -DGATEKEEPER_BUILD_TESTS=OFF -DGATEKEEPER_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"

mkdir -p build-fuzz/crashes
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
printf '%-18s %8s %12s %10s %8s  %s\n' target seconds executions exec/s corpus result
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  seeds=()
  [ -d "tests/fuzz/seeds/$t" ] && seeds+=("tests/fuzz/seeds/$t")
  [ "$t" = config_fuzz ] && seeds+=(config)
  log=build-fuzz/$t.log
  set +e
  "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -seed="$seed" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t-" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    failed=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result="FAILED (exit $rc): ${artifact:-see $log}"
  fi
  printf '%-18s %8s %12s %10s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "$files" "$result"
  if [ $rc -ne 0 ]; then
    grep -m 20 -E 'INFO: Seed|ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$log" | sed 's/^/    /' || true
    echo "    replay: build-fuzz/tests/fuzz/$t $artifact"
  fi
done
exit $failed
