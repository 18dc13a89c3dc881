#!/usr/bin/env bash
# Load benchmark of the server: trace requests per second and p50/p99 latency over loopback, on the
# demo dataset (`serve --demo`, 5000 events) in a fresh SQLite database, with a release build.
# The load generator (ci/load-trace.cjs) is plain Node.js, no packages.
#
# Usage: ci/load-trace.sh [CONCURRENCY] [SECONDS]     (defaults 16 and 10)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
tmp="$(mktemp -d)"
cargo build --quiet --release -p msadesk
cp "$target/release/msadesk" "$tmp/msadesk"   # the target directory may be shared and rebuilt under us
bin="$tmp/msadesk"
pid=""
trap '[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export MSADESK_DATABASE="sqlite:$tmp/load.db"
"$bin" serve --demo --listen 127.0.0.1:0 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 1 600); do grep -q 'listening on' "$tmp/serve.log" && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/serve.log" | head -n 1)"
token="$("$bin" token create --role viewer --name load 2>/dev/null)"
# A mix of a whole-product trace and version/period traces of the demo's busiest product.
paths="/api/v1/trace?product=SH-CAM-200 /api/v1/trace?product=SH-CAM-200&version=1.2.0&from=2025-01-01&to=2025-12-31 /api/v1/trace?product=SH-CAM-200&from=2024-01-01&to=2024-06-30"
MSADESK_URL="$url" MSADESK_TOKEN="$token" MSADESK_PATHS="$paths" CONCURRENCY="${1:-16}" DURATION="${2:-10}" \
    node ci/load-trace.cjs
