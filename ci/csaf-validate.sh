#!/usr/bin/env bash
# Validates the CSAF 2.0 security advisories and VEX documents msadesk writes (`msadesk advisory
# csaf`) with the outside validator npm @secvisogram/csaf-validator-lib: the strict CSAF 2.0 JSON
# schema and every mandatory test (6.1.x) must pass; optional and informative findings are printed
# (6.3.6-6.3.8 skipped: they go online or need hunspell). The package is installed into a
# temporary directory; the runner script (ci/csaf-validate.mjs) is ours. A deliberately broken
# document must fail, which proves the checks are live.
#
# Usage: ci/csaf-validate.sh     (exits non-zero on any error)
# Environment: CSAF_VALIDATOR_VERSION (default: latest)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="${CSAF_VALIDATOR_VERSION:-latest}"

echo "installing @secvisogram/csaf-validator-lib@$version from npm"
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
    "@secvisogram/csaf-validator-lib@$version" >/dev/null)

# The documents: written by the binary's own end-to-end test (advisory, VEX, a second revision).
out="$work/out"
(cd "$root" && MSADESK_CSAF_OUT="$out" \
    cargo test --quiet -p msadesk --test cli -- --exact csaf_advisory_and_vex >/dev/null)
docs=("$out/advisory.json" "$out/vex.json" "$out/advisory2.json")
for f in "${docs[@]}"; do
    [[ -s "$f" ]] || { echo "error: the test wrote no document to $f" >&2; exit 1; }
done

# The checks must be able to fail: a product id used but never defined (mandatory test 6.1.1).
python3 - "$out/advisory.json" "$work/broken.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["vulnerabilities"][0]["product_status"]["known_affected"].append("NOT-DEFINED")
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"))
PY
if node "$root/ci/csaf-validate.mjs" "$work" "$work/broken.json" >/dev/null 2>&1; then
    echo "error: a document with an undefined product id passed: the validator's checks are not active" >&2
    exit 1
fi

node "$root/ci/csaf-validate.mjs" "$work" "${docs[@]}"
echo "CSAF 2.0 documents valid (schema and mandatory tests of @secvisogram/csaf-validator-lib)"
