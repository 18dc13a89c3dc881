#!/usr/bin/env bash
# Drives msadesk's web pages in a real headless Chromium: log in, import a rejected file and see its
# line errors, import good files, run a trace, download the CSV, create an API token. A screenshot of
# each page is kept under target/browser-screenshots/ (a CI artefact).
#
# Chromium is Debian's package (installed here if missing); the driver is npm playwright-core,
# installed under target/browser-test/ (never committed). The server is `msadesk serve --demo` on a
# fresh SQLite database, on a port the kernel picks (--listen 127.0.0.1:0), stopped with SIGTERM at
# the end, which must shut it down cleanly.
#
# Usage: ci/browser-test.sh      (from anywhere; exits non-zero on any failure)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$root/target/browser-test"
shots="$root/target/browser-screenshots"
mkdir -p "$work" "$shots"

if [[ ! -x /usr/bin/chromium ]]; then
    echo "installing Debian chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [[ ! -d "$work/node_modules/playwright-core" ]]; then
    echo "installing npm playwright-core into $work"
    (cd "$work" && npm install --no-audit --no-fund --silent playwright-core >/dev/null)
fi

tmp="$(mktemp -d)"
cargo build --quiet -p msadesk
# A copy: a target directory shared with other checkouts may be rebuilt under us.
cp "$target/debug/msadesk" "$tmp/msadesk"
bin="$tmp/msadesk"

server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

export MSADESK_DATABASE="sqlite:$tmp/msadesk.db"
"$bin" serve --demo --listen 127.0.0.1:0 2>"$tmp/serve.log" &
server_pid=$!
# The server prints its address once it listens; wait for that line (at most 60 s).
for _ in $(seq 1 600); do
    grep -q 'listening on http://' "$tmp/serve.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; echo "error: the server did not start" >&2; exit 1; }
    sleep 0.1
done
base="$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/serve.log" | head -n 1)"
password="$(sed -n "s/.*Log in as user 'admin' with password: //p" "$tmp/serve.log")"
[[ -n "$base" && -n "$password" ]] || { cat "$tmp/serve.log" >&2; echo "error: no address or admin password" >&2; exit 1; }
echo "server at $base"

MSADESK_URL="$base" MSADESK_USER=admin MSADESK_PASSWORD="$password" MSADESK_SHOTS="$shots" \
    MSADESK_FIXTURES="$root/crates/msadesk-server/tests/data" MSADESK_PROFILE="$tmp/chromium-profile" \
    NODE_PATH="$work/node_modules" node "$root/ci/browser-test.cjs"

# SIGTERM: in-flight requests finish and the process exits 0.
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
if [[ "$status" -ne 0 ]]; then
    cat "$tmp/serve.log" >&2
    echo "error: the server exited with status $status on SIGTERM" >&2
    exit 1
fi
grep -q 'msadesk stopped' "$tmp/serve.log"
echo "browser test passed; screenshots in $shots"
