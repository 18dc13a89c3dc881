#!/usr/bin/env bash
# Load benchmark of the server: trace requests per second and p50/p99 latency over loopback, on the
# demo dataset (`serve --demo`, 5000 events) in a fresh SQLite database.
#
# Usage: ci/load-trace.sh [CONCURRENCY] [SECONDS]     (defaults 16 and 10)
#   MSADESK_BIN   binary to run (default: a release build, built if missing)
#   MSADESK_PATHS space-separated request paths (default: three small traces, ~1-30 kB of JSON each)
#   MSADESK_LOAD_DATABASE  an existing SQLite database to serve instead of the demo (ci/bench.sh
#                 passes its N-event registry); MSADESK_PATHS must then name its products
# The load generator is wrk (Debian package `wrk`, script ci/load-trace.lua) when installed, else
# the plain Node.js client ci/load-trace.cjs (slower: on 2 shared cores it saturates first).
# Prints one JSON line, with the server's own CPU time per request (user + system, from /proc),
# which is steadier than requests/s on a shared machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
tmp="$(mktemp -d)"
if [[ -z "${MSADESK_BIN:-}" ]]; then
  cargo build --quiet --release -p msadesk
  MSADESK_BIN="$target/release/msadesk"
fi
cp "$MSADESK_BIN" "$tmp/msadesk"   # the target directory may be shared and rebuilt under us
bin="$tmp/msadesk"
pid=""
trap '[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
if [[ -n "${MSADESK_LOAD_DATABASE:-}" ]]; then
  [[ -n "${MSADESK_PATHS:-}" ]] || { echo "MSADESK_LOAD_DATABASE needs MSADESK_PATHS (its products)" >&2; exit 2; }
  export MSADESK_DATABASE="sqlite:$MSADESK_LOAD_DATABASE"
  "$bin" serve --listen 127.0.0.1:0 2>"$tmp/serve.log" &
else
  export MSADESK_DATABASE="sqlite:$tmp/load.db"
  "$bin" serve --demo --listen 127.0.0.1:0 2>"$tmp/serve.log" &
fi
pid=$!
for _ in $(seq 1 600); do grep -q 'listening on' "$tmp/serve.log" && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/serve.log" | head -n 1)"
token="$("$bin" token create --role viewer --name load 2>/dev/null)"
# Small traces: a whole small product (79 counterparties), a period of another, a version and
# quarter of the busiest one.
small="/api/v1/trace?product=PLG-E1 /api/v1/trace?product=GEN-00009&from=2024-01-01&to=2024-12-31 /api/v1/trace?product=SH-CAM-200&version=1.2.0&from=2025-01-01&to=2025-03-31"
paths="${MSADESK_PATHS:-$small}"
for p in $paths; do
  command -v curl >/dev/null || break   # the load generator's error count catches it too
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$p")"
  [[ "$code" == 200 ]] || { echo "GET $p answered $code, not 200" >&2; exit 1; }
done
c="${1:-16}"; d="${2:-10}"
cpu0="$(awk '{print $14+$15}' "/proc/$pid/stat")"
if command -v wrk >/dev/null; then
  out="$(MSADESK_TOKEN="$token" MSADESK_PATHS="$paths" wrk -t"$(( c < 2 ? c : 2 ))" -c"$c" -d"${d}s" -s ci/load-trace.lua "$url" | tail -n 1)"
else
  out="$(MSADESK_URL="$url" MSADESK_TOKEN="$token" MSADESK_PATHS="$paths" CONCURRENCY="$c" DURATION="$d" node ci/load-trace.cjs)"
fi
cpu1="$(awk '{print $14+$15}' "/proc/$pid/stat")"
tick="$(getconf CLK_TCK)"
echo "$out" | python3 -c "
import json, sys
r = json.load(sys.stdin)
r['generator'] = '$(command -v wrk >/dev/null && echo wrk || echo node)'
r['concurrency'] = $c
r['server_cpu_us_per_request'] = round(($cpu1 - $cpu0) * 1e6 / $tick / max(r['requests'], 1), 1)
print(json.dumps(r))
errs = r.get('errors', 0) + r.get('non_2xx', 0) + r.get('socket_errors', 0)
sys.exit(1 if errs else 0)"
