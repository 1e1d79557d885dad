#!/usr/bin/env bash
# Makes the origin image's offline base available to a container engine: builds (or reuses from
# the cache) the Debian bookworm rootfs of nix/debian/build-rootfs.sh — the same one the VM guest
# uses — and `docker import`s it as hls-swarm/debian-base:bookworm. Nothing is pulled from a registry.
#
#   nix/container/import-base.sh            (uses $DOCKER_HOST like the docker CLI; Podman too)
#
# The container origin runs it itself when the engine has no base image and no registry answers
# (src/origin/container/base-image.ts); run it by hand to prepare an engine ahead of time.
# The import is tagged with the rootfs cache key (hls-swarm/debian-base:rootfs-<key>), so a second
# run against the same engine costs one `docker image inspect`; a changed package list re-imports.
# stdout: the image name. Progress goes to stderr.
set -euo pipefail

image_repo=${HLS_SWARM_BASE_IMAGE_REPO:-hls-swarm/debian-base}
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
log() { echo "[import-base] $*" >&2; }

docker=${DOCKER:-docker}
if ! "$docker" version >/dev/null 2>&1; then
  echo "import-base: no container engine answers at ${DOCKER_HOST:-the default socket}; start dockerd (see docs/container.md)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/../debian/build-rootfs.sh" "$work/rootfs" >"$work/rootfs.env"
rootfs_tar=$(sed -n 's/^ROOTFS_TAR=//p' "$work/rootfs.env")
rootfs_key=$(sed -n 's/^ROOTFS_KEY=//p' "$work/rootfs.env")
if [[ -z $rootfs_tar || -z $rootfs_key ]]; then
  echo "import-base: nix/debian/build-rootfs.sh printed no ROOTFS_TAR/ROOTFS_KEY" >&2
  exit 1
fi

keyed="$image_repo:rootfs-$rootfs_key"
if "$docker" image inspect "$keyed" >/dev/null 2>&1; then
  log "already imported: $keyed"
else
  start_s=$(date +%s)
  log "importing $rootfs_tar as $keyed"
  "$docker" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL io.hls-swarm.rootfs-key=$rootfs_key" \
    --change 'CMD ["/bin/bash"]' \
    "$rootfs_tar" "$keyed" >/dev/null
  log "imported in $(($(date +%s) - start_s)) s"
  # A new rootfs makes older imports and the origin images built on them dead weight
  # (origin image tags hash the base image id, so they are rebuilt on the new base anyway).
  stale=$("$docker" image ls --format '{{.Repository}}:{{.Tag}}' |
    grep -E "^($image_repo:rootfs-|hls-swarm/origin:)" | grep -vx "$keyed" || true)
  if [[ -n $stale ]]; then
    log "removing stale images: $(echo "$stale" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    "$docker" image rm $stale >/dev/null 2>&1 || true
  fi
fi
"$docker" tag "$keyed" "$image_repo:bookworm"
echo "$image_repo:bookworm"
