#!/usr/bin/env bash
# Renders msadesk's sample PDF with an outside reader (Debian poppler-utils) and checks that
#  (a) every page turns into a PNG image (pdftoppm), and
#  (b) the text comes back exactly, accents included (pdftotext), in every supported script:
#      Polish, German, French, Czech, Hungarian, Romanian.
# The sample is written by the test `document::tests::write_sample_when_asked` of msadesk-formats
# (MSADESK_SAMPLE_PDF names the file). Usage: ci/pdf-render.sh   (exits non-zero on any failure)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${MSADESK_PDF_OUT:-$root/target/pdf-render}"
mkdir -p "$out"

if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
    echo "installing poppler-utils from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y poppler-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y poppler-utils >/dev/null; }
fi

pdf="$out/sample.pdf"
rm -f "$out"/sample.pdf "$out"/page-*.png
(cd "$root" && MSADESK_SAMPLE_PDF="$pdf" cargo test -q -p msadesk-formats --lib document::tests::write_sample_when_asked >/dev/null)
test -s "$pdf" || { echo "error: the sample PDF was not written" >&2; exit 1; }

pages="$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')"
pdfinfo "$pdf" | grep -q 'Page size: *595.28 x 841.89 pts (A4)' || { echo "error: not A4" >&2; exit 1; }
pdftoppm -png -r 50 "$pdf" "$out/page"
pngs="$(ls "$out"/page-*.png | wc -l)"
if [[ "$pngs" -ne "$pages" || "$pages" -lt 3 ]]; then
    echo "error: $pages pages but $pngs PNG images" >&2
    exit 1
fi
for png in "$out"/page-*.png; do
    # A rendered page is a real PNG of some size (not an empty or error image).
    [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || { echo "error: $png is not a PNG" >&2; exit 1; }
    [[ "$(stat -c %s "$png")" -gt 2000 ]] || { echo "error: $png is (nearly) empty" >&2; exit 1; }
done

text="$(pdftotext -enc UTF-8 "$pdf" -)"
fail=0
for needle in "Zażółć gęślą jaźń" "Größe" "prénom" "Marktüberwachungsbehörde" "Konformitätserklärung" \
              "Příliš žluťoučký kůň" "árvíztűrő tükörfúrógép" "Înștiințare" "Åsa, Östersund" "Dystrybucja Łódź"; do
    if ! grep -qF -- "$needle" <<<"$text"; then
        echo "error: pdftotext did not return: $needle" >&2
        fail=1
    fi
done
# Page numbers "1 / N" .. "N / N" (pdftotext may drop the spaces around the slash).
for n in 1 "$pages"; do
    grep -qE "^$n ?/ ?$pages\$" <<<"$text" || { echo "error: no page number $n / $pages" >&2; fail=1; }
done
[[ "$fail" -eq 0 ]] || exit 1
echo "pdf-render: $pages A4 pages rendered to PNG, text and accents read back exactly ($out)"

# Every letter kind in every language: each renders, and the formal wording comes back exactly.
letters="$out/letters"
rm -rf "$letters"
(cd "$root" && MSADESK_SAMPLE_LETTERS="$letters" cargo test -q -p msadesk-formats --lib letters::tests::write_sample_letters_when_asked >/dev/null)
n=0
for pdf in "$letters"/*.pdf; do
    pdftoppm -png -r 30 -f 1 -l 1 "$pdf" "${pdf%.pdf}" || { echo "error: $pdf does not render" >&2; exit 1; }
    n=$((n + 1))
done
[[ "$n" -eq 56 ]] || { echo "error: expected 56 letters (7 kinds x 8 languages), found $n" >&2; exit 1; }
check() { # FILE NEEDLE...
    local file="$1" t; shift
    t="$(pdftotext -enc UTF-8 "$letters/$file" - | tr '\n' ' ')"
    for needle in "$@"; do
        grep -qF -- "$needle" <<<"$t" || { echo "error: $file: pdftotext did not return: $needle" >&2; fail=1; }
    done
}
check risk-notice-msa.pl.pdf "Szanowni Państwo," "Zgłoszenie znaczącego ryzyka w zakresie cyberbezpieczeństwa" "4 grudnia 2026 r." "Z poważaniem"
check risk-notice-msa.de.pdf "Sehr geehrte Damen und Herren," "zuständige Marktüberwachungsbehörde" "4. Dezember 2026" "Mit freundlichen Grüßen"
check request-ack.fr.pdf "Madame, Monsieur," "Accusé de réception" "4 décembre 2026"
check user-notice.sv.pdf "Viktig säkerhetsinformation" "försiktighetsåtgärd"
check recall-notice.es.pdf "Recuperación de" "4 de diciembre de 2026"
[[ "$fail" -eq 0 ]] || exit 1
echo "pdf-render: $n letters (7 kinds x 8 languages) rendered to PNG, formal wording read back exactly"
