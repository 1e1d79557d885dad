#!/usr/bin/env bash
# Removes the seed's TAP network (tap, then bridge). With --netns, also deletes the namespace
# when setup.sh created it for this purpose (pass --keep-netns to keep it). Idempotent.
#   nix/tap/teardown.sh --netns <name> [--keep-netns] | --host
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"
parse_netns_args "$@"
keep=${3:-}
if [[ -n "$NETNS" ]] && ! ip netns list | grep -qw -- "$NETNS"; then
  echo "netns $NETNS does not exist: nothing to do"
  exit 0
fi
"${IP[@]}" link del "$TAP" 2>/dev/null || true
"${IP[@]}" link del "$BRIDGE" 2>/dev/null || true
if [[ -n "$NETNS" && "$keep" != "--keep-netns" ]]; then
  ip netns del "$NETNS"
fi
echo "TAP network removed${NETNS:+ (netns $NETNS${keep:+ kept})}"
