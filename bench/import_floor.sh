#!/usr/bin/env bash
# The floor of a durable consent import on this machine: an empty database
# with gatekeeperd's schema, 1,000,000 consents' rows inserted by SQLite
# itself, in rounds that alternate two record designs:
#   today:   the rows one imported consent writes now (bench/import_floor.sql:
#            consents, consent_events, requests, its own audit entry);
#   compact: the least this schema allows (bench/import_floor_compact.sql:
#            consents and consent_events, one audit entry per 10,000).
# Prints each run (per statement and the COMMIT), the medians in consents a
# second that the engine alone reaches, the bytes a consent takes, and the
# disk's sequential write rate with fdatasync.
#
#   bash bench/import_floor.sh [--rounds N] [build/daemon/gatekeeperd]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=1
if [[ ${1:-} == --rounds ]]; then ROUNDS=$2; shift 2; fi
GATEKEEPERD=${1:-build/daemon/gatekeeperd}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sed -e "s|^data_dir:.*|data_dir: $TMP/data|" -e "s|^listen:.*|listen: 127.0.0.1:0|" \
  config/gatekeeper.example.yaml >"$TMP/gk.yaml"
"$GATEKEEPERD" --config "$TMP/gk.yaml" >"$TMP/out" 2>"$TMP/err" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$TMP/out" && break; sleep 0.1; done
kill -TERM "$PID"; wait "$PID"
EMPTY=$TMP/empty.db
sqlite3 "$TMP/data/gatekeeper.db" "VACUUM INTO '$EMPTY'"

# run DESIGN -> one line: "DESIGN seconds bytes_a_consent per-statement times"
run() {
  local design=$1 sql=bench/import_floor.sql
  [[ $design == compact ]] && sql=bench/import_floor_compact.sql
  local db=$TMP/$design.db
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$EMPTY" "$db"
  sync
  local start end times bytes
  start=$(date +%s.%N)
  times=$(sqlite3 "$db" <"$sql" | grep "^Run Time" | awk 'NR > 1 { printf "%s%.2f", (NR > 2 ? " " : ""), $4 }')
  end=$(date +%s.%N)
  bytes=$(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) - $(stat -c %s "$EMPTY") ))
  awk -v d="$design" -v s="$start" -v e="$end" -v b="$bytes" -v t="$times" 'BEGIN {
    printf "%s %.2f %.0f %s\n", d, e - s, b / 1e6, t }'
  rm -f "$db" "$db-wal" "$db-shm"
}

echo "1,000,000 consents a run; statements timed in order (today: consents, consent_events, requests, audit,"
echo "COMMIT; compact: consents, consent_events, audit, COMMIT), seconds:"
: >"$TMP/runs"
for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then order="today compact"; else order="compact today"; fi
  for d in $order; do
    line=$(run "$d")
    echo "$line" >>"$TMP/runs"
    echo "$line" | awk -v r="$r" '{ printf "  round %d %-8s %6.2f s  %7.0f consents/s  %5d bytes a consent  [%s]\n",
      r, $1, $2, 1e6 / $2, $3, substr($0, index($0, $4)) }'
  done
done
for d in today compact; do
  awk -v d="$d" '$1 == d { print $2 }' "$TMP/runs" | sort -g |
    awk -v d="$d" '{ v[NR] = $1 } END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "engine alone, %s: median %.2f s, %.0f consents/s durable\n", d, m, 1e6 / m }'
done
dd if=/dev/zero of="$TMP/dd" bs=1M count=1024 conv=fdatasync 2>&1 | tail -n 1 |
  sed 's/^/disk, sequential with fdatasync: /'
