#!/usr/bin/env bash
# Makes the readiness report of the demo registry as a PDF (`msadesk report readiness --format pdf`)
# and checks it with an outside reader (Debian poppler-utils):
#  (a) it is A4 and every page turns into a PNG image (pdftoppm),
#  (b) the text reads back (pdftotext): the title, every check id, the Art 64 tiers and the trends.
# Usage: ci/readiness-pdf.sh   (exits non-zero on any failure; PNGs in target/readiness-pdf/)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${MSADESK_PDF_OUT:-$root/target/readiness-pdf}"
mkdir -p "$out"

if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
    echo "installing poppler-utils from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y poppler-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y poppler-utils >/dev/null; }
fi

(cd "$root" && cargo build -q -p msadesk)
bin="${CARGO_TARGET_DIR:-$root/target}/debug/msadesk"
db="$out/demo.db"
rm -f "$db" "$db"-* "$out"/readiness.pdf "$out"/page-*.png
"$bin" --database "sqlite:$db" demo --events 3000 >/dev/null 2>&1
"$bin" --database "sqlite:$db" report readiness --format pdf --out "$out/readiness.pdf"
"$bin" --database "sqlite:$db" report readiness --format json --out "$out/readiness.json"

pdf="$out/readiness.pdf"
pages="$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')"
pdfinfo "$pdf" | grep -q 'Page size: *595.28 x 841.89 pts (A4)' || { echo "error: not A4" >&2; exit 1; }
pdftoppm -png -r 50 "$pdf" "$out/page"
pngs="$(ls "$out"/page-*.png | wc -l)"
if [[ "$pngs" -ne "$pages" || "$pages" -lt 2 ]]; then
    echo "error: $pages pages but $pngs PNG images" >&2
    exit 1
fi
for png in "$out"/page-*.png; do
    [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || { echo "error: $png is not a PNG" >&2; exit 1; }
    [[ "$(stat -c %s "$png")" -gt 2000 ]] || { echo "error: $png is (nearly) empty" >&2; exit 1; }
done

# pdftotext keeps words but may break long ids across lines: compare without whitespace.
text="$(pdftotext -enc UTF-8 "$pdf" - | tr -d ' \n')"
fail=0
ids="$(grep -o '"id": "[a-z_]*\.[a-z_]*"' "$out/readiness.json" | cut -d'"' -f4)"
for needle in "Readinessreport" "CRAArt64(3)" "Requestsfromauthoritiesreceivedpermonth" $ids; do
    if ! grep -qF -- "$needle" <<<"$text"; then
        echo "error: pdftotext did not return: $needle" >&2
        fail=1
    fi
done
[[ "$fail" -eq 0 ]] || exit 1
echo "readiness-pdf: $pages A4 pages rendered to PNG, every check id read back ($out)"
