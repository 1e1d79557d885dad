#!/usr/bin/env bash
# The measuring relay over a THROTTLED link (NOT a test; needs root: ip netns, tc):
#   sudo bash bench/relay-throttled.sh            (RATE=1500kbit SECONDS_TO_RUN=40 by default)
# Topology, all inside two network namespaces this script creates (nothing in the host's):
#   [ns viewer: ffmpeg -> relay on the namespace's 127.0.0.1, 10.231.9.1] ==veth== [ns origin: nginx, 10.231.9.2]
#   tc tbf on the origin's veth (origin -> viewer), nginx with a small sndbuf, as
#   fixtures/record/duration-check.sh (which checks the log-based durations the same way).
# bench/relay/throttled-viewer.ts runs in the viewer namespace: one viewer through the relay,
# then the same segments direct and relayed. Prints the JSON it wrote; BENCHMARKS.md has the numbers.
# Everything is stopped by PID and the namespaces deleted on exit.
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_TO_RUN="${SECONDS_TO_RUN:-40}"
out="${OUT:-$repo_root/reports/bench-relay-throttled.json}"
mkdir -p "$(dirname "$out")"
NS_PREFIX=hlsr VETH_PREFIX=r1 SUBNET=9
# shellcheck source=fixtures/record/throttled-origin.sh
source "$repo_root/fixtures/record/throttled-origin.sh"

url="http://$origin_ip:$port/stream.m3u8"
echo "relay over tbf $RATE burst $BURST limit $LIMIT for $SECONDS_TO_RUN s" >&2
ip netns exec "$ns_viewer" node --import tsx "$repo_root/bench/relay/throttled-viewer.ts" \
  "$url" "$SECONDS_TO_RUN" "$work_dir/nginx/logs/access.log" "$work_dir/result.json" \
  "$(node -e 'const r = process.argv[1]; const m = /^(\d+(?:\.\d+)?)(k|m)?bit$/i.exec(r); if (!m) process.exit(1); console.log(Number(m[1]) * ({ k: 1e3, m: 1e6 }[(m[2] ?? "").toLowerCase()] ?? 1))' "$RATE")"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const link = { qdisc: "tbf", rate: process.argv[2], burst: process.argv[3], limit: process.argv[4], nginxSndbuf: process.argv[5] };
  require("fs").writeFileSync(process.argv[6], JSON.stringify({ link, ...r }, null, 2) + "\n");
  const { pairs, ...summary } = r;
  console.log(JSON.stringify({ link, ...summary }));
' "$work_dir/result.json" "$RATE" "$BURST" "$LIMIT" "$SNDBUF" "$out"
