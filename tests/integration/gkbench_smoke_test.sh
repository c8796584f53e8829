#!/usr/bin/env bash
# Smoke test of the load benchmark itself (not of speed: figures are never
# asserted). Runs gkbench on a tiny seed for two short rounds and checks that
# it exits 0, pairs every check with its plain echo, durable echo and store
# echo runs in each round (the table's ratios, the target lines and the store
# echo's bound lines), finds every acknowledged decision in the audit log and
# verifies the chain.
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
  "(each acknowledged only once durable): all present" \
  "chain verify: ok" \
  "durable echo server: exited 0" \
  "store echo server: exited 0"; do
  grep -qF -- "$want" <<<"$out" || fail "output lacks: $want"
done
# The store echo logged payloads of the sizes of the probes' decisions.
grep -qE -- "^audit entries of the probes \(read back with QueryAudit\): decision\.insert payload_json [0-9]+ B .*; the store echo logs payloads of [0-9]+ B \(insert-sized\) and [0-9]+ B \(dial-sized\)" <<<"$out" ||
  fail "no line with the audit payload sizes the store echo logs"
# Target lines: a median over both rounds against the durable echo (there
# only when each round has the check and its durable echo run), followed by
# the plain echo's reference line (when each round has the plain echo run) and
# the store echo's bound line (when each round has the store echo run).
for check in "CheckInsert" "CheckDial  "; do
  line="^  $check: median of 2 rounds: [0-9.]+% of the durable echo's QPS .* p99 [0-9.]+x the durable echo's"
  grep -qE -- "$line" <<<"$out" || fail "no target line for $check"
  grep -A1 -E -- "$line" <<<"$out" |
    grep -qE -- "^ +plain echo \(reference\): median [0-9.]+% of its QPS" ||
    fail "no plain echo reference under the target line for $check"
  grep -A2 -E -- "$line" <<<"$out" |
    grep -qE -- "^ +store echo \(bound\): median [0-9.]+% of the durable echo's QPS .* p99 [0-9.]+x the durable echo's .*; the check reaches [0-9.]+% of the store echo's QPS .* p99 [0-9.]+x the store echo's" ||
    fail "no store echo bound under the target line for $check"
done
rows=$(grep -cE '^(CheckInsert|CheckDial|EchoInsertSized|EchoDialSized|DurableEchoInsertSized|DurableEchoDialSized|StoreEchoInsertSized|StoreEchoDialSized) +4 r[12] ' <<<"$out")
[[ $rows -eq 16 ]] || fail "expected 16 table rows (8 ops x 2 rounds), got $rows"
# Every check row has its ratios to both echoes of the same round (vs echo,
# vs d-echo, p99/d-echo), every durable echo row its ratio to the plain echo,
# and every store echo row its ratios to the plain and the durable echo.
num='[0-9]+(\.[0-9]+)?'
paired=$(grep -cE "^(CheckInsert|CheckDial) +4 r[12] +[0-9]+ +$num +$num +$num +[0-9]+ +[^ ]+ +$num% +$num% +${num}x " <<<"$out")
[[ $paired -eq 4 ]] || fail "expected 4 check rows paired with both echoes, got $paired"
paired=$(grep -cE "^DurableEcho(Insert|Dial)Sized +4 r[12] +[0-9]+ +$num +$num +$num +[0-9]+ +- +$num% +- +- " <<<"$out")
[[ $paired -eq 4 ]] || fail "expected 4 durable echo rows paired with the plain echo, got $paired"
paired=$(grep -cE "^StoreEcho(Insert|Dial)Sized +4 r[12] +[0-9]+ +$num +$num +$num +[0-9]+ +- +$num% +$num% +${num}x " <<<"$out")
[[ $paired -eq 4 ]] || fail "expected 4 store echo rows paired with the plain and the durable echo, got $paired"
echo "gkbench smoke: ok"
