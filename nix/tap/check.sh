#!/usr/bin/env bash
# Checks the seed's TAP network: bridge up with 10.177.0.1/24, tap attached to it. Exit 0 when
# ready; otherwise prints what is missing and exits 1.
#   nix/tap/check.sh --netns <name> | --host
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"
parse_netns_args "$@"
problems=()
if [[ -n "$NETNS" ]] && ! ip netns list | grep -qw -- "$NETNS"; then
  echo "network namespace $NETNS does not exist (run nix/tap/setup.sh --netns $NETNS)" >&2
  exit 1
fi
if ! "${IP[@]}" link show "$BRIDGE" >/dev/null 2>&1; then
  problems+=("bridge $BRIDGE is missing")
else
  "${IP[@]}" -br link show "$BRIDGE" | grep -qE '\bUP\b|UNKNOWN' || problems+=("bridge $BRIDGE is down")
  "${IP[@]}" -br addr show "$BRIDGE" | grep -q "${GATEWAY_CIDR}" || problems+=("bridge $BRIDGE lacks $GATEWAY_CIDR")
fi
if ! "${IP[@]}" link show "$TAP" >/dev/null 2>&1; then
  problems+=("tap $TAP is missing")
else
  "${IP[@]}" link show "$TAP" | grep -q "master $BRIDGE" || problems+=("tap $TAP is not attached to $BRIDGE")
fi
if ((${#problems[@]} > 0)); then
  printf '%s\n' "${problems[@]/#/TAP network not ready: }" >&2
  echo "fix: nix/tap/setup.sh $*" >&2
  exit 1
fi
echo "TAP network ok${NETNS:+ in netns $NETNS}: $BRIDGE $GATEWAY_CIDR, $TAP attached"
