#!/usr/bin/env bash
# One run of N viewers vs the same run as 3 shards of N/3 (NOT a test): same origin, same plan,
# one after the other; prints both summaries and `hls-swarm compare` of the two reports.
#
#   [CLIENTS=60] [DURATION=40s] [PROFILE=tiny] [LEAD_MS=40000] bash bench/shards-vs-single.sh
#
# Everything on 127.0.0.1: a local nginx origin (`hls-swarm origin start`), stopped by PID at the end.
set -euo pipefail
CLIENTS=${CLIENTS:-60}
DURATION=${DURATION:-40s}
PROFILE=${PROFILE:-tiny}
LEAD_MS=${LEAD_MS:-40000} # the shards prepare their viewers before the common start: give them time
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
hs() { node --import tsx "$root/src/cli/main.ts" "$@"; }
origin_pid=
cleanup() {
  if [[ -n $origin_pid ]]; then
    kill "$origin_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$origin_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$origin_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
# node itself in the background (not the hs function, whose $! would be a subshell the cleanup
# kills while node and its nginx run on).
node --import tsx "$root/src/cli/main.ts" origin start --kind nginx --profile "$PROFILE" --port 0 --no-exporters \
  >"$work/origin.json" 2>"$work/origin.err" &
origin_pid=$!
for _ in $(seq 1 120); do [[ -s $work/origin.json ]] && break; sleep 1; done
url=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/origin.json','utf8')).streamUrl)")
echo "origin $url ($PROFILE); $CLIENTS viewers for $DURATION, ramp 10/s"
common=(--ramp-rate 10 --duration "$DURATION" --metrics 0)

hs run "$url" --clients "$CLIENTS" "${common[@]}" --report "$work/single.json" >"$work/single.out" 2>"$work/single.err" || true
start_at=$(($(date +%s%3N) + LEAD_MS))
for index in 0 1 2; do
  hs run "$url" --clients "$CLIENTS" "${common[@]}" --shard "$index/3" --start-at "$start_at" \
    --report "$work/shards/run.shard-$index-of-3.json" >"$work/shard$index.out" 2>"$work/shard$index.err" &
done
wait %2 %3 %4 2>/dev/null || wait
hs merge "$work/shards" --out "$work/merged.json" >"$work/merge.out" 2>&1 || true
echo "--- one run of $CLIENTS"; sed -n '/^hls-swarm /,$p' "$work/single.out"
echo "--- 3 shards of $((CLIENTS / 3)), merged"; cat "$work/merge.out"
echo "--- compare (baseline = the single run)"
hs compare "$work/single.json" "$work/merged.json" --max-regression 10% || true
