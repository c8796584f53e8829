#!/usr/bin/env bash
# Smoke test of the counting benchmark itself (figures are never asserted):
# gkcountbench on a tiny seed for two short rounds must run both daemons for
# both checks in each round, print the ratios and the in-process cost, and
# find the counted daemon's decision counters equal to the checks it answered.
#
#   bash gkcountbench_smoke_test.sh GKCOUNTBENCH GATEKEEPERD
set -u -o pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 GKCOUNTBENCH GATEKEEPERD" >&2
  exit 2
fi
out=$("$1" --gatekeeperd "$2" --consents 2000 --duration 0.3 --warmup 0.1 \
  --concurrency 4 --rounds 2 2>&1)
rc=$?
echo "$out"
fail() {
  echo "FAIL: $1"
  exit 1
}
[[ $rc -eq 0 ]] || fail "gkcountbench exited $rc"
for op in CheckInsert CheckDial; do
  for side in counted uncounted; do
    for r in r1 r2; do
      grep -qE -- "^$op +$side +$r +[0-9]+ " <<<"$out" || fail "no $op run against the $side daemon in $r"
    done
  done
  grep -qE -- "^  $op +QPS [0-9.]+ \([0-9.]+-[0-9.]+\), p50 .*counting [0-9.]+ ns of [0-9.]+ us of daemon CPU a check" <<<"$out" ||
    fail "no ratio line for $op"
done
grep -qE -- "^counting in-process .*: [0-9.]+ ns a decision" <<<"$out" || fail "no in-process figure"
grep -qE -- "^metrics: gatekeeper_decisions_total sums to [1-9][0-9]*; the counted daemon answered [0-9]+ checks OK: equal$" <<<"$out" ||
  fail "the counted daemon's counters do not match its answers"
grep -q "ERRORS" <<<"$out" && fail "a run had errors"
echo "PASS"
