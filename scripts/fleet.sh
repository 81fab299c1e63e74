#!/usr/bin/env bash
# Measures the shared PostgreSQL store the way a fleet uses it, on a
# throwaway server this script starts (a Unix socket in a temporary
# directory, no TCP port; as 'nobody' when run as root) and stops by its PID:
#   1. 4 concurrent `perfkit bench --quick` writers into one database,
#      ROUNDS times (default 10): every run complete with all repetitions;
#   2. `perfkit sync` of a generated RUNS-run SQLite database (default 1000),
#      timed, then again: the second copies nothing;
#   3. `perfkit compare` on PostgreSQL against SQLite for the same runs:
#      byte for byte.
# Needs a built perfkit (scripts/build.sh) and the postgresql package.
# Usage: scripts/fleet.sh [ROUNDS] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
perfkit="$root/build/bin/perfkit"
rounds="${1:-10}"
runs="${2:-1000}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[[ -x "$bindir/initdb" ]] || { echo "fleet: no PostgreSQL server (apt-get install postgresql)" >&2; exit 3; }
[[ -x "$perfkit" ]] || { echo "fleet: build perfkit first (scripts/build.sh)" >&2; exit 3; }

# On disk, with fsync on, as a real server keeps its data.
dir="$(mktemp -d /tmp/perfkit-fleet-XXXXXX)"
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  chown nobody "$dir"
  as_server=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
stop() {
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    pid="$(head -1 "$dir/data/postmaster.pid")"
    kill -INT "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -rf "$dir"
}
trap stop EXIT
"${as_server[@]}" "$bindir/initdb" -D "$dir/data" -U perfkit -A trust -E UTF8 --no-locale -N >/dev/null
"${as_server[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses='' -k $dir -c max_connections=100" start >/dev/null
psql() { "$bindir/psql" -X -q -A -t -h "$dir" -U perfkit "$@"; }
uri() { echo "postgresql://perfkit@/$1?host=$dir"; }
work="$(mktemp -d)"
trap 'stop; rm -rf "$work"' EXIT
bench=(bench --suite crc32 --quick --filter 'crc32c/(sse42|isal)/(64|4096)$')

echo "== 1. four writers at once, $rounds rounds"
psql -d postgres -c "CREATE DATABASE writers"
for round in $(seq "$rounds"); do
  pids=()
  for w in 1 2 3 4; do
    "$perfkit" "${bench[@]}" --db "$(uri writers)" >/dev/null 2>"$work/w$w.err" &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  # Each run: 4 benchmarks x 3 repetitions, status complete.
  incomplete="$(psql -d writers -c "SELECT COUNT(*) FROM runs r WHERE r.status != 'complete' OR
    (SELECT COUNT(*) FROM samples s JOIN benchmarks b ON s.benchmark_id = b.id WHERE b.run_id = r.id) != 12")"
  total="$(psql -d writers -c "SELECT COUNT(*) FROM runs")"
  echo "round $round: $failed writers failed; $total runs stored, $incomplete incomplete"
  [[ $failed -eq 0 && $incomplete -eq 0 && $total -eq $((round * 4)) ]] || { cat "$work"/w*.err >&2; exit 1; }
done

echo "== 2. sync of a $runs-run SQLite database"
"$perfkit" "${bench[@]}" --db "$work/seed.db" >/dev/null 2>&1
/usr/bin/python3 - "$work/seed.db" "$runs" <<'EOF'
# Copies of the seed run, each with a uuid of its own.
import sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1])
cols = [c[1] for c in db.execute("PRAGMA table_info(runs)") if c[1] != "id"]
for _ in range(int(sys.argv[2]) - 1):
    run = db.execute("INSERT INTO runs(%s) SELECT %s FROM runs WHERE id = 1" % (
        ",".join(cols), ",".join("? AS uuid" if c == "uuid" else c for c in cols)),
        (str(uuid.uuid4()),)).lastrowid
    db.execute("INSERT INTO run_tags(run_id, key, value) SELECT ?, key, value FROM run_tags WHERE run_id = 1", (run,))
    for (bid,) in db.execute("SELECT id FROM benchmarks WHERE run_id = 1").fetchall():
        nb = db.execute("INSERT INTO benchmarks(run_id, name, suite, role, threads, time_unit, label, error) "
                        "SELECT ?, name, suite, role, threads, time_unit, label, error FROM benchmarks WHERE id = ?",
                        (run, bid)).lastrowid
        db.execute("INSERT INTO samples SELECT ?, repetition_index, iterations, real_time_ns, cpu_time_ns, "
                   "counters_json FROM samples WHERE benchmark_id = ?", (nb, bid))
db.commit()
EOF
psql -d postgres -c "CREATE DATABASE synced"
for pass in first second; do
  start=$(date +%s%N)
  out="$("$perfkit" sync --from "$work/seed.db" --to "$(uri synced)")"
  end=$(date +%s%N)
  echo "$pass sync: $(((end - start) / 1000000)) ms: $out"
done
echo "runs in PostgreSQL: $(psql -d synced -c 'SELECT COUNT(*) FROM runs')"

echo "== 3. compare on both stores"
for cmd in "compare 1 2" "compare 1 $runs --format json" "runs --limit 5" "hosts"; do
  # shellcheck disable=SC2086
  if cmp -s <("$perfkit" $cmd --db "$work/seed.db" 2>&1) <("$perfkit" $cmd --db "$(uri synced)" 2>&1); then
    echo "$cmd: identical"
  else
    echo "$cmd: DIFFERENT"; exit 1
  fi
done
