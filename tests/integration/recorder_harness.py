"""Helpers for the tests that record a real X display: Xvfb, a recording winebot-node, HTTP
POST and ffprobe.

Every process is started here and stopped by its pid.
"""

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

from fleet_harness import CheckFailed, free_port, http_get, wait_for


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def http_post(url, body=None, timeout=30.0, raw=None):
    """POST a JSON body (or the bytes `raw`) and return (status, parsed JSON body or None)."""
    if raw is not None:
        data = raw
    elif body is not None:
        data = json.dumps(body).encode()
    else:
        data = b""
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, None


def run(arguments, timeout=60, env=None):
    return subprocess.run(arguments, capture_output=True, text=True, timeout=timeout,
                          check=False, env=env)


def video_duration(path, frame_s):
    """Seconds covered by the video stream: the last packet's time plus its duration."""
    output = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                  "packet=pts_time,duration_time", "-of", "csv=p=0", path])
    expect(output.returncode == 0, f"ffprobe failed on {path}: {output.stderr.strip()}")
    last = [line.split(",") for line in output.stdout.split() if line][-1]
    duration = float(last[1]) if len(last) > 1 and last[1] not in ("", "N/A") else frame_s
    return float(last[0]) + duration


def read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Xvfb:
    """One Xvfb display, started and stopped by pid."""

    def __init__(self, number, size="1280x720", extra=()):
        """`extra` adds Xvfb options, such as -noreset."""
        self.number = number
        self.name = f":{number}"
        self.socket = f"/tmp/.X11-unix/X{number}"
        if os.path.exists(self.socket):
            raise CheckFailed(f"display :{number} is already in use ({self.socket} exists)")
        self.process = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{size}x24", "-nolisten", "tcp", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        wait_for(f"X socket {self.socket}", lambda: os.path.exists(self.socket), 10)

    def xdotool(self, *arguments):
        output = run(["xdotool", *arguments], env=dict(os.environ, DISPLAY=self.name))
        expect(output.returncode == 0, f"xdotool {arguments} failed: {output.stderr.strip()}")

    def kill(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class RecordingNode:
    """One winebot-node process with recording enabled, on a free loopback port, recording
    `display` at `fps`."""

    def __init__(self, build_dir, work_dir, name, session_root, display, fps, extra=(),
                 env_extra=None, state_name=None):
        """`state_name` names the pointer file and state folder in `work_dir` (default: `name`);
        nodes that share it take over each other's sessions and node id."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(work_dir, f"{name}.log")
        state_name = state_name or name
        env = dict(os.environ)
        env.update({"WINEBOT_RECORD": "1",
                    "WINEBOT_SESSION_POINTER_FILE": os.path.join(work_dir,
                                                                 f"{state_name}.pointer"),
                    "WINEBOT_RECORDING_STOP_SYNC_WAIT_SECONDS": "10"})
        env.update(env_extra or {})
        binary = os.path.join(build_dir, "node", "winebot-node")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [binary, "--listen", f"127.0.0.1:{self.port}", "--advertise", "off",
                 "--state-dir", os.path.join(work_dir, f"{state_name}.state"),
                 "--session-root", session_root, "--display", display, "--fps", str(fps),
                 *extra],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(f"{name} answering", lambda: http_get(f"{self.url}/health")[0] == 200, 15)

    def post(self, path, body=None, raw=None):
        return http_post(self.url + path, body, raw=raw)

    def get(self, path):
        return http_get(self.url + path)

    def state(self):
        return self.get("/health/recording")[1]["state"]

    def wait_state(self, expected, timeout=10):
        _, waited = wait_for(f"recorder state {expected}", lambda: self.state() == expected,
                             timeout, interval=0.02)
        return waited

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def stop(self, signal_number=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
                raise CheckFailed(f"node did not exit within {timeout} s of signal {signal_number}")
        return self.process.returncode
