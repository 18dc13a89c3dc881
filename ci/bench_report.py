#!/usr/bin/env python3
"""Prints the figures of one ci/bench.sh run and, given a file name, writes BENCHMARKS.md from them.

Usage: bench_report.py EVENTS RESULTS.env (BENCHMARKS.md | -)
"""
import datetime
import os
import platform
import subprocess
import sys

events, results, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
r = {}
for line in open(results):
    k, _, v = line.strip().partition("=")
    if k:
        r[k] = v


def f(k):
    return float(r[k])


def ratio(a, b):
    return f(a) / f(b) if f(b) > 0 else float("nan")


def verdict(value, target, unit="×", lower=True):
    ok = value <= target if lower else value >= target
    return "met" if ok else f"gap: {value:.2f}{unit} against {target}{unit}"


rows = []  # (measure, msadesk, reference, ratio, target, verdict)
si = ratio("sqlite_import", "sqlite_ref")
rows.append(("SQLite import", f"{f('sqlite_import'):.2f} s", f"`sqlite3 .import` + index {f('sqlite_ref'):.2f} s",
             f"{si:.2f}×", "≤ 1.5×", verdict(si, 1.5)))
if "pg_import" in r:
    pi = ratio("pg_import", "pg_ref")
    rows.append(("PostgreSQL import", f"{f('pg_import'):.2f} s", f"`\\copy` + index {f('pg_ref'):.2f} s",
                 f"{pi:.2f}×", "≤ 2×", verdict(pi, 2.0)))
rss = max(int(r["sqlite_import_rss_mb"]), int(r.get("pg_import_rss_mb", 0)))
rows.append(("peak RSS of the imports (SQLite / PostgreSQL)",
             f"{r['sqlite_import_rss_mb']} MB / {r.get('pg_import_rss_mb', '—')} MB", "—", "—", "< 200 MB",
             "met" if rss < 200 else f"gap: {rss} MB"))
tb = ratio("trace_big", "trace_big_ref")
rows.append((f"trace, largest product ({r['trace_big_events']} events)", f"{f('trace_big'):.2f} ms",
             f"hand-written SQL {f('trace_big_ref'):.2f} ms", f"{tb:.2f}×", "≤ 1.2×", verdict(tb, 1.2)))
ts = ratio("trace_small", "trace_small_ref")
rows.append((f"trace, small product ({r['trace_small_events']} events)", f"{f('trace_small'):.3f} ms",
             f"hand-written SQL {f('trace_small_ref'):.3f} ms", f"{ts:.2f}×", "≤ 1.2×", verdict(ts, 1.2)))
if "impact_full_load_p50_ms" in r:
    # The reference: the same assessment loading every current SBOM component (before the index).
    rows.append(("CVE impact (vulnerability → versions → operators → Member States)",
                 f"p50 {f('impact_p50_ms'):.1f} ms, p99 {f('impact_p99_ms'):.1f} ms "
                 f"({r['impact_keyed_components']} of {r['impact_sbom_components']} SBOM components loaded, "
                 f"{r['impact_affected_versions']} versions affected, {r['impact_member_states']} Member States)",
                 f"loading every component: p50 {f('impact_full_load_p50_ms'):.1f} ms, "
                 f"p99 {f('impact_full_load_p99_ms'):.1f} ms; one trace per version: p50 "
                 f"{f('impact_per_version_traces_p50_ms'):.1f} ms",
                 f"{ratio('impact_p50_ms', 'impact_full_load_p50_ms'):.3f}×", "< 100 ms",
                 verdict(f("impact_p99_ms"), 100, " ms")))
else:
    rows.append(("CVE impact (vulnerability → versions → operators → Member States)",
                 f"p50 {f('impact_p50_ms'):.1f} ms, p99 {f('impact_p99_ms'):.1f} ms",
                 f"{r['impact_sbom_components']} SBOM components, {r['impact_affected_versions']} versions affected, "
                 f"{r['impact_member_states']} Member States"
                 + (f"; one trace per version (before): p50 {f('impact_per_version_traces_p50_ms'):.1f} ms"
                    if "impact_per_version_traces_p50_ms" in r else ""),
                 f"{f('impact_p50_ms') / f('impact_per_version_traces_p50_ms'):.3f}×"
                 if "impact_per_version_traces_p50_ms" in r else "—", "< 100 ms",
                 verdict(f("impact_p99_ms"), 100, " ms")))
on_db = f" on this registry ({r['http_paths']} small-trace URLs)" if "http_paths" in r else " (demo registry)"
rows.append((f"HTTP small traces{on_db}, c=16 (SQLite, 2 cores shared with the load generator)",
             f"{f('http_requests_per_second'):.0f} req/s, p99 {f('http_p99_ms'):.1f} ms",
             f"server CPU {f('http_server_cpu_us_per_request'):.0f} µs/request ({r['http_generator']})", "—",
             "≥ 5 000 req/s", verdict(f("http_requests_per_second"), 5000, " req/s", lower=False)))
if "http1_p99_ms" in r:
    rows.append((f"HTTP small traces{on_db}, one client: end-to-end latency",
                 f"p50 {f('http1_p50_ms'):.2f} ms, p99 {f('http1_p99_ms'):.2f} ms",
                 f"{f('http1_requests_per_second'):.0f} req/s", "—", "p99 < 5 ms",
                 verdict(f("http1_p99_ms"), 5, " ms")))
rows.append(("database size", f"{r['db_mb']} MB", f"CSV {r['csv_mb']} MB", f"{ratio('db_mb', 'csv_mb'):.2f}×", "—", "—"))

table = ["| measure | msadesk | reference (same run) | ratio | target | verdict |", "|---|---|---|---|---|---|"]
table += ["| " + " | ".join(row) + " |" for row in rows]
print(f"events: {events}")
print("\n".join(table))
if out == "-":
    sys.exit(0)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"


cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.processor()
machine = f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.1f} at the end"
commit = sh("git rev-parse --short HEAD")
body = open(os.path.join(os.path.dirname(__file__), "BENCHMARKS.head.md")).read()
body = body.replace("@@TABLE@@", "\n".join(table))
body = body.replace("@@EVENTS@@", f"{events:,}".replace(",", " "))
body = body.replace("@@DATE@@", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
body = body.replace("@@MACHINE@@", machine).replace("@@COMMIT@@", commit)
open(out, "w").write(body)
print(f"wrote {out}")
