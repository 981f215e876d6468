#!/usr/bin/env python3
"""Benchmark: time of one GET /screenshot on the node against the ffmpeg command line.

On one Xvfb display (1280x720x24) whose root window xsetroot covers with a two-colour pattern,
it measures the median wall time of:
  - winebot-node, a new grab: GET /screenshot?width=W over one keep-alive connection, with a
    pause longer than the node's one-second image cache before each request;
  - winebot-node, a cached image: the same request repeated at once;
  - the baseline: one `ffmpeg -f x11grab -frames:v 1 -vf scale=W:-1 -q:v 4` process writing a
    JPEG file, which does the same work (connect, grab, scale, encode) plus starting a process.

Usage: screenshot_bench.py --build-dir BUILD [--requests 20] [--width 320] [--display 88]
"""

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SIZE = "1280x720"
CACHE_SECONDS = 1.0  # The node's image cache; see ScreenshotSettings::max_age.


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, description):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {description}")


def timed_get(connection, target):
    """Milliseconds for one GET on `connection`; fails on a status other than 200."""
    started = time.perf_counter()
    connection.request("GET", target)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200 or not body.startswith(b"\xff\xd8"):
        raise SystemExit(f"GET {target} returned {response.status}: {body[:200]!r}")
    return elapsed


def connection_body(connection, target):
    connection.request("GET", target)
    return connection.getresponse().read()


def ffmpeg_ms(display, width, output):
    started = time.perf_counter()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "x11grab", "-draw_mouse", "0", "-i",
                    display, "-frames:v", "1", "-vf", f"scale={width}:-1:flags=area", "-q:v", "4",
                    output], check=True, timeout=30)
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--display", type=int, default=88)
    arguments = parser.parse_args()
    display = f":{arguments.display}"
    socket_path = f"/tmp/.X11-unix/X{arguments.display}"
    if os.path.exists(socket_path):
        raise SystemExit(f"display {display} is in use ({socket_path} exists)")

    work_dir = tempfile.mkdtemp(prefix="winebot-screenshot-bench-")
    processes = []
    try:
        # -noreset keeps the pattern: by default Xvfb resets when xsetroot, its only client,
        # disconnects.
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SIZE}x24", "-nolisten",
                                 "tcp", "-noreset"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        processes.append(xvfb)
        wait_for(lambda: os.path.exists(socket_path), 10, "Xvfb")
        subprocess.run(["xsetroot", "-mod", "8", "8", "-fg", "#d04020", "-bg", "#204080"],
                       env=dict(os.environ, DISPLAY=display), check=True, timeout=10)

        port = free_port()
        binary = os.path.join(arguments.build_dir, "node", "winebot-node")
        env = {key: value for key, value in os.environ.items() if key != "API_TOKEN"}
        with open(os.path.join(work_dir, "node.log"), "ab") as log:
            node = subprocess.Popen(
                [binary, "--listen", f"127.0.0.1:{port}", "--advertise", "off", "--state-dir",
                 os.path.join(work_dir, "state"), "--session-root",
                 os.path.join(work_dir, "sessions"), "--display", display],
                env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(node)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def node_answers():
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/health")
            return probe.getresponse().status == 200
        wait_for(node_answers, 15, "the node")

        target = f"/screenshot?width={arguments.width}"
        timed_get(connection, target)  # Warms up FFmpeg's device registration.
        ffmpeg_ms(display, arguments.width, os.path.join(work_dir, "baseline.jpg"))
        size = len(connection_body(connection, target))
        print(f"JPEG of the pattern at width {arguments.width}: {size} bytes")
        fresh, cached, baseline = [], [], []
        for _ in range(arguments.requests):
            time.sleep(CACHE_SECONDS + 0.1)
            fresh.append(timed_get(connection, target))
            cached.append(timed_get(connection, target))
            baseline.append(ffmpeg_ms(display, arguments.width,
                                      os.path.join(work_dir, "baseline.jpg")))

        print(f"display {SIZE}, width {arguments.width}, {arguments.requests} requests each")
        print(f"node GET /screenshot, new grab:    median {statistics.median(fresh):7.2f} ms "
              f"(min {min(fresh):.2f}, max {max(fresh):.2f})")
        print(f"node GET /screenshot, cached:      median {statistics.median(cached):7.2f} ms")
        print(f"ffmpeg command line (baseline):    median {statistics.median(baseline):7.2f} ms")
        print(f"new grab / baseline: {statistics.median(fresh) / statistics.median(baseline):.2f}")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
