#!/usr/bin/env bash
# Installs every Debian and npm package that the build, the demo and the tests need.
# Safe to run again: apt-get and npm skip what is already installed.
set -euo pipefail

readonly DEBIAN_PACKAGES=(
  # Build
  build-essential cmake ninja-build ccache pkg-config git clang-format python3
  clang libclang-rt-14-dev
  libboost1.81-dev nlohmann-json3-dev catch2 libsqlite3-dev libssl-dev
  libavahi-client-dev libavahi-common-dev
  # Runtime daemons and tools used by the demo and the integration tests
  dbus avahi-daemon avahi-utils sqlite3 curl procps util-linux
  # Browser check of the dashboard
  chromium
  # Recorder: FFmpeg's libraries, the ffmpeg/ffprobe tools that check recordings, and a real X
  # server with input and drawing tools for the recorder tests and benchmark
  libavdevice-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libxcb1-dev ffmpeg
  xvfb xdotool x11-apps
  # Idle pauser: the X server's idle time through the MIT-SCREEN-SAVER extension. Xvnc replaces
  # Xvfb where a test must resize the display (Xvfb refuses RandR resizes).
  libxcb-screensaver0-dev tigervnc-standalone-server x11-xserver-utils
  # Deployment checks: dnsmasq serves SRV records to the hub, and docker-compose (no engine
  # needed) validates compose/docker-compose.yml
  dnsmasq-base docker-compose
  # promtool (from the prometheus package) validates the hub's and the node's /metrics pages
  prometheus
  # Benchmarks (not run by ctest): wrk loads the hub and nginx serves the static baseline
  wrk nginx-light
)

# `kubectl kustomize` renders compose/kubernetes. Debian's kubernetes-client and other kubectl
# packages ship the same file, so install it only where no kubectl exists.
deployment_packages=()
if ! command -v kubectl >/dev/null 2>&1; then
  deployment_packages+=(kubernetes-client)
fi

# The dashboard's chart library and the browser tests' driver come from npm (package.json).
# Machines that already have Node.js from another source (such as NodeSource, whose nodejs
# ships npm) keep it, because Debian's npm package conflicts with those builds.
# NOTE: Debian 12's nodejs is version 18, and playwright-core 1.65 declares Node.js 20 or later,
# so the browser tests are only known to run on a newer Node.js such as NodeSource's 20.
if ! command -v npm >/dev/null 2>&1; then
  deployment_packages+=(nodejs npm)
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}" "${deployment_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
  else
    SUDO=
  fi
  # Installing avahi-daemon or dbus would otherwise start the system daemons, and a system
  # avahi-daemon multicasts on every interface. A policy-rc.d that exits 101 stops Debian's
  # maintainer scripts from starting services, so add one for the duration of the install.
  guard_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    guard_added=1
  fi
  $SUDO apt-get update -qq
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || status=$?
  if ((guard_added)); then
    $SUDO rm -f /usr/sbin/policy-rc.d
  fi
  if ((status != 0)); then
    echo "setup: apt-get install failed with status $status" >&2
    exit "$status"
  fi
else
  echo "setup: all Debian packages present"
fi

# npm packages, exactly as package-lock.json pins them. `npm ci` deletes and refills
# node_modules/, so skip it when the lock file is the one installed last time. Its postinstall
# step copies the dashboard's browser files into web/vendor/.
stamp=node_modules/.winebot-installed-lock.json
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -f $stamp && -d web/vendor ]] && cmp -s package-lock.json "$stamp"; then
  echo "setup: npm packages present"
else
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
