#!/bin/sh
# Starts the node container's desktop (Xvfb on $DISPLAY and Openbox), VNC and noVNC when
# WINEBOT_VNC=1, and the creation of the Wine prefix on first start. Then it runs winebot-node
# with the container's arguments. tini (PID 1) forwards SIGTERM to winebot-node, which stops
# cleanly.
set -eu

display_number=${DISPLAY#:}
display_number=${display_number%%.*}
x_socket=/tmp/.X11-unix/X$display_number

Xvfb "$DISPLAY" -screen 0 "$SCREEN" -nolisten tcp &

# Wait up to 10 s for the X server's socket.
waited=0
while [ ! -S "$x_socket" ]; do
  if [ "$waited" -ge 100 ]; then
    echo "winebot-node-entrypoint: Xvfb did not create $x_socket within 10 s" >&2
    exit 1
  fi
  sleep 0.1
  waited=$((waited + 1))
done

openbox &

if [ "$WINEBOT_VNC" = 1 ]; then
  if [ -n "${VNC_PASSWORD:-}" ]; then
    x11vnc -storepasswd "$VNC_PASSWORD" /tmp/vnc.passwd >/dev/null
    vnc_auth="-rfbauth /tmp/vnc.passwd"
  else
    echo "winebot-node-entrypoint: VNC_PASSWORD is not set; VNC accepts any client" >&2
    vnc_auth="-nopw"
  fi
  # shellcheck disable=SC2086 # vnc_auth holds two words on purpose.
  x11vnc -display "$DISPLAY" -forever -shared -quiet -rfbport "$VNC_PORT" $vnc_auth &
  websockify --web /usr/share/novnc "$NOVNC_PORT" "127.0.0.1:$VNC_PORT" &
fi

# wineboot can take a minute, so it runs beside the node: probes see the API at once.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "winebot-node-entrypoint: creating the Wine prefix in $WINEPREFIX" >&2
  (wineboot --init || echo "winebot-node-entrypoint: wineboot --init failed" >&2) &
fi

exec winebot-node "$@"
