#!/usr/bin/env bash
# Response packages against outside ZIP readers: a package built by `msadesk request package` must
# list and test clean with Info-ZIP's `unzip` (Debian) and Python's `zipfile`, extract to the bytes
# its manifest names, verify with `msadesk verify`, and fail `msadesk verify` after a one-byte change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v unzip >/dev/null; then
    echo "installing unzip from Debian"
    apt-get install -y -qq unzip >/dev/null
fi
cargo build --quiet -p msadesk
bin="${CARGO_TARGET_DIR:-$root/target}/debug/msadesk"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export MSADESK_DATABASE="sqlite:$tmp/pkg.db"
"$bin" demo --events 2000 >/dev/null 2>&1
printf '%%PDF-1.4 declaration of conformity\n' > DoC.pdf
"$bin" doc add --product SH-CAM-200 --version 1.2.0 --kind doc DoC.pdf >/dev/null 2>&1
# The demo has requests of its own: take the id of the new one.
id="$("$bin" request add --authority de-bnetza --reference CI-1 --received 2026-12-03T16:30 --due-days 10 \
    --product SH-CAM-200 --asks trace,documents,sbom --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
"$bin" request ack "$id" >/dev/null 2>&1
"$bin" request package "$id" --out response.zip 2>/dev/null >/dev/null
key="$("$bin" key export)"

unzip -t response.zip
python3 - <<'PY'
import hashlib, json, zipfile
z = zipfile.ZipFile("response.zip")
assert z.testzip() is None, "CRC error"
m = json.loads(z.read("manifest.json"))
names = set(z.namelist()) - {"manifest.json", "manifest.sig"}
assert names == {f["path"] for f in m["files"]}, (names, m["files"])
for f in m["files"]:
    data = z.read(f["path"])
    assert len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
assert any(f["path"] == "documents/1.2.0/doc/DoC.pdf" for f in m["files"])
assert {"readiness.json", "readiness.pdf"} <= {f["path"] for f in m["files"]}, m["files"]
assert json.loads(z.read("readiness.json"))["schema_version"] == 1
print("python zipfile: %d files match the manifest" % len(m["files"]))
PY
mkdir out && (cd out && unzip -q ../response.zip) && cmp out/documents/1.2.0/doc/DoC.pdf DoC.pdf

"$bin" verify response.zip --key "$key"
# One byte changed in the middle of the archive: refused.
python3 -c "
b = bytearray(open('response.zip','rb').read()); b[len(b)//2] ^= 1; open('bad.zip','wb').write(b)"
if "$bin" verify bad.zip --key "$key"; then
    echo "FAIL: a tampered package verified" >&2
    exit 1
fi
echo "package check: OK"
