#!/usr/bin/env bash
# Creates the seed's TAP network: bridge hlsbr0 (10.177.0.1/24) with tap hlstap0 attached, for a
# guest at 10.177.0.10. Idempotent. Needs root (or CAP_NET_ADMIN).
#   nix/tap/setup.sh --netns <name> [--user <owner of the tap>]   # inside a namespace (tests)
#   nix/tap/setup.sh --host [--user <owner>]                       # on your own workstation
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"
parse_netns_args "$@"
shift 2 2>/dev/null || shift $#
owner=()
if [[ "${1:-}" == "--user" && -n "${2:-}" ]]; then owner=(user "$2"); fi

if [[ -n "$NETNS" ]] && ! ip netns list | grep -qw -- "$NETNS"; then
  ip netns add "$NETNS"
fi
[[ -n "$NETNS" ]] && "${IP[@]}" link set lo up
if ! "${IP[@]}" link show "$BRIDGE" >/dev/null 2>&1; then
  "${IP[@]}" link add "$BRIDGE" type bridge
fi
"${IP[@]}" addr replace "$GATEWAY_CIDR" dev "$BRIDGE"
"${IP[@]}" link set "$BRIDGE" up
if ! "${IP[@]}" link show "$TAP" >/dev/null 2>&1; then
  if [[ -n "$NETNS" ]]; then
    ip netns exec "$NETNS" ip tuntap add dev "$TAP" mode tap "${owner[@]}"
  else
    ip tuntap add dev "$TAP" mode tap "${owner[@]}"
  fi
fi
"${IP[@]}" link set "$TAP" master "$BRIDGE"
"${IP[@]}" link set "$TAP" up
echo "TAP network ready${NETNS:+ in netns $NETNS}: $BRIDGE $GATEWAY_CIDR, $TAP; guest at $VM_ADDRESS"
