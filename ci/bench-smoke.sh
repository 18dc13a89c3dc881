#!/usr/bin/env bash
# A seconds-long run of every benchmark (imports, traces, CVE impact, PostgreSQL, HTTP load) with the
# debug binary that the tests built, so CI notices when a benchmark no longer runs without paying
# for a release build. Its figures mean nothing; BENCHMARKS.md is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
# The HTTP load generator: wrk from Debian when it can be installed, else ci/load-trace.cjs (Node.js).
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || true
cargo build -p msadesk
MSADESK_BIN="${CARGO_TARGET_DIR:-target}/debug/msadesk" MSADESK_BENCH_HTTP_SECONDS=2 bash ci/bench.sh 20000
