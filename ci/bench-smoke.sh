#!/usr/bin/env bash
# A seconds-long run of the benchmark with the debug binary that the tests built, so CI notices when
# the benchmark no longer runs without paying for a release build. Its figures mean nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p msadesk
MSADESK_BIN="${CARGO_TARGET_DIR:-target}/debug/msadesk" bash ci/bench.sh 20000
