# Shared by setup.sh, check.sh and teardown.sh. Values from nix/config.nix (the seed's TAP network).
BRIDGE=hlsbr0
TAP=hlstap0
GATEWAY_CIDR=10.177.0.1/24
VM_ADDRESS=10.177.0.10

usage_netns() {
  cat >&2 <<USAGE
usage: $0 --netns <name> | --host
  --netns <name>  act inside that network namespace (created by setup.sh if missing)
  --host          act in the host namespace (on shared machines private addresses in the
                  host namespace are not allowed: use --netns there)
USAGE
  exit 2
}

# Sets NETNS and IP (the ip command, run inside the namespace when one is given).
parse_netns_args() {
  NETNS=
  case "${1:-}" in
    --netns) [[ -n "${2:-}" ]] || usage_netns; NETNS=$2 ;;
    --host) NETNS= ;;
    *) usage_netns ;;
  esac
  if [[ -n "$NETNS" ]]; then
    IP=(ip -n "$NETNS")
  else
    IP=(ip)
  fi
}
