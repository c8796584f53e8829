#!/usr/bin/env bash
# End-to-end walkthrough of gkctl against a real gatekeeperd.
#
#   bash gkctl_walkthrough_test.sh GATEKEEPERD GKCTL EXAMPLE_CONFIG GK_DIAL_HOOK \
#     PRINT_GATE
#
# Starts the daemon on a free loopback port with a throwaway data dir, records
# and withdraws consents, creates and approves campaigns, asks both gates,
# reports a call's disclosures and its refusal through gk-dial-hook, lists and
# clears the do-not-solicit entry, prints the customer's subject report,
# runs a print run through print-gate (decide, the digest recomputed from the
# log, reconcile, pull-list after a withdrawal, redecide),
# checks the error paths, verifies the audit log, tampers with one entry and
# expects verification to fail, and finally checks that the clear phone
# number was never written to disk or to the daemon's output.
# Prints "N passed, 0 failed" on success; "FAIL: ..." and exit 1 otherwise.
set -u -o pipefail

if [[ $# -ne 5 ]]; then
  echo "usage: $0 GATEKEEPERD GKCTL EXAMPLE_CONFIG GK_DIAL_HOOK PRINT_GATE" >&2
  exit 2
fi
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
GATEKEEPERD=$(abspath "$1")
GKCTL=$(abspath "$2")
EXAMPLE_CONFIG=$(abspath "$3")
HOOK=$(abspath "$4")
PRINT_GATE=$(abspath "$5")
for f in "$GATEKEEPERD" "$GKCTL" "$HOOK" "$PRINT_GATE"; do
  [[ -x $f ]] || { echo "FAIL: $f is not an executable" >&2; exit 1; }
done
[[ -r $EXAMPLE_CONFIG ]] || { echo "FAIL: cannot read $EXAMPLE_CONFIG" >&2; exit 1; }

TMP=$(mktemp -d)
DATA=$TMP/data
CONFIG=$TMP/gatekeeper.yaml
DAEMON_PID=
cleanup() {
  if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -KILL "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

PASSED=0
OUT=$TMP/last.out
ERR=$TMP/last.err
LAST_CMD=

fail() {
  echo "FAIL: $*" >&2
  if [[ -n $LAST_CMD ]]; then
    echo "  last command: $LAST_CMD" >&2
    echo "  --- stdout ---" >&2
    sed 's/^/  /' "$OUT" >&2
    echo "  --- stderr ---" >&2
    sed 's/^/  /' "$ERR" >&2
  fi
  if [[ -n $DAEMON_PID ]] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    wait "$DAEMON_PID"
    echo "  gatekeeperd (pid $DAEMON_PID) has died, exit status $?" >&2
    DAEMON_PID=
  fi
  for log in "$TMP"/daemon*.err; do
    [[ -s $log ]] || continue
    echo "  --- $(basename "$log") ---" >&2
    tail -n 20 "$log" | sed 's/^/  /' >&2
  done
  echo "$PASSED passed, 1 failed" >&2
  exit 1
}
pass() { PASSED=$((PASSED + 1)); }

# gk EXPECTED_EXIT ARGS...: runs gkctl, keeping its stdout and stderr.
gk() {
  local want=$1
  shift
  LAST_CMD="gkctl $*"
  "$GKCTL" "$@" >"$OUT" 2>"$ERR"
  local rc=$?
  [[ $rc -eq $want ]] || fail "exit code $rc, want $want"
  pass
}
# hook EXPECTED_EXIT ARGS...: runs gk-dial-hook the same way.
hook() {
  local want=$1
  shift
  LAST_CMD="gk-dial-hook $*"
  "$HOOK" "$@" >"$OUT" 2>"$ERR"
  local rc=$?
  [[ $rc -eq $want ]] || fail "exit code $rc, want $want"
  pass
}
# pg EXPECTED_EXIT ARGS...: runs print-gate the same way.
pg() {
  local want=$1
  shift
  LAST_CMD="print-gate $*"
  "$PRINT_GATE" "$@" >"$OUT" 2>"$ERR"
  local rc=$?
  [[ $rc -eq $want ]] || fail "exit code $rc, want $want"
  pass
}
# expect_file FILE: FILE holds exactly what is on stdin.
expect_file() {
  local want
  want=$(cat)
  [[ $(cat "$1") == "$want" ]] ||
    fail "$(basename "$1") is"$'\n'"$(cat "$1")"$'\n'"want"$'\n'"$want"
  pass
}
# expect_out TEXT / expect_err TEXT: the last command printed TEXT.
expect_out() {
  grep -qF -- "$1" "$OUT" || fail "stdout lacks \"$1\""
  pass
}
expect_err() {
  grep -qF -- "$1" "$ERR" || fail "stderr lacks \"$1\""
  pass
}
# The last command failed with exactly one "gkctl: ..." line on stderr.
expect_one_error_line() {
  local n
  n=$(wc -l <"$ERR")
  [[ $n -eq 1 ]] || fail "stderr has $n lines, want exactly 1"
  grep -q '^gkctl: ' "$ERR" || fail "stderr does not start with \"gkctl: \""
  pass
}
# Prints the value of "key: value" from the last stdout.
field() { sed -n "s/^$1: //p" "$OUT" | head -n 1; }

# start_daemon NAME: starts gatekeeperd, waits up to 10 s for its port.
start_daemon() {
  local log=$TMP/$1
  : >"$log.out"  # Exists before the background job opens it.
  "$GATEKEEPERD" --config "$CONFIG" >"$log.out" 2>"$log.err" &
  DAEMON_PID=$!
  local port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^gatekeeperd: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
      "$log.out" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$DAEMON_PID" 2>/dev/null ||
      { LAST_CMD=; fail "gatekeeperd exited: $(cat "$log.err")"; }
    sleep 0.1
  done
  [[ -n $port ]] || { LAST_CMD=; fail "gatekeeperd did not listen within 10 s"; }
  export GATEKEEPER_TARGET=127.0.0.1:$port
  pass
}

# stop_daemon: SIGTERM, then waits up to 10 s for a clean exit.
stop_daemon() {
  kill -TERM "$DAEMON_PID"
  for _ in $(seq 100); do
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$DAEMON_PID" 2>/dev/null &&
    { LAST_CMD=; fail "gatekeeperd did not stop within 10 s of SIGTERM"; }
  wait "$DAEMON_PID"
  local rc=$?
  DAEMON_PID=
  [[ $rc -eq 0 ]] || { LAST_CMD=; fail "gatekeeperd exited with $rc on SIGTERM"; }
  pass
}

# ---- Setup ----
# The example config on a free port and a throwaway data dir; calls allowed
# at any hour and on any date, so that the test passes whenever it runs (the
# hours themselves are tested in integration_tests).
sed -e 's|^listen:.*|listen: "127.0.0.1:0"|' \
  -e "s|^data_dir:.*|data_dir: \"$DATA\"|" \
  -e 's|^  start: "09:00"$|  start: "00:00"|' \
  -e 's|^  end: "20:00"$|  end: "24:00"|' \
  -e 's|^blackout_dates:.*|blackout_dates: []|' "$EXAMPLE_CONFIG" >"$CONFIG"
if ! grep -q '^listen: "127.0.0.1:0"$' "$CONFIG" ||
  ! grep -q "^data_dir: \"$DATA\"$" "$CONFIG" ||
  ! grep -q '^  end: "24:00"$' "$CONFIG" ||
  ! grep -q '^blackout_dates: \[\]$' "$CONFIG"; then
  fail "could not rewrite listen, data_dir, calling_hours and blackout_dates"
fi
start_daemon daemon1

WINDOW=(--starts-at 2026-01-01T00:00:00+09:00 --ends-at 2030-01-01T00:00:00+09:00)
LEAFLET=hikari-leaflet-2026-05
CALL=hikari-call-2026-05

# ---- Help and usage ----
for cmd in "" consent "consent record" "consent withdraw" "consent list" \
  campaign "campaign create" "campaign approve" "campaign retire" \
  "campaign get" "campaign list" check "check insert" "check dial" audit \
  "audit tail" "audit verify" subject "subject report" dnc "dnc list" \
  "dnc clear"; do
  # shellcheck disable=SC2086  # word splitting intended
  gk 0 $cmd --help
  expect_out "Usage:"
done
gk 2 consent record --customer C-1001 --purpose leaflets
expect_one_error_line
expect_err "--purpose"
gk 2 campaign create --id x --starts-at tomorrow
expect_one_error_line
expect_err "--starts-at"
gk 2 --target 127.0.0.1:1 audit verify
expect_one_error_line
expect_err "gkctl: UNAVAILABLE: "

# ---- Leaflet insert (AD_INSERT) ----
gk 0 consent record --customer C-1001 --purpose ad-insert --company hikari-net \
  --notice ad-2026-04 --channel web-form --evidence form-scan-0001 \
  --collected-by operator-7 --request-id walkthrough-ad-1
expect_out "state: GRANTED"
expect_out "purpose: AD_INSERT"
AD_CONSENT=$(field consent_id)
[[ $AD_CONSENT == cns_* ]] || fail "no consent_id printed"
pass
# The same request id and content: the original record, not a second one.
gk 0 consent record --customer C-1001 --purpose AD_INSERT --company hikari-net \
  --notice ad-2026-04 --channel WEB_FORM --evidence form-scan-0001 \
  --collected-by operator-7 --request-id walkthrough-ad-1
expect_out "consent_id: $AD_CONSENT"

# An incomplete leaflet cannot be approved (特定商取引法 Art. 11): every
# missing item named in one message.
gk 0 campaign create --id bare-leaflet --kind insert --company hikari-net \
  "${WINDOW[@]}" --actor alice --display PRICE=1000円
gk 2 campaign approve --id bare-leaflet --approver bob
expect_one_error_line
expect_err "missing: leaflet_sha256, legal_review_id, disclosures[SHIPPING_FEE], disclosures[PAYMENT_TIMING_METHOD], disclosures[DELIVERY_TIMING], disclosures[APPLICATION_PERIOD], disclosures[CANCELLATION_RETURN_TERMS], disclosures[RESPONSIBLE_PERSON]"

printf 'leaflet artwork\n' >"$TMP/leaflet.pdf"
gk 0 campaign create --id "$LEAFLET" --kind insert --company hikari-net \
  "${WINDOW[@]}" --actor alice --description "May leaflet" \
  --leaflet "$TMP/leaflet.pdf" --legal-review LR-2026-0042 \
  --display 'PRICE=月額4,980円(税込)' --display SHIPPING_FEE=なし \
  --display PAYMENT_TIMING_METHOD=電気料金と合わせて翌月払い \
  --display DELIVERY_TIMING=2週間以内に開通 --display APPLICATION_PERIOD=なし \
  --display CANCELLATION_RETURN_TERMS=書面受領後8日以内は解約可 \
  --display RESPONSIBLE_PERSON=販売責任者_鈴木一郎
expect_out "state: DRAFT"
expect_out "leaflet_sha256: $(sha256sum "$TMP/leaflet.pdf" | cut -c1-64)"
expect_out "disclosures[PRICE]: 月額4,980円(税込)"
gk 2 campaign approve --id "$LEAFLET" --approver alice
expect_one_error_line
expect_err "gkctl: FAILED_PRECONDITION: "
gk 0 campaign approve --id "$LEAFLET" --approver bob
expect_out "state: APPROVED"
expect_out "approved_by: bob"
gk 0 campaign get --id "$LEAFLET" --json
expect_out '"state":"CAMPAIGN_STATE_APPROVED"'

gk 0 check insert --customer C-1001 --campaign "$LEAFLET" --print-run pr-1
[[ $(head -n 1 "$OUT") == ALLOW ]] || fail "first line is not ALLOW"
pass
expect_out "consent_id: $AD_CONSENT"
expect_out "reasons: CONSENT_ON_RECORD"

gk 0 consent withdraw --customer C-1001 --purpose ad-insert --company hikari-net \
  --channel counter --evidence slip-17 --reason "customer asked" \
  --requested-by operator-7
expect_out "withdrew 1 consent"
expect_out "$AD_CONSENT"

gk 1 check insert --customer C-1001 --campaign "$LEAFLET"
[[ $(head -n 1 "$OUT") == BLOCK ]] || fail "first line is not BLOCK"
pass
expect_out CONSENT_WITHDRAWN

# ---- Telemarketing (dial) ----
gk 0 consent record --customer C-1001 --purpose telemarketing --company hikari-net \
  --phone 090-1234-5678 --notice tm-2026-04 --channel recorded-call \
  --evidence call-rec-0042 --collected-by operator-7
expect_out "purpose: TELEMARKETING"
MASKED=$(field phone_masked)
[[ $MASKED == *5678 ]] || fail "phone_masked \"$MASKED\" does not end in 5678"
pass
[[ $MASKED != *1234* ]] || fail "phone_masked \"$MASKED\" shows the middle digits"
pass
TM_CONSENT=$(field consent_id)

gk 0 campaign create --id "$CALL" --kind call --company hikari-net \
  --goods-type "光回線サービス" "${WINDOW[@]}" --actor alice \
  --regime tokushoho
gk 0 campaign approve --id "$CALL" --approver bob

gk 0 check dial --phone +819012345678 --campaign "$CALL" --agent agent-3
[[ $(head -n 1 "$OUT") == ALLOW ]] || fail "first line is not ALLOW"
pass
expect_out "consent_id: $TM_CONSENT"
expect_out "seller_name: ひかりネット株式会社"
expect_out "goods_type: 光回線サービス"
expect_out "solicitation_statement: 本日は、光回線サービスのご契約のご案内(勧誘)のためにお電話いたしました。"
expect_out "agent_id: agent-3"
DIAL=$(field decision_id)

# The call: the disclosures made, then the customer refuses (特定商取引法 Art. 17).
hook 0 disclosure --decision "$DIAL" --agent agent-3 \
  --items seller-name,agent-name,goods-type,solicitation-purpose \
  --disclosed-at now --pitch-started-at now --recording rec-walk-1
expect_out COMPLIANT
hook 0 outcome --decision "$DIAL" --agent agent-3 --outcome refused --note "不要"
expect_out RECORDED
ENTRY=$(sed -n 's/^do_not_solicit: //p' "$OUT" | head -n 1)
[[ $ENTRY == dns_* ]] || fail "no do-not-solicit entry printed"
pass
hook 2 outcome --decision "$DIAL" --agent agent-3 --outcome busy
expect_err "ALREADY_EXISTS"
gk 1 check dial --phone 090-1234-5678 --campaign "$CALL" --agent agent-3
expect_out BLOCK
expect_out DO_NOT_SOLICIT
expect_out FREQUENCY_CAP
gk 0 dnc list --phone 090-1234-5678
expect_out "$ENTRY ACTIVE customer=C-1001 phone=+81 90-****-5678 company=hikari-net goods=光回線サービス"

gk 1 check dial --phone 090-8765-4321 --customer C-1001 --campaign "$CALL" \
  --agent agent-3
expect_out BLOCK
expect_out PHONE_NOT_CONSENTED

gk 0 subject report --customer C-1001 --requested-by compliance-7
expect_out "provision_records: 1"
expect_out "to ひかりネット株式会社 (東京都千代田区丸の内1-1-1, 代表取締役 山田太郎) items=phone_number"
expect_out "disclosure_reports: 1"
expect_out "outcomes: 1"
expect_out "do_not_solicit: 1"
# The issue's form: no --requested-by (the login name is logged), --json.
gk 0 subject report --customer C-1001 --json
expect_out '"provisions":[{'
grep -qF -- '+81 90-****-5678' "$OUT" || fail "the report lacks the masked number"
pass

gk 2 dnc clear --entry "$ENTRY" --requested-by cc-operator-3
expect_one_error_line
expect_err "evidence_ref: is required"
gk 0 dnc clear --entry "$ENTRY" --evidence rec-walk-2 --requested-by cc-operator-3
expect_out "$ENTRY CLEARED"
gk 0 dnc list --phone 090-1234-5678
[[ ! -s $OUT ]] || fail "a cleared entry is listed without --all"
pass

# Global options after the subcommand (CLI11 fallthrough).
gk 0 consent withdraw --customer C-1001 --purpose telemarketing --channel ivr \
  --json --target "$GATEKEEPER_TARGET" --timeout 10
expect_out "\"consent_id\":\"$TM_CONSENT\""

gk 1 check dial --phone 090-1234-5678 --campaign "$CALL" --agent agent-3
expect_out BLOCK
expect_out CONSENT_WITHDRAWN

gk 0 consent list --customer C-1001 --history
expect_out "$AD_CONSENT WITHDRAWN"
expect_out "$TM_CONSENT WITHDRAWN"

# ---- Print run through print-gate (README, Case 3) ----
# C-1001 withdrew from AD_INSERT above; C-2002 consents now; C-3003 never did.
gk 0 consent record --customer C-2002 --purpose ad-insert --company hikari-net \
  --notice ad-2026-04 --channel paper-form --evidence scan-2026-000456 \
  --collected-by billing-center
P=$TMP/print
mkdir -p "$P"
cat >"$P/IN.csv" <<'CSV'
document_id,customer_id,insert_codes
D-000001,C-1001,hikari-leaflet-2026-05
D-000002,C-2002,hikari-leaflet-2026-05
D-000003,C-3003,hikari-leaflet-2026-05
D-000004,"C-2002","old-leaflet-2025;hikari-leaflet-2026-05"
D-000005,C-2002,
CSV
pg 0 decide --manifest "$P/IN.csv" --out "$P/OUT.csv" --rejects "$P/REJECTS.csv" \
  --run-id run-2026-12
expect_out "documents: 5"
expect_out "  hikari-leaflet-2026-05: 2"
DIGEST=$(field run_digest)
[[ $DIGEST =~ ^[0-9a-f]{64}$ ]] || fail "no run_digest in the summary"
expect_file "$P/OUT.csv" <<'CSV'
document_id,customer_id,insert_codes
D-000001,C-1001,
D-000002,C-2002,hikari-leaflet-2026-05
D-000003,C-3003,
D-000004,C-2002,hikari-leaflet-2026-05
D-000005,C-2002,
CSV
expect_file "$P/REJECTS.csv" <<'CSV'
document_id,customer_id,insert_code,reasons
D-000001,C-1001,hikari-leaflet-2026-05,CONSENT_WITHDRAWN
D-000003,C-3003,hikari-leaflet-2026-05,NO_CONSENT
D-000004,C-2002,old-leaflet-2025,UNKNOWN_CAMPAIGN
CSV
# A completed run is not decided again.
pg 2 decide --manifest "$P/IN.csv" --out "$P/OUT.csv" --rejects "$P/REJECTS.csv" \
  --run-id run-2026-12
expect_err "completed"
# The digest, recomputed from the log alone.
gk 0 audit run-digest --run-id run-2026-12
expect_out "run_digest: $DIGEST (recomputed from the log)"
expect_out "MATCH"
gk 0 audit tail --customer C-2002
expect_out '"document_id":"D-000004"'
# The inserter put the leaflet into D-000001 by mistake, and spoiled D-000003.
cat >"$P/INSERTED.csv" <<'CSV'
document_id,inserted_codes,status
D-000001,hikari-leaflet-2026-05,OK
D-000002,hikari-leaflet-2026-05,OK
D-000003,,SPOILED
D-000004,hikari-leaflet-2026-05,OK
D-000005,,OK
CSV
pg 1 reconcile --run-id run-2026-12 --inserted "$P/INSERTED.csv" \
  --manifest "$P/IN.csv" --spoiled-out "$P/REPRINTS.csv"
expect_out "violations: 1"
expect_out "  D-000001 hikari-leaflet-2026-05"
expect_file "$P/REPRINTS.csv" <<'CSV'
document_id,customer_id,insert_codes
D-000003,C-3003,hikari-leaflet-2026-05
CSV
gk 0 audit tail --customer C-1001
expect_out "print.violation"
# C-2002 withdraws before the bills are mailed: pull their pieces.
gk 0 consent withdraw --customer C-2002 --purpose ad-insert --company hikari-net \
  --channel counter --reason "お客様のお申し出"
pg 0 pull-list --run-id run-2026-12 --out "$P/PULL.csv"
expect_file "$P/PULL.csv" <<'CSV'
document_id,customer_id,insert_code,reasons
D-000002,C-2002,hikari-leaflet-2026-05,CONSENT_WITHDRAWN
D-000004,C-2002,hikari-leaflet-2026-05,CONSENT_WITHDRAWN
CSV
pg 0 redecide --run-id run-2026-12 --documents "$P/REPRINTS.csv" \
  --out "$P/OUT2.csv" --rejects "$P/REJECTS2.csv"
expect_out "reprint_of: run-2026-12"
expect_file "$P/REJECTS2.csv" <<'CSV'
document_id,customer_id,insert_code,reasons
D-000003,C-3003,hikari-leaflet-2026-05,NO_CONSENT
CSV

# ---- Error cases ----
gk 2 consent record --customer C-1002 --purpose ad-insert --company hikari-net \
  --notice ad-2026-04 --channel web-form --collected-by operator-7
expect_one_error_line
expect_err "evidence_ref"
[[ -s $OUT ]] && fail "a failed record printed on stdout"
pass

gk 2 check dial --phone +819012345678 --campaign "$CALL"
expect_one_error_line
expect_err "agent_id: is required"
pass

gk 1 check insert --customer C-1001 --campaign no-such-campaign
expect_out BLOCK
expect_out UNKNOWN_CAMPAIGN

# ---- Audit log ----
gk 0 audit tail --customer C-1001 --limit 100
# A print batch's entry has no customer of its own: it shows C-1001's documents.
[[ -z $(awk '$5 != "C-1001" && !($3 == "print.batch" && /"customer_id":"C-1001"/)' "$OUT") ]] ||
  fail "audit tail --customer shows other entries"
pass
expect_out "decision.insert"
expect_out "decision.dial"
gk 0 audit verify
expect_out "audit log OK:"

# ---- Proofs for an auditor (README "Proving an entry to an auditor") ----
gk 0 audit pubkey --out "$TMP/audit.pub"
cmp -s "$TMP/audit.pub" "$DATA/audit_signing.pub" || fail "audit pubkey differs from data_dir's"
pass
gk 0 audit prove --seq 3 --pubkey "$TMP/audit.pub" --out "$TMP/proof3.json"
expect_out "entry 3 ("
expect_out "proved against the signed checkpoint of"
gk 0 consent record --customer C-9009 --purpose ad-insert --company hikari-net \
  --notice ad-2026-04 --channel paper-form --evidence scan-9009 \
  --collected-by billing-center --collected-at 2026-04-10T10:00:00+09:00
SEQ=$(sed -n 's/^audit_seq: //p' "$OUT")
gk 0 audit prove --seq "$SEQ" --pubkey "$TMP/audit.pub" --out "$TMP/proof-new.json" \
  --since "$TMP/proof3.json"
expect_out "which extends the signed checkpoint of"
stop_daemon
# Offline: no daemon, no database.
gk 0 audit check-proof "$TMP/proof3.json" --pubkey "$TMP/audit.pub"
expect_out "proof OK: entry 3"
gk 0 audit check-proof "$TMP/proof-new.json" --pubkey "$TMP/audit.pub"
expect_out "which extends"
# An outsider's own implementation of the documented format agrees.
LAST_CMD="verify_proof.py proof3.json"
python3 "$(dirname "$0")/scripts/verify_proof.py" "$TMP/proof3.json" "$TMP/audit.pub" \
  >"$OUT" 2>"$ERR" || fail "the independent verifier refused the proof"
pass
# And the proof with --since: the older checkpoint and the consistency path.
LAST_CMD="verify_proof.py proof-new.json"
python3 "$(dirname "$0")/scripts/verify_proof.py" "$TMP/proof-new.json" "$TMP/audit.pub" \
  >"$OUT" 2>"$ERR" || fail "the independent verifier refused the proof with --since"
pass
# A consistency path altered in one hash: both refuse it.
python3 - "$TMP/proof-new.json" "$TMP/proof-forked.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
h = p["consistency_path"][0]
p["consistency_path"][0] = h[:-1] + ("0" if h[-1] != "0" else "1")
json.dump(p, open(sys.argv[2], "w"))
PY
gk 1 audit check-proof "$TMP/proof-forked.json" --pubkey "$TMP/audit.pub"
expect_out "does not extend the older checkpoint's log"
LAST_CMD="verify_proof.py proof-forked.json"
if python3 "$(dirname "$0")/scripts/verify_proof.py" "$TMP/proof-forked.json" "$TMP/audit.pub" \
  >"$OUT" 2>"$ERR"; then
  fail "the independent verifier accepted an altered consistency path"
fi
expect_out "does not extend the older checkpoint's"
sed 's/"actor": "[^"]*"/"actor": "mallory"/' "$TMP/proof3.json" >"$TMP/proof-bad.json"
gk 1 audit check-proof "$TMP/proof-bad.json" --pubkey "$TMP/audit.pub"
expect_out "proof FAILED: entry 3 does not match its hash"
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >"$TMP/other.pub"
gk 1 audit check-proof "$TMP/proof3.json" --pubkey "$TMP/other.pub"
expect_out "not by this public key"
gk 2 audit check-proof "$TMP/proof3.json" --pubkey "$CONFIG"
expect_one_error_line
start_daemon daemon-proofs

# ---- Backups and retention (README "Backups and restoring", "Retention") ----
gk 0 admin backup --out "$TMP/backup.db" --requested-by nightly-job
expect_out "backup written to $TMP/backup.db"
LAST_CMD="gatekeeperd --verify-data-dir backup.db"
"$GATEKEEPERD" --verify-data-dir "$TMP/backup.db" >"$OUT" 2>"$ERR" ||
  fail "the backup does not verify"
pass
expect_out "OK: integrity_check ok"
expect_out "matches the log"
[[ -e $TMP/backup.db-wal || -e $TMP/backup.db.tmp ]] && fail "files left beside the backup"
pass
gk 2 admin backup --out "$TMP/backup2.db" --requested-by ""
expect_one_error_line
expect_err "requested_by: is required"
gk 0 admin purge --dry-run --requested-by dba
expect_out "would purge: 0 decision entries"

stop_daemon
LAST_CMD="sqlite3 gatekeeper.db UPDATE audit"
changed=$(sqlite3 "$DATA/gatekeeper.db" \
  "UPDATE audit SET actor = 'mallory' WHERE seq = 3; SELECT changes();" 2>"$ERR")
[[ $changed == 1 ]] || { LAST_CMD=; fail "could not alter audit entry 3: $(cat "$ERR")"; }
pass
start_daemon daemon2
gk 1 audit verify
expect_out "BROKEN at entry 3"
# A print batch's stored decisions swapped for another's: the digest
# recomputed from the log no longer matches the one logged at close.
stop_daemon
LAST_CMD="sqlite3 gatekeeper.db UPDATE print_batches"
changed=$(sqlite3 "$DATA/gatekeeper.db" \
  "UPDATE print_batches SET body = (SELECT body FROM print_batches ORDER BY seq DESC LIMIT 1)
   WHERE seq = (SELECT min(seq) FROM print_batches); SELECT changes();" 2>"$ERR")
[[ $changed == 1 ]] || { LAST_CMD=; fail "could not alter a print batch: $(cat "$ERR")"; }
pass
start_daemon daemon3
gk 1 audit run-digest --run-id run-2026-12
expect_out "MISMATCH"
expect_out "batch 0 (entry "

# ---- No clear phone number at rest or in logs ----
LAST_CMD=
for digits in 9012345678 09012345678; do
  hits=$(grep -rlaF -- "$digits" "$DATA" "$TMP"/daemon*.out "$TMP"/daemon*.err)
  [[ -z $hits ]] || fail "the clear phone number $digits appears in: $hits"
  pass
done

echo "$PASSED passed, 0 failed"
