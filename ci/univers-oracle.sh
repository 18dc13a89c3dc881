#!/usr/bin/env bash
# Our version ordering, vers: containment and CVSS scores against outside oracles on generated
# cases: PyPI `univers` (versions and ranges) and Red Hat's PyPI `cvss` (scores).
#   bash ci/univers-oracle.sh            (exit 1 when any case disagrees; the report says which)
# The oracles are installed into a virtual environment under target/ (override with ORACLE_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-target}"
VENV="${ORACLE_VENV:-$T/oracle-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q univers cvss
fi
W="$T/oracle"
mkdir -p "$W"
"$VENV/bin/python" ci/oracle/oracle.py generate "$W/cases.tsv" "$W/oracle.txt"
cargo build -q -p msadesk-core --example vuln_oracle
"$T/debug/examples/vuln_oracle" < "$W/cases.tsv" > "$W/ours.txt"
"$VENV/bin/python" ci/oracle/oracle.py compare "$W/cases.tsv" "$W/oracle.txt" "$W/ours.txt"
