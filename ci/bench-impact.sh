#!/usr/bin/env bash
# Only the CVE impact benchmark (steps 1 and 3 of ci/bench.sh, no references for the import):
#   bash ci/bench-impact.sh [EVENTS]      (default 1000000)
#   MSADESK_BENCH_DATABASE=postgres://postgres@127.0.0.1:5432/msadesk_impact bash ci/bench-impact.sh
#                                         (PostgreSQL: that database is dropped and created afresh)
# Generates the workload, imports products, supply events, every SBOM and the OSV file into a fresh
# database (SQLite by default), then `msadesk bench impact`: the assessment (keyed component load,
# supplied-by-country summary) next to two references measured in the same run, the assessment
# loading every SBOM component and one trace per affected version, failing if they disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
BIN="${MSADESK_BIN:-${CARGO_TARGET_DIR:-target}/release/msadesk}"
[ -x "$BIN" ] || cargo build --release -p msadesk
W="target/bench/w$N"
mkdir -p "$W"
[ -f "$W/vulns.osv.json" ] || "$BIN" bench generate --events "$N" --seed 1 "$W" 2>/dev/null
DB="${MSADESK_BENCH_DATABASE:-sqlite:$W/impact.db}"
case "$DB" in
  postgres://*|postgresql://*)
    export PGOPTIONS="-c client_min_messages=warning"
    psql -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS \"${DB##*/}\"" -c "CREATE DATABASE \"${DB##*/}\"" >/dev/null ;;
  *) rm -f "$W/impact.db" "$W/impact.db-wal" "$W/impact.db-shm" ;;
esac
export MSADESK_DATABASE="$DB"
"$BIN" import products "$W/products.csv" >/dev/null 2>&1
"$BIN" import supply "$W/supply.csv" >/dev/null 2>&1
tail -n +2 "$W/sboms/index.csv" | while IFS=, read -r p v f; do
  "$BIN" import sbom --product "$p" --version "$v" "$W/sboms/$f" >/dev/null 2>&1
done
"$BIN" import vulns --feed-date 2026-11-01 "$W/vulns.osv.json" >/dev/null 2>&1
"$BIN" bench impact --vuln CVE-2099-7777 --iterations 11
