#!/usr/bin/env python3
"""Benchmark: CPU cost of the node's recorder against the ffmpeg command line.

On one Xvfb display (1280x720x24) animated by `ico` (a spinning polyhedron drawn on the root
window), it records for a fixed time, in turns:
  - winebot-node: POST /recording/start, wait, POST /recording/stop; CPU seconds of the node
    process while capturing (start to stop request), and separately for the stop (trailer,
    subtitles and mux);
  - the ffmpeg command line with the same settings: x11grab at 15 fps with the mouse drawn,
    libx264 ultrafast, CRF 23, yuv420p, Matroska; CPU seconds of the ffmpeg process.
Then it measures the node's CPU while a recording is paused. CPU seconds come from
/proc/PID/stat (node) and wait4 (ffmpeg), user plus system time.

Usage: recorder_bench.py --build-dir BUILD [--seconds 20] [--rounds 2] [--display 95]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")
FPS = 15
SIZE = "1280x720"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid):
    """User plus system CPU seconds of a running process."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def post(url, body=None):
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def frame_count(path):
    output = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                             "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
                            capture_output=True, text=True, timeout=60, check=False)
    return int(output.stdout.strip() or 0)


def record_with_node(url, pid, seconds):
    before = cpu_seconds(pid)
    reply = post(f"{url}/recording/start", {"new_session": True, "resolution": SIZE, "fps": FPS})
    time.sleep(seconds)
    capture = cpu_seconds(pid) - before
    before_stop = cpu_seconds(pid)
    post(f"{url}/recording/stop")
    stop = cpu_seconds(pid) - before_stop
    return capture, stop, frame_count(reply["output_file"])


def record_with_ffmpeg(display, seconds, out_path):
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "x11grab",
               "-draw_mouse", "1", "-framerate", str(FPS), "-video_size", SIZE,
               "-i", f":{display}", "-t", str(seconds), "-c:v", "libx264",
               "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p", out_path]
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"ffmpeg exited with status {status}")
    return usage.ru_utime + usage.ru_stime, frame_count(out_path), " ".join(command)


def paused_cpu(url, pid, seconds):
    post(f"{url}/recording/start", {"new_session": True, "resolution": SIZE, "fps": FPS})
    post(f"{url}/recording/pause")
    time.sleep(0.5)
    before = cpu_seconds(pid)
    time.sleep(seconds)
    used = cpu_seconds(pid) - before
    post(f"{url}/recording/stop")
    return used


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--display", type=int, default=95)
    arguments = parser.parse_args()

    work = tempfile.mkdtemp(prefix="winebot-recorder-bench-")
    socket_path = f"/tmp/.X11-unix/X{arguments.display}"
    if os.path.exists(socket_path):
        sys.exit(f"display :{arguments.display} is in use ({socket_path} exists)")
    started = []
    try:
        xvfb = subprocess.Popen(["Xvfb", f":{arguments.display}", "-screen", "0", f"{SIZE}x24",
                                 "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
        started.append(xvfb)
        wait_for(lambda: os.path.exists(socket_path), 10, "the X socket")
        display_env = dict(os.environ, DISPLAY=f":{arguments.display}")
        started.append(subprocess.Popen(["ico", "-r", "-faces", "-colors", "red", "green",
                                         "blue", "yellow"], env=display_env,
                                        stderr=subprocess.DEVNULL))

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        node_env = dict(os.environ, WINEBOT_RECORD="1",
                        WINEBOT_SESSION_POINTER_FILE=os.path.join(work, "pointer"),
                        WINEBOT_RECORDING_STOP_SYNC_WAIT_SECONDS="20")
        log = open(os.path.join(work, "node.log"), "wb")
        node = subprocess.Popen([os.path.join(arguments.build_dir, "node", "winebot-node"),
                                 "--listen", f"127.0.0.1:{port}", "--advertise", "off",
                                 "--state-dir", os.path.join(work, "state"),
                                 "--session-root", os.path.join(work, "sessions"),
                                 "--display", f":{arguments.display}"],
                                env=node_env, stdout=log, stderr=subprocess.STDOUT)
        started.append(node)
        wait_for(lambda: urllib.request.urlopen(f"{url}/health", timeout=2).status == 200, 15,
                 "the node")

        node_runs, ffmpeg_runs = [], []
        command = ""
        for round_number in range(1, arguments.rounds + 1):
            capture, stop, frames = record_with_node(url, node.pid, arguments.seconds)
            node_runs.append(capture)
            print(f"round {round_number}: node   {capture:6.2f} CPU s capturing, {stop:5.2f} CPU s "
                  f"stopping, {frames} frames", flush=True)
            used, frames, command = record_with_ffmpeg(
                arguments.display, arguments.seconds, os.path.join(work, f"ffmpeg_{round_number}.mkv"))
            ffmpeg_runs.append(used)
            print(f"round {round_number}: ffmpeg {used:6.2f} CPU s, {frames} frames", flush=True)

        paused = paused_cpu(url, node.pid, arguments.seconds)
        node_median = statistics.median(node_runs)
        ffmpeg_median = statistics.median(ffmpeg_runs)
        print(f"\n{SIZE} at {FPS} fps for {arguments.seconds:g} s on Xvfb with ico, "
              f"{arguments.rounds} rounds, {os.cpu_count()} CPUs")
        print(f"ffmpeg command: {command}")
        print(f"node capture CPU s (median):  {node_median:.2f}")
        print(f"ffmpeg CPU s (median):        {ffmpeg_median:.2f}")
        print(f"node / ffmpeg:                {node_median / ffmpeg_median:.3f}")
        print(f"node CPU s while paused {arguments.seconds:g} s: {paused:.3f}")
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
