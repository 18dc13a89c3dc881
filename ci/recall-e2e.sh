#!/usr/bin/env bash
# Issue 8's "done when", end to end on both engines: an ordered recall of one version supplied to
# 5 000 recipients in 20 Member States. Notices go to a real SMTP sink (ci/smtp_sink.py over PyPI
# aiosmtpd) that stops after half of them; delivery defers the rest; the sink comes back and every
# notice is delivered exactly once (counted by Message-ID). 1 000 recipients then acknowledge through
# their personal links on the running server, the effectiveness figures are checked, a used link is
# refused, the completion package is built and verifies, and the audit trail verifies. A worker killed
# with SIGKILL mid-delivery loses nothing either (its messages are claimed again when the lease ends).
#
# Usage: ci/recall-e2e.sh [RECIPIENTS]   (default 5000; engines: sqlite, and postgres when reachable)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5000}"
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd
cargo build -p msadesk
TARGET="${CARGO_TARGET_DIR:-target}"
case "$TARGET" in /*) ;; *) TARGET="$(pwd)/$TARGET" ;; esac
BIN="$TARGET/debug/msadesk"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }

# The registry: one product, version 2.0 supplied to N recipients across 20 Member States (1-9 units
# each), and version 1.0 to 100 others (outside the action).
python3 - "$WORK" "$N" <<'PY'
import sys, csv, os
work, n = sys.argv[1], int(sys.argv[2])
states = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV NL".split()
with open(os.path.join(work, "products.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow("product_id,product_name,version,manufacturer_id,manufacturer_name,manufacturer_address,manufacturer_country,manufacturer_email,placed_on_market,end_of_support,gtin,our_role".split(","))
    for v in ("1.0", "2.0"):
        w.writerow(["RC-ROUTER", "Home router", v, "MAN-1", "Maker AG", "Werkstr. 1, Berlin", "DE", "sales@maker.example", "2025-01-01", "2030-12-31", "", "manufacturer"])
units = 0
with open(os.path.join(work, "supply.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow("direction,date,product_id,version,quantity,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference".split(","))
    for i in range(n):
        q = 1 + i % 9
        units += q
        c = states[i % 20]
        w.writerow(["supplied", "2026-0%d-1%d" % (1 + i % 9, i % 10), "RC-ROUTER", "2.0", q, "R-%05d" % i, "Recipient %d" % i,
                    "Street %d" % i, c, "r%05d@recipients.example" % i, "distributor", "INV-%d" % i])
    for i in range(100):
        w.writerow(["supplied", "2026-01-01", "RC-ROUTER", "1.0", 3, "OLD-%03d" % i, "Old %d" % i, "x", "DE", "o%d@x.example" % i, "distributor", "OLD-%d" % i])
open(os.path.join(work, "units"), "w").write(str(units))
PY
UNITS="$(cat "$WORK/units")"

run_engine() {
  local engine="$1" db="$2"
  echo "=== $engine: $N recipients"
  export MSADESK_DATABASE="$db"
  local mail="$WORK/mail-$engine" smtp_port http_port
  smtp_port="$(free_port)"
  "$BIN" import products "$WORK/products.csv" >/dev/null
  "$BIN" import supply "$WORK/supply.csv" >/dev/null
  local a
  a="$("$BIN" action add --type recall --product RC-ROUTER --version 2.0 --authority de-bnetza --reference E2E-1 \
        --due 2027-03-31 --level C --summary 'Remote code execution in the web interface' --format json)"
  local id
  id="$(echo "$a" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
  echo "$a" | python3 -c "
import json,sys; a=json.load(sys.stdin)
assert a['recipients_total']==$N, a['recipients_total']
assert a['units_total']==$UNITS, a['units_total']
print('recipients', a['recipients_total'], 'units', a['units_total'])"
  if "$BIN" action advance "$id" --to closed >/dev/null 2>&1; then echo "an invalid step was allowed" >&2; exit 1; fi
  "$BIN" action advance "$id" --to acknowledged >/dev/null
  local t0=$SECONDS
  "$BIN" action notify "$id" --format json | python3 -c "import json,sys; r=json.load(sys.stdin); assert r['queued']==$N, r['queued']"
  echo "notices queued in $((SECONDS - t0)) s"
  export MSADESK_SMTP_HOST=127.0.0.1 MSADESK_SMTP_PORT="$smtp_port" MSADESK_SMTP_FROM=recalls@operator.example MSADESK_OUTBOX_BACKOFF_SECS=1
  # The sink stops by itself after half of the notices.
  python3 ci/smtp_sink.py 127.0.0.1 "$smtp_port" "$mail" --stop-after $((N / 2)) >/dev/null &
  local sink=$!; PIDS+=("$sink"); wait_port "$smtp_port"
  t0=$SECONDS
  "$BIN" outbox deliver --once --format json > "$WORK/pass1.json"
  wait "$sink" || true
  python3 - "$WORK/pass1.json" "$mail" "$N" <<'PY'
import json, sys, os
p = json.load(open(sys.argv[1])); n = int(sys.argv[3])
got = len([f for f in os.listdir(sys.argv[2]) if f.endswith(".eml")])
print("first pass:", p, "received", got)
assert got == n // 2, got
assert p["sent"] == n // 2 and p["deferred"] == n - n // 2, p
PY
  # The sink is back: every deferred notice goes out, once.
  python3 ci/smtp_sink.py 127.0.0.1 "$smtp_port" "$mail" >/dev/null &
  sink=$!; PIDS+=("$sink"); wait_port "$smtp_port"
  for _ in $(seq 1 30); do
    sleep 1
    "$BIN" outbox deliver --once --format json >/dev/null
    local left
    left="$("$BIN" outbox list --state deferred --limit 1 --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    [ "$left" = 0 ] && break
  done
  echo "delivered in $((SECONDS - t0)) s"
  kill "$sink"; wait "$sink" 2>/dev/null || true
  python3 - "$mail" "$N" <<'PY'
import os, sys, re
d, n = sys.argv[1], int(sys.argv[2])
ids = []
for f in os.listdir(d):
    if f.endswith(".eml"):
        m = re.search(rb"^Message-ID: (.*)$", open(os.path.join(d, f), "rb").read(), re.M | re.I)
        ids.append(m.group(1).strip())
print("messages received", len(ids), "distinct", len(set(ids)))
assert len(ids) == n, "lost or duplicated: %d files" % len(ids)
assert len(set(ids)) == n, "a notice was delivered twice"
PY
  # A worker killed mid-delivery (kill -9): once its lease ends the messages it held are claimed
  # again; nothing is lost, and a message it had handed to the server before dying comes again with
  # the same Message-ID (detectable). A second action (version 1.0, 100 recipients) is used for it.
  local crash_mail="$WORK/mail-crash-$engine" id2
  id2="$("$BIN" action add --type alert-users --product RC-ROUTER --version 1.0 --voluntary --due 2027-03-31 --format json \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
  "$BIN" action advance "$id2" --to acknowledged >/dev/null
  "$BIN" action notify "$id2" >/dev/null
  python3 ci/smtp_sink.py 127.0.0.1 "$smtp_port" "$crash_mail" >/dev/null &
  sink=$!; PIDS+=("$sink"); wait_port "$smtp_port"
  MSADESK_OUTBOX_LEASE_SECS=2 MSADESK_OUTBOX_CONCURRENCY=2 "$BIN" outbox deliver >/dev/null 2>&1 &
  local worker=$!; PIDS+=("$worker")
  for _ in $(seq 1 100); do
    [ "$(ls "$crash_mail" 2>/dev/null | grep -c '\.eml$')" -ge 20 ] && break; sleep 0.05
  done
  kill -9 "$worker"; wait "$worker" 2>/dev/null || true
  local before; before="$(ls "$crash_mail" | grep -c '\.eml$')"
  sleep 3
  for _ in $(seq 1 20); do
    MSADESK_OUTBOX_LEASE_SECS=2 "$BIN" outbox deliver --once --format json >/dev/null
    [ "$("$BIN" outbox list --action "$id2" --state sent --limit 1000 --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 100 ] && break
    sleep 1
  done
  kill "$sink"; wait "$sink" 2>/dev/null || true
  python3 - "$crash_mail" "$before" <<'PY'
import os, sys, re, collections
d, before = sys.argv[1], int(sys.argv[2])
ids = [re.search(rb"^Message-ID: (.*)$", open(os.path.join(d, f), "rb").read(), re.M | re.I).group(1).strip()
       for f in os.listdir(d) if f.endswith(".eml")]
dup = [i for i, n in collections.Counter(ids).items() if n > 1]
print("worker killed after", before, "messages; received", len(ids), "distinct", len(set(ids)), "retried (same Message-ID)", len(dup))
assert len(set(ids)) == 100, "a message was lost"
# At most concurrency + 1 messages are sent but not yet recorded at any moment (see delivery.rs).
assert len(ids) - len(set(ids)) <= 3, "more repeats than messages in flight"
PY

  # Acknowledgements through the personal links, on the running server.
  http_port="$(free_port)"
  MSADESK_SMTP_HOST= "$BIN" serve --listen "127.0.0.1:$http_port" >/dev/null 2>"$WORK/serve-$engine.log" &
  local srv=$!; PIDS+=("$srv"); wait_port "$http_port"
  python3 - "$mail" "$http_port" <<'PY'
import os, sys, re, urllib.request, urllib.parse, urllib.error, quopri, email
d, port = sys.argv[1], sys.argv[2]
files = sorted(f for f in os.listdir(d) if f.endswith(".eml"))[:1000]
total = 0
for f in files:
    msg = email.message_from_bytes(open(os.path.join(d, f), "rb").read())
    body = msg.get_payload(decode=True).decode("utf-8")
    link = re.search(r"http://\S+/ack/([A-Za-z0-9_-]+)", body).group(1)
    units = int(re.search(r"units supplied to you: (\d+)", body).group(1))
    total += units
    form = urllib.parse.urlencode({"units_on_hand": 0, "units_returned": units, "units_updated": 0,
                                   "units_destroyed": 0, "sub_recipients_notified": 1}).encode()
    r = urllib.request.urlopen(f"http://127.0.0.1:{port}/ack/{link}", data=form)
    assert r.status == 200 and b"recorded" in r.read()
# A used link is refused with a page that says so.
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/ack/{link}", data=form)
    raise SystemExit("a used link was accepted")
except urllib.error.HTTPError as e:
    assert e.code == 410 and b"used already" in e.read(), e.code
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/ack/not-a-real-token")
    raise SystemExit("an unknown link was accepted")
except urllib.error.HTTPError as e:
    assert e.code == 404
open(os.path.join(d, "..", "acked-units"), "w").write(str(total))
print("acknowledged", len(files), "units", total)
PY
  kill "$srv"; wait "$srv" 2>/dev/null || true
  local acked_units; acked_units="$(cat "$WORK/acked-units")"
  "$BIN" action report "$id" --format json | python3 -c "
import json,sys; r=json.load(sys.stdin); a=r['action']; n=$N
assert a['recipients_total']==n
assert a['recipients_reached']==n, a['recipients_reached']
assert a['recipients_acknowledged']==min(1000,n), a['recipients_acknowledged']
assert r['quantities']['returned']==$acked_units and a['units_resolved']==$acked_units, r['quantities']
assert r['delivery']['sent']==n and r['delivery']['deferred']==0, r['delivery']
assert r['non_responders_total']==n-min(1000,n)
e=a['effectiveness']; assert e['check_met']==(min(1000,n)>=e['required_recipients']), e
print('report ok: reached', a['recipients_reached'], 'acknowledged', a['recipients_acknowledged'], 'effectiveness', e['recipients_acknowledged_pct'], '%', 'check met', e['check_met'])"
  for s in in_progress completed reported; do "$BIN" action advance "$id" --to "$s" >/dev/null; done
  # The completion package: signed, every file listed with its SHA-256, verifiable.
  "$BIN" action package "$id" --out "$WORK/completion-$engine.zip" --key "$WORK/signing-key-$engine" 2>/dev/null
  "$BIN" verify "$WORK/completion-$engine.zip" > "$WORK/verify-$engine.txt"
  head -n 1 "$WORK/verify-$engine.txt"
  "$BIN" action advance "$id" --to closed >/dev/null
  "$BIN" audit verify >/dev/null
  unset MSADESK_SMTP_HOST MSADESK_SMTP_PORT MSADESK_SMTP_FROM MSADESK_OUTBOX_BACKOFF_SECS
  echo "=== $engine: ok"
}

run_engine sqlite "sqlite:$WORK/recall.db"
PG="${MSADESK_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  DBNAME="recall_e2e_$$"
  psql "$PG" -qc "CREATE DATABASE $DBNAME" >/dev/null
  run_engine postgres "${PG%/*}/$DBNAME"
  psql "$PG" -qc "DROP DATABASE $DBNAME" >/dev/null
else
  echo "PostgreSQL is not reachable at 127.0.0.1:5432: the postgres half was skipped" >&2
  [ "${CI:-}" = true ] && exit 1
fi
echo "recall end to end: ok"
