#!/usr/bin/env bash
# `make bench`: every benchmark in one run on this machine, written to BENCHMARKS.md with the
# machine it ran on. Absolute figures vary between machines; compare the ratios of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCHMARKS_FILE:-BENCHMARKS.md}
ulimit -n "$(ulimit -Hn)"

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit \`$(git rev-parse --short HEAD)\`$(git diff --quiet HEAD || echo ' (with uncommitted changes)')."
  echo "Absolute figures depend on the machine; the ratios, measured in the same run, are what to compare."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores available"
  echo "- Memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB; kernel $(uname -r)"
  echo "- $(rustc --version); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- Load generators, proxies and origins all share these cores over 127.0.0.1."
  echo
  echo "## The edge: WebSocket relay"
  echo
  bench/edge.sh
  echo
  echo "## The portal"
  echo
  bench/portal.sh
  echo
  echo "## The portal: WebSocket reports"
  echo
  bench/ws-reports.sh
  echo
  echo "## Two portal replicas on PostgreSQL"
  echo
  scripts/test-postgres.sh bench/replicas.sh 2>/dev/null
  echo
  cat bench/HISTORY.md
} | tee "$out.partial"
mv "$out.partial" "$out"
echo "wrote $out" >&2
