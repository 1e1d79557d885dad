#!/bin/sh
# PID 1 of the Debian guest (kernel cmdline: init=/usr/sbin/hls-init). A small shell init instead
# of systemd: the guest reaches a 3-segment playlist ~5 s sooner under TCG (DESIGN.md).
#
# Kernel cmdline parameters it reads:
#   hls.profile=<name>   generator profile (/etc/hls/generator/<name>.sh); default 'default'
#   hls.net=user|tap     user: 10.0.2.15/24 gw 10.0.2.2 (QEMU slirp); tap: hls.ip / hls.gw
#   hls.ip=A.B.C.D/N     address for tap mode (default 10.177.0.10/24)
#   hls.gw=A.B.C.D       gateway for tap mode (default 10.177.0.1)
#   hls.ssh_key=<base64> an SSH public key (base64 of the key line): starts dropbear on 22 for root
#                        with password logins disabled. Without it there is no SSH at all.
# Everything logs to the console (ttyS0), prefixed with the service name.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 022

say() { echo "hls-init: $*"; }

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
mountpoint -q /run || mount -t tmpfs -o mode=0755 tmpfs /run
mountpoint -q /tmp || mount -t tmpfs -o mode=1777 tmpfs /tmp
hostname hls-origin-vm
say "started (kernel $(uname -r))"

profile=default
net=user
tap_ip=10.177.0.10/24
tap_gw=10.177.0.1
ssh_key=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    hls.profile=*) profile=${arg#hls.profile=} ;;
    hls.net=*) net=${arg#hls.net=} ;;
    hls.ip=*) tap_ip=${arg#hls.ip=} ;;
    hls.gw=*) tap_gw=${arg#hls.gw=} ;;
    hls.ssh_key=*) ssh_key=${arg#hls.ssh_key=} ;;
  esac
done
generator=/etc/hls/generator/$profile.sh
if [ ! -f "$generator" ]; then
  say "unknown profile '$profile' (have: $(ls /etc/hls/generator | sed 's/\.sh$//' | tr '\n' ' ')); using default"
  profile=default
  generator=/etc/hls/generator/default.sh
fi

for module in virtio_net button evdev; do modprobe "$module" 2>/dev/null || say "modprobe $module failed"; done

# Network: static, no DHCP client (QEMU's slirp always hands out 10.0.2.15 and routes via 10.0.2.2).
ip link set lo up
nic=
for _ in 1 2 3 4 5 6 7 8 9 10; do
  for path in /sys/class/net/*; do
    name=${path##*/}
    [ "$name" = lo ] && continue
    nic=$name
    break
  done
  [ -n "$nic" ] && break
  sleep 0.5
done
if [ -z "$nic" ]; then
  say "no network interface found"
else
  if [ "$net" = tap ]; then address=$tap_ip gateway=$tap_gw; else address=10.0.2.15/24 gateway=10.0.2.2; fi
  ip addr add "$address" dev "$nic"
  ip link set "$nic" up
  ip route add default via "$gateway" dev "$nic"
  say "network $net: $nic $address via $gateway"
fi

# Runs "$@" forever as a service: output to the console with a prefix, restarted after 1 s if it exits.
service() {
  name=$1
  shift
  (
    while :; do
      "$@" 2>&1 | sed -u "s/^/$name: /"
      say "$name exited; restarting in 1 s"
      sleep 1
    done
  ) &
}

mkdir -p /var/hls /var/log/hls /var/lib/hls-nginx/tmp
chown www-data:www-data /var/hls /var/lib/hls-nginx/tmp
chmod 0755 /var/hls
rm -f /var/hls/*

say "starting generator (profile $profile), nginx, nginx-exporter, node-exporter"
service generator setpriv --reuid=www-data --regid=www-data --init-groups sh "$generator"
service nginx nginx -c /etc/hls/nginx.conf
# The same exporter flags as the native nginx origin (src/origin/nginx/index.ts).
service nginx-exporter setpriv --reuid=prometheus --regid=prometheus --init-groups \
  prometheus-nginx-exporter -nginx.scrape-uri=http://127.0.0.1:17080/nginx_status -web.listen-address=0.0.0.0:9113 \
  -nginx.retries 20 -nginx.retry-interval 500ms
# Debian's build drops lo from netdev unless told; only the collectors an origin's health needs.
service node-exporter setpriv --reuid=prometheus --regid=prometheus --init-groups \
  prometheus-node-exporter --web.listen-address=0.0.0.0:9100 '--collector.netdev.device-exclude=^$' \
  --collector.disable-defaults --collector.cpu --collector.meminfo --collector.netdev --collector.loadavg \
  --collector.diskstats --collector.filesystem --collector.stat

if [ -n "$ssh_key" ]; then
  mkdir -p /root/.ssh /etc/dropbear
  chmod 0700 /root/.ssh
  if echo "$ssh_key" | base64 -d >/root/.ssh/authorized_keys 2>/dev/null; then
    chmod 0600 /root/.ssh/authorized_keys
    # -s: no password logins (root has no password anyway), -R: make host keys on first use.
    service sshd dropbear -F -E -R -s -p 22
  else
    say "hls.ssh_key is not valid base64: SSH stays off"
  fi
else
  say "no SSH key given: SSH is off"
fi

shutdown_now() {
  say "power button: shutting down"
  kill -TERM -1 2>/dev/null
  sleep 1
  kill -KILL -1 2>/dev/null
  sync
  mount -o remount,ro / 2>/dev/null
  say "powering off"
  echo 1 >/proc/sys/kernel/sysrq
  echo o >/proc/sysrq-trigger
  sleep 10
}
trap shutdown_now USR1 TERM

# ACPI power button (QMP system_powerdown): any input event from a "Power Button" device.
found_button=
for dev in /sys/class/input/event*; do
  [ -r "$dev/device/name" ] || continue
  case "$(cat "$dev/device/name")" in
    *"Power Button"*)
      found_button=1
      (dd if="/dev/input/${dev##*/}" bs=24 count=1 of=/dev/null 2>/dev/null && kill -USR1 1) &
      ;;
  esac
done
[ -n "$found_button" ] || say "no power button input device: only a hard stop will end this guest"
say "ready to serve"

# PID 1 must never exit. `sleep` in the foreground lets the shell run the trap and reap orphans.
while :; do sleep 1; done
