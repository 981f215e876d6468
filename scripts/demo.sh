#!/usr/bin/env bash
# Sets up, builds and starts a local demo fleet: a hub and three nodes on loopback, discovered
# through a private avahi-daemon that may use only the loopback interface. Prints the dashboard
# address and runs until Ctrl-C, then stops everything it started.
#
# Environment: HUB_PORT (default 8080), FIRST_NODE_PORT (default 8001), DEMO_DIR (default .demo).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
demo_dir=${DEMO_DIR:-$repo/.demo}
hub_port=${HUB_PORT:-8080}
first_node_port=${FIRST_NODE_PORT:-8001}
node_count=3

bash "$repo/scripts/setup.sh"
bash "$repo/scripts/build.sh" winebot-hub winebot-node
mkdir -p "$demo_dir"

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "demo: stopping"
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  bash "$repo/scripts/avahi-sandbox.sh" stop "$demo_dir/sandbox"
}
trap cleanup EXIT INT TERM

eval "$(bash "$repo/scripts/avahi-sandbox.sh" start "$demo_dir/sandbox")"
export DBUS_SYSTEM_BUS_ADDRESS

"$build_dir/hub/winebot-hub" --listen "127.0.0.1:$hub_port" --db "$demo_dir/hub.db" \
  --web-root "$repo/web" >"$demo_dir/hub.log" 2>&1 &
pids+=($!)

for index in $(seq 1 "$node_count"); do
  "$build_dir/node/winebot-node" --listen "127.0.0.1:$((first_node_port + index - 1))" \
    --state-dir "$demo_dir/node-$index" --name "Demo node $index" \
    >"$demo_dir/node-$index.log" 2>&1 &
  pids+=($!)
done

for _ in $(seq 50); do
  if curl -fs "http://127.0.0.1:$hub_port/healthz" >/dev/null; then
    break
  fi
  sleep 0.2
done

cat <<MESSAGE

WineBot Fleet demo is running: a hub and $node_count nodes on loopback.

  Dashboard:  http://127.0.0.1:$hub_port/
  Nodes API:  http://127.0.0.1:$hub_port/api/nodes
  Logs:       $demo_dir/*.log

Press Ctrl-C to stop.
MESSAGE

wait "${pids[0]}"
