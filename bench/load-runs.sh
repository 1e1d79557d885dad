#!/usr/bin/env bash
# Runs the example scenarios as a new user would, N times in a row, each from a fresh clone
# (NOT a test): `git clone` of this checkout's HEAD into a temporary folder, then `npm run load`
# there. Prints one markdown row per run (pasted into BENCHMARKS.md): exit code, wall time, and
# each scenario's verdict from reports/summary.json.
#
#   bash bench/load-runs.sh [RUNS=5]
set -euo pipefail
runs="${1:-5}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
echo "| run | started (UTC) | exit | wall | load avg before | verdicts |"
echo "|---|---|---|---|---|---|"
for run in $(seq 1 "$runs"); do
  dir="$(mktemp -d /tmp/hls-swarm-load-run-XXXXXX)"
  git clone --quiet "$repo" "$dir/clone"
  started="$(date -u +%H:%M:%S)"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  begin=$(date +%s)
  set +e
  (cd "$dir/clone" && npm run load > "$dir/load.log" 2>&1)
  code=$?
  set -e
  wall=$(( $(date +%s) - begin ))
  verdicts="$(node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(s.scenarios.map((e) => `${e.test}: ${e.verdict}`).join("; "));
  ' "$dir/clone/reports/summary.json" 2>/dev/null || echo "no summary")"
  echo "| $run | $started | $code | ${wall}s | $load | $verdicts |"
  if [ "$code" -ne 0 ]; then cp "$dir/load.log" "/tmp/hls-swarm-load-run-$run.log"; fi
  rm -rf "$dir"
done
