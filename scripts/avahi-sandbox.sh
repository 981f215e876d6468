#!/usr/bin/env bash
# Starts or stops a private D-Bus system bus and an avahi-daemon that may use only the loopback
# interface, so that mDNS publishing and browsing work between processes on this machine and
# no multicast packet leaves it.
#
#   scripts/avahi-sandbox.sh start DIR   # prints the export line for DBUS_SYSTEM_BUS_ADDRESS
#   scripts/avahi-sandbox.sh stop DIR    # stops what `start DIR` started, by pid
#
# DIR contains the bus socket, both configurations, the pids and the daemons' logs.
set -euo pipefail

readonly WAIT_SECONDS=15

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

write_bus_config() {
  local dir=$1
  cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <includedir>/usr/share/dbus-1/system.d</includedir>
  <includedir>/etc/dbus-1/system.d</includedir>
  <!-- Every Avahi client is its own bus connection, and winebot-fleet-sim publishes each
       simulated node through its own client: allow thousands, where the defaults are 2048 in
       all and 256 per user. -->
  <limit name="max_completed_connections">16384</limit>
  <limit name="max_connections_per_user">16384</limit>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
CONF
}

write_avahi_config() {
  local dir=$1
  cat >"$dir/avahi.conf" <<CONF
[server]
allow-interfaces=lo
use-ipv4=yes
use-ipv6=yes
enable-dbus=yes
# A hub browsing thousands of simulated nodes keeps one resolver per service on one client, so
# the defaults (4096 clients, 1024 objects per client) are raised.
clients-max=16384
objects-per-client-max=16384

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes

[reflector]
enable-reflector=no

[rlimits]
CONF
}

start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -s "$dir/avahi.pid" ]] && kill -0 "$(cat "$dir/avahi.pid")" 2>/dev/null; then
    echo "export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus"
    return 0
  fi
  rm -f "$dir/bus" "$dir/dbus.pid" "$dir/avahi.pid"
  write_bus_config "$dir"
  write_avahi_config "$dir"

  dbus-daemon --config-file="$dir/bus.conf" --fork --print-pid --nopidfile \
    >"$dir/dbus.pid" 2>"$dir/dbus.log" </dev/null
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus"

  # avahi-daemon insists on /run/avahi-daemon/pid and will not start beside a stale one. A
  # private mount namespace with a tmpfs there gives each sandbox its own. `unshare` and `sh`
  # exec into the daemon, so the recorded pid is the daemon's.
  mkdir -p /run/avahi-daemon
  unshare -m --propagation private sh -c \
    'mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon -f "$1" --no-drop-root --no-chroot' \
    sh "$dir/avahi.conf" >"$dir/avahi.log" 2>&1 </dev/null &
  echo $! >"$dir/avahi.pid"

  local deadline=$((SECONDS + WAIT_SECONDS))
  until avahi-browse -a -t -p >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/avahi.pid")" 2>/dev/null; then
      echo "avahi-sandbox: avahi-daemon exited; see $dir/avahi.log" >&2
      stop "$dir"
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "avahi-sandbox: avahi-daemon did not respond within ${WAIT_SECONDS}s" >&2
      stop "$dir"
      return 1
    fi
    sleep 0.2
  done
  echo "export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus"
}

stop_pid_file() {
  local file=$1
  [[ -s "$file" ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  local dir=$1
  stop_pid_file "$dir/avahi.pid"
  stop_pid_file "$dir/dbus.pid"
  rm -f "$dir/bus"
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
