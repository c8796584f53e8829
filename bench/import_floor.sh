#!/usr/bin/env bash
# The floor of a durable consent import on this machine: an empty database
# with gatekeeperd's schema, 1,000,000 consents' rows inserted by SQLite
# itself (bench/import_floor.sql), timed per table and for the COMMIT, and the
# disk's sequential write rate with fdatasync. Prints the consents a second
# that the engine alone reaches and the bytes a consent takes.
#
#   bash bench/import_floor.sh [build/daemon/gatekeeperd]
set -euo pipefail
cd "$(dirname "$0")/.."
GATEKEEPERD=${1:-build/daemon/gatekeeperd}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sed -e "s|^data_dir:.*|data_dir: $TMP/data|" -e "s|^listen:.*|listen: 127.0.0.1:0|" \
  config/gatekeeper.example.yaml >"$TMP/gk.yaml"
"$GATEKEEPERD" --config "$TMP/gk.yaml" >"$TMP/out" 2>"$TMP/err" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$TMP/out" && break; sleep 0.1; done
kill -TERM "$PID"; wait "$PID"
DB=$TMP/data/gatekeeper.db
start=$(date +%s.%N)
sqlite3 "$DB" <bench/import_floor.sql | grep "^Run Time" |
  awk 'NR > 1 { n++; t[n] = $4 }
       END { printf "consents %.2f s, consent_events %.2f s, requests %.2f s, audit %.2f s, COMMIT %.2f s\n",
             t[1], t[2], t[3], t[4], t[5] }'
end=$(date +%s.%N)
bytes=$(( $(stat -c %s "$DB") + $(stat -c %s "$DB-wal" 2>/dev/null || echo 0) ))
awk -v s="$start" -v e="$end" -v b="$bytes" 'BEGIN {
  printf "engine alone: %.0f consents/s durable (%.1f s for 1,000,000); %.0f bytes a consent on disk\n",
    1e6 / (e - s), e - s, b / 1e6 }'
dd if=/dev/zero of="$TMP/dd" bs=1M count=1024 conv=fdatasync 2>&1 | tail -n 1 |
  sed 's/^/disk, sequential with fdatasync: /'
