#!/usr/bin/env bash
# Smoke test of the print-run benchmark itself (not of speed: figures are
# never asserted). Runs gkprintbench on a tiny seed for two rounds and checks
# that it exits 0, that each round measured the bare stream, print-gate
# against the reference server and the end-to-end run, that the log held every
# document with the seed's verdicts and every batch matching its entry, and
# that the digest recomputed from the log equals the one logged at close,
# print-gate's and the reference run's.
#
#   bash gkprintbench_smoke_test.sh GKPRINTBENCH GATEKEEPERD PRINT_GATE
set -u -o pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 GKPRINTBENCH GATEKEEPERD PRINT_GATE" >&2
  exit 2
fi
out=$("$1" --gatekeeperd "$2" --print-gate "$3" --customers 20000 \
  --documents 20000 --rounds 2 2>&1)
rc=$?
echo "$out"
fail() {
  echo "FAIL: $1"
  exit 1
}
[[ $rc -eq 0 ]] || fail "gkprintbench exited $rc"
count() { grep -cE -- "$1" <<<"$out"; }
[[ $(count '^  bare stream \(in-process client -> reference server\): 20,000 documents in ') -eq 2 ]] ||
  fail "expected 2 bare stream runs of 20,000 documents"
[[ $(count '^  print-gate -> reference server: 20,000 documents in ') -eq 2 ]] ||
  fail "expected 2 runs of print-gate against the reference server"
[[ $(count '^  print-gate -> gatekeeperd \(end to end\): 20,000 documents in ') -eq 2 ]] ||
  fail "expected 2 end-to-end runs"
[[ $(count '^    log \(read back in .*\): run closed, 10 batches, 20,000 documents of 20,000, [0-9,]+ decisions; each the manifest.s row with the seed.s verdicts; every batch matches its entry$') -eq 2 ]] ||
  fail "expected 2 runs read back whole from the log"
for who in "logged at close" "print-gate's" "reference run's"; do
  [[ $(count "^      $who: +same$") -eq 2 ]] ||
    fail "the digest $who differs from the one recomputed from the log"
done
[[ $(count '^    MATCH$') -eq 2 ]] || fail "expected 2 MATCH lines"
[[ $(count '^    gatekeeperd: peak resident \(VmHWM\) [0-9.]+ MiB, .*: exited 0$') -eq 2 ]] ||
  fail "gatekeeperd did not stop cleanly with its peak reported"
for want in \
  "^end to end \(CSV -> print-gate -> gatekeeperd -> CSV, every decision durable\): [0-9.]+ s .*= [0-9,]+ documents/s" \
  "^  = [0-9.]+x the time of print-gate against the reference server" \
  "^  = [0-9.]+x the time of the bare stream of the same round" \
  "^durable footprint \(database growth\): -?[0-9.]+ B a document" \
  "^print-gate peak resident: [0-9.]+ MiB on 2,000 documents, [0-9.]+ MiB on 20,000"; do
  grep -qE -- "$want" <<<"$out" || fail "output lacks: $want"
done
echo "gkprintbench smoke: ok"
