#!/usr/bin/env bash
# Runs the SBOM and CSAF readers over the official corpora, fetched from PyPI at test time (never
# copied into the repository): CycloneDX schemaTestData from the cyclonedx-python-lib sdist, SPDX
# examples from the spdx-tools sdist, OASIS CSAF 2.0 test documents from the csaf wheel.
#   bash ci/intake-corpora.sh
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-target}"
W="$T/corpora"
if [ ! -d "$W/cyclonedx" ]; then
  rm -rf "$W/dl" && mkdir -p "$W/dl"
  python3 -m pip download -q --no-deps --no-binary :all: cyclonedx-python-lib spdx-tools -d "$W/dl"
  python3 -m pip download -q --no-deps --only-binary :all: csaf -d "$W/dl"
  ( cd "$W/dl" && for f in *.tar.gz; do tar xzf "$f"; done && mkdir -p wheel && cd wheel && python3 -m zipfile -e ../csaf-*.whl . )
  mkdir -p "$W/cyclonedx" "$W/csaf"
  cp -r "$W"/dl/cyclonedx_python_lib-*/tests/_data/schemaTestData "$W/cyclonedx/"
  cp -r "$W"/dl/spdx_tools-*/tests/spdx/data "$W/spdx"
  cp -r "$W"/dl/wheel/csaf/csaf/v20/data/. "$W/csaf/"
fi
MSADESK_CORPORA="$(cd "$W" && pwd)" cargo test -q -p msadesk-formats --test intake official_corpora -- --nocapture
