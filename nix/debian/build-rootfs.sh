#!/usr/bin/env bash
# Builds (or reuses from the cache) a Debian bookworm rootfs for the hls-swarm origins:
# nginx-light, ffmpeg, both Prometheus exporters, and for the VM a Debian kernel + initrd.
#
#   nix/debian/build-rootfs.sh <out-dir>
#
# stdout (machine-readable, one KEY=path per line; progress goes to stderr):
#   ROOTFS_TAR=<cache>/rootfs-<key>/rootfs.tar   (for `docker import` or the VM disk)
#   VMLINUZ=<cache>/rootfs-<key>/vmlinuz
#   INITRD=<cache>/rootfs-<key>/initrd.img
#   ROOTFS_KEY=<key>
# <out-dir> receives symlinks rootfs.tar, vmlinuz, initrd.img and a rootfs.env with the lines above.
#
# The cache lives outside the clone: $HLS_SWARM_CACHE (default /var/cache/hls-swarm), keyed on a
# hash of this script, the package list and the mirror. The cold path installs mmdebstrap if missing.
# Concurrent callers serialise on a lock; a finished entry is renamed into place atomically.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <out-dir>" >&2
  exit 2
fi
out_dir=$1

suite=bookworm
mirror=${HLS_SWARM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_root=${HLS_SWARM_CACHE:-/var/cache/hls-swarm}
# Keep this list sorted; changing it changes the cache key (a rebuild, ~1 min).
packages=(
  ca-certificates
  curl
  dropbear-bin
  ffmpeg
  iproute2
  kmod
  linux-image-cloud-amd64
  mount
  nginx-light
  procps
  prometheus-nginx-exporter
  prometheus-node-exporter
)

log() { echo "[build-rootfs] $*" >&2; }

script_path=$(readlink -f "${BASH_SOURCE[0]}")
key=$( { cat "$script_path"; printf '%s\n' "$suite" "$mirror" "${packages[@]}"; } | sha256sum | cut -c1-16)
entry="$cache_root/rootfs-$key"

emit() {
  mkdir -p "$out_dir"
  ln -sfn "$entry/rootfs.tar" "$out_dir/rootfs.tar"
  ln -sfn "$entry/vmlinuz" "$out_dir/vmlinuz"
  ln -sfn "$entry/initrd.img" "$out_dir/initrd.img"
  {
    echo "ROOTFS_TAR=$entry/rootfs.tar"
    echo "VMLINUZ=$entry/vmlinuz"
    echo "INITRD=$entry/initrd.img"
    echo "ROOTFS_KEY=$key"
  } | tee "$out_dir/rootfs.env"
}

is_complete() { [[ -f "$entry/rootfs.tar" && -f "$entry/vmlinuz" && -f "$entry/initrd.img" && -f "$entry/.complete" ]]; }

if is_complete; then
  log "cache hit: $entry"
  emit
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.rootfs-$key.lock"
log "waiting for the build lock ($cache_root/.rootfs-$key.lock)"
flock 9
if is_complete; then
  log "cache hit after waiting: $entry"
  emit
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "build-rootfs: must run as root (mmdebstrap root mode creates device nodes and owners)" >&2
  exit 1
fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  log "mmdebstrap not found: installing it with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >&2
fi

work=$(mktemp -d "$cache_root/.rootfs-$key.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start_s=$(date +%s)
log "cold build: mmdebstrap $suite (${packages[*]}) → $entry (about a minute)"
# The customize hook runs with $1 = the finished root (root mode): copy the kernel and initrd out.
mmdebstrap --variant=apt --mode=root --format=tar \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --customize-hook='set -e; cp "$1"/boot/vmlinuz-* "'"$work"'/vmlinuz"; cp "$1"/boot/initrd.img-* "'"$work"'/initrd.img"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages' \
  "$suite" "$work/rootfs.tar" "$mirror" >&2
touch "$work/.complete"
rm -rf "$entry"
mv "$work" "$entry"
trap - EXIT
log "built in $(($(date +%s) - start_s)) s: $(du -sh "$entry" | cut -f1)"
emit
