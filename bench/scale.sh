#!/usr/bin/env bash
# The daemon at two sizes of consent database (issue 12: ten million consents
# in 1 GiB): for each, the time from launch to serving with the database in
# the page cache (warm) and after its files were evicted from it (cold,
# posix_fadvise DONTNEED), the resident memory when it starts serving and its
# peak under load, and CheckInsert / CheckDial QPS at 16 calls outstanding
# (gkbench), in rounds that alternate the two sizes; the figures are medians
# over the rounds, with the larger size's QPS as a ratio of the smaller's.
#
#   bash bench/scale.sh [--rounds N] [--small N] [--large N] SMALL_DIR LARGE_DIR
#
# The directories keep their seeds between runs (gkbench reuses a seed that
# is large enough). Seeding ten million consents takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3 SMALL=1000000 LARGE=10000000 DURATION=5
while [[ $# -gt 2 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --small) SMALL=$2; shift 2 ;;
    --large) LARGE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -eq 2 ]] || { echo "usage: $0 [--rounds N] [--small N] [--large N] SMALL_DIR LARGE_DIR" >&2; exit 2; }
DIRS=("$1" "$2")
SIZES=("$SMALL" "$LARGE")
GATEKEEPERD=$PWD/build/daemon/gatekeeperd
GKBENCH=$PWD/build/bench/gkbench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# gkbench starts "gatekeeperd" through this wrapper, which samples the
# daemon's peak resident size (VmHWM) until it exits.
cat >"$TMP/gatekeeperd" <<WRAP
#!/usr/bin/env bash
"$GATEKEEPERD" "\$@" &
pid=\$!
trap 'kill -TERM \$pid' TERM INT
while kill -0 \$pid 2>/dev/null; do
  awk '/VmHWM/ { print \$2 }' /proc/\$pid/status >"$TMP/hwm.tmp" 2>/dev/null &&
    mv "$TMP/hwm.tmp" "$TMP/hwm"
  sleep 0.2
done
wait \$pid
WRAP
chmod +x "$TMP/gatekeeperd"

evict() {  # drops the database's files from the page cache
  python3 - "$1" <<'PY'
import glob, os, sys
for p in glob.glob(os.path.join(sys.argv[1], "gatekeeper.db*")) + glob.glob(
        os.path.join(sys.argv[1], "consent_index.snapshot")):
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
PY
}

# start DIR -> "seconds rss_kib": launch to the listening line, RSS then.
start() {
  local out=$TMP/start.out
  : >"$out"
  local t0 t1 pid rss
  t0=$(date +%s.%N)
  "$GATEKEEPERD" --config "$1/gatekeeper.yaml" >"$out" 2>"$TMP/start.err" &
  pid=$!
  until grep -q "listening on" "$out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/start.err" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s.%N)
  rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid"
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $rss"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for i in 0 1; do
  echo "seeding ${SIZES[$i]} consents in ${DIRS[$i]} (reused if already there)"
  "$GKBENCH" --data-dir "${DIRS[$i]}" --keep --consents "${SIZES[$i]}" --duration 0.1 \
    --warmup 0 --concurrency 1 --ops CheckInsert --no-verify-audit | grep -E "^seeding|^database" || true
done

for r in $(seq "$ROUNDS"); do
  for k in 0 1; do
    i=$(( (r + k) % 2 ))  # alternate which size goes first
    d=${DIRS[$i]}
    start "$d" >/dev/null  # brings the files into the page cache
    read -r warm rss <<<"$(start "$d")"
    evict "$d"
    read -r cold _ <<<"$(start "$d")"
    rm -f "$TMP/hwm"
    "$GKBENCH" --data-dir "$d" --keep --consents "${SIZES[$i]}" --duration "$DURATION" \
      --warmup 0.5 --concurrency 16 --ops CheckInsert,CheckDial --no-verify-audit \
      --gatekeeperd "$TMP/gatekeeperd" >"$TMP/load.out"
    qi=$(awk '$1 == "CheckInsert" && $2 == 16 { print $4 }' "$TMP/load.out" | tail -n 1)
    qd=$(awk '$1 == "CheckDial" && $2 == 16 { print $4 }' "$TMP/load.out" | tail -n 1)
    hwm=$(cat "$TMP/hwm")
    echo "round $r ${SIZES[$i]}: warm start ${warm} s, cold start ${cold} s, RSS at start $((rss / 1024)) MiB, peak under load $((hwm / 1024)) MiB, CheckInsert ${qi} QPS, CheckDial ${qd} QPS"
    echo "$r $i $warm $cold $rss $hwm $qi $qd" >>"$TMP/rows"
  done
done

echo
for i in 0 1; do
  col() { awk -v i="$i" -v c="$1" '$2 == i { print $c }' "$TMP/rows" | median; }
  printf "%10s consents: warm start %s s, cold start %s s, RSS at start %.0f MiB, peak %.0f MiB, CheckInsert %.0f QPS, CheckDial %.0f QPS (medians of %s rounds)\n" \
    "${SIZES[$i]}" "$(col 3)" "$(col 4)" "$(awk -v v="$(col 5)" 'BEGIN { print v / 1024 }')" \
    "$(awk -v v="$(col 6)" 'BEGIN { print v / 1024 }')" "$(col 7)" "$(col 8)" "$ROUNDS"
done
# QPS of the large database as a ratio of the small one's, per round.
for c in 7 8; do
  ratio=$(awk -v c="$c" '{ q[$1, $2] = $c } END { for (r = 1; (r, 0) in q; ++r) print q[r, 1] / q[r, 0] }' \
    "$TMP/rows" | median)
  name=$([[ $c == 7 ]] && echo CheckInsert || echo CheckDial)
  echo "$name QPS at ${SIZES[1]} / at ${SIZES[0]}: $ratio (median of the rounds)"
done
