#!/usr/bin/env bash
# Fuzzes the JSON API from its own OpenAPI document with schemathesis (PyPI): generated requests,
# valid and invalid, against `msadesk serve --demo` on a fresh SQLite database. Fails on any 5xx, on
# a status code, content type or response body the document does not describe.
#
# Usage: ci/api-fuzz.sh      (from anywhere; exits non-zero on any failure)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
if ! command -v schemathesis >/dev/null; then
    echo "installing schemathesis from PyPI"
    python3 -m pip install --quiet schemathesis
fi
tmp="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cargo build --quiet -p msadesk
cp "$target/debug/msadesk" "$tmp/msadesk"   # the target directory may be shared and rebuilt under us
export MSADESK_DATABASE="sqlite:$tmp/fuzz.db"
"$tmp/msadesk" serve --demo --listen 127.0.0.1:0 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 1 600); do grep -q 'listening on' "$tmp/serve.log" && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/serve.log" | head -n 1)"
token="$("$tmp/msadesk" token create --role admin --name fuzz 2>/dev/null)"
cd "$tmp"
schemathesis run "$url/api/v1/openapi.json" -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases coverage,fuzzing --max-examples 25 --seed 2847 --no-color
