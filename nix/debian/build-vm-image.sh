#!/usr/bin/env bash
# Builds (or reuses from the cache) the Debian guest of the `vm` origin: kernel, initrd and an ext4
# disk made WITHOUT loop mounts (`mke2fs -d`), from the rootfs of build-rootfs.sh plus the files
# rendered by render-guest-config.ts (the same generator command lines and nginx config as the
# native origin) and the shell init (guest/hls-init.sh).
#
#   nix/debian/build-vm-image.sh <out-dir>
#
# stdout (KEY=path lines; progress on stderr):
#   KERNEL=<cache>/vm-<key>/vmlinuz  INITRD=<cache>/vm-<key>/initrd.img  DISK=<cache>/vm-<key>/disk.ext4
#   VM_IMAGE_KEY=<key>
# <out-dir> receives symlinks vmlinuz, initrd.img, disk.ext4 and vm-image.env.
# Boot: kernel cmdline 'root=/dev/vda rw console=ttyS0 init=/usr/sbin/hls-init hls.profile=tiny'
# with QEMU -snapshot (the cached disk is never written). The cache key hashes the rootfs key,
# this script, the init and every rendered file, so a change to a profile or the nginx config
# rebuilds the disk (~10 s warm rootfs), and nothing stale is ever booted.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <out-dir>" >&2
  exit 2
fi
out_dir=$1
cache_root=${HLS_SWARM_CACHE:-/var/cache/hls-swarm}
disk_size=${HLS_SWARM_VM_DISK_SIZE:-2G}
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
repo=$(readlink -f "$here/../..")

log() { echo "[build-vm-image] $*" >&2; }
start_s=$(date +%s)

log "rootfs: nix/debian/build-rootfs.sh (a cold build takes a minute or two)"
rootfs_dir=$(mktemp -d)
overlay=$(mktemp -d)
cleanup() { rm -rf "$rootfs_dir" "$overlay" "${tree:-}"; }
trap cleanup EXIT
"$here/build-rootfs.sh" "$rootfs_dir" >/dev/null
# shellcheck disable=SC1091
source "$rootfs_dir/rootfs.env"

if [[ -f "$repo/src/origin/vm/guest-files.ts" ]]; then
  # A clone: render from the TypeScript sources (never a possibly stale dist/).
  log "rendering guest files with node --import tsx nix/debian/render-guest-config.ts"
  (cd "$repo" && node --import tsx nix/debian/render-guest-config.ts "$overlay")
else
  # An installed package: src/ and tsx are not shipped, dist/ is.
  log "rendering guest files with node nix/debian/render-guest-config.mjs (from dist/)"
  (cd "$repo" && node nix/debian/render-guest-config.mjs "$overlay")
fi

key=$( {
  echo "$ROOTFS_KEY" "$disk_size"
  cat "$here/build-vm-image.sh"
  (cd "$overlay" && find . -type f | LC_ALL=C sort | xargs sha256sum)
} | sha256sum | cut -c1-16)
entry="$cache_root/vm-$key"

emit() {
  mkdir -p "$out_dir"
  ln -sfn "$entry/vmlinuz" "$out_dir/vmlinuz"
  ln -sfn "$entry/initrd.img" "$out_dir/initrd.img"
  ln -sfn "$entry/disk.ext4" "$out_dir/disk.ext4"
  {
    echo "KERNEL=$entry/vmlinuz"
    echo "INITRD=$entry/initrd.img"
    echo "DISK=$entry/disk.ext4"
    echo "VERSIONS=$entry/versions.json"
    echo "VM_IMAGE_KEY=$key"
  } | tee "$out_dir/vm-image.env"
}
is_complete() { [[ -f "$entry/.complete" ]]; }

if is_complete; then
  log "cache hit: $entry"
  emit
  exit 0
fi
exec 9>"$cache_root/.vm-$key.lock"
flock 9
if is_complete; then
  log "cache hit after waiting: $entry"
  emit
  exit 0
fi

command -v mke2fs >/dev/null || { echo "build-vm-image: mke2fs missing (apt-get install e2fsprogs)" >&2; exit 1; }
work=$(mktemp -d "$cache_root/.vm-$key.build.XXXXXX")
tree="$work/tree"
mkdir "$tree"
log "unpacking the rootfs and adding the guest files"
tar -C "$tree" -xf "$ROOTFS_TAR"
cp -a "$overlay/." "$tree/"
# Nothing in the guest should try to start through the Debian service scripts at boot.
rm -f "$tree/etc/nginx/sites-enabled/default"
echo hls-origin-vm >"$tree/etc/hostname"
log "mke2fs -t ext4 -d <tree> disk.ext4 $disk_size"
mke2fs -q -t ext4 -L hls-origin -d "$tree" "$work/disk.ext4" "$disk_size" >&2
rm -rf "$tree"
cp "$VMLINUZ" "$work/vmlinuz"
# Versions of what serves the stream, read from the guest's dpkg database (the driver reports them).
tar -xOf "$ROOTFS_TAR" ./var/lib/dpkg/status | awk '
  /^Package: / { pkg = $2 }
  /^Version: / { v[pkg] = $2 }
  END {
    printf "{\"ffmpeg\":\"%s\",\"nginx\":\"%s\",\"nginxExporter\":\"%s\",\"nodeExporter\":\"%s\",\"kernel\":\"%s\"}\n",
      v["ffmpeg"], v["nginx-light"], v["prometheus-nginx-exporter"], v["prometheus-node-exporter"], v["linux-image-cloud-amd64"]
  }' >"$work/versions.json"
cp "$INITRD" "$work/initrd.img"
touch "$work/.complete"
chmod 0755 "$work"
rm -rf "$entry"
mv "$work" "$entry"
log "built in $(($(date +%s) - start_s)) s: $entry"
# Keep the cache bounded: the 3 newest guest images stay (about 1 GB each on disk), older ones go.
# A QEMU still using a removed one keeps its open file.
find "$cache_root" -maxdepth 1 -type d -name 'vm-*' -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- |
  while read -r old; do
    [[ "$old" != "$entry" ]] && rm -rf "$old" && log "pruned old image $old"
  done
emit
