# An hls-swarm shard image: Node, ffmpeg and this project, entrypoint `hls-swarm`
# (`docker run IMG run URL --shard 1/3 …`, `docker run IMG merge /reports …`).
#
# Built by nix/container/build-shard-image.sh from a context it assembles (not the repository):
#   node                the host's node binary (Debian 12 here, like the base: same glibc/libstdc++)
#   app/dist            `tsc -p tsconfig.build.json` output
#   app/node_modules    the production dependencies (`npm prune --omit=dev` of the host's copy)
#   app/package.json
# BASE_IMAGE: hls-swarm/debian-base:bookworm (nix/container/import-base.sh: Debian rootfs with
# ffmpeg, nothing pulled), or any Debian 12 image with ffmpeg (the RUN below installs it if missing).
ARG BASE_IMAGE=hls-swarm/debian-base:bookworm
FROM ${BASE_IMAGE}

COPY node /usr/local/bin/node
RUN set -eu; \
    if ! command -v ffmpeg >/dev/null 2>&1; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg ca-certificates; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    if ldd /usr/local/bin/node | grep 'not found'; then echo 'node: missing libraries in the base image' >&2; exit 1; fi; \
    node --version; ffmpeg -hide_banner -version | head -n 1; \
    mkdir -p /work/reports

COPY app /app

# Reports land in /work/reports/… by default: bind-mount a folder there, or pass --report /reports/….
WORKDIR /work
ENV NODE_ENV=production
LABEL org.opencontainers.image.title="hls-swarm shard" \
      org.opencontainers.image.description="hls-swarm CLI with Node and ffmpeg: run one shard of a load test, or merge shard reports"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
