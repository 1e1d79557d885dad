#!/bin/bash
# PID 1 of the hls-swarm origin container. Starts the generator (ffmpeg), nginx and the two
# Prometheus exporters; on SIGTERM/SIGINT it stops them (SIGTERM, then SIGKILL after a grace
# period) and exits 0. If any of them dies on its own, it stops the others and exits 1, so the
# engine (and the driver's status()) sees the container die instead of a half-working origin.
#
# PID 1 gets no default signal handlers from the kernel: without the traps below `docker stop`
# would wait its whole timeout and then SIGKILL everything.
#
# Inputs (the hls-swarm container driver renders them in TypeScript at start time and copies
# them in, so this image serves exactly what the native origin serves):
#   $HLS_CONF_DIR/nginx.conf       nginx config (src/origin/nginx/config.ts), runs in the foreground
#   $HLS_CONF_DIR/generator.args   ffmpeg arguments, one per line (src/origin/generator.ts)
# Environment:
#   HLS_CONF_DIR               default /etc/hls-swarm
#   HLS_ROOT                   folder the generator writes and nginx serves; default /var/hls
#   HLS_HTTP_PORT              nginx port, for the nginx exporter's scrape URI; default 17080
#   HLS_NGINX_EXPORTER_LISTEN  default 0.0.0.0:9113 (host networking: 127.0.0.1:<free port>)
#   HLS_NODE_EXPORTER_LISTEN   default 0.0.0.0:9100
#   HLS_EXPORTERS              1 (default) starts both exporters, 0 none
#   HLS_STOP_GRACE_S           seconds between SIGTERM and SIGKILL when stopping; default 5
#   HLS_NGINX_EXPORTER_BIN     default prometheus-nginx-exporter (Debian); Nix: nginx-prometheus-exporter
#   HLS_NODE_EXPORTER_BIN      default prometheus-node-exporter (Debian); Nix: node_exporter
set -uo pipefail

conf_dir=${HLS_CONF_DIR:-/etc/hls-swarm}
root=${HLS_ROOT:-/var/hls}
http_port=${HLS_HTTP_PORT:-17080}
nginx_exporter_listen=${HLS_NGINX_EXPORTER_LISTEN:-0.0.0.0:9113}
node_exporter_listen=${HLS_NODE_EXPORTER_LISTEN:-0.0.0.0:9100}
exporters=${HLS_EXPORTERS:-1}
stop_grace_s=${HLS_STOP_GRACE_S:-5}
nginx_exporter_bin=${HLS_NGINX_EXPORTER_BIN:-prometheus-nginx-exporter}
node_exporter_bin=${HLS_NODE_EXPORTER_BIN:-prometheus-node-exporter}
export PATH=${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "[entrypoint] $(date -u +%H:%M:%S) $*"; }

for file in nginx.conf generator.args; do
  if [[ ! -r $conf_dir/$file ]]; then
    log "missing $conf_dir/$file: this image is started by hls-swarm's container driver" \
      "(hls-swarm origin start --kind container), which renders it; see docs/container.md"
    exit 64
  fi
done

mkdir -p "$root" /run/hls-swarm/nginx-temp /var/log/hls-swarm
chmod 755 "$root"
mapfile -t generator_args <"$conf_dir/generator.args"

# What serves the stream, for the driver's RunningOrigin.versions (read with `docker exec cat`).
{
  echo "nginx=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')"
  echo "ffmpeg=$(ffmpeg -version 2>/dev/null | sed -n '1s/^ffmpeg version \([^ ]*\).*/\1/p')"
  echo "nginx-exporter=$("$nginx_exporter_bin" --version 2>&1 | sed -n 's/.*[Vv]ersion[=: ]*\([0-9][0-9.]*\).*/\1/p' | head -n1)"
  echo "node-exporter=$("$node_exporter_bin" --version 2>&1 | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p' | head -n1)"
  echo "debian=$(cat /etc/debian_version 2>/dev/null)"
} >/run/hls-swarm/versions

declare -A pids=()
# Each child's output goes to our stdout (the container log) with its name in front.
start() {
  local name=$1
  shift
  "$@" > >(exec sed -u "s/^/[$name] /") 2>&1 &
  pids[$name]=$!
  log "started $name (pid ${pids[$name]}): $*"
}

stop_all() {
  local name deadline
  for name in "${!pids[@]}"; do
    kill -TERM "${pids[$name]}" 2>/dev/null
  done
  deadline=$((SECONDS + stop_grace_s))
  for name in "${!pids[@]}"; do
    while kill -0 "${pids[$name]}" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if kill -0 "${pids[$name]}" 2>/dev/null; then
      log "$name did not stop within ${stop_grace_s} s: SIGKILL"
      kill -KILL "${pids[$name]}" 2>/dev/null
    fi
  done
  wait
  log "stopped"
}

shutting_down=0
trap 'shutting_down=1; log "SIGTERM: stopping"' TERM
trap 'shutting_down=1; log "SIGINT: stopping"' INT

start generator ffmpeg "${generator_args[@]}"
start nginx nginx -c "$conf_dir/nginx.conf"
# True once something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp: no curl needed).
port_open() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ $exporters == 1 ]]; then
  # nginx-exporter 0.11 exits at once if nginx does not answer yet: give nginx up to 20 s.
  for _ in $(seq 1 200); do
    port_open "$http_port" && break
    ((shutting_down)) && break
    kill -0 "${pids[nginx]}" 2>/dev/null || break
    sleep 0.1
  done
  # Double dashes: Debian's 0.11 (Go flag package) and newer kingpin-based releases both accept them.
  start nginx-exporter "$nginx_exporter_bin" \
    --nginx.scrape-uri="http://127.0.0.1:${http_port}/nginx_status" \
    --web.listen-address="$nginx_exporter_listen"
  # Debian's node exporter drops lo unless told otherwise; loopback is where test traffic is.
  # No systemd in here: its collector would log an error on every scrape.
  start node-exporter "$node_exporter_bin" \
    --web.listen-address="$node_exporter_listen" \
    --collector.netdev.device-exclude='^$' \
    --no-collector.systemd
fi

exit_code=0
while ((!shutting_down)); do
  exited_pid=''
  wait -n -p exited_pid
  status=$?
  ((shutting_down)) && break
  for name in "${!pids[@]}"; do
    if [[ ${pids[$name]} == "$exited_pid" ]]; then
      log "$name exited on its own (status $status): stopping the others"
      unset "pids[$name]"
      exit_code=1
      break 2
    fi
  done
  # Otherwise one of the log-prefixing sed processes ended; keep waiting.
done

stop_all
exit "$exit_code"
