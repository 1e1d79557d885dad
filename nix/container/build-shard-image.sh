#!/usr/bin/env bash
# Builds the hls-swarm shard image (nix/container/shard.Dockerfile): the host's node binary, this
# project compiled (`tsc -p tsconfig.build.json`) and its production node_modules, on an offline
# Debian base with ffmpeg. Nothing is pulled from a registry.
#
#   nix/container/build-shard-image.sh [BASE_IMAGE]     (uses $DOCKER_HOST like the docker CLI)
#
# BASE_IMAGE defaults to $HLS_SWARM_SHARD_BASE_IMAGE or hls-swarm/debian-base:bookworm (made by
# nix/container/import-base.sh). The image is tagged hls-swarm/shard:<key>, the key a hash of every
# input (sources, tsconfigs, package.json, the installed lockfile, the node binary, the Dockerfile,
# this script, the base image id): a second run with the same inputs costs one `docker image
# inspect`. Older hls-swarm/shard images are removed after a build.
# The context is assembled in a temporary folder (the repository is not sent to the engine).
# stdout: the image name. Progress goes to stderr.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
repo=$(readlink -f "$here/../..")
docker=${DOCKER:-docker}
node_bin=$(readlink -f "${NODE_BIN:-$(command -v node)}")
base_image=${1:-${HLS_SWARM_SHARD_BASE_IMAGE:-hls-swarm/debian-base:bookworm}}
image_repo=${HLS_SWARM_SHARD_IMAGE_REPO:-hls-swarm/shard}
log() { echo "[build-shard-image] $*" >&2; }

if ! "$docker" version >/dev/null 2>&1; then
  echo "build-shard-image: no container engine answers at ${DOCKER_HOST:-the default socket}" >&2
  exit 1
fi
if ! base_id=$("$docker" image inspect --format '{{.Id}}' "$base_image" 2>/dev/null); then
  echo "build-shard-image: base image $base_image is missing (run nix/container/import-base.sh first)" >&2
  exit 1
fi

cd "$repo"
lockfile=node_modules/.package-lock.json
[[ -f $lockfile ]] || lockfile=package-lock.json
key=$(
  {
    find src -type f ! -name '*.test.ts' ! -path '*/test/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum tsconfig.json tsconfig.build.json package.json "$lockfile" \
      nix/container/shard.Dockerfile nix/container/build-shard-image.sh
    sha256sum "$node_bin" | cut -d' ' -f1
    echo "$base_id"
  } | sha256sum | cut -c1-16
)
image="$image_repo:$key"
if "$docker" image inspect "$image" >/dev/null 2>&1; then
  log "up to date: $image"
  echo "$image"
  exit 0
fi

start_s=$(date +%s)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/app"
log "compiling into $ctx/app/dist"
node_modules/.bin/tsc -p tsconfig.build.json --outDir "$ctx/app/dist" >&2
cp package.json package-lock.json "$ctx/app/"
cp -a node_modules "$ctx/app/node_modules"
(cd "$ctx/app" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline >&2)
"$node_bin" "$ctx/app/dist/config/write-schemas.js" "$ctx/app/dist" >&2
"$node_bin" "$ctx/app/dist/report/write-schemas.js" "$ctx/app/dist" >&2
cp "$node_bin" "$ctx/node"
log "building $image FROM $base_image (context $(du -sh "$ctx" | cut -f1))"
"$docker" build --quiet --build-arg "BASE_IMAGE=$base_image" --label "io.hls-swarm.shard-key=$key" \
  -f nix/container/shard.Dockerfile -t "$image" "$ctx" >/dev/null
log "built in $(($(date +%s) - start_s)) s"
stale=$("$docker" image ls --format '{{.Repository}}:{{.Tag}}' | grep -E "^$image_repo:" | grep -vx "$image" || true)
if [[ -n $stale ]]; then
  log "removing older shard images: $(echo "$stale" | tr '\n' ' ')"
  # shellcheck disable=SC2086
  "$docker" image rm $stale >/dev/null 2>&1 || true
fi
echo "$image"
