#!/usr/bin/env bash
# Delivery against a real local SMTP server: installs PyPI aiosmtpd (our sink, ci/smtp_sink.py, is
# built on it) and runs the SMTP tests of the binary with MSADESK_SMTP_TEST=1. Those tests start and
# stop the sink themselves: server down → messages deferred; server back → each delivered once.
# The STARTTLS test makes a throw-away self-signed certificate with openssl (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; }
MSADESK_SMTP_TEST=1 cargo test -p msadesk --test cli -- smtp_ action_
