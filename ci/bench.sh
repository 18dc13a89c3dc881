#!/usr/bin/env bash
# Import and trace benchmark: msadesk next to references measured in the same run.
#   bash ci/bench.sh [EVENTS]        (default 1000000)
# Reference for the import: the sqlite3 shell's own `.import` of the same CSV into one flat table plus
# one index on (product, version, direction, date). Reference for the trace: the equivalent hand-written
# aggregate over that indexed flat table, in the sqlite3 shell. Prints ratios: machines here are shared
# and noisy, so only ratios measured in one run mean something.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
BIN="${MSADESK_BIN:-target/release/msadesk}"
[ -x "$BIN" ] || cargo build --release -p msadesk
W="target/bench/w$N"
mkdir -p "$W"
[ -f "$W/supply.csv" ] || "$BIN" bench generate --events "$N" --seed 1 "$W"

now() { date +%s.%N; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

rm -f "$W/ref.db" "$W/msadesk.db" "$W/msadesk.db-wal" "$W/msadesk.db-shm"
t0=$(now)
sqlite3 "$W/ref.db" <<SQL
.mode csv
.import $W/supply.csv supply
CREATE INDEX supply_trace ON supply(product_id, version, direction, date);
SQL
t1=$(now)
ref_import=$(python3 -c "print($t1-$t0)")

export MSADESK_DATABASE="sqlite:$W/msadesk.db"
"$BIN" import products "$W/products.csv" 2>/dev/null
t0=$(now)
/usr/bin/time -f "%M" -o "$W/mem.txt" "$BIN" import supply "$W/supply.csv"
t1=$(now)
our_import=$(python3 -c "print($t1-$t0)")
peak_kb=$(tail -n1 "$W/mem.txt")

# The largest and a small product of the workload.
big=$(sqlite3 "$W/ref.db" "SELECT product_id FROM supply GROUP BY product_id ORDER BY COUNT(*) DESC LIMIT 1")
small=$(sqlite3 "$W/ref.db" "SELECT product_id FROM supply GROUP BY product_id HAVING COUNT(*) >= 50 ORDER BY COUNT(*) ASC LIMIT 1")
ref_trace() {
  # Median of 21 runs of the hand-written aggregate, in milliseconds.
  python3 - "$W/ref.db" "$1" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
sql = """SELECT direction, counterparty_id, counterparty_name, counterparty_address, counterparty_country,
                counterparty_email, counterparty_role, MIN(date), MAX(date), SUM(quantity), COUNT(*)
         FROM supply WHERE product_id = ? GROUP BY direction, counterparty_id, counterparty_name,
                counterparty_address, counterparty_country, counterparty_email, counterparty_role"""
db.execute(sql, (sys.argv[2],)).fetchall()
ts = []
for _ in range(21):
    t = time.perf_counter(); db.execute(sql, (sys.argv[2],)).fetchall(); ts.append((time.perf_counter() - t) * 1000)
ts.sort(); print(f"{ts[10]:.3f}")
PY
}
our_trace() { "$BIN" bench trace --product "$1" --iterations 21 | python3 -c "import json,sys; print(f\"{json.load(sys.stdin)['p50_ms']:.3f}\")"; }
rb=$(ref_trace "$big"); ob=$(our_trace "$big")
rs=$(ref_trace "$small"); os=$(our_trace "$small")
events_big=$(sqlite3 "$W/ref.db" "SELECT COUNT(*) FROM supply WHERE product_id='$big'")
events_small=$(sqlite3 "$W/ref.db" "SELECT COUNT(*) FROM supply WHERE product_id='$small'")
csv_mb=$(python3 -c "import os; print(f'{os.path.getsize(\"$W/supply.csv\")/1e6:.0f}')")
db_mb=$(python3 -c "import os; print(f'{os.path.getsize(\"$W/msadesk.db\")/1e6:.0f}')")

# PostgreSQL: msadesk's import against the server's own COPY of the same CSV into one flat table
# plus the same one index. Skipped (and said so) when no server answers.
PG_BASE="${MSADESK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
pg_line="postgres: skipped (no server at $PG_BASE)"
if pg_isready -q -d "$PG_BASE/postgres" 2>/dev/null; then
  export PGOPTIONS="-c client_min_messages=warning"
  psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS msadesk_bench" -c "CREATE DATABASE msadesk_bench" >/dev/null
  cols=$(head -n1 "$W/supply.csv" | sed 's/,/ text,/g; s/$/ text/')
  t0=$(now)
  psql -q "$PG_BASE/msadesk_bench" -c "CREATE TABLE supply ($cols)" \
       -c "\\copy supply FROM '$W/supply.csv' WITH (FORMAT csv, HEADER true)" \
       -c "CREATE INDEX supply_trace ON supply(product_id, version, direction, date)" >/dev/null
  t1=$(now)
  pg_ref=$(python3 -c "print($t1-$t0)")
  psql -q "$PG_BASE/msadesk_bench" -c "DROP TABLE supply" >/dev/null
  MSADESK_DATABASE="$PG_BASE/msadesk_bench" "$BIN" import products "$W/products.csv" 2>/dev/null >/dev/null
  t0=$(now)
  MSADESK_DATABASE="$PG_BASE/msadesk_bench" /usr/bin/time -f "%M" -o "$W/pgmem.txt" "$BIN" import supply "$W/supply.csv" >/dev/null 2>&1
  t1=$(now)
  pg_ours=$(python3 -c "print($t1-$t0)")
  pg_line="postgres import: msadesk ${pg_ours}s   COPY + index ${pg_ref}s   ratio $(ratio "$pg_ours" "$pg_ref")   peak RSS $(( $(tail -n1 "$W/pgmem.txt") / 1024 )) MB"
  psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS msadesk_bench" >/dev/null
fi

cat <<REPORT
events: $N (supply.csv ${csv_mb} MB)
import:  msadesk ${our_import}s   sqlite3 .import + index ${ref_import}s   ratio $(ratio "$our_import" "$ref_import")   peak RSS $((peak_kb / 1024)) MB
trace $big ($events_big events):  msadesk p50 ${ob} ms   hand-written SQL ${rb} ms   ratio $(ratio "$ob" "$rb")
trace $small ($events_small events):  msadesk p50 ${os} ms   hand-written SQL ${rs} ms   ratio $(ratio "$os" "$rs")
database: ${db_mb} MB for ${csv_mb} MB of CSV
$pg_line
REPORT
