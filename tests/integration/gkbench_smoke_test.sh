#!/usr/bin/env bash
# Smoke test of the load benchmark itself (not of speed: figures are never
# asserted). Runs gkbench on a tiny seed for two short rounds and checks that
# it exits 0, pairs every check with its echo run, finds every acknowledged
# decision in the audit log and verifies the chain.
#
#   bash gkbench_smoke_test.sh GKBENCH GATEKEEPERD
set -u -o pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 GKBENCH GATEKEEPERD" >&2
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
[[ $rc -eq 0 ]] || fail "gkbench exited $rc"
for want in \
  "CheckInsert: median of 2 rounds:" \
  "CheckDial  : median of 2 rounds:" \
  "(each acknowledged only once durable): all present" \
  "chain verify: ok"; do
  grep -qF -- "$want" <<<"$out" || fail "output lacks: $want"
done
rows=$(grep -cE '^(CheckInsert|CheckDial|EchoInsertSized|EchoDialSized) +4 r[12] ' <<<"$out")
[[ $rows -eq 8 ]] || fail "expected 8 table rows (4 ops x 2 rounds), got $rows"
echo "gkbench smoke: ok"
