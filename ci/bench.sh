#!/usr/bin/env bash
# Every benchmark of msadesk, each next to a reference measured in the same run, as ratios.
#   bash ci/bench.sh [EVENTS] [--write-md]       (default 1000000; --write-md rewrites BENCHMARKS.md)
# Machines here are shared and noisy: only ratios measured in one run mean something, so every
# reference runs right before and after msadesk (interleaved) and the ratio uses their mean.
#   MSADESK_BIN             binary (default: release build, built if missing)
#   MSADESK_BENCH_POSTGRES  PostgreSQL server (default postgres://postgres@127.0.0.1:5432; skipped if none)
#   MSADESK_BENCH_HTTP_SECONDS  length of the HTTP load run (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
N=1000000; WRITE_MD=0
for a in "$@"; do case "$a" in --write-md) WRITE_MD=1 ;; *) N="$a" ;; esac; done
BIN="${MSADESK_BIN:-${CARGO_TARGET_DIR:-target}/release/msadesk}"
[ -x "$BIN" ] || cargo build --release -p msadesk
W="target/bench/w$N"
mkdir -p "$W"
[ -f "$W/vulns.osv.json" ] || "$BIN" bench generate --events "$N" --seed 1 "$W" 2>/dev/null
R="$W/results.env"; : > "$R"
put() { echo "$1=$2" >> "$R"; }
now() { date +%s.%N; }
since() { python3 -c "print(round($(now)-$1, 3))"; }

sqlite_ref() {
  rm -f "$W/ref.db"
  local t0; t0=$(now)
  sqlite3 "$W/ref.db" <<SQL
.mode csv
.import $W/supply.csv supply
CREATE INDEX supply_trace ON supply(product_id, version, direction, date);
SQL
  since "$t0"
}

# 1. SQLite import: reference, msadesk, reference.
ref1=$(sqlite_ref)
rm -f "$W/msadesk.db" "$W/msadesk.db-wal" "$W/msadesk.db-shm"
export MSADESK_DATABASE="sqlite:$W/msadesk.db"
"$BIN" import products "$W/products.csv" >/dev/null 2>&1
t0=$(now)
/usr/bin/time -f "%M %U" -o "$W/mem.txt" "$BIN" import supply "$W/supply.csv" >/dev/null 2>&1
put sqlite_import "$(since "$t0")"
put sqlite_import_rss_mb "$(( $(cut -d' ' -f1 "$W/mem.txt") / 1024 ))"
ref2=$(sqlite_ref)
put sqlite_ref "$(python3 -c "print(round(($ref1+$ref2)/2, 3))")"

# 2. Trace: the largest and a small product, against the hand-written aggregate on the flat table.
big=$(sqlite3 "$W/ref.db" "SELECT product_id FROM supply GROUP BY product_id ORDER BY COUNT(*) DESC LIMIT 1")
# The small product: the one closest to 1 000 events (what the issue calls a small product).
small=$(sqlite3 "$W/ref.db" "SELECT product_id FROM supply GROUP BY product_id ORDER BY ABS(COUNT(*) - 1000), product_id LIMIT 1")
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
put trace_big_product "$big"; put trace_small_product "$small"
put trace_big_ref "$(ref_trace "$big")"; put trace_big "$(our_trace "$big")"
put trace_small_ref "$(ref_trace "$small")"; put trace_small "$(our_trace "$small")"
put trace_big_events "$(sqlite3 "$W/ref.db" "SELECT COUNT(*) FROM supply WHERE product_id='$big'")"
put trace_small_events "$(sqlite3 "$W/ref.db" "SELECT COUNT(*) FROM supply WHERE product_id='$small'")"
put csv_mb "$(python3 -c "import os; print(round(os.path.getsize('$W/supply.csv')/1e6))")"
put db_mb "$(python3 -c "import os; print(round(os.path.getsize('$W/msadesk.db')/1e6))")"

# 3. CVE impact: SBOMs of every product version and one vulnerability file, then the assessment
#    of that vulnerability (affected versions -> operators supplied -> Member States).
t0=$(now)
tail -n +2 "$W/sboms/index.csv" | while IFS=, read -r p v f; do
  "$BIN" import sbom --product "$p" --version "$v" "$W/sboms/$f" >/dev/null 2>&1
done
"$BIN" import vulns --feed-date 2026-11-01 "$W/vulns.osv.json" >/dev/null 2>&1
put sbom_load "$(since "$t0")"
"$BIN" bench impact --vuln CVE-2099-7777 --iterations 11 > "$W/impact.json"
python3 - "$W/impact.json" >> "$R" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("sbom_components", "keyed_components", "affected_versions", "member_states", "p50_ms", "p99_ms",
          "full_load_p50_ms", "full_load_p99_ms", "per_version_traces_p50_ms"):
    print(f"impact_{k}={round(r[k], 3) if isinstance(r[k], float) else r[k]}")
PY

# 4. PostgreSQL import: reference (\copy + index), msadesk, reference.
PG_BASE="${MSADESK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
if pg_isready -q -d "$PG_BASE/postgres" 2>/dev/null; then
  export PGOPTIONS="-c client_min_messages=warning"
  fresh() { psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS msadesk_bench" -c "CREATE DATABASE msadesk_bench" >/dev/null; }
  pg_ref() {
    fresh
    local cols t0; cols=$(head -n1 "$W/supply.csv" | sed 's/,/ text,/g; s/$/ text/'); t0=$(now)
    psql -q "$PG_BASE/msadesk_bench" -c "CREATE TABLE supply ($cols)" \
         -c "\\copy supply FROM '$W/supply.csv' WITH (FORMAT csv, HEADER true)" \
         -c "CREATE INDEX supply_trace ON supply(product_id, version, direction, date)" >/dev/null
    since "$t0"
  }
  r1=$(pg_ref)
  fresh
  MSADESK_DATABASE="$PG_BASE/msadesk_bench" "$BIN" import products "$W/products.csv" >/dev/null 2>&1
  t0=$(now)
  MSADESK_DATABASE="$PG_BASE/msadesk_bench" /usr/bin/time -f "%M" -o "$W/pgmem.txt" "$BIN" import supply "$W/supply.csv" >/dev/null 2>&1
  put pg_import "$(since "$t0")"
  put pg_import_rss_mb "$(( $(tail -n1 "$W/pgmem.txt") / 1024 ))"
  r2=$(pg_ref)
  put pg_ref "$(python3 -c "print(round(($r1+$r2)/2, 3))")"
  psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS msadesk_bench" >/dev/null
fi

# 5. HTTP: small traces over loopback, served from the N-event registry of step 1 (wrk or the
#    Node.js client): the 20 products closest to 1 000 events, whole and for one year.
http_paths=$(sqlite3 "$W/ref.db" "SELECT product_id FROM supply GROUP BY product_id ORDER BY ABS(COUNT(*) - 1000), product_id LIMIT 20" |
  awk '{ printf "/api/v1/trace?product=%s /api/v1/trace?product=%s&from=2024-01-01&to=2024-12-31 ", $1, $1 }')
put http_paths "$(echo "$http_paths" | wc -w)"
export MSADESK_LOAD_DATABASE="$W/msadesk.db" MSADESK_PATHS="$http_paths"
MSADESK_BIN="$BIN" bash ci/load-trace.sh 16 "${MSADESK_BENCH_HTTP_SECONDS:-10}" > "$W/http.json"
python3 - "$W/http.json" >> "$R" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("requests_per_second", "p50_ms", "p99_ms", "server_cpu_us_per_request", "generator"):
    print(f"http_{k}={r[k]}")
PY

# Latency of one client alone (the end-to-end p99 target), same server setup.
MSADESK_BIN="$BIN" bash ci/load-trace.sh 1 "${MSADESK_BENCH_HTTP_SECONDS_C1:-3}" > "$W/http1.json"
python3 - "$W/http1.json" >> "$R" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("requests_per_second", "p50_ms", "p99_ms"):
    print(f"http1_{k}={r[k]}")
PY

python3 ci/bench_report.py "$N" "$R" "$( [ "$WRITE_MD" = 1 ] && echo BENCHMARKS.md || echo - )"
