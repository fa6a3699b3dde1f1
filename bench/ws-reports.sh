#!/usr/bin/env bash
# The portal's WebSocket reports (issue 21), printed as Markdown: the time from a connection
# opening at an edge to the portal showing it (ws-to-report), the portal's write load from 10
# edges reporting 1,000 busy resources every second (traffic-load), the database growth per
# resource per day that load makes, and a resource's Reports page under wrk while those edges
# report, with a full day of figures stored for it. Its own portal, edge and echo origin on ports
# of their own (bench/portal-start.sh starts them, as for portal.sh). Called by run.sh (make
# bench); runs alone too, after the release builds (make build; cargo build --release -p portal-bench):
#   bench/ws-reports.sh    # BENCH_RESOURCES=1000 BENCH_EDGES=10 BENCH_SECONDS=10 (wrk)
#                          # BENCH_LOAD_SECONDS=30 BENCH_WS_TIMES=30 BENCH_PER_REPORT=1000 by default
set -euo pipefail
cd "$(dirname "$0")/.."

portal=127.0.0.1:19400 edge=127.0.0.1:19480 edge_admin=127.0.0.1:19481 origin=127.0.0.1:19490
feed_token=benchmark-edge-feed-token
resources=${BENCH_RESOURCES:-1000} edges=${BENCH_EDGES:-10} seconds=${BENCH_SECONDS:-10}
load_seconds=${BENCH_LOAD_SECONDS:-30} times=${BENCH_WS_TIMES:-30} per_report=${BENCH_PER_REPORT:-1000}

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

# The echo origin, the portal and one edge; the demo account signed in, with $resources resources.
source bench/portal-start.sh
db=$work/portal.db

# The values of the `key=value`s the arguments name, in their order, from a line of them on stdin.
field() { # key...
  awk -v keys="$*" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { n = split(keys, k, " "); for (i = 1; i <= n; i++) printf "%s%s", v[k[i]], (i < n ? " " : "\n") }'
}

# "rows bytes rows_edge bytes_edge minute_figures minute_periods": ws_traffic's rows and bytes on
# disk (table and indexes, from SQLite's dbstat), the same for ws_edge_traffic, the figures held by
# the minute rows (one row per resource and period, migration 0014), and how many minutes the
# resource $last_id has rows of (the load's minutes).
db_stats() {
  python3 - "$db" "$last_id" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
def size(table):
    names = [name for (name,) in db.execute("SELECT name FROM sqlite_schema WHERE tbl_name = ?", (table,))]
    marks = ",".join("?" * len(names))
    return db.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({marks})", names).fetchone()[0]
rows = db.execute("SELECT COUNT(*) FROM ws_traffic").fetchone()[0]
edge_rows = db.execute("SELECT COUNT(*) FROM ws_edge_traffic").fetchone()[0]
minute_figures = db.execute("SELECT COUNT(*) FROM ws_traffic, json_each(ws_traffic.figures) "
                            "WHERE granularity = 60").fetchone()[0]
minutes = db.execute("SELECT COUNT(*) FROM ws_traffic WHERE granularity = 60 AND resource_id = ?",
                     (int(sys.argv[2]),)).fetchone()[0]
print(rows, size("ws_traffic"), edge_rows, size("ws_edge_traffic"), minute_figures, minutes)
PY
}

# "p50_ms p99_ms rps" of wrk on a page of the portal, signed in: one visitor loading it again
# and again (one connection), so that the latency is a page's, not a queue's.
measure() { # path
  wrk -t1 -c1 -d"${seconds}s" --timeout 30s --latency -H "Cookie: $cookie" -H 'Accept: text/html' "http://$portal$1" |
    awk 'function ms(t) { if (t ~ /us$/) return t / 1000; if (t ~ /ms$/) return t + 0; if (t ~ /s$/) return t * 1000; return t }
         /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
         END { printf "%.1f %.1f %s\n", p50, p99, rps }'
}

# The echo origin's resource lets WebSockets through.
curl -sSf -o /dev/null -X PATCH -H "Authorization: APIKey $token" -H 'Content-Type: application/json' \
  "http://$portal/cdn/resources/$ws_id" --data '{"options": {"websockets": {"enabled": true, "value": true}}}'

echo "### From a connection opening at the edge to the portal showing it ($times connections, one edge)"
echo
echo "From the edge answering the handshake (or the close being sent) until \`resource_open_now\`, the"
echo "figure the Reports section shows, has changed; polled every 20 ms. Target: under 5 s."
echo
target/release/ws-to-report "$portal" "$edge" "$cookie" "$ws_id" ws.bench.example "$times" |
  field open_p50_ms open_p99_ms open_max_ms close_p50_ms close_p99_ms close_max_ms |
  awk '{ printf "| change | p50 | p99 | max | under 5 s |\n|---|---:|---:|---:|---|\n"
         printf "| opened | %d ms | %d ms | %d ms | %s |\n", $1, $2, $3, ($3 < 5000 ? "yes" : "no")
         printf "| closed | %d ms | %d ms | %d ms | %s |\n", $4, $5, $6, ($6 < 5000 ? "yes" : "no") }'

echo
echo "### Write load ($edges edges × $resources resources, every resource reported each second for $load_seconds s)"
echo
echo "Every resource busy in every report (connections open, handshakes, bytes both ways, closes,"
echo "durations: 5 counters grown, and the open peak), so each report writes for each resource."
# As the real edge sends them: up to 1,000 resources a report (edge_feed's MAX_RESOURCES_PER_REPORT).
echo "Each simulated edge sends its second as reports of $per_report resources, one after the other."
echo
read -r rows_before bytes_before _ _ minute_figures_before _ < <(db_stats)
target/release/traffic-load "$portal" "$feed_token" "$first_id" "$last_id" "$edges" "$load_seconds" "$per_report" >"$work/load.txt"
read -r failed report_bytes p50 p99 round_p50 round_p99 per_minute rounds_per_minute rows_per_minute < <(field \
  failed report_bytes p50_ms p99_ms round_p50_ms round_p99_ms reports_per_edge_minute rounds_per_edge_minute rows_per_edge_minute \
  <"$work/load.txt")
echo "| per edge per minute: reports | seconds fully recorded | rows written | report p50 | report p99 | an edge's second p50 | p99 | failed |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
rows_per_resource=$(field rows_per_resource <"$work/load.txt")
echo "| $per_minute (of $((60 * ((resources + per_report - 1) / per_report))), $((report_bytes / 1024)) KiB each) | $rounds_per_minute (of 60) | $rows_per_minute (of $((60 * resources * rows_per_resource))) | $p50 ms | $p99 ms | $round_p50 ms | $round_p99 ms | $failed |"

echo
echo "### Database growth per resource per day (SQLite)"
echo
read -r rows_after bytes_after edge_rows edge_bytes minute_figures_after minutes < <(db_stats)
python3 - "$rows_before" "$bytes_before" "$rows_after" "$bytes_after" "$edge_rows" "$edge_bytes" \
  "$minute_figures_before" "$minute_figures_after" "$minutes" "$resources" <<'PY'
import sys
(rows_before, bytes_before, rows_after, bytes_after, edge_rows, edge_bytes,
 minute_before, minute_after, minutes, resources) = map(int, sys.argv[1:])
per_row = (bytes_after - bytes_before) / (rows_after - rows_before)
# One row per resource and period (migration 0014); metrics that moved per busy resource per
# minute, as measured: the figures the load's minute rows hold.
metrics = (minute_after - minute_before) / resources / minutes
# Retention (src/server/ws_traffic/period.rs): minutes 2 days, hours 35 days, days 400 days.
per_day = {"minute rows": 1440, "hour rows": 24, "day rows": 1}
kept = 1440 * 2 + 24 * 35 + 400
kib = lambda b: f"{b / 1024:,.0f} KiB"
print(f"Measured: {rows_after - rows_before:,} `ws_traffic` rows added by the load took {bytes_after - bytes_before:,} B"
      f" (table and indexes): {per_row:.0f} B a row of {metrics:.1f} metrics, as moved per busy resource per minute.")
print()
print("| per busy resource | rows | bytes |")
print("|---|---:|---:|")
for name, count in per_day.items():
    print(f"| a day's {name} | {count:,} | {kib(count * per_row)} |")
day = sum(per_day.values())
print(f"| **a day, all resolutions** | **{day:,}** | **{kib(day * per_row)}** |")
print(f"| kept once steady (minutes 2 days, hours 35, days 400) | {kept:,} | {kib(kept * per_row)} |")
print(f"| the last figures per edge reporting it (`ws_edge_traffic`, not growing) | 1 | {edge_bytes / edge_rows:.0f} B |")
PY

echo
echo "### The reports page for one resource, $resources resources and $edges edges reporting"
echo
# A full day (and week) of figures for the measured resource: every metric, every minute of the
# last day, every hour of the last week, every day of the last 8; figures already there stay.
python3 - "$db" "$ws_id" <<'PY'
import json, random, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
resource = int(sys.argv[2])
metrics = ["open_peak", "accepted", "refused_option_off", "refused_origin_refused", "refused_origin_unreachable",
           "bytes_to_origin", "bytes_to_visitor", "closed_visitor", "closed_origin", "closed_idle", "closed_shutdown",
           "closed_error"] + [f"duration_le_{bound}s" for bound in (1, 5, 15, 60, 300, 900, 3600, 14400, 43200, 86400)] \
          + ["duration_longer"]
random.seed(21)
now = int(time.time())
rows = []
for granularity, count in ((60, 1440), (3600, 7 * 24), (86400, 8)):
    last = now - now % granularity
    for n in range(count):
        start = last - n * granularity
        figures = {metric: random.randrange(1_000_000 if metric.startswith("bytes") else 100) * granularity // 60
                   for metric in metrics}
        rows.append((resource, granularity, start, json.dumps(figures)))
with db:
    db.executemany("INSERT INTO ws_traffic (resource_id, granularity, period_start, figures) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
PY
pages=("last hour (by minute):/cdn/resources/$ws_id/reports" "last day (by minute):/cdn/resources/$ws_id/reports?period=day"
  "last week (by hour):/cdn/resources/$ws_id/reports?period=week")
for page in "${pages[@]}"; do
  curl -sSf -o "$work/page.html" -H "Cookie: $cookie" -H 'Accept: text/html' "http://$portal${page#*:}"
  read -r p50 p99 rps < <(measure "${page#*:}")
  echo "$p50 $p99 $rps $(wc -c <"$work/page.html") ${page%%:*}" >>"$work/quiet.txt"
done
# The same while the edges report: they start first, and stop once every page was measured.
target/release/traffic-load "$portal" "$feed_token" "$first_id" "$last_id" "$edges" $((3 * seconds + 10)) "$per_report" \
  >"$work/load.txt" &
load_pid=$! pids+=($!)
sleep 5
for page in "${pages[@]}"; do
  read -r p50 p99 rps < <(measure "${page#*:}")
  echo "$p50 $p99 $rps" >>"$work/loaded.txt"
done
wait "$load_pid"
echo "wrk, ${seconds} s, one connection (a visitor loading the page again and again), signed in; a full day"
echo "and week of every metric stored for the resource; quiet, then while $edges edges report $resources busy resources."
echo "Target: p99 under 100 ms with $edges edges reporting."
echo
echo "| window | page | quiet p50 | quiet p99 | quiet req/s | reporting p50 | reporting p99 | reporting req/s | p99 under 100 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
# Each line: the reporting p50 p99 req/s, then the quiet p50 p99 req/s, the page's bytes and name.
paste -d' ' "$work/loaded.txt" "$work/quiet.txt" |
  awk '{ name = $8; for (i = 9; i <= NF; i++) name = name " " $i
         printf "| %s | %d KiB | %s ms | %s ms | %s | %s ms | %s ms | %s | %s |\n",
           name, $7 / 1024, $4, $5, $6, $1, $2, $3, ($2 < 100 ? "yes" : "no") }'
read -r reports failed p50 p99 round_p99 rounds_per_minute < <(field reports failed p50_ms p99_ms round_p99_ms rounds_per_edge_minute <"$work/load.txt")
echo
echo "Meanwhile the edges' reports: $reports answered (p50 $p50 ms, p99 $p99 ms; an edge's second p99 $round_p99 ms,"
echo "$rounds_per_minute of 60 a minute fully recorded), $failed failed."
